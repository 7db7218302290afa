# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared by the unit and integration tests: the Reltio emulator's package is importable as ``emulator``.

tools/ goes on sys.path once, here; tests ``import emulator`` or
``from emulator import ReltioEmulator, EmulatorConfig`` (tools/emulator/, see its docstring).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import sys

TOOLS = str(pathlib.Path(__file__).resolve().parents[1] / "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
