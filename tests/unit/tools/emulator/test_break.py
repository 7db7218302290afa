# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of ``POST /_emulator/break``: a stored connection that passed its test fails it after a break."""

from __future__ import annotations

import pytest

from .helpers import (
    SP_ID,
    SP_SECRET,
    TENANT,
    WAREHOUSE_ID,
    assert_reltio_error,
    databricks_world,
)

PERMISSION_DENIED = f'PERMISSION_DENIED: Service principal {SP_ID} does not have CAN USE permission on warehouse {WAREHOUSE_ID}.'
DELETED = f'Warehouse {WAREHOUSE_ID} is deleted.'


def break_it(reltio, how, name='conn-1', **extra):
    answer = reltio.call('POST', '/_emulator/break', {'tenant': TENANT, 'connection_name': name, 'how': how, **extra})
    return answer


def healthy_workspace_connection(dbx, name='conn-1'):
    dbx.reltio.databricks(databricks_world())
    body = {'workspaceUrl': dbx.server.workspace_url, 'warehouseId': WAREHOUSE_ID, 'clientId': SP_ID, 'clientSecret': SP_SECRET}
    assert dbx.reltio.create(name, **body).status == 200
    assert dbx.reltio.run_test(name).json()['data']['connected'] is True


@pytest.mark.parametrize('how, message', [
    ('rotate_secret', 'invalid_client: Client authentication failed'),
    ('revoke_grant', PERMISSION_DENIED),
    ('delete_warehouse', DELETED),
])
def test_a_break_changes_the_workspace_and_the_test_follows(dbx, how, message):
    healthy_workspace_connection(dbx)
    answer = break_it(dbx.reltio, how)
    assert answer.status == 200, answer.body
    assert answer.json() == {'tenant': TENANT, 'connection_name': 'conn-1', 'how': how, 'workspace_changed': True,
                             'next_test': {'connected': False, 'message': message}}
    assert dbx.reltio.run_test().json()['data'] == {'connected': False, 'message': message, 'databaseType': 'DATABRICKS'}
    workspace = dbx.reltio.databricks(method='GET')
    (warehouse,) = workspace['warehouses']
    assert (SP_ID in warehouse['grants']) is (how != 'revoke_grant')
    assert (warehouse['state'] == 'DELETED') is (how == 'delete_warehouse')
    # The status a passing test set stays: Reltio documents no FAILED status.
    assert dbx.reltio.connection()['status'] == 'ACTIVE'


def test_a_rotated_secret_is_healed_by_storing_the_new_one(dbx):
    healthy_workspace_connection(dbx)
    assert break_it(dbx.reltio, 'rotate_secret', new_secret='rotated-sp-secret').status == 200
    assert dbx.workspace.token(SP_ID, SP_SECRET).status == 401
    assert dbx.workspace.token(SP_ID, 'rotated-sp-secret').status == 200
    assert dbx.reltio.run_test().json()['data']['connected'] is False
    assert dbx.reltio.store_credentials('conn-1', {'clientId': SP_ID, 'clientSecret': 'rotated-sp-secret'}).status == 200
    assert dbx.reltio.run_test().json()['data']['connected'] is True


def test_a_random_rotation_is_not_the_old_secret(dbx):
    healthy_workspace_connection(dbx)
    before = dbx.reltio.databricks(method='GET')['service_principals']
    assert break_it(dbx.reltio, 'rotate_secret').status == 200
    after = dbx.reltio.databricks(method='GET')['service_principals']
    assert [p['client_secret_sha256'] for p in before if p['client_id'] == SP_ID] != \
           [p['client_secret_sha256'] for p in after if p['client_id'] == SP_ID]


def test_a_workspace_break_breaks_every_connection_that_shares_it(dbx):
    healthy_workspace_connection(dbx)
    body = {'workspaceUrl': dbx.server.workspace_url, 'warehouseId': WAREHOUSE_ID, 'clientId': SP_ID, 'clientSecret': SP_SECRET}
    assert dbx.reltio.create('conn-1', tenant='tenantB', **body).status == 200
    assert break_it(dbx.reltio, 'delete_warehouse').status == 200
    answer = dbx.reltio.api('database-configs/conn-1/test', tenant='tenantB').json()['data']
    assert answer['message'] == DELETED


@pytest.mark.parametrize('how, message', [
    ('rotate_secret', 'Databricks rejected the OAuth client credentials'),
    ('revoke_grant', 'PERMISSION_DENIED: Service principal sp-client-id does not have CAN USE permission on warehouse ab1c2d3ef5g6h7i8.'),
    ('delete_warehouse', 'Warehouse ab1c2d3ef5g6h7i8 is deleted.'),
])
def test_a_connection_to_another_workspace_is_marked(client, how, message):
    client.create()
    client.create('conn-2')
    assert client.run_test().json()['data']['connected'] is True
    answer = break_it(client, how)
    assert answer.status == 200, answer.body
    assert answer.json()['workspace_changed'] is False
    assert answer.json()['next_test'] == {'connected': False, 'message': message}
    assert client.run_test().json()['data'] == {'connected': False, 'message': message, 'databaseType': 'DATABRICKS'}
    assert client.run_test('conn-2').json()['data']['connected'] is True


def test_storing_credentials_undoes_only_a_rotation(client):
    client.create()
    break_it(client, 'rotate_secret')
    assert client.store_credentials('conn-1', {'clientId': 'sp-client-id', 'clientSecret': 'new-secret'}).status == 200
    assert client.run_test().json()['data']['connected'] is True
    break_it(client, 'revoke_grant')
    assert client.store_credentials('conn-1', {'clientId': 'sp-client-id', 'clientSecret': 'newer-secret'}).status == 200
    assert client.run_test().json()['data']['message'].startswith('PERMISSION_DENIED: ')


def test_marks_are_kept_in_the_state_file(tmp_path):
    from emulator import EmulatorConfig, EmulatorState  # pylint: disable=import-outside-toplevel
    path = str(tmp_path / 'state.json')
    state = EmulatorState(EmulatorConfig(), path)
    state.create_connection(TENANT, {'connectionName': 'c', 'workspaceUrl': 'https://adb-1.azuredatabricks.net',
                                     'warehouseId': 'w', 'clientId': 'i', 'clientSecret': 's'})
    state.break_connection({'tenant': TENANT, 'connection_name': 'c', 'how': 'delete_warehouse'})
    reloaded = EmulatorState(EmulatorConfig(), path)
    assert reloaded.test_connection(TENANT, 'c')['data'] == {'connected': False, 'message': 'Warehouse w is deleted.',
                                                             'databaseType': 'DATABRICKS'}


def test_an_unknown_connection_is_a_reltio_404(client):
    assert_reltio_error(break_it(client, 'revoke_grant', name='nope'), 404, 'Database configuration nope not found')


@pytest.mark.parametrize('body, status', [
    ({'tenant': TENANT, 'connection_name': 'conn-1', 'how': 'drop_table'}, 400),
    ({'tenant': TENANT, 'connection_name': 'conn-1'}, 400),
    ({'tenant': TENANT, 'how': 'revoke_grant'}, 400),
    ({'tenant': TENANT, 'connection_name': 'conn-1', 'how': 'revoke_grant', 'new_secret': 'x'}, 400),
    ({'tenant': TENANT, 'connection_name': 'conn-1', 'how': 'rotate_secret', 'new_secret': 'x'}, 400),
    ({'tenant': TENANT, 'connection_name': 'conn-1', 'how': 'revoke_grant', 'other': 1}, 400),
])
def test_bad_breaks_change_nothing(client, body, status):
    client.create()
    before = client.control('GET', 'state')
    assert client.call('POST', '/_emulator/break', body).status == status
    assert client.control('GET', 'state') == before
    assert client.run_test().json()['data']['connected'] is True


def test_a_workspace_break_needs_the_principal_or_warehouse(dbx):
    body = {'workspaceUrl': dbx.server.workspace_url, 'warehouseId': WAREHOUSE_ID, 'clientId': SP_ID, 'clientSecret': SP_SECRET}
    assert dbx.reltio.create('conn-1', **body).status == 200
    for how in ('rotate_secret', 'revoke_grant', 'delete_warehouse'):
        answer = break_it(dbx.reltio, how)
        assert answer.status == 400
        assert answer.json()['errorMessage'] in (f'No service principal {SP_ID} in the workspace',
                                                 f'No warehouse {WAREHOUSE_ID} in the workspace')


def test_only_post(client):
    assert client.call('GET', '/_emulator/break').status == 405
