# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""reltio_databricks_connection_info against the emulator, on both execution paths.

A fleet of tenants of mixed health (healthy, failing for each way a connection breaks, missing, error) in one
run: each gets its status, no create or store request reaches Reltio, and nothing is changed, in check mode too.
"""

from __future__ import annotations

import json
import socket

import pytest

from reltio_world import DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET, RELTIO_CLIENT_ID, RELTIO_TOKEN, WAREHOUSE_ID

MODULE = "reltio.platform.reltio_databricks_connection_info"
NAME = "databricks-connection-01"
WRITES = ("create", "credentials")


def fleet(emulator, prefix):
    """Tenants ``{prefix}-<case>`` in each state, and the (status, exists, connected, message) each must get."""
    emulator.create_connection("%s-healthy" % prefix, NAME)
    expected = {"%s-healthy" % prefix: ("healthy", True, True, "Connection successful")}
    breaks = {
        "secret": ("rotate_secret", "Databricks rejected the OAuth client credentials"),
        "grant": ("revoke_grant", "PERMISSION_DENIED: Service principal %s does not have CAN USE permission on warehouse %s."
                  % (DATABRICKS_CLIENT_ID, WAREHOUSE_ID)),
        "warehouse": ("delete_warehouse", "Warehouse %s is deleted." % WAREHOUSE_ID),
    }
    for case, (how, message) in breaks.items():
        emulator.create_connection("%s-%s" % (prefix, case), NAME)
        emulator.break_connection("%s-%s" % (prefix, case), NAME, how)
        expected["%s-%s" % (prefix, case)] = ("failing", True, False, message)
    # Created with a secret Databricks refuses: never passed a test, still PENDING.
    emulator.create_connection("%s-pending" % prefix, NAME, client_secret="invalid-" + DATABRICKS_CLIENT_SECRET)
    expected["%s-pending" % prefix] = ("failing", True, False, "Databricks rejected the OAuth client credentials")
    expected["%s-missing" % prefix] = ("missing", False, None, "Database configuration %s not found" % NAME)
    # Reltio answers 200 with something that is not a test result.
    emulator.create_connection("%s-error" % prefix, NAME)
    emulator.faults({"endpoint": "test", "tenant": "%s-error" % prefix, "status": 200, "body": "json",
                     "message": "Unexpected gateway answer", "count": -1})
    expected["%s-error" % prefix] = ("error", None, None, "without a 'connected' field")
    return expected


def play(tenants, extra=""):
    items = json.dumps(sorted(tenants))
    return """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: check
      %s:
        tenant_id: "{{ item }}"
        connection_name: %s
        %s
      loop: %s
      register: health
""" % (MODULE, NAME, extra, items)


def test_a_mixed_fleet_gets_each_status_and_nothing_is_written(ansible, emulator, tenant):
    """Two fleets in one play: one checked as is, the other in check mode (the task's check_mode)."""
    fleets = {"check": fleet(emulator, tenant + "run"), "check in check mode": fleet(emulator, tenant + "dry")}
    before = emulator.last_seq()
    stored_before = emulator.state()
    tasks = [{"name": name, MODULE: {"tenant_id": "{{ item }}", "connection_name": NAME}, "loop": sorted(expected),
              "check_mode": name == "check in check mode"} for name, expected in fleets.items()]
    run = ansible.playbook(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]),
                           env=ansible.reltio_env(tenant))
    assert run.rc == 0, run.output
    assert run.recap() == dict(run.recap(), changed=0, failed=0)
    for task, expected in fleets.items():
        results = dict((item["item"], item) for item in run.task(task, action=None)["results"])
        assert set(results) == set(expected)
        for name, (status, exists, connected, said) in expected.items():
            result = results[name]
            assert (result["status"], result["exists"], result["connected"], result["changed"]) == (status, exists, connected, False), name
            assert said in result["message"], (name, result["message"])
            assert result["checked_at"].endswith("Z") and result["tenant_id"] == name
            assert result.get("failed", False) is False
    after = [entry for entry in emulator.requests() if entry["seq"] > before]
    assert [entry for entry in after if entry["endpoint"] in WRITES] == []
    assert sorted(entry["tenant"] for entry in after if entry["endpoint"] == "test") == sorted(
        name for expected in fleets.values() for name in expected)
    # Only the test's own bookkeeping changed: no connection added or removed, no credentials stored.
    stored_after = emulator.state()
    assert {t: set(c) for t, c in stored_after.items()} == {t: set(c) for t, c in stored_before.items()}
    assert all(connection["credentialUpdates"] == 0 for connections in stored_after.values() for connection in connections.values())


def test_a_refused_token_or_an_unreachable_reltio_fails_the_task(ansible, emulator, tenant):
    """Two cases, a task and a tenant each, in one play."""
    refused, unreachable = tenant + "refused", tenant + "unreachable"
    emulator.create_connection(refused, NAME)
    ansible.add_secret("a token of no emulator", "not-a-token-of-this-emulator")
    tasks = [{"name": "refused token", MODULE: {"connection_name": NAME}, "ignore_errors": True,
              "environment": dict(ansible.reltio_env(refused), RELTIO_ACCESS_TOKEN="not-a-token-of-this-emulator")},
             {"name": "unreachable", MODULE: {"connection_name": NAME, "retries": 0, "timeout": 2}, "ignore_errors": True,
              "environment": dict(ansible.reltio_env(unreachable), RELTIO_PLATFORM_URL="http://127.0.0.1:9")}]
    run = ansible.playbook(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    assert set(run.failed_messages()) == {"refused token", "unreachable"}, run.output
    result = run.task("refused token", action=None)
    assert result["http_status"] == 401
    assert "status" not in result
    assert "Invalid or missing access token" in result["msg"]
    assert "127.0.0.1:9" in run.task("unreachable", action=None)["msg"]


def test_client_credentials_fetch_one_token_for_a_loop(ansible, emulator, tenant, execution):
    names = ["%s-%d" % (tenant, number) for number in range(3)]
    for name in names:
        emulator.create_connection(name, NAME)
    env = ansible.reltio_env(tenant, auth="client")
    run = ansible.playbook(play(names), env=env)
    assert run.rc == 0, run.output
    assert [item["status"] for item in run.task("check", action=None)["results"]] == ["healthy"] * 3
    tokens = emulator.requests("token")
    # The controller keeps one token for the loop's items; each module on the target fetches its own.
    assert len(tokens) == (1 if execution == "controller" else 3)


@pytest.fixture
def workspace(emulator):
    emulator.databricks(service_principals=[{"client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def test_preflight_tells_a_rotated_secret_from_a_broken_warehouse(ansible, emulator, tenant, workspace, workspace_ca):
    emulator.create_connection(tenant, NAME, workspace_url=workspace)
    before = emulator.last_seq()
    rotated = "dbx-rotated-secret-Pz7Kq2Lw9"
    ansible.add_secret("rotated Databricks secret", rotated)
    emulator.break_connection(tenant, NAME, "rotate_secret", new_secret=rotated)
    env = dict(ansible.reltio_env(tenant), **ansible.databricks_env())
    env.update(DATABRICKS_HOST=workspace, DATABRICKS_CLIENT_SECRET=rotated)
    args = "connection_name=%s preflight=true ca_path=%s" % (NAME, workspace_ca.ca_path)
    run = ansible.adhoc(args, env=env, module=MODULE)
    assert run.rc == 0, run.output
    result = run.task(action=MODULE.rsplit(".", 1)[1])
    assert (result["status"], result["preflight"]["passed"], result["preflight"]["warehouse_state"]) == ("failing", True, "RUNNING")
    assert "store them with reltio.platform.reltio_databricks_connection and test_connection: true" in result["msg"]

    emulator.break_connection(tenant, NAME, "delete_warehouse")
    run = ansible.adhoc(args, env=env, module=MODULE)
    assert run.rc == 0, run.output
    result = run.task(action=MODULE.rsplit(".", 1)[1])
    assert result["status"] == "failing" and result["preflight"]["passed"] is False
    assert "DELETED" in result["preflight"]["message"]
    assert [entry for entry in emulator.requests() if entry["seq"] > before and entry["endpoint"] in WRITES] == []


def test_module_defaults_of_the_group_apply(ansible, emulator, tenant):
    emulator.create_connection(tenant, NAME)
    text = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/reltio.platform.reltio:
      platform_url: %s
      tenant_id: %s
      connection_name: %s
      update_secret: always
      test_connection: true
  tasks:
    - name: check
      %s: {}
      register: health
""" % (emulator.url, tenant, NAME, MODULE)
    run = ansible.playbook(text, env={"RELTIO_ACCESS_TOKEN": RELTIO_TOKEN})
    assert run.rc == 0, run.output
    assert run.task("check", action=None)["status"] == "healthy"
    assert emulator.requests("credentials") == []


# ansible-doc runs no task: once, not once a path.
@pytest.mark.parametrize("execution", ["auto"], indirect=True)
def test_ansible_doc_documents_the_module_and_the_role(ansible):
    run = ansible.run(["ansible-doc", "--json", MODULE])
    assert run.rc == 0, run.output
    doc = json.loads(run.stdout)[MODULE]
    options = doc["doc"]["options"]
    # Required by the module's own check, but for a list of connections whose entries give theirs.
    assert "required" not in options["connection_name"] and "O(connections)" in options["connection_name"]["description"][0]
    assert (options["connections"]["type"], options["connections"]["elements"]) == ("list", "dict")
    for name in ("workspace_url", "warehouse_id", "client_id", "client_secret"):
        assert "required" not in options[name] and "Needed only with O(preflight=true)." in options[name]["description"], name
    assert {"platform_url", "tenant_id", "access_token", "execution", "update_secret", "test_connection"} <= set(options)
    assert {"status", "exists", "connected", "message", "checked_at", "preflight", "http_status"} <= set(doc["return"])
    assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"
    role = ansible.run(["ansible-doc", "-t", "role", "--json", "reltio.platform.connection_health"])
    assert role.rc == 0, role.output
    (documented,) = json.loads(role.stdout).values()
    entry = documented["entry_points"]["main"]
    assert {"connection_health_report_dir", "connection_health_fail_on_unhealthy", "databricks_connection_name"} <= set(entry["options"])


@pytest.fixture
def full_server():
    """A loopback port whose backlog is full and never accepted: a connection to it is not made in time, as to a host
    whose firewall drops it."""
    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued = [socket.socket() for place in range(4)]
    for client in queued:
        client.setblocking(False)
        client.connect_ex(server.getsockname())
    yield "http://127.0.0.1:%d" % server.getsockname()[1]
    for client in queued:
        client.close()
    server.close()


def test_a_list_tries_a_platform_that_cannot_be_connected_to_once_and_checks_the_others(ansible, emulator, tenant, full_server):
    """A lane at a platform that is down took its timeout and retries once a tenant (hours for a thousand)."""
    emulator.create_connection(tenant, NAME)
    entries = [{"tenant_id": "%s-%d" % (tenant, number), "platform_url": full_server} for number in range(3)]
    run = ansible.playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: check
      %s:
        connection_name: %s
        timeout: 1
        retries: 0
        connections: %s
""" % (MODULE, NAME, json.dumps(entries + [{"tenant_id": tenant}])), env=ansible.reltio_env(tenant))
    assert run.rc != 0
    result = run.task("check", action=None)
    results = result["connections"]
    assert [(entry["tenant_id"], entry.get("status"), entry["reason_code"]) for entry in results] == [
        (entry["tenant_id"], None, "timeout") for entry in entries] + [(tenant, "healthy", "ok")]
    assert [entry["msg"].startswith("Not tried: platform_url could not be reached") for entry in results[:3]] == [False, True, True]
    assert result["msg"].startswith("4 connections: 1 healthy, 0 failing, 0 missing, 0 error, 3 could not be checked")


def test_the_edges_of_a_list_refused_credentials_an_empty_list_and_a_connection_listed_twice(ansible, emulator, tenant):
    """Each entry asked the token endpoint again with the credentials it had just refused (a lockout risk): 50
    entries, 50 token requests. The credentials are the task's: the first refusal stands for every entry. An empty
    list checks nothing and says so; a connection listed twice is refused before any request."""
    wrong_secret = "refused-reltio-secret-4Hq9"
    ansible.add_secret("the refused Reltio client secret", wrong_secret)
    entries = [{"tenant_id": "%s-%d" % (tenant, number)} for number in range(3)]
    run = ansible.playbook("""
- hosts: localhost
  gather_facts: false
  module_defaults:
    %s: {platform_url: %s, auth_url: %s, reltio_client_id: %s, reltio_client_secret: %s, connection_name: %s, retries: 0}
  tasks:
    - name: check
      %s:
        connections: %s
      ignore_errors: true
    - name: empty
      %s:
        connections: []
    - name: twice
      %s:
        connections: %s
      ignore_errors: true
""" % (MODULE, emulator.url, emulator.token_url, RELTIO_CLIENT_ID, wrong_secret, NAME, MODULE, json.dumps(entries), MODULE,
       MODULE, json.dumps(entries[:2] + entries[:1])))
    results = run.task("check", action=None)["connections"]
    assert [(entry["tenant_id"], entry["reason_code"], entry.get("http_status")) for entry in results] == [
        (entry["tenant_id"], "reltio_auth", 401) for entry in entries], results
    assert [entry["msg"].startswith("Not tried: the client credentials were refused") for entry in results] == [False, True, True]
    assert len(emulator.requests("token")) == 1
    empty = run.task("empty", action=None)
    assert (empty["connections"], empty["reason_code"], empty.get("failed", False)) == ([], "ok", False)
    assert "connections is an empty list: no connection was checked." in run.output
    assert run.failed_messages()["twice"] == (
        "Invalid arguments: connections[2] names the same connection as connections[0] (tenant_id %s-0, connection_name %s):"
        " list each connection once." % (tenant, NAME))
    assert emulator.requests("test") == []
