# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job slicing: one inventory of tenants run as 2 slices at once, each through ansible-runner.

AWX runs a job template with "job slices" n as n jobs in parallel; slice k (1..n) gets the enabled hosts
of the inventory, ordered by name, from the k-th on, every n-th (``hosts[k-1::n]``), with the groups and
variables of the whole inventory (awx/main/models/inventory.py, ``get_script_data``). Here each slice is a
private data directory as AWX writes one (inventory, env/envvars with the injected credentials, project),
and the 2 ansible-runner processes run side by side against the emulator. Every tenant must get its
connection exactly once, and no secret may appear in what AWX keeps of a job (stdout, job_events/).

Two inventories, as the scale guide (docs/docsite/rst/scale_guide.rst) describes them: one host per tenant,
and "lanes", a few hosts that each loop over every n-th tenant of one list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from runner_events import PYTHON_WARNING, event_data, job_events, python_warnings, stats
from reltio_world import DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET, RELTIO_TOKEN, WAREHOUSE_ID, WORKSPACE_URL

pytestmark = [pytest.mark.slow, pytest.mark.ansible_runner]

# The least that still shows AWX's dealing: 2 slices (side by side) of 2 hosts each (every 2nd by name), or of one
# lane each looping over every 2nd tenant; each tenant costs a module run on the target path, each slice a runner.
TENANTS = 4
SLICES = 2
LANES = 2
CONNECTION = "sliced-connection"
PLAYBOOK = "create_connections.yml"
TASK = """
    - name: Create the Databricks connection and test it
      reltio.platform.reltio_databricks_connection:
        tenant_id: "{{ %s }}"
        connection_name: %s
        test_connection: true
"""
HOST_PER_TENANT_PLAY = """---
- name: Create the Databricks connection of every tenant of this slice
  hosts: reltio_tenants
  gather_facts: false
  tasks:""" + TASK % ("reltio_tenant_id", CONNECTION)
LANES_PLAY = """---
- name: Create the Databricks connection of every tenant of the lanes of this slice
  hosts: reltio_lanes
  gather_facts: false
  tasks:""" + TASK % ("item", CONNECTION) + """      loop: "{{ reltio_tenant_ids[reltio_lane::reltio_lane_count] }}"
"""
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}


def tenant_ids():
    return ["slicedTenant%02d" % number for number in range(TENANTS)]


def awx_slice(hosts, number, count):
    """The hosts of slice ``number`` (1-based) of ``count``, as AWX takes them: ordered by name, every count-th."""
    return sorted(hosts)[number - 1::count]


def inventory(group, hosts, group_vars):
    """An inventory (YAML) of one group: ``hosts`` maps each host to its variables."""
    return yaml.safe_dump({"all": {"children": {group: {"hosts": hosts, "vars": dict(LOCAL, **group_vars)}}}})


class SliceJob:
    """One slice: its private data directory, its ansible-runner process, then its artifacts."""

    def __init__(self, ansible, number, inventory_text, play, envvars):
        self.number = number
        self.dir = ansible.workdir / ("slice-%d" % number)
        for sub in ("env", "inventory", "project"):
            (self.dir / sub).mkdir(parents=True)
        (self.dir / "inventory" / "hosts.yml").write_text(inventory_text)
        (self.dir / "project" / PLAYBOOK).write_text(play)
        envvars_path = self.dir / "env" / "envvars"
        envvars_path.write_text(json.dumps(envvars))
        os.chmod(envvars_path, 0o600)
        self.results_file = ansible.workdir / ("results-slice-%d.jsonl" % number)
        self.args = ["ansible-runner", "run", str(self.dir), "-p", PLAYBOOK, "--ident", str(number)]
        env = ansible.base_env()
        env["RELTIO_TEST_RESULTS"] = str(self.results_file)
        # Its ansible-playbook prints a Python warning as it starts, as with a new release of a library.
        env["PYTHONPATH"] = str(PYTHON_WARNING)
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.args, env=env, cwd=str(ansible.workdir), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.artifacts = self.dir / "artifacts" / str(number)
        self.completed = None
        self.finished = None

    def wait(self, ansible, timeout=240):
        stdout, stderr = self.process.communicate(timeout=timeout)
        self.finished = time.monotonic()
        self.completed = subprocess.CompletedProcess(self.args, self.process.returncode, stdout, stderr)
        raw_results = self.results_file.read_text() if self.results_file.exists() else ""
        # The leak scan of the `ansible` fixture reads what the runner printed, every file AWX keeps of the job
        # and the task results recorded, each secret in any spelling.
        ansible.runs.append((Shown(self.args, self.stored_text()), raw_results))

    @property
    def status(self):
        return (self.artifacts / "status").read_text().strip()

    def events(self):
        events = job_events(self.artifacts)
        # The job's Python warning was there, as a verbose event without event_data, for every reader to get past.
        assert python_warnings(events) and "event_data" not in python_warnings(events)[0], events[:3]
        return events

    def stats(self):
        return stats(self.events())

    def results_shown(self):
        """``(host, loop item or None)`` of each result of the task that AWX shows: per host, or per loop item."""
        shown = []
        for event in self.events():
            data = event_data(event)
            if event["event"] == "runner_item_on_ok":
                shown.append((data["host"], data["res"]["item"]))
            elif event["event"] == "runner_on_ok" and "results" not in data["res"]:
                shown.append((data["host"], None))
        return shown

    def stored_text(self):
        """Everything AWX keeps and shows of the job (not ``command``, ansible-runner's private record of its
        environment, which AWX neither stores nor shows), and what the runner printed."""
        files = sorted(path for path in self.artifacts.rglob("*") if path.is_file() and path.name != "command")
        assert "stdout" in [path.name for path in files] and len([path for path in files if "job_events" in path.parts]) >= 5
        texts = [path.read_text(errors="replace") for path in files]
        return "\n".join(texts + [self.completed.stdout, self.completed.stderr])


class Shown:
    """What the leak scan of the `ansible` fixture reads of a command: its arguments and its output."""

    def __init__(self, args, output):
        self.args = args
        self.output = output


@pytest.fixture(autouse=True)
def _runner_available():
    runner = os.path.join(os.path.dirname(sys.executable), "ansible-runner")
    assert os.path.exists(runner), "ansible-runner is not installed next to %s (requirements-dev.txt)" % sys.executable


def credentials(emulator):
    """What AWX injects from a Reltio API credential and a Databricks service principal credential."""
    return {"RELTIO_PLATFORM_URL": emulator.url, "RELTIO_ACCESS_TOKEN": RELTIO_TOKEN, "DATABRICKS_HOST": WORKSPACE_URL,
            "DATABRICKS_WAREHOUSE_ID": WAREHOUSE_ID, "DATABRICKS_CLIENT_ID": DATABRICKS_CLIENT_ID,
            "DATABRICKS_CLIENT_SECRET": DATABRICKS_CLIENT_SECRET}


def run_slices(ansible, inventories, play, envvars):
    """Start one ansible-runner job per slice inventory, all at once; wait for all; check each succeeded."""
    jobs = [SliceJob(ansible, number, text, play, envvars) for number, text in enumerate(inventories, 1)]
    for job in jobs:
        job.wait(ansible)
    # The slices ran side by side: each started before any had finished.
    assert max(job.started for job in jobs) < min(job.finished for job in jobs)
    for job in jobs:
        assert job.completed.returncode == 0, job.completed.stdout[-3000:] + job.completed.stderr[-3000:]
        assert job.status == "successful"
        stats = job.stats()
        assert not stats["failures"] and not stats["dark"], stats
    return jobs


def assert_every_tenant_connected_once(ansible, emulator, done):
    """Every tenant of the inventory, and no other, got its connection committed exactly once, tested; no leak."""
    assert sorted(done) == tenant_ids()
    assert emulator.stats()["commits"] == dict((tenant, {CONNECTION: 1}) for tenant in tenant_ids())
    assert len(emulator.requests("create")) == TENANTS
    state = emulator.state()
    assert all(state[tenant][CONNECTION]["status"] == "ACTIVE" for tenant in tenant_ids())
    assert ansible.leaks() == []


def test_two_slices_of_one_host_per_tenant(ansible, emulator):
    hosts = dict(("tenant-%02d" % number, {"reltio_tenant_id": tenant}) for number, tenant in enumerate(tenant_ids()))
    slices = [awx_slice(hosts, number, SLICES) for number in range(1, SLICES + 1)]
    assert sorted(host for part in slices for host in part) == sorted(hosts)
    assert [len(part) for part in slices] == [TENANTS // SLICES] * SLICES
    inventories = [inventory("reltio_tenants", dict((host, hosts[host]) for host in part), {}) for part in slices]

    jobs = run_slices(ansible, inventories, HOST_PER_TENANT_PLAY, credentials(emulator))

    for job, part in zip(jobs, slices):
        assert sorted(job.stats()["changed"]) == part
    done = [hosts[host]["reltio_tenant_id"] for job in jobs for host, dummy in job.results_shown()]
    assert_every_tenant_connected_once(ansible, emulator, done)


def test_two_slices_of_lanes(ansible, emulator):
    # The lane count and the tenant list are group variables: every slice has them whole, and each lane
    # (a host variable) takes every reltio_lane_count-th tenant from its own number on.
    lanes = dict(("lane-%d" % number, {"reltio_lane": number}) for number in range(LANES))
    group_vars = {"reltio_lane_count": LANES, "reltio_tenant_ids": tenant_ids()}
    slices = [awx_slice(lanes, number, SLICES) for number in range(1, SLICES + 1)]
    assert [len(part) for part in slices] == [LANES // SLICES] * SLICES
    inventories = [inventory("reltio_lanes", dict((host, lanes[host]) for host in part), group_vars) for part in slices]

    jobs = run_slices(ansible, inventories, LANES_PLAY, credentials(emulator))

    for job, part in zip(jobs, slices):
        assert sorted(job.stats()["changed"]) == part
        assert sorted(set(host for host, dummy in job.results_shown())) == part
    done = [item for job in jobs for dummy, item in job.results_shown()]
    assert_every_tenant_connected_once(ansible, emulator, done)
