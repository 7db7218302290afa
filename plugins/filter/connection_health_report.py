# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report of the role connection_health: this run's records, compared with the previous run's report.

A filter over plugin_utils/connection_health_report.py, the code the role's action connection_health_report_files
runs: one pass over the rows, on the controller.
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
  - The role writes its report with M(reltio.platform.connection_health_report_files), which builds it with the same code.
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

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.reltio.platform.plugins.plugin_utils import connection_health_report as health


def connection_health_report(records, previous="", generated_at=None, partial=False):
    """The report of this run (see DOCUMENTATION)."""
    try:
        return health.connection_health_report(records, previous, generated_at, partial, Display().warning)
    except health.ReportError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"connection_health_report": connection_health_report}
