# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Reltio API layer: paths, bodies, answers and the errors made of them.

Most tests hand ReltioClient a FakeSession (fakes.py), so that the real Transport reads prepared answers;
the redirect and retry tests use real servers on 127.0.0.1 (loopback.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
from urllib.parse import quote

import pytest
import requests

from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils.client import (
    CreateOutcome,
    ReltioClient,
    normalize_platform_url,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    ApiError,
    AuthenticationError,
    CredentialsRefused,
    NotFoundError,
    ReltioError,
    TransportError,
)
from ansible_collections.reltio.platform.plugins.module_utils.http_api import MAX_FIELD_LENGTH
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK

from ..fakes import FakeResponse, FakeSession, authorization, token_response
from ..loopback import HttpServer, Reply

PLATFORM = "https://test.reltio.com"
TENANT = "tenant01"
BASE = PLATFORM + "/reltio/api/tenants/tenant01/interactions"
CREATE_URL = BASE + "/database-configs/databricks/oauth/credentials"
CREATE_PATH = "/reltio/api/tenants/tenant01/interactions/database-configs/databricks/oauth/credentials"
AUTH_URL = "https://auth.example.com/oauth/token"
TOKEN = "tok-AAAA-1111"
NEW_TOKEN = "tok-BBBB-2222"
RELTIO_ID = "reltio-client-id"
RELTIO_SECRET = "reltio/secret+key=="
DBX_SECRET = 'dbx"secret/é+&?'
WORKSPACE = "https://adb-1234567890123456.7.azuredatabricks.net"
CONNECTION_ID = "f7956383-eb65-4298-b716-c6f808aa6744"
CREATED = {
    "successful": True,
    "result": {
        "connectionId": CONNECTION_ID,
        "connectionName": "conn-01",
        "message": "Databricks M2M OAuth credentials stored successfully",
        "status": "success",
        "timestamp": 1779778867683,
    },
}
SAME_NAME_TEXT = "A Databricks connection with the same name already exists for the tenant"
SAME_NAME = {"severity": "Error", "errorMessage": SAME_NAME_TEXT, "errorCode": 1001}
ACTIVE_EXISTS = {"severity": "Error", "errorMessage": "An active Databricks connection already exists for the tenant",
                 "errorCode": 1002}
HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def make_client(*answers, **kwargs):
    options = dict(platform_url=PLATFORM, tenant_id=TENANT, access_token=TOKEN, timeout=12.5, retries=3)
    options.update(kwargs)
    session = FakeSession(*answers)
    return ReltioClient(session=session, **options), session


def credentials_client(*answers, **kwargs):
    options = dict(access_token=None, client_id=RELTIO_ID, client_secret=RELTIO_SECRET, auth_url=AUTH_URL)
    options.update(kwargs)
    return make_client(*answers, **options)


def create(client, secret=DBX_SECRET):
    return client.create_connection("conn-01", WORKSPACE, "wh-01", "dbx-client", secret)


def create_fails(client, error=ApiError):
    with pytest.raises(error) as info:
        create(client)
    return info.value


def assert_no_secret(text, *secrets):
    for secret in secrets:
        for spelling in (secret, json.dumps(secret)[1:-1], quote(secret, safe="")):
            assert spelling not in text


@pytest.mark.parametrize("url, expected", [
    ("https://test.reltio.com", "https://test.reltio.com"),
    ("https://test.reltio.com/", "https://test.reltio.com"),
    ("  https://test.reltio.com//  ", "https://test.reltio.com"),
    ("https://test.reltio.com/reltio", "https://test.reltio.com"),
    ("https://test.reltio.com/reltio/", "https://test.reltio.com"),
    ("https://test.reltio.com/reltio/api", "https://test.reltio.com"),
    ("https://test.reltio.com/reltio/api/", "https://test.reltio.com"),
    ("https://test.reltio.com/Reltio/API", "https://test.reltio.com"),
    ("http://127.0.0.1:8080/reltio/api", "http://127.0.0.1:8080"),
    ("https://proxy.example.com/prefix/reltio/api", "https://proxy.example.com/prefix"),
    ("https://test.reltio.com/reltioapi", "https://test.reltio.com/reltioapi"),
    ("https://reltio", "https://reltio"),
])
def test_normalize_platform_url(url, expected):
    assert normalize_platform_url(url) == expected


def test_create_connection_request_and_outcome():
    client, session = make_client(FakeResponse(200, CREATED))
    outcome = create(client)
    assert len(session.calls) == 1
    call = session.calls[0]
    assert (call.method, call.url) == ("POST", CREATE_URL)
    assert call.kwargs["json"] == {
        "connectionName": "conn-01",
        "workspaceUrl": WORKSPACE,
        "warehouseId": "wh-01",
        "clientId": "dbx-client",
        "clientSecret": DBX_SECRET,
    }
    assert authorization(call) == "Bearer %s" % TOKEN
    assert call.kwargs["timeout"] == 12.5
    assert call.kwargs["verify"] is True
    assert "data" not in call.kwargs
    assert isinstance(outcome, CreateOutcome)
    assert outcome.created is True
    assert outcome.message is None
    assert outcome.confirmed_on_retry is False
    assert outcome.connection == {
        "connection_id": CONNECTION_ID,
        "connection_name": "conn-01",
        "status": "success",
        "message": "Databricks M2M OAuth credentials stored successfully",
        "timestamp": 1779778867683,
    }


def test_create_connection_url_normalized_and_tenant_encoded():
    client, session = make_client(FakeResponse(200, CREATED), platform_url="https://x.reltio.com/reltio/api/",
                                  tenant_id="t/1")
    create(client)
    assert session.calls[0].url == "https://x.reltio.com/reltio/api/tenants/t%2F1/interactions/database-configs/databricks/oauth/credentials"


@pytest.mark.parametrize("kwargs, verify", [
    ({"validate_certs": False}, False),
    ({"validate_certs": True, "ca_path": "/etc/ca.pem"}, "/etc/ca.pem"),
    ({"validate_certs": False, "ca_path": "/etc/ca.pem"}, False),
])
def test_verify_passed(kwargs, verify):
    client, session = make_client(FakeResponse(200, CREATED), **kwargs)
    create(client)
    assert session.calls[0].kwargs["verify"] == verify


@pytest.mark.parametrize("body", [
    {"successful": True},
    {"successful": True, "result": {"connectionName": "conn-01", "status": "success"}},
    {"successful": True, "result": {"connectionId": "", "connectionName": "conn-01"}},
    {"successful": True, "result": {"connectionId": None}},
    {"successful": True, "result": {"connectionId": ["c-1"]}},
    {"successful": True, "result": {"connectionId": {"id": "c-1"}}},
    {"successful": True, "result": {"connectionId": 42}},
    {"successful": True, "result": {"connectionId": "  "}},
    {"successful": True, "result": "stored"},
    [CREATED],
])
def test_a_success_without_connection_id_may_have_created_it(body):
    error = create_fails(make_client(FakeResponse(200, body))[0])
    assert error.msg == ("Reltio answered HTTP 200 while creating connection 'conn-01' without a result.connectionId that is"
                         " a non-empty string, so it did not confirm the connection. " + client_module.MAY_EXIST)
    assert error.may_exist is True
    assert error.status == 200


def test_same_name_is_an_outcome():
    client, dummy = make_client(FakeResponse(400, SAME_NAME))
    outcome = create(client)
    assert outcome.created is False
    assert outcome.connection is None
    assert outcome.message == SAME_NAME_TEXT
    assert outcome.confirmed_on_retry is False


def test_same_name_after_a_retry_confirms_the_first_try():
    client, dummy = make_client(FakeResponse(400, SAME_NAME, retried=True))
    assert create(client).confirmed_on_retry is True


@pytest.mark.parametrize("body", [
    {"successful": False, "error": SAME_NAME},
    [SAME_NAME],
    {"errorMessage": "  " + SAME_NAME_TEXT + ": conn-01"},
    {"errorMessage": SAME_NAME_TEXT.upper()},
])
def test_same_name_in_other_shapes(body):
    client, dummy = make_client(FakeResponse(400, body))
    assert create(client).created is False


@pytest.mark.parametrize("message", [
    "Connection name 'Same Name Test' is not allowed",
    "A connection with the same name already exists for the tenant",
    "Invalid request: " + SAME_NAME_TEXT,
    "workspaceUrl is invalid (the same name already exists for the tenant was not the problem)",
])
def test_same_name_elsewhere_in_a_message_is_an_error(message):
    error = create_fails(make_client(FakeResponse(400, {"errorMessage": message, "errorCode": 3}))[0])
    assert error.msg == "Reltio answered HTTP 400 Bad Request while creating connection 'conn-01': %s" % message
    assert error.status == 400
    assert error.error_code == 3
    assert error.may_exist is False


def test_same_name_with_another_status_is_an_error():
    error = create_fails(make_client(FakeResponse(409, SAME_NAME, reason="Conflict"))[0])
    assert error.status == 409
    assert SAME_NAME_TEXT in error.msg


def test_active_connection_exists_is_an_api_error():
    error = create_fails(make_client(FakeResponse(400, ACTIVE_EXISTS))[0])
    assert error.status == 400
    assert error.error_code == 1002
    assert "An active Databricks connection already exists for the tenant" in error.msg
    assert error.may_exist is False


def test_same_name_on_store_credentials_is_an_error():
    client, dummy = make_client(FakeResponse(400, SAME_NAME))
    with pytest.raises(ApiError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert info.value.msg == ("Reltio answered HTTP 400 Bad Request while storing the credentials of connection"
                              " 'conn-01': %s" % SAME_NAME_TEXT)


@pytest.mark.parametrize("status", [401, 403])
def test_authentication_error(status):
    client, session = make_client(FakeResponse(status, {"error": "invalid_token", "error_description": "Token expired"}))
    error = create_fails(client, AuthenticationError)
    assert error.status == status
    assert "Token expired" in error.msg
    assert "tenant '%s'" % TENANT in error.msg
    assert "Check access_token" in error.msg
    assert error.may_exist is False
    # Without client credentials there is nothing to fetch a new token with.
    assert len(session.calls) == 1


def test_not_found():
    error = create_fails(make_client(FakeResponse(404, {"errorMessage": "Tenant not found"}))[0], NotFoundError)
    assert error.msg == ("Reltio answered HTTP 404 Not Found while creating connection 'conn-01': Tenant not found."
                         " Check tenant_id ('tenant01') and platform_url (https://test.reltio.com): Reltio knows no such"
                         " tenant there.")
    assert error.may_exist is False
    assert error.reason_code == "tenant_not_found"


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_on_create_may_exist(status):
    error = create_fails(make_client(FakeResponse(status, {"errorMessage": "Internal problem"}), retries=0)[0])
    assert error.status == status
    assert error.may_exist is True
    assert error.fail_kwargs()["may_exist"] is True
    assert error.msg == "Reltio answered HTTP %d while creating connection 'conn-01': Internal problem. %s" % (
        status, client_module.MAY_EXIST)


def test_retry_status_mentions_retries():
    error = create_fails(make_client(FakeResponse(503, {"errorMessage": "busy"}), retries=3)[0])
    assert "while creating connection 'conn-01' (after 3 retries): busy" in error.msg


def test_server_error_on_store_credentials_is_not_may_exist():
    client, dummy = make_client(FakeResponse(500, {"errorMessage": "Internal problem"}))
    with pytest.raises(ApiError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert info.value.may_exist is False
    assert client_module.MAY_EXIST not in info.value.msg


def test_html_502():
    error = create_fails(make_client(FakeResponse(502, content=HTML_502, reason="Bad Gateway"), retries=0)[0])
    assert error.msg.startswith("Reltio answered HTTP 502 Bad Gateway while creating connection 'conn-01':"
                                " a body of %d bytes: 502 Bad Gateway 502 Bad Gateway nginx." % len(HTML_502))
    assert "<" not in error.msg
    assert error.status == 502


def test_200_not_json_may_exist():
    error = create_fails(make_client(FakeResponse(200, content="<html>OK</html>"))[0])
    assert error.msg == ("Reltio answered HTTP 200 while creating connection 'conn-01' with a body that is not JSON: a body of 15 bytes: OK. "
                         + client_module.MAY_EXIST)
    assert error.may_exist is True


def test_200_empty_body():
    assert "not JSON: an empty body" in create_fails(make_client(FakeResponse(200, content=b""))[0]).msg


def test_200_not_json_on_a_test_is_not_may_exist():
    client, dummy = make_client(FakeResponse(200, content="nope"))
    with pytest.raises(ApiError) as info:
        client.test_connection("c")
    assert info.value.msg == "Reltio answered HTTP 200 while testing connection 'c' with a body that is not JSON: a body of 4 bytes: nope"
    assert info.value.may_exist is False


@pytest.mark.parametrize("status, may_exist", [(300, True), (301, True), (302, True), (303, True), (307, False),
                                               (308, False)])
def test_a_redirect_on_create_is_an_error_naming_its_host(status, may_exist):
    location = {"Location": "https://user:pw@elsewhere.example.com:8443/reltio/api?x=1"}
    error = create_fails(make_client(FakeResponse(status, headers=location))[0])
    assert error.msg.startswith("Reltio answered HTTP %d" % status)
    assert ("while creating connection 'conn-01', a redirect to elsewhere.example.com:8443; redirects are not followed,"
            " so nothing was sent there. Check platform_url") in error.msg
    assert "pw" not in error.msg
    assert error.may_exist is may_exist
    assert error.msg.endswith(client_module.MAY_EXIST) is may_exist
    assert error.status == status


def test_a_redirect_without_location():
    error = create_fails(make_client(FakeResponse(302))[0])
    assert "a redirect to nowhere;" in error.msg


def test_a_redirect_on_store_credentials_is_not_may_exist():
    client, dummy = make_client(FakeResponse(302, headers={"Location": "https://elsewhere.example.com/"}))
    with pytest.raises(ApiError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert "a redirect to elsewhere.example.com;" in info.value.msg
    assert info.value.may_exist is False


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_of_the_token_endpoint_is_an_error_naming_its_host(status):
    client, session = credentials_client(FakeResponse(status, headers={"Location": "https://login.example.org/token"}))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    error = info.value
    assert not isinstance(error, AuthenticationError)
    assert error.msg.startswith("The token endpoint %s answered HTTP %d" % (AUTH_URL, status))
    assert ("a redirect to login.example.org; redirects are not followed, so the client credentials were not sent"
            " there. Set auth_url to the token endpoint itself.") in error.msg
    assert error.status == status
    assert len(session.calls) == 1


@pytest.mark.parametrize("status, may_exist", [(302, True), (307, False)])
def test_a_real_redirect_of_create_is_not_followed(status, may_exist):
    with HttpServer(Reply(200, json.dumps(CREATED))) as other:
        redirect = Reply(status, b"", headers={"Location": other.url + CREATE_PATH})
        with HttpServer(redirect) as server:
            client = ReltioClient(server.url, TENANT, access_token=TOKEN, timeout=5, retries=1)
            client.session.trust_env = False
            error = create_fails(client)
    assert other.requests == []
    assert [request.path for request in server.requests] == [CREATE_PATH]
    assert "a redirect to %s;" % other.host in error.msg
    assert error.may_exist is may_exist


def test_a_real_redirect_of_the_token_endpoint_sends_the_credentials_nowhere():
    with HttpServer(Reply(200, json.dumps({"access_token": NEW_TOKEN, "expires_in": 3600}))) as other:
        with HttpServer(Reply(307, b"", headers={"Location": other.url + "/oauth/token"})) as server:
            client = ReltioClient(server.url, TENANT, client_id=RELTIO_ID, client_secret=RELTIO_SECRET,
                                  auth_url=server.url + "/oauth/token", timeout=5, retries=1)
            client.session.trust_env = False
            with pytest.raises(ApiError) as info:
                create(client)
    assert other.requests == []
    assert len(server.requests) == 1
    assert "a redirect to %s;" % other.host in info.value.msg


@pytest.mark.parametrize("first, confirmed", [(503, True), (429, False)])
def test_same_name_on_a_retry(first, confirmed):
    """503 then "same name": the first try created it. 429 then "same name": it existed before."""
    with HttpServer(Reply(first, json.dumps({"errorMessage": "busy"})), Reply(400, json.dumps(SAME_NAME))) as server:
        client = ReltioClient(server.url + "/reltio/api", TENANT, access_token=TOKEN, timeout=5, retries=2)
        client.session.trust_env = False
        outcome = create(client)
    assert outcome.created is False
    assert outcome.confirmed_on_retry is confirmed
    assert [request.path for request in server.requests] == [CREATE_PATH] * 2


def test_fetch_token_request():
    client, session = credentials_client(token_response(NEW_TOKEN), validate_certs=False)
    assert client.has_client_credentials
    assert client.fetch_token() == {"access_token": NEW_TOKEN, "expires_in": 3600, "token_type": "bearer"}
    call = session.calls[0]
    assert (call.method, call.url) == ("POST", AUTH_URL)
    assert call.kwargs["data"] == {"grant_type": "client_credentials"}
    assert call.kwargs["auth"] == (RELTIO_ID, RELTIO_SECRET)
    assert call.kwargs["timeout"] == 12.5
    assert call.kwargs["verify"] is False
    assert "json" not in call.kwargs


def test_token_fetched_once_and_used():
    client, session = credentials_client(token_response(NEW_TOKEN), FakeResponse(200, CREATED), FakeResponse(200, CREATED))
    create(client)
    create(client)
    assert [call.url for call in session.calls] == [AUTH_URL, CREATE_URL, CREATE_URL]
    assert authorization(session.calls[1]) == "Bearer %s" % NEW_TOKEN
    assert authorization(session.calls[2]) == "Bearer %s" % NEW_TOKEN


def test_ensure_token():
    client, session = credentials_client(token_response(NEW_TOKEN))
    client.ensure_token()
    client.ensure_token()
    assert len(session.calls) == 1
    given, session = make_client()
    given.ensure_token()
    assert not session.calls


def test_401_with_client_credentials_fetches_a_new_token_once():
    client, session = credentials_client(
        FakeResponse(401, {"error": "invalid_token"}), token_response(NEW_TOKEN), FakeResponse(200, CREATED),
        access_token=TOKEN)
    assert create(client).connection["connection_name"] == "conn-01"
    assert [call.url for call in session.calls] == [CREATE_URL, AUTH_URL, CREATE_URL]
    assert authorization(session.calls[0]) == "Bearer %s" % TOKEN
    assert authorization(session.calls[2]) == "Bearer %s" % NEW_TOKEN
    assert session.calls[2].kwargs["json"] == session.calls[0].kwargs["json"]


def test_401_twice_with_client_credentials_fails_without_looping():
    client, session = credentials_client(
        FakeResponse(401, {"error": "invalid_token"}), token_response(NEW_TOKEN), FakeResponse(401, {"error": "invalid_token"}),
        access_token=TOKEN)
    error = create_fails(client, AuthenticationError)
    assert len(session.calls) == 3
    assert error.status == 401


@pytest.mark.parametrize("status", [400, 401, 403])
def test_token_endpoint_refuses(status):
    client, session = credentials_client(
        FakeResponse(status, {"error": "invalid_client", "error_description": "Bad client credentials"}))
    with pytest.raises(CredentialsRefused) as info:
        client.fetch_token()
    assert info.value.reason_code == "reltio_auth"
    assert info.value.msg == ("Reltio refused the client credentials: the token endpoint %s answered HTTP %d: Bad client"
                              " credentials. Check reltio_client_id and reltio_client_secret." % (AUTH_URL, status))
    assert info.value.status == status
    assert len(session.calls) == 1


def test_token_endpoint_server_error():
    client, dummy = credentials_client(FakeResponse(500, content="oops", reason="Server Error"))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    assert not isinstance(info.value, AuthenticationError)
    assert info.value.msg == "The token endpoint %s answered HTTP 500 Server Error while requesting a token: a body of 4 bytes: oops" % AUTH_URL


@pytest.mark.parametrize("body", [{"token_type": "bearer"}, {"access_token": ""}, {"access_token": 5},
                                  {"access_token": None}, {"access_token": ["tok-in-a-list"]}])
def test_token_endpoint_without_token(body):
    client, dummy = credentials_client(FakeResponse(200, body))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    assert info.value.msg == "The token endpoint %s answered HTTP 200 without an access_token." % AUTH_URL


@pytest.mark.parametrize("content", ["<html>login access_token=tok-Unknown-9f8e7d</html>", "tok-Unknown-9f8e7d", "",
                                     '["tok-Unknown-9f8e7d"]', '"tok-Unknown-9f8e7d"', '{"access_token": "tok-Unknown-9f8e'])
def test_a_token_answer_that_is_not_a_json_object_is_never_quoted(content):
    client, dummy = credentials_client(FakeResponse(200, content=content))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    assert info.value.msg == ("The token endpoint %s answered HTTP 200 with a body that is not a JSON object (%d"
                              " bytes, not shown)." % (AUTH_URL, len(content.encode("utf-8") if isinstance(content, str) else content)))


@pytest.mark.parametrize("token", [
    "ABC123-not-a-token\n",
    "ABC123\nnot-a-token",
    "two words-Zx9Qw2Lp",
    "tab\tseparated",
    " leading-space",
    "\u20acuro-token-Zx9Qw2",
    "caf\u00e9-token",
    "nul\x00token",
    "del\x7ftoken",
    "short-7",
    "abc",
])
def test_a_fetched_token_that_cannot_be_one_is_refused_unquoted(token):
    client, session = credentials_client(token_response(token))
    error = create_fails(client)
    assert error.msg == ("The token endpoint %s answered HTTP 200 with an access_token that cannot be a token: a token is"
                         " 8 to 16384 visible ASCII characters, without spaces or line breaks. It is not shown, nor sent"
                         " anywhere." % AUTH_URL)
    # Nothing was sent with it.
    assert [call.url for call in session.calls] == [AUTH_URL]


@pytest.mark.parametrize("token", ["tok-Plain_1.2~3+4/5=", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "!#$%&'*+",
                                   "exactly8"])
def test_tokens_of_visible_ascii_are_used(token):
    client, session = credentials_client(token_response(token), FakeResponse(200, CREATED))
    assert create(client).created is True
    assert authorization(session.calls[1]) == "Bearer %s" % token


def test_the_token_is_taken_from_the_answer_before_masking():
    """A token holding a spelling of a secret of the task (here the client id) reaches Reltio whole."""
    token = "eyJhbGciOi.%s.c2lnbmF0dXJl" % RELTIO_ID
    client, session = credentials_client(token_response(token), FakeResponse(200, CREATED))
    assert client.fetch_token()["access_token"] == token
    create(client)
    assert authorization(session.calls[1]) == "Bearer %s" % token


def test_a_short_refused_token_does_not_garble_later_messages():
    client, dummy = credentials_client(token_response("abc"))
    create_fails(client)
    assert client.redact("abcdef abc") == "abcdef abc"


def test_a_refused_token_is_masked_in_later_messages():
    token = "ABC123-not-a-token\n"
    client, dummy = credentials_client(token_response(token))
    create_fails(client)
    assert client.redact("echo %s and %s" % (token, token.strip())) == "echo %s and %s" % (MASK, MASK)


def test_fetched_token_is_redacted():
    client, dummy = credentials_client(token_response(NEW_TOKEN), FakeResponse(400, {"errorMessage": "bad token %s" % NEW_TOKEN}))
    error = create_fails(client)
    assert NEW_TOKEN not in error.msg
    assert MASK in error.msg


@pytest.mark.parametrize("answer", [requests.exceptions.ReadTimeout("Read timed out."), FakeResponse(503, content="down")])
def test_token_failure_during_create_is_not_may_exist(answer):
    client, session = credentials_client(answer)
    with pytest.raises(ReltioError) as info:
        create(client)
    assert [call.url for call in session.calls] == [AUTH_URL]
    assert info.value.may_exist is False
    assert client_module.MAY_EXIST not in info.value.msg


@pytest.mark.parametrize("exc, may_exist", [
    (requests.exceptions.ReadTimeout("Read timed out."), True),
    (requests.exceptions.ConnectTimeout("connect timed out"), False),
])
def test_a_transport_error_on_create_may_exist_once_the_request_left(exc, may_exist):
    error = create_fails(make_client(exc)[0], TransportError)
    assert error.may_exist is may_exist
    assert error.msg.startswith("Timed out after 12.5 s while creating connection 'conn-01' at test.reltio.com")
    assert error.msg.endswith(client_module.MAY_EXIST) is may_exist


def test_a_transport_error_while_storing_is_not_may_exist():
    client, dummy = make_client(requests.exceptions.ReadTimeout("Read timed out."))
    with pytest.raises(TransportError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert info.value.may_exist is False
    assert "while storing the credentials of connection 'conn-01'" in info.value.msg


def test_store_credentials_request():
    client, session = make_client(FakeResponse(200, CREATED))
    connection = client.store_credentials("my conn/../x?", "dbx-client", DBX_SECRET)
    call = session.calls[0]
    assert call.url == BASE + "/database-configs/my%20conn%2F..%2Fx%3F/databricks/oauth/credentials"
    assert call.kwargs["json"] == {"clientId": "dbx-client", "clientSecret": DBX_SECRET}
    assert authorization(call) == "Bearer %s" % TOKEN
    assert connection["connection_id"] == CONNECTION_ID


@pytest.mark.parametrize("key", ["data", "result"])
def test_test_connection_outcome(key):
    body = {key: {"connected": True, "message": "Connection successful", "databaseType": "DATABRICKS"}}
    client, session = make_client(FakeResponse(200, body))
    assert client.test_connection("conn 1") == {"connected": True, "message": "Connection successful",
                                                "database_type": "DATABRICKS", "reason_code": "ok"}
    call = session.calls[0]
    assert call.url == BASE + "/database-configs/conn%201/test"
    assert call.kwargs.get("json") is None
    assert authorization(call) == "Bearer %s" % TOKEN


@pytest.mark.parametrize("connected", [False, "true", 1, None])
def test_test_connection_not_connected(connected):
    client, dummy = make_client(FakeResponse(200, {"data": {"connected": connected, "message": "Bad secret"}}))
    outcome = client.test_connection("c")
    assert outcome == {"connected": False, "message": "Bad secret", "database_type": None, "reason_code": "databricks_other"}


def test_test_connection_message_that_is_not_text():
    client, dummy = make_client(FakeResponse(200, {"data": {"connected": True, "message": {"a": 1}}}))
    assert client.test_connection("c")["message"] is None


@pytest.mark.parametrize("body", [{}, {"data": {"message": "x"}}, {"result": "connected"}, ["connected"],
                                  {"connected": True}])
def test_test_connection_without_connected(body):
    client, dummy = make_client(FakeResponse(200, body))
    with pytest.raises(ApiError) as info:
        client.test_connection("c")
    assert info.value.msg.startswith("Reltio answered the connection test of 'c' without a 'connected' field: ")


def test_test_connection_message_redacted():
    client, dummy = make_client(FakeResponse(200, {"data": {"connected": False, "message": "secret %s refused" % TOKEN}}))
    assert client.test_connection("c")["message"] == "secret %s refused" % MASK


def test_test_connection_error_status():
    client, dummy = make_client(FakeResponse(404, {"errorMessage": "Connection not found"}))
    with pytest.raises(NotFoundError) as info:
        client.test_connection("c")
    assert "Connection not found" in info.value.msg


def secret_client(*answers):
    client = ReltioClient.from_params({
        "platform_url": PLATFORM, "tenant_id": TENANT, "access_token": TOKEN, "reltio_client_id": RELTIO_ID,
        "reltio_client_secret": RELTIO_SECRET, "auth_url": AUTH_URL, "validate_certs": True, "ca_path": None,
        "timeout": 12.5, "retries": 3, "client_secret": DBX_SECRET,
    })
    client.transport.session = FakeSession(*answers)
    return client


def echo(text, status=400, **extra):
    body = {"severity": "Error", "errorMessage": text, "errorCode": 1}
    body.update(extra)
    return FakeResponse(status, body)


def gson(text):
    """``text`` as Gson writes it in a JSON string: = < > & ' as \\u escapes."""
    for char in "=<>&'":
        text = text.replace(char, "\\u%04x" % ord(char))
    return text


ECHOES = [
    "Invalid clientSecret %s" % DBX_SECRET,
    "Invalid clientSecret %s" % quote(DBX_SECRET, safe=""),
    "Invalid clientSecret %s" % json.dumps(DBX_SECRET)[1:-1],
    "Token %s refused" % TOKEN,
    "Client %s:%s refused" % (RELTIO_ID, RELTIO_SECRET),
]


@pytest.mark.parametrize("text", ECHOES)
@pytest.mark.parametrize("status", [400, 401, 404, 500, 503])
def test_echoed_secret_masked_in_api_errors(text, status):
    # On 401 the client fetches a new token with its client credentials and tries once more.
    client = secret_client(*([echo(text, status), token_response(NEW_TOKEN), echo(text, status)] if status == 401
                             else [echo(text, status)]))
    with pytest.raises(ReltioError) as info:
        create(client)
    assert_no_secret(info.value.msg, DBX_SECRET, TOKEN, RELTIO_SECRET, RELTIO_ID)
    assert MASK in info.value.msg


def test_a_gson_echo_of_the_credentials_is_masked():
    body = ('{"severity":"Error","errorMessage":"Bad request grant_type\\u003dclient_credentials %s:%s","errorCode":1}'
            % (RELTIO_ID, gson(RELTIO_SECRET)))
    client = secret_client(FakeResponse(400, content=body))
    with pytest.raises(AuthenticationError) as info:
        client.fetch_token()
    assert_no_secret(info.value.msg, RELTIO_SECRET, RELTIO_ID)
    assert "secret+key" not in info.value.msg
    assert "grant_type=client_credentials %s:%s" % (MASK, MASK) in info.value.msg


def test_echoed_secret_masked_in_same_name_outcome():
    client = secret_client(echo("%s (clientSecret=%s)" % (SAME_NAME_TEXT, DBX_SECRET)))
    outcome = create(client)
    assert outcome.created is False
    assert outcome.message == "%s (clientSecret=%s)" % (SAME_NAME_TEXT, MASK)


def test_echoed_secret_masked_in_non_json_bodies():
    for response in (FakeResponse(502, content="<html><body>bad %s</body></html>" % DBX_SECRET),
                     FakeResponse(200, content="not json %s" % DBX_SECRET)):
        client = secret_client(response)
        with pytest.raises(ApiError) as info:
            create(client)
        assert_no_secret(info.value.msg, DBX_SECRET)


def test_echoed_secret_masked_in_token_errors():
    client = secret_client(FakeResponse(401, {"error": "invalid_client", "error_description": "bad %s" % RELTIO_SECRET}))
    with pytest.raises(AuthenticationError) as info:
        client.fetch_token()
    assert_no_secret(info.value.msg, RELTIO_SECRET)


def test_echoed_basic_header_masked():
    basic = base64.b64encode(("%s:%s" % (RELTIO_ID, RELTIO_SECRET)).encode("utf-8")).decode("ascii")
    client = secret_client(FakeResponse(401, {"error_description": "Authorization: Basic %s" % basic}))
    with pytest.raises(AuthenticationError) as info:
        client.fetch_token()
    assert basic not in info.value.msg
    assert "Basic %s" % MASK in info.value.msg


def test_echoed_secret_masked_in_missing_connected_error():
    client = secret_client(FakeResponse(200, {"data": {"clientSecret": DBX_SECRET}}))
    with pytest.raises(ApiError) as info:
        client.test_connection("c")
    assert_no_secret(info.value.msg, DBX_SECRET)


def test_secret_passed_to_create_connection_is_masked():
    client, dummy = make_client(echo("Invalid clientSecret %s" % DBX_SECRET))
    error = create_fails(client)
    assert_no_secret(error.msg, DBX_SECRET)


def test_echoed_secret_masked_in_success_result():
    body = {"successful": True, "result": dict(CREATED["result"], message="Stored %s" % quote(DBX_SECRET, safe=""))}
    outcome = create(secret_client(FakeResponse(200, body)))
    assert outcome.connection["message"] == "Stored %s" % MASK


def test_secret_cut_by_excerpt_does_not_leak():
    long_secret = "S3CR3T-0123456789abcdefghijklmnop"
    client = ReltioClient.from_params({
        "platform_url": PLATFORM, "tenant_id": TENANT, "access_token": TOKEN, "client_secret": long_secret,
    })
    client.transport.session = FakeSession(FakeResponse(502, content="x" * 185 + " " + long_secret))
    error = create_fails(client)
    assert long_secret[:8] not in error.msg


def test_from_params_masks_every_secret_of_the_task():
    client = ReltioClient.from_params({
        "platform_url": PLATFORM, "tenant_id": TENANT, "access_token": TOKEN, "reltio_client_id": RELTIO_ID,
        "reltio_client_secret": RELTIO_SECRET, "client_secret": DBX_SECRET, "auth_url": AUTH_URL,
    })
    assert client.redact(" ".join([TOKEN, RELTIO_ID, RELTIO_SECRET, DBX_SECRET])) == " ".join([MASK] * 4)
    assert client.auth_url == AUTH_URL
    assert (client.timeout, client.retries) == (30, 3)


@pytest.mark.parametrize("sent, kept", [
    (3600, 3600), (59.5, 59.5), ("3600", 3600), (" 120 ", 120), (0, 0),
    (None, None), (True, None), (-5, None), (float("nan"), None), (float("inf"), None), (10 ** 12, None),
    ("soon", None), ("\ud800", None), ({"nested": [[[]]]}, None), ([3600], None), ("1" * 20, None),
])
def test_the_lifetime_of_a_token_is_a_number_of_seconds_or_none(sent, kept):
    client, dummy = credentials_client(FakeResponse(200, {"access_token": NEW_TOKEN, "expires_in": sent}))
    assert client.fetch_token()["expires_in"] == kept


@pytest.mark.parametrize("sent, kept", [("Bearer", "Bearer"), ("bearer", "bearer"), ("N_A", "N_A"), (None, None),
                                        ("Bearer " + "x" * 50, None), ({"a": 1}, None), ("b\u00e9arer", None), ("", None)])
def test_the_token_type_is_a_word_or_none(sent, kept):
    client, dummy = credentials_client(FakeResponse(200, {"access_token": NEW_TOKEN, "token_type": sent}))
    assert client.fetch_token()["token_type"] == kept


# ---- only plain, bounded values from a server reach the result and the terminal --------------------------------


def test_a_success_that_says_it_was_not_successful_is_a_failure_with_the_reason():
    body = {"successful": False, "error": {"errorMessage": "Quota exceeded", "errorCode": 429}}
    error = create_fails(make_client(FakeResponse(200, body))[0])
    assert error.msg == ("Reltio answered HTTP 200 while creating connection 'conn-01', but said it was not successful:"
                         " Quota exceeded. " + client_module.MAY_EXIST)
    assert (error.status, error.error_code, error.may_exist) == (200, 429, True)
    test_error = pytest.raises(ApiError, make_client(FakeResponse(200, body))[0].test_connection, "conn-01").value
    assert "not successful: Quota exceeded" in test_error.msg and test_error.may_exist is False


def test_control_characters_of_a_server_never_reach_a_message():
    body = {"errorMessage": "bad\x1b]0;pwned\x07 \x1b[2Jthing\r\nnext\x9b31m"}
    error = create_fails(make_client(FakeResponse(500, body, reason="Internal\x1b[2J Error"))[0])
    assert not any(ord(char) < 32 or 127 <= ord(char) < 160 for char in error.msg)
    assert "bad\\x1b]0;pwned\\x07 \\x1b[2Jthing  next\\x9b31m" in error.msg


def test_fields_of_the_answer_keep_scalars_only():
    secret_key = {"key %s" % DBX_SECRET: 1}
    body = {"successful": True, "result": {"connectionId": "c-1", "connectionName": ["conn-01"], "status": {"a": 1},
                                           "message": secret_key, "timestamp": "\x1b[2J" + "t" * 5000}}
    connection = create(make_client(FakeResponse(200, body))[0]).connection
    assert connection["connection_id"] == "c-1"
    assert connection["connection_name"] is None and connection["status"] is None and connection["message"] is None
    assert connection["timestamp"].startswith("\\x1b[2Jttt") and len(connection["timestamp"]) == MAX_FIELD_LENGTH


def test_fields_of_a_connection_test_keep_plain_text_only():
    body = {"data": {"connected": False, "message": "no\x1b[31m access", "databaseType": {"x": DBX_SECRET}}}
    outcome = make_client(FakeResponse(200, body))[0].test_connection("conn-01")
    assert outcome == {"connected": False, "message": "no\\x1b[31m access", "database_type": None,
                       "reason_code": "databricks_other"}


def test_a_deeply_nested_connection_id_is_no_confirmation_and_may_have_created_it():
    body = '{"successful": true, "result": {"connectionId": %s"c-1"%s}}' % ("[" * 500, "]" * 500)
    error = create_fails(make_client(FakeResponse(200, content=body))[0])
    assert "with a body that is not JSON (JSON nested deeper than 32 levels)" in error.msg
    assert error.may_exist is True and error.status == 200


def test_a_404_of_a_connection_test_says_the_connection_is_unknown_not_the_tenant():
    body = {"errorMessage": "Database configuration conn-01 not found", "errorCode": 404}
    with pytest.raises(NotFoundError) as info:
        make_client(FakeResponse(404, body))[0].test_connection("conn-01")
    assert info.value.msg == ("Reltio answered HTTP 404 Not Found while testing connection 'conn-01': Database configuration"
                              " conn-01 not found. Reltio knows no connection 'conn-01' in tenant 'tenant01': check"
                              " connection_name, or create the connection.")
    assert info.value.reason_code == "connection_not_found"


GATEWAY_404 = FakeResponse(404, content="<html><body><h1>404 Not Found</h1><p>nginx</p></body></html>",
                           headers={"Content-Type": "text/html"})


@pytest.mark.parametrize("answer", [
    GATEWAY_404,
    FakeResponse(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "Database configuration conn-01 not found"}),
    FakeResponse(404, {"message": "Not Found", "status": 404}),
    FakeResponse(404, content=""),
    FakeResponse(404, content="Not Found", headers={"Content-Type": "text/plain"}),
], ids=["html", "other json", "spring json", "empty", "text"])
def test_a_404_that_is_not_reltio_s_own_error_is_no_missing_connection(answer):
    """Issue 26: any 404 of a connection test was taken for "no such connection"; a gateway's page at a wrong
    platform_url then made check mode predict a create. Only Reltio's own error can say the connection is unknown."""
    with pytest.raises(NotFoundError) as info:
        make_client(answer)[0].test_connection("conn-01")
    assert info.value.reason_code == "unexpected_answer", info.value.msg
    assert info.value.status == 404
    assert info.value.msg.startswith("Reltio answered HTTP 404 Not Found while testing connection 'conn-01'")
    assert info.value.msg.endswith("That is not Reltio's answer: check platform_url (https://test.reltio.com), which must be"
                                   " the address that serves the Reltio API.")
    assert "connection_name" not in info.value.msg


def test_a_404_of_a_create_that_is_not_reltio_s_own_error_names_platform_url_not_the_tenant():
    error = create_fails(make_client(GATEWAY_404)[0], NotFoundError)
    assert error.reason_code == "unexpected_answer"
    assert "check platform_url" in error.msg and "tenant_id" not in error.msg


def test_a_404_in_reltio_s_other_error_shape_is_about_the_connection():
    body = {"successful": False, "error": {"errorMessage": "Database configuration conn-01 not found", "errorCode": 404}}
    with pytest.raises(NotFoundError) as info:
        make_client(FakeResponse(404, body))[0].test_connection("conn-01")
    assert info.value.reason_code == "connection_not_found"


def test_a_404_of_a_connection_test_for_an_unknown_tenant_says_the_tenant():
    """Issue 26: Reltio's 404 names an unknown tenant; that is no missing connection."""
    body = {"errorMessage": "Tenant tenant01 not found", "errorCode": 404}
    with pytest.raises(NotFoundError) as info:
        make_client(FakeResponse(404, body))[0].test_connection("conn-01")
    assert info.value.reason_code == "tenant_not_found"
    assert info.value.msg == ("Reltio answered HTTP 404 Not Found while testing connection 'conn-01': Tenant tenant01 not"
                              " found. Check tenant_id ('tenant01') and platform_url (https://test.reltio.com): Reltio knows"
                              " no such tenant there.")
