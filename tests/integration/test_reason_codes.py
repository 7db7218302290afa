# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 26: every failure, and every status of the info module, carries ``reason_code``, on both paths.

Each case makes one problem happen for real (the emulator's answers, a closed port, a TLS server whose CA is not
trusted, https to a plain http server) and reads the code from the task's result, not from its message: the codes
are tested against what the transport and the clients really say.
"""

from __future__ import annotations

import json
import socket

import pytest

from reltio_world import DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET, WAREHOUSE_ID

CONNECTION = "reltio.platform.reltio_databricks_connection"
INFO = "reltio.platform.reltio_databricks_connection_info"
TOKEN = "reltio.platform.reltio_token"
NAME = "reason-connection"
# A warehouse of the workspace on which the service principal has no grant.
UNGRANTED = "1111111111111111"


def closed_port():
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env_for(ansible, tenant, **extra):
    env = dict(ansible.reltio_env(tenant), **ansible.databricks_env())
    env.update(extra)
    return env


def case_results(ansible, env, cases):
    """``(failed, result)`` of each case ``(module, args, task environment[, task keywords])``: one task a case, all in
    one playbook, in order (an ansible-playbook run a case cost a second of CPU, twice that as a module)."""
    tasks = [dict(case[3] if len(case) > 3 else {}, name="case %d" % number, ignore_errors=True,
                  environment=case[2], **{case[0]: case[1]}) for number, case in enumerate(cases)]
    run = ansible.playbook(json.dumps([{"name": "cases", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]),
                           env=env)
    outcomes = dict((entry["task"], (entry["status"] == "failed", entry["result"])) for entry in run.results)
    assert len(outcomes) == len(cases), run.output
    return [outcomes["case %d" % number] for number in range(len(cases))]


def failed_result(outcome):
    """The result of a case that failed with a message."""
    failed, result = outcome
    assert failed and result["msg"], result
    return result


def passed_result(outcome):
    """The result of a case that did not fail."""
    failed, result = outcome
    assert not failed, result
    return result


@pytest.fixture
def workspace(emulator, workspace_ca):
    emulator.databricks(service_principals=[{"client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def test_failures_before_reltio_answers(ansible, emulator, tenant, tls):
    """Bad arguments (a missing option, and an unknown one refused by the argument spec itself), an unreachable
    platform_url, a timeout, https to a plain http server (issue 26 point 6: WRONG_VERSION_NUMBER is a scheme problem,
    not a CA one), an untrusted TLS server, an unreachable proxy, a token Reltio refuses and a token endpoint that
    answers 404: a task each, in one playbook. The timeout is the one case that waits."""
    emulator.faults({"endpoint": "create", "tenant": tenant + "slow", "delay": 3, "count": 1})
    ansible.add_secret("an access token Reltio refuses", "not-a-token-of-this-emulator")
    env = env_for(ansible, tenant)
    # The missing option of the bad arguments; every other case gives it in its task environment.
    warehouse = {"DATABRICKS_WAREHOUSE_ID": env.pop("DATABRICKS_WAREHOUSE_ID")}
    client = dict((name, value) for name, value in ansible.reltio_env(tenant, auth="client").items() if name.startswith("RELTIO_"))
    outcomes = case_results(ansible, env, [
        (CONNECTION, {"connection_name": NAME}, {}),
        (CONNECTION, {"connection_name": NAME, "tenantid": "x"}, warehouse),
        (CONNECTION, {"connection_name": NAME, "retries": 0},
         dict(warehouse, RELTIO_PLATFORM_URL="http://127.0.0.1:%d" % closed_port())),
        (CONNECTION, {"connection_name": NAME, "timeout": 1, "retries": 0}, dict(warehouse, RELTIO_TENANT_ID=tenant + "slow")),
        (CONNECTION, {"connection_name": NAME, "retries": 0},
         dict(warehouse, RELTIO_PLATFORM_URL=emulator.url.replace("http://", "https://"))),
        (CONNECTION, {"connection_name": NAME, "retries": 0}, dict(warehouse, RELTIO_PLATFORM_URL=tls["good"].url)),
        (CONNECTION, {"connection_name": NAME, "retries": 0, "ca_path": tls["ca_path"]},
         dict(warehouse, RELTIO_PLATFORM_URL=tls["good"].url, HTTPS_PROXY="http://127.0.0.1:%d" % closed_port(), NO_PROXY="")),
        (CONNECTION, {"connection_name": NAME}, dict(warehouse, RELTIO_ACCESS_TOKEN="not-a-token-of-this-emulator")),
        # reltio_token ignores the access token of the play's environment.
        (TOKEN, {"retries": 0}, dict(client, RELTIO_AUTH_URL=emulator.url + "/oauth"))])
    missing, unknown, unreachable, timeout, not_tls, untrusted, proxy, refused, not_found = outcomes
    assert failed_result(missing)["reason_code"] == "bad_arguments"
    assert failed_result(unknown)["reason_code"] == "bad_arguments"
    assert failed_result(unreachable)["reason_code"] == "unreachable"
    assert failed_result(timeout)["reason_code"] == "timeout"
    result = failed_result(not_tls)
    assert result["reason_code"] == "not_tls"
    assert "does not speak TLS" in result["msg"] and "scheme" in result["msg"]
    assert "ca_path" not in result["msg"]
    result = failed_result(untrusted)
    assert result["reason_code"] == "tls" and "ca_path" in result["msg"]
    assert failed_result(proxy)["reason_code"] == "proxy"
    assert failed_result(refused)["reason_code"] == "reltio_auth"
    result = failed_result(not_found)
    # Issue 26 point 6: a token endpoint's 404 points at the path it should have.
    assert result["reason_code"] == "auth_url_not_found"
    assert "/oauth/token" in result["msg"] and "Check auth_url" in result["msg"]
    emulator.wait_idle()


def test_reltio_answers(ansible, emulator, tenant):
    """Reltio's answers, each case in a tenant of its own: a server error, an unexpected answer, an active connection,
    a request refused; a missing tenant told from a missing connection (issue 26 point 5, in the info module and in
    check mode); a 404 that is not Reltio's (issue 26: a gateway's 404 at a wrong platform_url was taken for "no such
    connection": check mode with the test predicted a create; only Reltio's own error says a connection is unknown), with
    an HTML body and an empty one."""
    served = tenant + "srv"
    unknown_tenant = "unknown" + tenant[-30:]
    emulator.configure(tenants=["someOtherTenant", tenant, served, tenant + "html", tenant + "empty"])
    emulator.create_connection(served, "active-one")
    # Each rule answers one create of the tenant, in the order of the tasks below.
    emulator.faults({"endpoint": "create", "tenant": served, "status": 500, "count": 1},
                    {"endpoint": "create", "tenant": served, "status": 200, "body": "html", "count": 1})
    cases = [
        (CONNECTION, {"connection_name": NAME}, {"RELTIO_TENANT_ID": served}),
        (CONNECTION, {"connection_name": "other-" + NAME}, {"RELTIO_TENANT_ID": served}),
        (INFO, {"connection_name": "active-one"}, {"RELTIO_TENANT_ID": served}),
        # One active connection per tenant: Reltio refuses a second (HTTP 400).
        (CONNECTION, {"connection_name": "second-" + NAME}, {"RELTIO_TENANT_ID": served}),
        (INFO, {"connection_name": NAME}, {}),
        (INFO, {"connection_name": NAME}, {"RELTIO_TENANT_ID": unknown_tenant}),
        # Check mode with the probe no longer predicts a create in a tenant that does not exist.
        (CONNECTION, {"connection_name": NAME, "test_connection": True}, {"RELTIO_TENANT_ID": unknown_tenant},
         {"check_mode": True})]
    for body in ("html", "empty"):
        emulator.faults({"endpoint": "test", "tenant": tenant + body, "status": 404, "body": body, "count": -1})
        cases += [(CONNECTION, {"connection_name": NAME, "test_connection": True}, {"RELTIO_TENANT_ID": tenant + body},
                   {"check_mode": True}),
                  (INFO, {"connection_name": NAME}, {"RELTIO_TENANT_ID": tenant + body})]
    outcomes = case_results(ansible, env_for(ansible, tenant), cases)

    server_error, unexpected, active, refused, missing, unknown, checked = outcomes[:7]
    assert failed_result(server_error)["reason_code"] == "server_error"
    assert failed_result(unexpected)["reason_code"] == "unexpected_answer"
    assert passed_result(active)["reason_code"] == "ok"
    assert failed_result(refused)["reason_code"] == "request_refused"
    assert [entry["status"] for entry in emulator.requests("create") if entry["tenant"] == served] == [200, 500, 200, 400]

    missing, unknown = passed_result(missing), passed_result(unknown)
    assert (missing["status"], missing["reason_code"]) == ("missing", "connection_not_found")
    # What is wrong in message, what to do in msg only (issue 27: a report shows message beside its own advice).
    assert "Database configuration" in missing["message"] and "check" not in missing["message"].lower()
    assert missing["msg"].endswith("Check connection_name, or create the connection.") and "tenant_id" not in missing["msg"]
    assert (unknown["status"], unknown["reason_code"]) == ("missing", "tenant_not_found")
    assert "HTTP 404" in unknown["message"] and "check" not in unknown["message"].lower()
    assert unknown["msg"].endswith("Check tenant_id and platform_url.")
    assert unknown["msg"].startswith("Reltio does not know tenant '%s'" % unknown_tenant)
    result = failed_result(checked)
    assert result["reason_code"] == "tenant_not_found" and "would be created" not in result["msg"]
    assert emulator.connections(unknown_tenant) == {} and emulator.connections(tenant) == {}

    for body, checked, info in zip(("html", "empty"), outcomes[7::2], outcomes[8::2]):
        result = failed_result(checked)
        assert result["reason_code"] == "unexpected_answer" and "would be created" not in result["msg"], (body, result)
        assert "check platform_url" in result["msg"], (body, result)
        info = passed_result(info)
        assert (info["status"], info["reason_code"], info["exists"]) == ("error", "unexpected_answer", None), (body, info)
        assert emulator.connections(tenant + body) == {}


BROKEN = [("rotate_secret", "databricks_auth"), ("revoke_grant", "databricks_permission"),
          ("delete_warehouse", "warehouse_missing")]


def test_databricks_reasons(ansible, emulator, tenant, workspace, workspace_ca):
    """What Databricks refused in a failing test, each way of breaking a connection in a tenant of its own (connections to
    a workspace other than the emulator's: their breaks are their own); a workspace Reltio cannot reach; and the
    preflight's reasons, against the emulator's workspace."""
    cases = []
    for number, (how, dummy) in enumerate(BROKEN):
        emulator.create_connection(tenant + str(number), NAME)
        emulator.break_connection(tenant + str(number), NAME, how)
        environment = {"RELTIO_TENANT_ID": tenant + str(number)}
        cases.append((INFO, {"connection_name": NAME}, environment))
        # The module's failed test carries the same code (it stores the task's secret and tests again, which still
        # fails: the emulator's Databricks refuses a secret that starts with "invalid").
        if how == "rotate_secret":
            environment = dict(environment, DATABRICKS_CLIENT_SECRET="invalid-" + DATABRICKS_CLIENT_SECRET)
        cases.append((CONNECTION, {"connection_name": NAME, "test_connection": True}, environment))
    emulator.create_connection(tenant + "unreachable", NAME, workspace_url="https://adb-1.7.workspace.invalid")
    cases.append((INFO, {"connection_name": NAME}, {"RELTIO_TENANT_ID": tenant + "unreachable"}))

    args = {"connection_name": NAME, "preflight": True, "ca_path": workspace_ca.ca_path}
    wrong = "wrong-" + DATABRICKS_CLIENT_SECRET
    ansible.add_secret("a wrong Databricks client secret", wrong)
    # A warehouse the service principal may not use, and the connection the info module tests with it below: the
    # module's preflight fails before any request to Reltio.
    emulator.databricks(warehouses=[{"id": UNGRANTED, "name": "Reltio Zero-Copy", "state": "RUNNING", "grants": []}])
    emulator.create_connection(tenant, NAME, workspace_url=workspace, warehouse_id=UNGRANTED)
    preflight = {"DATABRICKS_HOST": workspace}
    cases += [
        # The workspace's CA is not trusted without ca_path.
        (CONNECTION, {"connection_name": NAME, "preflight": True, "retries": 0}, preflight),
        (CONNECTION, args, dict(preflight, DATABRICKS_CLIENT_SECRET=wrong)),
        (CONNECTION, args, dict(preflight, DATABRICKS_WAREHOUSE_ID="0000000000000000")),
        (CONNECTION, args, dict(preflight, DATABRICKS_WAREHOUSE_ID=UNGRANTED)),
        (CONNECTION, dict(args, retries=0), {"DATABRICKS_HOST": "https://127.0.0.1:%d" % closed_port()}),
        (INFO, args, dict(preflight, DATABRICKS_WAREHOUSE_ID=UNGRANTED))]
    given = emulator.last_seq()
    outcomes = case_results(ansible, env_for(ansible, tenant), cases)

    for (how, code), failing, tested in zip(BROKEN, outcomes[0:6:2], outcomes[1:6:2]):
        failing = passed_result(failing)
        assert (failing["status"], failing["reason_code"]) == ("failing", code), how
        assert failed_result(tested)["reason_code"] == code, how
    failing = passed_result(outcomes[6])
    assert (failing["status"], failing["reason_code"]) == ("failing", "databricks_unreachable")

    assert [(failed, result["reason_code"]) for failed, result in outcomes[7:12]] == [
        (True, "tls"), (True, "databricks_auth"), (True, "warehouse_missing"), (True, "databricks_permission"),
        (True, "databricks_unreachable")], outcomes
    # The info module reports a failed preflight with its code, and does not fail.
    result = passed_result(outcomes[12])
    assert result["preflight"]["passed"] is False, result
    assert result["preflight"]["reason_code"] == "databricks_permission"
    assert [entry for entry in emulator.requests() if entry["seq"] > given and entry["tenant"] == tenant
            and entry["endpoint"] in ("create", "credentials")] == []
