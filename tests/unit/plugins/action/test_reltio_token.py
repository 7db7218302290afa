# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from types import SimpleNamespace
from unittest.mock import Mock, patch

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.action import ActionBase

from ansible_collections.reltio.platform.plugins.action import reltio_token as action_under_test
from ansible_collections.reltio.platform.plugins.module_utils import access_token
from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_OPTIONS, token_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.errors import AuthenticationError
from ansible_collections.reltio.platform.plugins.plugin_utils.reltio_action import ReltioAction

MODULE = "reltio.platform.reltio_token"
AUTH_URL = "https://auth.example.com/oauth/token"
RELTIO_ID = "reltio-client-id"
RELTIO_SECRET = "reltio-Secret-99"
TOKEN = "tok-fetched-by-action"
HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
ARGS = {"reltio_client_id": RELTIO_ID, "reltio_client_secret": RELTIO_SECRET, "auth_url": AUTH_URL}
MODULE_RESULT = {"changed": False, "access_token": "tok-from-target", "expires_in": 3600, "token_type": "bearer", "msg": "Fetched."}


class FailJson(Exception):
    pass


def _fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs["msg"] = msg
    raise FailJson(kwargs)


class FakeResponse:
    def __init__(self, status_code, body):
        self.status_code = status_code
        self.reason = "OK" if status_code < 300 else "Unauthorized"
        self.content = json.dumps(body).encode("utf-8")
        self.raw = SimpleNamespace(retries=SimpleNamespace(history=()))

    def json(self):
        return json.loads(self.content.decode("utf-8"))


class FakeSession:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append(SimpleNamespace(method=method, url=url, kwargs=kwargs))
        if not self.answers:
            raise AssertionError("unexpected request %s %s" % (method, url))
        return self.answers.pop(0)


def token_response(token=TOKEN, expires_in=3600):
    return FakeResponse(200, {"access_token": token, "token_type": "bearer", "expires_in": expires_in})


@pytest.fixture(autouse=True)
def isolation(monkeypatch):
    for option in CONNECTION_OPTIONS.values():
        if "env" in option:
            monkeypatch.delenv(option["env"], raising=False)
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(client_module, "_SHARED_SESSIONS", {})
    monkeypatch.setattr(client_module, "_SHARED_TOKENS", {})


@pytest.fixture(name="http")
def http_fixture(monkeypatch):
    http = SimpleNamespace(answers=[], sessions=[])

    def new_session(retries):  # pylint: disable=unused-argument
        http.sessions.append(FakeSession(http.answers))
        return http.sessions[-1]

    monkeypatch.setattr(ReltioClient, "_new_session", staticmethod(new_session))
    return http


@pytest.fixture(name="execute")
def execute_fixture(monkeypatch):
    execute = Mock(return_value={"changed": False, "access_token": TOKEN, "expires_in": 3600, "token_type": "bearer", "msg": "ok"})
    monkeypatch.setattr(action_under_test.ActionModule, "EXECUTE", execute)
    return execute


def make_action(args, transport="local", check_mode=False, diff=False, environment=None):
    task = Mock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.environment = environment
    task.async_val = 0
    connection = Mock()
    connection.transport = transport
    templar = Mock()
    templar.template.side_effect = lambda value: value
    action = action_under_test.ActionModule(task=task, connection=connection, play_context=Mock(), loader=None,
                                            templar=templar, shared_loader_obj=None)
    action._execute_module = Mock(return_value=dict(MODULE_RESULT))
    return action


def run(action, task_vars=None):
    return action.run(task_vars=task_vars if task_vars is not None else {})


def module_failure(args):
    with patch_module_args(dict(args, _ansible_module_name=MODULE)), patch.object(basic.AnsibleModule, "fail_json", _fail_json):
        with pytest.raises(FailJson) as info:
            basic.AnsibleModule(argument_spec=token_argument_spec(), supports_check_mode=True)
    return info.value.args[0]


def test_wiring():
    assert issubclass(action_under_test.ActionModule, ReltioAction)
    assert action_under_test.ActionModule.MODULE == MODULE
    assert action_under_test.ActionModule.ARGUMENT_SPEC is token_argument_spec
    assert action_under_test.ActionModule.EXECUTE is access_token.execute
    assert action_under_test.ActionModule.HIDE_RESULT is True


def test_controller_result_is_no_log_and_holds_the_token(http):
    http.answers.append(token_response())
    result = run(make_action(dict(ARGS)))
    assert result["_ansible_no_log"] is True
    assert result["access_token"] == TOKEN
    assert result["expires_in"] == 3600
    assert result["token_type"] == "bearer"
    assert result["changed"] is False
    assert "failed" not in result
    call = http.sessions[0].calls[0]
    assert call.url == AUTH_URL
    assert call.kwargs["auth"] == (RELTIO_ID, RELTIO_SECRET)
    module_args = result["invocation"]["module_args"]
    assert module_args["reltio_client_id"] == HIDDEN
    assert module_args["reltio_client_secret"] == HIDDEN


def test_target_result_is_no_log_and_holds_the_token(execute):
    args = dict(ARGS)
    action = make_action(args, transport="ssh")
    task_vars = {"inventory_hostname": "bastion"}
    result = run(action, task_vars)
    execute.assert_not_called()
    action._execute_module.assert_called_once_with(module_name=MODULE, module_args=args, task_vars=task_vars)
    assert result == dict(MODULE_RESULT, _ansible_no_log=True)


def test_failure_is_no_log_too(execute):
    execute.side_effect = AuthenticationError("Reltio refused the client credentials", status=401)
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert result["status"] == 401
    assert result["_ansible_no_log"] is True


def test_validation_failure_is_no_log_too(execute):
    result = run(make_action({"bogus": 1}))
    assert result["failed"] is True
    assert result["_ansible_no_log"] is True
    execute.assert_not_called()


def test_in_process_with_reuse_and_task_flags(execute):
    run(make_action(dict(ARGS), check_mode=True, diff=True))
    kwargs = execute.call_args[1]
    assert kwargs["reuse"] is True
    assert kwargs["check_mode"] is True
    assert kwargs["diff"] is True


def test_check_mode_fetches_the_token_too(http):
    http.answers.append(token_response())
    result = run(make_action(dict(ARGS), check_mode=True))
    assert result["access_token"] == TOKEN
    assert len(http.sessions[0].calls) == 1


def test_each_run_fetches_a_token_on_one_session(http):
    http.answers.extend([token_response("tok-1"), token_response("tok-2")])
    first = run(make_action(dict(ARGS)))
    second = run(make_action(dict(ARGS)))
    assert (first["access_token"], second["access_token"]) == ("tok-1", "tok-2")
    assert len(http.sessions) == 1
    assert len(http.sessions[0].calls) == 2


def test_tenant_options_accepted_and_ignored(http):
    http.answers.append(token_response())
    result = run(make_action(dict(ARGS, platform_url="https://test.reltio.com", tenant_id="tenant01")))
    assert result["access_token"] == TOKEN
    assert [call.url for call in http.sessions[0].calls] == [AUTH_URL]


def test_task_environment_gives_the_credentials(http):
    http.answers.append(token_response())
    environment = {"RELTIO_CLIENT_ID": "env-id", "RELTIO_CLIENT_SECRET": "env-secret", "RELTIO_AUTH_URL": AUTH_URL}
    result = run(make_action({}, environment=environment))
    assert result["access_token"] == TOKEN
    assert http.sessions[0].calls[0].kwargs["auth"] == ("env-id", "env-secret")
    assert result["invocation"]["module_args"]["reltio_client_secret"] == HIDDEN


def test_missing_credentials_fail_before_any_request(http):
    result = run(make_action({"access_token": "tok-given"}))
    assert result["failed"] is True
    assert result["msg"].startswith("Invalid arguments: reltio_client_id is required to fetch a token")
    assert "tok-given" not in result["msg"]
    assert all(not session.calls for session in http.sessions)


@pytest.mark.parametrize("args", [
    dict(ARGS, connection_name="conn-01"),
    dict(ARGS, validate_certs="maybe"),
    dict(ARGS, execution="controller", timeout="soon"),
    dict(ARGS, retries="few"),
])
def test_validation_errors_match_ansible_module(execute, args):
    result = run(make_action(dict(args)))
    execute.assert_not_called()
    assert result["msg"] == module_failure(args)["msg"]


def test_unsupported_parameter_names_the_module(execute):
    result = run(make_action(dict(ARGS, connection_name="conn-01")))
    assert result["msg"].startswith("Unsupported parameters for (reltio.platform.reltio_token) module: connection_name.")
    execute.assert_not_called()


def test_refused_credentials_in_process(http):
    http.answers.append(FakeResponse(401, {"error": "invalid_client", "error_description": "Bad client %s" % RELTIO_SECRET}))
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert result["status"] == 401
    assert result["msg"].startswith("Reltio refused the client credentials")
    assert RELTIO_SECRET not in json.dumps(result)
    assert result["_ansible_no_log"] is True


def test_missing_requests_on_the_controller(execute, monkeypatch):
    monkeypatch.setattr(client_module, "HAS_REQUESTS", False)
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert result["msg"] == basic.missing_required_lib("requests") + " (on the controller)"
    assert result["_ansible_no_log"] is True
    execute.assert_not_called()
