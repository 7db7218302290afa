# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Property tests of the Reltio client against hostile servers and hostile names.

Any status and any bytes as an answer: the client returns a result or raises a
ReltioError with a message, never anything else. A secret the server echoes back, in
any spelling the redactor knows, never reaches a message. Any connection name or tenant
the checks accept stays in its own path segment: the emulator, reached over a real
socket, sees exactly that name under the tenant's database-configs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import io
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

import emulator as emulator_module  # tools/emulator, on sys.path by tests/conftest.py
import pytest
import requests
import trustme
import urllib3
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.reltio.platform.plugins.module_utils.client import CreateOutcome, ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.http_api import EXCERPT_LENGTH, parse_error_body, visible_text
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError, TransportError
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK, Redactor
from ansible_collections.reltio.platform.plugins.module_utils.transport import MAX_RETRY_AFTER, BoundedRetry
from ansible_collections.reltio.platform.plugins.module_utils.validation import name_problem

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
PLATFORM = "https://test.reltio.com"
TENANT = "ce5627DYnQ6abcD"
WORKSPACE = "https://adb-1234567890123456.7.azuredatabricks.net"
# Secrets carry a marker no message template holds.
MARK = u"\u00a7\u00a7"
TOKEN = MARK + "reltio-token"
CLIENT_ID = MARK + "reltio-client-id"
CLIENT_SECRET = MARK + "reltio-client-secret"
DBX_SECRET = MARK + "databricks-secret"


def answer(status, body, reason="Reason"):
    """A real requests.Response holding ``body``."""
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = body  # pylint: disable=protected-access
    response.url = PLATFORM
    return response


class AnsweringSession:
    """Answers every request with the same response, its body to be read again from urllib3's answer; records the URLs."""

    def __init__(self, response):
        self.response = response
        self.urls = []

    def request(self, method, url, **kwargs):  # pylint: disable=unused-argument
        self.urls.append(url)
        body = self.response._content  # pylint: disable=protected-access
        self.response.raw = urllib3.response.HTTPResponse(body=io.BytesIO(body), status=self.response.status_code,
                                                          preload_content=False)
        return self.response


def client_for(response, secret=None):
    session = AnsweringSession(response)
    client = ReltioClient(platform_url=PLATFORM, tenant_id=TENANT, access_token=TOKEN, client_id=CLIENT_ID,
                          client_secret=CLIENT_SECRET, auth_url="https://auth.example.com/oauth/token", timeout=5, retries=0,
                          session=session)
    if secret:
        client.redact.add(secret)
    return client


OPERATIONS = {
    "create": lambda client, secret: client.create_connection("conn-01", WORKSPACE, "wh", "cid", secret),
    "credentials": lambda client, secret: client.store_credentials("conn-01", "cid", secret),
    "test": lambda client, secret: client.test_connection("conn-01"),
    "token": lambda client, secret: client.fetch_token(),
}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12)
ERROR_FIELDS = ("severity", "errorMessage", "errorCode", "errorDetailMessage", "error", "error_description", "message",
                "successful", "result", "data", "access_token", "connected")


def reltio_shaped():
    """JSON objects that look like Reltio answers, with fields of any type."""
    fields = dict((name, JSON_VALUES) for name in ERROR_FIELDS)
    shaped = st.fixed_dictionaries({}, optional=fields)
    nested = st.fixed_dictionaries({"error": st.fixed_dictionaries({}, optional=fields)})
    return st.one_of(shaped, nested, st.lists(shaped, max_size=2))


def bodies(deep=True):
    """Any bytes a server may send."""
    choices = [
        st.binary(max_size=600),
        st.text(max_size=300).map(lambda text: text.encode("utf-8")),
        JSON_VALUES.map(lambda value: json.dumps(value).encode("utf-8")),
        reltio_shaped().map(lambda value: json.dumps(value).encode("utf-8")),
        reltio_shaped().map(lambda value: json.dumps(value).encode("utf-8")).flatmap(
            lambda full: st.integers(0, len(full)).map(lambda cut: full[:cut])),
        st.text(max_size=200).map(lambda text: ("<html><body><h1>%s</h1></body></html>" % text).encode("utf-8")),
    ]
    if deep:
        choices.append(st.integers(500, 20000).map(lambda depth: ("[" * depth + "]" * depth).encode("ascii")))
    return st.one_of(*choices)


def check_error(exc, status):
    assert isinstance(exc.msg, str) and exc.msg.strip()
    json.dumps(exc.fail_kwargs())
    # (The type of error_code: see test_a_nested_error_code_of_any_type_is_dropped.)
    if status >= 300:
        assert "HTTP %d" % status in exc.msg


def check_outcome(outcome, operation, status):
    """What a create that did not fail returns: created on a 2xx, or "same name" on a 400 only."""
    if operation == "create":
        assert isinstance(outcome, CreateOutcome)
        if outcome.created:
            assert 200 <= status < 300
            assert outcome.connection["connection_id"]
        else:
            assert status == 400
            assert outcome.message.startswith("A Databricks connection with the same name already exists for the tenant")
        json.dumps(outcome.connection)
        json.dumps(outcome.message)
    else:
        assert 200 <= status < 300
        json.dumps(outcome)


# --------------------------------------------------------------------------- any answer

@PROPERTY
@given(body=bodies(), content_type=st.text(max_size=40))
@example(body=b"[" * 100000 + b"]" * 100000, content_type="application/json")
@example(body=b'{"error": {"errorMessage": null}}', content_type="")
@example(body=b"\xff\xfe\x00{", content_type="application/json")
def test_the_error_parser_never_raises(body, content_type):  # pylint: disable=unused-argument
    message, code = parse_error_body(body)
    assert message is None or isinstance(message, str)
    if message is None:
        assert not body.decode("utf-8", "replace").strip()
        assert code is None


@PROPERTY
@given(text=st.text(max_size=3000))
def test_an_excerpt_is_one_short_line(text):
    excerpt = visible_text(text)
    assert len(excerpt) <= EXCERPT_LENGTH
    assert "\n" not in excerpt and "\r" not in excerpt


@PROPERTY
@given(operation=st.sampled_from(sorted(OPERATIONS)), status=st.integers(300, 599), body=bodies())
@example(operation="create", status=502, body=b"[" * 50000 + b"]" * 50000)
@example(operation="create", status=400,
         body=b'{"errorMessage": "A Databricks connection with the same name already exists for the tenant"}')
def test_any_error_answer_is_a_reltio_error_with_its_status_or_same_name(operation, status, body):
    # A 304 has no body (RFC 9110): bytes after its head are the next answer's, which HTTP clients read as a broken
    # connection, not as this answer's body.
    assume(status != 304 or not body)
    try:
        outcome = OPERATIONS[operation](client_for(answer(status, body)), DBX_SECRET)
    except ReltioError as exc:
        check_error(exc, status)
    else:
        check_outcome(outcome, operation, status)


@PROPERTY
@given(operation=st.sampled_from(sorted(OPERATIONS)), status=st.integers(200, 299), body=bodies(deep=False))
def test_any_success_answer_is_a_result_or_a_reltio_error(operation, status, body):
    try:
        outcome = OPERATIONS[operation](client_for(answer(status, body)), DBX_SECRET)
    except ReltioError as exc:
        check_error(exc, status)
    else:
        check_outcome(outcome, operation, status)


# --------------------------------------------------------------------------- secrets echoed back

SPELLINGS = {
    "raw": lambda secret: secret,
    "json": lambda secret: json.dumps(secret)[1:-1],
    "json-unicode": lambda secret: json.dumps(secret, ensure_ascii=False)[1:-1],
    "url": lambda secret: quote(secret, safe=""),
    "form": lambda secret: quote_plus(secret, safe=""),
    "gson": lambda secret: gson(json.dumps(secret)[1:-1]),
}


def gson(escaped):
    """A JSON-escaped text as Google Gson writes it: < > & = ' as \\u escapes."""
    for char in "<>&='":
        escaped = escaped.replace(char, "\\u%04x" % ord(char))
    return escaped


ECHO_BODIES = {
    "errorMessage": lambda spelled: '{"severity": "Error", "errorMessage": "Bad value %s", "errorCode": 400}' % spelled,
    "errorDetailMessage": lambda spelled: '{"errorMessage": "", "errorDetailMessage": "x=%s;"}' % spelled,
    "errorCode": lambda spelled: '{"errorMessage": "Bad", "errorCode": "%s"}' % spelled,
    "nested": lambda spelled: '{"error": {"message": "%s", "errorCode": 7}}' % spelled,
    "oauth": lambda spelled: '{"error": "invalid_client", "error_description": "client %s unknown"}' % spelled,
    "list": lambda spelled: '[{"errorMessage": "%s"}]' % spelled,
    "text": lambda spelled: "upstream said: %s" % spelled,
    "html": lambda spelled: "<html><body><h1>502</h1><p>%s</p></body></html>" % spelled,
    "truncated": lambda spelled: '{"errorMessage": "%s, and then the gateway' % spelled,
    "long": lambda spelled: "x" * (EXCERPT_LENGTH - 5) + spelled + "y" * 300,
}
SECRETS = st.text(min_size=3, max_size=40).map(lambda text: MARK + text)


def spellings_in(text, secret):
    return [name for name, spell in SPELLINGS.items() if spell(secret) in text]


@PROPERTY
@given(secret=st.one_of(SECRETS, st.sampled_from([TOKEN, CLIENT_SECRET, CLIENT_ID])),
       spelling=st.sampled_from(sorted(SPELLINGS)), place=st.sampled_from(sorted(ECHO_BODIES)),
       status=st.sampled_from([400, 401, 403, 404, 409, 429, 500, 502, 503]), operation=st.sampled_from(sorted(OPERATIONS)))
@example(secret=MARK + 'a"b\\c</p>&{{ x }}.*$', spelling="json", place="errorMessage", status=400, operation="create")
@example(secret=MARK + "\u00e9\u540d", spelling="json", place="errorCode", status=500, operation="create")
def test_an_echoed_secret_never_reaches_the_error(secret, spelling, place, status, operation):
    body = ECHO_BODIES[place](SPELLINGS[spelling](secret)).encode("utf-8")
    with pytest.raises(ReltioError) as caught:
        OPERATIONS[operation](client_for(answer(status, body), secret), secret)
    shown = json.dumps(caught.value.fail_kwargs(), ensure_ascii=False)
    assert not spellings_in(shown, secret), shown
    assert not spellings_in(json.loads(shown)["msg"], secret)


@PROPERTY
@given(secret=SECRETS, before=st.text(max_size=50), after=st.text(max_size=50), spelling=st.sampled_from(sorted(SPELLINGS)))
def test_the_redactor_masks_every_spelling_it_knows(secret, before, after, spelling):
    masked = Redactor([secret])(before + SPELLINGS[spelling](secret) + after)
    assert not spellings_in(masked, secret)
    assert MASK in masked


def test_an_html_escaped_secret_in_a_gateway_page_is_masked():
    secret = 'dbx<secret>&"quoted"'
    page = "<html><body><h1>502 Bad Gateway</h1><p>request: clientSecret=%s</p></body></html>" % (
        secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
    with pytest.raises(ReltioError) as caught:
        OPERATIONS["create"](client_for(answer(502, page.encode())), secret)
    assert "secret&gt;&amp;&quot;quoted" not in caught.value.msg


def test_a_secret_echoed_into_the_error_code_is_masked():
    secret = "dbx=secret'value"
    body = '{"errorMessage": "Bad", "errorCode": "%s"}' % secret.replace("=", "\\u003d").replace("'", "\\u0027")
    with pytest.raises(ReltioError) as caught:
        OPERATIONS["create"](client_for(answer(400, body.encode()), secret), secret)
    assert secret not in json.dumps(caught.value.fail_kwargs())


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_deeply_nested_success_answer_is_a_reltio_error(operation):
    body = b"[" * 100000 + b"]" * 100000
    with pytest.raises(ReltioError):
        OPERATIONS[operation](client_for(answer(200, body)), DBX_SECRET)


def test_a_nested_error_code_of_any_type_is_dropped():
    message, code = parse_error_body(b'{"error": {"message": "no", "errorCode": {"nested": [1, 2]}}}')
    assert message == "no"
    assert code is None or (isinstance(code, (int, str)) and not isinstance(code, bool))


def test_an_untrusted_certificate_is_a_transport_error_about_the_certificate(tmp_path):
    chain = tmp_path / "server.pem"
    trustme.CA().issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(chain))
    server = emulator_module.ReltioEmulator(tls_cert=str(chain), tls_key=str(chain)).start()
    try:
        client = ReltioClient(platform_url=server.url, tenant_id=TENANT, access_token=TOKEN, timeout=5, retries=0)
        client.session.trust_env = False
        with pytest.raises(TransportError) as caught:
            client.create_connection("conn-01", WORKSPACE, "wh", "cid", DBX_SECRET)
        assert "TLS error" in caught.value.msg and "certificate verify failed" in caught.value.msg
    finally:
        server.stop()


# --------------------------------------------------------------------------- Retry-After

@PROPERTY
@given(seconds=st.integers(0, 10 ** 12))
def test_a_retry_after_in_seconds_never_waits_more_than_the_cap(seconds):
    waited = BoundedRetry(total=3).get_retry_after(SimpleNamespace(headers={"Retry-After": str(seconds)}))
    assert 0 <= waited <= MAX_RETRY_AFTER


@PROPERTY
@given(offset=st.integers(-10 ** 6, 10 ** 9))
def test_a_retry_after_date_never_waits_more_than_the_cap(offset):
    when = datetime.now(timezone.utc) + timedelta(seconds=offset)
    header = email.utils.format_datetime(when, usegmt=True)
    waited = BoundedRetry(total=3).get_retry_after(SimpleNamespace(headers={"Retry-After": header}))
    assert 0 <= waited <= MAX_RETRY_AFTER


# --------------------------------------------------------------------------- names stay in their path segment

NAMES = st.one_of(
    st.text(min_size=1, max_size=60),
    st.lists(st.sampled_from(["..", ".", "/", "%2F", "%2e", "%", "?", "#", ";", "&", "=", " ", "+", "\\", "\u00e9", "\u3002",
                              "\uff0e", "~", "@", ":", "a", "conn"]), min_size=1, max_size=10).map("".join),
)


def accepted(value):
    return bool(value.strip()) and name_problem(value) is None


def routed(url):
    """Where the emulator routes the path requests would send for ``url``."""
    return emulator_module.route_path(requests.Request("POST", url).prepare().path_url.partition("?")[0])


@PROPERTY
@given(tenant=NAMES.filter(accepted), name=NAMES.filter(accepted))
@example(tenant="t", name="../../../oauth/token")
@example(tenant="..a", name="%2e%2e")
@example(tenant="t", name="a/../../b?x#y")
def test_an_accepted_name_never_leaves_its_path_segment(tenant, name):
    session = AnsweringSession(answer(200, b'{"data": {"connected": true}, "result": {"connectionId": "c-1"}, "successful": true}'))
    client = ReltioClient(platform_url=PLATFORM, tenant_id=tenant, access_token=TOKEN, session=session)
    client.create_connection(name, WORKSPACE, "wh", "cid", DBX_SECRET)
    client.store_credentials(name, "cid", DBX_SECRET)
    client.test_connection(name)
    create, credentials, test = [routed(url) for url in session.urls]
    assert (create.endpoint, create.tenant) == ("create", tenant)
    assert (credentials.endpoint, credentials.tenant, credentials.connection_name) == ("credentials", tenant, name)
    assert (test.endpoint, test.tenant, test.connection_name) == ("test", tenant, name)


@pytest.fixture(scope="module")
def emulator():
    server = emulator_module.ReltioEmulator(config=emulator_module.EmulatorConfig(tokens=[TOKEN])).start()
    yield server
    server.stop()


@settings(PROPERTY, max_examples=40)
@given(tenant=NAMES.filter(accepted), name=NAMES.filter(accepted))
@example(tenant="t", name="../escape")
def test_over_a_real_socket_the_emulator_sees_exactly_that_name(emulator, tenant, name):
    emulator.state.reset()
    client = ReltioClient(platform_url=emulator.url, tenant_id=tenant, access_token=TOKEN, timeout=5, retries=0)
    client.session.trust_env = False
    client.create_connection(name, WORKSPACE, "wh", "cid", DBX_SECRET)
    client.store_credentials(name, "cid", DBX_SECRET)
    client.test_connection(name)
    assert list(emulator.state.snapshot()["tenants"][tenant]) == [name]
    log = emulator.state.request_log()
    assert [(entry["endpoint"], entry["tenant"], entry["status"]) for entry in log] == [
        ("create", tenant, 200), ("credentials", tenant, 200), ("test", tenant, 200)]
    prefix = "/reltio/api/tenants/%s/interactions/database-configs/" % quote(tenant, safe="")
    for entry in log[1:]:
        assert entry["connection_name"] == name
        assert entry["path"].startswith(prefix)
