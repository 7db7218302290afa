# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: how long each task took, from its start to its last host result.

Appends one JSON line per task to the file named by $RELTIO_BENCH_TIMES, so the benchmark
times the tasks themselves and not ansible-playbook's start-up.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: Time each task for the reltio.platform benchmark
description:
  - Appends one JSON line per task (name, seconds, results) to the file named by E(RELTIO_BENCH_TIMES).
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._task = None
        self._started = 0.0
        self._last = 0.0
        self._results = 0
        self._failed = 0

    def _flush(self):
        path = os.environ.get("RELTIO_BENCH_TIMES")
        if self._task is None or not path:
            return
        entry = {"task": self._task, "seconds": max(self._last - self._started, 0.0),
                 "results": self._results, "failed": self._failed}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
        self._task = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._flush()
        self._task = task.get_name()
        self._started = self._last = time.monotonic()
        self._results = self._failed = 0

    def _result(self, failed):
        self._last = time.monotonic()
        self._results += 1
        self._failed += int(failed)

    def v2_runner_on_ok(self, result):
        self._result(False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(True)

    def v2_runner_on_unreachable(self, result):
        self._result(True)

    def v2_playbook_on_stats(self, stats):
        self._flush()
