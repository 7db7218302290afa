# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-scale`: one run for thousands of tenants, in each pattern a user can choose; writes benchmarks/scale-results.md.

Every tenant gets one reltio.platform.reltio_databricks_connection task on the controller path (a create, one
HTTP request, static access token) against the emulator on 127.0.0.1, either answering at once (loopback) or
after a delay of 150 ms a request (the emulator's delay fault), as a real Reltio across a network would.
A case of task ``health`` instead checks every tenant's existing connection with
reltio.platform.reltio_databricks_connection_info (one test request), with Reltio client credentials: one token
per worker, kept across its loop. A case of task ``role`` checks them with the role reltio.platform.connection_health,
report included (lanes: each lane host's connection_health_connections lists its share of the tenants; hosts: one
host per tenant), and the report must hold every tenant, healthy.

Patterns:

hosts
    One inventory host per tenant (``ansible_connection=local``), strategy linear or free, ``forks`` workers.
lanes
    ``lanes`` inventory hosts, each looping over every lanes-th tenant of one tenant list
    (``loop: "{{ reltio_tenant_ids[lane::lanes] }}"``), forks = lanes.
loop
    localhost looping over the whole tenant list (one lane).

A figure is the wall time of the whole ansible-playbook command, start-up included, with the CPU seconds
of the controller process (strategy, variables, results, forking) and of its workers (the tasks), and of
the emulator. After each run the emulator's counters must show every tenant's connection committed once (for
``health``: committed once before the run, not again, and tested once, with at most one token per worker).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

import bench

ROOT = bench.ROOT
BIN = bench.BIN
DELAY_RULE = {"endpoint": "any", "status": None, "delay": 0.15, "count": -1, "kind": "round-trip"}
CONNECTION = "scale-connection"

# (pattern, strategy, forks or lanes, tenants, delay seconds[, task]); the default matrix of `make bench-scale`.
# The task is "create" unless it says "health".
DEFAULT_MATRIX = [
    # What grows: one host per tenant, the way a small inventory is written.
    ("hosts", "linear", 50, 1000, 0.0),
    ("hosts", "linear", 50, 2000, 0.0),
    ("hosts", "linear", 50, 5000, 0.0),
    ("hosts", "linear", 50, 10000, 0.0),
    # The other choices of that pattern, at a size where each takes a minute or two.
    ("hosts", "free", 50, 2000, 0.0),
    ("hosts", "linear", 200, 2000, 0.0),
    ("hosts", "linear", 50, 2000, 0.15),
    ("hosts", "free", 50, 2000, 0.15),
    ("hosts", "linear", 200, 2000, 0.15),
    # A loop over the tenant list: on localhost alone, and in lanes.
    ("loop", "linear", 1, 10000, 0.0),
    ("loop", "linear", 1, 500, 0.15),
    ("lanes", "linear", 50, 10000, 0.0),
    ("lanes", "linear", 50, 10000, 0.15),
    ("lanes", "linear", 100, 10000, 0.15),
    # The nightly health check of every tenant, as the scale guide recommends: lanes, one token per worker.
    ("lanes", "linear", 50, 10000, 0.0, "health"),
    # The same with the role connection_health and its report, in lanes (connection_health_connections) and, for
    # comparison, one host per tenant.
    ("lanes", "linear", 50, 10000, 0.0, "role"),
    ("hosts", "linear", 50, 10000, 0.0, "role"),
]
GOAL_TENANTS = 10000
GOAL_SECONDS = {"create": 180, "health": 60, "role": 60}
MODULES = {"create": "reltio.platform.reltio_databricks_connection", "health": "reltio.platform.reltio_databricks_connection_info",
           "role": "reltio.platform.connection_health"}


def tenant_id(number):
    return "scaleTenant%05d" % number


def task_args(tenant_expr, task="create"):
    if task == "health":
        return {MODULES[task]: {"connection_name": CONNECTION, "tenant_id": tenant_expr}}
    args = dict(bench.DATABRICKS, connection_name=CONNECTION, tenant_id=tenant_expr)
    return {MODULES[task]: args}


def role_play(pattern, strategy, report_dir):
    """The role connection_health over lanes or one host per tenant, Reltio client credentials from the play."""
    credentials = {"databricks_connection_platform_url": "{{ base }}", "databricks_connection_auth_url": "{{ base }}/oauth/token",
                   "databricks_connection_reltio_client_id": "{{ client_id }}",
                   "databricks_connection_reltio_client_secret": "{{ client_secret }}",
                   "databricks_connection_name": CONNECTION}
    return json.dumps([{"name": "scale %s connection_health" % pattern, "gather_facts": False, "strategy": strategy,
                        "hosts": "reltio_tenants" if pattern == "hosts" else "reltio_lanes", "vars": credentials,
                        "roles": [{"role": MODULES["role"], "vars": {"connection_health_report_dir": report_dir}}]}], indent=1)


def role_inventory(pattern, size, tenants):
    """YAML inventory of the role: a host per tenant, or ``size`` lanes each listing its share of the tenants."""
    if pattern == "hosts":
        hosts = dict(("tenant%05d" % number, {"databricks_connection_tenant_id": tenant_id(number)}) for number in range(tenants))
        group = "reltio_tenants"
    else:
        hosts = dict(("lane%03d" % lane, {"connection_health_connections": [
            {"tenant_id": tenant_id(number), "connection_name": CONNECTION} for number in range(lane, tenants, size)]})
            for lane in range(size))
        group = "reltio_lanes"
    return json.dumps({group: {"hosts": hosts, "vars": {"ansible_connection": "local"}}})


def check_role_report(report_dir, label, tenants):
    """The report holds every tenant once, healthy."""
    with open(os.path.join(report_dir, "connection-health.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    healthy = set(row["tenant_id"] for row in report["connections"] if row["status"] == "healthy")
    if len(report["connections"]) != tenants or healthy != set(tenant_id(number) for number in range(tenants)):
        sys.exit("Role run %s: the report has %d rows, %d tenants healthy, of %d" % (label, len(report["connections"]),
                                                                                     len(healthy), tenants))


def play(pattern, strategy, task="create"):
    """The playbook of a pattern, as a user would write it."""
    if task == "health":
        defaults = {"platform_url": "{{ base }}", "auth_url": "{{ base }}/oauth/token",
                    "reltio_client_id": "{{ client_id }}", "reltio_client_secret": "{{ client_secret }}"}
    else:
        defaults = {"platform_url": "{{ base }}", "access_token": "{{ token }}"}
    if pattern == "hosts":
        body = task_args("{{ tenant_id }}", task)
        hosts = "reltio_tenants"
    else:
        body = task_args("{{ item }}", task)
        body["loop"] = "{{ reltio_tenant_ids[lane::lanes] }}"
        hosts = "reltio_lanes"
    body["name"] = "Check the Databricks connection" if task == "health" else "Create the Databricks connection"
    return json.dumps([{"name": "scale %s" % pattern, "hosts": hosts, "gather_facts": False, "strategy": strategy,
                        "module_defaults": {"group/reltio.platform.reltio": defaults}, "tasks": [body]}], indent=1)


def inventory(pattern, size, tenants):
    """INI inventory: a host per tenant, or ``size`` lanes; ``lanes`` and the tenant list go in as extra vars."""
    lines = []
    if pattern == "hosts":
        lines.append("[reltio_tenants]")
        lines.extend("tenant%05d tenant_id=%s" % (number, tenant_id(number)) for number in range(tenants))
        lines += ["", "[reltio_tenants:vars]", "ansible_connection=local"]
    elif pattern == "loop":
        lines += ["[reltio_lanes]", "localhost lane=0 ansible_connection=local"]
    else:
        lines.append("[reltio_lanes]")
        lines.extend("lane%03d lane=%d" % (number, number) for number in range(size))
        lines += ["", "[reltio_lanes:vars]", "ansible_connection=local"]
    return "\n".join(lines) + "\n"


class Run:
    def __init__(self, pattern, strategy, size, tenants, delay, wall, cpu, emulator_cpu, task="create"):
        self.pattern, self.strategy, self.size, self.tenants, self.delay = pattern, strategy, size, tenants, delay
        self.task = task
        self.wall, self.emulator_cpu = wall, emulator_cpu
        self.parent_cpu, self.worker_cpu, self.parent_peak = cpu["parent"], cpu["workers"], cpu["parent_peak_mib"]

    @property
    def label(self):
        prefix = {"health": "health check: ", "role": "connection_health role, report written: "}.get(self.task, "")
        if self.pattern == "hosts":
            return prefix + "one host per tenant, %s, forks %d" % (self.strategy, self.size)
        if self.pattern == "lanes":
            return prefix + "%d lanes (hosts) looping over the tenant list, forks %d" % (self.size, self.size)
        return prefix + "localhost looping over the tenant list"

    @property
    def goal(self):
        return GOAL_SECONDS[self.task]


def process_cpu(pid):
    """CPU seconds (user + system) of a running process, from /proc."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def seed_connections(emulator, tenants):
    """Create every tenant's connection before a health check (not timed), over one keep-alive HTTP connection."""
    address = emulator.url.split("://", 1)[1]
    connection = http.client.HTTPConnection(address, timeout=60)
    body = json.dumps(dict(connectionName=CONNECTION, workspaceUrl=bench.DATABRICKS["workspace_url"],
                           warehouseId=bench.DATABRICKS["warehouse_id"], clientId=bench.DATABRICKS["client_id"],
                           clientSecret=bench.DATABRICKS["client_secret"]))
    headers = {"Authorization": "Bearer " + bench.TOKEN, "Content-Type": "application/json"}
    try:
        for number in range(tenants):
            path = "/reltio/api/tenants/%s/interactions/database-configs/databricks/oauth/credentials" % tenant_id(number)
            connection.request("POST", path, body, headers)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                sys.exit("Seeding tenant %s: HTTP %d" % (tenant_id(number), answer.status))
    finally:
        connection.close()


def check_health_run(emulator, label, tenants, workers):
    """Every tenant's connection was created once (by the seeding), tested once and passed; at most one token a worker."""
    commits = emulator.control("GET", "stats")["commits"]
    if len(commits) != tenants or any(names != {CONNECTION: 1} for names in commits.values()):
        sys.exit("Health run %s created connections" % label)
    stored = emulator.control("GET", "state")["tenants"]
    tested = sum(1 for number in range(tenants)
                 if stored.get(tenant_id(number), {}).get(CONNECTION, {}).get("tests") == 1
                 and stored[tenant_id(number)][CONNECTION]["status"] == "ACTIVE")
    if tested != tenants:
        sys.exit("Health run %s: %d of %d tenants tested exactly once and passing" % (label, tested, tenants))
    tokens = len(emulator.control("GET", "issued-tokens")["tokens"])
    if tokens > workers:
        sys.exit("Health run %s: %d tokens for %d workers" % (label, tokens, workers))


def run_one(emulator, workdir, pattern, strategy, size, tenants, delay, task="create"):
    emulator.control("POST", "reset")
    if task in ("health", "role"):
        seed_connections(emulator, tenants)
    if delay:
        rule = dict(DELAY_RULE, delay=delay)
        emulator.control("POST", "faults", {"rules": [rule]})
    label = "%s-%s-%d-%d-%g-%s" % (pattern, strategy, size, tenants, delay, task)
    playbook = os.path.join(workdir, "scale-%s.yml" % label)
    hosts = os.path.join(workdir, "inventory-%s.%s" % (label, "yml" if task == "role" else "ini"))
    report_dir = os.path.join(workdir, "report-%s" % label)
    extra = os.path.join(workdir, "scale-%s.json" % label)
    cpu_file = os.path.join(workdir, "cpu-%s.json" % label)
    output = os.path.join(workdir, "out-%s.txt" % label)
    lanes = 1 if pattern == "loop" else size
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write(role_play(pattern, strategy, report_dir) if task == "role" else play(pattern, strategy, task))
    with open(hosts, "w", encoding="utf-8") as handle:
        handle.write(role_inventory(pattern, lanes, tenants) if task == "role" else inventory(pattern, lanes, tenants))
    variables = {"base": emulator.url, "token": bench.TOKEN, "lanes": lanes, "client_id": bench.CLIENT_ID,
                 "client_secret": bench.CLIENT_SECRET}
    if pattern != "hosts" and task != "role":
        variables["reltio_tenant_ids"] = [tenant_id(number) for number in range(tenants)]
    with open(extra, "w", encoding="utf-8") as handle:
        json.dump(variables, handle)
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "RELTIO_", "DATABRICKS_")))
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="false", RELTIO_BENCH_CPU=cpu_file,
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    forks = lanes if pattern != "hosts" else size
    command = [sys.executable, os.path.join(ROOT, "benchmarks", "playbook_with_times.py"), "-i", hosts, "-f", str(forks),
               "-e", "@" + extra, playbook]
    emulator_before = process_cpu(emulator.process.pid)
    started = time.monotonic()
    with open(output, "w", encoding="utf-8") as handle:
        completed = subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
    wall = time.monotonic() - started
    emulator_cpu = process_cpu(emulator.process.pid) - emulator_before
    if completed.returncode:
        with open(output, encoding="utf-8", errors="replace") as handle:
            sys.exit("Scale run %s failed:\n%s" % (label, handle.read()[-3000:]))
    if task in ("health", "role"):
        # One host per tenant: each host's task runs in a worker of its own, with a token of its own.
        check_health_run(emulator, label, tenants, tenants if pattern == "hosts" else forks)
    if task == "role":
        check_role_report(report_dir, label, tenants)
    commits = emulator.control("GET", "stats")["commits"]
    once = sum(1 for number in range(tenants) if commits.get(tenant_id(number), {}).get(CONNECTION) == 1)
    if once != tenants or len(commits) != tenants:
        sys.exit("Scale run %s: %d of %d tenants got their connection exactly once (%d tenants touched)"
                 % (label, once, tenants, len(commits)))
    with open(cpu_file, encoding="utf-8") as handle:
        cpu = json.load(handle)
    result = Run(pattern, strategy, size, tenants, delay, wall, cpu, emulator_cpu, task)
    print("%-76s %6d tenants, delay %.2f s: %7.1f s (controller CPU %.1f s, peak %.0f MiB; workers %.1f s; emulator %.1f s)"
          % (result.label, tenants, delay, wall, result.parent_cpu, result.parent_peak, result.worker_cpu, emulator_cpu),
          flush=True)
    return result


def report(runs, seconds):
    lines = ["# reltio.platform at scale", "",
             "Run on %s, %s, by `make bench-scale` (benchmarks/scale.py) in %.0f minutes." % (
                 datetime.date.today().isoformat(), ", ".join("%s %s" % item for item in bench.versions().items()), seconds / 60.0),
             "One reltio_databricks_connection task per tenant (a create: one request, static token) on the controller",
             "path, against the emulator on 127.0.0.1; \"150 ms\" adds the emulator's delay fault to every request, as a",
             "real round trip would. Wall: the whole ansible-playbook command. CPU: seconds of the controller process",
             "(strategy, variables, results, forks; and its peak memory), of its workers (the tasks) and of the emulator.",
             "Every run was checked: each tenant's connection committed exactly once. Goal: %d tenants in at most %d s."
             % (GOAL_TENANTS, GOAL_SECONDS["create"]),
             "A \"health check\" row runs reltio_databricks_connection_info (one test request a tenant, Reltio client",
             "credentials: one token a worker) on connections created before the run; its goal is %d s, and it was checked:"
             % GOAL_SECONDS["health"],
             "nothing created, every connection tested once and passing, at most one token a worker. A \"connection_health",
             "role\" row does the same check with the role, which also writes its report (checked: one healthy row a",
             "tenant), in lanes (connection_health_connections) or with one host per tenant; its goal is %d s."
             % GOAL_SECONDS["role"], "",
             "| pattern | tenants | round trip | wall (s) | ms a tenant | controller CPU (s) | controller peak (MiB) |"
             " workers CPU (s) | emulator CPU (s) | %d in the goal's time |" % GOAL_TENANTS,
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        per = run.wall * 1000.0 / run.tenants
        if run.tenants >= GOAL_TENANTS:
            met = ("yes" if run.wall <= run.goal else "NO") + " (<= %d s)" % run.goal
        else:
            met = "(%.0f s at this rate; goal %d s)" % (per * GOAL_TENANTS / 1000.0, run.goal)
        lines.append("| %s | %d | %s | %.1f | %.1f | %.1f | %.0f | %.1f | %.1f | %s |" % (
            run.label, run.tenants, "%d ms" % round(run.delay * 1000) if run.delay else "loopback", run.wall, per,
            run.parent_cpu, run.parent_peak, run.worker_cpu, run.emulator_cpu, met))
    return "\n".join(lines) + "\n"


def parse_case(text):
    """``pattern:strategy:size:tenants:delay[:task]``, e.g. ``lanes:linear:50:10000:0.15`` or ``lanes:linear:50:500:0:health``."""
    parts = text.split(":")
    if len(parts) not in (5, 6):
        raise argparse.ArgumentTypeError("pattern:strategy:size:tenants:delay[:task]: %s" % text)
    pattern, strategy, size, tenants, delay = parts[:5]
    task = parts[5] if len(parts) == 6 else "create"
    if pattern not in ("hosts", "lanes", "loop") or strategy not in ("linear", "free") or task not in MODULES:
        raise argparse.ArgumentTypeError("pattern hosts, lanes or loop; strategy linear or free; task create, health or role: %s" % text)
    if task == "role" and pattern == "loop":
        raise argparse.ArgumentTypeError("the role runs over hosts or lanes, not a loop: %s" % text)
    return pattern, strategy, int(size), int(tenants), float(delay), task


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", dest="cases", type=parse_case, action="append",
                        help="pattern:strategy:forks-or-lanes:tenants:delay[:task], e.g. lanes:linear:50:10000:0.15 or"
                             " lanes:linear:50:10000:0:health (repeatable; default: the matrix of make bench-scale)")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "scale-results.md"),
                        help="where to write the results ('-' for nowhere)")
    args = parser.parse_args(argv)
    cases = args.cases or DEFAULT_MATRIX
    started = time.monotonic()
    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        emulator = bench.Emulator(workdir)
        try:
            for case in cases:
                runs.append(run_one(emulator, workdir, *case))
        finally:
            emulator.stop()
    bench.publish(report(runs, time.monotonic() - started), args.output)


if __name__ == "__main__":
    main()
