# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action plugins' shared runner: a Reltio task in process on the controller, or the module on the target.

An API call runs on the controller anyway in the usual case (``connection: local``,
``delegate_to: localhost``). There the task needs no module transfer and no new
Python process: this runner validates the arguments with the module's own
argument spec and calls the module's own ``execute`` in process (in_process.py),
with one HTTP session and one token kept for every loop item of the worker.
Elsewhere it runs the module on the target as any action would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from collections import ChainMap

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.reltio.platform.plugins.module_utils import transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import apply_env_fallbacks
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.module_utils.validation import structured_value_error
from ansible_collections.reltio.platform.plugins.plugin_utils.in_process import run_in_process, untagged

CONTROLLER_TRANSPORTS = ("local",)

display = Display()


class ReltioAction(ActionBase):
    """Subclasses name their module, its argument spec and its ``validate`` and ``execute`` functions."""

    MODULE = None
    ARGUMENT_SPEC = None
    VALIDATE = None
    EXECUTE = None
    # True for a task whose result holds a secret to hand on (a token): shown as no_log, registered as is.
    # A failure holds none (its message is masked like any other), and ansible-core 2.16 would hide all of it.
    HIDE_RESULT = False
    # Sessions and tokens of this worker process, kept between the items of a loop under their trust key.
    CACHE = ClientCache()

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ReltioAction, self).run(tmp, task_vars)
        spec = type(self).ARGUMENT_SPEC()
        task_environment = self._task_environment()
        # The task's environment over the controller's, looked up by name (not a copy of os.environ per item).
        args = apply_env_fallbacks(spec, untagged(self._task.args), ChainMap(task_environment, os.environ))
        on_controller = self._runs_on_controller(args.get("execution"))
        # A list or a dict in a text option, refused on both paths before either turns it into its Python repr.
        structured = structured_value_error(spec, args)
        refusal = (structured.msg, structured.reason_code) if structured else self._controller_refusal() if on_controller else None
        if refusal:
            result.update(failed=True, msg=refusal[0], reason_code=refusal[1])
        elif on_controller:
            # A loop's items, and the attempts of a task with until or retries, run one after the other in this worker:
            # they keep a session and a token for the next. Any other task runs once here (the next task is another
            # worker), so it keeps nothing.
            again = "ansible_loop_var" in (task_vars or {}) or self._task.until or self._task.retries
            result.update(run_in_process(self.MODULE, spec, args, type(self).VALIDATE, type(self).EXECUTE,
                                         check_mode=bool(self._task.check_mode), diff=bool(self._task.diff),
                                         task_environment=task_environment, cache=type(self).CACHE if again else None))
        else:
            result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
        if self.HIDE_RESULT and not result.get("failed"):
            result["_ansible_no_log"] = True
            # The task's no_log too: ansible-core before 2.19 hides a loop's combined result, which holds every
            # item's, only when the task is no_log (2.19 also when an item is).
            self._task.no_log = True
        return result

    def _runs_on_controller(self, execution):
        if execution in (None, "auto"):
            if getattr(self._connection, "transport", None) not in CONTROLLER_TRANSPORTS:
                return False
            if self._has_become():
                display.v("%s: running the module, because the task has become" % self.MODULE)
                return False
            if not transport.HAS_REQUESTS:
                display.v("%s: running the module, because the Python of the controller has no requests library"
                          % self.MODULE)
                return False
            return True
        # Anything but "controller" and "target" runs the module, whose validation names the bad value.
        return execution == "controller"

    def _has_become(self):
        """The task's become, from the keyword or from a variable such as ansible_become (the play context)."""
        return bool(self._task.become or getattr(self._play_context, "become", False))

    def _controller_refusal(self):
        """``(message, reason_code)``: why ``execution: controller`` cannot run this task in process, or None."""
        if self._has_become():
            return ("execution is controller, but the task has become, which only a module honours:"
                    " remove become, or set execution to auto or target.", "bad_arguments")
        if not transport.HAS_REQUESTS:
            from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel

            return missing_required_lib("requests") + " (on the controller, for execution: controller)", "missing_library"
        return None

    def _task_environment(self):
        """The task's ``environment``, which a module on this controller would see on top of ours."""
        task_environment = {}
        self._compute_environment_string(task_environment)
        return dict((str(key), str(value)) for key, value in task_environment.items())
