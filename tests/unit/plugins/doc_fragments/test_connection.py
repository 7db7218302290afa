# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The static fragment must say what the option table says: run tools/render_doc_fragment.py after editing it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import pathlib
import shutil
import sys

import yaml

from ansible_collections.reltio.platform.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_OPTIONS, options_documentation

ROOT = pathlib.Path(__file__).resolve().parents[4]
HINT = "plugins/doc_fragments/connection.py is stale: run tools/render_doc_fragment.py"


def _render_tool():
    spec = importlib.util.spec_from_file_location("render_doc_fragment", str(ROOT / "tools" / "render_doc_fragment.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fragment_equals_option_table():
    assert yaml.safe_load(ModuleDocFragment.DOCUMENTATION) == options_documentation(CONNECTION_OPTIONS), HINT


def test_fragment_documents_every_option_and_env_variable():
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(options) == set(CONNECTION_OPTIONS)
    for name, option in CONNECTION_OPTIONS.items():
        text = " ".join(options[name]["description"])
        if "env" in option:
            assert "E(%s)" % option["env"] in text, name
        assert options[name]["type"] == option["type"]


def test_fragment_file_is_what_the_tool_writes(tmp_path, monkeypatch):
    """Run the tool on a copy of the table and compare, byte for byte, with the committed fragment."""
    tool = _render_tool()
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
    rendered = (tmp_path / "plugins" / "doc_fragments" / "connection.py").read_text(encoding="utf-8")
    committed = (ROOT / "plugins" / "doc_fragments" / "connection.py").read_text(encoding="utf-8")
    assert rendered == committed, HINT
