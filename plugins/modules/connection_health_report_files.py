#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin of the same name (plugins/action/connection_health_report_files.py), which
# does the work on the controller: there is no module code.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: connection_health_report_files
short_description: Write the report of the role reltio.platform.connection_health, on the controller
version_added: 0.3.0
author:
  - Reltio Platform Engineering (@reltio)
description:
  - The report task of the role C(reltio.platform.connection_health), run once a play (C(run_once)), in the Ansible
    process on the controller. There is no need to call it elsewhere; its messages name the role's variables.
  - Reads the records of every host of the play (C(ansible_play_hosts_all)) from its variable
    C(connection_health_results), which the role's earlier task set; a host without them stopped before its check, and
    each of its connections (its C(connection_health_connections), or its own) is recorded as not run, with
    O(not_run) and the advice of its C(reason_code).
  - The run is partial when a host of the inventory with a connection to check (C(databricks_connection_tenant_id) or
    C(connection_health_connections)) is not a host of the play.
  - Reads the last report (C(connection-health.json)) in O(report_dir), builds the new one with what changed since
    (as the filter P(reltio.platform.connection_health_report#filter)), renders C(connection-health.json), and
    C(connection-health.md) and C(connection-health.html) from the templates of O(templates) (as the filter
    P(reltio.platform.connection_health_render#filter)), and writes the three files.
  - Each file is written into a new temporary file of O(report_dir) (mode 0600 until O(mode) is set, before any text),
    then renamed over the last one, so that a reader sees the last report or the new one, never half of one; a report
    file that is a symbolic link is replaced, never written through.
  - The directory is opened once, without following a link, and every file is read and written through it - a
    directory swapped for a link after it was checked sends nothing elsewhere.
  - The last report is not read (a warning; the run compares with no earlier run) when it is a symbolic link, not a
    regular file, larger than 64 MiB, not JSON, or JSON of another shape.
  - A host whose C(connection_health_results) is not a list of records with a known status (an inventory can set it)
    fails the task with the host's name, before anything is written.
  - O(report_dir) is created when missing, with each missing parent, with O(mode) and search (x) wherever it allows
    reading; an existing directory keeps its mode. A symbolic link is refused, so that a link cannot send the report
    elsewhere.
options:
  report_dir:
    description: The directory of the report on the controller (the role's C(connection_health_report_dir)).
    type: path
    required: true
  mode:
    description:
      - The mode of the report files (the role's C(connection_health_report_mode)) - a string of octal digits such as
        V("0640"), or a number (YAML reads an unquoted C(0640) as the number 416, the same mode). Permission bits only -
        setuid, setgid or sticky (such as V("1777")) is refused.
    type: raw
    required: true
  templates:
    description: The directory of the templates C(connection-health.md.j2) and C(connection-health.html.j2), rendered by plain Jinja.
    type: path
    required: true
  wording:
    description: Variables the templates read besides C(report) (the role's C(legend) and C(changes)).
    type: dict
    required: true
  advice:
    description: What to do, by C(reason_code) (the role's C(connection_health__advice)), for a host that did not run.
    type: dict
    required: true
  not_run:
    description: The C(reason_code) and C(message) of each connection of a host that stopped before its check.
    type: dict
    required: true
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: All of it runs in the action plugin, on the controller; there is no module code.
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details:
      - Writes the report in check mode too - it is the run's output, not state the task manages - and says V(ok).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
    details: Writes on the controller, whatever the host's connection.
notes:
  - Never V(changed) - the files are rewritten on each run.
  - The messages of the records were masked by M(reltio.platform.reltio_databricks_connection_info) and are cut to 500
    characters, on one line.
seealso:
  - module: reltio.platform.reltio_databricks_connection_info
"""

EXAMPLES = r"""
# As the role reltio.platform.connection_health runs it, after each host's connection_health_results is set.
- name: Write the report on the controller
  reltio.platform.connection_health_report_files:
    report_dir: "{{ connection_health_report_dir }}"
    mode: "{{ connection_health_report_mode }}"
    templates: "{{ role_path }}/templates"
    wording:
      legend: "{{ connection_health__legend }}"
      changes: "{{ connection_health__changes }}"
    advice: "{{ connection_health__advice }}"
    not_run: "{{ connection_health__not_run }}"
  run_once: true
  register: written
"""

RETURN = r"""
report:
  description:
    - The report, the object of C(connection-health.json) - C(generated_at), C(partial), C(counts) (of each status),
      C(changes) (of each change since the last run), C(checked_at) (the time every record shares, else null),
      C(summary) (one sentence), C(connections) (the records, newly failing first, then by status, failures first)
      and C(not_checked) (the records of earlier runs that a partial run kept).
  returned: success
  type: dict
  sample:
    generated_at: "2026-12-04T05:00:00Z"
    partial: false
    counts: {failing: 0, error: 0, missing: 0, healthy: 1}
    changes: {new_failure: 0, recovered: 0, unchanged: 1, first_check: 0}
    checked_at: "2026-12-04T05:00:00Z"
    summary: "1 connection checked: 0 failing, 0 error, 0 missing, 1 healthy; 1 unchanged."
    connections: []
    not_checked: []
"""
