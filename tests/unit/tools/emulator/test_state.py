# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.state: the state file (connections persist, no client secret in it)."""

from __future__ import annotations

import hashlib
import json
import uuid

from emulator import EmulatorConfig, ReltioEmulator

from .helpers import ODD_SECRET, STATIC_TOKEN, TENANT, Client, sha256


def test_state_file_persists_connections(tmp_path):
    state_file = tmp_path / 'state.json'
    with ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as first:
        assert Client(first.url).create().status == 200
    saved = json.loads(state_file.read_text())
    assert saved['tenants'][TENANT]['conn-1']['clientSecretSha256'] == hashlib.sha256(b'sp-client-secret').hexdigest()
    with ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as second:
        restarted = Client(second.url)
        assert restarted.connection()['status'] == 'PENDING'
        assert restarted.create().status == 400


def test_state_file_never_holds_a_client_secret(tmp_path):
    state_file = tmp_path / 'state.json'
    rejected, rotated = 'invalid-' + ODD_SECRET, 'rotated-' + ODD_SECRET
    with ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as first:
        writer = Client(first.url)
        assert writer.create(clientSecret=ODD_SECRET).status == 200
        assert writer.create('conn-2', clientSecret='first-secret').status == 200
        assert writer.store_credentials('conn-2', {'clientId': 'id-2', 'clientSecret': rotated}).status == 200
        assert writer.create(tenant='tenantB', clientSecret=rejected).status == 200
    text = state_file.read_text(encoding='utf-8')
    for secret in (ODD_SECRET, rejected, rotated, 'first-secret'):
        for spelling in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
            assert spelling not in text, spelling
    assert '"clientSecret"' not in text
    saved = json.loads(text)['tenants']
    assert saved[TENANT]['conn-1']['clientSecretSha256'] == sha256(ODD_SECRET)
    assert saved[TENANT]['conn-2']['clientSecretSha256'] == sha256(rotated)
    with ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as second:
        reader = Client(second.url)
        assert reader.run_test().json()['data']['connected'] is True
        answer = reader.api('database-configs/conn-1/test', tenant='tenantB')
        assert answer.json()['data']['message'] == 'Databricks rejected the OAuth client credentials'
        view = reader.connection('conn-1', 'tenantB')
        assert view['clientSecretSha256'] == sha256(rejected) and 'credentialsRejected' not in view
        assert reader.connection('conn-2')['clientId'] == 'id-2'


def test_state_file_with_a_clear_secret_from_older_versions_still_loads(tmp_path):
    state_file = tmp_path / 'state.json'
    old = {'connectionId': str(uuid.uuid4()), 'connectionName': 'old', 'workspaceUrl': 'https://adb-1.azuredatabricks.net',
           'warehouseId': 'w1', 'clientId': 'c1', 'clientSecret': 'invalid-old-secret', 'status': 'PENDING',
           'createdAt': 1, 'credentialUpdates': 0, 'tests': 0}
    state_file.write_text(json.dumps({'tenants': {TENANT: {'old': old}}}))
    with ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN]), state_file=str(state_file)) as server:
        reader = Client(server.url)
        view = reader.connection('old')
        assert view['clientSecretSha256'] == sha256('invalid-old-secret') and 'clientSecret' not in view
        assert reader.run_test('old').json()['data']['connected'] is False
    assert 'invalid-old-secret' not in state_file.read_text()
