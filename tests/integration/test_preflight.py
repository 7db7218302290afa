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


def tasks_run(ansible, tenant, workspace, workspace_ca, cases, env=None):
    """One task of the module a case ``(name, options, task environment[, task keywords])``, with connection_name pf
    and the workspace's CA, in one playbook, in order, failures ignored (an ansible-playbook run a case cost a second
    of CPU, twice that as a module); an option given as None is left out. The play's environment is ``env``, by default
    that of ``tenant`` and the workspace. ``{name: (failed, result)}``."""
    def options(given):
        return dict((key, value) for key, value in dict({"connection_name": "pf", "ca_path": workspace_ca.ca_path}, **given).items()
                    if value is not None)
    tasks = [dict(case[3] if len(case) > 3 else {}, name=case[0], environment=case[2], ignore_errors=True,
                  **{MODULE: options(case[1])}) for case in cases]
    play = [{"name": "cases", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = ansible.playbook(json.dumps(play), env=env_for(ansible, tenant, workspace, workspace_ca) if env is None else env)
    outcomes = dict((entry["task"], (entry["status"] == "failed", entry["result"])) for entry in run.results)
    assert sorted(outcomes) == sorted(case[0] for case in cases), run.output
    return run, outcomes


def credential_stores(emulator, tenant):
    return [entry for entry in emulator.requests("credentials") if entry["tenant"] == tenant]


def reltio_writes(emulator, tenant=None):
    """The creates and credential stores the emulator logged (of ``tenant`` if given)."""
    return [entry for entry in emulator.requests() if entry["endpoint"] in ("create", "credentials")
            and tenant in (None, entry["tenant"])]


# --------------------------------------------------------------------------- preflight outcomes


class TestPreflight:
    def test_the_preflight_passes_a_usable_warehouse_and_stops_before_reltio_on_what_cannot_work(
            self, ansible, emulator, tenant, workspace, workspace_ca):
        """Cases in tenants of their own, one playbook: check mode runs the preflight and writes nothing (a passing
        preflight and a refused one); a RUNNING and a STOPPED warehouse pass and the connection is made; a refused
        service principal, an unknown warehouse, one without CAN USE, a DELETED and a DELETING one stop before any
        write to Reltio; a workspace behind a private CA needs ca_path."""
        ansible.add_secret("another Databricks client secret", OTHER_SECRET)
        usable = ("RUNNING", "STOPPED")
        unusable = [({"state": "RUNNING", "grants": []}, "Grant it CAN USE on the warehouse"),
                    ({"state": "DELETED", "grants": [DATABRICKS_CLIENT_ID]}, "is DELETED"),
                    ({"state": "DELETING", "grants": [DATABRICKS_CLIENT_ID]}, "is DELETING")]
        usable_ids = ["%s%d" % (WAREHOUSE[:-1], number) for number in range(len(usable))]
        unusable_ids = ["%s%d" % (WAREHOUSE[:-1], number + 5) for number in range(len(unusable))]
        emulator.databricks(warehouses=[
            {"id": warehouse_id, "name": "Reltio Zero-Copy", "state": state, "grants": [DATABRICKS_CLIENT_ID]}
            for warehouse_id, state in zip(usable_ids, usable)] + [
            dict(warehouse, id=warehouse_id, name="Reltio Zero-Copy %d" % number)
            for number, (warehouse_id, (warehouse, dummy)) in enumerate(zip(unusable_ids, unusable))])
        refusals = [("refused", {"DATABRICKS_CLIENT_SECRET": OTHER_SECRET}, "refused the service principal's client ID or secret"),
                    ("unknown", {"DATABRICKS_WAREHOUSE_ID": "0000000000000000"}, "does not exist in the Databricks workspace")]
        refusals += [("unusable %d" % number, {"DATABRICKS_WAREHOUSE_ID": warehouse_id}, expected)
                     for number, (warehouse_id, (dummy, expected)) in enumerate(zip(unusable_ids, unusable))]
        check = {"RELTIO_TENANT_ID": tenant + "check"}
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            # First in the play: the first requests the emulator logs are theirs.
            ("check passes", {"preflight": True}, check, {"check_mode": True}),
            ("check fails", {"preflight": True}, dict(check, DATABRICKS_CLIENT_SECRET=OTHER_SECRET), {"check_mode": True})] + [
            (state, {"preflight": True, "test_connection": True},
             {"RELTIO_TENANT_ID": tenant + state, "DATABRICKS_WAREHOUSE_ID": warehouse_id})
            for warehouse_id, state in zip(usable_ids, usable)] + [
            (name, {"preflight": True}, dict(change, RELTIO_TENANT_ID=tenant + "refused")) for name, change, dummy in refusals] + [
            ("without ca_path", {"preflight": True, "ca_path": None}, {"RELTIO_TENANT_ID": tenant + "ca"}),
            ("with ca_path", {"preflight": True}, {"RELTIO_TENANT_ID": tenant + "ca"})])

        failed, result = outcomes["check passes"]
        assert not failed and result["changed"] is True and result["preflight"]["warehouse_state"] == "RUNNING", result
        failed, result = outcomes["check fails"]
        assert failed and "refused the service principal" in result["msg"], result
        assert reltio_writes(emulator, tenant + "check") == []
        # The passing preflight, then the refused one and nothing more (no second try of refused credentials): every
        # request before the first one to Reltio (the RUNNING case's create) is a check-mode case's or that case's
        # preflight.
        logged = emulator.requests()
        first_to_reltio = next(place for place, entry in enumerate(logged) if entry["tenant"] is not None)
        assert logged[first_to_reltio]["tenant"] == tenant + "RUNNING", logged[first_to_reltio]
        assert [entry["endpoint"] for entry in logged[:first_to_reltio]] == [
            "dbx_token", "warehouse", "dbx_token", "dbx_token", "warehouse"]

        for warehouse_id, state in zip(usable_ids, usable):
            failed, result = outcomes[state]
            assert not failed, result
            assert result["preflight"] == {"warehouse_id": warehouse_id, "warehouse_name": "Reltio Zero-Copy",
                                           "warehouse_state": state}
            assert result["created"] is True and result["test"]["connected"] is True
            assert "Preflight passed" in result["msg"]
            assert list(emulator.connections(tenant + state)) == ["pf"]

        for name, change, expected in refusals:
            failed, result = outcomes[name]
            assert failed and expected in result["msg"], (change, result)
            if name in ("refused", "unknown"):
                assert "127.0.0.1" in result["msg"], (change, result)
        assert reltio_writes(emulator, tenant + "refused") == []

        failed, result = outcomes["without ca_path"]
        assert failed and "TLS error" in result["msg"] and "ca_path" in result["msg"], result
        failed, result = outcomes["with ca_path"]
        assert not failed and result["created"] is True, result
        # The one write is the second task's.
        assert [entry["endpoint"] for entry in reltio_writes(emulator, tenant + "ca")] == ["create"]

    def test_a_workspace_that_times_out_fails_naming_the_reach(self, ansible, emulator, tenant, workspace, workspace_ca):
        emulator.faults({"endpoint": "dbx_token", "delay": 5, "count": -1})
        run = adhoc(ansible, tenant, workspace, workspace_ca, "preflight=true timeout=1 retries=0")
        emulator.wait_idle()
        assert run.rc != 0
        msg = run.task()["msg"]
        assert "Timed out after 1" in msg and "must reach the workspace" in msg, msg
        assert reltio_writes(emulator) == []


# --------------------------------------------------------------------------- convergence


class TestConvergence:
    """A task and its reruns as tasks of one playbook: each is a module run of its own on either path."""

    def test_a_wrong_stored_secret_is_replaced_once_and_what_cannot_be_corrected_says_what_to_do(
            self, ansible, emulator, tenant, workspace, workspace_ca):
        """Cases in tenants of their own, one playbook: a wrong stored secret is replaced once, then left alone; a
        secret that is still wrong fails with the reason and what to do; a wrong warehouse cannot be corrected, and
        the task says what to do."""
        ansible.add_secret("the wrong Databricks secret", OTHER_SECRET)
        emulator.databricks(warehouses=[{"id": "1111111111111111", "state": "RUNNING", "grants": [DATABRICKS_CLIENT_ID]}])
        replaced, wrong, warehouse = (tenant + "replaced", tenant + "wrong", tenant + "warehouse")
        dummy, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
            ("first", {}, {"RELTIO_TENANT_ID": replaced, "DATABRICKS_CLIENT_SECRET": OTHER_SECRET}),
            ("second", {"test_connection": True}, {"RELTIO_TENANT_ID": replaced}),
            ("third", {"test_connection": True}, {"RELTIO_TENANT_ID": replaced}),
            ("wrong create", {}, {"RELTIO_TENANT_ID": wrong, "DATABRICKS_CLIENT_SECRET": OTHER_SECRET}),
            ("wrong test", {"test_connection": True}, {"RELTIO_TENANT_ID": wrong, "DATABRICKS_CLIENT_SECRET": OTHER_SECRET}),
            ("warehouse create", {}, {"RELTIO_TENANT_ID": warehouse, "DATABRICKS_WAREHOUSE_ID": "0000000000000000"}),
            ("warehouse test", {"test_connection": True}, {"RELTIO_TENANT_ID": warehouse,
                                                           "DATABRICKS_WAREHOUSE_ID": "1111111111111111"})])
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
        assert len(credential_stores(emulator, replaced)) == 1

        assert not outcomes["wrong create"][0], outcomes["wrong create"]
        failed, result = outcomes["wrong test"]
        assert failed, result
        msg = result["msg"]
        assert "invalid_client" in msg and "preflight: true" in msg, msg
        assert "Reltio keeps the workspace_url and warehouse_id" in msg
        assert len(credential_stores(emulator, wrong)) == 1

        assert not outcomes["warehouse create"][0], outcomes["warehouse create"]
        failed, result = outcomes["warehouse test"]
        assert failed, result
        msg = result["msg"]
        assert "does not exist" in msg and "remove the connection in Reltio, or use a new connection_name" in msg, msg


# --------------------------------------------------------------------------- quieter reruns and first contact


def test_first_contact_names_what_is_missing_or_misspelled_says_what_check_mode_would_store_and_a_rerun_warns_of_nothing(
        ansible, emulator, tenant, workspace, workspace_ca):
    """Cases in one playbook whose environment holds nothing but a token; each other case's variables are in its task
    environment. With nothing exported every missing option is named with its variable; a misspelled option is named
    with the one it most likely meant (both before any request); check mode with update_secret always says the
    credentials would be stored, and writes nothing; an idempotent rerun warns of nothing (nor does any other task)."""
    typo, checked = tenant + "typo", tenant + "check"
    misspelled = ansible.reltio_env(typo)
    misspelled.update(ansible.databricks_env())
    run, outcomes = tasks_run(ansible, tenant, workspace, workspace_ca, [
        ("nothing exported", {"name": "x", "connection_name": None, "ca_path": None}, {}),
        ("misspelled", {"conection_name": "x", "connection_name": None, "ca_path": None}, misspelled),
        ("check", {"update_secret": "always"}, env_for(ansible, checked, workspace, workspace_ca), {"check_mode": True}),
        ("create", {}, env_for(ansible, tenant, workspace, workspace_ca)),
        ("rerun", {}, env_for(ansible, tenant, workspace, workspace_ca))], env={"RELTIO_ACCESS_TOKEN": RELTIO_TOKEN})

    failed, result = outcomes["nothing exported"]
    assert failed, result
    msg = result["msg"]
    for option, variable in (("platform_url", "RELTIO_PLATFORM_URL"), ("tenant_id", "RELTIO_TENANT_ID"),
                             ("workspace_url", "DATABRICKS_HOST"), ("warehouse_id", "DATABRICKS_WAREHOUSE_ID"),
                             ("client_id", "DATABRICKS_CLIENT_ID"), ("client_secret", "DATABRICKS_CLIENT_SECRET")):
        assert "%s is required" % option in msg and variable in msg, (option, msg)
    failed, result = outcomes["misspelled"]
    assert failed, result
    msg = result["msg"]
    assert "conection_name is not an option" in msg and "did you mean connection_name?" in msg, msg
    # Neither sent a request (nothing exported has no tenant; no other case here sends a request without one).
    assert [entry for entry in emulator.requests() if entry["tenant"] in (None, typo)] == []

    failed, result = outcomes["check"]
    assert not failed, result
    assert "its OAuth credentials would be stored again" in result["msg"]
    assert reltio_writes(emulator, checked) == []

    assert not outcomes["create"][0], outcomes["create"]
    failed, result = outcomes["rerun"]
    assert not failed, result
    assert result["changed"] is False and not result.get("warnings")
    # Neither the creation nor the rerun printed a warning.
    assert "[WARNING]" not in run.output
    assert result["not_compared"] == ["workspace_url", "warehouse_id"] and "not compared" in result["msg"]


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
