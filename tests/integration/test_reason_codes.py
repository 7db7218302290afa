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


@pytest.fixture
def workspace(emulator, workspace_ca):
    emulator.databricks(service_principals=[{"client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "RUNNING",
                                     "grants": [DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def test_bad_arguments(ansible, tenant):
    env = env_for(ansible, tenant)
    del env["DATABRICKS_WAREHOUSE_ID"]
    result = failure(ansible, "connection_name=%s" % NAME, env)
    assert result["reason_code"] == "bad_arguments"
    # Refused by the argument spec itself (an unknown option) too.
    assert failure(ansible, "connection_name=%s tenantid=x" % NAME, env)["reason_code"] == "bad_arguments"


def test_unreachable_and_timeout(ansible, emulator, tenant):
    env = env_for(ansible, tenant, RELTIO_PLATFORM_URL="http://127.0.0.1:%d" % closed_port())
    assert failure(ansible, "connection_name=%s retries=0" % NAME, env)["reason_code"] == "unreachable"
    emulator.faults({"endpoint": "create", "delay": 3, "count": 1})
    result = failure(ansible, "connection_name=%s timeout=1 retries=0" % NAME, env_for(ansible, tenant))
    assert result["reason_code"] == "timeout"


def test_https_to_a_plain_http_server_is_not_tls_with_advice_on_the_scheme(ansible, emulator, tenant):
    """Issue 26 point 6: WRONG_VERSION_NUMBER is a scheme problem, not a CA one."""
    env = env_for(ansible, tenant, RELTIO_PLATFORM_URL=emulator.url.replace("http://", "https://"))
    result = failure(ansible, "connection_name=%s retries=0" % NAME, env)
    assert result["reason_code"] == "not_tls"
    assert "does not speak TLS" in result["msg"] and "scheme" in result["msg"]
    assert "ca_path" not in result["msg"]


def test_tls_and_proxy(ansible, tenant, tls):
    env = env_for(ansible, tenant, RELTIO_PLATFORM_URL=tls["good"].url)
    result = failure(ansible, "connection_name=%s retries=0" % NAME, env)
    assert result["reason_code"] == "tls" and "ca_path" in result["msg"]
    env.update(HTTPS_PROXY="http://127.0.0.1:%d" % closed_port(), NO_PROXY="")
    result = failure(ansible, "connection_name=%s retries=0 ca_path=%s" % (NAME, tls["ca_path"]), env)
    assert result["reason_code"] == "proxy"


def test_reltio_auth_and_a_token_endpoint_that_answers_404(ansible, emulator, tenant):
    env = env_for(ansible, tenant, RELTIO_ACCESS_TOKEN="not-a-token-of-this-emulator")
    assert failure(ansible, "connection_name=%s" % NAME, env)["reason_code"] == "reltio_auth"
    env = dict(ansible.reltio_env(tenant, auth="client"), RELTIO_AUTH_URL=emulator.url + "/oauth")
    result = failure(ansible, "retries=0", env, module=TOKEN)
    # Issue 26 point 6: a token endpoint's 404 points at the path it should have.
    assert result["reason_code"] == "auth_url_not_found"
    assert "/oauth/token" in result["msg"] and "Check auth_url" in result["msg"]


def test_server_error_unexpected_answer_and_request_refused(ansible, emulator, tenant):
    env = env_for(ansible, tenant)
    emulator.faults({"endpoint": "create", "status": 500, "count": 1})
    assert failure(ansible, "connection_name=%s" % NAME, env)["reason_code"] == "server_error"
    emulator.faults({"endpoint": "create", "status": 200, "body": "html", "count": 1})
    assert failure(ansible, "connection_name=other-%s" % NAME, env)["reason_code"] == "unexpected_answer"
    emulator.create_connection(tenant, "active-one")
    assert status(ansible, "connection_name=active-one", env)["reason_code"] == "ok"
    # One active connection per tenant: Reltio refuses a second (HTTP 400).
    assert failure(ansible, "connection_name=second-%s" % NAME, env)["reason_code"] == "request_refused"


def test_a_missing_tenant_is_told_from_a_missing_connection(ansible, emulator, tenant):
    """Issue 26 point 5, in the info module and in check mode."""
    env = env_for(ansible, tenant)
    missing = status(ansible, "connection_name=%s" % NAME, env)
    assert (missing["status"], missing["reason_code"]) == ("missing", "connection_not_found")
    # What is wrong in message, what to do in msg only (issue 27: a report shows message beside its own advice).
    assert "Database configuration" in missing["message"] and "check" not in missing["message"].lower()
    assert missing["msg"].endswith("Check connection_name, or create the connection.") and "tenant_id" not in missing["msg"]
    emulator.configure(tenants=["someOtherTenant"])
    unknown = status(ansible, "connection_name=%s" % NAME, env)
    assert (unknown["status"], unknown["reason_code"]) == ("missing", "tenant_not_found")
    assert "HTTP 404" in unknown["message"] and "check" not in unknown["message"].lower()
    assert unknown["msg"].endswith("Check tenant_id and platform_url.")
    assert unknown["msg"].startswith("Reltio does not know tenant '%s'" % tenant)
    # Check mode with the probe no longer predicts a create in a tenant that does not exist.
    run = ansible.adhoc("connection_name=%s test_connection=true" % NAME, "--check", env=env)
    assert run.rc != 0, run.output
    result = result_of(run, CONNECTION)
    assert result["reason_code"] == "tenant_not_found" and "would be created" not in result["msg"]
    assert emulator.connections(tenant) == {}


@pytest.mark.parametrize("body", ["html", "empty"])
def test_a_404_that_is_not_reltio_s_is_no_missing_connection(ansible, emulator, tenant, body):
    """Issue 26: a gateway's 404 at a wrong platform_url was taken for "no such connection": check mode with the test
    predicted a create. Only Reltio's own error says a connection is unknown."""
    env = env_for(ansible, tenant)
    emulator.faults({"endpoint": "test", "status": 404, "body": body, "count": -1})
    run = ansible.adhoc("connection_name=%s test_connection=true" % NAME, "--check", env=env)
    assert run.rc != 0, run.output
    result = result_of(run, CONNECTION)
    assert result["reason_code"] == "unexpected_answer" and "would be created" not in result["msg"], result
    assert "check platform_url" in result["msg"]
    info = status(ansible, "connection_name=%s" % NAME, env)
    assert (info["status"], info["reason_code"], info["exists"]) == ("error", "unexpected_answer", None), info
    assert emulator.connections(tenant) == {}


@pytest.mark.parametrize("how, code", [("rotate_secret", "databricks_auth"), ("revoke_grant", "databricks_permission"),
                                       ("delete_warehouse", "warehouse_missing")])
def test_a_failing_test_says_what_databricks_refused(ansible, emulator, tenant, how, code):
    emulator.create_connection(tenant, NAME)
    emulator.break_connection(tenant, NAME, how)
    env = env_for(ansible, tenant)
    failing = status(ansible, "connection_name=%s" % NAME, env)
    assert (failing["status"], failing["reason_code"]) == ("failing", code)
    # The module's failed test carries the same code (it stores the task's secret and tests again, which still fails:
    # the emulator's Databricks refuses a secret that starts with "invalid").
    if how == "rotate_secret":
        env["DATABRICKS_CLIENT_SECRET"] = "invalid-" + DATABRICKS_CLIENT_SECRET
    result = failure(ansible, "connection_name=%s test_connection=true" % NAME, env)
    assert result["reason_code"] == code


def test_a_workspace_reltio_cannot_reach(ansible, emulator, tenant):
    emulator.create_connection(tenant, NAME, workspace_url="https://adb-1.7.workspace.invalid")
    failing = status(ansible, "connection_name=%s" % NAME, env_for(ansible, tenant))
    assert (failing["status"], failing["reason_code"]) == ("failing", "databricks_unreachable")


def preflight_results(ansible, env, cases):
    """``(failed, result)`` of each case ``(module, args, task environment)``: one task a case, all in one playbook (an
    ansible-playbook run a case cost a second of CPU, twice that as a module)."""
    tasks = [{"name": "case %d" % number, module: args, "environment": environment, "ignore_errors": True}
             for number, (module, args, environment) in enumerate(cases)]
    run = ansible.playbook(json.dumps([{"name": "preflight", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]),
                           env=env)
    outcomes = dict((entry["task"], (entry["status"] == "failed", entry["result"])) for entry in run.results)
    assert len(outcomes) == len(cases), run.output
    return [outcomes["case %d" % number] for number in range(len(cases))]


def test_preflight_reasons(ansible, emulator, tenant, workspace, workspace_ca):
    env = env_for(ansible, tenant, DATABRICKS_HOST=workspace)
    args = {"connection_name": NAME, "preflight": True, "ca_path": workspace_ca.ca_path}
    wrong = "wrong-" + DATABRICKS_CLIENT_SECRET
    ansible.add_secret("a wrong Databricks client secret", wrong)
    tls, auth, missing = preflight_results(ansible, env, [
        # The workspace's CA is not trusted without ca_path.
        (CONNECTION, {"connection_name": NAME, "preflight": True, "retries": 0}, {}),
        (CONNECTION, args, {"DATABRICKS_CLIENT_SECRET": wrong}),
        (CONNECTION, args, {"DATABRICKS_WAREHOUSE_ID": "0000000000000000"})])
    assert [(failed, result["reason_code"]) for failed, result in (tls, auth, missing)] == [
        (True, "tls"), (True, "databricks_auth"), (True, "warehouse_missing")], (tls, auth, missing)
    emulator.databricks(warehouses=[{"id": WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "RUNNING", "grants": []}])
    # The connection the info module tests below: the module's preflight fails before any request to Reltio.
    emulator.create_connection(tenant, NAME, workspace_url=workspace)
    permission, unreachable, info = preflight_results(ansible, env, [
        (CONNECTION, args, {}),
        (CONNECTION, dict(args, retries=0), {"DATABRICKS_HOST": "https://127.0.0.1:%d" % closed_port()}),
        (INFO, args, {})])
    assert [(failed, result["reason_code"]) for failed, result in (permission, unreachable)] == [
        (True, "databricks_permission"), (True, "databricks_unreachable")], (permission, unreachable)
    # The info module reports a failed preflight with its code, and does not fail.
    failed, result = info
    assert not failed and result["preflight"]["passed"] is False, result
    assert result["preflight"]["reason_code"] == "databricks_permission"
