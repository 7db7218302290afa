# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.control: the request log, the state view, reset, config and issued tokens."""

from __future__ import annotations

import hashlib
import json

from .helpers import TENANT, USER_AGENT, connection_body


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
    assert create_entry['body'] == connection_body(clientSecret='json-secret')
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


def test_invalid_config_is_rejected(client):
    assert client.call('POST', '/_emulator/config', {'test_result_key': 'other'}).status == 400
    assert client.call('POST', '/_emulator/config', {'token_ttl': '5'}).status == 400
    assert client.control('GET', 'config')['test_result_key'] == 'data'
