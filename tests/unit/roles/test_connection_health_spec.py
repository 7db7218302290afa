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

from ansible_collections.reltio.platform.plugins.module_utils.reasons import REASON_CODES, REASONS
from ansible_collections.reltio.platform.plugins.module_utils.role_inputs import CREDENTIALS, FROM_ENVIRONMENT

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
        assert dict((key, mine[name].get(key)) for key in KEYS) == dict((key, theirs[name].get(key)) for key in KEYS), name
    # Nothing is required by the spec: the role's check task names a missing variable, or a misspelt one, itself (and
    # a host of connection_health_connections, a lane, has no tenant or connection of its own).
    assert "required" not in theirs["databricks_connection_name"] and "required" not in mine["databricks_connection_name"]


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
    their_variables = dict((option, re.search(r"\{\{ (\w+)", value).group(1))
                           for option, value in theirs["reltio.platform.reltio_databricks_connection"].items())
    # The options every check of a host shares are templated once a host: 'option': variable | default(...).
    template = shared_options["ansible.builtin.set_fact"]["connection_health__options"]
    shared = dict((option, (variable, default)) for option, variable, default in
                  re.findall(r"'(\w+)': (\w+) \| default\((\w*)\)", template))
    assert task["module_defaults"] == {MODULE: "{{ connection_health__options }}"}
    assert shared_options["no_log"] is True
    # The Databricks side, for a preflight the role does not run, is passed blank: never read from DATABRICKS_*.
    assert sorted(re.findall(r"'(\w+)': ''", template)) == ["client_id", "client_secret", "warehouse_id", "workspace_url"]
    # Reltio's credentials are one set (blank when a role variable gives any, else left out); the rest is left out
    # when undefined (none), so that the module reads its RELTIO_* variable (role_inputs.FROM_ENVIRONMENT).
    assert sorted(option for option, (_variable, default) in shared.items() if default == "credentials") == sorted(CREDENTIALS)
    assert set(default for option, (_variable, default) in shared.items() if option not in CREDENTIALS) == {"none"}
    assert set(shared) == set(FROM_ENVIRONMENT + ("validate_certs", "ca_path", "timeout", "retries")) - {"platform_url"}
    # The connection's own three options, for which an entry of connection_health_connections (the module's
    # connections) stands in; the tenant and the connection never come from the environment (blank, not left out).
    own = {}
    arguments = dict(task[MODULE])
    assert arguments.pop("connections") == "{{ connection_health_connections | default([{}]) }}"
    for option, value in arguments.items():
        found = re.match(r"\{\{ (\w+) \| default\((omit|'')\) \}\}$", value)
        assert found, (option, value)
        own[option] = found.group(1)
        assert found.group(2) == ("omit" if option in FROM_ENVIRONMENT else "''"), (option, value)
    assert set(own) == {"platform_url", "tenant_id", "connection_name"}
    passed = dict(own, **dict((option, variable) for option, (variable, _default) in shared.items()))
    # The same variable for each option as databricks_connection.
    for option, variable in passed.items():
        assert variable == their_variables[option], (option, variable)
    # One task a host, over its whole list: no loop of tasks.
    assert "loop" not in task
    # Every variable of the spec reaches the module.
    assert set(name for name in spec(ROLE) if name.startswith("databricks_connection_")) == set(passed.values())
    assert task["no_log"] is True


def guide_rows():
    """``{reason_code: (what it means, what to do)}`` of the troubleshooting guide's table, its words on one line (the
    last row runs on into the paragraph after the table)."""
    section = GUIDE.read_text(encoding="utf-8").split("Connection health\n-----------------")[1]
    rows = {}
    for row in re.split(r"\n   \* - ", section)[2:]:
        code, meaning, advice = (words(cell) for cell in re.split(r"\n     - ", row))
        rows[code.strip("`")] = (meaning, advice)
    return rows


def test_every_reason_code_has_its_advice_and_the_guide_says_both():
    """Issue 26: what to do is looked up by reason_code, one entry per code of the closed set, as the guide says."""
    advice = load(ROLE, "vars", "main.yml")["connection_health__advice"]
    assert set(advice) == set(REASON_CODES)
    rows = guide_rows()
    assert list(rows) == list(REASON_CODES)
    for code in REASON_CODES:
        meaning, what_to_do = rows[code]
        assert meaning == words(REASONS[code]), code
        if isinstance(advice[code], dict):
            # An advice by the option whose URL failed: the guide says each, after its option.
            for option, said in advice[code].items():
                assert "``%s``: %s" % (option, words(said)) in what_to_do, (code, option)
        else:
            assert what_to_do.startswith(words(advice[code])), code
    not_run = load(ROLE, "vars", "main.yml")["connection_health__not_run"]
    assert not_run["reason_code"] == "not_checked"
    guide = words(GUIDE.read_text(encoding="utf-8"))
    assert words(not_run["message"]) in guide


def test_no_sentence_of_the_advice_is_said_by_the_reason_of_a_404():
    """Issue 27: the row of a missing connection said its advice twice (the module's message, and the role's)."""
    advice = load(ROLE, "vars", "main.yml")["connection_health__advice"]
    for code in ("connection_not_found", "tenant_not_found"):
        assert words(advice[code]).startswith("Check "), code


def test_unreachable_advice_names_the_option_whose_url_failed():
    """Issue 26 (a finding in connection_health): an unreachable auth_url was told to check the platform URL."""
    unreachable = load(ROLE, "vars", "main.yml")["connection_health__advice"]["unreachable"]
    assert set(unreachable) == {"platform_url", "auth_url"}
    assert "databricks_connection_auth_url" in unreachable["auth_url"] and "platform_url" not in unreachable["auth_url"]
    assert "databricks_connection_platform_url" in unreachable["platform_url"] and "auth_url" not in unreachable["platform_url"]


def test_the_record_looks_advice_up_by_reason_code_not_by_message():
    (record,) = [task for task in load(ROLE, "tasks", "main.yml") if task.get("name") == "Record the connection's health"]
    text = record["ansible.builtin.set_fact"]["connection_health_results"]
    assert "reltio.platform.connection_health_records(" in text and "connection_health__advice," in text
    assert "search" not in text and "match" not in text and "regex" not in text
