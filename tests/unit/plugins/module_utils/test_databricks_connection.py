# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import Mock

import pytest

from ansible_collections.reltio.platform.plugins.module_utils import databricks_connection as dc
from ansible_collections.reltio.platform.plugins.module_utils.client import CreateOutcome, ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    ApiError,
    AuthenticationError,
    ConnectionTestFailed,
    NotFoundError,
    PreflightError,
    TransportError,
    ValidationError,
)

from ..fakes import params_with

ACCESS_TOKEN = "tok-very-secret-1"
RELTIO_SECRET = "reltio-very-secret-2"
DBX_SECRET = "dbx-very-secret-3"
SECRETS = (ACCESS_TOKEN, RELTIO_SECRET, DBX_SECRET)
CONNECTION = {"connection_id": "id-1", "connection_name": "conn-01", "status": "success",
              "message": "stored", "timestamp": 1}
SAME_NAME = "A Databricks connection with the same name already exists for the tenant"


def params(**overrides):
    return params_with({
        "platform_url": "https://test.reltio.com",
        "tenant_id": "tenant01",
        "access_token": ACCESS_TOKEN,
        "reltio_client_id": None,
        "reltio_client_secret": None,
        "connection_name": "conn-01",
        "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
        "warehouse_id": "ab1c2d3ef5g6h7i8",
        "client_id": "dbx-client-id",
        "client_secret": DBX_SECRET,
        "update_secret": "on_create",
        "test_connection": False,
    }, overrides)


def problem(**overrides):
    with pytest.raises(ValidationError) as info:
        dc.validate(params(**overrides))
    msg = info.value.msg
    assert msg.startswith("Invalid arguments: ")
    for secret in SECRETS:
        assert secret not in msg
    return msg


# ---- validate ---------------------------------------------------------------------------------


def test_valid_params():
    assert dc.validate(params()) is None


@pytest.mark.parametrize("extra", [
    {"access_token": None, "reltio_client_id": "client-id-1", "reltio_client_secret": RELTIO_SECRET},
    {"access_token": "  ", "reltio_client_id": "client-id-1", "reltio_client_secret": RELTIO_SECRET},
    {"reltio_client_id": "client-id-1", "reltio_client_secret": RELTIO_SECRET},
    {"timeout": 1, "retries": 0},
    {"retries": 10},
    {"connection_name": "a.b"},
    {"connection_name": ".hidden"},
    {"connection_name": "name with spaces/and é"},
    {"timeout": None, "retries": None},
    {"platform_url": "https://test.reltio.com/reltio/api"},
    {"platform_url": "https://test.reltio.com:8443"},
    {"workspace_url": "https://example.com"},
])
def test_valid_variants(extra):
    assert dc.validate(params(**extra)) is None


@pytest.mark.parametrize("name, env", [
    ("platform_url", "RELTIO_PLATFORM_URL"),
    ("auth_url", "RELTIO_AUTH_URL"),
    ("tenant_id", "RELTIO_TENANT_ID"),
    ("connection_name", None),
    ("workspace_url", "DATABRICKS_HOST"),
    ("warehouse_id", "DATABRICKS_WAREHOUSE_ID"),
    ("client_id", "DATABRICKS_CLIENT_ID"),
    ("client_secret", "DATABRICKS_CLIENT_SECRET"),
])
@pytest.mark.parametrize("blank", [None, "", "   ", "\t\n"])
def test_blank_required_value(name, env, blank):
    msg = problem(**{name: blank})
    assert "%s is required and must not be blank" % name in msg
    if env:
        assert "the %s environment variable" % env in msg
    else:
        assert "environment variable" not in msg


def test_missing_key_is_blank():
    values = params()
    del values["warehouse_id"]
    with pytest.raises(ValidationError) as info:
        dc.validate(values)
    assert "warehouse_id is required" in info.value.msg


@pytest.mark.parametrize("name", ["platform_url", "auth_url"])
@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080", "http://127.0.0.1", "http://127.1.2.3:9000/reltio", "http://localhost:8080",
    "http://LOCALHOST", "http://[::1]:8080", "http://[::1]",
])
def test_http_allowed_for_loopback(name, url):
    assert dc.validate(params(**{name: url})) is None


@pytest.mark.parametrize("name", ["platform_url", "auth_url"])
@pytest.mark.parametrize("url", ["http://test.reltio.com", "http://10.0.0.1:8080", "http://localhost.example.com",
                                 "http://[::2]", "http://0.0.0.0"])
def test_http_refused_for_other_hosts(name, url):
    msg = problem(**{name: url})
    assert "%s must use https" % name in msg
    assert url in msg


@pytest.mark.parametrize("name", ["platform_url", "auth_url", "workspace_url"])
@pytest.mark.parametrize("url, why", [
    ("not a url", "must not contain spaces"),
    ("https://exa mple.com", "must not contain spaces"),
    ("https://example.com/\x01", "control characters"),
    ("ftp://example.com", "absolute https URL"),
    ("example.com", "absolute https URL"),
    ("/reltio/api", "absolute https URL"),
    ("https://", "absolute https URL"),
    ("https:///path", "absolute https URL"),
    ("https://user:pw@example.com", "must not contain a user name or password"),
    ("https://user@example.com", "must not contain a user name or password"),
    ("https://example.com:99999", "not a valid URL"),
    ("https://example.com:port", "not a valid URL"),
    ("https://[::1", "not a valid URL"),
])
def test_bad_urls(name, url, why):
    msg = problem(**{name: url})
    assert msg.startswith("Invalid arguments: %s " % name)
    assert why in msg


@pytest.mark.parametrize("url", ["http://adb-1.azuredatabricks.net", "http://127.0.0.1:8080", "http://localhost",
                                 "http://[::1]"])
def test_workspace_url_must_be_https_even_on_loopback(url):
    msg = problem(workspace_url=url)
    assert "workspace_url must use https" in msg
    assert "loopback" not in msg


@pytest.mark.parametrize("name", ["platform_url", "auth_url", "workspace_url"])
def test_url_password_not_echoed(name):
    msg = problem(**{name: "https://user:hunter2-password@example.com"})
    assert "hunter2-password" not in msg


def test_no_credentials():
    msg = problem(access_token=None)
    assert "access_token is required, or reltio_client_id and reltio_client_secret" in msg
    assert "RELTIO_ACCESS_TOKEN" in msg and "RELTIO_CLIENT_ID" in msg and "RELTIO_CLIENT_SECRET" in msg


def test_blank_credentials():
    msg = problem(access_token=" ", reltio_client_id="", reltio_client_secret="  ")
    assert "access_token is required" in msg


def test_client_secret_without_id():
    msg = problem(access_token=None, reltio_client_secret=RELTIO_SECRET)
    assert "reltio_client_id is required with reltio_client_secret" in msg
    assert "RELTIO_CLIENT_ID" in msg


def test_client_id_without_secret():
    msg = problem(access_token=None, reltio_client_id="id", reltio_client_secret=" ")
    assert "reltio_client_secret is required with reltio_client_id" in msg
    assert "RELTIO_CLIENT_SECRET" in msg


@pytest.mark.parametrize("name, value", [
    ("tenant_id", "ten\nant"),
    ("tenant_id", "tenant\x00"),
    ("tenant_id", "tenant\x7f"),
    ("connection_name", "conn\r01"),
    ("connection_name", "conn\x1b[31m"),
])
def test_control_characters(name, value):
    msg = problem(**{name: value})
    assert "%s must not contain control characters" % name in msg


@pytest.mark.parametrize("value", [".", "..", "..."])
def test_dots_only_connection_name(value):
    msg = problem(connection_name=value)
    assert "connection_name must not be made of dots only" in msg


@pytest.mark.parametrize("value", [".", ".."])
def test_dots_only_tenant_id(value):
    msg = problem(tenant_id=value)
    assert "tenant_id" in msg


@pytest.mark.parametrize("value", [0, 0.0, -1, -0.5, 0.5, 3601, 1e10])
def test_timeout(value):
    msg = problem(timeout=value)
    assert "timeout must be from 1 to 3600, got %s" % value in msg


@pytest.mark.parametrize("value", [-1, 11, 100])
def test_retries(value):
    msg = problem(retries=value)
    assert "retries must be from 0 to 10, got %s" % value in msg


def test_ca_path_missing(tmp_path):
    missing = str(tmp_path / "nope.pem")
    msg = problem(ca_path=missing)
    assert "ca_path" in msg and missing in msg


def test_ca_path_directory(tmp_path):
    assert "ca_path" in problem(ca_path=str(tmp_path))


def test_ca_path_present(tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    assert dc.validate(params(ca_path=str(pem))) is None


def test_several_problems_together():
    msg = problem(platform_url="http://test.reltio.com", tenant_id="", access_token=None, connection_name="..",
                  workspace_url="nope nope", warehouse_id=" ", client_id=None, client_secret="", timeout=0,
                  retries=11, ca_path="/does/not/exist.pem")
    for name in ("platform_url", "tenant_id", "access_token", "connection_name", "workspace_url", "warehouse_id",
                 "client_id", "client_secret", "timeout", "retries", "ca_path"):
        assert name in msg
    assert msg.count(";") >= 10
    assert msg.endswith(".")


def test_secrets_never_in_message():
    msg = problem(access_token=ACCESS_TOKEN, reltio_client_id="id", reltio_client_secret=RELTIO_SECRET,
                  client_secret=DBX_SECRET, platform_url="http://x", workspace_url="", warehouse_id="", timeout=-1)
    for secret in SECRETS:
        assert secret not in msg


# ---- run -------------------------------------------------------------------------------------


@pytest.fixture(name="client")
def client_fixture():
    client = Mock(spec=ReltioClient)
    client.tenant_id = "tenant01"
    client.create_connection.return_value = CreateOutcome(True, connection=dict(CONNECTION))
    client.store_credentials.return_value = dict(CONNECTION)
    client.test_connection.return_value = {"connected": True, "message": "Connection successful", "reason_code": "ok",
                                           "database_type": "DATABRICKS"}
    return client


def exists(confirmed_on_retry=False):
    return CreateOutcome(False, message=SAME_NAME, confirmed_on_retry=confirmed_on_retry)


def assert_secret_hidden(value):
    assert DBX_SECRET not in json.dumps(value)


def test_run_creates(client):
    warn = Mock()
    result = dc.run(params(), client, warn=warn)
    client.create_connection.assert_called_once_with(
        "conn-01", "https://adb-1234567890123456.7.azuredatabricks.net", "ab1c2d3ef5g6h7i8", "dbx-client-id", DBX_SECRET)
    client.store_credentials.assert_not_called()
    client.test_connection.assert_not_called()
    assert result["changed"] is True
    assert result["created"] is True
    assert result["secret_updated"] is False
    assert result["connection"] == CONNECTION
    assert result["test"] is None
    assert "created" in result["msg"] and "tenant01" in result["msg"]
    assert "diff" not in result
    warn.assert_not_called()


def test_run_exists(client):
    client.create_connection.return_value = exists()
    warn = Mock()
    result = dc.run(params(), client, warn=warn)
    assert result["changed"] is False
    assert result["created"] is False
    assert result["connection"]["connection_name"] == "conn-01"
    assert result["connection"]["message"] == SAME_NAME
    assert result["connection"]["connection_id"] is None
    assert "already exists" in result["msg"]
    # A fact of every rerun, in msg and not_compared: no warning that users learn to ignore.
    warn.assert_not_called()
    assert "workspace_url and warehouse_id were not compared" in result["msg"]
    assert result["not_compared"] == ["workspace_url", "warehouse_id"]
    client.store_credentials.assert_not_called()


def test_run_exists_without_warn_callable(client):
    client.create_connection.return_value = exists()
    assert dc.run(params(), client)["changed"] is False


def test_run_exists_confirmed_on_retry(client):
    client.create_connection.return_value = exists(confirmed_on_retry=True)
    warn = Mock()
    result = dc.run(params(update_secret="always"), client, diff=True, warn=warn)
    assert result["changed"] is True
    assert result["created"] is True
    assert "confirmed on a retry" in result["msg"]
    warn.assert_not_called()
    # The retry created it with these credentials: no second store.
    client.store_credentials.assert_not_called()
    assert result["diff"]["before"] == {}
    assert_secret_hidden(result)


@pytest.mark.parametrize("extra", [{}, {"update_secret": "always"}])
def test_run_check_mode(client, extra):
    result = dc.run(params(**extra), client, check_mode=True, diff=True)
    client.ensure_token.assert_called_once_with()
    client.create_connection.assert_not_called()
    client.store_credentials.assert_not_called()
    client.test_connection.assert_not_called()
    assert result["changed"] is True
    assert result["created"] is False
    assert result["test"] is None
    assert "Check mode" in result["msg"]
    assert result["diff"] == {
        "before": {},
        "after": {"connection_name": "conn-01", "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
                  "warehouse_id": "ab1c2d3ef5g6h7i8", "client_id": "dbx-client-id", "client_secret": dc.SECRET_PLACEHOLDER},
    }
    assert_secret_hidden(result)


WANTED = {"connection_name": "conn-01", "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
          "warehouse_id": "ab1c2d3ef5g6h7i8", "client_id": "dbx-client-id", "client_secret": dc.SECRET_PLACEHOLDER}
STORE_DIFF = {"before": {"connection_name": "conn-01", "client_secret": dc.SECRET_PLACEHOLDER},
              "after": {"connection_name": "conn-01", "client_id": "dbx-client-id", "client_secret": dc.SECRET_PLACEHOLDER + " (new)"}}


def check_with_probe(client, **extra):
    result = dc.run(params(test_connection=True, **extra), client, check_mode=True, diff=True)
    client.test_connection.assert_called_once_with("conn-01")
    client.create_connection.assert_not_called()
    client.store_credentials.assert_not_called()
    assert result["created"] is False and result["secret_updated"] is False
    assert_secret_hidden(result)
    return result


def test_check_mode_probe_predicts_ok_for_an_existing_connection_whose_test_passes(client):
    result = check_with_probe(client)
    assert result["changed"] is False
    assert result["msg"].startswith("Check mode: connection 'conn-01' exists and its test passed: nothing would change.")
    assert result["test"]["connected"] is True
    assert result["not_compared"] == ["workspace_url", "warehouse_id"]
    assert result["diff"] == {"before": {"connection_name": "conn-01", "test": "passed"},
                              "after": {"connection_name": "conn-01", "test": "passed"}, "before_header": "conn-01 (exists)"}


def test_check_mode_probe_predicts_a_create_on_404(client):
    client.test_connection.side_effect = NotFoundError("Reltio answered HTTP 404 Not Found", status=404,
                                                       reason_code="connection_not_found")
    result = check_with_probe(client)
    assert result["changed"] is True
    assert "would be created: Reltio's test answered that it does not exist (HTTP 404)" in result["msg"]
    assert result["test"] is None
    assert result["diff"] == {"before": {}, "after": WANTED, "before_header": "conn-01 (not in Reltio)"}


def test_check_mode_probe_predicts_no_create_from_a_404_that_is_not_reltio_s(client):
    """Issue 26: a gateway's 404 at a wrong platform_url fails check mode, as the create of a real run would fail."""
    client.test_connection.side_effect = NotFoundError("Reltio answered HTTP 404 Not Found ... check platform_url",
                                                       status=404, reason_code="unexpected_answer")
    with pytest.raises(NotFoundError) as info:
        check_with_probe(client)
    assert info.value.reason_code == "unexpected_answer"
    client.create_connection.assert_not_called()


def test_check_mode_probe_predicts_storing_the_credentials_when_the_test_fails(client):
    client.test_connection.return_value = {"connected": False, "message": "invalid_client.", "database_type": None,
                                           "reason_code": "databricks_auth"}
    result = check_with_probe(client)
    assert result["changed"] is True
    assert "exists and its test failed (invalid_client): the given OAuth credentials would be stored" in result["msg"]
    assert result["diff"] == dict(STORE_DIFF, before_header="conn-01 (exists)")


def test_check_mode_probe_with_update_secret_always_predicts_a_store(client):
    result = check_with_probe(client, update_secret="always")
    assert result["changed"] is True
    assert "its OAuth credentials would be stored again (update_secret: always)" in result["msg"]
    assert result["diff"]["after"] == STORE_DIFF["after"]


@pytest.mark.parametrize("error", [ApiError("Reltio answered HTTP 500 while testing connection 'conn-01': boom", status=500),
                                   AuthenticationError("Reltio refused the access token (HTTP 403)", status=403)])
def test_check_mode_probe_that_cannot_tell_keeps_the_prediction_and_says_why(client, error):
    client.test_connection.side_effect = error
    result = check_with_probe(client)
    assert result["changed"] is True
    assert "would be created unless it already exists" in result["msg"]
    assert result["msg"].endswith(" Reltio's test could not tell whether it exists: %s" % error.msg)
    assert result["diff"] == {"before": {}, "after": WANTED}
    assert result["test"] is None


def test_check_mode_probe_keeps_the_preflight(client):
    workspace = Mock()
    workspace.check.return_value = {"warehouse_id": "ab1c2d3ef5g6h7i8", "warehouse_name": "w", "warehouse_state": "RUNNING"}
    result = dc.run(params(test_connection=True, preflight=True), client, check_mode=True, workspace=workspace)
    assert result["changed"] is False and "Preflight passed" in result["msg"]


def test_run_check_mode_without_diff(client):
    result = dc.run(params(), client, check_mode=True)
    assert "diff" not in result
    client.create_connection.assert_not_called()


def test_run_check_mode_token_error_propagates(client):
    client.ensure_token.side_effect = ApiError("refused", status=401)
    with pytest.raises(ApiError):
        dc.run(params(), client, check_mode=True)


def test_run_diff_on_create(client):
    result = dc.run(params(), client, diff=True)
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["client_secret"] == dc.SECRET_PLACEHOLDER
    assert result["diff"]["after"]["workspace_url"] == "https://adb-1234567890123456.7.azuredatabricks.net"
    assert_secret_hidden(result)


def test_run_no_diff_when_nothing_changed(client):
    client.create_connection.return_value = exists()
    assert "diff" not in dc.run(params(), client, diff=True)


def test_run_update_secret_always_on_existing(client):
    client.create_connection.return_value = exists()
    result = dc.run(params(update_secret="always"), client, diff=True)
    client.store_credentials.assert_called_once_with("conn-01", "dbx-client-id", DBX_SECRET)
    assert result["changed"] is True
    assert result["created"] is False
    assert result["secret_updated"] is True
    assert "stored again" in result["msg"]
    assert result["diff"]["after"]["client_id"] == "dbx-client-id"
    assert_secret_hidden(result)


def test_run_update_secret_always_on_create(client):
    result = dc.run(params(update_secret="always"), client)
    client.store_credentials.assert_not_called()
    assert result["secret_updated"] is False
    assert result["changed"] is True


def test_run_update_secret_on_create_keeps_existing(client):
    client.create_connection.return_value = exists()
    result = dc.run(params(update_secret="on_create"), client)
    client.store_credentials.assert_not_called()
    assert result["changed"] is False


def test_run_test_connection_passes_is_not_a_change(client):
    client.create_connection.return_value = exists()
    result = dc.run(params(test_connection=True), client)
    client.test_connection.assert_called_once_with("conn-01")
    assert result["test"] == {"connected": True, "message": "Connection successful", "database_type": "DATABRICKS",
                              "reason_code": "ok"}
    assert result["changed"] is False
    assert "Connection test passed" in result["msg"]


def test_run_test_connection_after_create(client):
    result = dc.run(params(test_connection=True), client)
    assert result["changed"] is True
    assert result["test"]["connected"] is True


FAILED_TEST = {"connected": False, "message": "Invalid client secret", "database_type": "DATABRICKS",
               "reason_code": "databricks_other"}
PASSED_TEST = {"connected": True, "message": "Connection successful", "database_type": "DATABRICKS", "reason_code": "ok"}


def test_run_test_of_a_new_connection_fails_without_storing_again(client):
    client.test_connection.return_value = FAILED_TEST
    with pytest.raises(ConnectionTestFailed) as info:
        dc.run(params(test_connection=True), client)
    kwargs = info.value.fail_kwargs()
    assert kwargs["changed"] is True and kwargs["created"] is True and kwargs["secret_updated"] is False
    assert kwargs["test"] == FAILED_TEST
    assert "Invalid client secret" in kwargs["msg"] and "test failed" in kwargs["msg"]
    assert "preflight: true" in kwargs["msg"]
    client.store_credentials.assert_not_called()


def test_run_existing_connection_whose_test_fails_gets_the_credentials_once_and_passes(client):
    client.create_connection.return_value = exists()
    client.test_connection.side_effect = [FAILED_TEST, PASSED_TEST]
    result = dc.run(params(test_connection=True), client, diff=True)
    client.store_credentials.assert_called_once_with("conn-01", "dbx-client-id", DBX_SECRET)
    assert client.test_connection.call_count == 2
    assert result["changed"] is True and result["created"] is False and result["secret_updated"] is True
    assert result["test"] == PASSED_TEST
    assert "were stored in place of the stored ones" in result["msg"] and "Connection test passed" in result["msg"]
    assert_secret_hidden(result)


@pytest.mark.parametrize("preflight", [False, True])
def test_run_existing_connection_whose_test_fails_twice_fails_with_advice(client, preflight):
    client.create_connection.return_value = exists()
    client.test_connection.return_value = FAILED_TEST
    workspace = Mock()
    workspace.check.return_value = {"warehouse_id": "ab1c2d3ef5g6h7i8", "warehouse_name": "w", "warehouse_state": "RUNNING"}
    with pytest.raises(ConnectionTestFailed) as info:
        dc.run(params(test_connection=True, preflight=preflight), client, workspace=workspace)
    kwargs = info.value.fail_kwargs()
    client.store_credentials.assert_called_once()
    assert kwargs["changed"] is True and kwargs["secret_updated"] is True
    assert "Invalid client secret" in kwargs["msg"]
    assert "Reltio keeps the workspace_url and warehouse_id" in kwargs["msg"]
    assert ("preflight: true" in kwargs["msg"]) is not preflight


def test_run_existing_connection_whose_test_passes_sends_nothing_more(client):
    client.create_connection.return_value = exists()
    client.test_connection.return_value = PASSED_TEST
    result = dc.run(params(test_connection=True), client)
    client.store_credentials.assert_not_called()
    assert result["changed"] is False and result["secret_updated"] is False


def test_run_with_update_secret_always_does_not_store_twice_when_the_test_fails(client):
    client.create_connection.return_value = exists()
    client.test_connection.return_value = FAILED_TEST
    with pytest.raises(ConnectionTestFailed):
        dc.run(params(test_connection=True, update_secret="always"), client)
    client.store_credentials.assert_called_once()
    client.test_connection.assert_called_once()


def test_run_preflight_runs_first_and_its_failure_sends_nothing_to_reltio(client):
    workspace = Mock()
    workspace.check.side_effect = PreflightError("Preflight: no such warehouse")
    with pytest.raises(PreflightError) as info:
        dc.run(params(preflight=True), client, workspace=workspace)
    assert info.value.fail_kwargs()["changed"] is False
    client.ensure_token.assert_not_called()
    client.create_connection.assert_not_called()


@pytest.mark.parametrize("check_mode", [False, True])
def test_run_preflight_result_is_returned(client, check_mode):
    workspace = Mock()
    workspace.check.return_value = {"warehouse_id": "ab1c2d3ef5g6h7i8", "warehouse_name": "w", "warehouse_state": "STOPPED"}
    result = dc.run(params(preflight=True), client, check_mode=check_mode, workspace=workspace)
    workspace.check.assert_called_once_with("ab1c2d3ef5g6h7i8")
    assert result["preflight"] == workspace.check.return_value
    assert "Preflight passed" in result["msg"] and "STOPPED" in result["msg"]
    assert client.create_connection.called is not check_mode


def test_run_without_preflight_has_a_null_preflight(client):
    assert dc.run(params(), client)["preflight"] is None


def test_check_mode_with_update_secret_always_says_the_credentials_would_be_stored(client):
    result = dc.run(params(update_secret="always"), client, check_mode=True)
    assert "would be stored again" in result["msg"]
    assert "would be stored again" not in dc.run(params(), client, check_mode=True)["msg"]


def test_run_test_connection_fails_without_reason(client):
    client.test_connection.return_value = {"connected": False, "message": None, "database_type": None,
                                           "reason_code": "databricks_other"}
    with pytest.raises(ConnectionTestFailed) as info:
        dc.run(params(test_connection=True), client)
    assert "Reltio gave no reason" in info.value.msg


def test_run_error_after_creation_carries_changed(client):
    client.test_connection.side_effect = TransportError("Timed out")
    with pytest.raises(TransportError) as info:
        dc.run(params(test_connection=True), client)
    kwargs = info.value.fail_kwargs()
    assert kwargs["changed"] is True
    assert kwargs["created"] is True
    assert kwargs["connection"] == CONNECTION
    assert kwargs["msg"] == "Timed out"


def test_run_store_error_on_existing_is_not_changed(client):
    client.create_connection.return_value = exists()
    client.store_credentials.side_effect = ApiError("bad", status=400)
    with pytest.raises(ApiError) as info:
        dc.run(params(update_secret="always"), client)
    kwargs = info.value.fail_kwargs()
    assert kwargs["changed"] is False
    assert kwargs["secret_updated"] is False
    assert kwargs["status"] == 400


def test_run_create_error_is_not_changed(client):
    client.create_connection.side_effect = ApiError("boom", status=503, may_exist=True)
    with pytest.raises(ApiError) as info:
        dc.run(params(), client)
    kwargs = info.value.fail_kwargs()
    assert kwargs["changed"] is False
    assert kwargs["may_exist"] is True
    client.store_credentials.assert_not_called()


def test_run_keeps_result_set_by_error(client):
    error = ApiError("boom")
    error.result = {"detail": 1}
    client.create_connection.side_effect = error
    with pytest.raises(ApiError) as info:
        dc.run(params(), client)
    assert info.value.result["detail"] == 1
    assert info.value.result["changed"] is False


def test_run_validate_certs_false_warns(client):
    warn = Mock()
    dc.run(params(validate_certs=False), client, warn=warn)
    warn.assert_called_once()
    assert "validate_certs" in warn.call_args[0][0]


def test_run_validate_certs_false_warns_in_check_mode(client):
    warn = Mock()
    dc.run(params(validate_certs=False), client, check_mode=True, warn=warn)
    assert any("validate_certs" in call[0][0] for call in warn.call_args_list)


def test_run_result_never_holds_secret(client):
    client.create_connection.return_value = exists()
    result = dc.run(params(update_secret="always", test_connection=True), client, diff=True)
    assert_secret_hidden(result)


# ---- execute ---------------------------------------------------------------------------------


def test_execute_validates_before_building_a_client(monkeypatch):
    reltio_client = Mock()
    monkeypatch.setattr(dc, "reltio_client", reltio_client)
    with pytest.raises(ValidationError):
        dc.execute(params(workspace_url=""))
    reltio_client.assert_not_called()


def test_execute_runs_with_the_client(monkeypatch, client):
    monkeypatch.setattr(dc, "reltio_client", Mock(return_value=client))
    monkeypatch.setattr(dc, "databricks_workspace", Mock())
    warn = Mock()
    task = params(validate_certs=False)
    result = dc.execute(task, check_mode=True, diff=True, warn=warn)
    dc.reltio_client.assert_called_once_with(task, None)
    dc.databricks_workspace.assert_not_called()
    assert result["changed"] is True and "diff" in result
    warn.assert_called_once()


def test_execute_hands_the_cache_to_both_clients(monkeypatch, client):
    client.redact = Mock()
    workspace = Mock(spec=["check"])
    workspace.check.return_value = {"warehouse_id": "wh", "warehouse_name": "n", "warehouse_state": "RUNNING"}
    monkeypatch.setattr(dc, "reltio_client", Mock(return_value=client))
    monkeypatch.setattr(dc, "databricks_workspace", Mock(return_value=workspace))
    cache = ClientCache()
    task = params(preflight=True)
    assert dc.execute(task, cache=cache)["created"] is True
    dc.reltio_client.assert_called_once_with(task, cache)
    dc.databricks_workspace.assert_called_once_with(task, client.redact, cache)
    workspace.check.assert_called_once_with(task["warehouse_id"])
