# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A module's task run in the Ansible process, as AnsibleModule would run it: the one place that copies it.

What it copies, and nothing else: the validation of the arguments by the module's argument spec (ansible-core's
ArgumentSpecValidator, as AnsibleModule uses it), its warning for an option given twice, the masking of the no_log
values in the result (ansible-core's remove_values, with the values module_runner.py hides too:
validation.hidden_values) and the task's environment seen as the module's process would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from collections.abc import Mapping
from contextlib import contextmanager

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.reltio.platform.plugins.module_utils.arguments import from_environment
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError
from ansible_collections.reltio.platform.plugins.module_utils.validation import argument_problems, hidden_values, shown_arguments


def run_in_process(module_name, spec, args, validate, execute, check_mode, diff, task_environment, cache):
    """Validate ``args`` and run ``execute`` as the module ``module_name`` would: the same result, warnings and masking."""
    validation = ArgumentSpecValidator(spec).validate(args)
    params = validation.validated_parameters
    warnings = alias_warnings(spec, args)
    if validation.error_messages:
        result = {"failed": True, "msg": argument_problems(module_name, spec, validation, validate).msg,
                  "reason_code": "bad_arguments"}
    else:
        try:
            with environment_applied(task_environment):
                result = execute(params, check_mode=check_mode, diff=diff, warn=warnings.append, cache=cache)
        except ReltioError as exc:
            result = exc.fail_kwargs()
            result["failed"] = True
        result["from_environment"] = from_environment(spec)
    if warnings:
        result["warnings"] = warnings
    result["invocation"] = {"module_args": shown_arguments(spec, params)}
    return remove_values(result, hidden_values(spec, params))


def untagged(value):
    """``value`` in the built-in types that JSON carries to a module: Ansible's data tags (where a value came
    from, ansible-core 2.19) dropped. Validation copies the arguments deeply, and a tagged string costs thirty
    times an untagged one to copy (and again to send back to the controller in the result). Other types are kept."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or kind is float or value is None:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, Mapping):
        return dict((untagged(key), untagged(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [untagged(item) for item in value]
    return value


def alias_warnings(spec, args):
    """The warning AnsibleModule gives for an option set both by its name and by an alias."""
    return ["Both option %s and its alias %s are set." % (name, alias)
            for name, entry in spec.items() for alias in entry.get("aliases") or () if name in args and alias in args]


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
