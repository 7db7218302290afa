# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The role databricks_connection restates the module's option table: it must restate it faithfully.

plugins/module_utils/arguments.py is the table. The role restates it in meta/argument_specs.yml (a variable per
option: its type, choices, default, secrecy, and in its description the option's environment variable),
defaults/main.yml and the arguments of the module's task in tasks/main.yml (which variable sets which option).
Where each comes from is role_inputs.FROM_ENVIRONMENT's rule: Reltio's credentials and URLs from a role variable or
else their RELTIO_* variable; the tenant, the connection and the Databricks side from role variables only (required
by the role's first task, never left out for the module to read DATABRICKS_* or RELTIO_TENANT_ID). ``role_problems``
names every difference; the real files must have none, and each kind of drift (a type, a no_log flag, a choice, a
default, an environment variable) must be caught.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import pathlib
import re

import pytest
import yaml

from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    AUTH_OPTIONS,
    DATABRICKS_CONNECTION_OPTIONS,
    EXECUTION_OPTIONS,
    TENANT_OPTIONS,
    bounds_sentence,
)
from ansible_collections.reltio.platform.plugins.module_utils.role_inputs import CREDENTIALS, FROM_ENVIRONMENT

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "databricks_connection"
MODULE = "reltio.platform.reltio_databricks_connection"
PREFIX = "databricks_connection_"
ENV = re.compile(r"E\(([A-Za-z0-9_]+)\)")
# A variable used in a template: {{ ... name ... }} or {% ... name ... %}.
TEMPLATE = re.compile(r"\{[{%](.*?)[}%]\}", re.S)


def module_table():
    """Every option of reltio_databricks_connection, as its argument spec is made (arguments.py)."""
    table = {}
    for part in (TENANT_OPTIONS, AUTH_OPTIONS, EXECUTION_OPTIONS, DATABRICKS_CONNECTION_OPTIONS):
        table.update(copy.deepcopy(part))
    return table


def role_files():
    def load(*path):
        with open(str(ROLE.joinpath(*path)), encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    return {
        "spec": load("meta", "argument_specs.yml"),
        "defaults": load("defaults", "main.yml"),
        "tasks": load("tasks", "main.yml"),
    }


def shown(value):
    """A default as the role's documentation shows it: V(true), V(30), V(https://...)."""
    if isinstance(value, bool):
        return "V(%s)" % str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "V(%s)" % value


def module_task(tasks):
    (task,) = [task for task in tasks if MODULE in task]
    return task


def template_names(text):
    """The names used inside the templates of a task (its text as YAML)."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(TEMPLATE.findall(text))))


def role_variables(task):
    """``{option: role variable}``: the variable each argument of the module's task is templated from."""
    variables = {}
    for option, value in task[MODULE].items():
        names = sorted(name for name in template_names(str(value)) if name.startswith(PREFIX) and not name.startswith(PREFIX + "_"))
        variables[option] = names[0] if len(names) == 1 else "%r" % value
    return variables


def role_problems(table, files):
    """Every way the role's files differ from the option table ``table``; [] when they restate it faithfully."""
    problems = []
    main = files["spec"]["argument_specs"]["main"]
    options = main["options"]
    task = module_task(files["tasks"])
    variables = role_variables(task)
    # One role variable per option of the module, and one option per role variable.
    if sorted(variables) != sorted(table):
        problems.append("the module's task passes the options %s, the module has %s" % (sorted(variables), sorted(table)))
    if sorted(variables.values()) != sorted(options):
        problems.append("the module's task passes %s, meta/argument_specs.yml has %s" % (sorted(variables.values()), sorted(options)))
    for option, variable in sorted(variables.items()):
        if not variable.startswith(PREFIX):
            problems.append("%s: %s is not a variable of the role (%s*)" % (option, variable, PREFIX))

    for option, variable in sorted(variables.items()):
        if option not in table or variable not in options:
            continue
        want, have = table[option], options[variable]
        where = "%s (option %s)" % (variable, option)
        text = " ".join(have.get("description") or [])
        if have.get("type", "str") != want["type"]:
            problems.append("%s: type %s, the module's is %s" % (where, have.get("type", "str"), want["type"]))
        if have.get("choices") != want.get("choices"):
            problems.append("%s: choices %s, the module's are %s" % (where, have.get("choices"), want.get("choices")))
        if bool(have.get("no_log")) != bool(want.get("no_log")):
            problems.append("%s: no_log %s, the module's is %s" % (where, bool(have.get("no_log")), bool(want.get("no_log"))))
        # The role's first task requires what the module needs and the role takes from its variables only: the
        # argument spec requires nothing, else a misspelt variable would fail there, unnamed (issue 26).
        if have.get("required"):
            problems.append("%s: required by the argument spec, which would not name a misspelt variable" % where)
        if want.get("required") and option not in FROM_ENVIRONMENT and not text.startswith("Required"):
            problems.append("%s: its description does not start with Required" % where)
        if "default" in have:
            if "default" not in want or have["default"] != want["default"]:
                problems.append("%s: default %r, the module's is %r" % (where, have["default"], want.get("default")))
        elif "default" in want and shown(want["default"]) not in text:
            problems.append("%s: its description does not give the module's default %s" % (where, shown(want["default"])))
        if "bounds" in want and bounds_sentence(want) not in text:
            problems.append("%s: its description does not give the module's bounds %s" % (where, bounds_sentence(want)))
        named = sorted(set(ENV.findall(text)))
        if named != ([want["env"]] if "env" in want else []):
            problems.append("%s: its description names the environment variables %s, the module's is %s"
                            % (where, named, want.get("env")))
        if "env" in want and option not in FROM_ENVIRONMENT and "Never read from E(%s)" % want["env"] not in text:
            problems.append("%s: its description does not say that it is never read from %s" % (where, want["env"]))
        if want.get("required") and option in FROM_ENVIRONMENT and "Required" not in text and "role fails" not in text:
            problems.append("%s: its description does not say that the value is required (here or in %s)" % (where, want["env"]))

    read = sorted(set(option["env"] for option in table.values() if "env" in option))
    described = sorted(set(ENV.findall(" ".join(main["description"]))))
    if described != read:
        problems.append("the role's description names the environment variables %s, the module's are %s" % (described, read))

    defaults = dict((name, option["default"]) for name, option in options.items() if "default" in option)
    if files["defaults"] != defaults:
        problems.append("defaults/main.yml is %s, meta/argument_specs.yml's defaults are %s" % (files["defaults"], defaults))

    for option, value in sorted(task[MODULE].items()):
        variable = variables.get(option)
        # Left out when undefined, unless the role always has a value (a default, or one its first task requires);
        # Reltio's credentials
        # are one set, left out only when none is given (role_inputs.CREDENTIALS).
        role_only = table.get(option, {}).get("required") and option not in FROM_ENVIRONMENT
        optional = variable in options and not ("default" in options[variable] or role_only)
        left_out = " | default(databricks_connection__credentials)" if option in CREDENTIALS else " | default(omit)"
        expected = "{{ %s%s }}" % (variable, left_out if optional else "")
        if value != expected:
            problems.append("the module's task passes %s: %r, not %r" % (option, value, expected))
    if "no_log" in task:
        problems.append("the module's task sets no_log: the module's own no_log options mask the secrets, and a no_log"
                        " task hides the module's message on ansible-core 2.16")

    secret_variables = set(variables[option] for option in variables if table.get(option, {}).get("no_log"))
    for other in files["tasks"]:
        if other is task:
            continue
        used = template_names(yaml.safe_dump(other)) & secret_variables
        if used and other.get("no_log") is not True:
            problems.append("the task %r uses the secrets %s without no_log" % (other.get("name"), sorted(used)))
    return problems


def test_the_role_restates_the_option_table_faithfully():
    assert role_problems(module_table(), role_files()) == []


def test_every_variable_of_the_spec_is_documented_and_the_preflight_is_there():
    options = role_files()["spec"]["argument_specs"]["main"]["options"]
    assert options["databricks_connection_preflight"]["type"] == "bool"
    assert options["databricks_connection_preflight"]["default"] is False
    for name, option in options.items():
        assert option.get("description"), name


def test_the_role_registers_the_module_result_as_documented():
    """The role hands on the module's result as it is, under the name its documentation gives."""
    files = role_files()
    assert module_task(files["tasks"])["register"] == "databricks_connection_result"
    assert "C(databricks_connection_result)" in " ".join(files["spec"]["argument_specs"]["main"]["description"])
    text = (ROLE / "tasks" / "main.yml").read_text(encoding="utf-8")
    assert "failed_when" not in text and "changed_when" not in text and "regex_replace" not in text


def _table(change):
    def breakage(table, files):
        change(table)

    return breakage


def _files(change):
    def breakage(table, files):
        change(files)

    return breakage


def _options(files):
    return files["spec"]["argument_specs"]["main"]["options"]


DRIFTS = {
    # The table changes, the role does not follow.
    "a type": (_table(lambda t: t["retries"].update(type="float")), "databricks_connection_retries (option retries): type int"),
    "a no_log flag": (_table(lambda t: t["client_id"].update(no_log=True)), "no_log False, the module's is True"),
    "a secret no more": (_table(lambda t: t["access_token"].pop("no_log")), "databricks_connection_access_token (option access_token): no_log True"),
    "a choice": (_table(lambda t: t["update_secret"]["choices"].append("never")), "choices ['on_create', 'always']"),
    "a default": (_table(lambda t: t["test_connection"].update(default=True)), "default False, the module's is True"),
    "an undocumented default": (_table(lambda t: t["timeout"].update(default=60)), "does not give the module's default V(60)"),
    "undocumented bounds": (_table(lambda t: t["timeout"].update(bounds=(1, 600))), "does not give the module's bounds From V(1) to V(600)."),
    "an environment variable": (_table(lambda t: t["workspace_url"].update(env="DATABRICKS_WORKSPACE")),
                                "the module's is DATABRICKS_WORKSPACE"),
    "a new environment variable": (_table(lambda t: t["preflight"].update(env="DATABRICKS_PREFLIGHT")),
                                   "the module's is DATABRICKS_PREFLIGHT"),
    "a new option": (_table(lambda t: t.update(warehouse_name={"type": "str", "description": ["x"]})), "the module has"),
    "a required option": (_table(lambda t: t["timeout"].update(required=True)), "timeout): its description does not start"),
    "a secret no more said required": (_files(lambda f: _options(f)["databricks_connection_client_secret"].update(
        description=["The secret."])), "client_secret): its description does not start with Required"),
    "required by the argument spec": (_files(lambda f: _options(f)["databricks_connection_name"].update(required=True)),
                                      "required by the argument spec"),
    "the Databricks secret read from the environment": (_files(lambda f: module_task(f["tasks"])[MODULE].update(
        client_secret="{{ databricks_connection_client_secret | default(omit) }}")), "passes client_secret"),
    "the tenant's variable not disowned": (_files(lambda f: _options(f)["databricks_connection_tenant_id"].update(
        description=["ID of the tenant, or E(RELTIO_TENANT_ID)."])), "never read from RELTIO_TENANT_ID"),
    "a Reltio secret no more from the environment": (_files(lambda f: module_task(f["tasks"])[MODULE].update(
        access_token="{{ databricks_connection_access_token | default('') }}")), "passes access_token"),
    "a Reltio secret from the environment beside the role's": (_files(lambda f: module_task(f["tasks"])[MODULE].update(
        reltio_client_id="{{ databricks_connection_reltio_client_id | default(omit) }}")), "passes reltio_client_id"),
    # The role's files change on their own.
    "a role type": (_files(lambda f: _options(f)["databricks_connection_timeout"].update(type="int")), "type int, the module's is float"),
    "a role secret shown": (_files(lambda f: _options(f)["databricks_connection_client_secret"].pop("no_log")), "no_log False"),
    "a role default": (_files(lambda f: _options(f)["databricks_connection_preflight"].update(default=True)), "default True"),
    "a defaults file": (_files(lambda f: f["defaults"].update(databricks_connection_test=True)), "defaults/main.yml is"),
    "a role env name": (_files(lambda f: _options(f)["databricks_connection_warehouse_id"]["description"].append("Or E(WAREHOUSE).")),
                        "names the environment variables ['DATABRICKS_WAREHOUSE_ID', 'WAREHOUSE']"),
    "the variable map": (_files(lambda f: module_task(f["tasks"])[MODULE].update(client_id="{{ databricks_connection_client_secret }}")),
                         "the module's task passes ["),
    "a task argument": (_files(lambda f: module_task(f["tasks"])[MODULE].update(timeout="{{ databricks_connection_timeout }}")),
                        "passes timeout"),
    "a lost argument": (_files(lambda f: module_task(f["tasks"])[MODULE].pop("preflight")), "the module's task passes"),
    "no_log added": (_files(lambda f: module_task(f["tasks"]).update(no_log=True)), "the module's task sets no_log"),
    "a secret in a shown task": (_files(lambda f: f["tasks"].append({"name": "show", "ansible.builtin.debug": {
        "msg": "{{ databricks_connection_reltio_client_secret | length }}"}})), "uses the secrets ['databricks_connection_reltio_client_secret']"),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_each_kind_of_drift_is_caught(drift):
    breakage, expected = DRIFTS[drift]
    table, files = module_table(), role_files()
    breakage(table, files)
    problems = role_problems(table, files)
    assert any(expected in problem for problem in problems), problems
