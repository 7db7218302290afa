# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Get it right the first time: the preflight on the Databricks side, convergence of a wrong stored
secret, and what a new user meets first.

The emulator serves a Databricks workspace over https with a private CA (``workspace_ca``); its
connection test follows from what is stored: connected only when the stored secret is the service
principal's and it may use the warehouse. Every test runs on both execution paths, and the leak scan
includes the workspace tokens the emulator issued.
"""

from __future__ import annotations

import json

import pytest

from reltio_world import DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET, RELTIO_TOKEN

MODULE = "reltio.platform.reltio_databricks_connection"
WAREHOUSE = "ab1c2d3ef5g6h7i8"
OTHER_SECRET = "dbx-other-secret-Hq4Lz8Wm2Rv6"


@pytest.fixture
def workspace(emulator, workspace_ca):
    """A service principal with CAN USE on a running warehouse, in the emulator's workspace."""
    emulator.databricks(service_principals=[{"client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": WAREHOUSE, "name": "Reltio Zero-Copy", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def env_for(ansible, tenant, workspace_url, workspace_ca, **extra):
    env = ansible.reltio_env(tenant)
    env.update(ansible.databricks_env())
    env.update(DATABRICKS_HOST=workspace_url, DATABRICKS_WAREHOUSE_ID=WAREHOUSE)
    env.update(extra)
    return env


def adhoc(ansible, tenant, workspace, workspace_ca, args="", *flags, **extra):
    return ansible.adhoc("connection_name=pf ca_path=%s %s" % (workspace_ca.ca_path, args), *flags,
                         env=env_for(ansible, tenant, workspace, workspace_ca, **extra))


def preflight_failures(ansible, tenant, workspace, workspace_ca, cases):
    """One preflight task a case of ``(environment, expected)``, the case's variables in its task environment, all in one
    playbook (an ansible-playbook run a case cost a second of CPU, twice that as a module); each case's failed message."""
    tasks = [{"name": "case %d" % number, MODULE: {"connection_name": "pf", "ca_path": workspace_ca.ca_path, "preflight": True},
              "environment": change, "ignore_errors": True} for number, (change, dummy) in enumerate(cases)]
    play = [{"name": "preflight", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = ansible.playbook(json.dumps(play), env=env_for(ansible, tenant, workspace, workspace_ca))
    assert run.recap()["ignored"] == len(cases), run.output
    failed = run.failed_messages()
    return [failed["case %d" % number] for number in range(len(cases))]


def tasks_run(ansible, tenant, workspace, workspace_ca, cases):
    """One task of the module a case ``(name, options, task environment[, task keywords])``, with connection_name pf
    and the workspace's CA, in one playbook, in order, failures ignored (an ansible-playbook run a case cost a second
    of CPU, twice that as a module); an option given as None is left out. ``{name: (failed, result)}``."""
    def options(given):
        return dict((key, value) for key, value in dict({"connection_name": "pf", "ca_path": workspace_ca.ca_path}, **given).items()
                    if value is not None)
    tasks = [dict(case[3] if len(case) > 3 else {}, name=case[0], environment=case[2], ignore_errors=True,
                  **{MODULE: options(case[1])}) for case in cases]
    play = [{"name": "cases", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = ansible.playbook(json.dumps(play), env=env_for(ansible, tenant, workspace, workspace_ca))
    outcomes = dict((entry["task"], (entry["status"] == "failed", entry["result"])) for entry in run.results)
    assert sorted(outcomes) == sorted(case[0] for case in cases), run.output
    return run, outcomes


def reltio_writes(emulator):
    return [entry for entry in emulator.requests() if entry["endpoint"] in ("create", "credentials")]


# --------------------------------------------------------------------------- preflight outcomes


class TestPreflight:
    def test_a_usable_warehouse_passes_and_the_connection_is_made(self, ansible, emulator, tenant, workspace, workspace_ca):
        """A RUNNING and a STOPPED warehouse, each in a tenant of its own."""
        states = ("RUNNING", "STOPPED")
        emulator.databricks(warehouses=[{"id": "%s%d" % (WAREHOUSE[:-1], number), "name": "Reltio Zero-Copy", "state": state,
                                         "grants": [DATABRICKS_CLIENT_ID]} for number, state in enumerate(states)])
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            (state, {"preflight": True, "test_connection": True},
             {"RELTIO_TENANT_ID": tenant + state, "DATABRICKS_WAREHOUSE_ID": "%s%d" % (WAREHOUSE[:-1], number)})
            for number, state in enumerate(states)])
        for number, state in enumerate(states):
            failed, result = outcomes[state]
            assert not failed, result
            assert result["preflight"] == {"warehouse_id": "%s%d" % (WAREHOUSE[:-1], number), "warehouse_name": "Reltio Zero-Copy",
                                           "warehouse_state": state}
            assert result["created"] is True and result["test"]["connected"] is True
            assert "Preflight passed" in result["msg"]
            assert list(emulator.connections(tenant + state)) == ["pf"]

    def test_a_refused_service_principal_or_unknown_warehouse_stops_before_reltio(
            self, ansible, emulator, tenant, workspace, workspace_ca):
        ansible.add_secret("another Databricks client secret", OTHER_SECRET)
        cases = [({"DATABRICKS_CLIENT_SECRET": OTHER_SECRET}, "refused the service principal's client ID or secret"),
                 ({"DATABRICKS_WAREHOUSE_ID": "0000000000000000"}, "does not exist in the Databricks workspace")]
        for (change, expected), msg in zip(cases, preflight_failures(ansible, tenant, workspace, workspace_ca, cases)):
            assert expected in msg and "127.0.0.1" in msg, (change, msg)
        assert reltio_writes(emulator) == []

    def test_a_warehouse_that_cannot_be_used_stops_before_reltio(self, ansible, emulator, tenant, workspace, workspace_ca):
        cases = [({"state": "RUNNING", "grants": []}, "Grant it CAN USE on the warehouse"),
                 ({"state": "DELETED", "grants": [DATABRICKS_CLIENT_ID]}, "is DELETED"),
                 ({"state": "DELETING", "grants": [DATABRICKS_CLIENT_ID]}, "is DELETING")]
        warehouses = [dict(warehouse, id="%s%d" % (WAREHOUSE[:-1], number), name="Reltio Zero-Copy %d" % number)
                      for number, (warehouse, dummy) in enumerate(cases)]
        emulator.databricks(warehouses=warehouses)
        changes = [({"DATABRICKS_WAREHOUSE_ID": warehouse["id"]}, expected) for warehouse, (dummy, expected) in zip(warehouses, cases)]
        for (change, expected), msg in zip(changes, preflight_failures(ansible, tenant, workspace, workspace_ca, changes)):
            assert expected in msg, (change, msg)
        assert reltio_writes(emulator) == []

    def test_check_mode_runs_the_preflight_and_writes_nothing(self, ansible, emulator, tenant, workspace, workspace_ca):
        ansible.add_secret("another Databricks client secret", OTHER_SECRET)
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            ("passes", {"preflight": True}, {}, {"check_mode": True}),
            ("fails", {"preflight": True}, {"DATABRICKS_CLIENT_SECRET": OTHER_SECRET}, {"check_mode": True})])
        failed, result = outcomes["passes"]
        assert not failed and result["changed"] is True and result["preflight"]["warehouse_state"] == "RUNNING", result
        failed, result = outcomes["fails"]
        assert failed and "refused the service principal" in result["msg"], result
        assert reltio_writes(emulator) == []
        # The passing preflight, then the refused one.
        assert [entry["endpoint"] for entry in emulator.requests()] == ["dbx_token", "warehouse", "dbx_token"]

    def test_a_workspace_that_times_out_fails_naming_the_reach(self, ansible, emulator, tenant, workspace, workspace_ca):
        emulator.faults({"endpoint": "dbx_token", "delay": 5, "count": -1})
        run = adhoc(ansible, tenant, workspace, workspace_ca, "preflight=true timeout=1 retries=0")
        emulator.wait_idle()
        assert run.rc != 0
        msg = run.task()["msg"]
        assert "Timed out after 1" in msg and "must reach the workspace" in msg, msg
        assert reltio_writes(emulator) == []

    def test_a_workspace_behind_a_private_ca_needs_ca_path(self, ansible, emulator, tenant, workspace, workspace_ca):
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            ("without ca_path", {"preflight": True, "ca_path": None}, {}),
            ("with ca_path", {"preflight": True}, {})])
        failed, result = outcomes["without ca_path"]
        assert failed and "TLS error" in result["msg"] and "ca_path" in result["msg"], result
        failed, result = outcomes["with ca_path"]
        assert not failed and result["created"] is True, result
        # The one write is the second task's.
        assert [entry["endpoint"] for entry in reltio_writes(emulator)] == ["create"]


# --------------------------------------------------------------------------- convergence


class TestConvergence:
    """A task and its reruns as tasks of one playbook: each is a module run of its own on either path."""

    def test_a_wrong_stored_secret_is_replaced_once_then_left_alone(
            self, ansible, emulator, tenant, workspace, workspace_ca):
        ansible.add_secret("the wrong Databricks secret", OTHER_SECRET)
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            ("first", {}, {"DATABRICKS_CLIENT_SECRET": OTHER_SECRET}),
            ("second", {"test_connection": True}, {}),
            ("third", {"test_connection": True}, {})])
        failed, result = outcomes["first"]
        assert not failed and result["created"] is True, result

        failed, result = outcomes["second"]
        assert not failed, result
        assert result["changed"] is True and result["created"] is False and result["secret_updated"] is True
        assert result["test"]["connected"] is True
        assert "stored in place of the stored ones" in result["msg"]

        failed, result = outcomes["third"]
        assert not failed, result
        assert result["changed"] is False and result["secret_updated"] is False
        # The second task stored the secret; the third did not.
        assert len(emulator.requests("credentials")) == 1

    def test_a_secret_that_is_still_wrong_fails_with_the_reason_and_what_to_do(
            self, ansible, emulator, tenant, workspace, workspace_ca):
        ansible.add_secret("the wrong Databricks secret", OTHER_SECRET)
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            ("create", {}, {"DATABRICKS_CLIENT_SECRET": OTHER_SECRET}),
            ("test", {"test_connection": True}, {"DATABRICKS_CLIENT_SECRET": OTHER_SECRET})])
        assert not outcomes["create"][0], outcomes["create"]
        failed, result = outcomes["test"]
        assert failed, result
        msg = result["msg"]
        assert "invalid_client" in msg and "preflight: true" in msg, msg
        assert "Reltio keeps the workspace_url and warehouse_id" in msg
        assert len(emulator.requests("credentials")) == 1

    def test_a_wrong_warehouse_cannot_be_corrected_and_the_task_says_what_to_do(
            self, ansible, emulator, tenant, workspace, workspace_ca):
        emulator.databricks(warehouses=[{"id": "1111111111111111", "state": "RUNNING", "grants": [DATABRICKS_CLIENT_ID]}])
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            ("create", {}, {"DATABRICKS_WAREHOUSE_ID": "0000000000000000"}),
            ("test", {"test_connection": True}, {"DATABRICKS_WAREHOUSE_ID": "1111111111111111"})])
        assert not outcomes["create"][0], outcomes["create"]
        failed, result = outcomes["test"]
        assert failed, result
        msg = result["msg"]
        assert "does not exist" in msg and "remove the connection in Reltio, or use a new connection_name" in msg, msg


# --------------------------------------------------------------------------- quieter reruns and first contact


def test_an_idempotent_rerun_warns_of_nothing(ansible, emulator, tenant, workspace, workspace_ca):
    run, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [("create", {}, {}), ("rerun", {}, {})])
    assert not outcomes["create"][0], outcomes["create"]
    failed, result = outcomes["rerun"]
    assert not failed, result
    assert result["changed"] is False and not result.get("warnings")
    # Neither the creation nor the rerun printed a warning.
    assert "[WARNING]" not in run.output
    assert result["not_compared"] == ["workspace_url", "warehouse_id"] and "not compared" in result["msg"]


def test_nothing_exported_but_a_token_names_every_missing_option_and_its_variable(ansible, emulator):
    run = ansible.adhoc("name=x", env={"RELTIO_ACCESS_TOKEN": RELTIO_TOKEN})
    assert run.rc != 0
    msg = run.task()["msg"]
    for option, variable in (("platform_url", "RELTIO_PLATFORM_URL"), ("tenant_id", "RELTIO_TENANT_ID"),
                             ("workspace_url", "DATABRICKS_HOST"), ("warehouse_id", "DATABRICKS_WAREHOUSE_ID"),
                             ("client_id", "DATABRICKS_CLIENT_ID"), ("client_secret", "DATABRICKS_CLIENT_SECRET")):
        assert "%s is required" % option in msg and variable in msg, (option, msg)
    assert emulator.requests() == []


def test_a_misspelled_option_is_named_with_the_one_it_most_likely_meant(ansible, emulator, tenant):
    env = ansible.reltio_env(tenant)
    env.update(ansible.databricks_env())
    run = ansible.adhoc("conection_name=x", env=env)
    assert run.rc != 0
    msg = run.task()["msg"]
    assert "conection_name is not an option" in msg and "did you mean connection_name?" in msg, msg
    assert emulator.requests() == []


def test_group_module_defaults_with_every_option_run_every_module(ansible, emulator, tenant, workspace, workspace_ca):
    defaults = {"platform_url": emulator.url, "tenant_id": tenant, "reltio_client_id": "{{ lookup('env', 'RELTIO_CLIENT_ID') }}",
                "reltio_client_secret": "{{ lookup('env', 'RELTIO_CLIENT_SECRET') }}", "auth_url": emulator.token_url,
                "connection_name": "group", "workspace_url": workspace, "warehouse_id": WAREHOUSE,
                "client_id": DATABRICKS_CLIENT_ID, "client_secret": "{{ lookup('env', 'DATABRICKS_CLIENT_SECRET') }}",
                "update_secret": "on_create", "test_connection": True, "preflight": True, "ca_path": workspace_ca.ca_path}
    play = [{"name": "group", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/reltio.platform.reltio": defaults},
             "tasks": [{"name": "token", "reltio.platform.reltio_token": {}, "register": "token"},
                       {"name": "connect", MODULE: {"access_token": "{{ token.access_token }}"}}]}]
    env = ansible.reltio_env(tenant, auth="client")
    env["DATABRICKS_CLIENT_SECRET"] = DATABRICKS_CLIENT_SECRET
    run = ansible.playbook(json.dumps(play), env=env)
    assert run.rc == 0, run.output
    assert run.task("connect")["created"] is True and run.task("connect")["test"]["connected"] is True


def test_check_mode_with_update_secret_always_says_the_credentials_would_be_stored(ansible, emulator, tenant, workspace,
                                                                                   workspace_ca):
    run = adhoc(ansible, tenant, workspace, workspace_ca, "update_secret=always", "--check")
    assert run.rc == 0, run.output
    assert "its OAuth credentials would be stored again" in run.task()["msg"]
    assert reltio_writes(emulator) == []
