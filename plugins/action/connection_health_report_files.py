# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writes the report of the role connection_health, in the Ansible process on the controller.

The role's report tasks (stat, fail, file, and a copy per file, each a module in a new process) took two thirds of a
run. Here the records are read from each host's variables (not handed over as an argument, which Ansible would walk
value by value), the report is built and rendered by plugin_utils/connection_health_report.py, and each file is
written atomically.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.reltio.platform.plugins.plugin_utils import connection_health_report as health

ARGUMENT_SPEC = {
    "report_dir": {"type": "path", "required": True},
    "mode": {"type": "raw", "required": True},
    "templates": {"type": "path", "required": True},
    "wording": {"type": "dict", "required": True},
    "advice": {"type": "dict", "required": True},
    "not_run": {"type": "dict", "required": True},
}


class ActionModule(ActionBase):
    """One task, run once: the report of every host of the play. Writes in check mode too, and is never changed: the
    report is the run's output, not state the task manages."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        warnings = []
        try:
            report = health.write_report(args, task_vars, warnings.append)
        except (health.ReportError, OSError) as exc:
            raise AnsibleActionFail(to_text(exc))
        result.update(changed=False, report=report)
        if warnings:
            result["warnings"] = warnings
        return result
