# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.reltio: the Reltio API (token endpoint, bearer auth, create, store credentials, test, cookies)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid

import pytest

from .helpers import CREDENTIALS_BLANK, DROP, TENANT, assert_reltio_error, connection_body


def test_token_issued_for_good_client_and_accepted_as_bearer(client):
    answer = client.token()
    assert answer.status == 200
    payload = answer.json()
    assert set(payload) == {'access_token', 'token_type', 'expires_in', 'scope'}
    assert payload['token_type'] == 'bearer'
    assert payload['expires_in'] == 3600
    assert len(payload['access_token']) >= 43
    assert client.token().json()['access_token'] != payload['access_token']
    assert client.create(token=payload['access_token']).status == 200


@pytest.mark.parametrize('headers', [{}, {'Authorization': 'Basic ' + base64.b64encode(b'emulator-client:wrong').decode()},
                                     {'Authorization': 'Basic not-base64!'}])
def test_token_rejects_bad_or_missing_client_credentials(client, headers):
    answer = client.call('POST', '/oauth/token', headers=headers, raw=b'grant_type=client_credentials')
    assert answer.status == 401
    assert answer.json() == {'error': 'invalid_client', 'error_description': 'Bad client credentials'}


def test_token_rejects_other_grant_types(client):
    answer = client.token(form=b'grant_type=password')
    assert answer.status == 400
    assert answer.json()['error'] == 'unsupported_grant_type'


def test_issued_token_expires_after_ttl(client):
    client.control('POST', 'config', {'token_ttl': 1})
    token = client.token().json()['access_token']
    assert_reltio_error(client.api('database-configs/unknown/test', token=token), 404, 'Database configuration unknown not found')
    time.sleep(1.1)
    assert_reltio_error(client.api('database-configs/unknown/test', token=token), 401, 'Access token expired')


@pytest.mark.parametrize('authorization', [None, 'Bearer never-issued', 'Basic ' + base64.b64encode(b'a:b').decode(), 'Bearer'])
def test_interactions_require_a_valid_bearer_token(client, authorization):
    headers = {'Authorization': authorization} if authorization else {}
    answer = client.call('POST', f'/reltio/api/tenants/{TENANT}/interactions/database-configs/databricks/oauth/credentials',
                         connection_body(), headers)
    assert_reltio_error(answer, 401, 'Invalid or missing access token')
    assert client.control('GET', 'state') == {'tenants': {}}


def test_unknown_path_is_404_and_other_methods_405(client):
    assert_reltio_error(client.api('database-configs'), 404, f'No endpoint at /reltio/api/tenants/{TENANT}/interactions/database-configs')
    assert client.call('POST', '/nowhere').status == 404
    answer = client.api('database-configs/databricks/oauth/credentials', method='GET')
    assert answer.status == 405
    assert answer.headers.get('Allow') == 'POST'
    assert client.call('GET', '/oauth/token').status == 405


def test_create_answers_documented_shape_and_stores_pending_connection(client):
    before = int(time.time() * 1000)
    answer = client.create()
    assert answer.status == 200
    payload = answer.json()
    assert payload['successful'] is True
    result = payload['result']
    assert set(result) == {'connectionId', 'connectionName', 'message', 'status', 'timestamp'}
    assert uuid.UUID(result['connectionId']).version == 4
    assert result['connectionName'] == 'conn-1'
    assert result['message'] == 'Databricks M2M OAuth credentials stored successfully'
    assert result['status'] == 'success'
    assert before <= result['timestamp'] <= int(time.time() * 1000)
    stored = client.connection()
    assert stored['connectionId'] == result['connectionId']
    assert (stored['status'], stored['tests'], stored['credentialUpdates']) == ('PENDING', 0, 0)


@pytest.mark.parametrize('overrides, message', [
    ({'connectionName': '   ', 'workspaceUrl': '', 'warehouseId': None, 'clientId': ''}, 'The connectionName field is null or empty.'),
    ({'connectionName': DROP, 'workspaceUrl': DROP}, 'The connectionName field is null or empty.'),
    ({'workspaceUrl': None, 'warehouseId': '', 'clientSecret': ''}, 'The workspaceUrl field is null or empty.'),
    ({'warehouseId': ' \t', 'clientId': None, 'workspaceUrl': 'ftp://example.com'}, 'The warehouseId field is null or empty.'),
    ({'clientId': '', 'workspaceUrl': 'not a url'}, CREDENTIALS_BLANK),
    ({'clientSecret': DROP, 'workspaceUrl': 'not a url'}, CREDENTIALS_BLANK),
    ({'workspaceUrl': 'http://adb-1.azuredatabricks.net'}, 'The workspaceUrl format is invalid.'),
    ({'workspaceUrl': 'https://'}, 'The workspaceUrl format is invalid.'),
    ({'workspaceUrl': 'adb-1.azuredatabricks.net'}, 'The workspaceUrl format is invalid.'),
])
def test_create_validation_errors_come_in_documented_order(client, overrides, message):
    assert_reltio_error(client.create(**overrides), 400, message)
    assert client.control('GET', 'state') == {'tenants': {}}


@pytest.mark.parametrize('raw', [b'not json', b'[1, 2]', b''])
def test_create_rejects_body_that_is_not_a_json_object(client, raw):
    assert_reltio_error(client.api('database-configs/databricks/oauth/credentials', raw=raw), 400, 'Request body is not valid JSON')


def test_same_name_is_reported_before_active_connection(client):
    assert client.create('conn-1').status == 200
    assert client.run_test('conn-1').json()['data']['connected'] is True
    assert_reltio_error(client.create('conn-1'), 400, 'A Databricks connection with the same name already exists for the tenant: conn-1')
    assert_reltio_error(client.create('conn-2'), 400, 'An active Databricks connection already exists for the tenant.')
    assert client.create('conn-2', tenant='tenantB').status == 200


def test_pending_connections_do_not_block_new_ones(client):
    assert client.create('conn-1').status == 200
    assert client.create('conn-2').status == 200
    assert set(client.control('GET', 'state')['tenants'][TENANT]) == {'conn-1', 'conn-2'}


def test_store_credentials_rotates_secret_of_existing_connection(client):
    connection_id = client.create(clientSecret='invalid-secret').json()['result']['connectionId']
    failed = client.run_test().json()['data']
    assert failed == {'connected': False, 'message': 'Databricks rejected the OAuth client credentials', 'databaseType': 'DATABRICKS'}
    assert client.connection()['status'] == 'PENDING'

    assert_reltio_error(client.store_credentials('conn-1', {'clientId': 'new-id', 'clientSecret': ' '}), 400, CREDENTIALS_BLANK)
    assert_reltio_error(client.store_credentials('missing', {'clientId': 'a', 'clientSecret': 'b'}), 404,
                        'Database configuration missing not found')
    answer = client.store_credentials('conn-1', {'clientId': 'new-id', 'clientSecret': 'good-secret'})
    assert answer.status == 200
    result = answer.json()['result']
    assert (result['connectionId'], result['connectionName'], result['status']) == (connection_id, 'conn-1', 'success')
    assert result['message'] == 'Databricks M2M OAuth credentials stored successfully'

    assert client.run_test().json()['data'] == {'connected': True, 'message': 'Connection successful', 'databaseType': 'DATABRICKS'}
    stored = client.connection()
    assert (stored['status'], stored['tests'], stored['credentialUpdates'], stored['clientId']) == ('ACTIVE', 2, 1, 'new-id')
    assert stored['clientSecretSha256'] == hashlib.sha256(b'good-secret').hexdigest()


def test_unreachable_workspace_fails_test_and_unknown_connection_is_404(client):
    client.create(workspaceUrl='https://nowhere.invalid')
    assert client.run_test().json()['data']['message'] == 'Unable to reach the Databricks workspace nowhere.invalid'
    assert client.connection()['status'] == 'PENDING'
    assert_reltio_error(client.run_test('other'), 404, 'Database configuration other not found')


def test_test_result_key_can_be_switched_to_result(client):
    client.create()
    assert client.control('POST', 'config', {'test_result_key': 'result'})['test_result_key'] == 'result'
    assert client.run_test().json() == {'result': {'connected': True, 'message': 'Connection successful', 'databaseType': 'DATABRICKS'}}


def test_encoded_slash_stays_inside_one_name_segment(client):
    assert client.create('team/alpha').status == 200
    assert client.run_test('team/alpha').json()['data']['connected'] is True
    assert client.api('database-configs/team/alpha/test').status == 404
    assert client.connection('team/alpha')['status'] == 'ACTIVE'
    logged = [entry for entry in client.requests() if entry['endpoint'] in ('test', 'other')]
    assert [(entry['path'].rsplit('/', 3)[-2], entry['connection_name']) for entry in logged] == [('team%2Falpha', 'team/alpha'), ('alpha', None)]


def test_tenant_restriction_answers_404_for_other_tenants(client):
    client.control('POST', 'config', {'tenants': [TENANT]})
    assert_reltio_error(client.create(tenant='tenantB'), 404, 'Tenant tenantB not found')
    assert client.create().status == 200


COOKIE = re.compile(r'reltio_session=[0-9a-f]{16}; Path=/; HttpOnly')


def test_api_answers_set_a_new_session_cookie_each_time(client):
    client.add_faults({'endpoint': 'create', 'status': 503})
    answers = [client.create(), client.create(), client.token(), client.run_test('nothing'),
               client.call('POST', '/nowhere')]
    assert [answer.status for answer in answers] == [503, 200, 200, 404, 404]
    cookies = [answer.headers.get_all('Set-Cookie') for answer in answers]
    assert all(len(values) == 1 and COOKIE.fullmatch(values[0]) for values in cookies), cookies
    assert len({values[0] for values in cookies}) == len(cookies)
    assert client.call('GET', '/_emulator/health').headers.get('Set-Cookie') is None


def test_set_cookies_can_be_turned_off_until_reset(client):
    assert client.control('GET', 'config')['set_cookies'] is True
    assert client.control('POST', 'config', {'set_cookies': False})['set_cookies'] is False
    assert client.create().headers.get('Set-Cookie') is None
    client.control('POST', 'reset')
    assert COOKIE.fullmatch(client.create().headers.get('Set-Cookie'))
    assert client.call('POST', '/_emulator/config', {'set_cookies': 'no'}).status == 400


def test_request_log_shows_the_cookie_sent(client):
    client.call('POST', '/oauth/token', headers={'Cookie': 'reltio_session=0123456789abcdef; other=1'},
                raw=b'grant_type=client_credentials')
    client.create()
    assert [entry['headers']['cookie'] for entry in client.requests()] == ['reltio_session=0123456789abcdef; other=1', None]
