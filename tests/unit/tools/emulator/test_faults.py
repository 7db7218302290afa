# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.faults: scripted fault rules and the answers of hostile servers."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import time
import urllib.error

import pytest
from emulator import faults

from .helpers import (BEARER, CREATE_PATH, ODD_SECRET, STATIC_TOKEN, TENANT, arrivals, assert_reltio_error, basic, connection_body,
                      first_time, in_background, open_raw, raw_answer, wait_for)


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
    assert answer.body == b'[' * faults.DEEP_NESTING + b']' * faults.DEEP_NESTING
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


def test_commit_then_slow_stores_before_it_answers(client):
    client.add_faults({'endpoint': 'create', 'delay': 1.5, 'after_commit': True, 'kind': 'commit_slow'})
    thread, outcome = in_background(client.create)
    wait_for(lambda: TENANT in client.control('GET', 'state')['tenants'], 'the commit')
    assert client.control('GET', 'stats')['in_flight'] == 1
    thread.join(10)
    assert outcome[0].status == 200
    # The server counts the request out after it sent the answer: a loaded machine may show the client first.
    wait_for(lambda: client.control('GET', 'stats')['in_flight'] == 0, 'the end of the request')
    assert 'kind=commit_slow' in client.requests()[0]['fault']


def test_trickle_sends_the_real_answer_piece_by_piece(client):
    client.add_faults({'endpoint': 'create', 'trickle': 0.02})
    started = time.monotonic()
    answer = client.create()
    assert answer.status == 200 and answer.json()['successful'] is True
    assert len(answer.body) > 5 * faults.TRICKLE_CHUNK
    # A lower bound the sleeps guarantee, not a speed: the pieces came one pause apart.
    assert time.monotonic() - started >= 0.02 * (len(answer.body) // faults.TRICKLE_CHUNK - 1)
    assert 'trickle=0.02' in client.requests()[0]['fault']


def test_client_leaving_a_trickle_does_not_break_the_server(server, client):
    client.add_faults({'endpoint': 'create', 'trickle': 0.05})
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    body = json.dumps(connection_body()).encode()
    connection.request('POST', f'/reltio/api/tenants/{TENANT}/interactions/database-configs/databricks/oauth/credentials',
                       body, {'Authorization': f'Bearer {STATIC_TOKEN}', 'Content-Type': 'application/json'})
    assert connection.getresponse().status == 200
    connection.close()
    wait_for(lambda: client.control('GET', 'stats')['in_flight'] == 0, 'the abandoned answer')
    assert client.create('conn-2').status == 200


@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_redirect_fault_answers_a_location(server, client, status):
    client.add_faults({'endpoint': 'create', 'status': status, 'location': 'http://127.0.0.2:9/x', 'body': 'empty'})
    answer, body = raw_answer(server, 'POST', CREATE_PATH, json.dumps(connection_body()).encode(), BEARER)
    assert answer.status == status
    assert answer.getheader('Location') == 'http://127.0.0.2:9/x'
    assert answer.getheader('Content-Length') == '0' and body == b''
    assert client.control('GET', 'state') == {'tenants': {}}
    assert client.control('GET', 'faults')['rules'][0]['location'] == 'http://127.0.0.2:9/x'


def test_gson_echo_escapes_html_characters_and_non_ascii_on_the_wire(server, client):
    client.add_faults({'endpoint': 'create', 'status': 400, 'echo': True, 'echo_style': 'gson', 'message': 'Bad'})
    sent = connection_body(clientSecret=ODD_SECRET)
    answer, wire = raw_answer(server, 'POST', CREATE_PATH, json.dumps(sent).encode(), BEARER)
    assert answer.status == 400 and answer.getheader('Content-Type') == 'application/json'
    assert wire.isascii() and wire.startswith(b'{"severity":"Error","errorMessage":"Bad: {\\"connectionName\\":')
    assert (b'dbx-\\u003cb\\u003e\\u0026a\\u003d\\u0027q\\u0027\\\\\\"\\\\\\\\-\\u00fcn\\u00efc\\u00f8d\\u00e9-\\u20ac-'
            b'\\u540d-\\ud83d\\udd11') in wire
    for char in b"<>&='":
        assert bytes([char]) not in wire
    message = 'Bad: ' + json.dumps(sent, ensure_ascii=False)
    assert json.loads(wire) == {'severity': 'Error', 'errorMessage': message, 'errorCode': 400, 'errorDetailMessage': message}
    assert 'status=400 body=gson-json' in client.requests()[0]['fault']


def test_gson_echo_of_the_token_endpoint_shows_form_and_basic_credentials(server, client):
    client.add_faults({'endpoint': 'token', 'status': 401, 'echo': True, 'echo_style': 'gson', 'message': 'Denied'})
    headers = {'Authorization': basic('emulator-client', 'tok<secret>'), 'Content-Type': 'application/x-www-form-urlencoded'}
    answer, wire = raw_answer(server, 'POST', '/oauth/token', b'grant_type=client_credentials', headers)
    assert answer.status == 401
    assert b'grant_type\\u003dclient_credentials emulator-client:tok\\u003csecret\\u003e' in wire
    assert json.loads(wire)['errorMessage'] == 'Denied: grant_type=client_credentials emulator-client:tok<secret>'


def test_gson_style_without_echo_spells_the_bare_message(server, client):
    client.add_faults({'endpoint': 'test', 'status': 502, 'echo_style': 'gson', 'message': "a<b & c='d' \u00e9"})
    client.create()
    answer, wire = raw_answer(server, 'POST', f'/reltio/api/tenants/{TENANT}/interactions/database-configs/conn-1/test',
                              b'', BEARER)
    assert answer.status == 502
    assert b'"errorMessage":"a\\u003cb \\u0026 c\\u003d\\u0027d\\u0027 \\u00e9"' in wire


def test_latin1_echo_is_text_in_iso_8859_1(server, client):
    client.add_faults({'endpoint': 'create', 'status': 500, 'echo': True, 'echo_style': 'latin1', 'message': 'Rejected'})
    sent = connection_body(clientSecret=ODD_SECRET)
    answer, wire = raw_answer(server, 'POST', CREATE_PATH, json.dumps(sent).encode(), BEARER)
    assert answer.status == 500 and answer.getheader('Content-Type') == 'text/plain; charset=ISO-8859-1'
    assert wire == ('Rejected: ' + json.dumps(sent, ensure_ascii=False)).encode('latin-1', 'replace')
    assert b'dbx-<b>&a=\'q\'\\"\\\\-\xfcn\xefc\xf8d\xe9-?-?-?' in wire
    with pytest.raises(UnicodeDecodeError):
        wire.decode('utf-8')


@pytest.mark.parametrize('style, encode', [('base64', lambda raw: base64.b64encode(raw).decode('ascii')),
                                           ('hex', lambda raw: raw.hex()), ('escaped', lambda raw: faults.escaped_echo(raw.decode()))])
def test_encoded_echo_spells_the_raw_request_body(server, client, style, encode):
    """As an API gateway hands a Lambda its event.body: the bytes sent, encoded, in the body the rule says."""
    client.add_faults({'endpoint': 'create', 'status': 500, 'echo': True, 'echo_style': style, 'message': 'Rejected'})
    raw = json.dumps(connection_body(clientSecret=ODD_SECRET)).encode()
    answer, wire = raw_answer(server, 'POST', CREATE_PATH, raw, BEARER)
    assert answer.status == 500
    assert json.loads(wire)['errorMessage'] == 'Rejected: ' + encode(raw)


def test_escaped_echo_spells_each_character_in_turn():
    assert faults.escaped_echo('a\u00e9/<b\U0001f511') == '\\u0061%C3%A9&#X2F;<\\u0062%F0%9F%94%91'


def test_latin1_echo_of_the_token_endpoint(server, client):
    client.add_faults({'endpoint': 'token', 'status': 400, 'echo': True, 'echo_style': 'latin1', 'body': 'text', 'message': 'No'})
    headers = {'Authorization': basic('emulator-client', 'gr\u00fcn'), 'Content-Type': 'application/x-www-form-urlencoded'}
    answer, wire = raw_answer(server, 'POST', '/oauth/token', b'grant_type=client_credentials&scope=x', headers)
    assert answer.status == 400
    assert wire == b'No: grant_type=client_credentials&scope=x emulator-client:gr\xfcn'


@pytest.mark.parametrize('rule, token', [
    ({}, 'ABC123\n'), ({'token': 42}, 42), ({'token': None}, None), ({'token': ''}, ''),
    ({'token': {'nested': ['x']}}, {'nested': ['x']}), ({'token': 'tok\u00e9n with spaces'}, 'tok\u00e9n with spaces'),
])
def test_bad_token_bodies(client, rule, token):
    client.add_faults({'endpoint': 'token', 'status': 200, 'body': 'token', **rule})
    answer = client.token()
    assert answer.status == 200 and answer.headers.get('Content-Type') == 'application/json'
    assert answer.json() == {'access_token': token, 'token_type': 'bearer', 'expires_in': 3600}
    assert client.control('GET', 'issued-tokens') == {'tokens': []}
    assert client.token().json()['access_token'] != token


def test_header_drip_sends_headers_one_by_one_before_the_answer(server, client):
    client.add_faults({'endpoint': 'create', 'header_drip': 0.1, 'header_count': 4})
    sock = open_raw(server, CREATE_PATH, json.dumps(connection_body()).encode(), BEARER)
    with sock:
        seen = arrivals(sock)
    whole = seen[-1][1]
    head, body = whole.split(b'\r\n\r\n', 1)
    assert head.startswith(b'HTTP/1.1 200 ')
    assert [line for line in head.split(b'\r\n') if line.startswith(b'X-Drip-')] == [
        b'X-Drip-1: 1', b'X-Drip-2: 2', b'X-Drip-3: 3', b'X-Drip-4: 4']
    assert head.index(b'X-Drip-4') < head.index(b'Content-Type')
    assert json.loads(body)['successful'] is True
    status_at, first, last, end = (first_time(seen, marker) for marker in (b'HTTP/1.1', b'X-Drip-1:', b'X-Drip-4:', b'\r\n\r\n'))
    # Lower bounds the sleeps guarantee: the status line came first, then one header per pause.
    assert first - status_at >= 0.08 and last - first >= 0.25 and end >= last
    assert 'header_drip=0.1x4' in client.requests()[0]['fault']
    assert client.connection()['status'] == 'PENDING'


def test_header_drip_with_a_null_status_drips_the_real_answer(client):
    client.add_faults({'endpoint': 'create', 'status': None, 'header_drip': 0.01, 'header_count': 3})
    answer = client.create()
    assert answer.status == 200 and answer.headers.get('X-Drip-3') == '3'
    assert client.connection()['status'] == 'PENDING'


def test_header_drip_zero_sends_many_headers_at_once(server, client):
    client.add_faults({'endpoint': 'create', 'status': 503, 'header_drip': 0, 'header_count': 101})
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request('POST', CREATE_PATH, json.dumps(connection_body()).encode(), BEARER)
        with pytest.raises(http.client.HTTPException, match='more than 100 headers'):
            connection.getresponse()
    finally:
        connection.close()


def test_huge_body_is_streamed_with_its_content_length(server, client):
    size = 5 * 1000 * 1000
    client.add_faults({'endpoint': 'create', 'status': 500, 'body': 'huge', 'size': size})
    answer, body = raw_answer(server, 'POST', CREATE_PATH, json.dumps(connection_body()).encode(), BEARER)
    assert answer.status == 500 and answer.getheader('Content-Length') == str(size)
    assert len(body) == size and json.loads(body) == {'errorMessage': 'x' * (size - 20)}
    assert max(len(piece) for piece in faults.huge_chunks(size)) <= faults.STREAM_CHUNK
    assert b''.join(faults.huge_chunks(7)) == b'{"error'


def test_gzip_body_is_a_small_bomb_compressed_once(server, client):
    size = 5 * 1024 * 1024
    client.add_faults({'endpoint': 'create', 'status': 500, 'body': 'gzip', 'size': size, 'count': 2})
    hits = faults.gzipped_spaces.cache_info().hits
    bodies = []
    for attempt in range(2):
        answer, body = raw_answer(server, 'POST', CREATE_PATH, json.dumps(connection_body()).encode(), BEARER)
        assert answer.status == 500 and answer.getheader('Content-Encoding') == 'gzip'
        assert answer.getheader('Content-Length') == str(len(body)) and len(body) < size // 500
        bodies.append(body)
    assert bodies[0] == bodies[1] and gzip.decompress(bodies[0]) == b' ' * size
    assert faults.gzipped_spaces.cache_info().hits >= hits + 1


@pytest.mark.parametrize('rule', [
    {'location': 5}, {'location': ''}, {'location': 'http://x/\r\nX-Injected: 1'}, {'location': 'http://x/\u20ac'},
    {'delay': 0.1, 'location': 'http://x/'}, {'status': None, 'location': 'http://x/'}, {'status': 99},
    {'echo_style': 'xml'}, {'echo_style': 'gson', 'body': 'html'},
    {'echo_style': 'latin1', 'body': 'huge'}, {'header_drip': -1}, {'header_drip': 'slow'}, {'header_drip': 1e9},
    {'header_drip': True}, {'header_drip': 0.1, 'header_count': 0}, {'header_drip': 0.1, 'header_count': 1.5},
    {'header_count': 5}, {'body': 'huge', 'size': -1}, {'body': 'gzip', 'size': 2 ** 40}, {'body': 'huge', 'size': '5'},
    {'size': 10}, {'token': 'x'}, {'body': 'bomb'},
])
def test_invalid_hostile_rules_are_rejected(client, rule):
    answer = client.call('POST', '/_emulator/faults', {'rules': [rule]})
    assert answer.status == 400, rule
    assert answer.json()['errorMessage'].startswith(('Invalid fault rule', 'Unknown fault rule'))
    assert client.control('GET', 'faults') == {'rules': []}


def test_valid_hostile_rules_are_listed_with_their_settings(client):
    rules = [{'status': 307, 'location': 'http://127.0.0.2:9/x', 'body': 'empty'},
             {'status': 401, 'echo': True, 'echo_style': 'gson'}, {'status': 400, 'echo_style': 'latin1', 'body': 'text'},
             {'endpoint': 'token', 'status': 200, 'body': 'token', 'token': {'a': 1}},
             {'header_drip': 0, 'header_count': 1}, {'status': 500, 'body': 'gzip', 'size': 0}, {'status': 500, 'body': 'huge'}]
    listed = client.add_faults(*rules)['rules']
    for given, shown in zip(rules, listed):
        assert {key: shown[key] for key in given} == given
    assert listed[4]['status'] is None
    assert (listed[1]['body'], listed[6]['size'], listed[0]['header_drip']) == ('json', 200 * 1024 * 1024, None)
