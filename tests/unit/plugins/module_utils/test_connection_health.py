# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
from unittest.mock import Mock

import pytest

from ansible_collections.reltio.platform.plugins.module_utils import connection_health as ch
from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.module_utils.databricks_workspace import DatabricksWorkspace
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    ApiError,
    AuthenticationError,
    CredentialsRefused,
    NotFoundError,
    PreflightError,
    ReltioError,
    TransportError,
    ValidationError,
)

from ..fakes import FakeResponse, params_with

TENANT = "tenantA"
NAME = "databricks-connection-01"
DBX_SECRET = "dbx-health-Secret-77"
TOKEN = "tok-health-0123456789"
# 2026-12-04T05:06:07Z
NOW = calendar.timegm((2026, 12, 4, 5, 6, 7, 0, 0, 0))


def params(**overrides):
    return params_with({
        "platform_url": "https://test.reltio.com",
        "tenant_id": TENANT,
        "access_token": TOKEN,
        "reltio_client_id": None,
        "reltio_client_secret": None,
        "execution": "auto",
        "connection_name": NAME,
        "preflight": False,
        "workspace_url": None,
        "warehouse_id": None,
        "client_id": None,
        "client_secret": None,
        "update_secret": None,
        "test_connection": None,
    }, overrides)


def with_preflight(**overrides):
    values = {"preflight": True, "workspace_url": "https://adb-1.1.azuredatabricks.net", "warehouse_id": "wh-1",
              "client_id": "sp-1", "client_secret": DBX_SECRET}
    values.update(overrides)
    return params(**values)


@pytest.fixture
def unused_client(monkeypatch):
    """The module's way to a Reltio client, faked, for a test of what is refused before any client is built."""
    reltio_client = Mock()
    monkeypatch.setattr(ch, "reltio_client", reltio_client)
    return reltio_client


@pytest.fixture(name="client")
def client_fixture():
    client = Mock(spec=ReltioClient)
    client.tenant_id = TENANT
    client.test_connection.return_value = {"connected": True, "message": "Connection successful", "database_type": "DATABRICKS", "reason_code": "ok"}
    return client


def run(client, task=None, **kwargs):
    return ch.run(task or params(), client, clock=lambda: NOW, **kwargs)


# ---- validate --------------------------------------------------------------------------------


def test_validate_needs_only_the_tenant_auth_and_name():
    assert ch.validate(params()) is None


@pytest.mark.parametrize("value", [None, "", "  "])
def test_validate_needs_the_connection_name(value):
    with pytest.raises(ValidationError) as info:
        ch.validate(params(connection_name=value))
    assert info.value.problems == ["connection_name is required and must not be blank: set it"]


def test_validate_names_every_problem_before_any_request():
    with pytest.raises(ValidationError) as info:
        ch.validate(params(platform_url="http://test.reltio.com", tenant_id="..", access_token=None, timeout=0))
    text = info.value.msg
    for option in ("platform_url must use https", "tenant_id must not be made of dots only", "access_token is required",
                   "timeout must be"):
        assert option in text


def test_validate_needs_the_databricks_options_only_with_preflight():
    assert ch.validate(params(preflight=False, workspace_url="not a url")) is None
    with pytest.raises(ValidationError) as info:
        ch.validate(params(preflight=True))
    assert info.value.problems == [
        "workspace_url is required and must not be blank: set it or the DATABRICKS_HOST environment variable",
        "warehouse_id is required with preflight: true and must not be blank: set it or the DATABRICKS_WAREHOUSE_ID"
        " environment variable",
        "client_id is required with preflight: true and must not be blank: set it or the DATABRICKS_CLIENT_ID"
        " environment variable",
        "client_secret is required with preflight: true and must not be blank: set it or the DATABRICKS_CLIENT_SECRET"
        " environment variable",
    ]
    with pytest.raises(ValidationError) as info:
        ch.validate(with_preflight(workspace_url="http://adb-1.1.azuredatabricks.net"))
    assert info.value.problems == ["workspace_url must use https, got 'http://adb-1.1.azuredatabricks.net'"]


@pytest.mark.parametrize("overrides, problem", [
    ({"client_secret": "s\u00e9cret-\u20ac-value-01"},
     "client_secret holds characters that HTTP Basic authentication cannot carry (only Latin-1 can), and the preflight"
     " sends it so"),
    ({"client_id": "sp-\u0141\u00f3d\u017a"},
     "client_id holds characters that HTTP Basic authentication cannot carry (only Latin-1 can), and the preflight sends"
     " it so"),
    ({"client_secret": "Qz7"}, "client_secret is shorter than 8 characters"),
    ({"client_secret": "x" * 16385}, "client_secret is longer than 16384 characters"),
])
def test_validate_checks_the_preflight_credentials_as_reltio_databricks_connection_does(overrides, problem):
    """Issue 25: a non-Latin-1 client_secret crashed the preflight showing a character of the secret and its position;
    a secret under 8 characters or over 16 KiB was accepted."""
    with pytest.raises(ValidationError) as info:
        ch.validate(with_preflight(**overrides))
    assert len(info.value.problems) == 1 and info.value.problems[0].startswith(problem), info.value.problems
    secret = overrides.get("client_secret") or overrides["client_id"]
    assert secret not in info.value.msg and "\u20ac" not in info.value.msg and "position" not in info.value.msg


# ---- run: the four statuses ------------------------------------------------------------------


def test_a_passing_test_is_healthy(client):
    result = run(client)
    assert result == {
        "changed": False, "connection_name": NAME, "tenant_id": TENANT, "exists": True, "connected": True,
        "status": "healthy", "reason_code": "ok", "message": "Connection successful", "checked_at": "2026-12-04T05:06:07Z",
        "preflight": None,
        "msg": "Connection '%s' of tenant '%s' is healthy: Reltio's test passed (Connection successful)." % (NAME, TENANT),
    }
    client.ensure_token.assert_called_once_with()
    client.test_connection.assert_called_once_with(NAME)


def test_a_failing_test_is_failing_with_reltios_reason(client):
    client.test_connection.return_value = {"connected": False, "message": "Warehouse wh-1 is deleted.", "database_type": None,
                                           "reason_code": "warehouse_missing"}
    result = run(client)
    assert (result["status"], result["exists"], result["connected"], result["changed"]) == ("failing", True, False, False)
    assert result["message"] == "Warehouse wh-1 is deleted."
    assert result["msg"] == ("Connection '%s' of tenant '%s' is failing: Reltio's test did not connect: Warehouse wh-1 is"
                             " deleted." % (NAME, TENANT))


@pytest.mark.parametrize("connected, said, status", [(True, "Reltio gave no message", "healthy"),
                                                     (False, "Reltio gave no reason", "failing")])
def test_a_test_without_a_message_says_so(client, connected, said, status):
    client.test_connection.return_value = {"connected": connected, "message": None, "database_type": None,
                                           "reason_code": "ok" if connected else "databricks_other"}
    result = run(client)
    assert (result["status"], result["message"]) == (status, said)


def test_a_404_is_missing_and_nothing_is_created(client):
    client.test_connection.side_effect = NotFoundError("Reltio answered HTTP 404 Not Found while testing connection 'x':"
                                                       " Database configuration x not found.", status=404,
                                                       reason_code="connection_not_found")
    result = run(client)
    assert (result["status"], result["exists"], result["connected"], result["changed"]) == ("missing", False, None, False)
    assert result["message"] == "Reltio answered HTTP 404 Not Found while testing connection 'x': Database configuration x not found."
    assert result["msg"].startswith("Reltio does not know connection '%s' in tenant '%s'; nothing was created." % (NAME, TENANT))
    assert [call[0] for call in client.method_calls] == ["ensure_token", "test_connection"]


@pytest.mark.parametrize("error", [
    ApiError("Reltio answered the connection test of 'x' without a 'connected' field: {}", status=200),
    ApiError("Reltio answered HTTP 500 Internal Server Error while testing connection 'x': boom", status=500),
    ApiError("Reltio answered HTTP 400 Bad Request while testing connection 'x': bad", status=400),
])
def test_any_other_answer_of_reltio_is_error(client, error):
    client.test_connection.side_effect = error
    result = run(client)
    assert (result["status"], result["exists"], result["connected"], result["changed"]) == ("error", None, None, False)
    assert result["message"] == error.msg
    assert result["msg"] == "Reltio's test of connection '%s' in tenant '%s' gave no result: %s" % (NAME, TENANT, error.msg)


@pytest.mark.parametrize("error", [
    AuthenticationError("Reltio refused the access token or credentials (HTTP 401 Unauthorized)", status=401),
    TransportError("Could not connect to test.reltio.com", request_sent=False),
])
def test_authentication_and_transport_errors_fail_the_task(client, error):
    client.test_connection.side_effect = error
    with pytest.raises(type(error)) as info:
        run(client)
    assert info.value is error


def test_a_token_that_cannot_be_fetched_fails_the_task_before_the_test(client):
    client.ensure_token.side_effect = ApiError("The token endpoint answered HTTP 500", status=500)
    with pytest.raises(ApiError):
        run(client)
    client.test_connection.assert_not_called()


def test_check_mode_runs_the_test_too(client):
    client.test_connection.return_value = {"connected": False, "message": "nope", "database_type": None,
                                           "reason_code": "databricks_other"}
    assert run(client, check_mode=True, diff=True)["status"] == "failing"
    client.test_connection.assert_called_once_with(NAME)


def test_nothing_but_the_token_and_the_test_is_asked_of_reltio(client):
    run(client)
    assert [call[0] for call in client.method_calls] == ["ensure_token", "test_connection"]
    client.create_connection.assert_not_called()
    client.store_credentials.assert_not_called()


def test_the_message_is_plain_and_short(client):
    client.test_connection.return_value = {"connected": False, "message": "line one\r\n\tline\x1b[31m two\x00 " + "x" * 900,
                                           "database_type": None, "reason_code": "databricks_other"}
    message = run(client)["message"]
    assert message.startswith("line one line [31m two x")
    assert len(message) == ch.MESSAGE_LENGTH and message.endswith("...")
    assert not any(ord(char) < 32 for char in message)


def test_validate_certs_false_warns(client):
    warn = Mock()
    run(client, params(validate_certs=False), warn=warn)
    warn.assert_called_once_with("validate_certs is false: the TLS certificates of Reltio are not checked.")


def test_checked_at_is_the_clock_in_utc():
    assert ch.timestamp(0) == "1970-01-01T00:00:00Z"
    assert ch.timestamp(NOW) == "2026-12-04T05:06:07Z"


# ---- run: preflight --------------------------------------------------------------------------


def test_preflight_that_passes(client):
    workspace = Mock(spec=DatabricksWorkspace)
    workspace.check.return_value = {"warehouse_id": "wh-1", "warehouse_name": "Reltio", "warehouse_state": "RUNNING"}
    result = run(client, with_preflight(), workspace=workspace)
    workspace.check.assert_called_once_with("wh-1")
    assert result["preflight"] == {
        "passed": True, "reason_code": "ok", "warehouse_id": "wh-1", "warehouse_name": "Reltio", "warehouse_state": "RUNNING",
        "message": "Preflight passed: the service principal got a Databricks token and may use warehouse 'wh-1' (RUNNING).",
    }
    assert result["msg"].endswith(" " + result["preflight"]["message"])
    assert result["status"] == "healthy"


def test_preflight_that_fails_is_reported_not_raised(client):
    workspace = Mock(spec=DatabricksWorkspace)
    workspace.check.side_effect = PreflightError("Preflight: SQL warehouse 'wh-1' does not exist\nin the workspace.", status=404,
                                                 reason_code="warehouse_missing")
    result = run(client, with_preflight(), workspace=workspace)
    assert result["preflight"] == {"passed": False, "message": "Preflight: SQL warehouse 'wh-1' does not exist in the workspace.",
                                   "reason_code": "warehouse_missing",
                                   "warehouse_id": "wh-1", "warehouse_name": None, "warehouse_state": None}
    assert result["status"] == "healthy"


def test_a_failing_test_with_a_passing_preflight_says_what_to_do(client):
    client.test_connection.return_value = {"connected": False, "message": "invalid_client", "database_type": None,
                                           "reason_code": "databricks_auth"}
    workspace = Mock(spec=DatabricksWorkspace)
    workspace.check.return_value = {"warehouse_id": "wh-1", "warehouse_name": "Reltio", "warehouse_state": "RUNNING"}
    result = run(client, with_preflight(), workspace=workspace)
    assert result["msg"].endswith("store them with reltio.platform.reltio_databricks_connection and test_connection: true.")


# ---- execute ---------------------------------------------------------------------------------


def test_execute_validates_before_building_a_client(unused_client):
    with pytest.raises(ValidationError):
        ch.execute(params(connection_name=""))
    unused_client.assert_not_called()


def test_execute_runs_with_the_client_and_the_cache(monkeypatch, client):
    monkeypatch.setattr(ch, "reltio_client", Mock(return_value=client))
    monkeypatch.setattr(ch, "databricks_workspace", Mock())
    cache = ClientCache()
    task = params()
    result = ch.execute(task, check_mode=True, cache=cache)
    assert result["status"] == "healthy"
    ch.reltio_client.assert_called_once_with(task, cache)
    ch.databricks_workspace.assert_not_called()


def test_execute_builds_the_preflight_workspace_only_when_asked(monkeypatch, client):
    client.redact = Mock()
    workspace = Mock(spec=DatabricksWorkspace)
    workspace.check.return_value = {"warehouse_id": "wh-1", "warehouse_name": "W", "warehouse_state": "STOPPED"}
    monkeypatch.setattr(ch, "reltio_client", Mock(return_value=client))
    monkeypatch.setattr(ch, "databricks_workspace", Mock(return_value=workspace))
    task = with_preflight()
    assert ch.execute(task)["preflight"]["passed"] is True
    ch.databricks_workspace.assert_called_once_with(task, client.redact, None)
    workspace.check.assert_called_once_with("wh-1")


def test_execute_moves_the_http_status_of_a_failure_out_of_status(monkeypatch, client):
    client.test_connection.side_effect = AuthenticationError("Reltio refused the access token (HTTP 401)", status=401,
                                                             error_code=1)
    monkeypatch.setattr(ch, "reltio_client", Mock(return_value=client))
    with pytest.raises(AuthenticationError) as info:
        ch.execute(params())
    assert info.value.fail_kwargs() == {"msg": "Reltio refused the access token (HTTP 401)", "http_status": 401,
                                        "error_code": 1, "reason_code": "reltio_auth"}


def test_execute_over_http_never_sends_a_create_or_store(http):
    http.answers.extend([FakeResponse(200, {"data": {"connected": False, "message": "Warehouse w is deleted. " + TOKEN}})])
    result = ch.execute(params())
    assert (result["status"], result["message"]) == ("failing", "Warehouse w is deleted. ********")
    ((session_call,),) = [session.calls for session in http.sessions]
    assert session_call.method == "POST"
    assert session_call.url == "https://test.reltio.com/reltio/api/tenants/%s/interactions/database-configs/%s/test" % (TENANT, NAME)
    assert TOKEN not in json.dumps(result)


@pytest.mark.parametrize("answer, status", [
    (FakeResponse(200, {"result": {"connected": True, "message": "ok"}}), "healthy"),
    (FakeResponse(404, {"severity": "Error", "errorMessage": "Database configuration x not found", "errorCode": 404}), "missing"),
    (FakeResponse(200, {"status": "success"}), "error"),
    (FakeResponse(200, content="<html>gateway</html>"), "error"),
    (FakeResponse(500, {"errorMessage": "boom"}), "error"),
    # Issue 26: a 404 that is not Reltio's own error (a gateway at a wrong platform_url) says nothing is missing.
    (FakeResponse(404, content="<html><h1>404 Not Found</h1></html>", headers={"Content-Type": "text/html"}), "error"),
    (FakeResponse(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "No API found"}), "error"),
    (FakeResponse(404, content=""), "error"),
])
def test_execute_over_http_reads_each_answer(http, answer, status):
    http.answers.append(answer)
    assert ch.execute(params(retries=0))["status"] == status


@pytest.mark.parametrize("answer", [FakeResponse(401, {"errorMessage": "expired"}), FakeResponse(403, {"errorMessage": "no"})])
def test_execute_over_http_fails_on_refused_credentials(http, answer):
    http.answers.append(answer)
    with pytest.raises(AuthenticationError) as info:
        ch.execute(params())
    assert info.value.fail_kwargs()["http_status"] == answer.status_code


def test_a_404_over_http_says_what_is_wrong_in_message_and_what_to_do_in_msg_only(http):
    """Issue 27: the message of a missing connection held the advice, which the role's "what to do" says again."""
    http.answers.append(FakeResponse(404, {"severity": "Error", "errorMessage": "Database configuration x not found",
                                           "errorCode": 404}))
    result = ch.execute(params(retries=0))
    assert (result["status"], result["reason_code"]) == ("missing", "connection_not_found")
    assert result["message"] == ("Reltio answered HTTP 404 Not Found while testing connection '%s': Database configuration x"
                                 " not found." % NAME)
    assert result["msg"].endswith("Check connection_name, or create the connection.")


def listed(*entries, **overrides):
    return params(tenant_id="", connection_name="", connections=list(entries), **overrides)


def test_a_list_is_checked_whole_before_any_request_each_entry_named_by_its_index(unused_client):
    with pytest.raises(ValidationError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": " ", "connection_name": "c2"},
                          {"tenant_id": "t3", "connection_name": "c3", "platform_url": "http://example.com"},
                          {"tenant_id": "t4"}, {"tenantid": "t5", "connection_name": "c5"}, "t6",
                          {"tenant_id": 7, "connection_name": "c7"}))
    assert info.value.problems == [
        "connections[4] has the key tenantid, which is none of tenant_id, connection_name, platform_url",
        "connections[5] must be a dictionary of tenant_id, connection_name, platform_url",
        "connections[6].tenant_id must be a string"]
    with pytest.raises(ValidationError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": " ", "connection_name": "c2"},
                          {"tenant_id": "t3", "connection_name": "c3", "platform_url": "http://example.com"},
                          {"tenant_id": "t4"}, auth_url="ftp://x"))
    assert [problem.split(" ", 1)[0] for problem in info.value.problems] == [
        "auth_url", "connections[1].tenant_id", "connections[2].platform_url", "connections[3].connection_name"]
    with pytest.raises(ValidationError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, preflight=True))
    assert "preflight checks the Databricks side of one connection: it cannot be used with connections" in info.value.problems
    unused_client.assert_not_called()


def test_a_list_is_checked_in_one_call_with_one_cache_and_a_result_each(monkeypatch, client):
    """Issue 27: one task a lane, not a loop of tasks; the task's options stand in for what an entry leaves out."""
    seen = []

    def reltio_client(task, cache):
        seen.append((task["platform_url"], task["tenant_id"], task["connection_name"], cache))
        return client

    client.tenant_id = "any"
    monkeypatch.setattr(ch, "reltio_client", reltio_client)
    warnings = []
    result = ch.execute(params(connection_name="fallback", validate_certs=False, connections=[
        {"tenant_id": "t1"}, {"tenant_id": "t2", "connection_name": "c2", "platform_url": "https://eu.reltio.com"}]),
        warn=warnings.append)
    assert [(url, tenant, name) for url, tenant, name, _cache in seen] == [
        ("https://test.reltio.com", "t1", "fallback"), ("https://eu.reltio.com", "t2", "c2")]
    # One cache for the whole list, made here when the caller has none (the module on a target).
    assert isinstance(seen[0][3], ClientCache) and seen[0][3] is seen[1][3]
    assert [entry["status"] for entry in result["connections"]] == ["healthy", "healthy"]
    assert result["msg"] == "2 connections: 2 healthy, 0 failing, 0 missing, 0 error."
    assert warnings == ["validate_certs is false: the TLS certificates of Reltio are not checked."]


def test_a_list_with_a_connection_that_cannot_be_checked_checks_the_others_and_fails(monkeypatch, client):
    client.test_connection.side_effect = [AuthenticationError("Reltio refused the access token (HTTP 403)", status=403),
                                          {"connected": True, "message": "ok", "database_type": None, "reason_code": "ok"}]
    monkeypatch.setattr(ch, "reltio_client", Mock(return_value=client))
    with pytest.raises(ReltioError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": "t2", "connection_name": "c2"}))
    failed = info.value.fail_kwargs()
    assert failed["reason_code"] == "reltio_auth"
    assert failed["msg"].startswith("2 connections: 1 healthy, 0 failing, 0 missing, 0 error, 1 could not be checked; the"
                                    " first: Reltio refused the access token (HTTP 403)")
    first, second = failed["connections"]
    assert (first["failed"], first["tenant_id"], first["http_status"], first["reason_code"]) == (True, "t1", 403, "reltio_auth")
    assert "status" not in first and second["status"] == "healthy"


def test_a_blank_value_an_entry_sets_is_not_remedied_by_an_environment_variable():
    """An entry's own blank tenant_id or platform_url overrides RELTIO_TENANT_ID and RELTIO_PLATFORM_URL: the
    refusal must not advise those variables. A value neither the entry nor the task gives may still come from one."""
    with pytest.raises(ValidationError) as info:
        ch.execute(listed({"tenant_id": "", "connection_name": "c1", "platform_url": " "}, {"connection_name": "c2"}))
    assert info.value.problems == [
        "connections[0].platform_url is required and must not be blank: set it",
        "connections[0].tenant_id is required and must not be blank: set it",
        "connections[1].tenant_id is required and must not be blank: set it or the RELTIO_TENANT_ID environment variable"]


def unreached(option, reason_code="timeout", request_sent=False):
    error = TransportError("Timed out after 30 s while requesting a token at auth.example.com (from %s)" % option,
                           request_sent=request_sent, reason_code=reason_code)
    error.result["option"] = option
    return error


def test_a_list_does_not_try_again_a_server_that_could_not_be_reached_for_an_earlier_entry(monkeypatch, client):
    """Each entry tried a token endpoint or platform that was down again, with all its timeout and retries: a lane of
    1,000 tenants took 1,000 times that (hours) to say the same thing. The others of that URL are not tried again;
    an entry at another platform_url is."""
    monkeypatch.setattr(ch, "reltio_client", Mock(return_value=client))
    credentials = dict(access_token=None, reltio_client_id="clientid-abc", reltio_client_secret="s3cret-value!")
    client.ensure_token.side_effect = [unreached("auth_url")]
    with pytest.raises(ReltioError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": "t2", "connection_name": "c2"},
                          {"tenant_id": "t3", "connection_name": "c3", "platform_url": "https://up.reltio.com"},
                          **credentials))
    results = info.value.fail_kwargs()["connections"]
    assert [(result["tenant_id"], result["failed"], result["reason_code"], result["option"]) for result in results] == [
        ("t1", True, "timeout", "auth_url"), ("t2", True, "timeout", "auth_url"), ("t3", True, "timeout", "auth_url")]
    assert client.ensure_token.call_count == 1
    assert results[2]["msg"] == (
        "Not tried: auth_url could not be reached for an earlier connection of this task: Timed out after 30 s while"
        " requesting a token at auth.example.com (from auth_url)")

    client.ensure_token.side_effect = None
    client.test_connection.side_effect = [unreached("platform_url", "unreachable"),
                                          {"connected": True, "message": "ok", "database_type": None, "reason_code": "ok"}]
    with pytest.raises(ReltioError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1", "platform_url": "https://down.reltio.com"},
                          {"tenant_id": "t2", "connection_name": "c2", "platform_url": "https://down.reltio.com"},
                          {"tenant_id": "t3", "connection_name": "c3", "platform_url": "https://up.reltio.com"},
                          **credentials))
    results = info.value.fail_kwargs()["connections"]
    assert [(result["connection_name"], result.get("status"), result["reason_code"]) for result in results] == [
        ("c1", None, "unreachable"), ("c2", None, "unreachable"), ("c3", "healthy", "ok")]
    assert client.test_connection.call_count == 2

    # Sent, then no answer in time: maybe this tenant's test alone (waiting on a warehouse), so the next is tried.
    client.test_connection.reset_mock()
    client.test_connection.side_effect = [unreached("platform_url", "timeout", request_sent=True),
                                          {"connected": True, "message": "ok", "database_type": None, "reason_code": "ok"}]
    with pytest.raises(ReltioError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": "t2", "connection_name": "c2"},
                          **credentials))
    assert [result.get("status") for result in info.value.fail_kwargs()["connections"]] == [None, "healthy"]


def test_a_list_does_not_ask_again_for_a_token_with_refused_client_credentials(monkeypatch, client):
    """Each entry asked the token endpoint again with the client credentials it had just refused: 50 entries sent 50
    token requests, which may lock the client out. The credentials are the task's: the others are not tried."""
    monkeypatch.setattr(ch, "reltio_client", Mock(return_value=client))
    refusal = CredentialsRefused("Reltio refused the client credentials: the token endpoint https://auth.example.com/oauth/token"
                                 " answered HTTP 401: Bad client credentials. Check reltio_client_id and reltio_client_secret.",
                                 status=401, error_code="invalid_client")
    client.ensure_token.side_effect = [refusal]
    with pytest.raises(ReltioError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": "t2", "connection_name": "c2"},
                          {"tenant_id": "t3", "connection_name": "c3", "platform_url": "https://other.reltio.com"},
                          access_token=None, reltio_client_id="clientid-abc", reltio_client_secret="s3cret-value!"))
    failed = info.value.fail_kwargs()
    assert client.ensure_token.call_count == 1
    assert failed["reason_code"] == "reltio_auth"
    assert [(result["tenant_id"], result["failed"], result["reason_code"], result["http_status"], result["error_code"])
            for result in failed["connections"]] == [(tenant, True, "reltio_auth", 401, "invalid_client") for tenant in ("t1", "t2", "t3")]
    assert failed["connections"][0]["msg"] == refusal.msg
    assert failed["connections"][2]["msg"] == "Not tried: the client credentials were refused for an earlier connection of this task: " + refusal.msg

    # A refused access token is no reason to skip the others: Reltio may refuse it for one tenant only (HTTP 403).
    client.ensure_token.side_effect = None
    client.test_connection.side_effect = [AuthenticationError("Reltio refused the access token (HTTP 403)", status=403),
                                          {"connected": True, "message": "ok", "database_type": None, "reason_code": "ok"}]
    with pytest.raises(ReltioError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": "t2", "connection_name": "c2"}))
    assert [result.get("status") for result in info.value.fail_kwargs()["connections"]] == [None, "healthy"]


def test_a_connection_listed_twice_is_refused_before_any_request(unused_client):
    """It was tested twice and reported in two rows. The same platform spelled another way is the same connection."""
    with pytest.raises(ValidationError) as info:
        ch.execute(listed({"tenant_id": "t1", "connection_name": "c1"}, {"tenant_id": "t2", "connection_name": "c1"},
                          {"tenant_id": "t1", "connection_name": "c1", "platform_url": "https://test.reltio.com/reltio/api/"},
                          {"tenant_id": "t1", "connection_name": "c1", "platform_url": "https://other.reltio.com"}))
    assert info.value.problems == [
        "connections[2] names the same connection as connections[0] (tenant_id t1, connection_name c1): list each"
        " connection once"]
    unused_client.assert_not_called()


def test_an_empty_list_checks_nothing_and_says_so(unused_client):
    warnings = []
    result = ch.execute(listed(), warn=warnings.append)
    assert (result["connections"], result["reason_code"], result["msg"]) == ([], "ok", "0 connections: 0 healthy, 0 failing, 0 missing, 0 error.")
    assert warnings == ["connections is an empty list: no connection was checked."]
    unused_client.assert_not_called()
