# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared by the unit and integration tests: the collection is importable as ``ansible_collections.reltio.platform``,
the Reltio emulator's package as ``emulator``, and the requests and urllib3 of RHEL 9 can be put on PYTHONPATH (the
``rhel9_libraries`` fixture).

Like ``make collection-link``: .build/collections/ansible_collections/reltio/platform points at the repository root,
and .build/collections goes on sys.path. When the tree already sits at a path ending in
ansible_collections/reltio/platform (ansible-test), that path is used as is.

tools/ goes on sys.path once, here; tests ``import emulator`` or
``from emulator import ReltioEmulator, EmulatorConfig`` (tools/emulator/, see its docstring).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pathlib
import sys

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Hypothesis keeps what it stores under .build/, not in .hypothesis/ of the work tree: tests write nowhere else.
set_hypothesis_home_dir(ROOT / ".build" / "hypothesis")
TOOLS = str(ROOT / "tools")
for folder in (TOOLS, str(ROOT / "tests")):
    if folder not in sys.path:
        sys.path.insert(0, folder)
from python_libraries import library_folder  # noqa: E402  (tests/python_libraries.py)


def _collections_dir():
    if ROOT.parts[-3:] == ("ansible_collections", "reltio", "platform"):
        return ROOT.parents[2]
    collections = ROOT / ".build" / "collections"
    link = collections / "ansible_collections" / "reltio" / "platform"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(str(link)):
            link.unlink()
        try:
            link.symlink_to(ROOT, target_is_directory=True)
        except FileExistsError:  # another test run made it meanwhile
            pass
    return collections


_COLLECTIONS = str(_collections_dir())
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)


@pytest.fixture(scope="session")
def rhel9_libraries():
    """requests 2.25.1 and urllib3 1.26.5, as RHEL 9 ships them, in a folder for PYTHONPATH."""
    return library_folder("rhel9-requests")


def pytest_collection_modifyitems(items):
    """Tests marked ``slow`` first, in their order: pytest-xdist hands tests out in this order, so that no long test
    is left running alone on one worker while the others have finished."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
