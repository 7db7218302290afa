# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report of the role connection_health: this run's records, compared with the previous run's report.

A filter, so that the role builds a report of any size in one pass over its rows (a Jinja loop that adds lists is
quadratic), on the controller, without a module of its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: connection_health_report
author: Reltio Platform Engineering (@reltio)
version_added: 0.3.0
short_description: The report of the role reltio.platform.connection_health, with what changed since the last run
description:
  - Takes the records of one run of the role C(reltio.platform.connection_health) (one a connection checked) and the
    text of the previous run's C(connection-health.json), and returns the report the role writes.
  - Each record gets C(change) (V(first_check), V(unchanged), V(new_failure), V(recovered)) and C(since) (when the
    connection entered its current status, carried from run to run). Connections are identified by C(platform_url),
    C(tenant_id) and C(connection_name).
  - Messages are put on one line, without control characters, and cut to 500 characters.
  - Used by the role; there is no need to call it elsewhere.
positional: _input, previous, generated_at, partial
options:
  _input:
    description: The records of this run, each a dictionary with at least C(status) and C(checked_at).
    type: list
    elements: dict
    required: true
  previous:
    description:
      - The text of the previous report (C(connection-health.json)), or an empty string when there is none.
      - A report of the 0.2 shape (a list of records) is read too; text that is not such a report is ignored.
    type: str
    default: ""
  generated_at:
    description: When this report is written, C(YYYY-MM-DDTHH:MM:SSZ) in UTC.
    type: str
    required: true
  partial:
    description:
      - Whether this run checked only part of the fleet (a C(--limit), or a play on part of the inventory). The connections of the previous report that this
        run did not check are then kept, unchanged, in C(not_checked); otherwise they are dropped.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Build the report
  ansible.builtin.set_fact:
    report: "{{ records | reltio.platform.connection_health_report(previous_text, '2026-12-04T05:00:00Z', false) }}"
"""

RETURN = r"""
_value:
  description:
    - The report - C(generated_at), C(partial), C(counts) (of each status in this run), C(changes) (of each change in
      this run), C(checked_at) (the time every record shares, else null), C(summary) (one sentence),
      C(connections) (the records, newly failing first, then by status, failures first) and C(not_checked) (the
      records of earlier runs that a partial run kept).
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display

from ansible_collections.reltio.platform.plugins.module_utils.connection_health import STATUSES, one_line

# Report order: failures first.
ORDER = ("failing", "error", "missing", "healthy")
CHANGES = ("new_failure", "recovered", "unchanged", "first_check")
# How the summary says each change.
SAID = {"new_failure": "newly failing", "recovered": "recovered", "unchanged": "unchanged", "first_check": "first checked"}
TEXT_FIELDS = ("message", "what_to_do")


def _key(record):
    url = record.get("platform_url")
    return ((url or "").rstrip("/").lower(), record.get("tenant_id"), record.get("connection_name"))


def _previous_records(text):
    """The records of the previous report, by connection; empty when there is none or it cannot be read."""
    text = to_text(text or "").strip()
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        Display().warning("The previous connection health report is not JSON: this run compares with no earlier run.")
        return {}
    if isinstance(data, dict):
        records = list(data.get("connections") or []) + list(data.get("not_checked") or [])
    elif isinstance(data, list):
        records = data
    else:
        records = []
    return dict((_key(record), record) for record in records if isinstance(record, dict) and record.get("status") in STATUSES)


def _compare(record, before, now):
    """``record`` with ``change`` and ``since``, from the same connection's record of the previous run (or None)."""
    checked_at = record.get("checked_at") or now
    if before is None:
        change, since = "first_check", checked_at
    else:
        was_healthy, is_healthy = before["status"] == "healthy", record["status"] == "healthy"
        if was_healthy and not is_healthy:
            change = "new_failure"
        elif is_healthy and not was_healthy:
            change = "recovered"
        else:
            change = "unchanged"
        same = before["status"] == record["status"]
        since = (before.get("since") or before.get("checked_at") or checked_at) if same else checked_at
    return dict(record, change=change, since=since)


def _summary(counts, changes, checked, partial, kept):
    said = ", ".join("%d %s" % (counts[status], status) for status in ORDER)
    changed = ", ".join("%d %s" % (changes[change], SAID[change]) for change in CHANGES if changes[change])
    text = "%d connection%s checked: %s" % (checked, "" if checked == 1 else "s", said)
    if changed:
        text += "; " + changed
    text += "."
    if partial:
        text += " Partial run: %d connection%s of earlier runs not checked." % (kept, "" if kept == 1 else "s")
    return text


def connection_health_report(records, previous="", generated_at=None, partial=False):
    """The report of this run (see DOCUMENTATION)."""
    if not isinstance(records, (list, tuple)):
        raise AnsibleFilterError("connection_health_report expects a list of records, got %s" % type(records).__name__)
    if not generated_at:
        raise AnsibleFilterError("connection_health_report needs generated_at")
    earlier = _previous_records(previous)
    rows, seen = [], set()
    counts = dict((status, 0) for status in ORDER)
    changes = dict((change, 0) for change in CHANGES)
    for record in records:
        record = dict(record)
        for field in TEXT_FIELDS:
            if record.get(field) is not None:
                record[field] = one_line(to_text(record[field]))
        key = _key(record)
        row = _compare(record, earlier.get(key), generated_at)
        seen.add(key)
        counts[row["status"]] += 1
        changes[row["change"]] += 1
        rows.append(row)
    rank = dict((status, number) for number, status in enumerate(ORDER))
    rows.sort(key=lambda row: (row["change"] != "new_failure", rank[row["status"]], to_text(row.get("inventory_hostname") or ""),
                               to_text(row.get("tenant_id") or ""), to_text(row.get("connection_name") or "")))
    not_checked = [record for key, record in earlier.items() if key not in seen] if partial else []
    times = set(row.get("checked_at") for row in rows)
    return {
        "generated_at": generated_at,
        "partial": bool(partial),
        "counts": counts,
        "changes": changes,
        "checked_at": times.pop() if len(times) == 1 else None,
        "summary": _summary(counts, changes, len(rows), partial, len(not_checked)),
        "connections": rows,
        "not_checked": not_checked,
    }


class FilterModule(object):
    def filters(self):
        return {"connection_health_report": connection_health_report}
