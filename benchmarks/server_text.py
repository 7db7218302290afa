#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CPU time and memory of reading a hostile server's answer, at the size cap, through every entry point.

The bodies and entry points are those of tests/unit/plugins/module_utils/test_server_text_bounds.py (the test asserts
the bounds; this prints the figures). Run: ``.venv/bin/python benchmarks/server_text.py`` (after make collection-link).
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    sys.path[:0] = [os.path.join(ROOT, ".build", "collections"), os.path.join(ROOT, "tests", "unit")]
    from plugins.module_utils import test_server_text_bounds as bounds  # pylint: disable=import-outside-toplevel

    rows, worst = [], (0.0, 0, "", "")
    for name in sorted(bounds.BODIES):
        cpu_most, peak_most, entry_most = 0.0, 0, ""
        for entry, call in bounds.entry_points(bounds.BODIES[name]):
            cpu, peak = bounds.measured(call)[:2]
            if cpu > cpu_most:
                cpu_most, entry_most = cpu, entry
            peak_most = max(peak_most, peak)
            if cpu > worst[0]:
                worst = (cpu, peak, name, entry)
        rows.append("| %s | %s | %.3f | %.1f |" % (name, entry_most, cpu_most, peak_most / 2 ** 20))
    print("| body at the cap (%d MiB) | slowest entry point | CPU s | peak MiB of any entry point |"
          % (bounds.MAX_ANSWER_BYTES // 2 ** 20))
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))
    print("\nWorst: %.3f CPU s (%s, %s); bounds asserted by the test: %.1f CPU s, %d MiB."
          % (worst[0], worst[2], worst[3], bounds.CPU_BOUND, bounds.MEMORY_BOUND // 2 ** 20))


if __name__ == "__main__":
    main()
