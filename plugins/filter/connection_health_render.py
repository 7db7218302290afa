# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The text of one file of the connection_health report, from the role's template, rendered by plain Jinja.

A filter over plugin_utils/connection_health_report.py, the code the role's action connection_health_report_files runs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: connection_health_render
author: Reltio Platform Engineering (@reltio)
version_added: 0.3.0
short_description: The text of a file of the reltio.platform.connection_health report
description:
  - Renders the report of P(reltio.platform.connection_health_report#filter) as C(json), or through one of the role's
    templates as C(md) or C(html), with a plain Jinja environment - every value of the HTML is escaped, every value of
    the Markdown goes through a cell escape (HTML, and the characters of Markdown's links, images, emphasis, code and
    tables).
  - The role C(reltio.platform.connection_health) writes its files with M(reltio.platform.connection_health_report_files),
    which renders them with the same code.
positional: _input, kind, template, wording
options:
  _input:
    description: The report.
    type: dict
    required: true
  kind:
    description: Which file.
    type: str
    choices: [json, md, html]
    required: true
  template:
    description: The text of the role's template for V(md) and V(html); unused for V(json).
    type: str
    default: ""
  wording:
    description: Variables the template reads besides C(report) (the role's legend and change names).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the Markdown report
  ansible.builtin.copy:
    content: "{{ report | reltio.platform.connection_health_render('md', lookup('ansible.builtin.file', 'report.md.j2'), {}) }}"
    dest: /srv/health/connection-health.md
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The file's text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.reltio.platform.plugins.plugin_utils import connection_health_report as health


def connection_health_render(report, kind, template="", wording=None):
    """The text of the report's ``kind`` file (see DOCUMENTATION)."""
    try:
        return health.render(health.plain(report), kind, template, health.plain(wording or {}))
    except health.ReportError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"connection_health_render": connection_health_render}
