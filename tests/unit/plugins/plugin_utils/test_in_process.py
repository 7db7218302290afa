# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What in_process.py copies of AnsibleModule is what AnsibleModule does: validation, alias warnings, no_log masking,
the task environment. (The action plugin's use of it: test_reltio_action.py.)"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    connection_argument_spec,
    databricks_connection_argument_spec,
    token_argument_spec,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError
from ansible_collections.reltio.platform.plugins.plugin_utils.in_process import (
    alias_warnings,
    environment_applied,
    run_in_process,
    untagged,
)
from ansible_collections.reltio.platform.plugins.module_utils.validation import hidden_values

from ..fakes import DBX_ARGS, TASK_ARGS, ansible_module

SECRET = TASK_ARGS["access_token"]
ARGS = TASK_ARGS


def validate(params):  # pylint: disable=unused-argument
    return None


def run(execute, args=None, spec=None, **kwargs):
    options = dict(check_mode=False, diff=False, task_environment={}, cache=None)
    options.update(kwargs)
    return run_in_process("reltio.platform.dummy", spec or connection_argument_spec(), dict(args or ARGS), validate, execute,
                          **options)


def test_the_result_of_execute_masked_with_the_validated_params():
    seen = {}

    def execute(params, check_mode, diff, warn, cache):
        seen.update(params=params, check_mode=check_mode, diff=diff, cache=cache)
        warn("careful with %s" % SECRET)
        return {"changed": True, "msg": "used %s" % SECRET}

    cache = object()
    result = run(execute, check_mode=True, diff=True, cache=cache)
    assert seen["params"]["timeout"] == 30 and seen["params"]["access_token"] == SECRET
    assert (seen["check_mode"], seen["diff"], seen["cache"]) == (True, True, cache)
    assert result["msg"] == "used ********"
    assert result["warnings"] == ["careful with ********"]
    assert result["invocation"]["module_args"]["access_token"] != SECRET


def test_a_reltio_error_is_a_failed_result_and_a_refused_argument_runs_nothing():
    def fails(params, **kwargs):  # pylint: disable=unused-argument
        raise ApiError("Reltio said no to %s" % SECRET, status=500)

    result = run(fails)
    assert result["failed"] is True and result["status"] == 500 and result["msg"] == "Reltio said no to ********"
    refused = run(lambda params, **kwargs: pytest.fail("ran"), args=dict(ARGS, timeout="soon"))
    assert refused["failed"] is True and "timeout must be a number" in refused["msg"]


def test_untagged_drops_subclasses_and_keeps_the_rest():
    class Tagged(str):
        pass

    value = untagged({Tagged("k"): [Tagged("v"), True, 1, 1.5, None, (2,)]})
    assert value == {"k": ["v", True, 1, 1.5, None, [2]]}
    assert type(list(value)[0]) is str and type(value["k"][0]) is str  # pylint: disable=unidiomatic-typecheck


def test_environment_applied_sets_and_restores(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://worker-proxy:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    seen = {}
    with environment_applied({"HTTPS_PROXY": "http://task-proxy:8080", "NO_PROXY": "internal"}):
        seen.update(HTTPS_PROXY=os.environ["HTTPS_PROXY"], NO_PROXY=os.environ["NO_PROXY"])
    assert seen == {"HTTPS_PROXY": "http://task-proxy:8080", "NO_PROXY": "internal"}
    assert os.environ["HTTPS_PROXY"] == "http://worker-proxy:3128"
    assert "NO_PROXY" not in os.environ


@pytest.mark.parametrize("names", [("connection_name", "name"), ("name",), ("connection_name",)])
def test_alias_warnings_are_those_of_ansible_module(monkeypatch, names):
    spec = databricks_connection_argument_spec()
    args = dict((key, value) for key, value in DBX_ARGS.items() if key != "connection_name")
    args.update((name, "conn-%s" % name) for name in names)
    dummy, expected = ansible_module(monkeypatch, spec, args)
    assert alias_warnings(spec, args) == expected
    assert bool(expected) is (len(names) == 2)


@pytest.mark.parametrize("spec_of, args, expected", [
    (connection_argument_spec, dict(ARGS, reltio_client_id="client-id-1", reltio_client_secret="client-secret-2"),
     {SECRET, "client-id-1", "client-secret-2"}),
    (connection_argument_spec, dict(ARGS, access_token=" ", reltio_client_id="", reltio_client_secret="\t"), set()),
    (connection_argument_spec, {"platform_url": "https://test.reltio.com", "tenant_id": "t", "access_token": " a b c d e "},
     {" a b c d e "}),
    (connection_argument_spec, {"platform_url": "https://test.reltio.com", "tenant_id": "t", "access_token": "t"}, set()),
    (token_argument_spec, {"reltio_client_id": "client-id-1", "reltio_client_secret": "secret-2", "access_token": None},
     {"client-id-1", "secret-2"}),
    (databricks_connection_argument_spec, DBX_ARGS, {SECRET, "dbx-Secret-42"}),
])
def test_hidden_values_are_those_of_ansible_module_without_blank_or_short_ones(monkeypatch, spec_of, args, expected):
    """Blank ones hide nothing; short ones are refused by the checks, whose message they would star out."""
    spec = spec_of()
    module, dummy = ansible_module(monkeypatch, spec, args)
    assert set(value for value in module.no_log_values if len(value.strip()) >= 8) == expected
    assert hidden_values(spec, module.params) == expected


def test_hidden_values_only_of_no_log_options():
    spec = connection_argument_spec()
    params = dict((name, None) for name in spec)
    params.update(tenant_id="tenant01", access_token=SECRET, reltio_client_secret=" ")
    assert hidden_values(spec, params) == {SECRET}
