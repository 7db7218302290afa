# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Other releases of requests and urllib3 in folders for PYTHONPATH: the RHEL 9 lines, requests 2.31.

Each folder holds the packages of tests/libraries/<name>.txt, installed before the tests by ``make
python-libraries`` (a part of ``make pytest``): no test installs anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def library_folder(name):
    """The folder of tests/libraries/``name``.txt, for PYTHONPATH; the test fails when make has not built it."""
    folder = ROOT / ".build" / "libraries" / name
    wanted = (ROOT / "tests" / "libraries" / ("%s.txt" % name)).read_text(encoding="utf-8")
    built = folder / ".complete"
    if not built.exists() or built.read_text(encoding="utf-8") != wanted:
        pytest.fail("%s does not hold tests/libraries/%s.txt: run `make python-libraries`" % (folder, name))
    return folder
