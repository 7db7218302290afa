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
import re
import socket
import threading
from collections import ChainMap
from collections.abc import Mapping
from contextlib import contextmanager

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.reltio.platform.plugins.module_utils import transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import apply_env_fallbacks
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError
from ansible_collections.reltio.platform.plugins.module_utils.validation import argument_problems

CONTROLLER_TRANSPORTS = ("local",)
# How long prepare() waits for its own exchange on 127.0.0.1 (it takes milliseconds).
PREPARE_SECONDS = 2
_CONTENT_LENGTH = re.compile(br"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)

display = Display()


class ReltioAction(ActionBase):
    """Subclasses name their module, its argument spec and its ``execute`` function."""

    MODULE = None
    ARGUMENT_SPEC = None
    VALIDATE = None
    EXECUTE = None
    # True for a task whose result holds a secret to hand on (a token): shown as no_log, registered as is.
    # A failure holds none (its message is masked like any other), and ansible-core 2.16 would hide all of it.
    HIDE_RESULT = False
    # Sessions and tokens of this worker process, kept between the items of a loop under their trust key.
    CACHE = ClientCache()
    # One task for prepare(): its arguments ("{url}" is the one-answer server's) and the JSON answer it gets.
    PREPARE_ARGS = None
    PREPARE_ANSWER = None
    # True once prepare() has run its task.
    prepared = False

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ReltioAction, self).run(tmp, task_vars)
        spec = type(self).ARGUMENT_SPEC()
        task_environment = self._task_environment()
        # The task's environment over the controller's, looked up by name (not a copy of os.environ per item).
        args = apply_env_fallbacks(spec, plain(self._task.args), ChainMap(task_environment, os.environ))
        on_controller = self._runs_on_controller(args.get("execution"))
        refusal = self._controller_refusal() if on_controller else None
        if refusal:
            result.update(failed=True, msg=refusal)
        elif on_controller:
            # A loop's items run one after the other in this worker: they keep a session and a token for the next.
            # A task without a loop runs once here (the next task is another worker), so it keeps nothing.
            cache = type(self).CACHE if "ansible_loop_var" in (task_vars or {}) else None
            result.update(self._run_on_controller(spec, args, task_environment, cache))
        else:
            result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
        if self.HIDE_RESULT and not result.get("failed"):
            result["_ansible_no_log"] = True
            # The task's no_log too: ansible-core before 2.19 hides a loop's combined result, which holds every
            # item's, only when the task is no_log (2.19 also when an item is).
            self._task.no_log = True
        return result

    @classmethod
    def prepare(cls):
        """Run one task of this action in process, against a one-answer HTTP server of this process on 127.0.0.1.

        ansible-core imports an action plugin in its main process (its strategy asks for the action's class), then
        forks a worker for each host of a task. What a process does the first time it runs this code (Python fills
        its caches and specialises the bytecode it runs, the libraries set up theirs) each worker would do again for
        its one request: about a millisecond of CPU, a sixth of the task's own work, paid by every host of a fan-out
        with one host per tenant. Done once here, before the workers fork, every worker inherits it.

        Nothing leaves the process: the server is this process on the loopback address, proxies are bypassed, and
        no argument comes from the environment. If it fails (no requests library, no loopback), only the time is lost:
        each worker then does the first time itself.
        """
        if cls.PREPARE_ARGS is None or not transport.HAS_REQUESTS:
            return
        try:
            with one_answer_server(cls.PREPARE_ANSWER) as url:
                spec = cls.ARGUMENT_SPEC()
                args = dict((key, value.format(url=url) if isinstance(value, str) else value) for key, value in cls.PREPARE_ARGS.items())
                # Bounded however the server fares (another local process may take its one answer): one try, a short wait.
                args.update(timeout=PREPARE_SECONDS, retries=0)
                params = ArgumentSpecValidator(spec).validate(apply_env_fallbacks(spec, args, {})).validated_parameters
                with environment_applied({"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}):
                    result = cls.EXECUTE(params, warn=lambda message: None)
            remove_values(result, no_log_values(spec, params))
            cls.prepared = not result.get("failed")
        except Exception as exc:  # pylint: disable=broad-except
            display.debug("%s: no task run in the main process before the workers fork: %s" % (cls.MODULE, exc))

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
        """Why ``execution: controller`` cannot run this task in process, or None."""
        if self._has_become():
            return ("execution is controller, but the task has become, which only a module honours:"
                    " remove become, or set execution to auto or target.")
        if not transport.HAS_REQUESTS:
            from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel

            return missing_required_lib("requests") + " (on the controller, for execution: controller)"
        return None

    def _task_environment(self):
        """The task's ``environment``, which a module on this controller would see on top of ours."""
        task_environment = {}
        self._compute_environment_string(task_environment)
        return dict((str(key), str(value)) for key, value in task_environment.items())

    def _run_on_controller(self, spec, args, task_environment, cache):
        """Validate and run as the module would: the same result, warnings and masking."""
        validation = ArgumentSpecValidator(spec).validate(args)
        params = validation.validated_parameters
        warnings = alias_warnings(spec, args)
        if validation.error_messages:
            result = {"failed": True, "msg": argument_problems(self.MODULE, spec, validation, type(self).VALIDATE).msg}
        else:
            result = self._execute(params, warnings.append, task_environment, cache)
        if warnings:
            result["warnings"] = warnings
        result["invocation"] = {"module_args": params}
        return remove_values(result, no_log_values(spec, params))

    def _execute(self, params, warn, task_environment, cache):
        execute = type(self).EXECUTE
        try:
            with environment_applied(task_environment):
                return execute(params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff), warn=warn,
                               cache=cache)
        except ReltioError as exc:
            result = exc.fail_kwargs()
            result["failed"] = True
            return result


@contextmanager
def one_answer_server(answer):
    """Yield the URL of an HTTP server on 127.0.0.1 that reads one request and sends ``answer`` (JSON text) with
    200 OK. Its thread is over when this returns, whether a request came or not."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(PREPARE_SECONDS)
        body = answer.encode("utf-8")
        thread = threading.Thread(target=_answer_one, args=(listener, body), name="reltio-prepare")
        thread.daemon = True
        thread.start()
        address = listener.getsockname()
        try:
            yield "http://127.0.0.1:%d" % address[1]
        finally:
            if thread.is_alive():
                # No request came, or it is still arriving: a connection that closes at once ends the wait.
                try:
                    socket.create_connection(address, timeout=PREPARE_SECONDS).close()
                except OSError:
                    pass
            thread.join(PREPARE_SECONDS)
    finally:
        listener.close()


def _answer_one(listener, body):
    try:
        connection = listener.accept()[0]
    except OSError:
        return
    try:
        connection.settimeout(PREPARE_SECONDS)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                return
            received += chunk
        head, rest = received.split(b"\r\n\r\n", 1)
        length = _CONTENT_LENGTH.search(head)
        while length and len(rest) < int(length.group(1)):
            chunk = connection.recv(65536)
            if not chunk:
                return
            rest += chunk
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                           % len(body) + body)
    except OSError:
        return
    finally:
        connection.close()


def plain(value):
    """``value`` in the built-in types that JSON carries to a module: Ansible's data tags (where a value came
    from, ansible-core 2.19) dropped. Validation copies the arguments deeply, and a tagged string costs thirty
    times a plain one to copy (and again to send back to the controller in the result). Other types are kept."""
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
        return dict((plain(key), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def no_log_values(spec, params):
    """The values of the task's no_log options, as AnsibleModule collects them (blank ones hide nothing)."""
    values = set()
    for name, entry in spec.items():
        value = params.get(name)
        if entry.get("no_log") and value is not None and str(value).strip():
            values.add(str(value))
    return values


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
