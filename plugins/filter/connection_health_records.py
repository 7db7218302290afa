# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The records of one host of the role connection_health, from the result of its one check task.

A filter, so that a lane's hundreds of records are built in one pass of Python: a Jinja loop of Ansible's templating
costs about a millisecond a record. Over plugin_utils/connection_health_report.py, which also builds the records of the
hosts that stopped before their check (the action connection_health_report_files).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: connection_health_records
author: Reltio Platform Engineering (@reltio)
version_added: 0.3.0
short_description: The records of one host of the role reltio.platform.connection_health
description:
  - Takes the registered result of the role's task of M(reltio.platform.reltio_databricks_connection_info) with
    O(reltio.platform.reltio_databricks_connection_info#module:connections), and returns one record a connection of
    the host, in the order of its list - the records of C(connection-health.json).
  - A connection whose check did not run (a refused token, an unreachable Reltio) is recorded with status V(error)
    and the reason of its failure; so is each connection of a task that was refused whole.
  - Used by the role; there is no need to call it elsewhere.
positional: _input, connections, host, advice, checked_at
options:
  _input:
    description: The registered result of the check task.
    type: dict
    required: true
  connections:
    description: The entries the task checked (the host's C(connection_health_connections), or V([{}]) for its own).
    type: list
    elements: dict
    required: true
  host:
    description:
      - What an entry leaves out - C(inventory_hostname), C(platform_url), C(tenant_id), C(connection_name) of the host.
    type: dict
    required: true
  advice:
    description:
      - What to do, by C(reason_code); an advice that depends on the option whose URL failed (the result's C(option),
        such as V(auth_url)) is a dictionary by option, whose first entry is said when the result names none.
    type: dict
    required: true
  checked_at:
    description: The time of a record whose check did not run, C(YYYY-MM-DDTHH:MM:SSZ) in UTC.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Record the connection's health
  ansible.builtin.set_fact:
    records: >-
      {{ outcome | reltio.platform.connection_health_records(connection_health_connections | default([{}]),
           {'inventory_hostname': inventory_hostname, 'platform_url': databricks_connection_platform_url},
           advice, now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ')) }}
"""

RETURN = r"""
_value:
  description:
    - One record a connection - C(inventory_hostname), C(platform_url), C(tenant_id), C(connection_name), C(status),
      C(reason_code), C(from_environment), C(connected), C(message), C(checked_at) and C(what_to_do).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.reltio.platform.plugins.plugin_utils import connection_health_report as health


def connection_health_records(outcome, connections, host, advice, checked_at):
    """The host's records (see DOCUMENTATION)."""
    try:
        return health.connection_health_records(outcome, connections, host, advice, checked_at)
    except health.ReportError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"connection_health_records": connection_health_records}
