# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a new user reads first names every module and role there is (issue 26, "the first hour, again")."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "meta" / "argument_specs.yml").is_file())
WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def words(path):
    return re.sub(r"\s+", " ", (ROOT / path).read_text(encoding="utf-8"))


def test_the_readme_names_ansible_doc_for_every_module_and_role():
    readme = words("README.md")
    for module in MODULES:
        assert "`ansible-doc reltio.platform.%s`" % module in readme, module
    for role in ROLES:
        assert "`ansible-doc -t role reltio.platform.%s`" % role in readme, role


def test_the_usage_guide_counts_the_modules_and_names_the_roles():
    guide = words("docs/docsite/rst/usage_guide.rst")
    assert "The collection has %s modules" % WORDS[len(MODULES)] in guide
    for name in MODULES + ROLES:
        assert "reltio.platform.%s " % name in guide, name


def test_the_emulator_guide_runs_the_vault_guides_play_with_preflight_off():
    """The vault guide's play sets databricks_connection_preflight: true, for a workspace the emulator does not serve."""
    assert "databricks_connection_preflight: true" in words("docs/docsite/rst/vault_guide.rst")
    emulator = words("docs/docsite/rst/emulator_guide.rst")
    assert "-e databricks_connection_preflight=false" in emulator.split("single-tenant play of", 1)[1][:600]
