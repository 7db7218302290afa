# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.databricks: the workspace listener (https), its control API and Reltio's connection test."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse

import pytest
from emulator import ReltioEmulator, databricks

from .helpers import (
    OTHER_SP_ID,
    OTHER_SP_SECRET,
    SP_ID,
    SP_SECRET,
    STATIC_TOKEN,
    TENANT,
    WAREHOUSE_ID,
    assert_databricks_error,
    basic,
    databricks_world,
    in_background,
    wait_for,
)

INVALID_CLIENT = {'error': 'invalid_client', 'error_description': 'Client authentication failed'}
CANNOT_USE = f'Service principal {OTHER_SP_ID} does not have CAN USE permission on warehouse {WAREHOUSE_ID}.'


def _sha256(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


# --------------------------------------------------------------------------- the token endpoint

def test_token_for_a_service_principal(dbx):
    dbx.reltio.databricks()
    answer = dbx.workspace.token()
    assert answer.status == 200 and answer.headers.get('Content-Type') == 'application/json'
    payload = answer.json()
    assert set(payload) == {'access_token', 'token_type', 'expires_in', 'scope'}
    assert (payload['token_type'], payload['expires_in'], payload['scope']) == ('Bearer', 3600, 'all-apis')
    assert len(payload['access_token']) >= 43
    assert dbx.workspace.token().json()['access_token'] != payload['access_token']
    assert answer.headers.get('Set-Cookie') is None
    assert answer.headers.get('Server').startswith('DatabricksWorkspaceEmulator/')


def test_token_scope_defaults_to_all_apis_and_credentials_may_come_in_the_form(dbx):
    dbx.reltio.databricks()
    assert dbx.workspace.token(form=b'grant_type=client_credentials').json()['scope'] == 'all-apis'
    assert dbx.workspace.token(form=b'grant_type=client_credentials&scope=sql').json()['scope'] == 'sql'
    form = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': SP_ID, 'client_secret': SP_SECRET}).encode()
    answer = dbx.workspace.call('POST', '/oidc/v1/token', {'Content-Type': 'application/x-www-form-urlencoded'}, form)
    assert answer.status == 200 and answer.json()['token_type'] == 'Bearer'


def test_token_accepts_form_encoded_basic_credentials(dbx):
    secret = 'a+b c:d%e'
    dbx.reltio.databricks({'service_principals': [{'client_id': 'sp:1', 'client_secret': secret}]})
    encoded = dbx.workspace.token(urllib.parse.quote_plus('sp:1'), urllib.parse.quote_plus(secret))
    assert encoded.status == 200


@pytest.mark.parametrize('client_id, client_secret', [
    (SP_ID, 'wrong-secret'), ('unknown-sp', SP_SECRET), (SP_ID, ''), (OTHER_SP_ID, SP_SECRET),
])
def test_token_refuses_wrong_credentials(dbx, client_id, client_secret):
    dbx.reltio.databricks()
    answer = dbx.workspace.token(client_id, client_secret)
    assert answer.status == 401 and answer.json() == INVALID_CLIENT
    assert dbx.reltio.control('GET', 'issued-tokens') == {'tokens': []}


@pytest.mark.parametrize('headers', [{}, {'Authorization': 'Basic not-base64!'}, {'Authorization': 'Bearer x'}])
def test_token_refuses_missing_credentials(dbx, headers):
    dbx.reltio.databricks()
    answer = dbx.workspace.call('POST', '/oidc/v1/token', headers, b'grant_type=client_credentials&scope=all-apis')
    assert answer.status == 401 and answer.json() == INVALID_CLIENT


@pytest.mark.parametrize('form', [b'grant_type=password&scope=all-apis', b'scope=all-apis', b''])
def test_token_refuses_other_grants(dbx, form):
    dbx.reltio.databricks()
    answer = dbx.workspace.token(form=form)
    assert answer.status == 400
    payload = answer.json()
    assert payload['error'] == 'invalid_request' and 'client_credentials' in payload['error_description']


def test_no_principal_until_the_control_api_sets_one(dbx):
    assert dbx.workspace.token().json() == INVALID_CLIENT


# --------------------------------------------------------------------------- the warehouse endpoint

@pytest.mark.parametrize('state', databricks.WAREHOUSE_STATES)
def test_warehouse_answers_its_state(dbx, state):
    dbx.reltio.databricks(databricks_world(state=state))
    answer = dbx.workspace.warehouse()
    assert answer.status == 200 and answer.headers.get('Content-Type') == 'application/json'
    payload = answer.json()
    assert {key: payload[key] for key in ('id', 'name', 'cluster_size', 'state', 'health')} == {
        'id': WAREHOUSE_ID, 'name': 'Reltio export', 'cluster_size': 'Small', 'state': state, 'health': {'status': 'HEALTHY'}}
    assert payload['num_clusters'] == (1 if state == 'RUNNING' else 0)
    port = dbx.server.workspace_port
    assert payload['odbc_params'] == {'hostname': '127.0.0.1', 'path': f'/sql/1.0/warehouses/{WAREHOUSE_ID}',
                                      'protocol': 'https', 'port': port}
    assert 'grants' not in payload


def test_unknown_warehouse_is_404(dbx):
    dbx.reltio.databricks()
    assert_databricks_error(dbx.workspace.warehouse('0123456789abcdef'), 404, 'RESOURCE_DOES_NOT_EXIST',
                            'Warehouse 0123456789abcdef does not exist.')


def test_warehouse_without_can_use_is_403(dbx):
    dbx.reltio.databricks()
    token = dbx.workspace.access_token(OTHER_SP_ID, OTHER_SP_SECRET)
    assert_databricks_error(dbx.workspace.warehouse(token=token), 403, 'PERMISSION_DENIED', CANNOT_USE)


@pytest.mark.parametrize('authorization, message', [
    (None, 'Credential was not sent or was of an unsupported type for this API.'),
    ('Bearer never-issued', 'Invalid access token.'),
    (f'Bearer {STATIC_TOKEN}', 'Invalid access token.'),
    (basic(SP_ID, SP_SECRET), 'Credential was not sent or was of an unsupported type for this API.'),
])
def test_warehouse_needs_a_token_of_this_workspace(dbx, authorization, message):
    dbx.reltio.databricks()
    headers = {'Authorization': authorization} if authorization else {}
    answer = dbx.workspace.call('GET', f'/api/2.0/sql/warehouses/{WAREHOUSE_ID}', headers)
    assert_databricks_error(answer, 401, 'UNAUTHENTICATED', message)


def test_tokens_of_one_side_are_refused_by_the_other(dbx):
    dbx.reltio.databricks()
    reltio_token = dbx.reltio.token().json()['access_token']
    assert dbx.workspace.warehouse(token=reltio_token).status == 401
    workspace_token = dbx.workspace.access_token()
    assert dbx.reltio.create(token=workspace_token).status == 401
    assert dbx.reltio.control('GET', 'issued-tokens') == {'tokens': [reltio_token, workspace_token]}


def test_workspace_token_expires(dbx, monkeypatch):
    dbx.reltio.databricks()
    monkeypatch.setattr(databricks, 'WORKSPACE_TOKEN_TTL', 0)
    token = dbx.workspace.access_token()
    assert_databricks_error(dbx.workspace.warehouse(token=token), 401, 'UNAUTHENTICATED', 'Access token expired.')


def test_delete_and_reset_end_the_workspace_tokens(dbx):
    dbx.reltio.databricks()
    token = dbx.workspace.access_token()
    assert dbx.workspace.warehouse(token=token).status == 200
    dbx.reltio.databricks(method='DELETE')
    dbx.reltio.databricks()
    assert dbx.workspace.warehouse(token=token).status == 401
    token = dbx.workspace.access_token()
    dbx.reltio.control('POST', 'reset')
    dbx.reltio.databricks()
    assert dbx.workspace.warehouse(token=token).status == 401


def test_replacing_a_secret_keeps_the_tokens_already_issued(dbx):
    dbx.reltio.databricks()
    token = dbx.workspace.access_token()
    dbx.reltio.databricks({'service_principals': [{'client_id': SP_ID, 'client_secret': 'rotated-secret'}]})
    assert dbx.workspace.token().status == 401
    assert dbx.workspace.token(SP_ID, 'rotated-secret').status == 200
    assert dbx.workspace.warehouse(token=token).status == 200


def test_other_paths_and_methods(dbx):
    dbx.reltio.databricks()
    assert_databricks_error(dbx.workspace.call('GET', '/api/2.0/clusters/list'), 404, 'ENDPOINT_NOT_FOUND',
                            "No API found for 'GET /api/2.0/clusters/list'")
    assert dbx.workspace.call('GET', '/api/2.0/sql/warehouses/').status == 404
    assert dbx.workspace.call('GET', '/_emulator/health').status == 404
    answer = dbx.workspace.call('GET', '/oidc/v1/token')
    assert answer.status == 405 and answer.headers.get('Allow') == 'POST' and answer.json()['error_code'] == 'BAD_REQUEST'
    answer = dbx.workspace.warehouse(method='DELETE')
    assert answer.status == 405 and answer.headers.get('Allow') == 'GET'
    assert dbx.reltio.control('GET', 'databricks')['warehouses'][0]['id'] == WAREHOUSE_ID


def test_warehouse_id_is_one_percent_decoded_segment(dbx):
    dbx.reltio.databricks({'service_principals': [], 'warehouses': [{'id': 'team/wh 1', 'grants': [SP_ID]}]})
    dbx.reltio.databricks({'service_principals': [{'client_id': SP_ID, 'client_secret': SP_SECRET}]})
    answer = dbx.workspace.warehouse('team/wh 1')
    assert answer.status == 200 and answer.json()['name'] == 'Warehouse team/wh 1'
    assert dbx.reltio.requests()[-1]['warehouse_id'] == 'team/wh 1'


def test_workspace_serves_only_https(dbx):
    with socket.create_connection(('127.0.0.1', dbx.server.workspace_port), timeout=5) as sock:
        sock.sendall(b'GET /api/2.0/sql/warehouses/x HTTP/1.1\r\nHost: x\r\n\r\n')
        assert not sock.recv(4096).startswith(b'HTTP/1.1 ')
    # A client that does not trust the tests' CA refuses the workspace.
    connection = http.client.HTTPSConnection('127.0.0.1', dbx.server.workspace_port, timeout=5,
                                             context=ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        connection.request('GET', '/')
    connection.close()
    assert dbx.server.url.startswith('http://') and dbx.server.workspace_url == f'https://127.0.0.1:{dbx.server.workspace_port}'


# --------------------------------------------------------------------------- the control API

def test_control_api_adds_replaces_shows_and_clears(dbx):
    shown = dbx.reltio.databricks()
    assert shown == {
        'workspace_url': dbx.server.workspace_url,
        'service_principals': [{'client_id': SP_ID, 'client_secret_sha256': _sha256(SP_SECRET)},
                               {'client_id': OTHER_SP_ID, 'client_secret_sha256': _sha256(OTHER_SP_SECRET)}],
        'warehouses': [{'id': WAREHOUSE_ID, 'name': 'Reltio export', 'state': 'RUNNING', 'cluster_size': 'Small', 'grants': [SP_ID]}],
    }
    assert SP_SECRET not in json.dumps(shown) and OTHER_SP_SECRET not in json.dumps(dbx.reltio.databricks(method='GET'))
    replaced = dbx.reltio.databricks({'warehouses': [{'id': WAREHOUSE_ID, 'name': 'n', 'state': 'STOPPED', 'cluster_size': 'Large',
                                                      'grants': [SP_ID, OTHER_SP_ID]}, {'id': 'second'}]})
    assert len(replaced['service_principals']) == 2
    assert replaced['warehouses'] == [
        {'id': WAREHOUSE_ID, 'name': 'n', 'state': 'STOPPED', 'cluster_size': 'Large', 'grants': [SP_ID, OTHER_SP_ID]},
        {'id': 'second', 'name': 'Warehouse second', 'state': 'RUNNING', 'cluster_size': 'Small', 'grants': []}]
    assert dbx.reltio.databricks(method='DELETE') == {'workspace_url': dbx.server.workspace_url, 'service_principals': [], 'warehouses': []}
    dbx.reltio.databricks()
    dbx.reltio.control('POST', 'reset')
    assert dbx.reltio.databricks(method='GET')['warehouses'] == []


@pytest.mark.parametrize('body', [
    {'service_principals': [{'client_id': 'a'}]},
    {'service_principals': [{'client_id': ' ', 'client_secret': 's'}]},
    {'service_principals': [{'client_id': 'a', 'client_secret': 's', 'role': 'admin'}]},
    {'service_principals': {'client_id': 'a', 'client_secret': 's'}},
    {'warehouses': [{'name': 'no id'}]},
    {'warehouses': [{'id': 'w', 'state': 'RUNNING'}, {'id': 'w2', 'state': 'PAUSED'}]},
    {'warehouses': [{'id': 'w', 'grants': 'sp'}]},
    {'warehouses': [{'id': 'w', 'cluster_size': 'Huge'}]},
    {'warehouses': ['w']},
    {'workspaces': []},
])
def test_control_api_refuses_invalid_entries_and_changes_nothing(dbx, body):
    body = {'service_principals': [{'client_id': 'fine', 'client_secret': 'fine-secret'}], **body}
    answer = dbx.reltio.call('POST', '/_emulator/databricks', body)
    assert answer.status == 400 and answer.json()['severity'] == 'Error'
    assert dbx.reltio.databricks(method='GET') == {'workspace_url': dbx.server.workspace_url, 'service_principals': [], 'warehouses': []}


def test_without_a_workspace_nothing_changes(client, server):
    assert server.workspace_url is None and server.workspace_port is None and server.workspace_server is None
    assert client.databricks(method='GET') == {'workspace_url': None, 'service_principals': [], 'warehouses': []}
    client.databricks()
    client.create(workspaceUrl='https://127.0.0.1:1', clientId=SP_ID, clientSecret='wrong')
    assert client.run_test().json()['data']['connected'] is True


def test_workspace_options_need_a_certificate():
    with pytest.raises(ValueError, match='workspace_tls_cert'):
        ReltioEmulator(workspace_port=8443)
    with pytest.raises(ValueError, match='workspace_tls_cert'):
        ReltioEmulator(workspace_tls_key='key.pem')


def test_an_unreadable_workspace_certificate_fails_the_start(tmp_path):
    bad = tmp_path / 'bad.pem'
    bad.write_text('not a certificate')
    with pytest.raises(ssl.SSLError):
        ReltioEmulator(workspace_tls_cert=str(bad))


# --------------------------------------------------------------------------- Reltio's connection test

def _test_connection(dbx, name='conn-1', **overrides):
    body = {'workspaceUrl': dbx.server.workspace_url, 'warehouseId': WAREHOUSE_ID, 'clientId': SP_ID, 'clientSecret': SP_SECRET}
    body.update(overrides)
    assert dbx.reltio.create(name, **body).status == 200
    return dbx.reltio.run_test(name).json()['data']


@pytest.mark.parametrize('state', ['RUNNING', 'STARTING', 'STOPPING', 'STOPPED'])
def test_connection_test_passes_for_the_principal_with_can_use(dbx, state):
    dbx.reltio.databricks(databricks_world(state=state))
    assert _test_connection(dbx) == {'connected': True, 'message': 'Connection successful', 'databaseType': 'DATABRICKS'}
    assert dbx.reltio.connection()['status'] == 'ACTIVE'


@pytest.mark.parametrize('overrides, world, message', [
    ({'clientSecret': 'wrong-secret'}, {}, 'invalid_client: Client authentication failed'),
    ({'clientId': 'unknown-sp'}, {}, 'invalid_client: Client authentication failed'),
    ({'clientId': OTHER_SP_ID}, {}, 'invalid_client: Client authentication failed'),
    ({'warehouseId': 'ffffffffffffffff'}, {}, 'Warehouse ffffffffffffffff does not exist.'),
    ({'clientId': OTHER_SP_ID, 'clientSecret': OTHER_SP_SECRET}, {}, f'PERMISSION_DENIED: {CANNOT_USE}'),
    ({}, {'grants': ()}, f'PERMISSION_DENIED: Service principal {SP_ID} does not have CAN USE permission on warehouse {WAREHOUSE_ID}.'),
    ({}, {'state': 'DELETED'}, f'Warehouse {WAREHOUSE_ID} is deleted.'),
    ({}, {'state': 'DELETING'}, f'Warehouse {WAREHOUSE_ID} is deleted.'),
])
def test_connection_test_fails_with_a_databricks_reason(dbx, overrides, world, message):
    dbx.reltio.databricks(databricks_world(**world))
    assert _test_connection(dbx, **overrides) == {'connected': False, 'message': message, 'databaseType': 'DATABRICKS'}
    assert dbx.reltio.connection()['status'] == 'PENDING'


def test_connection_test_follows_later_changes_of_both_sides(dbx):
    assert _test_connection(dbx)['message'] == 'invalid_client: Client authentication failed'
    dbx.reltio.databricks(databricks_world(grants=()))
    assert dbx.reltio.run_test().json()['data']['message'].startswith('PERMISSION_DENIED: ')
    dbx.reltio.databricks(databricks_world())
    dbx.reltio.databricks({'service_principals': [{'client_id': SP_ID, 'client_secret': 'rotated-secret'}]})
    assert dbx.reltio.run_test().json()['data']['connected'] is False
    assert dbx.reltio.store_credentials('conn-1', {'clientId': SP_ID, 'clientSecret': 'rotated-secret'}).status == 200
    assert dbx.reltio.run_test().json()['data']['connected'] is True


def test_the_workspace_rule_wins_over_the_invalid_prefix(dbx):
    dbx.reltio.databricks({'service_principals': [{'client_id': SP_ID, 'client_secret': 'invalid-but-real'}],
                           'warehouses': databricks_world()['warehouses']})
    assert _test_connection(dbx, clientSecret='invalid-but-real')['connected'] is True


@pytest.mark.parametrize('make_url, connected', [
    (lambda port: f'https://localhost:{port}', True),
    (lambda port: f'https://LOCALHOST:{port}/', True),
    (lambda port: f'https://127.0.0.1:{port}/some/path', True),
    (lambda port: 'https://127.0.0.1', None),
    (lambda port: f'https://127.0.0.2:{port}', None),
    (lambda port: f'https://adb-1.azuredatabricks.net:{port}', None),
])
def test_which_workspace_urls_are_this_workspace(dbx, make_url, connected):
    """A URL of the listener follows the Databricks side (no principal here: refused); others keep the old rule."""
    answer = _test_connection(dbx, workspaceUrl=make_url(dbx.server.workspace_port))
    if connected is None:
        assert answer['connected'] is True and answer['message'] == 'Connection successful'
    else:
        assert answer['message'] == 'invalid_client: Client authentication failed'


def test_other_workspaces_keep_the_old_rule(dbx):
    dbx.reltio.databricks()
    assert _test_connection(dbx, 'a', workspaceUrl='https://nowhere.invalid')['message'] == 'Unable to reach the Databricks workspace nowhere.invalid'
    rejected = _test_connection(dbx, 'b', workspaceUrl='https://adb-1.azuredatabricks.net', clientSecret='invalid-secret')
    assert rejected['message'] == 'Databricks rejected the OAuth client credentials'


# --------------------------------------------------------------------------- faults, chaos and the request log

def test_a_delay_makes_a_workspace_that_times_out(dbx):
    dbx.reltio.databricks()
    dbx.reltio.add_faults({'endpoint': 'dbx_token', 'delay': 0.6})
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        dbx.workspace.token(timeout=0.2)
    wait_for(lambda: dbx.reltio.control('GET', 'stats')['in_flight'] == 0, 'the slow answer')
    (entry,) = dbx.reltio.requests()
    assert entry['endpoint'] == 'dbx_token' and 'delay-only' in entry['fault'] and entry['status'] == 200
    assert dbx.workspace.token().status == 200


@pytest.mark.parametrize('rule, status, payload', [
    ({'endpoint': 'warehouse', 'status': 503, 'message': 'Busy'}, 503, {'error_code': 'TEMPORARILY_UNAVAILABLE', 'message': 'Busy'}),
    ({'endpoint': 'warehouse', 'status': 404, 'body': 'dbx_int_code', 'message': 'No warehouse'}, 404,
     {'error_code': 404, 'message': 'No warehouse'}),
    ({'endpoint': 'warehouse', 'status': 400, 'body': 'dbx', 'error_code': 'INVALID_STATE', 'message': 'x'}, 400,
     {'error_code': 'INVALID_STATE', 'message': 'x'}),
    ({'endpoint': 'warehouse', 'status': 502, 'body': 'dbx', 'message': 'x'}, 502, {'error_code': 'INTERNAL_ERROR', 'message': 'x'}),
    ({'endpoint': 'dbx_token', 'status': 503, 'message': 'Down'}, 503, {'error': 'temporarily_unavailable', 'error_description': 'Down'}),
    ({'endpoint': 'dbx_token', 'status': 400, 'message': 'No'}, 400, {'error': 'invalid_request', 'error_description': 'No'}),
    ({'endpoint': 'dbx_token', 'status': 500, 'body': 'dbx_int_code', 'message': 'Oops'}, 500, {'error_code': 500, 'message': 'Oops'}),
])
def test_fault_bodies_in_the_workspace_shapes(dbx, rule, status, payload):
    dbx.reltio.databricks()
    token = dbx.workspace.access_token() if rule['endpoint'] == 'warehouse' else None
    dbx.reltio.add_faults(rule)
    answer = dbx.workspace.warehouse(token=token) if token else dbx.workspace.token()
    assert answer.status == status and answer.json() == payload


def test_every_fault_feature_works_on_the_workspace(dbx):
    dbx.reltio.databricks()
    token = dbx.workspace.access_token()
    dbx.reltio.add_faults({'endpoint': 'warehouse', 'status': 200, 'body': 'truncated', 'after_commit': True},
                          {'endpoint': 'warehouse', 'reset': True},
                          {'endpoint': 'warehouse', 'status': 200, 'body': 'huge', 'size': 100000},
                          {'endpoint': 'warehouse', 'trickle': 0.001, 'header_drip': 0, 'header_count': 3},
                          {'endpoint': 'dbx_token', 'status': 302, 'location': 'https://127.0.0.2/', 'body': 'empty'})
    truncated = dbx.workspace.warehouse(token=token)
    assert truncated.status == 200 and truncated.body.startswith(b'{"id": ') and not truncated.body.endswith(b'}')
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError, ssl.SSLError)):
        dbx.workspace.warehouse(token=token)
    assert len(dbx.workspace.warehouse(token=token).body) == 100000
    dripped = dbx.workspace.warehouse(token=token)
    assert dripped.status == 200 and dripped.headers.get('X-Drip-3') == '3' and dripped.json()['id'] == WAREHOUSE_ID
    connection = http.client.HTTPSConnection('127.0.0.1', dbx.server.workspace_port, timeout=5, context=dbx.workspace.context)
    try:
        connection.request('POST', '/oidc/v1/token', b'grant_type=client_credentials', {'Authorization': basic(SP_ID, SP_SECRET)})
        redirected = connection.getresponse()
        assert redirected.status == 302 and redirected.getheader('Location') == 'https://127.0.0.2/' and redirected.read() == b''
    finally:
        connection.close()
    assert [entry['status'] for entry in dbx.reltio.requests()] == [200, 200, None, 200, 200, 302]


def test_fault_rule_count_and_tenant_on_the_workspace(dbx):
    dbx.reltio.databricks()
    dbx.reltio.add_faults({'endpoint': 'dbx_token', 'status': 503, 'tenant': TENANT}, {'endpoint': 'dbx_token', 'status': 429, 'count': 2})
    assert [dbx.workspace.token().status for attempt in range(3)] == [429, 429, 200]
    assert dbx.reltio.control('GET', 'faults')['rules'][0]['count'] == 1


def test_gson_echo_of_the_workspace_token_endpoint_shows_the_basic_credentials(dbx):
    dbx.reltio.add_faults({'endpoint': 'dbx_token', 'status': 401, 'echo': True, 'echo_style': 'gson', 'message': 'Denied'})
    answer = dbx.workspace.token(SP_ID, 'tok<secret>')
    assert answer.status == 401
    assert b'grant_type\\u003dclient_credentials\\u0026scope\\u003dall-apis sp-0a1b2c3d:tok\\u003csecret\\u003e' in answer.body
    assert answer.json() == {'error': 'invalid_client',
                             'error_description': f'Denied: grant_type=client_credentials&scope=all-apis {SP_ID}:tok<secret>'}


def test_a_token_issued_under_an_after_commit_fault_is_listed(dbx):
    dbx.reltio.databricks()
    dbx.reltio.add_faults({'endpoint': 'dbx_token', 'status': 504, 'body': 'empty', 'after_commit': True})
    assert dbx.workspace.token().status == 504
    assert len(dbx.reltio.control('GET', 'issued-tokens')['tokens']) == 1


def test_chaos_reaches_the_workspace_only_when_listed(dbx):
    dbx.reltio.databricks()
    dbx.reltio.control('POST', 'chaos', {'seed': 1, 'rate': 1, 'kinds': ['503']})
    assert dbx.reltio.control('GET', 'chaos')['chaos']['endpoints'] == ['token', 'create', 'credentials', 'test']
    token = dbx.workspace.access_token()
    assert dbx.workspace.warehouse(token=token).status == 200
    dbx.reltio.control('POST', 'chaos', {'seed': 1, 'rate': 1, 'kinds': ['503'], 'endpoints': ['warehouse']})
    assert dbx.workspace.token().status == 200
    answer = dbx.workspace.warehouse(token=token)
    assert answer.status == 503 and answer.json()['error_code'] == 'TEMPORARILY_UNAVAILABLE'
    dbx.reltio.control('POST', 'chaos', {'seed': 1, 'rate': 1, 'kinds': ['503'], 'endpoints': ['warehouse'], 'tenants': ['t']})
    assert dbx.workspace.warehouse(token=token).status == 200
    assert dbx.reltio.control('GET', 'stats')['faults_by_kind'] == {'503': 1}


def test_request_log_of_the_workspace_holds_no_secret_and_no_token(dbx):
    dbx.reltio.databricks()
    token = dbx.workspace.access_token()
    dbx.workspace.warehouse(token=token)
    dbx.workspace.warehouse('missing', token=token)
    dbx.workspace.token('unknown-sp', 'unknown-secret')
    dbx.workspace.token(SP_SECRET, SP_ID)
    form = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': SP_ID, 'client_secret': SP_SECRET}).encode()
    dbx.workspace.call('POST', '/oidc/v1/token', {}, form)
    entries = dbx.reltio.requests()
    text = json.dumps(entries)
    for secret in (SP_SECRET, token, 'unknown-secret'):
        assert secret not in text
    assert [(entry['endpoint'], entry['status'], entry['warehouse_id'], entry['client_id']) for entry in entries] == [
        ('dbx_token', 200, None, SP_ID), ('warehouse', 200, WAREHOUSE_ID, SP_ID), ('warehouse', 404, 'missing', SP_ID),
        ('dbx_token', 401, None, None), ('dbx_token', 401, None, None), ('dbx_token', 200, None, SP_ID)]
    first = entries[0]
    assert (first['tenant'], first['connection_name'], first['method'], first['path']) == (None, None, 'POST', '/oidc/v1/token')
    assert first['body'] == {'grant_type': 'client_credentials', 'scope': 'all-apis'}
    assert first['headers']['authorization_scheme'] == 'Basic' and entries[1]['headers']['authorization_scheme'] == 'Bearer'
    assert entries[-1]['body'] == {'grant_type': 'client_credentials', 'client_id': '***', 'client_secret': '***'}
    assert dbx.reltio.control('GET', 'stats')['requests'] == 6


def test_slow_workspace_requests_count_as_in_flight(dbx):
    dbx.reltio.databricks()
    # Long enough to be seen in flight on a busy machine; the count drops once the answer is written.
    dbx.reltio.add_faults({'endpoint': 'dbx_token', 'delay': 2.0})
    thread, outcome = in_background(dbx.workspace.token)
    wait_for(lambda: dbx.reltio.control('GET', 'stats')['in_flight'] == 1, 'the request in flight')
    thread.join(10)
    assert outcome[0].status == 200
    wait_for(lambda: dbx.reltio.control('GET', 'stats')['in_flight'] == 0, 'the request done')


def test_a_chunked_body_is_refused_in_the_databricks_shape(dbx):
    connection = http.client.HTTPSConnection('127.0.0.1', dbx.server.workspace_port, timeout=5, context=dbx.workspace.context)
    try:
        connection.request('POST', '/oidc/v1/token', iter([b'grant_type=client_credentials']), {'Transfer-Encoding': 'chunked'})
        answer = connection.getresponse()
        assert answer.status == 411
        assert json.loads(answer.read())['error_code'] == 'BAD_REQUEST'
    finally:
        connection.close()
