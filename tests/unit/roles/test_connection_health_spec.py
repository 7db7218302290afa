# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The role connection_health reads the variables of the role databricks_connection: the same way, and documented.

Its argument spec must agree with databricks_connection's on each shared variable (type, choices, secrecy,
requirement); its module task must pass each variable to its option as databricks_connection's module task does, word for word;
every advice of vars/main.yml must be in the troubleshooting guide, in the same words.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import re

import yaml

from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_INFO_OPTIONS, CONNECTION_OPTIONS

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "connection_health"
OTHER = ROOT / "roles" / "databricks_connection"
MODULE = "reltio.platform.reltio_databricks_connection_info"
GUIDE = ROOT / "docs" / "docsite" / "rst" / "troubleshooting_guide.rst"
KEYS = ("type", "choices", "no_log", "required")


def load(*path):
    with open(str(pathlib.Path(*path)), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def spec(role):
    return load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def words(text):
    return re.sub(r"\s+", " ", text).strip()


def test_shared_variables_agree_with_databricks_connection():
    mine, theirs = spec(ROLE), spec(OTHER)
    shared = [name for name in mine if name.startswith("databricks_connection_")]
    assert shared
    for name in shared:
        assert name in theirs, name
        # A host of connection_health_connections (a lane) has no connection name of its own.
        keys = [key for key in KEYS if not (name == "databricks_connection_name" and key == "required")]
        assert dict((key, mine[name].get(key)) for key in keys) == dict((key, theirs[name].get(key)) for key in keys), name
    assert theirs["databricks_connection_name"]["required"] is True and "required" not in mine["databricks_connection_name"]


def test_own_variables_have_defaults_that_match_defaults_main():
    defaults = load(ROLE, "defaults", "main.yml")
    own = dict((name, option) for name, option in spec(ROLE).items() if name.startswith("connection_health_"))
    assert set(defaults) == {"connection_health_report_dir", "connection_health_fail_on_unhealthy", "connection_health_report_mode"}
    # The list of connections has no default: a host without one checks its own connection.
    assert set(own) == set(defaults) | {"connection_health_connections"}
    for name in defaults:
        assert own[name]["default"] == defaults[name], name
    assert "default" not in own["connection_health_connections"]
    assert own["connection_health_fail_on_unhealthy"]["default"] is True
    assert own["connection_health_report_mode"]["default"] == "0600"


def test_the_module_task_passes_each_variable_to_its_option():
    tasks = load(ROLE, "tasks", "main.yml")
    (task,) = [task for task in tasks if MODULE in task]
    (shared_options,) = [task for task in tasks if "connection_health__options" in task.get("ansible.builtin.set_fact", {})]
    (theirs,) = [task for task in load(OTHER, "tasks", "main.yml") if "reltio.platform.reltio_databricks_connection" in task]
    their_arguments = theirs["reltio.platform.reltio_databricks_connection"]
    # The options every check of a host shares are templated once a host: 'option': variable | default(...).
    template = shared_options["ansible.builtin.set_fact"]["connection_health__options"]
    shared = dict(re.findall(r"'(\w+)': (\w+ \| default\([^)]*\))", template))
    assert task["module_defaults"] == {MODULE: "{{ connection_health__options }}"}
    assert shared_options["no_log"] is True
    # An entry of connection_health_connections (item) comes first for the connection's own three options.
    arguments = dict(task[MODULE])
    for option, value in arguments.items():
        assert value.startswith("{{ item.%s | default(" % option), (option, value)
        value = value.replace("item.%s | default(" % option, "", 1).replace(")", "", 1)
        arguments[option] = value.replace(" | default('')", "") if option == "connection_name" else value
    assert set(arguments) == {"platform_url", "tenant_id", "connection_name"} and not set(arguments) & set(shared)
    assert set(arguments) | set(shared) <= set(CONNECTION_OPTIONS) | set(CONNECTION_INFO_OPTIONS)
    # The same variable, with the same default (none, left out, for omit; secrets never from the environment).
    for option, value in shared.items():
        arguments[option] = "{{ %s }}" % value.replace("default(none)", "default(omit)")
    for option, value in arguments.items():
        assert value == their_arguments[option], (option, value)
    assert task["loop"] == "{{ connection_health_connections | default([{}]) }}"
    # Every variable of the spec reaches the module.
    variables = set(name for name in spec(ROLE) if name.startswith("databricks_connection_"))
    assert variables == set(re.search(r"\{\{ (\w+)", value).group(1) for value in arguments.values())
    assert task["no_log"] is True


def test_every_advice_is_in_the_troubleshooting_guide():
    advice = load(ROLE, "vars", "main.yml")
    guide = words(GUIDE.read_text(encoding="utf-8"))
    section = guide.split("Connection health ---")[1]
    texts = [rule["advice"] for rule in advice["connection_health__advice"]]
    texts.append(advice["connection_health__not_run"]["what_to_do"])
    for text in texts:
        assert words(text) in section, text
    for rule in advice["connection_health__advice"]:
        for part in rule.get("match", "").split("|") if "match" in rule else ():
            assert "``%s``" % part in section, part


def test_each_status_has_a_last_resort_advice():
    rules = load(ROLE, "vars", "main.yml")["connection_health__advice"]
    for status in ("healthy", "failing", "missing", "error"):
        (last,) = [rule for rule in rules if rule["status"] == status][-1:]
        assert "match" not in last, status
        assert [rule for rule in rules if rule["status"] == status and "match" not in rule] == [last], status
