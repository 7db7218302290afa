# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of tools/reltio_emulator.py, run in-process over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import importlib.util
import json
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

EMULATOR_PATH = Path(__file__).resolve().parents[3] / 'tools' / 'reltio_emulator.py'


def _load_emulator():
    spec = importlib.util.spec_from_file_location('reltio_emulator', EMULATOR_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


emu = _load_emulator()

STATIC_TOKEN = 'static-test-token'
TENANT = 'tenantA'
USER_AGENT = 'emulator-tests/1.0'
CREDENTIALS_BLANK = 'The clientId or clientSecret field is null or empty.'
DROP = object()


@dataclasses.dataclass
class Response:
    """What the server answered."""

    status: int
    headers: object
    body: bytes

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)


class Client:
    """Tiny urllib client for the emulator (no proxies)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method, path, body=None, headers=None, raw=None) -> Response:
        """Send one request; HTTP errors come back as a Response too."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        all_headers = {'User-Agent': USER_AGENT}
        if body is not None:
            all_headers['Content-Type'] = 'application/json'
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        try:
            with self.opener.open(request, timeout=5) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as err:
            with err:
                return Response(err.code, err.headers, err.read())

    def api(self, subpath, body=None, *, token=STATIC_TOKEN, tenant=TENANT, method='POST', raw=None) -> Response:
        """Call an interactions endpoint with a bearer token."""
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        return self.call(method, f'/reltio/api/tenants/{tenant}/interactions/{subpath}', body, headers, raw)

    def create(self, name='conn-1', tenant=TENANT, token=STATIC_TOKEN, **overrides) -> Response:
        """Create a Databricks connection."""
        return self.api('database-configs/databricks/oauth/credentials', connection_body(name, **overrides), token=token, tenant=tenant)

    def store_credentials(self, name, body) -> Response:
        """Store (rotate) the OAuth credentials of a connection."""
        return self.api(f"database-configs/{urllib.parse.quote(name, safe='')}/databricks/oauth/credentials", body)

    def run_test(self, name='conn-1') -> Response:
        """Test a connection."""
        return self.api(f"database-configs/{urllib.parse.quote(name, safe='')}/test")

    def token(self, client_id='emulator-client', client_secret='emulator-client-secret', form=b'grant_type=client_credentials'):
        """Ask the token endpoint with HTTP Basic credentials."""
        basic = base64.b64encode(f'{client_id}:{client_secret}'.encode()).decode()
        headers = {'Authorization': f'Basic {basic}', 'Content-Type': 'application/x-www-form-urlencoded'}
        return self.call('POST', '/oauth/token', headers=headers, raw=form)

    def control(self, method, name, body=None):
        """Call the control API and return its JSON."""
        answer = self.call(method, f'/_emulator/{name}', body)
        assert answer.status == 200, answer.body
        return answer.json()

    def add_faults(self, *rules):
        """Append fault rules."""
        return self.control('POST', 'faults', {'rules': list(rules)})

    def connection(self, name='conn-1', tenant=TENANT):
        """The state view of one connection."""
        return self.control('GET', 'state')['tenants'][tenant][name]

    def requests(self):
        """The request log."""
        return self.control('GET', 'requests')['requests']


def connection_body(name='conn-1', **overrides):
    """A valid create body; overrides with DROP remove the field."""
    body = {
        'connectionName': name,
        'workspaceUrl': 'https://adb-1234567890123456.7.azuredatabricks.net',
        'warehouseId': 'ab1c2d3ef5g6h7i8',
        'clientId': 'sp-client-id',
        'clientSecret': 'sp-client-secret',
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not DROP}


def assert_reltio_error(answer: Response, status: int, message: str):
    """The answer is a Reltio-shaped error with this status and message."""
    assert answer.status == status
    assert answer.headers.get('Content-Type') == 'application/json'
    assert answer.json() == {'severity': 'Error', 'errorMessage': message, 'errorCode': status, 'errorDetailMessage': message}


@pytest.fixture(scope='module')
def server():
    emulator = emu.ReltioEmulator(config=emu.EmulatorConfig(tokens=[STATIC_TOKEN])).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def client(server):
    api_client = Client(server.url)
    api_client.control('POST', 'reset')
    return api_client


# --------------------------------------------------------------------------- token endpoint and bearer auth

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


# --------------------------------------------------------------------------- create

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


# --------------------------------------------------------------------------- store credentials and test

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


# --------------------------------------------------------------------------- faults

def test_fault_status_retry_after_and_count(client):
    client.add_faults({'endpoint': 'create', 'status': 503, 'retry_after': 7, 'count': 2, 'message': 'Busy'})
    assert client.token().status == 200
    for attempt in range(2):
        answer = client.create(f'conn-{attempt}')
        assert_reltio_error(answer, 503, 'Busy')
        assert answer.headers.get('Retry-After') == '7'
    assert client.create('conn-3').status == 200
    assert set(client.control('GET', 'state')['tenants'][TENANT]) == {'conn-3'}
    assert client.control('GET', 'faults')['rules'][0]['count'] == 0
    assert [entry['fault'] is not None for entry in client.requests()] == [False, True, True, False]


@pytest.mark.parametrize('kind, content_type, check', [
    ('html', 'text/html; charset=utf-8', lambda body: body.startswith(b'<html>') and b'502 Bad Gateway' in body),
    ('text', 'text/plain; charset=utf-8', lambda body: body == b'Injected fault'),
    ('truncated', 'application/json', lambda body: body.startswith(b'{"severity"') and not body.endswith(b'}')),
    ('empty', None, lambda body: body == b''),
])
def test_fault_body_kinds(client, kind, content_type, check):
    client.add_faults({'endpoint': 'test', 'status': 502, 'body': kind})
    client.create()
    answer = client.run_test()
    assert answer.status == 502
    assert answer.headers.get('Content-Type') == content_type
    assert check(answer.body)
    assert client.connection()['tests'] == 0


def test_truncated_fault_body_is_not_parseable_json(client):
    client.add_faults({'body': 'truncated'})
    with pytest.raises(ValueError):
        client.token().json()


def test_reset_fault_drops_connection_without_answer(client):
    client.add_faults({'endpoint': 'token', 'reset': True})
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)) as caught:
        client.token()
    assert not isinstance(caught.value, urllib.error.HTTPError)
    assert client.token().status == 200
    first = client.requests()[0]
    assert first['status'] is None
    assert 'reset' in first['fault']


def test_after_commit_fault_stores_connection_but_answers_error(client):
    client.add_faults({'endpoint': 'create', 'status': 500, 'after_commit': True})
    assert client.create().status == 500
    assert client.connection()['status'] == 'PENDING'
    assert_reltio_error(client.create(), 400, 'A Databricks connection with the same name already exists for the tenant: conn-1')


def test_fault_without_after_commit_does_not_store(client):
    client.add_faults({'endpoint': 'create', 'status': 504})
    assert client.create().status == 504
    assert client.control('GET', 'state') == {'tenants': {}}


def test_echo_fault_repeats_request_body(client):
    client.add_faults({'endpoint': 'create', 'status': 400, 'echo': True, 'message': 'Bad request'})
    message = client.create(clientSecret='echoed-secret-value').json()['errorMessage']
    assert message.startswith('Bad request: {')
    assert 'echoed-secret-value' in message


def test_delay_without_status_answers_normally_after_the_delay(client):
    client.add_faults({'endpoint': 'create', 'delay': 0.2})
    started = time.monotonic()
    assert client.create().status == 200
    assert time.monotonic() - started >= 0.2
    assert 'delay-only' in client.requests()[0]['fault']


def test_fault_tenant_filter_and_clearing(client):
    client.add_faults({'tenant': 'tenantB', 'status': 503, 'count': -1})
    assert client.create().status == 200
    assert client.create(tenant='tenantB').status == 503
    assert client.create(tenant='tenantB').status == 503
    assert client.control('DELETE', 'faults') == {'rules': []}
    assert client.create(tenant='tenantB').status == 200


@pytest.mark.parametrize('rule', [{'status': 'abc'}, {'endpoint': 'nowhere'}, {'colour': 'red'}, 'not-an-object'])
def test_invalid_fault_rules_are_rejected(client, rule):
    answer = client.call('POST', '/_emulator/faults', {'rules': [rule]})
    assert answer.status == 400
    assert answer.json()['severity'] == 'Error'
    assert client.control('GET', 'faults') == {'rules': []}


def test_garbage_body_is_neither_utf8_nor_json(client):
    client.add_faults({'endpoint': 'create', 'status': 500, 'body': 'garbage'})
    answer = client.create()
    assert answer.status == 500
    assert answer.headers.get('Content-Type') == 'application/json'
    with pytest.raises(UnicodeDecodeError):
        answer.body.decode('utf-8')
    with pytest.raises(ValueError):
        json.loads(answer.body.decode('utf-8', 'replace'))


def test_deep_body_is_json_nested_past_any_recursion_limit(client):
    client.add_faults({'endpoint': 'create', 'status': 200, 'body': 'deep'})
    answer = client.create()
    assert answer.status == 200 and answer.headers.get('Content-Type') == 'application/json'
    assert answer.body == b'[' * emu.DEEP_NESTING + b']' * emu.DEEP_NESTING
    with pytest.raises(RecursionError):
        answer.json()


def test_truncated_after_commit_cuts_the_real_answer(client):
    client.add_faults({'endpoint': 'create', 'status': 200, 'body': 'truncated', 'after_commit': True})
    answer = client.create()
    assert answer.status == 200
    assert answer.body.startswith(b'{"successful": true')
    with pytest.raises(ValueError):
        answer.json()
    assert client.connection()['status'] == 'PENDING'


def _in_background(call):
    """Run ``call`` in a thread; returns the thread and a list that receives its result."""
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    return thread, outcome


def _wait_for(condition, what):
    """Poll ``condition`` for at most 5 s."""
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, f'timed out waiting for {what}'
        time.sleep(0.02)


def test_commit_then_slow_stores_before_it_answers(client):
    client.add_faults({'endpoint': 'create', 'delay': 1.5, 'after_commit': True, 'kind': 'commit_slow'})
    thread, outcome = _in_background(client.create)
    _wait_for(lambda: TENANT in client.control('GET', 'state')['tenants'], 'the commit')
    assert client.control('GET', 'stats')['in_flight'] == 1
    thread.join(10)
    assert outcome[0].status == 200
    assert client.control('GET', 'stats')['in_flight'] == 0
    assert 'kind=commit_slow' in client.requests()[0]['fault']


def test_trickle_sends_the_real_answer_piece_by_piece(client):
    client.add_faults({'endpoint': 'create', 'trickle': 0.02})
    started = time.monotonic()
    answer = client.create()
    assert answer.status == 200 and answer.json()['successful'] is True
    assert len(answer.body) > 5 * emu.TRICKLE_CHUNK
    # A lower bound the sleeps guarantee, not a speed: the pieces came one pause apart.
    assert time.monotonic() - started >= 0.02 * (len(answer.body) // emu.TRICKLE_CHUNK - 1)
    assert 'trickle=0.02' in client.requests()[0]['fault']


def test_client_leaving_a_trickle_does_not_break_the_server(server, client):
    client.add_faults({'endpoint': 'create', 'trickle': 0.05})
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    body = json.dumps(connection_body()).encode()
    connection.request('POST', f'/reltio/api/tenants/{TENANT}/interactions/database-configs/databricks/oauth/credentials',
                       body, {'Authorization': f'Bearer {STATIC_TOKEN}', 'Content-Type': 'application/json'})
    assert connection.getresponse().status == 200
    connection.close()
    _wait_for(lambda: client.control('GET', 'stats')['in_flight'] == 0, 'the abandoned answer')
    assert client.create('conn-2').status == 200


def _create_statuses(client, tenant, count, prefix='c'):
    return [client.create(f'{prefix}{number}', tenant=tenant).status for number in range(count)]


def test_chaos_is_seeded_per_tenant_and_endpoint(client):
    chaos = {'seed': 11, 'rate': 0.5, 'kinds': ['503', '429'], 'endpoints': ['create']}
    client.control('POST', 'chaos', chaos)
    alone = _create_statuses(client, 'tenantA', 16)
    assert set(alone) == {200, 429, 503}
    client.control('POST', 'reset')
    client.control('POST', 'chaos', chaos)
    interleaved = []
    for number in range(16):
        client.create(f'other{number}', tenant='tenantB')
        interleaved.append(client.create(f'c{number}', tenant='tenantA').status)
    assert interleaved == alone
    client.control('POST', 'reset')
    client.control('POST', 'chaos', dict(chaos, seed=12))
    assert _create_statuses(client, 'tenantA', 16) != alone


def test_chaos_rate_endpoints_tenants_and_stats(client):
    client.control('POST', 'chaos', {'seed': 1, 'rate': 1, 'kinds': {'504': 1}, 'endpoints': ['create'], 'tenants': ['tenantB']})
    assert client.create(tenant='tenantA').status == 200
    assert client.token().status == 200
    assert _create_statuses(client, 'tenantB', 3) == [504, 504, 504]
    stats = client.control('GET', 'stats')
    assert stats == {'requests': 5, 'in_flight': 0, 'faults': 3, 'faults_by_kind': {'504': 3},
                     'commits': {'tenantA': {'conn-1': 1}}}
    assert client.control('DELETE', 'chaos') == {'chaos': None}
    assert client.create(tenant='tenantB').status == 200
    client.control('POST', 'chaos', {'seed': 1, 'rate': 0})
    assert _create_statuses(client, 'tenantB', 4, prefix='z') == [200] * 4


@pytest.mark.parametrize('kind', sorted(emu.CHAOS_KINDS))
def test_every_chaos_kind_does_what_it_says(client, server, kind):
    spec = emu.CHAOS_KINDS[kind]
    client.control('POST', 'chaos', {'seed': 3, 'rate': 1, 'kinds': [kind], 'delay': 0.05, 'retry_after': 2})
    assert client.control('GET', 'chaos')['chaos']['kinds'] == {kind: 1}
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request('POST', f'/reltio/api/tenants/{TENANT}/interactions/database-configs/databricks/oauth/credentials',
                           json.dumps(connection_body()).encode(),
                           {'Authorization': f'Bearer {STATIC_TOKEN}', 'Content-Type': 'application/json'})
        if spec.get('reset'):
            with pytest.raises((ConnectionError, http.client.HTTPException)):
                connection.getresponse()
            status = None
        else:
            answer = connection.getresponse()
            status = answer.status
            assert answer.getheader('Retry-After') == ('2' if spec.get('retry_after') else None)
            answer.read()
    finally:
        connection.close()
    assert status == (None if spec.get('reset') else spec['status'] or 200)
    committed = spec.get('after_commit', False) or ('status' in spec and spec['status'] is None)
    assert (TENANT in client.control('GET', 'state')['tenants']) is bool(committed)
    (entry,) = client.requests()
    assert f'kind={kind} ' in entry['fault'] and entry['status'] == status
    assert client.control('GET', 'stats')['faults_by_kind'] == {kind: 1}


@pytest.mark.parametrize('chaos', [{'rate': 2}, {'kinds': ['nope']}, {'kinds': {'503': -1}}, {'kinds': {'503': 0}},
                                   {'endpoints': ['any']}, {'seed': 1.5}, {'colour': 'red'}, {'delay': -1}])
def test_invalid_chaos_settings_are_rejected(client, chaos):
    answer = client.call('POST', '/_emulator/chaos', chaos)
    assert answer.status == 400
    assert client.control('GET', 'chaos') == {'chaos': None}


def test_issued_tokens_are_listed_until_reset_and_stay_valid(client):
    first, second = client.token().json()['access_token'], client.token().json()['access_token']
    assert client.control('GET', 'issued-tokens') == {'tokens': [first, second]}
    client.control('POST', 'reset')
    assert client.control('GET', 'issued-tokens') == {'tokens': []}
    assert client.create(token=first).status == 200


def test_reset_turns_chaos_off_and_clears_stats(client):
    client.control('POST', 'chaos', {'seed': 5, 'rate': 1, 'kinds': ['500']})
    assert client.create().status == 500
    client.control('POST', 'reset')
    assert client.control('GET', 'chaos') == {'chaos': None}
    assert client.control('GET', 'stats') == {'requests': 0, 'in_flight': 0, 'faults': 0, 'faults_by_kind': {}, 'commits': {}}
    assert client.create().status == 200


# --------------------------------------------------------------------------- request log, state and control API

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
                                      'authorization_scheme': 'Basic'}
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


def test_unexpected_error_answers_500_and_server_survives(client, server, monkeypatch):
    def explode(tenant, name):
        raise RuntimeError('boom')

    monkeypatch.setattr(server.state, 'test_connection', explode)
    answer = client.run_test()
    assert answer.status == 500
    assert answer.json()['errorMessage'] == 'Internal emulator error'
    assert client.control('GET', 'health') == {'ok': True}


def test_keep_alive_reuses_one_connection(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request('GET', '/_emulator/health')
        first = connection.getresponse()
        assert first.read() == b'{"ok": true}'
        sock = connection.sock
        connection.request('POST', '/_emulator/reset')
        assert connection.getresponse().status == 200
        assert connection.sock is sock
    finally:
        connection.close()


def test_state_file_persists_connections(tmp_path):
    state_file = tmp_path / 'state.json'
    with emu.ReltioEmulator(config=emu.EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as first:
        assert Client(first.url).create().status == 200
    saved = json.loads(state_file.read_text())
    assert saved['tenants'][TENANT]['conn-1']['clientSecret'] == 'sp-client-secret'
    with emu.ReltioEmulator(config=emu.EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as second:
        restarted = Client(second.url)
        assert restarted.connection()['status'] == 'PENDING'
        assert restarted.create().status == 400


# --------------------------------------------------------------------------- command line and TLS

def test_cli_prints_url_writes_port_file_and_stops_on_sigterm(tmp_path):
    port_file = tmp_path / 'port'
    command = [sys.executable, str(EMULATOR_PATH), '--port', '0', '--port-file', str(port_file), '--quiet',
               '--tenant', 'cli-tenant', '--token', 'cli-token', '--chaos-seed', 'cli-seed', '--chaos-rate', '0']
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline().strip()
            port = int(port_file.read_text())
            assert line == f'Reltio emulator listening on http://127.0.0.1:{port}'
            cli = Client(f'http://127.0.0.1:{port}')
            assert_reltio_error(cli.create(tenant='other', token='cli-token'), 404, 'Tenant other not found')
            assert cli.create(tenant='cli-tenant', token='cli-token').status == 200
            chaos = cli.control('GET', 'chaos')['chaos']
            assert (chaos['seed'], chaos['rate']) == ('cli-seed', 0)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
        assert process.stderr.read() == ''


@pytest.mark.skipif(shutil.which('openssl') is None, reason='needs the openssl command to make a certificate')
def test_tls_serves_https(tmp_path):
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', str(key), '-out', str(cert), '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
    with emu.ReltioEmulator(tls_cert=str(cert), tls_key=str(key)) as server:
        assert server.url.startswith('https://127.0.0.1:')
        context = ssl.create_default_context(cafile=str(cert))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
        with opener.open(server.url + '/_emulator/health', timeout=5) as answer:
            assert json.load(answer) == {'ok': True}
