# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import Mock

import pytest

from ansible.module_utils import basic

from ansible_collections.reltio.platform.plugins.action import reltio_databricks_connection as action_under_test
from ansible_collections.reltio.platform.plugins.module_utils import databricks_connection, transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import databricks_connection_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError

from .. import fakes
from ..fakes import AUTH_URL, HIDDEN, LOOP_ITEM, RELTIO_ID, RELTIO_SECRET, FakeResponse, authorization, module_failure, token_response

pytestmark = pytest.mark.usefixtures("action_isolation")

MODULE = "reltio.platform.reltio_databricks_connection"
DBX_SECRET = 'dbx"Secret/é+&?-42'
TOKEN = "tok-action-1"
ARGS = {
    "platform_url": "https://test.reltio.com",
    "tenant_id": "tenant01",
    "reltio_client_id": RELTIO_ID,
    "reltio_client_secret": RELTIO_SECRET,
    "auth_url": AUTH_URL,
    "connection_name": "conn-01",
    "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
    "warehouse_id": "ab1c2d3ef5g6h7i8",
    "client_id": "dbx-client-id",
    "client_secret": DBX_SECRET,
}
TARGET_RESULT = {"changed": True, "msg": "from the target"}
CREATE_URL = "https://test.reltio.com/reltio/api/tenants/tenant01/interactions/database-configs/databricks/oauth/credentials"


def created(name="conn-01"):
    return FakeResponse(200, {"successful": True, "result": {"connectionId": "id-%s" % name, "connectionName": name,
                                                             "status": "success", "message": "stored", "timestamp": 1}})


def make_action(args, **kwargs):
    return fakes.make_action(action_under_test.ActionModule, args, TARGET_RESULT, **kwargs)


def run(action, task_vars=None):
    return action.run(task_vars=task_vars if task_vars is not None else {})


@pytest.fixture(name="execute")
def execute_fixture(monkeypatch):
    execute = Mock(return_value={"changed": True, "msg": "done"})
    monkeypatch.setattr(action_under_test.ActionModule, "EXECUTE", execute)
    return execute


def test_wiring():
    fakes.assert_wiring(action_under_test.ActionModule, MODULE, databricks_connection_argument_spec, databricks_connection.validate,
                        databricks_connection.execute,
                        hide_result=False)


def test_auto_local_runs_execute_in_process_with_the_cache_in_a_loop(execute, action_isolation):
    action = make_action(dict(ARGS), check_mode=True, diff=True)
    result = run(action, dict(LOOP_ITEM, item=1))
    action._execute_module.assert_not_called()
    execute.assert_called_once()
    params = execute.call_args[0][0]
    assert params["connection_name"] == "conn-01"
    assert params["update_secret"] == "on_create"
    assert params["test_connection"] is False
    kwargs = execute.call_args[1]
    assert kwargs["cache"] is action_isolation
    assert kwargs["check_mode"] is True
    assert kwargs["diff"] is True
    assert result["msg"] == "done"
    assert "_ansible_no_log" not in result


def test_auto_ssh_runs_the_module_with_the_task_args(execute):
    args = dict(ARGS)
    action = make_action(args, transport="ssh", environment={"DATABRICKS_HOST": "https://env.cloud.databricks.com"})
    task_vars = {"inventory_hostname": "bastion"}
    result = run(action, task_vars)
    execute.assert_not_called()
    action._execute_module.assert_called_once_with(module_name=MODULE, module_args=args, task_vars=task_vars)
    assert result == {"changed": True, "msg": "from the target"}


def test_alias_name_in_process(execute):
    args = dict(ARGS)
    del args["connection_name"]
    args["name"] = "aliased"
    run(make_action(args))
    assert execute.call_args[0][0]["connection_name"] == "aliased"


def test_task_environment_fills_databricks_options(execute):
    args = dict(ARGS)
    for name in ("workspace_url", "warehouse_id", "client_id", "client_secret"):
        del args[name]
    environment = {"DATABRICKS_HOST": "https://env.cloud.databricks.com", "DATABRICKS_WAREHOUSE_ID": "wh-env",
                   "DATABRICKS_CLIENT_ID": "dbx-env-id", "DATABRICKS_CLIENT_SECRET": "dbx-env-secret"}
    execute.return_value = {"changed": True, "msg": "stored dbx-env-secret"}
    result = run(make_action(args, environment=environment))
    params = execute.call_args[0][0]
    assert params["workspace_url"] == "https://env.cloud.databricks.com"
    assert params["warehouse_id"] == "wh-env"
    assert params["client_id"] == "dbx-env-id"
    assert params["client_secret"] == "dbx-env-secret"
    assert result["msg"] == "stored ********"
    assert result["invocation"]["module_args"]["client_secret"] == HIDDEN


@pytest.mark.parametrize("change", [
    {"connection_name": None},
    {"update_secret": "sometimes"},
    {"test_connection": "maybe"},
    {"bogus": 1},
    {"retries": "three"},
    {"connection_name": None, "workspace_url": None, "bogus": 1},
])
def test_validation_errors_match_the_module(execute, change):
    args = dict(ARGS, **change)
    args = dict((key, value) for key, value in args.items() if value is not None)
    result = run(make_action(dict(args)))
    execute.assert_not_called()
    assert result["failed"] is True
    assert result["msg"] == module_failure(MODULE, databricks_connection_argument_spec(), args, databricks_connection.validate)["msg"]


def test_validation_messages(execute):
    args = dict(ARGS, update_secret="sometimes")
    del args["connection_name"]
    assert run(make_action(args))["msg"] == (
        "Invalid arguments: value of update_secret must be one of: on_create, always, got: sometimes;"
        " connection_name is required and must not be blank: set it.")
    assert run(make_action(dict(ARGS, bogus=1, client_secrets="x")))["msg"] == (
        "Invalid arguments: bogus is not an option of reltio.platform.reltio_databricks_connection; client_secrets is not"
        " an option of reltio.platform.reltio_databricks_connection (did you mean client_secret?).")
    msg = run(make_action(dict(ARGS, test_connection="maybe")))["msg"]
    assert msg == "Invalid arguments: test_connection must be a boolean (its value is not shown)."
    execute.assert_not_called()


def test_reltio_error_gives_its_fail_kwargs(execute):
    error = ApiError("Reltio answered HTTP 502", status=502, may_exist=True)
    error.result = {"changed": False, "created": False}
    execute.side_effect = error
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert dict((key, result[key]) for key in error.fail_kwargs()) == error.fail_kwargs()


def test_without_requests_on_the_controller_auto_runs_the_module(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    action = make_action(dict(ARGS))
    assert run(action) == TARGET_RESULT
    execute.assert_not_called()
    action._execute_module.assert_called_once()


def test_without_requests_execution_controller_fails(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    action = make_action(dict(ARGS, execution="controller"))
    result = run(action)
    assert result == {"failed": True,
                      "msg": basic.missing_required_lib("requests") + " (on the controller, for execution: controller)",
                      "reason_code": "missing_library"}
    execute.assert_not_called()
    action._execute_module.assert_not_called()


def test_become_runs_the_module(execute):
    action = make_action(dict(ARGS), become=True)
    assert run(action) == TARGET_RESULT
    execute.assert_not_called()


# ---- through the real execute and client, with a fake HTTP session ------------------------------


def test_loop_in_process_shares_one_session_and_one_token(http):
    names = ["conn-01", "conn-02", "conn-03"]
    http.answers.extend([token_response(TOKEN)] + [created(name) for name in names])
    results = [run(make_action(dict(ARGS, connection_name=name)), dict(LOOP_ITEM, item=name)) for name in names]
    assert len(http.sessions) == 1
    session = http.sessions[0]
    assert [call.url for call in session.calls] == [AUTH_URL, CREATE_URL, CREATE_URL, CREATE_URL]
    assert [call.kwargs["json"]["connectionName"] for call in session.calls[1:]] == names
    assert [authorization(call) for call in session.calls[1:]] == ["Bearer %s" % TOKEN] * 3
    assert [result["connection"]["connection_name"] for result in results] == names
    for result in results:
        assert result["changed"] is True
        assert "failed" not in result
        text = json.dumps(result) + json.dumps(result, ensure_ascii=False)
        for secret in (DBX_SECRET, RELTIO_SECRET, TOKEN):
            assert secret not in text
        assert result["invocation"]["module_args"]["client_secret"] == HIDDEN


def test_tasks_without_a_loop_keep_nothing(http, action_isolation):
    """Each runs once in its own worker: a session and a token kept for a next one would never be used."""
    http.answers.extend([token_response("tok-0001"), created("conn-01"), token_response("tok-0002"), created("conn-02")])
    for name in ("conn-01", "conn-02"):
        assert run(make_action(dict(ARGS, connection_name=name)))["changed"] is True
    assert [[call.url for call in session.calls] for session in http.sessions] == [[AUTH_URL, CREATE_URL]] * 2
    assert [authorization(session.calls[1]) for session in http.sessions] == ["Bearer tok-0001", "Bearer tok-0002"]
    assert len(action_isolation) == 0


def test_target_runs_make_no_session(http):
    action = make_action(dict(ARGS, execution="target"))
    assert run(action) == {"changed": True, "msg": "from the target"}
    assert not http.sessions


def test_check_mode_in_process_fetches_a_token_and_sends_nothing_else(http):
    http.answers.append(token_response(TOKEN))
    result = run(make_action(dict(ARGS), check_mode=True, diff=True))
    assert [call.url for call in http.sessions[0].calls] == [AUTH_URL]
    assert result["changed"] is True
    assert result["diff"] == {"before": {}, "after": {"connection_name": "conn-01", "workspace_url": ARGS["workspace_url"],
                                                      "warehouse_id": ARGS["warehouse_id"], "client_id": "dbx-client-id",
                                                      "client_secret": "<hidden>"}}
    assert result["msg"].startswith("Check mode: connection 'conn-01' would be created")


def test_real_validation_failure_sends_nothing(http):
    result = run(make_action(dict(ARGS, workspace_url="http://adb.example.com")))
    assert result["failed"] is True
    assert "workspace_url must use https" in result["msg"]
    assert all(not session.calls for session in http.sessions)


def test_validate_certs_warning_reaches_the_result(http):
    http.answers.append(token_response(TOKEN))
    result = run(make_action(dict(ARGS, validate_certs=False), check_mode=True))
    assert result["warnings"] == ["validate_certs is false: the TLS certificates of Reltio are not checked."]
    assert http.sessions[0].calls[0].kwargs["verify"] is False


def test_reltio_refusal_in_process_is_a_failed_result_without_secrets(http):
    http.answers.extend([token_response(TOKEN), FakeResponse(400, {"errorMessage": "clientSecret %s is invalid" % DBX_SECRET,
                                                                   "errorCode": 77})])
    result = run(make_action(dict(ARGS)))
    assert result["failed"] is True
    assert result["status"] == 400
    assert result["error_code"] == 77
    assert result["changed"] is False
    assert DBX_SECRET not in json.dumps(result, ensure_ascii=False)


def test_a_loop_with_other_credentials_gets_its_own_session_and_token(http):
    other = dict(ARGS, reltio_client_secret="another-Reltio-secret-7")
    http.answers.extend([token_response("tok-0001"), created("conn-01"), token_response("tok-0002"), created("conn-02"),
                         created("conn-03")])
    for args in (dict(ARGS, connection_name="conn-01"), dict(other, connection_name="conn-02"),
                 dict(ARGS, connection_name="conn-03")):
        assert "failed" not in run(make_action(args), dict(LOOP_ITEM, item=args["connection_name"]))
    first, second = http.sessions
    assert [call.url for call in first.calls] == [AUTH_URL, CREATE_URL, CREATE_URL]
    assert [call.url for call in second.calls] == [AUTH_URL, CREATE_URL]
    assert [authorization(call) for call in first.calls[1:]] == ["Bearer tok-0001"] * 2
    assert authorization(second.calls[1]) == "Bearer tok-0002"


def test_a_loop_with_another_proxy_in_the_task_environment_gets_another_session(http, monkeypatch):
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    http.answers.extend([token_response("tok-0001"), created("conn-01"), token_response("tok-0002"), created("conn-02")])
    run(make_action(dict(ARGS, connection_name="conn-01")), dict(LOOP_ITEM, item=1))
    run(make_action(dict(ARGS, connection_name="conn-02"), environment={"HTTPS_PROXY": "http://proxy.example.com:3128"}),
        dict(LOOP_ITEM, item=2))
    assert len(http.sessions) == 2
    assert [len(session.calls) for session in http.sessions] == [2, 2]


def test_each_test_starts_with_an_empty_cache(action_isolation):
    assert len(action_isolation) == 0
    assert action_under_test.ActionModule.CACHE is action_isolation
