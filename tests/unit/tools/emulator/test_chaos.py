# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.chaos: seeded random faults."""

from __future__ import annotations

import http.client
import json

import pytest
from emulator import CHAOS_KINDS

from .helpers import STATIC_TOKEN, TENANT, connection_body, wait_idle


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
    # The last answer is counted in flight until its handler returns, just after the client has read it.
    wait_idle(client)
    stats = client.control('GET', 'stats')
    assert stats == {'requests': 5, 'in_flight': 0, 'faults': 3, 'faults_by_kind': {'504': 3},
                     'commits': {'tenantA': {'conn-1': 1}}}
    assert client.control('DELETE', 'chaos') == {'chaos': None}
    assert client.create(tenant='tenantB').status == 200
    client.control('POST', 'chaos', {'seed': 1, 'rate': 0})
    assert _create_statuses(client, 'tenantB', 4, prefix='z') == [200] * 4


@pytest.mark.parametrize('kind', sorted(CHAOS_KINDS))
def test_every_chaos_kind_does_what_it_says(client, server, kind):
    spec = CHAOS_KINDS[kind]
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


def test_reset_turns_chaos_off_and_clears_stats(client):
    client.control('POST', 'chaos', {'seed': 5, 'rate': 1, 'kinds': ['500']})
    assert client.create().status == 500
    wait_idle(client)
    client.control('POST', 'reset')
    assert client.control('GET', 'chaos') == {'chaos': None}
    assert client.control('GET', 'stats') == {'requests': 0, 'in_flight': 0, 'faults': 0, 'faults_by_kind': {}, 'commits': {}}
    assert client.create().status == 200
