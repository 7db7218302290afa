# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Make ``ansible_collections.reltio.platform`` importable from the work tree.

Like ``make collection-link``: .build/collections/ansible_collections/reltio/platform
points at the repository root, and .build/collections goes on sys.path.
When the tree already sits at a path ending in ansible_collections/reltio/platform
(ansible-test), that path is used as is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
