# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Each static fragment (tenant, auth, token_auth, execution, databricks_connection, token_ignored, connection_info) must
say what its option table says.

Run tools/render_doc_fragment.py after editing a table.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import pathlib
import shutil
import sys

import pytest
import render_doc_fragment  # tools/render_doc_fragment.py (tools/ is on sys.path: tests/conftest.py)
import yaml

from ansible_collections.reltio.platform.plugins.module_utils.arguments import DOC_FRAGMENTS, options_documentation

ROOT = pathlib.Path(__file__).resolve().parents[4]
HINT = "plugins/doc_fragments/ is stale: run tools/render_doc_fragment.py"
FRAGMENTS = sorted(DOC_FRAGMENTS)


def _documentation(name):
    module = importlib.import_module("ansible_collections.reltio.platform.plugins.doc_fragments.%s" % name)
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)


def test_every_option_of_every_module_comes_from_a_fragment():
    assert FRAGMENTS == ["auth", "connection_info", "databricks_connection", "execution", "tenant", "token_auth",
                         "token_ignored"]
    assert set(DOC_FRAGMENTS["tenant"]) == {"platform_url", "tenant_id"}
    assert "access_token" in DOC_FRAGMENTS["auth"] and "execution" in DOC_FRAGMENTS["execution"]
    assert {"connection_name", "client_secret", "preflight"} <= set(DOC_FRAGMENTS["databricks_connection"])
    assert {"connection_name", "preflight", "client_secret"} <= set(DOC_FRAGMENTS["connection_info"])
    for name in ("reltio_databricks_connection", "reltio_databricks_connection_info", "reltio_token"):
        text = (ROOT / "plugins" / "modules" / ("%s.py" % name)).read_text(encoding="utf-8")
        documentation = yaml.safe_load(text.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
        assert "options" not in documentation, name


def test_options_needed_from_here_or_the_environment_read_alike():
    """ansible-doc marks every option that must come from the task or its variable the same way."""
    for table in DOC_FRAGMENTS.values():
        for name, option in options_documentation(table)["options"].items():
            text = " ".join(option["description"])
            needed = text.startswith("Required") or "Required: set it here or in the E(" in text
            assert not (needed and option.get("required")), name
            if table is DOC_FRAGMENTS["token_ignored"] or option["description"][0].startswith("Accepted and ignored"):
                assert not needed and "required" not in option, name
                assert "environment variable is used" not in text, name


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_fragment_equals_option_table(fragment):
    assert _documentation(fragment) == options_documentation(DOC_FRAGMENTS[fragment]), HINT


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_fragment_documents_every_option_and_env_variable(fragment):
    table = DOC_FRAGMENTS[fragment]
    options = _documentation(fragment)["options"]
    assert set(options) == set(table)
    for name, option in table.items():
        text = " ".join(options[name]["description"])
        if "env" in option and not option.get("ignored"):
            assert "E(%s)" % option["env"] in text, name
        assert options[name]["type"] == option["type"]


def test_fragment_file_is_what_the_tool_writes(tmp_path, monkeypatch):
    """Run the tool on a copy of the table and compare, byte for byte, with the committed fragment."""
    tool = render_doc_fragment
    (tmp_path / "plugins" / "module_utils").mkdir(parents=True)
    (tmp_path / "plugins" / "doc_fragments").mkdir()
    shutil.copyfile(str(ROOT / "plugins" / "module_utils" / "arguments.py"),
                    str(tmp_path / "plugins" / "module_utils" / "arguments.py"))
    monkeypatch.setattr(tool, "ROOT", str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    saved = sys.modules.pop("arguments", None)
    try:
        tool.main()
    finally:
        sys.modules.pop("arguments", None)
        if saved is not None:
            sys.modules["arguments"] = saved
    for name in FRAGMENTS:
        rendered = (tmp_path / "plugins" / "doc_fragments" / ("%s.py" % name)).read_text(encoding="utf-8")
        committed = (ROOT / "plugins" / "doc_fragments" / ("%s.py" % name)).read_text(encoding="utf-8")
        assert rendered == committed, HINT
