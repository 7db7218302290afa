# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: append every task result, as JSON lines, to $RELTIO_TEST_RESULTS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: reltio_test_results
type: aggregate
short_description: Record task results for the integration tests
description:
  - Appends one JSON line per task result to the file named by E(RELTIO_TEST_RESULTS).
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "reltio_test_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        # (host, task uuid) -> indexes of the loop items that failed.
        self._failed_items = {}

    def v2_runner_item_on_failed(self, result):
        """ansible-core 2.21 drops ``failed`` from the items of a loop's result: remember it here."""
        key = (result._host.get_name(), result._task._uuid)
        self._failed_items.setdefault(key, set()).add(str(result._result.get("_ansible_item_label")))

    def _record(self, result, status):
        path = os.environ.get("RELTIO_TEST_RESULTS")
        if not path:
            return
        recorded = json.loads(json.dumps(result._result, default=str))
        failed_items = self._failed_items.pop((result._host.get_name(), result._task._uuid), set())
        for item in recorded.get("results", []) if isinstance(recorded.get("results"), list) else []:
            if isinstance(item, dict) and str(item.get("_ansible_item_label")) in failed_items:
                item["failed"] = True
        entry = {
            "host": result._host.get_name(),
            "task": result._task.get_name(),
            "action": result._task.action,
            "status": status,
            "result": recorded,
        }
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
