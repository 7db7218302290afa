# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Other releases of requests and urllib3, installed into a folder for PYTHONPATH: the RHEL 9 lines, requests 2.31."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import pathlib
import subprocess
import sys

RHEL9_LIBRARIES = pathlib.Path(__file__).resolve().parents[1] / ".build" / "rhel9-requests"


def installed_for_pythonpath(folder, *requirements):
    """``requirements`` installed (no dependencies) into ``folder`` for PYTHONPATH, once for every test process:
    the matrix lines run side by side, and a lock keeps them from installing into the same folder at once."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(str(folder) + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade", "--target",
                            str(folder)] + list(requirements), check=True, capture_output=True)
            (folder / ".complete").write_text("\n".join(requirements) + "\n")
    return folder
