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
from ansible_collections.reltio.platform.plugins.module_utils.reasons import REASON_CODES, REASONS

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


def test_own_variables_have_defaults_that_match_defaults_main():
    defaults = load(ROLE, "defaults", "main.yml")
    own = dict((name, option) for name, option in spec(ROLE).items() if name.startswith("connection_health_"))
    assert set(own) == set(defaults) == {"connection_health_report_dir", "connection_health_fail_on_unhealthy"}
    for name, option in own.items():
        assert option["default"] == defaults[name], name
    assert own["connection_health_fail_on_unhealthy"]["default"] is True


def test_the_module_task_passes_each_variable_to_its_option():
    (task,) = [task for task in load(ROLE, "tasks", "main.yml") if MODULE in task]
    (theirs,) = [task for task in load(OTHER, "tasks", "main.yml") if "reltio.platform.reltio_databricks_connection" in task]
    arguments, their_arguments = task[MODULE], theirs["reltio.platform.reltio_databricks_connection"]
    # The Databricks side, for a preflight the role does not run, is passed blank: never read from DATABRICKS_*.
    blank = sorted(option for option, value in arguments.items() if value == "")
    assert blank == ["client_id", "client_secret", "warehouse_id", "workspace_url"]
    arguments = dict((option, value) for option, value in arguments.items() if value != "")
    assert set(arguments) <= set(CONNECTION_OPTIONS) | set(CONNECTION_INFO_OPTIONS)
    # The same variable, templated the same way (role_inputs.FROM_ENVIRONMENT's rule), as databricks_connection.
    for option, value in arguments.items():
        assert value == their_arguments[option], (option, value)
    # Every variable of the spec reaches the module.
    shared = set(name for name in spec(ROLE) if name.startswith("databricks_connection_"))
    assert shared == set(re.search(r"\{\{ (\w+)", value).group(1) for value in arguments.values())
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
        assert what_to_do.startswith(words(advice[code])), code
    not_run = load(ROLE, "vars", "main.yml")["connection_health__not_run"]
    guide = words(GUIDE.read_text(encoding="utf-8"))
    assert words(not_run["message"]) in guide and words(not_run["what_to_do"]) in guide


def test_the_record_looks_advice_up_by_reason_code_not_by_message():
    (record,) = [task for task in load(ROLE, "tasks", "main.yml") if task.get("name") == "Record the connection's health"]
    text = record["ansible.builtin.set_fact"]["connection_health_result"]
    assert "connection_health__advice[record.reason_code]" in text
    assert "search" not in text and "match" not in text and "regex" not in text
