# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""README.md's options table is what tools/render_doc_fragment.py writes from the option table: run the tool after
editing plugins/module_utils/arguments.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import pathlib

import render_doc_fragment  # tools/render_doc_fragment.py (tools/ is on sys.path: tests/conftest.py)
from ansible_collections.reltio.platform.plugins.module_utils import arguments

ROOT = pathlib.Path(__file__).resolve().parents[3]
HINT = "README.md's options table is stale: run tools/render_doc_fragment.py"


def test_readme_table_is_what_the_tool_writes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_doc_fragment.readme_with_options(readme, arguments) == readme, HINT


def test_the_table_says_what_ansible_doc_says():
    """Every option once, its variable, its default, and "Required" in the words of ansible-doc."""
    table = render_doc_fragment.options_table(arguments)
    options = dict(arguments.CONNECTION_OPTIONS, **arguments.DATABRICKS_CONNECTION_OPTIONS)
    rows = table.splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == list(options)
    for row, (name, option) in zip(rows, options.items()):
        if "env" in option:
            assert "| `%s` |" % option["env"] in row, name
        if option.get("required") and "env" in option:
            assert "Required: set it here or in the `%s` environment variable." % option["env"] in row, name
        assert ("Required." in row) == bool(option.get("required") and "env" not in option), name
        assert ("(secret)" in row) == bool(option.get("no_log")), name


def test_a_changed_option_changes_the_readme(monkeypatch):
    """The test above fails when the table changes and the README does not."""
    tool = render_doc_fragment
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    changed = copy.deepcopy(arguments.DATABRICKS_CONNECTION_OPTIONS)
    changed["warehouse_id"]["env"] = "DATABRICKS_WAREHOUSE"
    monkeypatch.setattr(arguments, "DATABRICKS_CONNECTION_OPTIONS", changed)
    assert tool.readme_with_options(readme, arguments) != readme
