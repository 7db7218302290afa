#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point of the local Reltio emulator: ``python3 tools/reltio_emulator.py --port 0 --port-file F --token T``.

The emulator is the package ``emulator`` in tools/emulator/; its documentation (the options, the control API
under ``/_emulator/``, the Databricks workspace listener) is the docstring of tools/emulator/__init__.py.
This file puts its own folder on ``sys.path`` and runs :func:`emulator.main`, so it works the same from a
clone and from an installed collection (``ansible_collections/reltio/platform/tools/reltio_emulator.py``).
Run it with ``--help`` for the options.
"""

from __future__ import annotations

import os
import sys

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

# Re-exported for code that still loads this file by its path.
from emulator import EmulatorConfig, ReltioEmulator, main, route_path  # noqa: E402  pylint: disable=wrong-import-position

__all__ = ['EmulatorConfig', 'ReltioEmulator', 'main', 'route_path']

if __name__ == '__main__':
    sys.exit(main())
