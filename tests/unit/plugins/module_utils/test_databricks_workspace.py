# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Databricks side of the preflight: the service principal's token, the warehouse, and their errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
import requests

from ansible_collections.reltio.platform.plugins.module_utils.databricks_workspace import DatabricksWorkspace
from ansible_collections.reltio.platform.plugins.module_utils.errors import PreflightError
from ansible_collections.reltio.platform.plugins.module_utils.redaction import Redactor

from ..fakes import FakeResponse, FakeSession, authorization
from ..loopback import HttpServer, Reply

AZURE = "https://adb-1234567890123456.7.azuredatabricks.net"
AWS = "https://dbc-1a2b3c4d-5e6f.cloud.databricks.com"
CLIENT_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
SECRET = "dose-Qm9Zk3Xy7Wv2Rt5Lp=="
DBX_TOKEN = "dbx-oauth-token-Zq8Wx3Lm9Kp2"
WAREHOUSE = {"id": "ab1c2d3ef5g6h7i8", "name": "Reltio Zero-Copy", "state": "RUNNING", "cluster_size": "Small"}


def token_answer(token=DBX_TOKEN):
    return FakeResponse(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"})


def workspace(*answers, url=AZURE):
    session = FakeSession(*answers)
    return DatabricksWorkspace(url, CLIENT_ID, SECRET, Redactor(), session=session, retries=0), session


def failure(*answers, url=AZURE):
    checker = workspace(*answers, url=url)[0]
    with pytest.raises(PreflightError) as info:
        checker.check(WAREHOUSE["id"])
    assert SECRET not in info.value.msg and DBX_TOKEN not in info.value.msg
    return info.value


def test_check_gets_a_token_then_reads_the_warehouse_with_it():
    checker, session = workspace(token_answer(), FakeResponse(200, WAREHOUSE))
    assert checker.check(WAREHOUSE["id"]) == {"warehouse_id": WAREHOUSE["id"], "warehouse_name": "Reltio Zero-Copy",
                                              "warehouse_state": "RUNNING"}
    token_call, warehouse_call = session.calls
    assert (token_call.method, token_call.url) == ("POST", AZURE + "/oidc/v1/token")
    assert token_call.kwargs["data"] == {"grant_type": "client_credentials", "scope": "all-apis"}
    assert token_call.kwargs["auth"] == (CLIENT_ID, SECRET)
    assert token_call.kwargs["allow_redirects"] is False
    assert (warehouse_call.method, warehouse_call.url) == ("GET", AZURE + "/api/2.0/sql/warehouses/ab1c2d3ef5g6h7i8")
    assert authorization(warehouse_call) == "Bearer " + DBX_TOKEN


def test_the_warehouse_id_stays_one_path_segment():
    checker, session = workspace(token_answer(), FakeResponse(200, WAREHOUSE))
    checker.check("../../clusters/x?y")
    assert session.calls[1].url == AZURE + "/api/2.0/sql/warehouses/..%2F..%2Fclusters%2Fx%3Fy"


@pytest.mark.parametrize("state", ["STOPPED", "STOPPING", "STARTING"])
def test_a_warehouse_that_starts_on_first_use_passes(state):
    checker = workspace(token_answer(), FakeResponse(200, dict(WAREHOUSE, state=state)))[0]
    assert checker.check(WAREHOUSE["id"])["warehouse_state"] == state


@pytest.mark.parametrize("url, azure", [(AZURE, True), (AWS, False)])
@pytest.mark.parametrize("status", [400, 401])
def test_invalid_client_names_the_workspace_and_on_azure_the_entra_id_secret(url, azure, status):
    error = failure(FakeResponse(status, {"error": "invalid_client", "error_description": "Client authentication failed"}),
                    url=url)
    assert "refused the service principal's client ID or secret" in error.msg
    assert url.split("//")[1] in error.msg and "invalid_client: Client authentication failed" in error.msg
    assert ("Microsoft Entra ID" in error.msg) is azure
    assert error.status == status and error.error_code == "invalid_client"


@pytest.mark.parametrize("body", [
    {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Warehouse ab1c2d3ef5g6h7i8 does not exist."},
    {"error_code": 404, "message": "Not found"},
])
def test_an_unknown_warehouse_names_the_id_and_the_workspace(body):
    error = failure(token_answer(), FakeResponse(404, body))
    assert "SQL warehouse 'ab1c2d3ef5g6h7i8' does not exist in the Databricks workspace" in error.msg
    assert "adb-1234567890123456.7.azuredatabricks.net" in error.msg and error.status == 404


def test_a_forbidden_warehouse_asks_for_can_use():
    error = failure(token_answer(), FakeResponse(403, {"error_code": "PERMISSION_DENIED", "message": "no"}))
    assert "may not use SQL warehouse 'ab1c2d3ef5g6h7i8'" in error.msg and "Grant it CAN USE" in error.msg
    assert CLIENT_ID in error.msg and error.error_code == "PERMISSION_DENIED"


@pytest.mark.parametrize("state", ["DELETED", "DELETING"])
def test_a_deleted_warehouse_fails(state):
    error = failure(token_answer(), FakeResponse(200, dict(WAREHOUSE, state=state)))
    assert "is %s" % state in error.msg and "Reltio Zero-Copy" in error.msg


@pytest.mark.parametrize("answer", [
    FakeResponse(200, {"token_type": "Bearer"}),
    FakeResponse(200, content="<html>login</html>"),
    FakeResponse(200, {"access_token": "two words-Zx9Qw2Lp"}),
    FakeResponse(200, {"access_token": 12345}),
])
def test_a_token_answer_without_a_usable_token_fails_unquoted(answer):
    error = failure(answer)
    assert "without a usable access_token (not shown; a token is 8 to 16384 visible ASCII characters" in error.msg
    assert "two words" not in error.msg and "login" not in error.msg


def test_a_fetched_token_is_masked_in_what_the_workspace_says_next():
    echo = {"error_code": "INTERNAL_ERROR", "message": "token %s rejected" % DBX_TOKEN}
    error = failure(token_answer(), FakeResponse(500, echo))
    assert "HTTP 500" in error.msg and "INTERNAL_ERROR" in error.msg and "token ******** rejected" in error.msg


def test_an_echo_of_the_basic_credentials_is_masked():
    basic = base64.b64encode(("%s:%s" % (CLIENT_ID, SECRET)).encode()).decode()
    error = failure(FakeResponse(500, {"error": "server_error", "error_description": "Basic %s" % basic}))
    assert basic not in error.msg and "********" in error.msg


def test_a_transport_error_says_that_the_host_must_reach_the_workspace():
    error = failure(requests.exceptions.ConnectTimeout("connect timed out"))
    assert error.msg.startswith("Preflight: Timed out") and "must reach the workspace" in error.msg
    assert "IP access list" in error.msg


def test_a_redirect_is_not_followed_and_names_where_it_pointed():
    with HttpServer() as other, HttpServer(Reply(302, headers={"Location": "https://login.example.com/sso"})) as server:
        checker = DatabricksWorkspace(server.url, CLIENT_ID, SECRET, Redactor(), retries=0)
        with pytest.raises(PreflightError) as info:
            checker.check(WAREHOUSE["id"])
    assert "HTTP 302" in info.value.msg and "login.example.com" in info.value.msg and "Check workspace_url" in info.value.msg
    assert len(server.requests) == 1 and other.requests == []


def test_a_real_exchange_sends_basic_auth_and_the_form():
    with HttpServer(Reply(200, json.dumps({"access_token": DBX_TOKEN})), Reply(200, json.dumps(WAREHOUSE))) as server:
        checker = DatabricksWorkspace(server.url, CLIENT_ID, SECRET, Redactor(), retries=0)
        assert checker.check(WAREHOUSE["id"])["warehouse_name"] == "Reltio Zero-Copy"
    token_request, warehouse_request = server.requests
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(
        ("%s:%s" % (CLIENT_ID, SECRET)).encode()).decode()
    assert token_request.body == b"grant_type=client_credentials&scope=all-apis"
    assert warehouse_request.headers["Authorization"] == "Bearer " + DBX_TOKEN
