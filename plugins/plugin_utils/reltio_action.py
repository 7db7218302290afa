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
import time
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
from ansible_collections.reltio.platform.plugins.module_utils.validation import (
    argument_problems,
    hidden_values,
    shown_arguments,
    structured_value_error,
)

CONTROLLER_TRANSPORTS = ("local",)
# How long prepare() waits for its own exchange on 127.0.0.1, which takes milliseconds.
PREPARE_SECONDS = 0.5
# The most prepare()'s server reads of the one request it answers.
PREPARE_REQUEST_BYTES = 65536
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
    # True once prepare() has run its task; prepare_failed (on ReltioAction): no action of this process tries again.
    prepared = False
    prepare_failed = False

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
        # A list or a dict in a text option, refused on both paths before either turns it into its Python repr.
        structured = structured_value_error(spec, args)
        refusal = structured.msg if structured else self._controller_refusal() if on_controller else None
        if refusal:
            result.update(failed=True, msg=refusal)
        elif on_controller:
            # A loop's items, and the attempts of a task with until or retries, run one after the other in this worker:
            # they keep a session and a token for the next. Any other task runs once here (the next task is another
            # worker), so it keeps nothing.
            again = "ansible_loop_var" in (task_vars or {}) or self._task.until or self._task.retries
            cache = type(self).CACHE if again else None
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

        Nothing leaves the process and nothing of the user's is used: the server is this process on the loopback
        address, its session ignores the environment (proxies, CA bundles), no option falls back to an environment
        variable, and the os.environ that other threads read is not touched. It has one try of PREPARE_SECONDS. If it
        fails (no requests library, no loopback), only that time is lost, once: each worker then does the first time
        itself.
        """
        if cls.PREPARE_ARGS is None or ReltioAction.prepare_failed or not transport.HAS_REQUESTS:
            return
        # The module's spec without its environment fallbacks.
        spec = dict((name, dict((key, value) for key, value in entry.items() if key != "fallback"))
                    for name, entry in cls.ARGUMENT_SPEC().items())
        try:
            with one_answer_server(cls.PREPARE_ANSWER) as url:
                args = dict((key, value.format(url=url) if isinstance(value, str) else value) for key, value in cls.PREPARE_ARGS.items())
                # Bounded however the server fares (another local process may take its one answer): one try, a short wait.
                args.update(timeout=PREPARE_SECONDS, retries=0)
                validation = ArgumentSpecValidator(spec).validate(args)
                if validation.error_messages:
                    raise ValueError("; ".join(validation.error_messages))
                params = validation.validated_parameters
                result = cls.EXECUTE(params, warn=lambda message: None, cache=_PrepareCache())
            # And the masking of the task's result, as a task's run does it.
            remove_values(result, hidden_values(spec, params))
            cls.prepared = not result.get("failed")
        except Exception as exc:  # pylint: disable=broad-except
            ReltioAction.prepare_failed = True
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
        result["invocation"] = {"module_args": shown_arguments(spec, params)}
        return remove_values(result, hidden_values(spec, params))

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


class _PrepareCache(ClientCache):
    """prepare()'s cache: its sessions ignore the environment (proxies, CA bundles), whatever the user set."""

    def session(self, key, make):
        def untrusting():
            session = make()
            session.trust_env = False
            return session

        return super(_PrepareCache, self).session(key, untrusting)


@contextmanager
def one_answer_server(answer):
    """Yield the URL of an HTTP server on 127.0.0.1 that reads one request (at most PREPARE_REQUEST_BYTES, within
    PREPARE_SECONDS) and sends ``answer`` (JSON text) with 200 OK. Its thread is over when this returns, whether a
    request came or not, and whoever connected."""
    server = _OneAnswer(answer.encode("utf-8"))
    try:
        thread = threading.Thread(target=server.serve, name="reltio-prepare")
        thread.daemon = True
        thread.start()
        try:
            yield "http://127.0.0.1:%d" % server.address[1]
        finally:
            server.stop()
            thread.join(PREPARE_SECONDS)
    finally:
        server.close()


class _OneAnswer:
    def __init__(self, body):
        self.body = body
        self.connection = None
        self.stopped = False
        self.deadline = time.monotonic() + 2 * PREPARE_SECONDS
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.listener.bind(("127.0.0.1", 0))
            self.listener.listen(1)
        except OSError:
            self.listener.close()
            raise
        self.address = self.listener.getsockname()

    def _left(self):
        left = self.deadline - time.monotonic()
        if left <= 0 or self.stopped:
            raise socket.timeout("prepare's server is done")
        return left

    def serve(self):
        try:
            self.listener.settimeout(self._left())
            self.connection = self.listener.accept()[0]
            if self.stopped:
                return
            received = b""
            while len(received) <= PREPARE_REQUEST_BYTES:
                head, separator, rest = received.partition(b"\r\n\r\n")
                length = _CONTENT_LENGTH.search(head) if separator else None
                if separator and len(rest) >= (int(length.group(1)) if length else 0):
                    self.connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                                            b"Connection: close\r\n\r\n" % len(self.body) + self.body)
                    return
                self.connection.settimeout(self._left())
                chunk = self.connection.recv(PREPARE_REQUEST_BYTES)
                if not chunk:
                    return
                received += chunk
        except OSError:
            return

    def stop(self):
        """End the serving thread's wait, whatever it waits for: a connection, or the rest of a request."""
        self.stopped = True
        for sock in (self.connection, self.listener):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        for sock in (self.connection, self.listener):
            if sock is not None:
                sock.close()


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
