# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The text of one file of the connection_health report, from the role's template, rendered by plain Jinja.

Ansible's templating looks at every value it reads (10,000 rows took minutes); the report holds data only, so the
role's templates are rendered here by a plain Jinja environment: HTML autoescaped, Markdown through ``markdown_cell``.
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
  - Used by the role C(reltio.platform.connection_health); there is no need to call it elsewhere.
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

import json
import re

import jinja2
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

_LINES = re.compile(r"[\r\n]+")
# Markdown's own characters: code, emphasis, links and images, tables; and the escape character itself.
_MARKDOWN = re.compile(r"([\\`*_\[\]|])")


def markdown_cell(value):
    """``value`` as the text of a Markdown table cell: one line, HTML escaped, Markdown's characters escaped."""
    text = _LINES.sub(" ", "" if value is None else to_text(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def _plain(value):
    """Plain Python data (Ansible hands filters its own containers)."""
    return json.loads(json.dumps(value))


def connection_health_render(report, kind, template="", wording=None):
    """The text of the report's ``kind`` file (see DOCUMENTATION)."""
    report = _plain(report)
    if kind == "json":
        return json.dumps(report, indent=2) + "\n"
    if kind not in ("md", "html"):
        raise AnsibleFilterError("connection_health_render: kind is json, md or html, not %r" % (kind,))
    # trim_blocks as in ansible.builtin.template: a line of a block tag leaves no empty line.
    environment = jinja2.Environment(autoescape=kind == "html", trim_blocks=True, keep_trailing_newline=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["markdown_cell"] = markdown_cell
    context = dict(_plain(wording or {}), report=report)
    return environment.from_string(to_text(template)).render(context)


class FilterModule(object):
    def filters(self):
        return {"connection_health_render": connection_health_render}
