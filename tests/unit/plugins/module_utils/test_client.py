# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import pathlib
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import requests
import urllib3
import yaml

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils.client import (
    BoundedRetry,
    ReltioClient,
    normalize_platform_url,
    parse_error_body,
    path_segment,
    text_excerpt,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    ApiError,
    AuthenticationError,
    ConnectionExistsError,
    NotFoundError,
    ReltioError,
    TransportError,
)
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK

from ..fakes import FakeResponse, FakeSession, authorization, token_response

ROOT = pathlib.Path(__file__).resolve().parents[4]
PLATFORM = "https://test.reltio.com"
TENANT = "tenant01"
BASE = PLATFORM + "/reltio/api/tenants/tenant01/interactions"
CREATE_URL = BASE + "/database-configs/databricks/oauth/credentials"
AUTH_URL = "https://auth.example.com/oauth/token"
TOKEN = "tok-AAAA-1111"
NEW_TOKEN = "tok-BBBB-2222"
RELTIO_ID = "reltio-client-id"
RELTIO_SECRET = "reltio/secret+key=="
DBX_SECRET = 'dbx"secret/é+&?'
WORKSPACE = "https://adb-1234567890123456.7.azuredatabricks.net"
CREATED = {
    "successful": True,
    "result": {
        "connectionId": "f7956383-eb65-4298-b716-c6f808aa6744",
        "connectionName": "conn-01",
        "message": "Databricks M2M OAuth credentials stored successfully",
        "status": "success",
        "timestamp": 1779778867683,
    },
}
SAME_NAME = {"severity": "Error", "errorMessage": "A connection with the same name already exists for the tenant",
             "errorCode": 1001}
ACTIVE_EXISTS = {"severity": "Error", "errorMessage": "An active Databricks connection already exists for the tenant",
                 "errorCode": 1002}
HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def make_client(*answers, **kwargs):
    options = dict(platform_url=PLATFORM, tenant_id=TENANT, access_token=TOKEN, timeout=12.5, retries=3)
    options.update(kwargs)
    session = FakeSession(*answers)
    return ReltioClient(session=session, **options), session


def create(client, secret=DBX_SECRET):
    return client.create_connection("conn-01", WORKSPACE, "wh-01", "dbx-client", secret)


def assert_no_secret(text, *secrets):
    for secret in secrets:
        for spelling in (secret, json.dumps(secret)[1:-1], quote(secret, safe="")):
            assert spelling not in text


# ---- parse_error_body ------------------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    (json.dumps({"severity": "Error", "errorMessage": "Bad thing", "errorCode": 1234,
                 "errorDetailMessage": "detail"}), ("Bad thing", 1234)),
    (json.dumps({"errorDetailMessage": "only detail", "errorCode": "E12"}), ("only detail", "E12")),
    (json.dumps({"successful": False, "error": {"errorMessage": "Inner", "errorCode": 55}}), ("Inner", 55)),
    (json.dumps({"successful": False, "error": {"message": "Inner msg"}}), ("Inner msg", None)),
    (json.dumps({"successful": False, "error": {"errorDetailMessage": "Inner detail"}}), ("Inner detail", None)),
    (json.dumps([{"errorMessage": "First of list", "errorCode": 9}, {"errorMessage": "second"}]),
     ("First of list", 9)),
    (json.dumps({"error": "invalid_client", "error_description": "Bad client credentials"}),
     ("Bad client credentials", None)),
    (json.dumps({"error": "invalid_client"}), ("invalid_client", None)),
    (json.dumps({"message": "  spaced  "}), ("spaced", None)),
    (json.dumps({"errorMessage": "x", "errorCode": True}), ("x", None)),
    (json.dumps({"errorMessage": "x", "errorCode": {"nested": 1}}), ("x", None)),
    ("Service temporarily unavailable", ("Service temporarily unavailable", None)),
    ("", (None, None)),
    ("   \n ", (None, None)),
    (b"", (None, None)),
    (None, (None, None)),
])
def test_parse_error_body_shapes(body, expected):
    assert parse_error_body(body) == expected


def test_parse_error_body_bytes():
    assert parse_error_body(json.dumps({"errorMessage": "é"}).encode("utf-8")) == ("é", None)


def test_parse_error_body_html_gives_excerpt_without_tags():
    message, code = parse_error_body(HTML_502.encode("ascii"), "text/html")
    assert code is None
    assert "502 Bad Gateway" in message
    assert "<" not in message and ">" not in message
    assert "\n" not in message


@pytest.mark.parametrize("body", [
    b"\xff\xfe\x00garbage",
    b'{"errorMessage": "trunc',
    b'{"errorMessage": ',
    "\ufeff{}",
    "[]",
    "{}",
    '"just a string"',
    "123",
    "null",
    "true",
    json.dumps({"errorMessage": None, "errorCode": [1]}),
    json.dumps({"error": {"errorCode": 7}}),
    json.dumps([1, 2]),
])
def test_parse_error_body_never_raises_and_gives_text(body):
    message, code = parse_error_body(body)
    assert isinstance(message, str) and message
    assert code in (None, 7)


def test_parse_error_body_scalar_and_fallbacks():
    assert parse_error_body("123") == ("123", None)
    assert parse_error_body('{"errorMessage": "trunc') == ('{"errorMessage": "trunc', None)
    assert parse_error_body(json.dumps({"error": {"errorCode": 7}})) == ('{"error": {"errorCode": 7}}', 7)
    assert parse_error_body(b"\xff") == ("\ufffd", None)


def test_parse_error_body_deeply_nested_json():
    message, dummy = parse_error_body("[" * 100000)
    assert message.startswith("[[[")


def test_parse_error_body_long_text_is_excerpted():
    message, dummy = parse_error_body("x" * 5000)
    assert len(message) == client_module.EXCERPT_LENGTH


# ---- helpers ---------------------------------------------------------------------------------


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
])
def test_normalize_platform_url(url, expected):
    assert normalize_platform_url(url) == expected


def test_normalize_platform_url_host_named_reltio():
    assert normalize_platform_url("https://reltio") == "https://reltio"


@pytest.mark.parametrize("value, expected", [
    ("conn-01", "conn-01"),
    ("a/b", "a%2Fb"),
    ("a.b", "a.b"),
    ("q?x#y%z", "q%3Fx%23y%25z"),
    ("with space", "with%20space"),
    ("é€", "%C3%A9%E2%82%AC"),
    ("../../admin", "..%2F..%2Fadmin"),
])
def test_path_segment(value, expected):
    assert path_segment(value) == expected


@pytest.mark.parametrize("value", ["a/b", "../x", "x?y", "x#y", "50%", "é/ü", "a\\b", "a;b"])
def test_path_segment_stays_one_segment(value):
    """Dots stay (requests would decode %2E anyway); validation refuses dots-only values instead."""
    encoded = path_segment(value)
    for char in "/?#\\;":
        assert char not in encoded
    assert encoded.strip(".") != ""


def test_text_excerpt():
    assert text_excerpt("  <p>Hello</p>\n\n <b>world</b>  ") == "Hello world"
    long_text = "word " * 100
    excerpt = text_excerpt(long_text)
    assert len(excerpt) <= client_module.EXCERPT_LENGTH
    assert excerpt.endswith("...")
    assert text_excerpt("a" * 50, length=20) == "a" * 17 + "..."
    assert text_excerpt("a" * 20, length=20) == "a" * 20
    assert text_excerpt("") == ""


# ---- session ---------------------------------------------------------------------------------


def test_real_session_retries():
    client = ReltioClient(PLATFORM, TENANT, access_token=TOKEN, retries=4)
    assert isinstance(client.session, requests.Session)
    for prefix in ("https://", "http://"):
        retry = client.session.get_adapter(prefix + "test.reltio.com").max_retries
        assert isinstance(retry, BoundedRetry)
        assert retry.total == 4
        assert retry.connect == 4 and retry.read == 4 and retry.status == 4
        assert set(retry.status_forcelist) == {429, 502, 503, 504}
        assert retry.allowed_methods is None
        assert retry.is_retry("POST", 503)
        assert not retry.is_retry("POST", 500)
        assert retry.raise_on_status is False
        assert retry.redirect == 0


def test_real_session_retries_off():
    retry = ReltioClient(PLATFORM, TENANT, access_token=TOKEN, retries=0).session.get_adapter(PLATFORM).max_retries
    assert retry.total == 0


def test_real_session_user_agent():
    user_agent = ReltioClient(PLATFORM, TENANT, access_token=TOKEN).session.headers["User-Agent"]
    assert "reltio.platform/%s" % client_module.COLLECTION_VERSION in user_agent
    assert ANSIBLE_VERSION in user_agent


def test_collection_version_matches_galaxy_yml():
    with open(str(ROOT / "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert client_module.COLLECTION_VERSION == str(galaxy["version"])


@pytest.mark.parametrize("header, expected", [
    ("3600", client_module.MAX_RETRY_AFTER),
    ("61", client_module.MAX_RETRY_AFTER),
    ("5", 5),
    ("0", 0),
    ("Fri, 31 Dec 2100 23:59:59 GMT", client_module.MAX_RETRY_AFTER),
])
def test_bounded_retry_caps_retry_after(header, expected):
    response = SimpleNamespace(headers={"Retry-After": header})
    assert BoundedRetry(total=3).get_retry_after(response) == expected


def test_bounded_retry_without_header():
    assert BoundedRetry(total=3).get_retry_after(SimpleNamespace(headers={})) is None


def test_bounded_retry_stays_bounded_after_increment():
    retry = BoundedRetry(total=3, status_forcelist=(503,), allowed_methods=None, raise_on_status=False)
    response = urllib3.HTTPResponse(status=503, headers={"Retry-After": "9999"})
    retry = retry.increment(method="POST", url="/x", response=response)
    assert isinstance(retry, BoundedRetry)
    assert retry.get_retry_after(response) == client_module.MAX_RETRY_AFTER
    assert len(retry.history) == 1


class _FlakyHandler(BaseHTTPRequestHandler):
    """503 on the first POST, then Reltio's same-name answer: the first try created the connection."""

    answers = []
    paths = []

    def do_POST(self):  # pylint: disable=invalid-name
        self.paths.append(self.path)
        status, body = self.answers.pop(0)
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


def test_real_session_retries_post_and_reports_after_retry():
    _FlakyHandler.answers = [(503, {"errorMessage": "busy"}), (400, SAME_NAME)]
    _FlakyHandler.paths = []
    server = HTTPServer(("127.0.0.1", 0), _FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = ReltioClient("http://127.0.0.1:%d/reltio/api" % server.server_port, TENANT, access_token=TOKEN,
                              timeout=5, retries=2)
        client.session.trust_env = False
        with pytest.raises(ConnectionExistsError) as info:
            create(client)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert info.value.after_retry is True
    assert _FlakyHandler.paths == ["/reltio/api/tenants/tenant01/interactions/database-configs/databricks/oauth/credentials"] * 2


# ---- create_connection ---------------------------------------------------------------------------


def test_create_connection_request():
    client, session = make_client(FakeResponse(200, CREATED), validate_certs=True)
    connection = create(client)
    assert len(session.calls) == 1
    call = session.calls[0]
    assert call.method == "POST"
    assert call.url == CREATE_URL
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
    assert connection == {
        "connection_id": "f7956383-eb65-4298-b716-c6f808aa6744",
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


def test_create_connection_result_missing_fields():
    client, dummy = make_client(FakeResponse(200, {"successful": True}))
    assert create(client) == {"connection_id": None, "connection_name": None, "status": None, "message": None,
                              "timestamp": None}


def test_same_name_raises_connection_exists():
    client, dummy = make_client(FakeResponse(400, SAME_NAME))
    with pytest.raises(ConnectionExistsError) as info:
        create(client)
    assert info.value.after_retry is False
    assert info.value.status == 400
    assert info.value.error_code == 1001
    assert info.value.may_exist is False
    assert "same name" in info.value.msg


def test_same_name_after_retry():
    client, dummy = make_client(FakeResponse(400, SAME_NAME, retried=True))
    with pytest.raises(ConnectionExistsError) as info:
        create(client)
    assert info.value.after_retry is True


def test_same_name_without_retries_attribute():
    response = FakeResponse(400, SAME_NAME)
    response.raw = None
    client, dummy = make_client(response)
    with pytest.raises(ConnectionExistsError) as info:
        create(client)
    assert info.value.after_retry is False


def test_same_name_in_wrapped_error_shape():
    client, dummy = make_client(FakeResponse(400, {"successful": False, "error": SAME_NAME}))
    with pytest.raises(ConnectionExistsError):
        create(client)


def test_active_connection_exists_is_an_api_error():
    client, dummy = make_client(FakeResponse(400, ACTIVE_EXISTS))
    with pytest.raises(ApiError) as info:
        create(client)
    assert not isinstance(info.value, ConnectionExistsError)
    assert info.value.status == 400
    assert info.value.error_code == 1002
    assert "An active Databricks connection already exists for the tenant" in info.value.msg
    assert info.value.may_exist is False


def test_same_name_on_store_credentials_is_not_exists():
    client, dummy = make_client(FakeResponse(400, SAME_NAME))
    with pytest.raises(ApiError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert not isinstance(info.value, ConnectionExistsError)


@pytest.mark.parametrize("status", [401, 403])
def test_authentication_error(status):
    client, session = make_client(FakeResponse(status, {"error": "invalid_token", "error_description": "Token expired"}))
    with pytest.raises(AuthenticationError) as info:
        create(client)
    assert info.value.status == status
    assert "Token expired" in info.value.msg
    assert TENANT in info.value.msg
    assert "access_token" in info.value.msg
    assert info.value.may_exist is False
    # Without client credentials there is nothing to refresh the token with.
    assert len(session.calls) == 1


def test_not_found():
    client, dummy = make_client(FakeResponse(404, {"errorMessage": "Tenant not found"}))
    with pytest.raises(NotFoundError) as info:
        create(client)
    assert info.value.status == 404
    assert TENANT in info.value.msg
    assert PLATFORM in info.value.msg
    assert "Tenant not found" in info.value.msg
    assert info.value.may_exist is False


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_on_create_may_exist(status):
    client, dummy = make_client(FakeResponse(status, {"errorMessage": "Internal problem"}))
    with pytest.raises(ApiError) as info:
        create(client)
    assert info.value.status == status
    assert info.value.may_exist is True
    assert info.value.fail_kwargs()["may_exist"] is True
    assert "may have been created" in info.value.msg
    assert "Internal problem" in info.value.msg
    assert str(status) in info.value.msg


def test_retry_status_mentions_retries():
    client, dummy = make_client(FakeResponse(503, {"errorMessage": "busy"}), retries=3)
    with pytest.raises(ApiError) as info:
        create(client)
    assert "after 3 retries" in info.value.msg


def test_server_error_on_store_credentials_is_not_may_exist():
    client, dummy = make_client(FakeResponse(500, {"errorMessage": "Internal problem"}))
    with pytest.raises(ApiError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert info.value.may_exist is False
    assert "may have been created" not in info.value.msg


def test_html_502():
    client, dummy = make_client(FakeResponse(502, content=HTML_502, reason="Bad Gateway"))
    with pytest.raises(ApiError) as info:
        create(client)
    msg = info.value.msg
    assert "502" in msg
    assert "502 Bad Gateway" in msg
    assert "nginx" in msg
    assert "<html" not in msg.lower()
    assert "<" not in msg
    assert info.value.status == 502


def test_200_not_json():
    client, dummy = make_client(FakeResponse(200, content="<html>OK</html>"))
    with pytest.raises(ApiError) as info:
        create(client)
    assert "not JSON" in info.value.msg
    assert info.value.status == 200
    assert "<html" not in info.value.msg


def test_200_empty_body():
    client, dummy = make_client(FakeResponse(200, content=b""))
    with pytest.raises(ApiError) as info:
        create(client)
    assert "(empty)" in info.value.msg


# ---- token ------------------------------------------------------------------------------------


def credentials_client(*answers, **kwargs):
    options = dict(access_token=None, client_id=RELTIO_ID, client_secret=RELTIO_SECRET, auth_url=AUTH_URL)
    options.update(kwargs)
    return make_client(*answers, **options)


def test_fetch_token_request():
    client, session = credentials_client(token_response(NEW_TOKEN), validate_certs=False)
    assert client.has_client_credentials
    assert client.fetch_token() == {"access_token": NEW_TOKEN, "expires_in": 3600, "token_type": "bearer"}
    call = session.calls[0]
    assert call.method == "POST"
    assert call.url == AUTH_URL
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


def test_401_with_client_credentials_refreshes_once():
    client, session = credentials_client(
        FakeResponse(401, {"error": "invalid_token"}), token_response(NEW_TOKEN), FakeResponse(200, CREATED),
        access_token=TOKEN)
    assert create(client)["connection_name"] == "conn-01"
    assert [call.url for call in session.calls] == [CREATE_URL, AUTH_URL, CREATE_URL]
    assert authorization(session.calls[0]) == "Bearer %s" % TOKEN
    assert authorization(session.calls[2]) == "Bearer %s" % NEW_TOKEN
    assert session.calls[2].kwargs["json"] == session.calls[0].kwargs["json"]


def test_401_twice_with_client_credentials_fails_without_looping():
    client, session = credentials_client(
        FakeResponse(401, {"error": "invalid_token"}), token_response(NEW_TOKEN), FakeResponse(401, {"error": "invalid_token"}),
        access_token=TOKEN)
    with pytest.raises(AuthenticationError) as info:
        create(client)
    assert len(session.calls) == 3
    assert info.value.status == 401


@pytest.mark.parametrize("status", [400, 401, 403])
def test_token_endpoint_refuses(status):
    client, session = credentials_client(
        FakeResponse(status, {"error": "invalid_client", "error_description": "Bad client credentials"}))
    with pytest.raises(AuthenticationError) as info:
        client.fetch_token()
    msg = info.value.msg
    assert "refused the client credentials" in msg
    assert AUTH_URL in msg
    assert str(status) in msg
    assert "Bad client credentials" in msg
    assert info.value.status == status
    assert len(session.calls) == 1


def test_token_endpoint_server_error():
    client, dummy = credentials_client(FakeResponse(500, content="oops", reason="Server Error"))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    assert not isinstance(info.value, AuthenticationError)
    assert "500" in info.value.msg and "oops" in info.value.msg


@pytest.mark.parametrize("body", [{"token_type": "bearer"}, {"access_token": ""}, {"access_token": 5}, ["x"]])
def test_token_endpoint_without_token(body):
    client, dummy = credentials_client(FakeResponse(200, body))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    assert "without an access_token" in info.value.msg


def test_token_endpoint_not_json():
    client, dummy = credentials_client(FakeResponse(200, content="<html>login</html>"))
    with pytest.raises(ApiError) as info:
        client.fetch_token()
    assert "not JSON" in info.value.msg


def test_fetched_token_is_redacted():
    client, dummy = credentials_client(token_response(NEW_TOKEN), FakeResponse(400, {"errorMessage": "bad token %s" % NEW_TOKEN}))
    with pytest.raises(ApiError) as info:
        create(client)
    assert NEW_TOKEN not in info.value.msg
    assert MASK in info.value.msg


@pytest.mark.parametrize("answer", [requests.exceptions.ConnectionError("Connection refused"),
                                    FakeResponse(503, content="down")])
def test_token_failure_during_create_is_not_may_exist(answer):
    client, session = credentials_client(answer)
    with pytest.raises(ReltioError) as info:
        create(client)
    assert [call.url for call in session.calls] == [AUTH_URL]
    assert info.value.may_exist is False
    assert "may have been created" not in info.value.msg


# ---- transport errors ---------------------------------------------------------------------------


def _refused():
    conn = urllib3.connection.HTTPSConnection("test.reltio.com")
    reason = urllib3.exceptions.NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, CREATE_URL, reason))


@pytest.mark.parametrize("exc, start", [
    (requests.exceptions.ConnectTimeout("connect timed out"), "Timed out"),
    (requests.exceptions.ReadTimeout("Read timed out. (read timeout=12.5)"), "Timed out"),
    (requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "TLS error"),
    (requests.exceptions.ConnectionError("Connection refused"), "Could not reach"),
    (_refused(), "Could not reach"),
    (requests.exceptions.ProxyError("Cannot connect to proxy"), "Proxy error"),
])
def test_transport_errors(exc, start):
    client, dummy = make_client(exc)
    with pytest.raises(TransportError) as info:
        client.store_credentials("conn-01", "id", "secret")
    msg = info.value.msg
    assert msg.startswith(start)
    assert "test.reltio.com" in msg
    assert "Traceback" not in msg
    assert "File \"" not in msg
    assert "<urllib3" not in msg
    assert "\n" not in msg
    assert info.value.status is None


def test_transport_error_details():
    client, dummy = make_client(requests.exceptions.ReadTimeout("Read timed out."), retries=2)
    with pytest.raises(TransportError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert "12.5 s" in info.value.msg
    assert "tried 3 times" in info.value.msg
    client, dummy = make_client(_refused(), retries=0)
    with pytest.raises(TransportError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert "tried" not in info.value.msg
    assert "Connection refused" in info.value.msg


def test_tls_error_gives_advice():
    client, dummy = make_client(requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(TransportError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert "ca_path" in info.value.msg
    assert "validate_certs" in info.value.msg


def test_transport_error_on_create_may_exist():
    client, dummy = make_client(requests.exceptions.ReadTimeout("Read timed out."))
    with pytest.raises(TransportError) as info:
        create(client)
    assert info.value.may_exist is True
    assert "may have been created" in info.value.msg


def test_transport_error_is_redacted():
    client, dummy = make_client(requests.exceptions.ConnectionError("refused for token %s" % TOKEN))
    with pytest.raises(TransportError) as info:
        client.store_credentials("conn-01", "id", "secret")
    assert TOKEN not in info.value.msg


def test_token_request_transport_error():
    client, session = credentials_client(requests.exceptions.ConnectTimeout("timed out"))
    with pytest.raises(TransportError) as info:
        client.fetch_token()
    assert "auth.example.com" in info.value.msg
    assert "requesting a token" in info.value.msg
    assert len(session.calls) == 1


# ---- store_credentials and test_connection ------------------------------------------------------------


def test_store_credentials_request():
    client, session = make_client(FakeResponse(200, CREATED))
    connection = client.store_credentials("my conn/../x?", "dbx-client", DBX_SECRET)
    call = session.calls[0]
    assert call.url == BASE + "/database-configs/my%20conn%2F..%2Fx%3F/databricks/oauth/credentials"
    assert call.kwargs["json"] == {"clientId": "dbx-client", "clientSecret": DBX_SECRET}
    assert authorization(call) == "Bearer %s" % TOKEN
    assert connection["connection_id"] == CREATED["result"]["connectionId"]


@pytest.mark.parametrize("key", ["data", "result"])
def test_test_connection_outcome(key):
    body = {key: {"connected": True, "message": "Connection successful", "databaseType": "DATABRICKS"}}
    client, session = make_client(FakeResponse(200, body))
    assert client.test_connection("conn 1") == {"connected": True, "message": "Connection successful",
                                                "database_type": "DATABRICKS"}
    call = session.calls[0]
    assert call.url == BASE + "/database-configs/conn%201/test"
    assert call.kwargs.get("json") is None
    assert authorization(call) == "Bearer %s" % TOKEN


@pytest.mark.parametrize("connected", [False, "true", 1, None])
def test_test_connection_not_connected(connected):
    client, dummy = make_client(FakeResponse(200, {"data": {"connected": connected, "message": "Bad secret"}}))
    outcome = client.test_connection("c")
    assert outcome["connected"] is False
    assert outcome["message"] == "Bad secret"
    assert outcome["database_type"] is None


@pytest.mark.parametrize("body", [{}, {"data": {"message": "x"}}, {"result": "connected"}, ["connected"],
                                  {"connected": True}])
def test_test_connection_without_connected(body):
    client, dummy = make_client(FakeResponse(200, body))
    with pytest.raises(ApiError) as info:
        client.test_connection("c")
    assert "'connected'" in info.value.msg


def test_test_connection_message_redacted():
    client, dummy = make_client(FakeResponse(200, {"data": {"connected": False, "message": "secret %s refused" % TOKEN}}))
    assert TOKEN not in client.test_connection("c")["message"]


def test_test_connection_error_status():
    client, dummy = make_client(FakeResponse(404, {"errorMessage": "Connection not found"}))
    with pytest.raises(NotFoundError) as info:
        client.test_connection("c")
    assert "Connection not found" in info.value.msg


# ---- redaction of what the server echoes -------------------------------------------------------------


def secret_client(*answers):
    client = ReltioClient.from_params({
        "platform_url": PLATFORM, "tenant_id": TENANT, "access_token": TOKEN, "reltio_client_id": RELTIO_ID,
        "reltio_client_secret": RELTIO_SECRET, "auth_url": AUTH_URL, "validate_certs": True, "ca_path": None,
        "timeout": 12.5, "retries": 3, "client_secret": DBX_SECRET,
    })
    client.session = FakeSession(*answers)
    return client


def echo(text, status=400, **extra):
    body = {"severity": "Error", "errorMessage": text, "errorCode": 1}
    body.update(extra)
    return FakeResponse(status, body)


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


def test_echoed_secret_masked_in_same_name_error():
    client = secret_client(echo("A connection with the same name already exists (clientSecret=%s)" % DBX_SECRET))
    with pytest.raises(ConnectionExistsError) as info:
        create(client)
    assert_no_secret(info.value.msg, DBX_SECRET)


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
    import base64  # pylint: disable=import-outside-toplevel
    basic = base64.b64encode(("%s:%s" % (RELTIO_ID, RELTIO_SECRET)).encode("utf-8")).decode("ascii")
    client = secret_client(FakeResponse(401, {"error_description": "Authorization: Basic %s" % basic}))
    with pytest.raises(AuthenticationError) as info:
        client.fetch_token()
    assert basic not in info.value.msg


def test_echoed_secret_masked_in_missing_connected_error():
    client = secret_client(FakeResponse(200, {"data": {"clientSecret": DBX_SECRET}}))
    with pytest.raises(ApiError) as info:
        client.test_connection("c")
    assert_no_secret(info.value.msg, DBX_SECRET)


def test_secret_passed_to_create_connection_is_masked():
    client, dummy = make_client(echo("Invalid clientSecret %s" % DBX_SECRET))
    with pytest.raises(ApiError) as info:
        create(client)
    assert_no_secret(info.value.msg, DBX_SECRET)


def test_echoed_secret_masked_in_success_result():
    body = {"successful": True, "result": dict(CREATED["result"], message="Stored %s" % quote(DBX_SECRET, safe=""))}
    client = secret_client(FakeResponse(200, body))
    assert_no_secret(json.dumps(create(client)), DBX_SECRET)


def test_secret_cut_by_excerpt_does_not_leak():
    long_secret = "S3CR3T-0123456789abcdefghijklmnop"
    client = ReltioClient.from_params({
        "platform_url": PLATFORM, "tenant_id": TENANT, "access_token": TOKEN, "client_secret": long_secret,
    })
    client.session = FakeSession(FakeResponse(502, content="x" * 185 + " " + long_secret))
    with pytest.raises(ApiError) as info:
        create(client, secret=long_secret)
    assert long_secret[:8] not in info.value.msg


# ---- reuse: one session per retry setting and one token per set of credentials ---------------


@pytest.fixture(name="shared")
def shared_fixture(monkeypatch):
    """Empty caches, sessions made by a counting fake, and a clock the test sets."""
    monkeypatch.setattr(client_module, "_SHARED_SESSIONS", {})
    monkeypatch.setattr(client_module, "_SHARED_TOKENS", {})
    made = []

    def new_session(retries):
        session = FakeSession()
        session.retries = retries
        made.append(session)
        return session

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(ReltioClient, "_new_session", staticmethod(new_session))
    monkeypatch.setattr(client_module.time, "monotonic", lambda: clock.now)
    return SimpleNamespace(sessions=made, clock=clock, tokens=client_module._SHARED_TOKENS,
                           session_cache=client_module._SHARED_SESSIONS)


def reusing_client(**kwargs):
    options = dict(platform_url=PLATFORM, tenant_id=TENANT, client_id=RELTIO_ID, client_secret=RELTIO_SECRET,
                   auth_url=AUTH_URL, retries=3, reuse=True)
    options.update(kwargs)
    return ReltioClient(**options)


def test_reuse_shares_one_session_per_retries_value(shared):
    first = reusing_client()
    second = reusing_client(client_secret="other-secret", access_token=TOKEN)
    third = reusing_client(retries=5)
    fourth = reusing_client(retries=5)
    assert first.session is second.session
    assert third.session is fourth.session
    assert first.session is not third.session
    assert [session.retries for session in shared.sessions] == [3, 5]
    assert shared.session_cache == {3: first.session, 5: third.session}


def test_reuse_with_a_given_session_uses_it(shared):
    given = FakeSession()
    client = reusing_client(session=given)
    assert client.session is given
    assert not shared.sessions
    assert not shared.session_cache


def test_without_reuse_nothing_is_shared(shared):
    session = FakeSession(token_response(NEW_TOKEN), FakeResponse(200, CREATED))
    first = reusing_client(reuse=False, session=session)
    create(first)
    second = reusing_client(reuse=False)
    third = reusing_client(reuse=False)
    assert second.session is not third.session
    assert len(shared.sessions) == 2
    assert not shared.session_cache
    assert not shared.tokens
    assert second._token is None


def test_reuse_shares_the_token_of_client_credentials(shared):
    first = reusing_client()
    session = first.session
    session.answers.extend([token_response(NEW_TOKEN), FakeResponse(200, CREATED), FakeResponse(200, CREATED)])
    create(first)
    second = reusing_client()
    assert second.session is session
    create(second)
    assert [call.url for call in session.calls] == [AUTH_URL, CREATE_URL, CREATE_URL]
    assert authorization(session.calls[2]) == "Bearer %s" % NEW_TOKEN


def test_reused_token_is_redacted_by_the_next_client(shared):
    first = reusing_client()
    first.session.answers.append(token_response(NEW_TOKEN))
    first.fetch_token()
    second = reusing_client()
    second.session.answers.append(FakeResponse(400, {"errorMessage": "bad token %s" % NEW_TOKEN}))
    with pytest.raises(ApiError) as info:
        create(second)
    assert NEW_TOKEN not in info.value.msg
    assert MASK in info.value.msg


@pytest.mark.parametrize("elapsed, reused", [
    (0, True),
    (3600 - client_module.TOKEN_EXPIRY_MARGIN - 1, True),
    (3600 - client_module.TOKEN_EXPIRY_MARGIN, False),
    (3600, False),
    (7200, False),
])
def test_shared_token_not_reused_near_expiry(shared, elapsed, reused):
    assert client_module.TOKEN_EXPIRY_MARGIN == 30
    first = reusing_client()
    first.session.answers.append(token_response("tok-first"))
    first.fetch_token()
    shared.clock.now += elapsed
    second = reusing_client()
    if reused:
        assert second._token == "tok-first"
        second.ensure_token()
        assert len(second.session.calls) == 1
    else:
        assert second._token is None
        second.session.answers.append(token_response("tok-second"))
        second.ensure_token()
        assert [call.url for call in second.session.calls] == [AUTH_URL, AUTH_URL]
        assert list(shared.tokens.values()) == [("tok-second", shared.clock.now + 3600)]


@pytest.mark.parametrize("expires_in", [None, "3600", True, 0])
def test_shared_token_without_usable_lifetime_is_not_reused(shared, expires_in):
    first = reusing_client()
    body = {"access_token": "tok-first", "token_type": "bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    first.session.answers.append(FakeResponse(200, body))
    first.fetch_token()
    assert reusing_client()._token is None


@pytest.mark.parametrize("other", [
    {"client_secret": "another-secret"},
    {"client_id": "another-client"},
    {"auth_url": "https://auth2.example.com/oauth/token"},
])
def test_different_credentials_do_not_share_a_token(shared, other):
    first = reusing_client()
    first.session.answers.append(token_response("tok-first"))
    first.fetch_token()
    second = reusing_client(**other)
    assert second._token is None
    second.session.answers.append(token_response("tok-second"))
    second.ensure_token()
    assert second._token == "tok-second"
    assert len(shared.tokens) == 2
    assert reusing_client()._token == "tok-first"


def test_token_cache_key_holds_no_plain_secret(shared):
    client = reusing_client()
    client.session.answers.append(token_response(NEW_TOKEN))
    client.fetch_token()
    assert len(shared.tokens) == 1
    key = list(shared.tokens)[0]
    assert key[0] == AUTH_URL
    text = repr(key)
    assert RELTIO_SECRET not in text
    assert RELTIO_ID not in text
    assert quote(RELTIO_SECRET, safe="") not in text


def test_reuse_without_client_credentials_caches_no_token(shared):
    client = reusing_client(client_id=None, client_secret=None, access_token=TOKEN)
    client.session.answers.append(FakeResponse(200, CREATED))
    create(client)
    assert not shared.tokens
    assert client._token_key is None


def test_given_access_token_wins_over_the_shared_token(shared):
    first = reusing_client()
    first.session.answers.append(token_response("tok-shared"))
    first.fetch_token()
    second = reusing_client(access_token=TOKEN)
    second.session.answers.append(FakeResponse(200, CREATED))
    create(second)
    assert authorization(second.session.calls[-1]) == "Bearer %s" % TOKEN


def test_401_refreshes_the_shared_token_once_and_updates_the_cache(shared):
    first = reusing_client()
    session = first.session
    session.answers.extend([token_response("tok-old"), FakeResponse(200, CREATED)])
    create(first)
    second = reusing_client()
    assert second._token == "tok-old"
    session.answers.extend([FakeResponse(401, {"error": "invalid_token"}), token_response("tok-new"), FakeResponse(200, CREATED)])
    create(second)
    assert [call.url for call in session.calls] == [AUTH_URL, CREATE_URL, CREATE_URL, AUTH_URL, CREATE_URL]
    assert authorization(session.calls[2]) == "Bearer tok-old"
    assert authorization(session.calls[4]) == "Bearer tok-new"
    assert [value[0] for value in shared.tokens.values()] == ["tok-new"]
    third = reusing_client()
    assert third._token == "tok-new"
    session.answers.append(FakeResponse(200, CREATED))
    create(third)
    assert len(session.calls) == 6
    assert authorization(session.calls[5]) == "Bearer tok-new"


def test_from_params_passes_reuse(shared):
    params = {"platform_url": PLATFORM, "tenant_id": TENANT, "reltio_client_id": RELTIO_ID,
              "reltio_client_secret": RELTIO_SECRET, "auth_url": AUTH_URL, "retries": 2}
    first = ReltioClient.from_params(params, reuse=True)
    assert ReltioClient.from_params(params, reuse=True).session is first.session
    assert ReltioClient.from_params(params).session is not first.session
    assert list(shared.session_cache) == [2]


# ---- the body is read within the timeout ------------------------------------------------------------


class TricklingRaw:
    """A urllib3-like body that hands out one piece per read, each ``step`` seconds after the last."""

    def __init__(self, pieces, clock, step):
        self.pieces = list(pieces)
        self.clock = clock
        self.step = step
        self.length_remaining = sum(len(piece) for piece in self.pieces)
        self.closed = False
        self.released = False

    def read1(self, amt, decode_content=True):  # pylint: disable=unused-argument
        if not self.pieces:
            return b""
        self.clock[0] += self.step
        piece = self.pieces.pop(0)
        self.length_remaining -= len(piece)
        return piece

    def close(self):
        self.closed = True

    def release_conn(self):
        self.released = True


def trickling_client(monkeypatch, pieces, step, timeout=1):
    clock = [100.0]
    monkeypatch.setattr(client_module.time, "monotonic", lambda: clock[0])
    response = requests.Response()
    response.status_code = 200
    response.raw = TricklingRaw(pieces, clock, step)
    client = ReltioClient("https://test.reltio.com", "tenant01", access_token="tok", timeout=timeout, retries=0,
                          session=FakeSession(response))
    return client, response


def test_a_body_read_in_time_is_kept_and_the_connection_reused(monkeypatch):
    body = json.dumps({"successful": True, "result": {"connectionId": "c-1", "connectionName": "x"}}).encode()
    client, response = trickling_client(monkeypatch, [body[:10], body[10:]], step=0.3)
    assert client.create_connection("x", "https://w.example.com", "w", "c", "dbx-secret-value")["connection_id"] == "c-1"
    assert response.raw.released and not response.raw.closed


def test_a_trickling_body_is_cut_off_at_the_timeout(monkeypatch):
    client, response = trickling_client(monkeypatch, [b'{"successful": ', b"true, ", b'"result": {}}'], step=0.6)
    with pytest.raises(TransportError) as info:
        client.create_connection("x", "https://w.example.com", "w", "c", "dbx-secret-value")
    assert "Timed out after 1 s while creating connection 'x'" in info.value.msg
    assert "still arriving" in info.value.msg
    assert info.value.may_exist is True
    assert response.raw.closed
