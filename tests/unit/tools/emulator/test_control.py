# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.control: the request log, the state view, reset, config and issued tokens."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest
from emulator import ReltioEmulator

from .helpers import STATIC_TOKEN, TENANT, USER_AGENT, connection_body, in_background, wait_for, wait_idle


def test_issued_tokens_are_listed_until_reset_and_stay_valid(client):
    first, second = client.token().json()['access_token'], client.token().json()['access_token']
    assert client.control('GET', 'issued-tokens') == {'tokens': [first, second]}
    client.control('POST', 'reset')
    assert client.control('GET', 'issued-tokens') == {'tokens': []}
    assert client.create(token=first).status == 200


def test_request_log_records_requests_without_token_secrets(client):
    form = b'grant_type=client_credentials&client_secret=form-secret'
    client.token(form=form)
    client.create(clientSecret='json-secret')
    client.control('GET', 'state')
    client.control('GET', 'faults')
    token_entry, create_entry = client.requests()
    assert (token_entry['seq'], create_entry['seq']) == (1, 2)
    assert token_entry['endpoint'] == 'token'
    assert token_entry['body'] == {'grant_type': 'client_credentials', 'client_secret': '***'}
    assert token_entry['headers'] == {'content_type': 'application/x-www-form-urlencoded', 'user_agent': USER_AGENT,
                                      'authorization_scheme': 'Basic', 'cookie': None}
    assert 'emulator-client-secret' not in json.dumps(token_entry)
    assert 'form-secret' not in json.dumps(token_entry)
    logged = connection_body(clientSecret='json-secret')
    del logged['clientSecret']
    assert create_entry['body'] == dict(logged, clientSecretSha256=hashlib.sha256(b'json-secret').hexdigest())
    assert 'json-secret' not in json.dumps(client.requests())
    assert (create_entry['method'], create_entry['endpoint'], create_entry['tenant'], create_entry['status']) == ('POST', 'create', TENANT, 200)
    assert create_entry['path'] == f'/reltio/api/tenants/{TENANT}/interactions/database-configs/databricks/oauth/credentials'
    assert create_entry['headers']['authorization_scheme'] == 'Bearer'
    assert create_entry['fault'] is None
    assert create_entry['duration_ms'] >= 0


def test_state_never_shows_plain_secrets(client):
    client.create(clientSecret='plain-secret-one')
    client.store_credentials('conn-1', {'clientId': 'id-2', 'clientSecret': 'plain-secret-two'})
    state_text = json.dumps(client.control('GET', 'state'))
    assert 'plain-secret-one' not in state_text
    assert 'plain-secret-two' not in state_text
    assert 'clientSecret"' not in state_text
    assert client.connection()['clientSecretSha256'] == hashlib.sha256(b'plain-secret-two').hexdigest()


def test_reset_restores_startup_condition(client):
    original = client.control('GET', 'config')
    client.create()
    client.add_faults({'endpoint': 'test'})
    client.control('POST', 'config', {'token_ttl': 5, 'tenants': ['x'], 'tokens': []})
    assert client.control('POST', 'reset') == {'ok': True}
    assert client.control('GET', 'state') == {'tenants': {}}
    assert not client.requests()
    assert client.control('GET', 'faults') == {'rules': []}
    assert client.control('GET', 'config') == original
    assert client.control('GET', 'health') == {'ok': True}


def test_a_request_that_started_before_a_reset_is_not_logged_after_it(client):
    """A slow answer to one test's client must not land in the next test's request log (it did, once, in CI)."""
    client.add_faults({'endpoint': 'create', 'delay': 1})
    thread, outcome = in_background(client.create)
    wait_for(lambda: client.control('GET', 'stats')['in_flight'] == 1, 'the slow create to arrive')
    client.control('POST', 'reset')
    thread.join(5)
    wait_idle(client)
    assert outcome[0].status == 200
    assert client.requests() == []
    client.create(name='after-reset')
    assert [(entry['seq'], entry['body']['connectionName']) for entry in client.requests()] == [(1, 'after-reset')]


def test_invalid_config_is_rejected(client):
    assert client.call('POST', '/_emulator/config', {'test_result_key': 'other'}).status == 400
    assert client.call('POST', '/_emulator/config', {'token_ttl': '5'}).status == 400
    assert client.control('GET', 'config')['test_result_key'] == 'data'


def test_the_request_log_keeps_no_secret_of_a_body_it_cannot_read(client):
    """Issue 25: the log kept a create's clientSecret in clear, and the text of a body that is not JSON."""
    client.api('database-configs/databricks/oauth/credentials', raw=b'{"clientSecret": "cut-off-secret')
    (entry,) = client.requests()
    assert entry['body'] == '(32 bytes, not JSON)'


def test_the_request_log_keeps_no_secret_of_a_token_request_that_is_not_a_form(client):
    """A hostile review: a JSON body at the token endpoint was logged whole, as the one "key" of a form."""
    body = b'{"grant_type": "client_credentials", "client_secret": "RsecretSecretValue42"}'
    client.token(form=body)
    client.token(form=b'grant_type=client_credentials&client_secret=RsecretSecretValue42')
    entries = client.requests()
    assert [entry['body'] for entry in entries] == [
        '(%d bytes, not a form)' % len(body), {'grant_type': 'client_credentials', 'client_secret': '***'}]
    assert 'RsecretSecretValue42' not in str(client.control('GET', 'requests'))


@pytest.mark.parametrize('headers', [
    {'Origin': 'https://evil.example'},
    {'Origin': 'null'},
    {'Host': 'rebound.example.com:8080'},
    {'Host': 'evil.localhost'},
    {'Host': '10.0.0.1'},
])
def test_the_control_api_refuses_a_foreign_host_or_any_origin(client, headers):
    """Issue 25: a page of another site (a cross-site text/plain POST, or DNS rebinding) reconfigured the emulator."""
    for method, name, body in (('POST', 'config', {'token_ttl': 1}), ('POST', 'reset', None), ('GET', 'state', None)):
        answer = client.call(method, '/_emulator/%s' % name, body, dict(headers, **{'Content-Type': 'text/plain'}))
        assert answer.status == 403, (name, answer.body)
    assert client.control('GET', 'config')['token_ttl'] != 1


@pytest.mark.parametrize('host', ['localhost', 'LOCALHOST:1234', '127.0.0.1', '127.0.0.1:80', '127.9.9.9:1', '[::1]:8080',
                                  '[::1]'])
def test_the_control_api_answers_a_loopback_host(client, host):
    assert client.call('GET', '/_emulator/health', headers={'Host': host}).status == 200


def test_the_api_itself_takes_any_host(client):
    """Only the control API is guarded: the API answers whatever name the emulator is reached by."""
    headers = {'Host': 'emulator.example', 'Authorization': 'Bearer %s' % STATIC_TOKEN}
    answer = client.call('POST', '/reltio/api/tenants/%s/interactions/database-configs/conn-1/test' % TENANT, None, headers)
    assert answer.status == 404


def test_the_log_of_a_request_line_shows_control_characters_escaped(capfd):
    """Issue 25: a path with an escape sequence reached the terminal of whoever runs the emulator."""
    with ReltioEmulator(quiet=False) as emulator:
        with socket.create_connection(('127.0.0.1', emulator.port), timeout=5) as raw:
            raw.sendall(b'GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
            while raw.recv(65536):
                pass
    err = capfd.readouterr().err
    assert '/\\x1b]0;pwned\\x07\\x1b[2J' in err, err
    assert '\x1b' not in err and '\x07' not in err
