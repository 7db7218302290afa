# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults: what the emulator does wrong, and what the play must still get right.

Focused tests inject one fault each. The chaos tests run ansible-playbook over 16
tenants (24 in the soak) with forks while the emulator injects seeded random
faults, then compare the emulator's state with what the play reported: no
duplicate, no connection lost or invented, every failure clear; a second run
without faults converges.
`make test` runs the short chaos round, `make soak` (pytest -m soak) the long one.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import re

import pytest

from reltio_world import (
    DATABRICKS_CLIENT_ID,
    DATABRICKS_CLIENT_SECRET,
    RELTIO_CLIENT_ID,
    RELTIO_CLIENT_SECRET,
    RELTIO_TOKEN,
    WAREHOUSE_ID,
    WORKSPACE_URL,
)

MODULE = "reltio.platform.reltio_databricks_connection"
# A failed task names an HTTP status or the transport problem.
CLEAR_REASON = re.compile(r"HTTP \d{3}|Timed out after [\d.]+ s|Could not reach \S+|TLS error|Proxy error")
# Connection names a user may type: the validator accepts them, each must stay one path segment.
HOSTILE_NAMES = [
    "../escape", "a b/c?d#e%2F", "\u00fcn\u00efc\u00f8d\u00e9-\u20ac-\u540d\u524d", "semi;colon&x=1", "<b>bold</b>",
    "back\\slash", "%2e%2e", "..%2F..", "trailing. ", " leading", "x" * 180, "no-break\u00a0space",
]


def env_for(ansible, tenant, auth="token"):
    env = ansible.reltio_env(tenant, auth=auth)
    env.update(ansible.databricks_env())
    return env


def play(*tasks):
    return json.dumps([{"name": "faults", "hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}], indent=2)


def task(name="create", **args):
    return {"name": name, MODULE: args}


def statuses(emulator, endpoint="create"):
    return [entry["status"] for entry in emulator.requests(endpoint)]


def unclear_reason(result):
    """Why a failed task result is not a clear failure, or None."""
    msg = result.get("msg") or ""
    if "Traceback" in json.dumps(result):
        return "a traceback"
    if not CLEAR_REASON.search(msg):
        return "no HTTP status or transport reason in %r" % msg[:300]
    if "<html" in msg.lower():
        return "raw HTML in the message"
    status = result.get("status")
    if status is not None and "HTTP %s" % status not in msg:
        return "status %s missing from %r" % (status, msg[:300])
    return None


def assert_clear_failure(run, result):
    assert run.rc != 0
    assert unclear_reason(result) is None, unclear_reason(result)
    assert "Traceback" not in run.output


def ignored_run(ansible, env, *tasks):
    """One playbook of ``tasks``, their failures ignored: a task and its rerun, or cases in tenants of their own, in one
    ansible-playbook run rather than one each (about a CPU-second each); ``{task name: (failed, result)}``."""
    run = ansible.playbook(play(*[dict(entry, ignore_errors=True) for entry in tasks]), env=env)
    assert "Traceback" not in run.output
    outcomes = dict((entry["task"], (entry["status"] == "failed", entry["result"])) for entry in run.results)
    assert sorted(outcomes) == sorted(entry["name"] for entry in tasks), run.output
    return outcomes


def assert_clear_failed_task(outcome):
    """What assert_clear_failure says of a run, of a task whose failure was ignored."""
    failed, result = outcome
    assert failed, result
    assert unclear_reason(result) is None, unclear_reason(result)


# --------------------------------------------------------------------------- one fault at a time

class TestResetsAndTimeouts:
    CASES = [  # (after_commit, the status of the retry, what the message says)
        (False, 200, "created in tenant"),
        (True, 400, "(confirmed on a retry)"),
    ]

    def test_reset_is_retried_and_reported_created(self, ansible, emulator, tenant):
        """A reset before and one after the commit, each in a tenant of its own."""
        tasks = []
        for number, (after_commit, dummy, dummy) in enumerate(self.CASES):
            emulator.faults({"endpoint": "create", "tenant": tenant + str(number), "reset": True, "after_commit": after_commit})
            tasks.append(dict(task("case %d" % number, connection_name="x"), environment={"RELTIO_TENANT_ID": tenant + str(number)}))
        outcomes = ignored_run(ansible, env_for(ansible, tenant), *tasks)
        for number, (after_commit, second_status, msg) in enumerate(self.CASES):
            failed, result = outcomes["case %d" % number]
            assert not failed, result
            assert result["changed"] is True and result["created"] is True
            assert msg in result["msg"]
            assert [entry["status"] for entry in emulator.requests("create") if entry["tenant"] == tenant + str(number)] == [
                None, second_status]
            assert list(emulator.connections(tenant + str(number))) == ["x"]

    def test_reset_on_every_try_says_it_may_exist_and_a_rerun_converges(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "reset": True, "after_commit": True, "count": 2})
        outcomes = ignored_run(ansible, env_for(ansible, tenant), task("first", connection_name="x", retries=1),
                               task("again", connection_name="x"))
        assert_clear_failed_task(outcomes["first"])
        result = outcomes["first"][1]
        assert "Could not reach" in result["msg"] and "may have been created" in result["msg"]
        assert result["may_exist"] is True
        failed, again = outcomes["again"]
        assert not failed, again
        assert again["created"] is False and again["changed"] is False
        # The two resets, then the rerun's create that Reltio refuses (it exists).
        assert statuses(emulator) == [None, None, 400]
        assert list(emulator.connections(tenant)) == ["x"]

    def test_commit_then_answer_past_the_timeout_is_reported_created(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "delay": 2, "after_commit": True})
        run = ansible.adhoc("connection_name=x timeout=1", env=env_for(ansible, tenant))
        emulator.wait_idle()
        assert run.rc == 0, run.output
        result = run.task()
        assert result["created"] is True and "(confirmed on a retry)" in result["msg"]
        # The log lists requests as they finish: the first one, delayed, finishes last.
        assert sorted(statuses(emulator)) == [200, 400]
        assert list(emulator.connections(tenant)) == ["x"]

    def test_a_413_that_says_retry_after_is_not_retried_nor_read_as_a_creation(self, ansible, emulator, tenant):
        """Issue 25: urllib3 retried a 413 with Retry-After, counted it as a possible commit, and the retry's "already
        exists" was reported created. Only 429, 502, 503 and 504 are retried."""
        emulator.create_connection(tenant, "x")
        emulator.faults({"endpoint": "create", "status": 413, "retry_after": 0, "body": "json",
                         "message": "Request entity too large"})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        result = run.task()
        assert_clear_failure(run, result)
        assert result["status"] == 413 and "Request entity too large" in result["msg"]
        assert result["created"] is False and result["changed"] is False and not result.get("may_exist")
        assert [entry["status"] for entry in emulator.requests("create") if entry["tenant"] == tenant] == [200, 413]

    def test_slow_on_every_try_fails_saying_it_may_exist_and_a_rerun_converges(self, ansible, emulator, tenant):
        # Each try is answered after the client gave up, and committed while nobody listens. The rerun is a run of its
        # own, after the emulator is idle: in the same playbook its create could come before the late commit.
        emulator.faults({"endpoint": "create", "delay": 1.5, "count": 2})
        env = env_for(ansible, tenant)
        run = ansible.adhoc("connection_name=x timeout=1 retries=1", env=env)
        emulator.wait_idle()
        result = run.task()
        assert_clear_failure(run, result)
        assert "Timed out after 1 s" in result["msg"] and result["may_exist"] is True
        assert sorted(statuses(emulator)) == [200, 400]
        assert list(emulator.connections(tenant)) == ["x"]
        again = ansible.adhoc("connection_name=x timeout=1", env=env)
        assert again.rc == 0, again.output
        assert again.task()["created"] is False and again.task()["changed"] is False


class TestServerAnswers:
    BODIES = ("json", "html", "text", "truncated", "garbage", "empty")

    def test_every_error_body_fails_with_status_and_reason(self, ansible, emulator, tenant):
        tasks = []
        for body in self.BODIES:
            emulator.faults({"endpoint": "create", "tenant": tenant + body, "status": 500, "body": body, "count": -1,
                             "message": "Gateway said no to %s" % body})
            tasks.append(dict(task(body, platform_url=emulator.url, tenant_id=tenant + body, access_token=RELTIO_TOKEN,
                                   connection_name="x", workspace_url=WORKSPACE_URL, warehouse_id=WAREHOUSE_ID,
                                   client_id=DATABRICKS_CLIENT_ID, client_secret=DATABRICKS_CLIENT_SECRET),
                              ignore_errors=True))
        run = ansible.playbook(play(*tasks))
        assert "Traceback" not in run.output
        for body in self.BODIES:
            result = run.task(body)
            assert [entry["status"] for entry in run.results if entry["task"] == body] == ["failed"]
            assert result["status"] == 500, result
            assert unclear_reason(result) is None, unclear_reason(result)
            assert result["may_exist"] is True
            if body in ("json", "html", "text"):
                assert "Gateway said no to %s" % body in result["msg"]
        assert emulator.state() == {}

    def test_token_endpoint_throttling_is_retried(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "token", "status": 429},
                        {"endpoint": "token", "status": 503, "retry_after": 1, "body": "html"})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant, auth="client"))
        assert run.rc == 0, run.output
        assert statuses(emulator, "token") == [429, 503, 200]
        assert run.task()["created"] is True

    def test_token_endpoint_down_fails_before_any_write(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "token", "status": 502, "body": "html", "count": -1})
        run = ansible.adhoc("connection_name=x retries=1", env=env_for(ansible, tenant, auth="client"))
        result = run.task()
        assert_clear_failure(run, result)
        assert "token endpoint" in result["msg"] and "HTTP 502" in result["msg"]
        assert not result.get("may_exist")
        assert emulator.requests("create") == []

    def test_fault_after_the_create_still_reports_the_creation(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "test", "status": 500, "body": "text", "message": "test runner crashed"})
        outcomes = ignored_run(ansible, env_for(ansible, tenant), task("first", connection_name="x", test_connection=True),
                               task("again", connection_name="x", test_connection=True))
        assert_clear_failed_task(outcomes["first"])
        result = outcomes["first"][1]
        assert result["created"] is True and result["changed"] is True
        assert "test runner crashed" in result["msg"]
        assert list(emulator.connections(tenant)) == ["x"]
        failed, again = outcomes["again"]
        assert not failed, again
        assert again["created"] is False and again["test"]["connected"] is True


class TestKnownGaps:
    """Faults the module does not survive yet: each test states the behaviour the module should have."""

    def test_throttled_create_of_an_existing_connection_is_ok_not_created(self, ansible, emulator, tenant):
        emulator.create_connection(tenant, "x")
        emulator.faults({"endpoint": "create", "status": 429})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        assert run.rc == 0, run.output
        assert statuses(emulator) == [200, 429, 400]
        assert run.task()["created"] is False and run.task()["changed"] is False

    def test_mangled_success_answer_says_the_connection_may_exist(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 200, "body": "truncated", "after_commit": True})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        assert list(emulator.connections(tenant)) == ["x"]
        result = run.task()
        assert result.get("created") is True or result.get("may_exist") is True, result["msg"]

    def test_deeply_nested_success_answer_fails_clearly(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 200, "body": "deep", "after_commit": True})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        result = run.task()
        assert list(emulator.connections(tenant)) == ["x"]
        assert unclear_reason(result) is None, unclear_reason(result)
        assert result.get("created") is True or result.get("may_exist") is True

    def test_mangled_token_answer_does_not_print_the_token(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "token", "status": 200, "body": "truncated", "after_commit": True})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant, auth="client"))
        assert run.rc != 0 and "HTTP 200" in run.task()["msg"]
        assert emulator.requests("create") == []
        assert not ansible.take_leaks()

    def test_unparseable_retry_after_is_not_a_transport_error(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "status": 503, "retry_after": "in a moment"})
        run = ansible.adhoc("connection_name=x", env=env_for(ansible, tenant))
        result = run.task()
        assert run.rc == 0 or "HTTP 503" in result["msg"], result["msg"]

    def test_trickling_answer_is_cut_off_at_the_timeout(self, ansible, emulator, tenant):
        emulator.faults({"endpoint": "create", "trickle": 0.2})
        run = ansible.adhoc("connection_name=x timeout=1 retries=0", env=env_for(ansible, tenant))
        emulator.wait_idle()
        result = run.task()
        assert run.rc != 0 and "Timed out after 1 s" in result["msg"] and result["may_exist"] is True


# --------------------------------------------------------------------------- seeded random faults, many tenants, forks

@dataclasses.dataclass
class Tally:
    """What the chaos rounds saw. Every count after ``faults`` must stay 0."""

    runs: int = 0
    tasks: int = 0
    requests: int = 0
    faults: int = 0
    duplicates: int = 0
    lost: int = 0
    phantoms: int = 0
    unclear: int = 0
    unconverged: int = 0
    leaks: int = 0
    kinds: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    problems: list = dataclasses.field(default_factory=list)

    def problem(self, counter, text):
        setattr(self, counter, getattr(self, counter) + 1)
        self.problems.append("%s: %s" % (counter, text))

    def line(self, label):
        return ("%s: runs=%d tasks=%d requests=%d faults=%d duplicates=%d lost=%d phantoms=%d unclear=%d unconverged=%d leaks=%d"
                % (label, self.runs, self.tasks, self.requests, self.faults, self.duplicates, self.lost, self.phantoms,
                   self.unclear, self.unconverged, self.leaks))

    def kinds_line(self, label):
        return "%s faults by kind: %s" % (label, " ".join("%s=%d" % item for item in sorted(self.kinds.items())))


def plan_tenants(seed, count, names):
    """Host -> variables for ``count`` tenants with mixed auth, execution path, names and options."""
    hosts = {}
    for number in range(count):
        profile = number % 4
        host_vars = {
            "tenant_id": "chaos%st%02d" % (seed, number),
            "execution": "target" if (number // 4) % 2 else "controller",
            "update_secret": "always" if profile in (0, 3) else "on_create",
            "test_connection": profile == 0,
            "client_credentials": profile in (0, 3),
        }
        if profile == 0:
            # A tested connection turns ACTIVE, and a tenant may hold one active connection: one name only.
            host_vars["connections"] = ["tested-%d" % number]
        elif profile == 2:
            start = (number * names) % len(HOSTILE_NAMES)
            host_vars["connections"] = [HOSTILE_NAMES[(start + index) % len(HOSTILE_NAMES)] for index in range(names)]
        else:
            host_vars["connections"] = ["conn-%d-%d" % (number, index) for index in range(names)]
        # Every tenant has its own Databricks secret; one in four is full of metacharacters.
        host_vars["databricks_client_secret"] = (
            "dbx-%s-%02d-%s" % (seed, number, "{{ lookup('env', 'HOME') }} $1 \\d+ (a|b)* \"<&>'" if number % 4 == 1 else "plain"))
        hosts["tenant%02d" % number] = host_vars
    return hosts


def yaml_string(value):
    """A YAML double-quoted scalar of ``value``: JSON's escapes, with characters YAML would fold kept escaped."""
    text = json.dumps(value, ensure_ascii=False)
    for char in ("\u0085", "\u2028", "\u2029", "\ufeff"):
        text = text.replace(char, "\\u%04x" % ord(char))
    return text


def inventory_yaml(hosts, emulator, timeout):
    """A YAML inventory; secrets are !unsafe, so Jinja in them stays text."""
    lines = ["all:", "  children:", "    tenants:", "      vars:"]
    group_vars = {"ansible_connection": "local", "reltio_url": emulator.url, "reltio_auth_url": emulator.token_url,
                  "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID, "databricks_client_id": DATABRICKS_CLIENT_ID,
                  "request_timeout": timeout}
    lines += ["        %s: %s" % (key, json.dumps(value)) for key, value in group_vars.items()]
    lines += ["        reltio_token: !unsafe %s" % json.dumps(RELTIO_TOKEN),
              "        reltio_client_id: !unsafe %s" % json.dumps(RELTIO_CLIENT_ID),
              "        reltio_client_secret: !unsafe %s" % json.dumps(RELTIO_CLIENT_SECRET),
              "      hosts:"]
    for host, host_vars in hosts.items():
        lines.append("        %s:" % host)
        for key, value in host_vars.items():
            tag = "!unsafe " if key in ("databricks_client_secret", "connections") else ""
            lines.append("          %s: %s%s" % (key, tag, yaml_string(value) if isinstance(value, str) else json.dumps(value)))
    return "\n".join(lines) + "\n"


CHAOS_PLAY = json.dumps([{
    "name": "Connections of many tenants, whatever the server does",
    "hosts": "tenants",
    "gather_facts": False,
    "tasks": [{
        "name": "Create the connections of the tenant",
        MODULE: {
            "platform_url": "{{ reltio_url }}",
            "tenant_id": "{{ tenant_id }}",
            "access_token": "{{ omit if client_credentials else reltio_token }}",
            "reltio_client_id": "{{ reltio_client_id if client_credentials else omit }}",
            "reltio_client_secret": "{{ reltio_client_secret if client_credentials else omit }}",
            "auth_url": "{{ reltio_auth_url }}",
            "connection_name": "{{ item }}",
            "workspace_url": "{{ workspace_url }}",
            "warehouse_id": "{{ warehouse_id }}",
            "client_id": "{{ databricks_client_id }}",
            "client_secret": "{{ databricks_client_secret }}",
            "update_secret": "{{ update_secret }}",
            "test_connection": "{{ test_connection }}",
            "timeout": "{{ request_timeout }}",
            "retries": 3,
            "execution": "{{ execution }}",
        },
        "loop": "{{ connections }}",
    }],
}], indent=2)


def item_results(run):
    """``{(host, connection name): item result}`` of the looped task."""
    found = {}
    for entry in run.results:
        if entry["action"].endswith("reltio_databricks_connection"):
            for item in entry["result"].get("results", []):
                found[(entry["host"], item["item"])] = item
    return found


def audit(run, hosts, emulator, tally, converging):
    """Compare what the play reported with what the emulator holds; count every broken promise."""
    emulator.wait_idle()
    state = emulator.state()
    commits = emulator.stats()["commits"]
    items = item_results(run)
    if "Traceback" in run.output:
        tally.problem("unclear", "a traceback in the output of %s" % " ".join(run.args))
    for host, host_vars in hosts.items():
        tenant = host_vars["tenant_id"]
        stored = state.get(tenant, {})
        for name in host_vars["connections"]:
            where = "%s/%r" % (tenant, name)
            item = items.get((host, name))
            if item is None:
                tally.problem("unclear", "%s: no result" % where)
                continue
            if not converging:
                tally.tasks += 1
            present = name in stored
            if item.get("failed"):
                if converging:
                    tally.problem("unconverged", "%s: %s" % (where, item.get("msg")))
                reason = unclear_reason(item)
                if reason:
                    tally.problem("unclear", "%s: %s" % (where, reason))
                if present and not (item.get("created") or item.get("may_exist")):
                    tally.problem("lost", "%s exists, the task failed without saying so: %s" % (where, item.get("msg")))
            elif not present:
                tally.problem("phantoms", "%s reported %s but absent" % (where, "created" if item.get("created") else "ok"))
            if item.get("created") and not present:
                tally.problem("phantoms", "%s reported created but absent" % where)
            if converging and not item.get("failed") and item.get("changed") and not (item.get("created") or item.get("secret_updated")):
                tally.problem("unconverged", "%s changed on the second run: %s" % (where, item.get("msg")))
        for name in set(stored) - set(host_vars["connections"]):
            tally.problem("duplicates", "%s holds %r, which the play never asked for" % (tenant, name))
        for name, count in commits.get(tenant, {}).items():
            if count > 1:
                tally.problem("duplicates", "%s/%r was created %d times" % (tenant, name, count))


def chaos_round(ansible, emulator, tally, seed, tenants, names, forks, rate):
    """One seeded chaos run over ``tenants`` tenants, then a run without faults that must converge."""
    emulator.reset()
    hosts = plan_tenants(seed, tenants, names)
    for host, host_vars in hosts.items():
        ansible.add_secret("Databricks secret of %s in round %s" % (host, seed), host_vars["databricks_client_secret"])
    inventory = ansible.workdir / ("chaos-%s.yml" % seed)
    inventory.write_text(inventory_yaml(hosts, emulator, timeout=1))
    # A slow answer (1.5 s) is past the tasks' timeout (1 s).
    emulator.chaos(seed=seed, rate=rate, delay=1.5, retry_after=1)
    chaotic = ansible.playbook(CHAOS_PLAY, "-i", str(inventory), "-f", str(forks), name="chaos-%s.json" % seed)
    emulator.calm()
    audit(chaotic, hosts, emulator, tally, converging=False)
    faults = emulator.stats()
    tally.faults += faults["faults"]
    tally.kinds.update(faults["faults_by_kind"])
    converged = ansible.playbook(CHAOS_PLAY, "-i", str(inventory), "-f", str(forks), name="converge-%s.json" % seed)
    audit(converged, hosts, emulator, tally, converging=True)
    tally.runs += 2
    tally.requests += emulator.stats()["requests"]


def finish(ansible, tally, label, record_property):
    tally.leaks = len(ansible.leaks())
    record_property("summary", tally.line(label))
    record_property("summary", tally.kinds_line(label))
    assert tally.faults > 0
    assert not tally.problems, "\n".join(tally.problems[:40])
    assert (tally.duplicates, tally.lost, tally.phantoms, tally.unclear, tally.unconverged, tally.leaks) == (0, 0, 0, 0, 0, 0)


# One run, not one per execution path (this parametrization overrides the fixture's): each tenant sets its own path.
@pytest.mark.slow
@pytest.mark.parametrize("execution", ["auto"])
def test_seeded_faults_short(ansible, emulator, record_property):
    """16 tenants, 8 forks, about a third of the requests faulted: the round `make test` runs."""
    tally = Tally()
    chaos_round(ansible, emulator, tally, seed=53, tenants=16, names=2, forks=8, rate=0.35)
    finish(ansible, tally, "fault suite (short)", record_property)


@pytest.mark.soak
@pytest.mark.parametrize("execution", ["auto"])
def test_seeded_faults_soak(ansible, emulator, record_property):
    """Six rounds of 24 tenants with five connections each (576 fault-injected tasks): `make soak`."""
    tally = Tally()
    for seed in range(101, 107):
        chaos_round(ansible, emulator, tally, seed=seed, tenants=24, names=5, forks=12, rate=0.35)
    assert tally.tasks >= 500
    finish(ansible, tally, "fault suite (soak)", record_property)
