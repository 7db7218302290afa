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


def result_of(run, module):
    return run.task(action=module.rsplit(".", 1)[1])


def failure(ansible, args, env, module=CONNECTION):
    run = ansible.adhoc(args, env=env, module=module)
    assert run.rc != 0, run.output
    result = result_of(run, module)
    assert result["msg"], result
    return result


def status(ansible, args, env):
    run = ansible.adhoc(args, env=env, module=INFO)
    assert run.rc == 0, run.output
    return result_of(run, INFO)


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
    """The result of a case that failed with a message (what ``failure`` asserts of a run)."""
    failed, result = outcome
    assert failed and result["msg"], result
    return result


def passed_result(outcome):
    """The result of a case that did not fail (what ``status`` asserts of a run)."""
    failed, result = outcome
    assert not failed, result
    return result


@pytest.fixture
def workspace(emulator, workspace_ca):
    emulator.databricks(service_principals=[{"client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def test_bad_arguments(ansible, tenant):
    env = env_for(ansible, tenant)
    del env["DATABRICKS_WAREHOUSE_ID"]
    missing, unknown = case_results(ansible, env, [
        (CONNECTION, {"connection_name": NAME}, {}),
        # Refused by the argument spec itself (an unknown option) too.
        (CONNECTION, {"connection_name": NAME, "tenantid": "x"}, {})])
    assert failed_result(missing)["reason_code"] == "bad_arguments"
    assert failed_result(unknown)["reason_code"] == "bad_arguments"


def test_unreachable_and_timeout(ansible, emulator, tenant):
    emulator.faults({"endpoint": "create", "delay": 3, "count": 1})
    unreachable, timeout = case_results(ansible, env_for(ansible, tenant), [
        (CONNECTION, {"connection_name": NAME, "retries": 0}, {"RELTIO_PLATFORM_URL": "http://127.0.0.1:%d" % closed_port()}),
        (CONNECTION, {"connection_name": NAME, "timeout": 1, "retries": 0}, {})])
    assert failed_result(unreachable)["reason_code"] == "unreachable"
    assert failed_result(timeout)["reason_code"] == "timeout"


def test_https_to_a_plain_http_server_is_not_tls_with_advice_on_the_scheme(ansible, emulator, tenant):
    """Issue 26 point 6: WRONG_VERSION_NUMBER is a scheme problem, not a CA one."""
    env = env_for(ansible, tenant, RELTIO_PLATFORM_URL=emulator.url.replace("http://", "https://"))
    result = failure(ansible, "connection_name=%s retries=0" % NAME, env)
    assert result["reason_code"] == "not_tls"
    assert "does not speak TLS" in result["msg"] and "scheme" in result["msg"]
    assert "ca_path" not in result["msg"]


def test_tls_and_proxy(ansible, tenant, tls):
    env = env_for(ansible, tenant, RELTIO_PLATFORM_URL=tls["good"].url)
    untrusted, proxy = case_results(ansible, env, [
        (CONNECTION, {"connection_name": NAME, "retries": 0}, {}),
        (CONNECTION, {"connection_name": NAME, "retries": 0, "ca_path": tls["ca_path"]},
         {"HTTPS_PROXY": "http://127.0.0.1:%d" % closed_port(), "NO_PROXY": ""})])
    result = failed_result(untrusted)
    assert result["reason_code"] == "tls" and "ca_path" in result["msg"]
    assert failed_result(proxy)["reason_code"] == "proxy"


def test_reltio_auth_and_a_token_endpoint_that_answers_404(ansible, emulator, tenant):
    env = env_for(ansible, tenant)
    del env["RELTIO_ACCESS_TOKEN"]
    ansible.add_secret("an access token Reltio refuses", "not-a-token-of-this-emulator")
    client = dict((name, value) for name, value in ansible.reltio_env(tenant, auth="client").items() if name.startswith("RELTIO_"))
    refused, not_found = case_results(ansible, env, [
        (CONNECTION, {"connection_name": NAME}, {"RELTIO_ACCESS_TOKEN": "not-a-token-of-this-emulator"}),
        (TOKEN, {"retries": 0}, dict(client, RELTIO_AUTH_URL=emulator.url + "/oauth"))])
    assert failed_result(refused)["reason_code"] == "reltio_auth"
    result = failed_result(not_found)
    # Issue 26 point 6: a token endpoint's 404 points at the path it should have.
    assert result["reason_code"] == "auth_url_not_found"
    assert "/oauth/token" in result["msg"] and "Check auth_url" in result["msg"]


def test_server_error_unexpected_answer_and_request_refused(ansible, emulator, tenant):
    emulator.create_connection(tenant, "active-one")
    # Each rule answers one create, in the order of the tasks below.
    emulator.faults({"endpoint": "create", "status": 500, "count": 1},
                    {"endpoint": "create", "status": 200, "body": "html", "count": 1})
    server_error, unexpected, active, refused = case_results(ansible, env_for(ansible, tenant), [
        (CONNECTION, {"connection_name": NAME}, {}),
        (CONNECTION, {"connection_name": "other-" + NAME}, {}),
        (INFO, {"connection_name": "active-one"}, {}),
        # One active connection per tenant: Reltio refuses a second (HTTP 400).
        (CONNECTION, {"connection_name": "second-" + NAME}, {})])
    assert failed_result(server_error)["reason_code"] == "server_error"
    assert failed_result(unexpected)["reason_code"] == "unexpected_answer"
    assert passed_result(active)["reason_code"] == "ok"
    assert failed_result(refused)["reason_code"] == "request_refused"
    assert [entry["status"] for entry in emulator.requests("create")] == [200, 500, 200, 400]


def test_a_missing_tenant_is_told_from_a_missing_connection(ansible, emulator, tenant):
    """Issue 26 point 5, in the info module and in check mode."""
    unknown_tenant = "unknown" + tenant[-30:]
    emulator.configure(tenants=["someOtherTenant", tenant])
    missing, unknown, checked = case_results(ansible, env_for(ansible, tenant), [
        (INFO, {"connection_name": NAME}, {}),
        (INFO, {"connection_name": NAME}, {"RELTIO_TENANT_ID": unknown_tenant}),
        # Check mode with the probe no longer predicts a create in a tenant that does not exist.
        (CONNECTION, {"connection_name": NAME, "test_connection": True}, {"RELTIO_TENANT_ID": unknown_tenant},
         {"check_mode": True})])
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


def test_a_404_that_is_not_reltio_s_is_no_missing_connection(ansible, emulator, tenant):
    """Issue 26: a gateway's 404 at a wrong platform_url was taken for "no such connection": check mode with the test
    predicted a create. Only Reltio's own error says a connection is unknown. A 404 with an HTML body and an empty one,
    each in a tenant of its own."""
    cases = []
    for body in ("html", "empty"):
        emulator.faults({"endpoint": "test", "tenant": tenant + body, "status": 404, "body": body, "count": -1})
        cases += [(CONNECTION, {"connection_name": NAME, "test_connection": True}, {"RELTIO_TENANT_ID": tenant + body},
                   {"check_mode": True}),
                  (INFO, {"connection_name": NAME}, {"RELTIO_TENANT_ID": tenant + body})]
    outcomes = case_results(ansible, env_for(ansible, tenant), cases)
    for body, checked, info in zip(("html", "empty"), outcomes[0::2], outcomes[1::2]):
        result = failed_result(checked)
        assert result["reason_code"] == "unexpected_answer" and "would be created" not in result["msg"], (body, result)
        assert "check platform_url" in result["msg"], (body, result)
        info = passed_result(info)
        assert (info["status"], info["reason_code"], info["exists"]) == ("error", "unexpected_answer", None), (body, info)
        assert emulator.connections(tenant + body) == {}


BROKEN = [("rotate_secret", "databricks_auth"), ("revoke_grant", "databricks_permission"),
          ("delete_warehouse", "warehouse_missing")]


def test_a_failing_test_says_what_databricks_refused(ansible, emulator, tenant):
    """Each way of breaking a connection in a tenant of its own."""
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
    outcomes = case_results(ansible, env_for(ansible, tenant), cases)
    for (how, code), failing, tested in zip(BROKEN, outcomes[0::2], outcomes[1::2]):
        failing = passed_result(failing)
        assert (failing["status"], failing["reason_code"]) == ("failing", code), how
        assert failed_result(tested)["reason_code"] == code, how


def test_a_workspace_reltio_cannot_reach(ansible, emulator, tenant):
    emulator.create_connection(tenant, NAME, workspace_url="https://adb-1.7.workspace.invalid")
    failing = status(ansible, "connection_name=%s" % NAME, env_for(ansible, tenant))
    assert (failing["status"], failing["reason_code"]) == ("failing", "databricks_unreachable")


def test_preflight_reasons(ansible, emulator, tenant, workspace, workspace_ca):
    env = env_for(ansible, tenant, DATABRICKS_HOST=workspace)
    args = {"connection_name": NAME, "preflight": True, "ca_path": workspace_ca.ca_path}
    wrong = "wrong-" + DATABRICKS_CLIENT_SECRET
    ansible.add_secret("a wrong Databricks client secret", wrong)
    # A warehouse the service principal may not use, and the connection the info module tests with it below: the
    # module's preflight fails before any request to Reltio.
    emulator.databricks(warehouses=[{"id": UNGRANTED, "name": "Reltio Zero-Copy", "state": "RUNNING", "grants": []}])
    emulator.create_connection(tenant, NAME, workspace_url=workspace, warehouse_id=UNGRANTED)
    given = emulator.last_seq()
    outcomes = case_results(ansible, env, [
        # The workspace's CA is not trusted without ca_path.
        (CONNECTION, {"connection_name": NAME, "preflight": True, "retries": 0}, {}),
        (CONNECTION, args, {"DATABRICKS_CLIENT_SECRET": wrong}),
        (CONNECTION, args, {"DATABRICKS_WAREHOUSE_ID": "0000000000000000"}),
        (CONNECTION, args, {"DATABRICKS_WAREHOUSE_ID": UNGRANTED}),
        (CONNECTION, dict(args, retries=0), {"DATABRICKS_HOST": "https://127.0.0.1:%d" % closed_port()}),
        (INFO, args, {"DATABRICKS_WAREHOUSE_ID": UNGRANTED})])
    assert [(failed, result["reason_code"]) for failed, result in outcomes[:5]] == [
        (True, "tls"), (True, "databricks_auth"), (True, "warehouse_missing"), (True, "databricks_permission"),
        (True, "databricks_unreachable")], outcomes
    # The info module reports a failed preflight with its code, and does not fail.
    result = passed_result(outcomes[5])
    assert result["preflight"]["passed"] is False, result
    assert result["preflight"]["reason_code"] == "databricks_permission"
    assert [entry for entry in emulator.requests() if entry["seq"] > given and entry["endpoint"] in ("create", "credentials")] == []
