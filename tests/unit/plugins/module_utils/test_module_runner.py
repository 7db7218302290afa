# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import Mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.reltio.platform.plugins.module_utils import access_token, module_runner, transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import token_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError, ReltioError, ValidationError

from ..fakes import ExitJson, FailJson

pytestmark = pytest.mark.usefixtures("clean_environment")

FQCN = "reltio.platform.reltio_token"
SECRET = "reltio-secret-value"
ARGS = {"reltio_client_id": "client-id-1", "reltio_client_secret": SECRET}
RESULT = {"changed": False, "access_token": "tok-1", "expires_in": 3600, "token_type": "bearer", "msg": "Fetched."}


def run(args, execute, expect=ExitJson, spec=None):
    with patch_module_args(args):
        with pytest.raises(expect) as info:
            module_runner.run_module(FQCN, spec or token_argument_spec(), access_token.validate, execute)
    return info.value.args[0]


def run_for_real(args, execute, capsys):
    """Run with the real exit_json/fail_json, which mask no_log values, and read what they print.

    ansible-core 2.21 returns ``invocation`` only when asked to (as the controller does at -vvv).
    """
    if "inject_invocation" in PASS_VARS:
        args = dict(args, _ansible_inject_invocation=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module_runner.run_module(FQCN, token_argument_spec(), access_token.validate, execute)
    return json.loads(capsys.readouterr().out)


@pytest.mark.usefixtures("patched_exits")
def test_success_exits_with_the_result():
    execute = Mock(return_value=dict(RESULT))
    assert run(ARGS, execute) == dict(RESULT, from_environment=[])
    execute.assert_called_once()
    params = execute.call_args[0][0]
    assert params["reltio_client_id"] == "client-id-1"
    assert params["reltio_client_secret"] == SECRET
    assert params["auth_url"] == "https://auth.reltio.com/oauth/token"
    assert params["execution"] == "auto"
    assert params["retries"] == 3
    kwargs = execute.call_args[1]
    assert kwargs["check_mode"] is False
    assert kwargs["diff"] is False
    assert isinstance(kwargs["warn"].__self__, basic.AnsibleModule)
    assert kwargs["warn"].__name__ == "warn"
    # A module runs one task in its process: nothing to keep for another.
    assert "cache" not in kwargs


@pytest.mark.usefixtures("patched_exits")
def test_check_mode_and_diff_passed():
    execute = Mock(return_value=dict(RESULT))
    run(dict(ARGS, _ansible_check_mode=True, _ansible_diff=True), execute)
    assert execute.call_args[1]["check_mode"] is True
    assert execute.call_args[1]["diff"] is True


@pytest.mark.usefixtures("patched_exits")
def test_supports_check_mode():
    execute = Mock(return_value=dict(RESULT))
    result = run(dict(ARGS, _ansible_check_mode=True), execute)
    assert "skipped" not in result
    execute.assert_called_once()


@pytest.mark.usefixtures("patched_exits")
@pytest.mark.parametrize("error", [
    ApiError("Reltio answered HTTP 503", status=503, error_code=7, may_exist=True),
    ValidationError(["auth_url must use https"]),
    ReltioError("plain"),
])
def test_reltio_error_fails_with_its_kwargs(error):
    error.result = {"changed": True}
    execute = Mock(side_effect=error)
    assert run(ARGS, execute, expect=FailJson) == dict(error.fail_kwargs(), from_environment=[])


@pytest.mark.usefixtures("patched_exits")
def test_other_errors_are_not_swallowed():
    execute = Mock(side_effect=KeyError("boom"))
    with patch_module_args(ARGS):
        with pytest.raises(KeyError):
            module_runner.run_module(FQCN, token_argument_spec(), access_token.validate, execute)


@pytest.mark.usefixtures("patched_exits")
def test_argument_spec_is_applied():
    execute = Mock(return_value=dict(RESULT))
    result = run(dict(ARGS, execution="nowhere"), execute, expect=FailJson)
    assert result["msg"] == "Invalid arguments: value of execution must be one of: auto, controller, target, got: nowhere."
    execute.assert_not_called()


@pytest.mark.usefixtures("patched_exits")
def test_env_fallbacks_apply(monkeypatch):
    monkeypatch.setenv("RELTIO_CLIENT_SECRET", "from-env")
    execute = Mock(return_value=dict(RESULT))
    result = run({"reltio_client_id": "id-from-task"}, execute)
    assert execute.call_args[0][0]["reltio_client_secret"] == "from-env"
    # The result names the options taken from the environment.
    assert result["from_environment"] == ["reltio_client_secret"]


@pytest.mark.usefixtures("patched_exits")
def test_missing_requests(monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    monkeypatch.setattr(transport, "REQUESTS_IMPORT_ERROR", "Traceback: No module named 'requests'")
    execute = Mock(return_value=dict(RESULT))
    result = run(ARGS, execute, expect=FailJson)
    assert result == {"msg": basic.missing_required_lib("requests"), "exception": "Traceback: No module named 'requests'",
                      "reason_code": "missing_library"}
    assert "requests" in result["msg"]
    execute.assert_not_called()


def _module_of(execute):
    """The AnsibleModule run_module made: the owner of the ``warn`` it handed to ``execute``."""
    return execute.call_args[1]["warn"].__self__


@pytest.mark.usefixtures("patched_exits")
@pytest.mark.parametrize("blank", ["", " ", "   ", "\t\n"])
def test_blank_no_log_values_dropped(blank):
    execute = Mock(return_value=dict(RESULT))
    run(dict(ARGS, access_token=blank), execute)
    no_log_values = _module_of(execute).no_log_values
    assert no_log_values == {SECRET, "client-id-1"}


@pytest.mark.usefixtures("patched_exits")
def test_no_log_values_with_spaces_inside_are_kept():
    execute = Mock(return_value=dict(RESULT))
    run(dict(ARGS, reltio_client_secret=" spaced secret "), execute)
    assert " spaced secret " in _module_of(execute).no_log_values


def test_blank_secret_does_not_star_out_spaces(capsys):
    execute = Mock(side_effect=ValidationError(["access_token is required, or %s is wrong" % SECRET]))
    output = run_for_real(dict(ARGS, access_token=" "), execute, capsys)
    assert output["failed"] is True
    assert output["msg"] == "Invalid arguments: access_token is required, or ******** is wrong."


def test_real_exit_masks_secrets_but_not_spaces(capsys):
    execute = Mock(return_value={"changed": False, "msg": "Used %s here." % SECRET})
    output = run_for_real(dict(ARGS, access_token="  "), execute, capsys)
    assert output["msg"] == "Used ******** here."
    assert output["invocation"]["module_args"]["reltio_client_secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert output["invocation"]["module_args"]["access_token"] == "  "


def test_a_short_secret_is_refused_in_a_readable_message_and_hidden_by_name(capsys):
    """Issue 20: a one-letter secret made ansible-core star out that letter in every message, the refusal's too."""
    execute = Mock(side_effect=lambda params, **kwargs: access_token.validate(params))
    output = run_for_real(dict(ARGS, reltio_client_secret="t"), execute, capsys)
    assert output["failed"] is True
    assert output["msg"].startswith("Invalid arguments: reltio_client_secret is shorter than 8 characters: Ansible hides")
    if "invocation" in output:
        assert output["invocation"]["module_args"]["reltio_client_secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
