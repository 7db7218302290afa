# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The role databricks_connection restates the module's option table: it must restate it faithfully.

plugins/module_utils/arguments.py is the table. The role restates it in meta/argument_specs.yml (a variable per
option: its type, choices, default, secrecy, and in its description the option's environment variable),
vars/main.yml (which variable sets which option; the secret ones), defaults/main.yml and the arguments of the
module's task in tasks/main.yml. ``role_problems`` names every difference; the real files must have none, and each
kind of drift (a type, a no_log flag, a choice, a default, an environment variable) must be caught.
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
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ValidationError

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
        "vars": load("vars", "main.yml"),
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


def role_problems(table, files):
    """Every way the role's files differ from the option table ``table``; [] when they restate it faithfully."""
    problems = []
    main = files["spec"]["argument_specs"]["main"]
    options = main["options"]
    variables = files["vars"]["databricks_connection__variables"]

    # One role variable per option of the module, and one option per role variable.
    if sorted(variables) != sorted(table):
        problems.append("vars/main.yml maps the options %s, the module has %s" % (sorted(variables), sorted(table)))
    if sorted(variables.values()) != sorted(options):
        problems.append("vars/main.yml maps to %s, meta/argument_specs.yml has %s" % (sorted(variables.values()), sorted(options)))
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
        if bool(have.get("required")) != bool(want.get("required")):
            problems.append("%s: required %s, the module's is %s" % (where, bool(have.get("required")), bool(want.get("required"))))
        if "default" in have:
            if "default" not in want or have["default"] != want["default"]:
                problems.append("%s: default %r, the module's is %r" % (where, have["default"], want.get("default")))
        elif "default" in want and shown(want["default"]) not in text:
            problems.append("%s: its description does not give the module's default %s" % (where, shown(want["default"])))
        named = sorted(set(ENV.findall(text)))
        if named != ([want["env"]] if "env" in want else []):
            problems.append("%s: its description names the environment variables %s, the module reads %s"
                            % (where, named, want.get("env")))
        if want.get("needed") and "Required" not in text:
            problems.append("%s: its description does not say that the value is required (here or in %s)" % (where, want["env"]))

    everywhere = sorted(set(option["env"] for option in table.values() if "env" in option))
    described = sorted(set(ENV.findall(" ".join(main["description"]))))
    if described != everywhere:
        problems.append("the role's description names the environment variables %s, the module reads %s" % (described, everywhere))

    secrets = sorted(variables[option] for option in variables if option in table and table[option].get("no_log"))
    if sorted(files["vars"]["databricks_connection__secrets"]) != secrets:
        problems.append("vars/main.yml lists the secrets %s, the module's no_log options are set by %s"
                        % (sorted(files["vars"]["databricks_connection__secrets"]), secrets))

    defaults = dict((name, option["default"]) for name, option in options.items() if "default" in option)
    if files["defaults"] != defaults:
        problems.append("defaults/main.yml is %s, meta/argument_specs.yml's defaults are %s" % (files["defaults"], defaults))

    task = module_task(files["tasks"])
    arguments = task[MODULE]
    if sorted(arguments) != sorted(variables):
        problems.append("the module's task passes %s, vars/main.yml maps %s" % (sorted(arguments), sorted(variables)))
    for option, value in sorted(arguments.items()):
        variable = variables.get(option)
        # Left out when undefined, unless the role always has a value (a default, or required).
        optional = variable in options and not ("default" in options[variable] or options[variable].get("required"))
        expected = "{{ %s%s }}" % (variable, " | default(omit)" if optional else "")
        if value != expected:
            problems.append("the module's task passes %s: %r, not %r" % (option, value, expected))
    if task.get("no_log") is not True:
        problems.append("the module's task is not no_log")

    secret_variables = set(files["vars"]["databricks_connection__secrets"])
    for other in files["tasks"]:
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


def test_what_the_role_reads_of_the_module_result_is_what_the_module_promises():
    """The role tells a refusal of the arguments by its first words, and the change by created and secret_updated."""
    text = (ROLE / "tasks" / "main.yml").read_text(encoding="utf-8")
    refusal = ValidationError(["client_secret is required"]).msg
    assert refusal.startswith("Invalid arguments: ") and "is match('Invalid arguments: ')" in text
    source = (ROOT / "plugins" / "modules" / "reltio_databricks_connection.py").read_text(encoding="utf-8")
    returned = yaml.safe_load(source.split('RETURN = r"""', 1)[1].split('"""', 1)[0])
    for key in ("created", "secret_updated", "msg"):
        assert returned[key]["returned"] == "always", key
        assert "databricks_connection__outcome.%s" % key in text, key


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
    "an environment variable": (_table(lambda t: t["client_secret"].update(env="DATABRICKS_SECRET")),
                                "the module reads DATABRICKS_SECRET"),
    "a new environment variable": (_table(lambda t: t["preflight"].update(env="DATABRICKS_PREFLIGHT")),
                                   "the module reads DATABRICKS_PREFLIGHT"),
    "a new option": (_table(lambda t: t.update(warehouse_name={"type": "str", "description": ["x"]})), "the module has"),
    "a required option": (_table(lambda t: t["warehouse_id"].update(required=True)), "required False, the module's is True"),
    # The role's files change on their own.
    "a role type": (_files(lambda f: _options(f)["databricks_connection_timeout"].update(type="int")), "type int, the module's is float"),
    "a role secret shown": (_files(lambda f: _options(f)["databricks_connection_client_secret"].pop("no_log")), "no_log False"),
    "a role default": (_files(lambda f: _options(f)["databricks_connection_preflight"].update(default=True)), "default True"),
    "a defaults file": (_files(lambda f: f["defaults"].update(databricks_connection_test=True)), "defaults/main.yml is"),
    "a role env name": (_files(lambda f: _options(f)["databricks_connection_warehouse_id"]["description"].append("Or E(WAREHOUSE).")),
                        "names the environment variables ['DATABRICKS_WAREHOUSE_ID', 'WAREHOUSE']"),
    "the variable map": (_files(lambda f: f["vars"]["databricks_connection__variables"].update(client_id="databricks_connection_client_secret")),
                         "vars/main.yml maps to"),
    "the secret list": (_files(lambda f: f["vars"]["databricks_connection__secrets"].remove("databricks_connection_access_token")),
                        "vars/main.yml lists the secrets"),
    "a task argument": (_files(lambda f: module_task(f["tasks"])[MODULE].update(client_id="{{ databricks_connection_client_secret }}")),
                        "passes client_id"),
    "a lost argument": (_files(lambda f: module_task(f["tasks"])[MODULE].pop("preflight")), "the module's task passes"),
    "no_log dropped": (_files(lambda f: module_task(f["tasks"]).pop("no_log")), "the module's task is not no_log"),
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
