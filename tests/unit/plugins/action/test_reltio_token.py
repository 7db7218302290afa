# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import Mock

import pytest

from ansible.module_utils import basic

from ansible_collections.reltio.platform.plugins.action import reltio_token as action_under_test
from ansible_collections.reltio.platform.plugins.module_utils import access_token, transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import token_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.errors import AuthenticationError

from .. import fakes
from ..fakes import AUTH_URL, HIDDEN, LOOP_ITEM, RELTIO_ID, RELTIO_SECRET, FakeResponse, module_failure, token_response

pytestmark = pytest.mark.usefixtures("action_isolation")

MODULE = "reltio.platform.reltio_token"
TOKEN = "tok-fetched-by-action"
ARGS = {"reltio_client_id": RELTIO_ID, "reltio_client_secret": RELTIO_SECRET, "auth_url": AUTH_URL}
MODULE_RESULT = {"changed": False, "access_token": "tok-from-target", "expires_in": 3600, "token_type": "bearer", "msg": "Fetched."}


@pytest.fixture(name="execute")
def execute_fixture(monkeypatch):
    execute = Mock(return_value={"changed": False, "access_token": TOKEN, "expires_in": 3600, "token_type": "bearer", "msg": "ok"})
    monkeypatch.setattr(action_under_test.ActionModule, "EXECUTE", execute)
    return execute


def make_action(args, **kwargs):
    return fakes.make_action(action_under_test.ActionModule, args, MODULE_RESULT, **kwargs)


def run(action, task_vars=None):
    return action.run(task_vars=task_vars if task_vars is not None else {})


def test_wiring():
    fakes.assert_wiring(action_under_test.ActionModule, MODULE, token_argument_spec, access_token.validate, access_token.execute,
                        hide_result=True)


def test_controller_result_is_no_log_and_holds_the_token(http):
    http.answers.append(token_response(TOKEN))
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


def test_a_failure_is_shown_it_holds_no_token(execute):
    # ansible-core 2.16 would censor all of a no_log failure, its message included.
    execute.side_effect = AuthenticationError("Reltio refused the client credentials", status=401)
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert result["status"] == 401
    assert "_ansible_no_log" not in result
    assert RELTIO_SECRET not in json.dumps(result)


def test_a_validation_failure_is_shown(execute):
    result = run(make_action({"bogus": 1}))
    assert result["failed"] is True
    assert "bogus" in result["msg"]
    assert "_ansible_no_log" not in result
    execute.assert_not_called()


def test_in_process_with_the_cache_in_a_loop_and_task_flags(execute, action_isolation):
    run(make_action(dict(ARGS), check_mode=True, diff=True), dict(LOOP_ITEM, item=1))
    kwargs = execute.call_args[1]
    assert kwargs["cache"] is action_isolation
    assert kwargs["check_mode"] is True
    assert kwargs["diff"] is True


def test_check_mode_fetches_the_token_too(http):
    http.answers.append(token_response(TOKEN))
    result = run(make_action(dict(ARGS), check_mode=True))
    assert result["access_token"] == TOKEN
    assert len(http.sessions[0].calls) == 1


def test_each_run_fetches_a_token_on_one_session(http):
    http.answers.extend([token_response("tok-0001"), token_response("tok-0002")])
    first = run(make_action(dict(ARGS)), dict(LOOP_ITEM, item=1))
    second = run(make_action(dict(ARGS)), dict(LOOP_ITEM, item=2))
    assert (first["access_token"], second["access_token"]) == ("tok-0001", "tok-0002")
    assert len(http.sessions) == 1
    assert len(http.sessions[0].calls) == 2


def test_tenant_options_accepted_and_ignored(http):
    http.answers.append(token_response(TOKEN))
    result = run(make_action(dict(ARGS, platform_url="https://test.reltio.com", tenant_id="tenant01")))
    assert result["access_token"] == TOKEN
    assert [call.url for call in http.sessions[0].calls] == [AUTH_URL]


def test_task_environment_gives_the_credentials(http):
    http.answers.append(token_response(TOKEN))
    environment = {"RELTIO_CLIENT_ID": "env-client-id", "RELTIO_CLIENT_SECRET": "env-secret", "RELTIO_AUTH_URL": AUTH_URL}
    result = run(make_action({}, environment=environment))
    assert result["access_token"] == TOKEN
    assert http.sessions[0].calls[0].kwargs["auth"] == ("env-client-id", "env-secret")
    assert result["invocation"]["module_args"]["reltio_client_secret"] == HIDDEN


def test_missing_credentials_fail_before_any_request(http):
    result = run(make_action({"access_token": "tok-given"}))
    assert result["failed"] is True
    assert result["msg"].startswith("Invalid arguments: reltio_client_id is required to fetch a token")
    assert "tok-given" not in result["msg"]
    assert all(not session.calls for session in http.sessions)


@pytest.mark.parametrize("args", [
    dict(ARGS, bogus="x"),
    dict(ARGS, validate_certs="maybe"),
    dict(ARGS, execution="controller", timeout="soon"),
    dict(ARGS, retries="few"),
    {"reltio_client_id": "client-id-7", "retries": "few"},
])
def test_validation_errors_match_the_module(execute, args):
    result = run(make_action(dict(args)))
    execute.assert_not_called()
    assert result["msg"] == module_failure(MODULE, token_argument_spec(), args, access_token.validate)["msg"]


def test_unsupported_parameter_names_the_module(execute):
    result = run(make_action(dict(ARGS, tenant="t")))
    assert result["msg"] == ("Invalid arguments: tenant is not an option of reltio.platform.reltio_token"
                             " (did you mean tenant_id?).")
    execute.assert_not_called()


def test_options_of_the_other_modules_are_accepted_and_ignored(http):
    http.answers.append(token_response(TOKEN))
    result = run(make_action(dict(ARGS, connection_name="conn-01", workspace_url="not checked", preflight=True)))
    assert result["access_token"] == TOKEN


def test_refused_credentials_in_process(http):
    http.answers.append(FakeResponse(401, {"error": "invalid_client", "error_description": "Bad client %s" % RELTIO_SECRET}))
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert result["status"] == 401
    assert result["msg"].startswith("Reltio refused the client credentials")
    assert RELTIO_SECRET not in json.dumps(result)
    assert "_ansible_no_log" not in result


def test_without_requests_on_the_controller_auto_runs_the_module(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    action = make_action(dict(ARGS))
    assert run(action) == dict(MODULE_RESULT, _ansible_no_log=True)
    execute.assert_not_called()


def test_without_requests_execution_controller_fails(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    result = run(make_action(dict(ARGS, execution="controller")))
    assert result == {"failed": True,
                      "msg": basic.missing_required_lib("requests") + " (on the controller, for execution: controller)",
                      "reason_code": "missing_library"}
    execute.assert_not_called()


def test_a_kept_token_is_not_handed_out_instead_of_a_new_one(http):
    """reltio_token always fetches: the task asks for a token, not for the one a loop item kept."""
    http.answers.extend([token_response("tok-0001"), token_response("tok-0002")])
    assert [run(make_action(dict(ARGS)))["access_token"] for dummy in range(2)] == ["tok-0001", "tok-0002"]
