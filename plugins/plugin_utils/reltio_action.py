# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action plugins' shared runner: a Reltio task in process on the controller, or the module on the target.

An API call runs on the controller anyway in the usual case (``connection: local``,
``delegate_to: localhost``). There the task needs no module transfer and no new
Python process: this runner validates the arguments with the module's own
argument spec and calls the module's own ``execute`` in process, with one HTTP
session and one token kept for every loop item of the worker. Elsewhere it runs
the module on the target as any action would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from contextlib import contextmanager

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.reltio.platform.plugins.module_utils import client
from ansible_collections.reltio.platform.plugins.module_utils.arguments import apply_env_fallbacks
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError

CONTROLLER_TRANSPORTS = ("local",)


class ReltioAction(ActionBase):
    """Subclasses name their module, its argument spec and its ``execute`` function."""

    MODULE = None
    ARGUMENT_SPEC = None
    EXECUTE = None
    # True for a task whose result holds a secret to hand on (a token): shown as no_log, registered as is.
    HIDE_RESULT = False

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ReltioAction, self).run(tmp, task_vars)
        spec = type(self).ARGUMENT_SPEC()
        task_environment = self._task_environment()
        args = apply_env_fallbacks(spec, self._task.args, dict(os.environ, **task_environment))
        if self._runs_on_controller(args.get("execution")):
            result.update(self._run_on_controller(spec, args, task_environment))
        else:
            result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
        if self.HIDE_RESULT:
            result["_ansible_no_log"] = True
        return result

    def _runs_on_controller(self, execution):
        if execution in (None, "auto"):
            return getattr(self._connection, "transport", None) in CONTROLLER_TRANSPORTS
        # Anything but "controller" and "target" runs the module, whose validation names the bad value.
        return execution == "controller"

    def _task_environment(self):
        """The task's ``environment``, which a module on this controller would see on top of ours."""
        task_environment = {}
        self._compute_environment_string(task_environment)
        return dict((str(key), str(value)) for key, value in task_environment.items())

    def _run_on_controller(self, spec, args, task_environment):
        validation = ArgumentSpecValidator(spec).validate(args)
        # A blank "secret" hides nothing, and masking it would star out every space of the messages.
        no_log_values = set(value for value in validation._no_log_values if value.strip())
        params = validation.validated_parameters
        warnings = []
        if validation.error_messages:
            message = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                message = "Unsupported parameters for (%s) module: %s" % (self.MODULE, message)
            result = {"failed": True, "msg": message}
        elif not client.HAS_REQUESTS:
            from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel

            result = {"failed": True, "msg": missing_required_lib("requests") + " (on the controller)",
                      "exception": client.REQUESTS_IMPORT_ERROR}
        else:
            result = self._execute(params, warnings.append, task_environment)
        if warnings:
            result["warnings"] = warnings
        result["invocation"] = {"module_args": params}
        return remove_values(result, no_log_values)

    def _execute(self, params, warn, task_environment):
        execute = type(self).EXECUTE
        try:
            with environment_applied(task_environment):
                return execute(params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff), warn=warn, reuse=True)
        except ReltioError as exc:
            result = exc.fail_kwargs()
            result["failed"] = True
            return result


@contextmanager
def environment_applied(variables):
    """Run with ``variables`` in os.environ, as a module process would, so that requests sees the task's
    proxy and CA settings (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE...). The worker's environment is restored after."""
    saved = dict((name, os.environ.get(name)) for name in variables)
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
