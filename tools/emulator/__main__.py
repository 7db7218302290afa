# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m emulator`` (with tools/ on the path): the same as ``python tools/reltio_emulator.py``."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
