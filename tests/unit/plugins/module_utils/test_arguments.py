# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import re

import pytest
import yaml

from ansible.module_utils.common.parameters import env_fallback, set_fallbacks

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
    function, names = spec[option]["fallback"]
    assert isinstance(function, arguments.EnvironmentFallback) and names == [variable]


def test_no_other_option_has_an_env_fallback(spec):
    assert sorted(name for name, entry in spec.items() if "fallback" in entry) == sorted(ENV_VARIABLES)


@pytest.mark.parametrize("option, variable", sorted(ENV_VARIABLES.items()))
def test_env_fallback_reads_the_variable(monkeypatch, spec, option, variable):
    monkeypatch.setenv(variable, "from-env-%s" % option)
    function, args = spec[option]["fallback"]
    assert function(*args) == "from-env-%s" % option


def test_the_options_filled_from_the_environment_are_named(monkeypatch, clean_environment):  # pylint: disable=unused-argument
    monkeypatch.setenv("RELTIO_TENANT_ID", "tenant-from-env")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "dbx-secret-from-env")
    spec = arguments.databricks_connection_argument_spec()
    assert arguments.from_environment(spec) == []
    parameters = {"connection_name": "c", "client_secret": "given-secret-1"}
    set_fallbacks(spec, parameters)
    assert parameters["tenant_id"] == "tenant-from-env" and parameters["client_secret"] == "given-secret-1"
    assert arguments.from_environment(spec) == ["tenant_id"]
    # Each spec built has its own: another task starts with none.
    assert arguments.from_environment(arguments.databricks_connection_argument_spec()) == []


def test_apply_env_fallbacks_names_what_it_filled():
    spec = arguments.databricks_connection_argument_spec()
    filled = arguments.apply_env_fallbacks(spec, {"platform_url": "https://x.reltio.com"},
                                           {"RELTIO_PLATFORM_URL": "https://env.reltio.com", "DATABRICKS_HOST": "https://w"})
    assert filled == {"platform_url": "https://x.reltio.com", "workspace_url": "https://w"}
    assert arguments.from_environment(spec) == ["workspace_url"]


def test_a_blank_variable_is_no_value_taken_from_the_environment(monkeypatch, clean_environment):  # pylint: disable=unused-argument
    """Issue 26: an AWX credential injects its empty fields as empty variables; from_environment does not name them."""
    spec = arguments.databricks_connection_argument_spec()
    filled = arguments.apply_env_fallbacks(spec, {}, {"RELTIO_CLIENT_ID": "", "RELTIO_CLIENT_SECRET": " ",
                                                      "RELTIO_ACCESS_TOKEN": "rlt-token-1234567"})
    assert filled == {"reltio_client_id": "", "reltio_client_secret": " ", "access_token": "rlt-token-1234567"}
    assert arguments.from_environment(spec) == ["access_token"]
    monkeypatch.setenv("RELTIO_CLIENT_ID", "")
    spec = arguments.databricks_connection_argument_spec()
    parameters = {}
    set_fallbacks(spec, parameters)
    assert parameters["reltio_client_id"] == "" and arguments.from_environment(spec) == []


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
    # Options that may come from the environment are checked by the module's validate, which names them all at once.
    needed = ("platform_url", "tenant_id", "workspace_url", "warehouse_id", "client_id", "client_secret")
    assert [name for name in needed if "required" in spec[name]] == []
    assert [name for name in needed if not (arguments.CONNECTION_OPTIONS.get(name)
                                            or arguments.DATABRICKS_CONNECTION_OPTIONS[name]).get("required")] == []
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
    spec = arguments.argument_spec(table)
    strategy = spec["x"].pop("fallback")
    assert spec == {"x": {"type": "str", "no_log": True, "choices": ["a"]}}
    assert isinstance(strategy[0], arguments.EnvironmentFallback) and strategy[1] == ["X_VAR"]


def test_options_documentation_appends_env_sentence_without_touching_the_table():
    table = {
        "x": {"type": "str", "env": "X_VAR", "description": ["First."], "no_log": True},
        "y": {"type": "int", "default": 2, "choices": [1, 2], "aliases": ["z"], "description": ["Y."]},
        "w": {"type": "str", "env": "W_VAR", "required": True, "description": ["W."]},
        "v": {"type": "str", "required": True, "description": ["V."]},
    }
    assert arguments.options_documentation(table) == {
        "options": {
            "x": {
                "description": ["First.", "If not set, the value of the E(X_VAR) environment variable is used."],
                "type": "str",
            },
            "y": {"description": ["Y."], "type": "int", "default": 2, "choices": [1, 2], "aliases": ["z"]},
            "w": {"description": ["W.", "Required: set it here or in the E(W_VAR) environment variable."], "type": "str"},
            "v": {"description": ["V."], "type": "str", "required": True},
        },
    }
    assert table["x"]["description"] == ["First."] and table["w"] == {"type": "str", "env": "W_VAR", "required": True,
                                                                      "description": ["W."]}


def test_a_required_option_with_a_variable_is_required_by_the_checks_not_the_spec():
    table = {"w": {"type": "str", "env": "W_VAR", "required": True, "description": ["W."]},
             "v": {"type": "str", "required": True, "description": ["V."]}}
    spec = arguments.argument_spec(table)
    spec["w"].pop("fallback")
    assert spec == {"w": {"type": "str"}, "v": {"type": "str", "required": True}}


def test_options_documentation_of_connection_options_is_repeatable():
    first = arguments.options_documentation(arguments.CONNECTION_OPTIONS)
    second = arguments.options_documentation(arguments.CONNECTION_OPTIONS)
    assert first == second
    assert first["options"]["platform_url"]["description"][-1] == (
        "Required: set it here or in the E(RELTIO_PLATFORM_URL) environment variable.")
    assert first["options"]["auth_url"]["description"][-1] == (
        "If not set, the value of the E(RELTIO_AUTH_URL) environment variable is used.")
    assert "required" not in first["options"]["platform_url"]
    assert all("no_log" not in doc for doc in first["options"].values())


# ---- token_argument_spec ---------------------------------------------------------------------


def test_token_spec_options():
    """reltio_token accepts every option of the group, so that module_defaults may hold them, and ignores the others."""
    spec = arguments.token_argument_spec()
    assert set(spec) == (set(arguments.AUTH_OPTIONS) | set(arguments.EXECUTION_OPTIONS) | set(arguments.TENANT_OPTIONS)
                         | set(arguments.DATABRICKS_CONNECTION_OPTIONS))
    for name in set(arguments.TENANT_OPTIONS) | set(arguments.DATABRICKS_CONNECTION_OPTIONS):
        assert set(spec[name]) <= {"type", "aliases", "choices", "no_log"}, name
    assert spec["update_secret"] == {"type": "str", "choices": ["on_create", "always"]}
    assert spec["connection_name"] == {"type": "str", "aliases": ["name"]}
    assert spec["client_secret"] == {"type": "str", "no_log": True}


def test_token_spec_tenant_options_are_optional_and_plain():
    spec = arguments.token_argument_spec()
    assert spec["platform_url"] == {"type": "str"}
    assert spec["tenant_id"] == {"type": "str"}


def test_token_spec_auth_and_execution_entries_match_the_connection_spec():
    spec = arguments.token_argument_spec()
    connection = arguments.connection_argument_spec()
    for name in list(arguments.AUTH_OPTIONS) + list(arguments.EXECUTION_OPTIONS):
        assert spec[name] == connection[name], name
    no_log = set(name for name, entry in spec.items() if entry.get("no_log"))
    # client_secret is ignored, and hidden all the same.
    assert no_log == {"access_token", "reltio_client_id", "reltio_client_secret", "client_secret"}
    assert spec["execution"]["choices"] == ["auto", "controller", "target"]
    assert spec["execution"]["default"] == "auto"


# ---- apply_env_fallbacks ---------------------------------------------------------------------


def test_apply_env_fallbacks_fills_only_missing_options_as_ansiblemodule_does(spec):
    args = {"tenant_id": None, "connection_name": "conn"}
    environment = {"RELTIO_TENANT_ID": "env-tenant", "RELTIO_PLATFORM_URL": "https://env.reltio.com"}
    assert arguments.apply_env_fallbacks(spec, args, environment) == {
        "tenant_id": None,
        "platform_url": "https://env.reltio.com",
        "connection_name": "conn",
    }
    module_params = dict(args)
    set_fallbacks(spec, module_params)
    assert module_params["tenant_id"] is None


@pytest.mark.parametrize("value", ["", "given", 0, False])
def test_apply_env_fallbacks_keeps_given_values(spec, value):
    filled = arguments.apply_env_fallbacks(spec, {"tenant_id": value}, {"RELTIO_TENANT_ID": "env-tenant"})
    assert filled == {"tenant_id": value}


def test_apply_env_fallbacks_empty_variable_counts(spec):
    assert arguments.apply_env_fallbacks(spec, {}, {"RELTIO_TENANT_ID": ""}) == {"tenant_id": ""}


def test_apply_env_fallbacks_every_variable_of_the_spec(spec):
    environment = dict((variable, "v-%s" % option) for option, variable in ENV_VARIABLES.items())
    filled = arguments.apply_env_fallbacks(spec, {}, environment)
    assert filled == dict((option, "v-%s" % option) for option in ENV_VARIABLES)


def test_apply_env_fallbacks_ignores_options_without_env(spec):
    without_env = [name for name in spec if name not in ENV_VARIABLES]
    environment = dict((name.upper(), "x") for name in without_env)
    environment.update(dict(("RELTIO_%s" % name.upper(), "x") for name in without_env))
    environment.update(dict((name, "x") for name in without_env))
    assert "connection_name" in without_env and "timeout" in without_env
    assert arguments.apply_env_fallbacks(spec, {}, environment) == {}


def test_apply_env_fallbacks_first_variable_wins():
    spec = {"x": {"type": "str", "fallback": (arguments.EnvironmentFallback(), ["FIRST", "SECOND"])}}
    assert arguments.apply_env_fallbacks(spec, {}, {"FIRST": "1", "SECOND": "2"}) == {"x": "1"}
    assert arguments.apply_env_fallbacks(spec, {}, {"SECOND": "2"}) == {"x": "2"}
    assert arguments.apply_env_fallbacks(spec, {}, {"OTHER": "3"}) == {}


def test_apply_env_fallbacks_ignores_other_fallback_strategies():
    strategy = env_fallback
    spec = {"x": {"type": "str", "fallback": (strategy, ["X"])}, "y": {"type": "str"}}
    assert arguments.apply_env_fallbacks(spec, {}, {"X": "1", "Y": "2"}) == {}


def test_apply_env_fallbacks_keeps_unknown_args_and_does_not_mutate(spec):
    args = {"bogus": 1, "tenant_id": None}
    environment = {"RELTIO_TENANT_ID": "env-tenant", "RELTIO_PLATFORM_URL": "https://env.reltio.com"}
    filled = arguments.apply_env_fallbacks(spec, args, environment)
    assert filled == {"bogus": 1, "tenant_id": None, "platform_url": "https://env.reltio.com"}
    assert filled is not args
    assert args == {"bogus": 1, "tenant_id": None}
    assert environment == {"RELTIO_TENANT_ID": "env-tenant", "RELTIO_PLATFORM_URL": "https://env.reltio.com"}


def test_apply_env_fallbacks_reads_only_the_given_environment(spec, monkeypatch):
    monkeypatch.setenv("RELTIO_TENANT_ID", "from-os-environ")
    assert arguments.apply_env_fallbacks(spec, {}, {}) == {}


ROOT = pathlib.Path(__file__).resolve().parents[4]
# Every option whose default or bounds are numbers (timeout, retries), from every table.
NUMERIC_OPTIONS = dict((name, option) for table in arguments.DOC_FRAGMENTS.values() for name, option in table.items()
                       if option["type"] in ("int", "float"))
# A number given to an option in code: timeout=30, params.get("retries", 3), {"timeout": 30}.
NUMBER_FOR = r"\b%s\b['\"]?\s*[=,:]\s*(-?[0-9][0-9.]*)"


def shown(value):
    return "V(%s)" % (int(value) if float(value).is_integer() else value)


def numbers_restated(text, names):
    """``[(option, number)]`` for each number ``text`` gives one of the options ``names``."""
    return [(name, number) for name in names for number in re.findall(NUMBER_FOR % name, text)]


def role_number_problems(options, table):
    """How the descriptions of roles' variables (``options``: an argument spec's) differ from the table's numbers."""
    problems = []
    for variable, entry in sorted(options.items()):
        name = next((name for name in table if variable.endswith("_" + name)), None)
        if name is None:
            continue
        text = " ".join(entry.get("description") or [])
        for sentence in re.findall(r"From V\([^)]*\) to V\([^)]*\)\.", text):
            if sentence != arguments.bounds_sentence(table[name]):
                problems.append("%s says %r, the table %r" % (variable, sentence, arguments.bounds_sentence(table[name])))
        for default in re.findall(r"the module uses (V\([^)]*\))", text):
            if default != shown(table[name]["default"]):
                problems.append("%s says the default is %s, the table %s" % (variable, default, shown(table[name]["default"])))
    return problems


def test_the_numeric_options_are_timeout_and_retries():
    assert sorted(NUMERIC_OPTIONS) == ["retries", "timeout"]
    assert all("default" in option and "bounds" in option for option in NUMERIC_OPTIONS.values())


def test_no_code_restates_a_default_or_bound_of_the_option_table():
    """The code reads defaults and bounds from arguments.py (DEFAULT_TIMEOUT...); the doc fragments and the README
    are generated from it (test_generated_fragments, test_render_doc_fragment)."""
    restated = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        if path.name == "arguments.py" or "doc_fragments" in path.parts:
            continue
        found = numbers_restated(path.read_text(encoding="utf-8"), NUMERIC_OPTIONS)
        restated.extend("%s: %s=%s" % (path.relative_to(ROOT), name, number) for name, number in found)
    assert restated == []


def test_the_scan_finds_a_restated_number():
    code = 'Transport(s, r, timeout=30, retries=3)\nparams.get("retries", 3)\n{"timeout": 12.5}\nself.timeout = timeout\n'
    assert sorted(numbers_restated(code, NUMERIC_OPTIONS)) == [("retries", "3"), ("retries", "3"), ("timeout", "12.5"), ("timeout", "30")]


@pytest.mark.parametrize("role", sorted(path.name for path in (ROOT / "roles").iterdir()))
def test_the_roles_give_the_defaults_and_bounds_of_the_option_table(role):
    with open(str(ROOT / "roles" / role / "meta" / "argument_specs.yml"), encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    assert [name for name in options if name.endswith(("_timeout", "_retries"))]
    assert role_number_problems(options, NUMERIC_OPTIONS) == []


def test_a_role_with_other_numbers_is_caught():
    options = {"x_timeout": {"description": ["Seconds. From V(1) to V(600). When undefined, the module uses V(60)."]},
               "x_retries": {"description": ["Tries. From V(0) to V(10). When undefined, the module uses V(3)."]}}
    assert role_number_problems(options, NUMERIC_OPTIONS) == [
        "x_timeout says 'From V(1) to V(600).', the table 'From V(1) to V(3600).'",
        "x_timeout says the default is V(60), the table V(30)",
    ]


def guide_number_problems(text, table):
    """How the numbers a guide gives for options (``timeout`` is 1 to 3,600; with the defaults, ``timeout: 30``)
    differ from the table's."""
    problems = []
    for name, option in sorted(table.items()):
        for low, high in re.findall(r"``%s``(?: is)? ([0-9][0-9,.]*) to ([0-9][0-9,.]*)" % name, text):
            if tuple(float(value.replace(",", "")) for value in (low, high)) != tuple(map(float, option["bounds"])):
                problems.append("%s is %s to %s, the table %s" % (name, low, high, option["bounds"]))
        for sentence in re.findall(r"[^.]*\bdefaults?\b[^.]*", text):
            for value in re.findall(r"``%s: ([0-9][0-9.]*)``" % name, sentence):
                if float(value) != float(option["default"]):
                    problems.append("%s: %s by default, the table %s" % (name, value, option["default"]))
    return problems


@pytest.mark.parametrize("guide", sorted(path.name for path in (ROOT / "docs" / "docsite" / "rst").glob("*.rst")))
def test_the_guides_give_the_defaults_and_bounds_of_the_option_table(guide):
    text = re.sub(r"\s+", " ", (ROOT / "docs" / "docsite" / "rst" / guide).read_text(encoding="utf-8"))
    assert guide_number_problems(text, NUMERIC_OPTIONS) == []


def test_a_guide_with_other_numbers_is_caught():
    text = ("``timeout`` is 1 to 600 s and ``retries`` 0 to 10. With the defaults, ``timeout: 60`` and ``retries: 3``,"
            " a task waits. Set ``timeout: 90`` for a slow proxy.")
    assert guide_number_problems(text, NUMERIC_OPTIONS) == ["timeout is 1 to 600, the table (1, 3600)",
                                                            "timeout: 60 by default, the table 30"]
    assert "reliability_guide.rst" in [path.name for path in (ROOT / "docs" / "docsite" / "rst").glob("*.rst")]
    reliability = (ROOT / "docs" / "docsite" / "rst" / "reliability_guide.rst").read_text(encoding="utf-8")
    assert guide_number_problems(re.sub(r"\s+", " ", reliability).replace("3,600", "600"), NUMERIC_OPTIONS)
