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


def requests_of(emulator, tenant, endpoint=None):
    """The logged requests to one tenant (a case of a play that gives each case a tenant of its own)."""
    return [entry for entry in emulator.requests(endpoint) if entry["tenant"] == tenant]


def requests_around(emulator, tenant):
    """The requests from the first to one tenant to its last, the token requests between them included: the requests of
    one case of a play, its tasks run one after another."""
    entries = emulator.requests()
    places = [place for place, entry in enumerate(entries) if entry["tenant"] == tenant]
    return entries[places[0]:places[-1] + 1] if places else []


def case_task(name, tenant, environment=None, ignore_errors=False, **args):
    """A task of a play that proves several cases, a tenant each (given as RELTIO_TENANT_ID in the task's environment)."""
    task = dict(connection_task(name, **args), environment=dict(environment or {}, RELTIO_TENANT_ID=tenant))
    if ignore_errors:
        task["ignore_errors"] = True
    return task


class TestCreate:
    @pytest.mark.smoke
    def test_creates_then_reports_ok(self, ansible, emulator, tenant):
        # The same task twice in one play: the second finds what the first created.
        task = connection_task(**full_args(ansible, tenant))
        run = ansible.playbook(play(task, dict(task, name="again")))
        assert run.rc == 0, run.output
        assert run.recap()["changed"] == 1
        result = run.task("create")
        assert result["changed"] is True and result["created"] is True
        stored = emulator.connections(tenant)["databricks-connection-01"]
        assert result["connection"]["connection_id"] == stored["connectionId"]
        assert result["connection"]["connection_name"] == "databricks-connection-01"
        assert result["connection"]["status"] == "success"
        assert isinstance(result["connection"]["timestamp"], int)
        assert stored["status"] == "PENDING"
        assert stored["clientSecretSha256"] == hashlib.sha256(DATABRICKS_CLIENT_SECRET.encode()).hexdigest()

        again = run.task("again")
        assert again["changed"] is False and again["created"] is False
        # The fact of every rerun is in msg and not_compared; a warning would be ignored on every run.
        assert "not compared" in again["msg"] and again["not_compared"] == ["workspace_url", "warehouse_id"]
        assert not again.get("warnings") and "[WARNING]" not in run.output
        assert len(emulator.connections(tenant)) == 1

    def test_sends_the_documented_request_however_its_options_are_given(self, ansible, emulator, tenant):
        """Three tasks, a tenant each, in one play: every option as an argument (the request on the wire), Reltio's from
        module_defaults of the group, and client credentials (one token) for a name that looks like a path."""
        documented, defaults, client = ("%s%s" % (tenant, case) for case in ("doc", "defaults", "client"))
        group = {"platform_url": ansible.emulator.url, "tenant_id": defaults, "access_token": RELTIO_TOKEN}
        name = "../etc/x?y#z%20"
        run = ansible.playbook(play(
            connection_task("documented", **full_args(ansible, documented)),
            dict(connection_task("module defaults", connection_name="from-defaults", workspace_url=WORKSPACE_URL,
                                 warehouse_id=WAREHOUSE_ID, client_id=DATABRICKS_CLIENT_ID,
                                 client_secret=DATABRICKS_CLIENT_SECRET),
                 module_defaults={"group/reltio.platform.reltio": group}),
            case_task("client credentials, slashed name", client, env_for(ansible, client, auth="client"),
                      connection_name=name, update_secret="always", test_connection=True)))
        assert run.rc == 0, run.output

        (create,) = requests_of(emulator, documented, "create")
        assert create["method"] == "POST"
        assert create["path"] == "/reltio/api/tenants/%s/interactions/database-configs/databricks/oauth/credentials" % documented
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
        assert len(requests_of(emulator, documented)) == 1

        assert run.task("module defaults")["created"] is True
        assert "from-defaults" in emulator.connections(defaults)

        # The one token request of the play is the client credentials case's: the others were given a token.
        assert len(emulator.requests("token")) == 1
        assert requests_of(emulator, client, "create")[0]["status"] == 200

        assert name in emulator.connections(client)
        others = [entry for entry in emulator.requests()
                  if entry["endpoint"] != "token" and entry["tenant"] not in (documented, defaults)]
        assert [entry["endpoint"] for entry in others] == ["create", "test"]
        for entry in others:
            assert entry["path"].startswith("/reltio/api/tenants/%s/interactions/database-configs/" % client)
            assert entry["tenant"] == client

    def test_adhoc_with_environment_variables(self, ansible, emulator, tenant):
        """One ad-hoc command on two local hosts, a connection each (by the alias ``name``): the one it creates is
        CHANGED, the one that exists already (given, as if an earlier command had created it) is SUCCESS."""
        emulator.create_connection(tenant, "adhoc-given")
        inventory = ansible.workdir / "adhoc-hosts.ini"
        inventory.write_text("creating conn=adhoc-conn ansible_connection=local\n"
                             "finding conn=adhoc-given ansible_connection=local\n")
        run = ansible.run(["ansible", "all", "-i", str(inventory), "-m", MODULE, "-a",
                           "name={{ conn }} workspace_url=%s warehouse_id=%s" % (WORKSPACE_URL, WAREHOUSE_ID)],
                          env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert "creating | CHANGED" in run.stdout
        assert "finding | SUCCESS" in run.stdout
        assert sorted(emulator.connections(tenant)) == ["adhoc-conn", "adhoc-given"]


class TestIdempotencyAndUpdates:
    def test_update_secret_and_test_connection_do_what_they_say(self, ansible, emulator, tenant):
        """Five cases, three tenants, in one play: a secret rotated with update_secret=always, and not stored twice on
        create; a passing test activates and is no change; a failing test and a second active connection (beside the one
        the passing test activated) fail with Reltio's message. Reltio answers its tests under its other key, "result"
        (the other tests of this file that test a connection see the usual "data")."""
        # For every tenant: a run of its own would cost more than a case here.
        emulator.configure(test_result_key="result")
        rotate, active, failing = ("%s%s" % (tenant, case) for case in ("rot", "act", "fail"))
        rotated = DATABRICKS_CLIENT_SECRET + "-rotated"
        ansible.add_secret("rotated Databricks secret", rotated)
        # The connection whose secret is rotated is given, not created by a task (a module execution on the target path).
        emulator.create_connection(rotate, "databricks-connection-01")
        run = ansible.playbook(play(
            case_task("rotate: store", rotate, {"DATABRICKS_CLIENT_SECRET": rotated}, update_secret="always"),
            # update_secret=always on a create: the secret is not stored again after the create.
            case_task("test", active, test_connection=True, update_secret="always"),
            case_task("test again", active, test_connection=True),
            case_task("failing test", failing, {"DATABRICKS_HOST": "https://unreachable.invalid"}, ignore_errors=True,
                      test_connection=True),
            case_task("second active", active, ignore_errors=True, connection_name="second"),
        ), env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert set(run.failed_messages()) == {"failing test", "second active"}, run.output

        result = run.task("rotate: store")
        assert result["changed"] is True and result["secret_updated"] is True and result["created"] is False
        stored = emulator.connections(rotate)["databricks-connection-01"]
        assert stored["credentialUpdates"] == 1
        assert stored["clientSecretSha256"] == hashlib.sha256(rotated.encode()).hexdigest()
        credentials = requests_of(emulator, rotate, "credentials")
        assert credentials[0]["body"] == {"clientId": DATABRICKS_CLIENT_ID,
                                          "clientSecretSha256": hashlib.sha256(rotated.encode()).hexdigest()}

        result = run.task("test")
        assert result["created"] is True and result["secret_updated"] is False
        assert requests_of(emulator, active, "credentials") == []

        assert run.task("test")["test"] == {"connected": True, "message": "Connection successful",
                                            "database_type": "DATABRICKS", "reason_code": "ok"}
        assert emulator.connections(active)["databricks-connection-01"]["status"] == "ACTIVE"
        again = run.task("test again")
        assert again["changed"] is False and again["test"]["connected"] is True
        assert len(requests_of(emulator, active, "test")) == 2

        result = run.task("failing test")
        assert result["changed"] is True and result["created"] is True
        assert result["test"]["connected"] is False
        assert "Unable to reach the Databricks workspace" in result["msg"]
        assert "Unable to reach the Databricks workspace" in run.output

        result = run.task("second active")
        assert result["status"] == 400
        assert "An active Databricks connection already exists for the tenant" in result["msg"]
        assert "HTTP 400" in result["msg"]
        assert list(emulator.connections(active)) == ["databricks-connection-01"]
        assert "Traceback" not in run.output


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

    def test_check_mode_probe_predicts_each_outcome_and_diff_hides_the_secret(self, ansible, emulator, tenant):
        """Four cases, a tenant each, in one play run with --check --diff: the probe of an existing connection predicts
        ok, of a failing one a store, and one that cannot tell keeps the prediction (without --diff: diff false);
        a create not in check mode (check_mode false) shows its diff with the secret hidden."""
        existing, failing, unsure, created = ("%s%s" % (tenant, case) for case in ("ok", "fail", "unsure", "diff"))
        emulator.create_connection(existing, "databricks-connection-01")
        emulator.create_connection(failing, "databricks-connection-01")
        emulator.break_connection(failing, "databricks-connection-01", "rotate_secret")
        emulator.faults({"endpoint": "test", "tenant": unsure, "status": 500, "count": -1, "message": "Internal trouble"})
        run = ansible.playbook(play(
            case_task("existing", existing, test_connection=True),
            case_task("failing", failing, test_connection=True),
            dict(case_task("unsure", unsure, test_connection=True), diff=False),
            dict(case_task("create", created), check_mode=False),
        ), "--check", "--diff", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output

        result = run.task("existing")
        assert result["changed"] is False
        assert result["msg"].startswith("Check mode: connection 'databricks-connection-01' exists and its test passed")
        assert result["test"]["connected"] is True
        assert result["diff"]["before_header"] == "databricks-connection-01 (exists)"
        assert [entry["endpoint"] for entry in writes(emulator) if entry["tenant"] == existing] == ["create", "test"]

        result = run.task("failing")
        assert result["changed"] is True
        assert "its test failed (Databricks rejected the OAuth client credentials)" in result["msg"]
        assert result["diff"]["after"]["client_secret"] == "<hidden> (new)"
        assert emulator.connections(failing)["databricks-connection-01"]["credentialUpdates"] == 0

        result = run.task("unsure")
        assert result["changed"] is True
        assert "would be created unless it already exists" in result["msg"]
        assert "Reltio's test could not tell whether it exists: Reltio answered HTTP 500" in result["msg"]
        assert "Internal trouble" in result["msg"]

        result = run.task("create")
        assert result["created"] is True and "databricks-connection-01" in emulator.connections(created)
        assert result["diff"]["after"]["client_secret"] == "<hidden>"
        assert result["diff"]["after"]["warehouse_id"] == WAREHOUSE_ID and WAREHOUSE_ID in run.stdout


# Bad values, and what their error says, all in one playbook. A task's message names every problem of its arguments,
# so a task holds bad values of several options (a module execution costs a second of CPU on the target path): three
# tasks, as workspace_url has three bad values. update_secret, refused by the argument spec, is in a task of its own
# kind: the other two go through the module's own validation.
BAD_INPUT = [
    ({"workspace_url": "not a url", "warehouse_id": "   ", "client_secret": " ", "platform_url": "http://reltio.example.com"},
     ["workspace_url must not contain spaces", "warehouse_id is required and must not be blank", "client_secret is required",
      "platform_url must use https"]),
    ({"workspace_url": "http://adb-1.2.azuredatabricks.net", "access_token": ""},
     ["workspace_url must use https", "access_token is required, or reltio_client_id and reltio_client_secret"]),
    ({"workspace_url": "", "update_secret": "sometimes"}, ["workspace_url is required", "value of update_secret must be one of"]),
]


class TestValidation:
    def test_bad_input_or_a_python_without_requests_fails_before_any_request(self, ansible, emulator, tenant, tmp_path):
        tasks = [dict(connection_task("bad input %d" % number, **full_args(ansible, tenant, **override)), ignore_errors=True)
                 for number, (override, dummy) in enumerate(BAD_INPUT)]
        if ansible.execution == "target":
            # A module whose Python has no requests library: only a module can meet one (on the controller path the
            # task would run the module anyway), so a task of the target path's play.
            bare = tmp_path / "bare-venv"
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
            tasks.append(dict(connection_task("without requests", **full_args(ansible, tenant, execution="target")),
                              ignore_errors=True, vars={"ansible_python_interpreter": str(bare / "bin" / "python")}))
        run = ansible.playbook(play(*tasks))
        assert run.recap()["ignored"] == len(tasks), run.output
        failed = run.failed_messages()
        for number, (override, expected) in enumerate(BAD_INPUT):
            for words in expected:
                assert words in failed["bad input %d" % number], (override, words, failed)
        if ansible.execution == "target":
            assert "Failed to import the required Python library (requests)" in failed["without requests"]
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


class TestServerErrors:
    @pytest.mark.smoke
    def test_refused_token(self, ansible, emulator, tenant):
        env = env_for(ansible, tenant)
        env["RELTIO_ACCESS_TOKEN"] = "not-a-valid-token"
        run = ansible.adhoc("connection_name=x", env=env)
        assert run.rc != 0
        assert "refused the access token" in run.output and "HTTP 401" in run.output
        assert emulator.connections(tenant) == {}

    def test_each_answer_of_a_failing_server_is_told_or_retried(self, ansible, emulator, tenant):
        """Nine cases, a tenant each (the faults are the tenant's), in one play: what each answer or failure to answer
        makes of the task."""
        cases = ("creds", "expired", "unknown", "retry", "html", "commit", "maybe", "timeout", "refused")
        creds, expired, unknown, retry, html, commit, maybe, timeout, refused = ("%s%s" % (tenant, case) for case in cases)
        emulator.configure(tenants=[name for name in ("%s%s" % (tenant, case) for case in cases) if name != unknown])
        emulator.faults({"endpoint": "create", "tenant": retry, "status": 503, "retry_after": 1, "count": 1},
                        {"endpoint": "create", "tenant": retry, "status": 429, "count": 1},
                        {"endpoint": "create", "tenant": html, "status": 502, "body": "html", "count": -1},
                        {"endpoint": "create", "tenant": commit, "status": 503, "after_commit": True, "count": 1},
                        {"endpoint": "create", "tenant": maybe, "status": 500, "after_commit": True, "count": 1},
                        {"endpoint": "create", "tenant": timeout, "delay": 3, "count": 1})
        # No Reltio credentials for the whole play: each case gives its own, a token or client credentials.
        token = ansible.reltio_env

        def client(name, **extra):
            return dict(ansible.reltio_env(name, auth="client"), **extra)

        ansible.add_secret("a wrong Reltio client secret", RELTIO_CLIENT_SECRET + "-wrong")
        ansible.add_secret("an unknown access token", "expired-or-unknown-token")
        run = ansible.playbook(play(
            case_task("refused client credentials", creds, client(creds, RELTIO_CLIENT_SECRET=RELTIO_CLIENT_SECRET + "-wrong"),
                      ignore_errors=True, connection_name="x"),
            case_task("expired token", expired, client(expired, RELTIO_ACCESS_TOKEN="expired-or-unknown-token"),
                      connection_name="x"),
            case_task("unknown tenant", unknown, token(unknown), ignore_errors=True, connection_name="x"),
            case_task("503 and 429", retry, token(retry), connection_name="x"),
            case_task("html page", html, token(html), ignore_errors=True, connection_name="x", retries=1),
            case_task("commit then fail", commit, token(commit), connection_name="x"),
            case_task("500", maybe, token(maybe), ignore_errors=True, connection_name="x"),
            case_task("500 again", maybe, token(maybe), connection_name="x"),
            case_task("timeout", timeout, token(timeout), ignore_errors=True, connection_name="x", timeout=1, retries=0),
            case_task("connection refused", refused, dict(token(refused), RELTIO_PLATFORM_URL="http://127.0.0.1:9"),
                      ignore_errors=True, connection_name="x", retries=0),
        ), env=ansible.databricks_env())
        assert run.rc == 0, run.output
        assert set(run.failed_messages()) == {"refused client credentials", "unknown tenant", "html page", "500", "timeout",
                                              "connection refused"}, run.output
        assert "Traceback" not in run.output

        assert "refused the client credentials" in run.task("refused client credentials")["msg"]
        assert requests_of(emulator, creds) == []

        assert not run.task("expired token").get("failed")
        assert [entry["status"] for entry in requests_around(emulator, expired)] == [401, 200, 200]

        result = run.task("unknown tenant")
        assert "HTTP 404" in result["msg"] and "Check tenant_id ('%s') and platform_url" % unknown in result["msg"]
        assert result["reason_code"] == "tenant_not_found"

        assert [entry["status"] for entry in requests_of(emulator, retry, "create")] == [503, 429, 200]
        assert run.task("503 and 429")["created"] is True

        msg = run.task("html page")["msg"]
        assert "HTTP 502" in msg and "after 1 retries" in msg
        assert "<html" not in msg.lower()
        assert len(requests_of(emulator, html, "create")) == 2

        result = run.task("commit then fail")
        assert result["changed"] is True and result["created"] is True
        assert [entry["status"] for entry in requests_of(emulator, commit, "create")] == [503, 400]
        assert len(emulator.connections(commit)) == 1

        result = run.task("500")
        assert result["may_exist"] is True and "may have been created" in result["msg"]
        assert "HTTP 500" in result["msg"]
        again = run.task("500 again")
        assert not again.get("failed") and again["changed"] is False

        assert "Timed out after 1 s while creating connection 'x'" in run.task("timeout")["msg"]

        msg = run.task("connection refused")["msg"]
        assert "Could not reach 127.0.0.1:9 (from platform_url) while creating connection 'x'" in msg
        assert "refused" in msg.lower()
        # Hosts and causes only: no class of the HTTP library.
        assert "Connection(host=" not in run.output and "<urllib3" not in run.output

    def test_server_echoing_secrets_is_redacted_even_at_vvvv(self, ansible, emulator, tenant):
        # A run of its own: its point is what -vvvv prints.
        emulator.faults({"endpoint": "create", "status": 400, "echo": True, "message": "Bad request", "count": 1})
        run = ansible.adhoc("connection_name=x", "-vvvv", env=env_for(ansible, tenant))
        assert run.rc != 0
        assert "********" in run.task()["msg"]
        # The leak scan of the ``ansible`` fixture proves the secrets themselves are absent.
