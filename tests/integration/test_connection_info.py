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
OTHER_WAREHOUSE_ID = "ab1c2d3ef5g6h7i9"


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


def test_a_mixed_fleet_gets_each_status_and_nothing_is_written_and_the_group_module_defaults_apply(ansible, emulator, tenant):
    """Two fleets in one play: one checked a loop item a tenant, the other in check mode (the task's check_mode) as one
    list of ``connections``; then a play whose module_defaults of the group give every option, the connection module's
    too (update_secret, test_connection: nothing is stored)."""
    fleets = {"check": fleet(emulator, tenant + "run"), "check in check mode": fleet(emulator, tenant + "dry")}
    emulator.create_connection(tenant, NAME)
    before = emulator.last_seq()
    stored_before = emulator.state()
    # Check mode takes the same path for one connection and for a list (execute, then run, per connection); the list is
    # one module execution on the target path where a loop is one per tenant (about half a CPU-second each).
    tasks = [{"name": "check", MODULE: {"platform_url": emulator.url, "tenant_id": "{{ item }}", "connection_name": NAME},
              "loop": sorted(fleets["check"])},
             {"name": "check in check mode", MODULE: {"platform_url": emulator.url, "connection_name": NAME, "connections": [
                 {"tenant_id": name} for name in sorted(fleets["check in check mode"])]}, "check_mode": True}]
    defaults = {"group/reltio.platform.reltio": {"platform_url": emulator.url, "tenant_id": tenant, "connection_name": NAME,
                                                 "update_secret": "always", "test_connection": True}}
    plays = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks},
             {"hosts": "localhost", "gather_facts": False, "module_defaults": defaults,
              "tasks": [{"name": "check with the group's defaults", MODULE: {}}]}]
    # Only the token in the environment: the second play's URL and tenant can come from its module_defaults alone.
    run = ansible.playbook(json.dumps(plays), env={"RELTIO_ACCESS_TOKEN": RELTIO_TOKEN})
    assert run.rc == 0, run.output
    assert run.recap() == dict(run.recap(), changed=0, failed=0)
    checked = {"check": dict((item["item"], item) for item in run.task("check", action=None)["results"]),
               "check in check mode": dict((entry["tenant_id"], entry) for entry in run.task("check in check mode", action=None)["connections"])}
    assert run.task("check in check mode", action=None)["msg"] == "7 connections: 1 healthy, 4 failing, 1 missing, 1 error."
    for task, expected in fleets.items():
        results = checked[task]
        assert set(results) == set(expected)
        for name, (status, exists, connected, said) in expected.items():
            result = results[name]
            assert (result["status"], result["exists"], result["connected"], result["changed"]) == (status, exists, connected, False), name
            assert said in result["message"], (name, result["message"])
            assert result["checked_at"].endswith("Z") and result["tenant_id"] == name
            assert result.get("failed", False) is False
    assert run.task("check with the group's defaults", action=None)["status"] == "healthy"
    after = [entry for entry in emulator.requests() if entry["seq"] > before]
    assert [entry for entry in after if entry["endpoint"] in WRITES] == []
    assert sorted(entry["tenant"] for entry in after if entry["endpoint"] == "test") == sorted(
        [name for expected in fleets.values() for name in expected] + [tenant])
    # Only the test's own bookkeeping changed: no connection added or removed, no credentials stored.
    stored_after = emulator.state()
    assert {t: set(c) for t, c in stored_after.items()} == {t: set(c) for t, c in stored_before.items()}
    assert all(connection["credentialUpdates"] == 0 for connections in stored_after.values() for connection in connections.values())


def test_client_credentials_fetch_one_token_for_a_loop(ansible, emulator, tenant, execution):
    # Two items tell one token for the loop from one an item: a third would cost another module run on the target.
    names = ["%s-%d" % (tenant, number) for number in range(2)]
    for name in names:
        emulator.create_connection(name, NAME)
    env = ansible.reltio_env(tenant, auth="client")
    run = ansible.playbook(play(names), env=env)
    assert run.rc == 0, run.output
    assert [item["status"] for item in run.task("check", action=None)["results"]] == ["healthy"] * 2
    tokens = emulator.requests("token")
    # The controller keeps one token for the loop's items; each module on the target fetches its own.
    assert len(tokens) == (1 if execution == "controller" else 2)


@pytest.fixture
def workspace(emulator):
    emulator.databricks(service_principals=[{"client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def test_preflight_tells_a_rotated_secret_from_a_broken_warehouse(ansible, emulator, tenant, workspace, workspace_ca):
    """A task a case, in one play: a tenant whose connection Reltio holds an old secret for (the warehouse is fine), and
    one whose warehouse (another, of the same workspace) was deleted besides."""
    rotated_tenant, deleted_tenant = tenant + "rotated", tenant + "deleted"
    emulator.databricks(warehouses=[{"id": OTHER_WAREHOUSE_ID, "name": "Reltio Zero-Copy 2", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    emulator.create_connection(rotated_tenant, NAME, workspace_url=workspace)
    emulator.create_connection(deleted_tenant, NAME, workspace_url=workspace, warehouse_id=OTHER_WAREHOUSE_ID)
    before = emulator.last_seq()
    rotated = "dbx-rotated-secret-Pz7Kq2Lw9"
    ansible.add_secret("rotated Databricks secret", rotated)
    # The principal is the workspace's: its secret is rotated for both tenants' connections.
    emulator.break_connection(rotated_tenant, NAME, "rotate_secret", new_secret=rotated)
    emulator.break_connection(deleted_tenant, NAME, "delete_warehouse")
    env = dict(ansible.reltio_env(tenant), **ansible.databricks_env())
    env.update(DATABRICKS_HOST=workspace, DATABRICKS_CLIENT_SECRET=rotated)
    arguments = {"connection_name": NAME, "preflight": True, "ca_path": workspace_ca.ca_path}
    tasks = [{"name": "rotated", MODULE: dict(arguments, tenant_id=rotated_tenant)},
             {"name": "deleted", MODULE: dict(arguments, tenant_id=deleted_tenant, warehouse_id=OTHER_WAREHOUSE_ID)}]
    run = ansible.playbook(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]), env=env)
    assert run.rc == 0, run.output
    result = run.task("rotated", action=None)
    assert (result["status"], result["preflight"]["passed"], result["preflight"]["warehouse_state"]) == ("failing", True, "RUNNING")
    assert "store them with reltio.platform.reltio_databricks_connection and test_connection: true" in result["msg"]

    result = run.task("deleted", action=None)
    assert result["status"] == "failing" and result["preflight"]["passed"] is False
    assert "DELETED" in result["preflight"]["message"]
    assert [entry for entry in emulator.requests() if entry["seq"] > before and entry["endpoint"] in WRITES] == []


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


def test_what_fails_a_task_or_the_entries_of_a_list(ansible, emulator, tenant, full_server):
    """A play a case group, in one run (each task ignore_errors, each case its own tenants).

    A refused token or an unreachable Reltio fails the task. A lane at a platform that is down took its timeout and
    retries once a tenant (hours for a thousand): it is tried once and the others are checked. Each entry asked the
    token endpoint again with the credentials it had just refused (a lockout risk): 50 entries, 50 token requests. The
    credentials are the task's: the first refusal stands for every entry. An empty list checks nothing and says so; a
    connection listed twice is refused before any request."""
    refused, unreachable, healthy = tenant + "refused", tenant + "unreachable", tenant + "healthy"
    emulator.create_connection(refused, NAME)
    emulator.create_connection(healthy, NAME)
    ansible.add_secret("a token of no emulator", "not-a-token-of-this-emulator")
    wrong_secret = "refused-reltio-secret-4Hq9"
    ansible.add_secret("the refused Reltio client secret", wrong_secret)
    down = [{"tenant_id": "%s-down-%d" % (tenant, number), "platform_url": full_server} for number in range(3)]
    entries = [{"tenant_id": "%s-%d" % (tenant, number)} for number in range(3)]
    failing = [
        {"name": "refused token", MODULE: {"connection_name": NAME}, "ignore_errors": True,
         "environment": dict(ansible.reltio_env(refused), RELTIO_ACCESS_TOKEN="not-a-token-of-this-emulator")},
        {"name": "unreachable", MODULE: {"connection_name": NAME, "retries": 0, "timeout": 2}, "ignore_errors": True,
         "environment": dict(ansible.reltio_env(unreachable), RELTIO_PLATFORM_URL="http://127.0.0.1:9")},
        {"name": "platform down", MODULE: {"connection_name": NAME, "timeout": 1, "retries": 0, "connections": down + [{"tenant_id": healthy}]},
         "ignore_errors": True, "environment": ansible.reltio_env(healthy)},
    ]
    edges = [
        {"name": "check", MODULE: {"connections": entries}, "ignore_errors": True},
        {"name": "empty", MODULE: {"connections": []}},
        {"name": "twice", MODULE: {"connections": entries[:2] + entries[:1]}, "ignore_errors": True},
    ]
    defaults = {MODULE: {"platform_url": emulator.url, "auth_url": emulator.token_url, "reltio_client_id": RELTIO_CLIENT_ID,
                         "reltio_client_secret": wrong_secret, "connection_name": NAME, "retries": 0}}
    run = ansible.playbook(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": failing},
                                       {"hosts": "localhost", "gather_facts": False, "module_defaults": defaults, "tasks": edges}]))
    assert set(run.failed_messages()) == {"refused token", "unreachable", "platform down", "check", "twice"}, run.output

    result = run.task("refused token", action=None)
    assert result["http_status"] == 401
    assert "status" not in result
    assert "Invalid or missing access token" in result["msg"]
    assert "127.0.0.1:9" in run.task("unreachable", action=None)["msg"]

    result = run.task("platform down", action=None)
    results = result["connections"]
    assert [(entry["tenant_id"], entry.get("status"), entry["reason_code"]) for entry in results] == [
        (entry["tenant_id"], None, "timeout") for entry in down] + [(healthy, "healthy", "ok")]
    assert [entry["msg"].startswith("Not tried: platform_url could not be reached") for entry in results[:3]] == [False, True, True]
    assert result["msg"].startswith("4 connections: 1 healthy, 0 failing, 0 missing, 0 error, 3 could not be checked")

    results = run.task("check", action=None)["connections"]
    assert [(entry["tenant_id"], entry["reason_code"], entry.get("http_status")) for entry in results] == [
        (entry["tenant_id"], "reltio_auth", 401) for entry in entries], results
    assert [entry["msg"].startswith("Not tried: the client credentials were refused") for entry in results] == [False, True, True]
    # The only token request of the run: the other cases give a token.
    assert len(emulator.requests("token")) == 1
    empty = run.task("empty", action=None)
    assert (empty["connections"], empty["reason_code"], empty.get("failed", False)) == ([], "ok", False)
    assert "connections is an empty list: no connection was checked." in run.output
    assert run.failed_messages()["twice"] == (
        "Invalid arguments: connections[2] names the same connection as connections[0] (tenant_id %s-0, connection_name %s):"
        " list each connection once." % (tenant, NAME))
    assert [entry for entry in emulator.requests("test") if entry["tenant"] not in (refused, healthy)] == []
