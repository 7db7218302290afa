# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.reltio.platform.plugins.module_utils import arguments

ENV_VARIABLES = {
    "platform_url": "RELTIO_PLATFORM_URL",
    "tenant_id": "RELTIO_TENANT_ID",
    "access_token": "RELTIO_ACCESS_TOKEN",
    "reltio_client_id": "RELTIO_CLIENT_ID",
    "reltio_client_secret": "RELTIO_CLIENT_SECRET",
    "auth_url": "RELTIO_AUTH_URL",
    "workspace_url": "DATABRICKS_HOST",
    "warehouse_id": "DATABRICKS_WAREHOUSE_ID",
    "client_id": "DATABRICKS_CLIENT_ID",
    "client_secret": "DATABRICKS_CLIENT_SECRET",
    "execution": "RELTIO_EXECUTION",
}
NO_LOG = {"access_token", "reltio_client_id", "reltio_client_secret", "client_secret"}


@pytest.fixture(name="spec")
def spec_fixture():
    return arguments.databricks_connection_argument_spec()


def test_spec_has_every_option_of_both_tables(spec):
    expected = set(arguments.CONNECTION_OPTIONS) | set(arguments.DATABRICKS_CONNECTION_OPTIONS)
    assert set(spec) == expected
    assert set(ENV_VARIABLES) | NO_LOG <= set(spec)


def test_connection_spec_has_only_connection_options():
    assert set(arguments.connection_argument_spec()) == set(arguments.CONNECTION_OPTIONS)


@pytest.mark.parametrize("option, variable", sorted(ENV_VARIABLES.items()))
def test_env_fallback(spec, option, variable):
    assert spec[option]["fallback"] == (env_fallback, [variable])


def test_no_other_option_has_an_env_fallback(spec):
    assert sorted(name for name, entry in spec.items() if "fallback" in entry) == sorted(ENV_VARIABLES)


@pytest.mark.parametrize("option, variable", sorted(ENV_VARIABLES.items()))
def test_env_fallback_reads_the_variable(monkeypatch, spec, option, variable):
    monkeypatch.setenv(variable, "from-env-%s" % option)
    function, args = spec[option]["fallback"]
    assert function(*args) == "from-env-%s" % option


def test_no_log_exactly_on_secrets(spec):
    assert set(name for name, entry in spec.items() if entry.get("no_log")) == NO_LOG


def test_secret_options():
    assert set(arguments.SECRET_OPTIONS) == NO_LOG
    assert isinstance(arguments.SECRET_OPTIONS, tuple)


def test_connection_name_alias(spec):
    assert spec["connection_name"]["aliases"] == ["name"]
    assert spec["connection_name"]["required"] is True


def test_update_secret_choices(spec):
    assert spec["update_secret"]["choices"] == ["on_create", "always"]
    assert spec["update_secret"]["default"] == "on_create"


def test_required_and_defaults(spec):
    assert spec["platform_url"]["required"] is True
    assert spec["tenant_id"]["required"] is True
    assert spec["auth_url"]["default"] == arguments.DEFAULT_AUTH_URL == "https://auth.reltio.com/oauth/token"
    assert spec["validate_certs"] == {"type": "bool", "default": True}
    assert spec["timeout"]["type"] == "float"
    assert spec["retries"] == {"type": "int", "default": 3}
    assert spec["ca_path"] == {"type": "path"}
    assert spec["test_connection"] == {"type": "bool", "default": False}


def test_spec_keeps_only_argument_spec_keys(spec):
    allowed = {"type", "required", "default", "choices", "aliases", "no_log", "fallback"}
    for name, entry in spec.items():
        assert set(entry) <= allowed, name
        assert "description" not in entry and "env" not in entry


def test_argument_spec_of_a_custom_table():
    table = {"x": {"type": "str", "env": "X_VAR", "no_log": True, "description": ["d"], "choices": ["a"]}}
    assert arguments.argument_spec(table) == {
        "x": {"type": "str", "no_log": True, "choices": ["a"], "fallback": (env_fallback, ["X_VAR"])},
    }


def test_options_documentation_appends_env_sentence_without_touching_the_table():
    table = {
        "x": {"type": "str", "env": "X_VAR", "required": True, "description": ["First."], "no_log": True},
        "y": {"type": "int", "default": 2, "choices": [1, 2], "aliases": ["z"], "description": ["Y."]},
    }
    assert arguments.options_documentation(table) == {
        "options": {
            "x": {
                "description": ["First.", "If not set, the value of the E(X_VAR) environment variable is used."],
                "type": "str",
                "required": True,
            },
            "y": {"description": ["Y."], "type": "int", "default": 2, "choices": [1, 2], "aliases": ["z"]},
        },
    }
    assert table["x"]["description"] == ["First."]


def test_options_documentation_of_connection_options_is_repeatable():
    first = arguments.options_documentation(arguments.CONNECTION_OPTIONS)
    second = arguments.options_documentation(arguments.CONNECTION_OPTIONS)
    assert first == second
    assert first["options"]["platform_url"]["description"][-1] == (
        "If not set, the value of the E(RELTIO_PLATFORM_URL) environment variable is used.")
    assert all("no_log" not in doc for doc in first["options"].values())
