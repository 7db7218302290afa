# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ClientCache alone, and as reltio_client hands it to a ReltioClient: a session or a token is found again only under
the same hosts, TLS settings, proxy and CA environment and credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import (
    CA_ENVIRONMENT,
    MAX_SESSIONS,
    TOKEN_EXPIRY_MARGIN,
    ClientCache,
    ca_file_state,
    databricks_workspace,
    digest,
    reltio_client,
    trust_environment,
    trust_key,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError, AuthenticationError
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK

from ..fakes import FakeResponse, FakeSession, authorization, token_response

PLATFORM = "https://test.reltio.com"
TENANT = "tenant01"
AUTH_URL = "https://auth.example.com/oauth/token"
CREATE_URL = PLATFORM + "/reltio/api/tenants/tenant01/interactions/database-configs/databricks/oauth/credentials"
RELTIO_ID = "reltio-client-id"
RELTIO_SECRET = "reltio/secret+key=="
TOKEN = "tok-given-1"
CREATED = {"successful": True, "result": {"connectionId": "c-1", "connectionName": "conn-01"}}


@pytest.fixture(name="clock")
def clock_fixture():
    return SimpleNamespace(now=1000.0)


@pytest.fixture(name="cache")
def cache_fixture(clock, monkeypatch):
    """A cache on the test's clock, in an environment without any of the trust variables."""
    for name in list(os.environ):
        if name in CA_ENVIRONMENT or name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    return ClientCache(clock=lambda: clock.now)


def task_params(**kwargs):
    params = dict(platform_url=PLATFORM, tenant_id=TENANT, reltio_client_id=RELTIO_ID, reltio_client_secret=RELTIO_SECRET,
                  access_token=None, auth_url=AUTH_URL, validate_certs=True, ca_path=None, timeout=30, retries=3)
    params.update(kwargs)
    return params


def client(cache, **kwargs):
    return reltio_client(task_params(**kwargs), cache)


def create(client_of_a_task):
    return client_of_a_task.create_connection("conn-01", "https://w.example.com", "wh", "dbx-id", "dbx-secret-1")


def test_a_session_is_made_once_per_key(http):
    cache = ClientCache()
    first = cache.session("a", 3)
    assert cache.session("a", 3) is first
    second = cache.session("b", 1)
    assert second is not first
    assert http.sessions == [first, second]
    assert http.retries == [3, 1]
    assert len(cache) == 2


def test_the_least_recently_used_session_is_closed_beyond_the_bound(http):
    cache = ClientCache(max_sessions=2)
    sessions = dict((key, cache.session(key, 3)) for key in "ab")
    cache.session("a", 3)  # a is now the most recently used
    sessions["c"] = cache.session("c", 3)
    assert [key for key in "abc" if sessions[key].closed] == ["b"]
    assert len(cache) == 2
    assert cache.session("a", 3) is sessions["a"]
    assert cache.session("c", 3) is sessions["c"]
    assert cache.session("b", 3) is not sessions["b"]
    assert sessions["a"].closed
    assert len(http.sessions) == 4


def test_the_default_bound(http):
    cache = ClientCache()
    for number in range(MAX_SESSIONS + 1):
        cache.session(number, 3)
    assert len(cache) == MAX_SESSIONS
    assert [session.closed for session in http.sessions] == [True] + [False] * MAX_SESSIONS


@pytest.mark.parametrize("elapsed, kept", [
    (0, True),
    (3600 - TOKEN_EXPIRY_MARGIN - 1, True),
    (3600 - TOKEN_EXPIRY_MARGIN, False),
    (3600, False),
])
def test_a_token_expires_with_the_margin(clock, elapsed, kept):
    cache = ClientCache(clock=lambda: clock.now)
    cache.keep_token("key", "tok-1", 3600)
    clock.now += elapsed
    assert cache.token("key") == ("tok-1" if kept else None)


@pytest.mark.parametrize("expires_in", [None, "3600", True, 0, -5, TOKEN_EXPIRY_MARGIN, [3600]])
def test_a_token_without_a_usable_lifetime_is_not_kept(expires_in):
    cache = ClientCache()
    cache.keep_token("key", "tok-old-1", 3600)
    cache.keep_token("key", "tok-1", expires_in)
    assert cache.token("key") is None


def test_tokens_by_key_and_forgotten():
    cache = ClientCache()
    cache.keep_token("a", "tok-a", 3600.5)
    cache.keep_token("b", "tok-b", 3600)
    cache.forget_token("a")
    cache.forget_token("never-kept")
    assert (cache.token("a"), cache.token("b")) == (None, "tok-b")


def test_digest_holds_no_value_and_tells_values_apart():
    value = digest(RELTIO_ID, RELTIO_SECRET)
    assert RELTIO_SECRET not in value and RELTIO_ID not in value
    assert len(value) == 64
    assert value == digest(RELTIO_ID, RELTIO_SECRET)
    assert value != digest(RELTIO_ID, RELTIO_SECRET + "x")
    assert value != digest(RELTIO_SECRET, RELTIO_ID)
    assert digest("\ud800") != digest("x")


def test_trust_environment_reads_the_environment_now(cache, monkeypatch):  # pylint: disable=unused-argument
    before = trust_environment()
    monkeypatch.setenv("no_proxy", "internal.example.com")
    monkeypatch.setenv("RELTIO_TENANT_ID", "not-a-trust-variable")
    after = trust_environment()
    assert before != after
    assert ("no_proxy", "internal.example.com") in after
    assert all(name != "RELTIO_TENANT_ID" for name, value in after)
    assert set(CA_ENVIRONMENT) >= {"REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"}


def test_ca_file_state_changes_with_the_file(tmp_path):
    pem = tmp_path / "ca.pem"
    assert ca_file_state(None) is None
    assert ca_file_state(str(pem)) == (str(pem), None)
    pem.write_text("first\n", encoding="ascii")
    first = ca_file_state(str(pem))
    pem.write_text("second, longer\n", encoding="ascii")
    assert ca_file_state(str(pem)) != first


def test_trust_key_holds_every_setting_of_trust(tmp_path, monkeypatch):
    pem = tmp_path / "ca.pem"
    pem.write_text("first\n", encoding="ascii")
    key = trust_key(task_params(ca_path=str(pem)))
    assert key == (True, ca_file_state(str(pem)), trust_environment(), 30, 3)
    # Without certificate checks, the CA file does not count.
    assert trust_key(task_params(ca_path=str(pem), validate_certs=False))[1] is None
    for changed in (task_params(ca_path=str(pem), timeout=10), task_params(ca_path=str(pem), retries=0), task_params()):
        assert trust_key(changed) != key
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert trust_key(task_params(ca_path=str(pem))) != key


@pytest.fixture(name="made")
def made_fixture(http):
    """The sessions the clients made (FakeSessions, from the ``http`` fixture)."""
    return http.sessions


def test_the_same_task_settings_find_the_same_session(cache, made):
    first = client(cache)
    assert client(cache).session is first.session
    assert client(cache, tenant_id="other-tenant").session is first.session
    assert made == [first.session]


@pytest.mark.parametrize("other", [
    {"validate_certs": False},
    {"ca_path": "ca.pem"},
    {"platform_url": "https://other.reltio.com"},
    {"auth_url": "https://auth2.example.com/oauth/token"},
    {"reltio_client_secret": "another-secret"},
    {"reltio_client_id": "another-client"},
    {"access_token": TOKEN},
    {"timeout": 5},
    {"retries": 1},
])
def test_any_difference_of_trust_or_identity_gets_another_session(cache, made, tmp_path, monkeypatch, other):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ca.pem").write_text("pem\n", encoding="ascii")
    first = client(cache)
    second = client(cache, **other)
    assert second.session is not first.session
    assert len(made) == 2
    assert client(cache, **other).session is second.session


# urllib reads a *_proxy variable of any case (Https_Proxy, No_Proxy), and REQUEST_METHOD drops HTTP_PROXY: another
# value of any of them gets another session, so that no pooled connection of the one trust serves the other.
@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR",
                                      "Https_Proxy", "No_Proxy", "ALL_proxy", "REQUEST_METHOD"])
def test_a_proxy_or_ca_variable_gets_another_session(cache, made, monkeypatch, variable):
    first = client(cache)
    monkeypatch.setenv(variable, "http://proxy.example.com:3128")
    second = client(cache)
    assert second.session is not first.session
    monkeypatch.delenv(variable)
    assert client(cache).session is first.session
    assert len(made) == 2


def test_a_replaced_ca_bundle_gets_another_session(cache, made, tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("first\n", encoding="ascii")
    first = client(cache, ca_path=str(pem))
    pem.write_text("second, longer\n", encoding="ascii")
    assert client(cache, ca_path=str(pem)).session is not first.session
    assert client(cache, ca_path=str(pem), validate_certs=False).session is client(cache, validate_certs=False).session
    assert len(made) == 3


def test_the_session_key_holds_no_plain_secret(cache, made):  # pylint: disable=unused-argument
    client(cache, access_token=TOKEN)
    text = repr(list(cache._sessions))  # pylint: disable=protected-access
    for secret in (RELTIO_SECRET, RELTIO_ID, TOKEN, quote(RELTIO_SECRET, safe="")):
        assert secret not in text


def test_a_given_session_is_used(made):
    given = FakeSession()
    assert ReltioClient.from_params(task_params(), session=given).session is given
    assert not made


def test_without_a_cache_nothing_is_shared(http):
    first = client(None)
    second = client(None, retries=2)
    assert first.session is not second.session
    assert len(http.sessions) == 2
    assert http.retries == [3, 2]


def test_a_workspace_gets_a_session_of_its_own_kept_by_workspace_and_credentials(cache, made):
    params = task_params(workspace_url="https://w.example.com", client_id="dbx-id", client_secret="dbx-secret-1")
    reltio = client(cache)
    first = databricks_workspace(params, reltio.redact, cache)
    assert first.transport.session is not reltio.session
    assert databricks_workspace(params, reltio.redact, cache).transport.session is first.transport.session
    for other in ({"client_secret": "dbx-secret-2"}, {"workspace_url": "https://other.example.com"},
                  {"validate_certs": False}):
        assert databricks_workspace(dict(params, **other), reltio.redact, cache).transport.session is not first.transport.session
    assert databricks_workspace(params, reltio.redact, None).transport.session is not first.transport.session
    assert len(made) == 6


def test_the_token_of_client_credentials_is_kept(cache, http):
    http.answers.extend([token_response("tok-first"), FakeResponse(200, CREATED), FakeResponse(200, CREATED)])
    create(client(cache))
    create(client(cache))
    session = http.sessions[0]
    assert [call.url for call in session.calls] == [AUTH_URL, CREATE_URL, CREATE_URL]
    assert authorization(session.calls[2]) == "Bearer tok-first"


def test_a_kept_token_is_masked_by_the_next_client(cache, http):
    http.answers.append(token_response("tok-first"))
    client(cache).fetch_token()
    http.answers.append(FakeResponse(400, {"errorMessage": "bad token tok-first"}))
    with pytest.raises(ApiError) as info:
        create(client(cache))
    assert info.value.msg.endswith("bad token %s" % MASK)


@pytest.mark.parametrize("elapsed, kept", [(3600 - TOKEN_EXPIRY_MARGIN - 1, True), (3600 - TOKEN_EXPIRY_MARGIN, False)])
def test_a_kept_token_near_its_expiry_is_fetched_again(cache, http, clock, elapsed, kept):
    http.answers.append(token_response("tok-first"))
    client(cache).fetch_token()
    clock.now += elapsed
    second = client(cache)
    http.answers.append(token_response("tok-second"))
    second.ensure_token()
    assert len(http.sessions[0].calls) == (1 if kept else 2)
    assert second._tokens.get() == ("tok-first" if kept else "tok-second")  # pylint: disable=protected-access


@pytest.mark.parametrize("other", [
    {"reltio_client_secret": "another-secret"},
    {"reltio_client_id": "another-client"},
    {"auth_url": "https://auth2.example.com/oauth/token"},
    {"validate_certs": False},
])
def test_tokens_are_kept_by_credentials_and_trust(cache, http, other):
    http.answers.append(token_response("tok-first"))
    client(cache).fetch_token()
    second = client(cache, **other)
    http.answers.append(token_response("tok-second"))
    second.ensure_token()
    assert [call.url for session in http.sessions for call in session.calls] == [AUTH_URL, other.get("auth_url", AUTH_URL)]
    third = client(cache)
    http.answers.append(FakeResponse(200, CREATED))
    create(third)
    assert authorization(third.session.calls[-1]) == "Bearer tok-first"


def test_a_given_access_token_wins_over_the_kept_one(cache, http):
    http.answers.append(token_response("tok-kept"))
    client(cache).fetch_token()
    given = client(cache, access_token=TOKEN)
    http.answers.append(FakeResponse(200, CREATED))
    create(given)
    assert authorization(given.session.calls[-1]) == "Bearer %s" % TOKEN


def test_a_401_replaces_the_kept_token(cache, http):
    http.answers.extend([token_response("tok-old-1"), FakeResponse(200, CREATED)])
    create(client(cache))
    http.answers.extend([FakeResponse(401, {"error": "invalid_token"}), token_response("tok-new-2"), FakeResponse(200, CREATED)])
    create(client(cache))
    http.answers.append(FakeResponse(200, CREATED))
    create(client(cache))
    session = http.sessions[0]
    assert [call.url for call in session.calls] == [AUTH_URL, CREATE_URL, CREATE_URL, AUTH_URL, CREATE_URL, CREATE_URL]
    assert [authorization(call) for call in session.calls if call.url == CREATE_URL] == [
        "Bearer tok-old-1", "Bearer tok-old-1", "Bearer tok-new-2", "Bearer tok-new-2"]


def test_a_401_whose_new_token_is_refused_leaves_no_token(cache, http):
    http.answers.extend([token_response("tok-old-1"), FakeResponse(200, CREATED)])
    create(client(cache))
    http.answers.extend([FakeResponse(401, {"error": "invalid_token"}), FakeResponse(401, {"error": "invalid_client"})])
    with pytest.raises(AuthenticationError):
        create(client(cache))
    assert client(cache)._token is None  # pylint: disable=protected-access


def test_without_client_credentials_no_token_is_kept(cache, http):
    with_token = client(cache, reltio_client_id=None, reltio_client_secret=None, access_token=TOKEN)
    http.answers.append(FakeResponse(200, CREATED))
    create(with_token)
    assert with_token._tokens is None  # pylint: disable=protected-access
    assert cache._tokens == {}  # pylint: disable=protected-access


def test_the_token_key_holds_no_plain_secret(cache, http):
    http.answers.append(token_response("tok-first"))
    client(cache).fetch_token()
    keys = list(cache._tokens)  # pylint: disable=protected-access
    assert len(keys) == 1
    assert keys[0][0] == AUTH_URL
    text = repr(keys)
    for secret in (RELTIO_SECRET, RELTIO_ID, quote(RELTIO_SECRET, safe="")):
        assert secret not in text
    assert "tok-first" not in text
