# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jobs run the way AWX runs them: ansible-runner on a private data directory.

AWX renders the injectors of each credential attached to a job template with the
credential's inputs (Jinja, in a sandbox), writes the result to env/envvars, the
survey answers to env/extravars, the inventory and the project's playbook next to
them, and hands the directory to ``ansible-runner``. What AWX stores and shows of a
job is what ansible-runner writes under artifacts/: ``stdout`` and ``job_events/``.
Here the credentials are those of extensions/awx/credential_types/, the playbook is
examples/create_connection.yml of the built collection, and Reltio is the emulator.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from runner_events import PYTHON_WARNING, event_data, job_events, python_warnings, stats
from reltio_world import (
    DATABRICKS_CLIENT_ID,
    DATABRICKS_CLIENT_SECRET,
    RELTIO_CLIENT_ID,
    RELTIO_CLIENT_SECRET,
    RELTIO_TOKEN,
    ROOT,
    WAREHOUSE_ID,
    WORKSPACE_URL,
)

CREDENTIAL_TYPES = ROOT / "extensions" / "awx" / "credential_types"
JOB_TEMPLATE_PLAYBOOK = ROOT / "examples" / "awx" / "create_job_template.yml"
PLAYBOOK = "create_connection.yml"
TASK = "Create the Databricks connection and test it"
WRONG_TOKEN = "rlt-expired-token-Vb7Nq2Xs4Lk9"
HIDDEN = "*" * 10
pytestmark = pytest.mark.ansible_runner
RESULT_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable")
# Environment variables AWX never lets a credential set.
ENV_BLOCKLIST = {
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE", "CALLBACK_CONNECTION",
    "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
}


def credential_type(name):
    with open(CREDENTIAL_TYPES / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def inject(definition, inputs):
    """AWX's injection of one credential: ``(env, safe_env)``, the job's environment and what AWX shows of it.

    As AWX does it: an input left empty is not in the namespace, so its template renders to
    nothing; secret inputs are replaced by asterisks in the shown environment.
    """
    fields = definition["inputs"]["fields"]
    missing = [name for name in definition["inputs"].get("required", []) if not inputs.get(name)]
    assert not missing, "AWX refuses a credential without %s" % missing
    assert set(inputs) <= set(field["id"] for field in fields)
    secret = set(field["id"] for field in fields if field.get("secret"))
    namespace, safe_namespace = {}, {}
    for name, value in inputs.items():
        if name in secret:
            safe_namespace[name] = HIDDEN
        elif value:
            safe_namespace[name] = value
        if value:
            namespace[name] = value
    sandbox = ImmutableSandboxedEnvironment()
    env, safe_env = {}, {}
    for variable, template in definition["injectors"].get("env", {}).items():
        if variable in ENV_BLOCKLIST:
            continue
        env[variable] = sandbox.from_string(template).render(**namespace)
        safe_env[variable] = sandbox.from_string(template).render(**safe_namespace)
    return env, safe_env


def survey_answer(answer):
    """The extra vars of a job launched from the job template of examples/awx/ with ``answer`` to its survey."""
    with open(JOB_TEMPLATE_PLAYBOOK, encoding="utf-8") as handle:
        (play,) = yaml.safe_load(handle)
    (template,) = [task["awx.awx.job_template"] for task in play["tasks"] if "awx.awx.job_template" in task]
    (question,) = template["survey_spec"]["spec"]
    assert template["playbook"] == PLAYBOOK and question["min"] <= len(answer) <= question["max"]
    return {question["variable"]: answer}


def reltio_inputs(ansible, tenant, **inputs):
    inputs.setdefault("platform_url", ansible.emulator.url)
    inputs.setdefault("tenant_id", tenant)
    return ("reltio_api.yml", inputs)


DATABRICKS_INPUTS = ("databricks_service_principal.yml", {
    "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID,
    "client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET,
})


class Job:
    """One AWX job: its private data directory, then what ansible-runner left in it."""

    def __init__(self, ansible, built_collection, credentials, extra_vars, verbosity=0, playbook=PLAYBOOK, inventory=None):
        self.number = len(list(ansible.workdir.glob("job-*"))) + 1
        self.dir = ansible.workdir / ("job-%d" % self.number)
        for sub in ("env", "inventory", "project"):
            (self.dir / sub).mkdir(parents=True)
        installed = built_collection.collections_path / "ansible_collections" / "reltio" / "platform"
        shutil.copy(installed / "examples" / playbook, self.dir / "project" / playbook)
        (self.dir / "inventory" / "hosts").write_text(inventory or
                                                      "localhost ansible_connection=local ansible_python_interpreter='{{ ansible_playbook_python }}'\n")
        self.env, self.safe_env = {}, {}
        for name, inputs in credentials:
            env, safe_env = inject(credential_type(name), inputs)
            self.env.update(env)
            self.safe_env.update(safe_env)
        self._write("envvars", self.env)
        self._write("extravars", extra_vars)
        if verbosity:
            # A job template's "Verbosity", as AWX passes it.
            (self.dir / "env" / "cmdline").write_text("-" + "v" * verbosity)
        # The EE has the collection installed; here the built tarball's copy is.
        # Its ansible-playbook prints a Python warning as it starts, as with a new release of a library.
        self.run = ansible.run(["ansible-runner", "run", str(self.dir), "-p", playbook, "--ident", str(self.number)],
                               env={"ANSIBLE_COLLECTIONS_PATH": str(built_collection.collections_path),
                                    "PYTHONPATH": str(PYTHON_WARNING)})
        self.artifacts = self.dir / "artifacts" / str(self.number)

    def _write(self, name, data):
        path = self.dir / "env" / name
        path.write_text(json.dumps(data))
        os.chmod(path, 0o600)

    @property
    def status(self):
        return (self.artifacts / "status").read_text().strip()

    @property
    def events(self):
        events = job_events(self.artifacts)
        # The job's Python warning was there, as a verbose event without event_data, for every reader to get past.
        assert python_warnings(events) and "event_data" not in python_warnings(events)[0], events[:3]
        return events

    def task_events(self, task=TASK):
        return [event for event in self.events if event["event"] in RESULT_EVENTS and event_data(event).get("task") == task]

    def module_result(self):
        (event,) = self.task_events()
        return event["event"], event_data(event)["res"]

    def stats(self):
        return stats(self.events)

    def stored_files(self):
        """What ansible-runner wrote that AWX keeps and shows: stdout, job_events/*.json, status, rc ...

        Not ``command``: ansible-runner writes the job's command and whole environment there
        (owner-only, like env/envvars), for the worker; AWX neither stores nor shows it.
        """
        return sorted(path for path in self.artifacts.rglob("*") if path.is_file() and path.name != "command")

    def leaks(self, secrets):
        found = []
        for path in self.stored_files():
            text = path.read_text(errors="replace")
            found.extend("%s in %s" % (label, path.relative_to(self.dir)) for label, secret in secrets.items() if secret in text)
        return found


def assert_nothing_leaked(job, secrets):
    """No secret in what AWX keeps of the job: the test's own secrets, and every value of a secret field."""
    secrets = dict(secrets)
    secrets.update(("$%s" % name, job.env[name]) for name, shown in job.safe_env.items() if shown == HIDDEN and job.env[name])
    files = [path.relative_to(job.artifacts).as_posix() for path in job.stored_files()]
    assert "stdout" in files and len([name for name in files if name.startswith("job_events/")]) >= 5, files
    assert job.leaks(secrets) == []
    # The secrets were there to leak: the job's environment (ansible-runner's private record of it) has them.
    command = job.artifacts / "command"
    injected = json.loads(command.read_text())["env"]
    assert [injected[name] for name in job.env if name.endswith(("_SECRET", "_TOKEN")) and job.env[name]]
    assert all(injected[name] == value for name, value in job.env.items())
    assert command.stat().st_mode & 0o077 == 0
    shown = json.dumps(job.safe_env)
    assert not [label for label, secret in secrets.items() if secret in shown], job.safe_env


@pytest.fixture(autouse=True)
def _runner_available():
    runner = os.path.join(os.path.dirname(sys.executable), "ansible-runner")
    assert os.path.exists(runner), "ansible-runner is not installed next to %s (requirements-dev.txt)" % sys.executable


def test_job_creates_the_connection_then_changes_nothing(ansible, emulator, tenant, built_collection):
    credentials = [reltio_inputs(ansible, tenant, access_token=RELTIO_TOKEN), DATABRICKS_INPUTS]
    first = Job(ansible, built_collection, credentials, survey_answer("awx-connection"))
    assert first.run.rc == 0, first.run.output
    assert first.status == "successful"
    assert json.loads((first.dir / "env" / "extravars").read_text()) == {"connection_name": "awx-connection"}
    # Fields left empty are injected empty; the auth URL falls back to Reltio's.
    assert first.env["RELTIO_CLIENT_ID"] == first.env["RELTIO_CLIENT_SECRET"] == ""
    assert first.env["RELTIO_AUTH_URL"] == "https://auth.reltio.com/oauth/token"
    assert first.safe_env["RELTIO_ACCESS_TOKEN"] == HIDDEN and first.safe_env["DATABRICKS_CLIENT_SECRET"] == HIDDEN
    event, result = first.module_result()
    assert event == "runner_on_ok"
    assert result["changed"] is True and result["created"] is True
    assert result["test"]["connected"] is True
    assert first.stats()["changed"] == {"localhost": 1}
    stored = emulator.connections(tenant)["awx-connection"]
    assert stored["status"] == "ACTIVE"
    assert stored["workspaceUrl"] == WORKSPACE_URL and stored["warehouseId"] == WAREHOUSE_ID
    assert stored["clientId"] == DATABRICKS_CLIENT_ID
    assert_nothing_leaked(first, ansible.secrets)

    second = Job(ansible, built_collection, credentials, survey_answer("awx-connection"))
    assert second.run.rc == 0, second.run.output
    assert second.status == "successful"
    event, result = second.module_result()
    assert event == "runner_on_ok"
    assert result["changed"] is False and result["created"] is False
    assert second.stats()["changed"] == {}
    assert "not compared" in (second.artifacts / "stdout").read_text()
    assert list(emulator.connections(tenant)) == ["awx-connection"]
    assert len(emulator.requests("create")) == 2
    assert_nothing_leaked(second, ansible.secrets)


def test_job_with_reltio_client_credentials(ansible, emulator, tenant, built_collection):
    credentials = [reltio_inputs(ansible, tenant, reltio_client_id=RELTIO_CLIENT_ID, reltio_client_secret=RELTIO_CLIENT_SECRET,
                                 auth_url=emulator.token_url), DATABRICKS_INPUTS]
    job = Job(ansible, built_collection, credentials, survey_answer("awx-cc-connection"))
    assert job.run.rc == 0, job.run.output
    assert job.status == "successful"
    assert job.env["RELTIO_ACCESS_TOKEN"] == ""
    assert job.safe_env["RELTIO_CLIENT_ID"] == job.safe_env["RELTIO_CLIENT_SECRET"] == HIDDEN
    assert job.module_result()[1]["created"] is True
    assert len(emulator.requests("token")) == 1
    assert "awx-cc-connection" in emulator.connections(tenant)
    assert_nothing_leaked(job, ansible.secrets)


def test_job_with_a_refused_token_fails_clearly(ansible, emulator, tenant, built_collection):
    ansible.add_secret("refused Reltio token", WRONG_TOKEN)
    credentials = [reltio_inputs(ansible, tenant, access_token=WRONG_TOKEN), DATABRICKS_INPUTS]
    job = Job(ansible, built_collection, credentials, survey_answer("awx-connection"), verbosity=3)
    assert job.run.rc != 0
    assert "-vvv" in json.loads((job.artifacts / "command").read_text())["command"]
    assert job.status == "failed"
    event, result = job.module_result()
    assert event == "runner_on_failed"
    assert "Reltio refused the access token or credentials (HTTP 401" in result["msg"]
    assert result["msg"] in (job.artifacts / "stdout").read_text()
    assert job.stats()["failures"] == {"localhost": 1}
    assert emulator.connections(tenant) == {}
    assert_nothing_leaked(job, ansible.secrets)


def health_inventory(tenants):
    """The nightly health job's inventory (examples/awx/schedule_health_check.yml): one host per tenant, with its
    tenant and connection name and nothing of Reltio's credentials or URLs, which the "Reltio API" credential gives."""
    lines = ["[reltio_tenants]"]
    for number, tenant in enumerate(tenants):
        lines.append("tenant%d databricks_connection_tenant_id=%s databricks_connection_name=nightly-connection" % (number, tenant))
    lines += ["[reltio_tenants:vars]", "ansible_connection=local", "ansible_python_interpreter='{{ ansible_playbook_python }}'"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("auth", ["token", "client credentials"])
def test_the_nightly_health_job_reads_the_reltio_api_credential(ansible, emulator, tenant, built_collection, auth):
    """Issue 26 point 1, end to end: the "Reltio API" credential's injectors, the role connection_health run the way
    ansible-runner runs an AWX job (examples/connection_health.yml, the job template's playbook), and every tenant
    healthy. The credential's RELTIO_TENANT_ID is some other tenant: the role takes the tenants from the inventory.
    One tenant is enough to show that (each host costs the role's tasks again, a module run each on the target path;
    the role's tests cover many hosts)."""
    tenants = ["%s-a" % tenant]
    for name in tenants:
        emulator.create_connection(name, "nightly-connection")
    if auth == "token":
        inputs = reltio_inputs(ansible, "credential-tenant", access_token=RELTIO_TOKEN)
    else:
        inputs = reltio_inputs(ansible, "credential-tenant", reltio_client_id=RELTIO_CLIENT_ID,
                               reltio_client_secret=RELTIO_CLIENT_SECRET, auth_url=emulator.token_url)
    job = Job(ansible, built_collection, [inputs], {}, playbook="connection_health.yml", inventory=health_inventory(tenants))
    assert job.run.rc == 0, job.run.output
    assert job.status == "successful"
    report = json.loads((job.dir / "project" / "connection-health" / "connection-health.json").read_text())
    assert [(record["tenant_id"], record["status"]) for record in report["connections"]] == [(name, "healthy") for name in tenants]
    # The credential's empty fields are injected empty, which is no value taken; its auth URL always has one.
    expected = ["access_token", "auth_url"] if auth == "token" else ["auth_url", "reltio_client_id", "reltio_client_secret"]
    for record in report["connections"]:
        # RELTIO_EXECUTION: the tests pick the execution path with it.
        assert record["from_environment"] == sorted(expected + ["execution", "platform_url"]), record
    handed_on = job.stats()["artifact_data"]["connection_health"]
    assert handed_on["counts"] == {"failing": 0, "error": 0, "missing": 0, "healthy": 1} and handed_on["new_failures"] == 0
    assert emulator.connections("credential-tenant") == {}
    ansible.scan_path(job.dir / "project" / "connection-health")
    assert_nothing_leaked(job, ansible.secrets)
