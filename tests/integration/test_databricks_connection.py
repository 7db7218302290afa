# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""reltio_databricks_connection through real ansible-playbook and ansible commands, against the emulator."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
import yaml

from reltio_world import (
    DATABRICKS_CLIENT_ID,
    DATABRICKS_CLIENT_SECRET,
    RELTIO_CLIENT_SECRET,
    RELTIO_TOKEN,
    ROOT,
    WAREHOUSE_ID,
    WORKSPACE_URL,
)

MODULE = "reltio.platform.reltio_databricks_connection"
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]


def play(*tasks, module_defaults=None):
    """A one-play playbook (JSON is YAML) running ``tasks`` on localhost."""
    body = {"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}
    if module_defaults:
        body["module_defaults"] = {"group/reltio.platform.reltio": module_defaults}
    return json.dumps([body], indent=2)


def connection_task(name="create", **args):
    args.setdefault("connection_name", "databricks-connection-01")
    return {"name": name, MODULE: args}


def full_args(ansible, tenant, **extra):
    """Every option given as a task argument, none from the environment."""
    args = {
        "platform_url": ansible.emulator.url,
        "tenant_id": tenant,
        "access_token": RELTIO_TOKEN,
        "workspace_url": WORKSPACE_URL,
        "warehouse_id": WAREHOUSE_ID,
        "client_id": DATABRICKS_CLIENT_ID,
        "client_secret": DATABRICKS_CLIENT_SECRET,
    }
    args.update(extra)
    return args


def env_for(ansible, tenant, auth="token"):
    env = ansible.reltio_env(tenant, auth=auth)
    env.update(ansible.databricks_env())
    return env


def writes(emulator):
    return [entry for entry in emulator.requests() if entry["endpoint"] in ("create", "credentials", "test")]


class TestCreate:
    @pytest.mark.smoke
    def test_creates_then_reports_ok(self, ansible, emulator, tenant):
        text = play(connection_task(**full_args(ansible, tenant)))
        first = ansible.playbook(text)
        assert first.rc == 0, first.output
        assert first.recap()["changed"] == 1
        result = first.task()
        assert result["changed"] is True and result["created"] is True
        stored = emulator.connections(tenant)["databricks-connection-01"]
        assert result["connection"]["connection_id"] == stored["connectionId"]
        assert result["connection"]["connection_name"] == "databricks-connection-01"
        assert result["connection"]["status"] == "success"
        assert isinstance(result["connection"]["timestamp"], int)
        assert stored["status"] == "PENDING"
        assert stored["clientSecretSha256"] == hashlib.sha256(DATABRICKS_CLIENT_SECRET.encode()).hexdigest()

        second = ansible.playbook(text)
        assert second.rc == 0, second.output
        assert second.recap()["changed"] == 0
        again = second.task()
        assert again["changed"] is False and again["created"] is False
        # The fact of every rerun is in msg and not_compared; a warning would be ignored on every run.
        assert "not compared" in again["msg"] and again["not_compared"] == ["workspace_url", "warehouse_id"]
        assert not again.get("warnings") and "[WARNING]" not in second.output
        assert len(emulator.connections(tenant)) == 1

    def test_sends_exactly_the_documented_request(self, ansible, emulator, tenant):
        run = ansible.playbook(play(connection_task(**full_args(ansible, tenant))))
        assert run.rc == 0, run.output
        (create,) = emulator.requests("create")
        assert create["method"] == "POST"
        assert create["path"] == "/reltio/api/tenants/%s/interactions/database-configs/databricks/oauth/credentials" % tenant
        assert create["body"] == {
            "connectionName": "databricks-connection-01",
            "workspaceUrl": WORKSPACE_URL,
            "warehouseId": WAREHOUSE_ID,
            "clientId": DATABRICKS_CLIENT_ID,
            # The emulator's request log keeps a digest of the secret, as its /state does.
            "clientSecretSha256": hashlib.sha256(DATABRICKS_CLIENT_SECRET.encode()).hexdigest(),
        }
        assert create["headers"]["authorization_scheme"] == "Bearer"
        assert create["headers"]["content_type"].startswith("application/json")
        assert create["headers"]["user_agent"].startswith("reltio.platform/%s " % VERSION)
        assert len(emulator.requests()) == 1

    def test_adhoc_with_environment_variables(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        args = "connection_name=adhoc-conn workspace_url=%s warehouse_id=%s" % (WORKSPACE_URL, WAREHOUSE_ID)
        first = ansible.adhoc(args, env=env)
        assert first.rc == 0, first.output
        assert "localhost | CHANGED" in first.stdout
        second = ansible.adhoc("name=adhoc-conn", env=env)
        assert second.rc == 0, second.output
        assert "localhost | SUCCESS" in second.stdout
        assert list(emulator.connections(tenant)) == ["adhoc-conn"]

    def test_module_defaults_group(self, ansible, emulator, tenant):
        defaults = {"platform_url": ansible.emulator.url, "tenant_id": tenant, "access_token": RELTIO_TOKEN}
        text = play(connection_task(connection_name="from-defaults", workspace_url=WORKSPACE_URL, warehouse_id=WAREHOUSE_ID,
                                    client_id=DATABRICKS_CLIENT_ID, client_secret=DATABRICKS_CLIENT_SECRET),
                    module_defaults=defaults)
        run = ansible.playbook(text)
        assert run.rc == 0, run.output
        assert run.task()["created"] is True
        assert "from-defaults" in emulator.connections(tenant)

    def test_client_credentials_fetch_one_token(self, ansible, emulator, tenant):
        run = ansible.playbook(play(connection_task(connection_name="cc-conn")), env=env_for(ansible, tenant, auth="client"))
        assert run.rc == 0, run.output
        assert len(emulator.requests("token")) == 1
        assert emulator.requests("create")[0]["status"] == 200

    def test_name_with_slashes_and_dots_stays_in_its_segment(self, ansible, emulator, tenant):
        name = "../etc/x?y#z%20"
        run = ansible.playbook(play(connection_task(connection_name=name, update_secret="always", test_connection=True)),
                               env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert name in emulator.connections(tenant)
        for entry in emulator.requests():
            assert entry["path"].startswith("/reltio/api/tenants/%s/interactions/database-configs/" % tenant)
            assert entry["tenant"] == tenant


class TestIdempotencyAndUpdates:
    def test_update_secret_always_rotates_existing(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        assert ansible.playbook(play(connection_task()), env=env).rc == 0
        env["DATABRICKS_CLIENT_SECRET"] = DATABRICKS_CLIENT_SECRET + "-rotated"
        run = ansible.playbook(play(connection_task(update_secret="always")), env=env)
        assert run.rc == 0, run.output
        result = run.task()
        assert result["changed"] is True and result["secret_updated"] is True and result["created"] is False
        stored = emulator.connections(tenant)["databricks-connection-01"]
        assert stored["credentialUpdates"] == 1
        assert stored["clientSecretSha256"] == hashlib.sha256((DATABRICKS_CLIENT_SECRET + "-rotated").encode()).hexdigest()
        credentials = emulator.requests("credentials")
        assert credentials[0]["body"] == {"clientId": DATABRICKS_CLIENT_ID, "clientSecretSha256": hashlib.sha256(
            (DATABRICKS_CLIENT_SECRET + "-rotated").encode()).hexdigest()}

    def test_update_secret_always_does_not_store_twice_on_create(self, ansible, emulator, tenant):
        run = ansible.playbook(play(connection_task(update_secret="always")), env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert run.task()["created"] is True and run.task()["secret_updated"] is False
        assert emulator.requests("credentials") == []

    def test_connection_test_activates_and_is_not_a_change(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        first = ansible.playbook(play(connection_task(test_connection=True)), env=env)
        assert first.rc == 0, first.output
        assert first.task()["test"] == {"connected": True, "message": "Connection successful", "database_type": "DATABRICKS",
                                        "reason_code": "ok"}
        assert emulator.connections(tenant)["databricks-connection-01"]["status"] == "ACTIVE"
        second = ansible.playbook(play(connection_task(test_connection=True)), env=env)
        assert second.rc == 0, second.output
        assert second.recap()["changed"] == 0
        assert second.task()["test"]["connected"] is True
        assert len(emulator.requests("test")) == 2

    def test_result_key_variant_of_test_answer(self, ansible, emulator, tenant):
        emulator.configure(test_result_key="result")
        run = ansible.playbook(play(connection_task(test_connection=True)), env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert run.task()["test"]["connected"] is True

    def test_failed_connection_test_fails_with_reltio_message(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        env["DATABRICKS_HOST"] = "https://unreachable.invalid"
        run = ansible.playbook(play(connection_task(test_connection=True)), env=env)
        assert run.rc != 0
        result = run.task()
        assert run.recap()["failed"] == 1
        assert result["changed"] is True and result["created"] is True
        assert result["test"]["connected"] is False
        assert "Unable to reach the Databricks workspace" in result["msg"]
        assert "Unable to reach the Databricks workspace" in run.output

    def test_second_active_connection_fails_with_reltio_message(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        assert ansible.playbook(play(connection_task(connection_name="first", test_connection=True)), env=env).rc == 0
        run = ansible.playbook(play(connection_task(connection_name="second")), env=env)
        assert run.rc != 0
        result = run.task()
        assert result["status"] == 400
        assert "An active Databricks connection already exists for the tenant" in result["msg"]
        assert "HTTP 400" in result["msg"]
        assert "Traceback" not in run.output
        assert list(emulator.connections(tenant)) == ["first"]


class TestCheckAndDiff:
    @pytest.mark.smoke
    def test_check_mode_sends_no_write(self, ansible, emulator, tenant):
        run = ansible.playbook(play(connection_task(test_connection=True, update_secret="always")), "--check", "--diff",
                               env=env_for(ansible, tenant, auth="client"))
        assert run.rc == 0, run.output
        result = run.task()
        assert result["changed"] is True
        # The one request to the tenant is the probe, Reltio's test, which answers 404 for an unknown name.
        assert [(entry["endpoint"], entry["status"]) for entry in writes(emulator)] == [("test", 404)]
        assert "would be created: Reltio's test answered that it does not exist (HTTP 404)" in result["msg"]
        assert len(emulator.requests("token")) == 1
        assert emulator.connections(tenant) == {}
        after = result["diff"]["after"]
        assert after["connection_name"] == "databricks-connection-01"
        assert after["workspace_url"] == WORKSPACE_URL
        assert after["client_secret"] == "<hidden>"
        assert '"client_secret": "<hidden>"' in run.stdout

    def test_check_mode_probe_predicts_ok_for_an_existing_connection(self, ansible, emulator, tenant):
        emulator.create_connection(tenant, "databricks-connection-01")
        run = ansible.playbook(play(connection_task(test_connection=True)), "--check", "--diff", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        result = run.task()
        assert result["changed"] is False and run.recap()["changed"] == 0
        assert result["msg"].startswith("Check mode: connection 'databricks-connection-01' exists and its test passed")
        assert result["test"]["connected"] is True
        assert result["diff"]["before_header"] == "databricks-connection-01 (exists)"
        assert [entry["endpoint"] for entry in writes(emulator)] == ["create", "test"]

    def test_check_mode_probe_of_a_failing_connection_predicts_a_store(self, ansible, emulator, tenant):
        emulator.create_connection(tenant, "databricks-connection-01")
        emulator.break_connection(tenant, "databricks-connection-01", "rotate_secret")
        run = ansible.playbook(play(connection_task(test_connection=True)), "--check", "--diff", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        result = run.task()
        assert result["changed"] is True
        assert "its test failed (Databricks rejected the OAuth client credentials)" in result["msg"]
        assert result["diff"]["after"]["client_secret"] == "<hidden> (new)"
        assert emulator.connections(tenant)["databricks-connection-01"]["credentialUpdates"] == 0

    def test_check_mode_probe_that_cannot_tell_keeps_the_prediction(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "test", "tenant": tenant, "status": 500, "count": -1, "message": "Internal trouble"})
        run = ansible.playbook(play(connection_task(test_connection=True)), "--check", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        result = run.task()
        assert result["changed"] is True
        assert "would be created unless it already exists" in result["msg"]
        assert "Reltio's test could not tell whether it exists: Reltio answered HTTP 500" in result["msg"]
        assert "Internal trouble" in result["msg"]

    def test_diff_mode_on_create_hides_secret(self, ansible, emulator, tenant):
        run = ansible.playbook(play(connection_task()), "--diff", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert run.task()["diff"]["after"]["client_secret"] == "<hidden>"
        assert WAREHOUSE_ID in run.stdout


# Each bad value, and what its error says: one task each, all in one playbook (an ansible-playbook run a case cost
# a second of CPU, twice that as a module).
BAD_INPUT = [
    ({"workspace_url": "not a url"}, "workspace_url must not contain spaces"),
    ({"workspace_url": "http://adb-1.2.azuredatabricks.net"}, "workspace_url must use https"),
    ({"workspace_url": ""}, "workspace_url is required"),
    ({"warehouse_id": "   "}, "warehouse_id is required and must not be blank"),
    ({"client_secret": " "}, "client_secret is required"),
    ({"platform_url": "http://reltio.example.com"}, "platform_url must use https"),
    ({"access_token": ""}, "access_token is required, or reltio_client_id and reltio_client_secret"),
    ({"update_secret": "sometimes"}, "update_secret"),
]


class TestValidation:
    def test_bad_input_fails_before_any_request(self, ansible, emulator, tenant):
        tasks = [dict(connection_task("bad input %d" % number, **full_args(ansible, tenant, **override)), ignore_errors=True)
                 for number, (override, dummy) in enumerate(BAD_INPUT)]
        run = ansible.playbook(play(*tasks))
        assert run.recap()["ignored"] == len(BAD_INPUT), run.output
        failed = run.failed_messages()
        for number, (override, expected) in enumerate(BAD_INPUT):
            assert expected in failed["bad input %d" % number], (override, failed)
        assert "Traceback" not in run.output
        assert emulator.requests() == []

    @pytest.mark.smoke
    def test_missing_values_name_their_environment_variable(self, ansible, emulator, tenant):
        run = ansible.adhoc("connection_name=x", env=ansible.reltio_env(tenant))
        assert run.rc != 0
        for hint in ("workspace_url is required", "DATABRICKS_HOST", "warehouse_id", "DATABRICKS_WAREHOUSE_ID",
                     "client_id", "client_secret", "DATABRICKS_CLIENT_SECRET"):
            assert hint in run.output
        assert emulator.requests() == []

    def test_without_requests_library(self, ansible, emulator, tenant, tmp_path):
        bare = tmp_path / "bare-venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
        run = ansible.adhoc("connection_name=x execution=target", "-e", "ansible_python_interpreter=%s" % (bare / "bin" / "python"),
                            env=env_for(ansible, tenant))
        assert run.rc != 0
        assert "Failed to import the required Python library (requests)" in run.output
        assert "Traceback" not in run.stdout
        assert emulator.requests() == []


class TestServerErrors:
    @pytest.mark.smoke
    def test_refused_token(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        env["RELTIO_ACCESS_TOKEN"] = "not-a-valid-token"
        run = ansible.adhoc("connection_name=x", env=env)
        assert run.rc != 0
        assert "refused the access token" in run.output and "HTTP 401" in run.output
        assert emulator.connections(tenant) == {}

    def test_refused_client_credentials(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant, auth="client")
        env["RELTIO_CLIENT_SECRET"] = RELTIO_CLIENT_SECRET + "-wrong"
        run = ansible.adhoc("connection_name=x", env=env)
        assert run.rc != 0
        assert "refused the client credentials" in run.output
        assert writes(emulator) == []

    def test_expired_token_is_fetched_again_once(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant, auth="client")
        env["RELTIO_ACCESS_TOKEN"] = "expired-or-unknown-token"
        run = ansible.adhoc("connection_name=x", env=env)
        assert run.rc == 0, run.output
        assert [entry["status"] for entry in emulator.requests()] == [401, 200, 200]

    def test_unknown_tenant(self, ansible, emulator, tenant):
        emulator.configure(tenants=["someOtherTenant"])
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        assert run.rc != 0
        assert "HTTP 404" in run.output and "Check tenant_id ('%s') and platform_url" % tenant in run.output
        assert run.task()["reason_code"] == "tenant_not_found"

    def test_retries_on_503_with_retry_after_and_429(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 503, "retry_after": 1, "count": 1},
                        {"endpoint": "create", "status": 429, "count": 1})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert [entry["status"] for entry in emulator.requests("create")] == [503, 429, 200]
        assert run.task()["created"] is True

    def test_html_gateway_page_after_retries(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 502, "body": "html", "count": -1})
        run = ansible.adhoc("connection_name=x retries=1", env=env_for(ansible, tenant))
        assert run.rc != 0
        msg = run.task()["msg"]
        assert "HTTP 502" in msg and "after 1 retries" in msg
        assert "<html" not in msg.lower()
        assert "Traceback" not in run.output
        assert len(emulator.requests("create")) == 2

    def test_commit_then_fail_is_reported_as_created(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 503, "after_commit": True, "count": 1})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        result = run.task()
        assert result["changed"] is True and result["created"] is True
        assert [entry["status"] for entry in emulator.requests("create")] == [503, 400]
        assert len(emulator.connections(tenant)) == 1

    def test_500_says_the_connection_may_exist(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 500, "after_commit": True, "count": 1})
        env = env_for(ansible, tenant)
        run = ansible.adhoc("connection_name=x", env=env)
        assert run.rc != 0
        result = run.task()
        assert result["may_exist"] is True and "may have been created" in result["msg"]
        assert "HTTP 500" in result["msg"]
        again = ansible.adhoc("connection_name=x", env=env)
        assert again.rc == 0 and "localhost | SUCCESS" in again.stdout

    def test_timeout(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "delay": 3, "count": 1})
        run = ansible.adhoc("connection_name=x timeout=1 retries=0", env=env_for(ansible, tenant))
        assert run.rc != 0
        assert "Timed out after 1 s while creating connection 'x'" in run.output
        assert "Traceback" not in run.output

    def test_connection_refused(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        env["RELTIO_PLATFORM_URL"] = "http://127.0.0.1:9"
        run = ansible.adhoc("connection_name=x retries=0", env=env)
        assert run.rc != 0
        assert "Could not reach 127.0.0.1:9 (from platform_url) while creating connection 'x'" in run.output
        assert "refused" in run.output.lower()
        # Hosts and causes only: no class of the HTTP library.
        assert "Connection(host=" not in run.output and "<urllib3" not in run.output

    def test_server_echoing_secrets_is_redacted_even_at_vvvv(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 400, "echo": True, "message": "Bad request", "count": 1})
        run = ansible.adhoc("connection_name=x", "-vvvv", env=env_for(ansible, tenant))
        assert run.rc != 0
        assert "********" in run.task()["msg"]
        # The leak scan of the ``ansible`` fixture proves the secrets themselves are absent.
