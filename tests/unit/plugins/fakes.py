# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fakes and helpers shared by the unit tests: HTTP answers, AnsibleModule exits, action plugins.

The fixtures built from them are in conftest.py next to this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
from types import SimpleNamespace
from unittest.mock import Mock, patch

import pytest
from requests.structures import CaseInsensitiveDict

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.reltio.platform.plugins.module_utils.arguments import DEFAULT_AUTH_URL
from ansible_collections.reltio.platform.plugins.module_utils.module_runner import ReltioModule
from ansible_collections.reltio.platform.plugins.plugin_utils.reltio_action import ReltioAction

# What Ansible shows in place of a no_log value.
HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

# The Reltio client credentials of the action plugin tests.
AUTH_URL = "https://auth.example.com/oauth/token"
RELTIO_ID = "reltio-client-id"
RELTIO_SECRET = "reltio-Secret-99"

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
           308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}

# What the argument spec gives the HTTP options a task leaves out.
# What ansible-core adds to the task_vars of each item of a loop (the loop's variable name): a task without it has
# no loop, and runs once in its worker.
LOOP_ITEM = {"ansible_loop_var": "item"}
HTTP_DEFAULTS = {"auth_url": DEFAULT_AUTH_URL, "validate_certs": True, "ca_path": None, "timeout": 30.0, "retries": 3}


# ---- HTTP ------------------------------------------------------------------------------------


class FakeResponse:
    """Just what Transport.send reads of a requests.Response: status, reason, headers, close(), and of its ``raw``
    (urllib3's answer): ``read(amount, decode_content)`` and ``retries``.

    ``retried`` puts one entry (not a 429) in the retry history, as urllib3 does after a try that was cut off or
    answered 502/503/504.
    """

    def __init__(self, status_code=200, body=None, content=None, reason=None, retried=False, headers=None):
        if content is None:
            content = b"" if body is None else json.dumps(body).encode("utf-8")
        elif isinstance(content, str):
            content = content.encode("utf-8")
        self.status_code = status_code
        self.reason = reason if reason is not None else REASONS.get(status_code, "")
        self.content = content
        self.headers = CaseInsensitiveDict(headers or {})
        body = io.BytesIO(content)
        self.raw = SimpleNamespace(retries=SimpleNamespace(history=(SimpleNamespace(status=503),) if retried else ()),
                                   read=lambda amount, decode_content: body.read(amount))
        self.closed = False

    def close(self):
        self.closed = True


class FakeSession:
    """Records requests and answers them, in order, with prepared responses or exceptions.

    ``answers`` is a list that sessions may share (see the ``http`` fixture).
    """

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []
        self.closed = False

    def close(self):
        self.closed = True

    def request(self, method, url, **kwargs):
        self.calls.append(SimpleNamespace(method=method, url=url, kwargs=kwargs))
        if not self.answers:
            raise AssertionError("unexpected request %s %s" % (method, url))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def token_response(token, expires_in=3600):
    return FakeResponse(200, {"access_token": token, "token_type": "bearer", "expires_in": expires_in})


def authorization(call):
    """The Authorization header that the ``auth`` of a recorded call sets."""
    request = SimpleNamespace(headers={})
    returned = call.kwargs["auth"](request)
    assert returned is request
    return request.headers["Authorization"]


# ---- AnsibleModule ---------------------------------------------------------------------------


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def exit_json(self, **kwargs):  # pylint: disable=unused-argument
    raise ExitJson(kwargs)


def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs["msg"] = msg
    raise FailJson(kwargs)


def module_failure(module, argument_spec, args, validate):
    """What the collection's module ``module`` (a ReltioModule, with ``validate``) answers to ``args`` that its
    argument spec refuses: the text the action plugins must give on the controller too."""
    with patch_module_args(dict(args, _ansible_module_name=module)), patch.object(basic.AnsibleModule, "fail_json", fail_json):
        with pytest.raises(FailJson) as info:
            ReltioModule(argument_spec, module, validate, supports_check_mode=True)
    return info.value.args[0]


def params_with(values, overrides):
    """The params ``execute`` gets: the HTTP defaults, then ``values``, then ``overrides``, in a new dict."""
    params = dict(HTTP_DEFAULTS)
    params.update(values)
    params.update(overrides)
    return params


# ---- action plugins --------------------------------------------------------------------------


def assert_wiring(action_class, module, argument_spec, validate, execute, hide_result):
    """``action_class`` is the ReltioAction of ``module``, with its spec, validate, execute and hiding of the result."""
    assert issubclass(action_class, ReltioAction)
    assert action_class.MODULE == module
    assert action_class.ARGUMENT_SPEC is argument_spec
    assert action_class.VALIDATE is validate
    assert action_class.EXECUTE is execute
    assert action_class.HIDE_RESULT is hide_result


def make_action(action_class, args, module_result, transport="local", check_mode=False, diff=False, environment=None,
                become=False, play_become=False, until=None, retries=None):
    """An ``action_class`` for a task with ``args``; running the module on the target answers ``module_result``.

    ``become`` is the task keyword; ``play_become`` the play context's (``ansible_become`` as a variable); ``until``
    (a list of conditions) and ``retries`` are the task's keywords, unset by default as on a Task.
    """
    task = Mock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.environment = environment
    task.async_val = 0
    task.become = become
    task.until = until or []
    task.retries = retries
    connection = Mock()
    connection.transport = transport
    templar = Mock()
    templar.template.side_effect = lambda value: value
    action = action_class(task=task, connection=connection, play_context=Mock(become=play_become), loader=None, templar=templar,
                          shared_loader_obj=None)
    action._execute_module = Mock(return_value=dict(module_result))
    return action


# ---- what AnsibleModule would say -------------------------------------------------------------


TASK_ARGS = {"platform_url": "https://test.reltio.com", "tenant_id": "tenant01", "access_token": "tok-Very-Secret-42"}


def ansible_module(monkeypatch, spec, args):
    """The AnsibleModule made for ``args``, and the warnings it gave while validating them."""
    from ansible.module_utils.common import arg_spec  # pylint: disable=import-outside-toplevel

    warnings = []
    monkeypatch.setattr(arg_spec, "warn", warnings.append)
    with patch_module_args(args):
        module = basic.AnsibleModule(argument_spec=spec, supports_check_mode=True)
    return module, warnings


DBX_ARGS = dict(TASK_ARGS, connection_name="conn-01", workspace_url="https://adb-1.7.azuredatabricks.net", warehouse_id="wh",
                client_id="dbx-id", client_secret="dbx-Secret-42")
