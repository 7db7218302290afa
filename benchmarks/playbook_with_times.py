# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook, which also writes the CPU seconds it used to $RELTIO_BENCH_CPU when it exits.

Benchmark-only: ``python benchmarks/playbook_with_times.py ARGS`` is ``ansible-playbook ARGS``, and the JSON file
named by RELTIO_BENCH_CPU then holds ``{"parent": s, "workers": s, "parent_peak_mib": m}``: the CPU (user + system)
of the controller process itself (strategy, variables, callbacks, forking) and of the worker processes it forked
(the tasks), and the peak resident memory of the controller process.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import sys


def _write_times():
    path = os.environ.get("RELTIO_BENCH_CPU")
    if not path:
        return
    times = os.times()
    # Linux gives the peak resident size in KiB.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"parent": times.user + times.system, "workers": times.children_user + times.children_system,
                   "parent_peak_mib": peak}, handle)


def main():
    atexit.register(_write_times)
    from ansible.cli.playbook import main as playbook_main  # pylint: disable=import-outside-toplevel

    sys.argv = ["ansible-playbook"] + sys.argv[1:]
    playbook_main()


if __name__ == "__main__":
    main()
