# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: how fast reltio.platform calls Reltio, against the emulator on 127.0.0.1.

Every figure is measured in this one run, against baselines measured in the same run:
ansible.builtin.uri sending the same POST, ansible.builtin.ping, and ansible.builtin.set_fact (the floor
of any task). Times are those of the tasks themselves (from a task's start to its last result, by
benchmarks/callback_plugins), not of ansible-playbook's start-up; but for the per-item rows, which take
the wall and CPU time of the whole ansible-playbook run less that of an empty play. Rounds are
interleaved and the median is kept. The emulator answers with TCP_NODELAY set, headers and body in one
send, so no figure waits for Nagle and the client's delayed ACK.

`make bench-scale` (benchmarks/scale.py) measures thousands of tenants: benchmarks/scale-results.md.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
TOKEN = "bench-static-token"
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-client-secret"
DATABRICKS = {
    "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
    "warehouse_id": "ab1c2d3ef5g6h7i8",
    "client_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "client_secret": "bench-databricks-secret",
}
CREATE_PATH = "/reltio/api/tenants/{{ tenant }}/interactions/database-configs/databricks/oauth/credentials"
SUBJECTS = ("controller", "target", "uri", "ping")
# The tree the controller path is compared with, interleaved in the same run, so that "no figure worse than before" is
# measured, not read off two runs on two days: 0.2.0 as reviewed (issue 25), which this tree may cost at most 10% more
# than (`--release c7cfdbddd704cc14c912960dc67a06e25d0c18e1` compares with the tree before issue 17, `--release
# b8025350251db7efd39814f574894441d2386d28` with 0.1.0).
PREVIOUS_RELEASE = ("9ee63b5", "9ee63b5dc6fdb0f2c9bbdf6d2cdc380a3bc78890")
TARGETS = [
    ("controller path, %d-item loop: module/uri", ("loop", "controller", "uri"), 0.25),
    ("controller path, %d-item loop: module/ping", ("loop", "controller", "ping"), 0.40),
    ("controller path, %d separate tasks: module/uri", ("tasks", "controller", "uri"), 0.60),
    ("target path, %d-item loop: module/uri", ("loop", "target", "uri"), 1.0),
    ("target path, %d separate tasks: module/uri", ("tasks", "target", "uri"), 1.0),
]


class Emulator:
    def __init__(self, workdir):
        port_file = os.path.join(workdir, "port")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tools", "reltio_emulator.py"), "--port", "0", "--port-file", port_file,
             "--quiet", "--token", TOKEN, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit("The Reltio emulator did not start.")
            time.sleep(0.05)
        with open(port_file, encoding="utf-8") as handle:
            self.url = "http://127.0.0.1:%s" % handle.read().strip()

    def control(self, method, path, body=None):
        import urllib.request  # pylint: disable=import-outside-toplevel

        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.url + "/_emulator/" + path, method=method, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def task_for(subject, name_expr):
    """One task of ``subject`` that creates the connection named by the Jinja ``name_expr``."""
    if subject == "ping":
        return {"ansible.builtin.ping": {}}
    if subject == "uri":
        body = {"connectionName": name_expr, "workspaceUrl": DATABRICKS["workspace_url"], "warehouseId": DATABRICKS["warehouse_id"],
                "clientId": DATABRICKS["client_id"], "clientSecret": DATABRICKS["client_secret"]}
        return {"ansible.builtin.uri": {"url": "{{ base }}" + CREATE_PATH, "method": "POST", "body_format": "json", "body": body,
                                        "headers": {"Authorization": "Bearer {{ token }}"}, "status_code": [200, 400]},
                "no_log": True}
    args = dict(DATABRICKS, connection_name=name_expr, execution=subject)
    return {"reltio.platform.reltio_databricks_connection": args}


def playbook(subject, shape, count, label, hosts="localhost", auth=None):
    """A play of ``count`` creations as one loop or as ``count`` tasks."""
    defaults = {"platform_url": "{{ base }}", "tenant_id": "{{ tenant }}"}
    defaults.update(auth or {"access_token": "{{ token }}"})
    if shape == "loop":
        task = task_for(subject, "%s-{{ item }}" % label)
        task.update(name="%s loop" % subject, loop=list(range(count)))
        tasks = [task]
    else:
        tasks = []
        for number in range(count):
            task = task_for(subject, "%s-%d" % (label, number))
            task["name"] = "%s %d" % (subject, number)
            tasks.append(task)
    play = {"name": "benchmark %s %s" % (subject, shape), "hosts": hosts, "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/reltio.platform.reltio": defaults}}
    return json.dumps([play], indent=1)


class Bench:
    def __init__(self, workdir, emulator):
        self.workdir = workdir
        self.emulator = emulator
        self.runs = 0
        self.fan_outs = {}  # {(hosts, forks at most hosts, rounds): (module seconds, ping seconds)}: see fan_out
        # Where ansible-playbook finds reltio.platform: this tree (.build/collections) unless set.
        self.collections = os.path.join(ROOT, ".build", "collections")

    def env(self, times_file):
        env = dict((key, value) for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "RELTIO_", "DATABRICKS_")))
        env.update(ANSIBLE_COLLECTIONS_PATH=self.collections,
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "benchmarks", "callback_plugins"),
                   ANSIBLE_CALLBACKS_ENABLED="bench_timer", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal",
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_HOST_KEY_CHECKING="false",
                   RELTIO_BENCH_TIMES=times_file, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
        return env

    def play(self, text, inventory="localhost,", forks=5, tenant="benchTenant"):
        """Run a playbook; return the summed task seconds."""
        return self.measure(text, inventory, forks, tenant).task

    def measure(self, text, inventory="localhost,", forks=5, tenant="benchTenant"):
        """Run a playbook; return its Measure: task seconds, and wall and CPU seconds of the whole command."""
        self.runs += 1
        path = os.path.join(self.workdir, "bench-%d.yml" % self.runs)
        times_file = os.path.join(self.workdir, "times-%d.jsonl" % self.runs)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        extra = {"base": self.emulator.url, "tenant": tenant, "token": TOKEN}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, "-c", "local", "-f", str(forks),
                                    "-e", json.dumps(extra), path],
                                   env=self.env(times_file), capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if completed.returncode:
            sys.exit("Benchmark play failed:\n%s%s" % (completed.stdout[-3000:], completed.stderr[-3000:]))
        entries = []
        if os.path.exists(times_file):
            with open(times_file, encoding="utf-8") as handle:
                entries = [json.loads(line) for line in handle if line.strip()]
        if any(entry["failed"] for entry in entries):
            sys.exit("A benchmark task failed: %s" % entries)
        # The CPU of ansible-playbook and of the workers it waited for; the emulator (not waited for yet) is not in it.
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Measure(sum(entry["seconds"] for entry in entries), wall, cpu)


class Measure:
    def __init__(self, task, wall, cpu):
        self.task = task
        self.wall = wall
        self.cpu = cpu


def median_times(bench, count, rounds):
    """{(shape, subject): median seconds} for every shape and subject, rounds interleaved."""
    samples = {}
    for round_number in range(rounds):
        for shape in ("loop", "tasks"):
            for subject in SUBJECTS:
                label = "b%s-%s-%s" % (round_number, shape, subject)
                samples.setdefault((shape, subject), []).append(bench.play(playbook(subject, shape, count, label)))
    return dict((key, statistics.median(values)) for key, values in samples.items())


def loop_play(kind, count, label):
    """A play on localhost: empty, or one ``count``-item loop of the controller path or of set_fact."""
    tasks = []
    if kind == "controller":
        task = task_for("controller", "%s-{{ item }}" % label)
        tasks.append(dict(task, name="controller loop", loop=list(range(count))))
    elif kind == "set_fact":
        tasks.append({"name": "set_fact loop", "ansible.builtin.set_fact": {"bench_item": "{{ item }}"}, "loop": list(range(count))})
    elif kind == "set_fact_args":
        # The floor of a task with the controller task's arguments: the same values, templated the same way.
        args = dict(task_for("controller", "%s-{{ item }}" % label)["reltio.platform.reltio_databricks_connection"])
        args.update(platform_url="{{ base }}", tenant_id="{{ tenant }}", access_token="{{ token }}")
        tasks.append({"name": "set_fact loop", "ansible.builtin.set_fact": args, "loop": list(range(count))})
    play = {"name": "per item %s" % kind, "hosts": "localhost", "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/reltio.platform.reltio": {"platform_url": "{{ base }}", "tenant_id": "{{ tenant }}",
                                                                 "access_token": "{{ token }}"}}}
    return json.dumps([play], indent=1)


def per_item(bench, count, rounds):
    """What one loop item costs, controller path and set_fact: ``{(kind, basis): (wall ms, CPU ms)}``.

    Basis "play": the median wall (and CPU) of the whole ansible-playbook run of a ``count``-item loop, less the
    median of the same play with no task, over ``count`` (the one-time costs of a task, such as loading the
    collection, spread over its items). Basis "marginal": the ``count``-item loop less a 1-item loop, over
    ``count - 1``. CPU is that of ansible-playbook and its workers; the emulator's is not in it.
    """
    samples = {}
    for round_number in range(rounds):
        for kind, items in (("empty", 0), ("controller", 1), ("set_fact", 1), ("set_fact_args", 1), ("controller", count),
                            ("set_fact", count), ("set_fact_args", count)):
            measure = bench.measure(loop_play(kind, items, "item-%d-%d" % (round_number, items)))
            samples.setdefault((kind, items), []).append(measure)
    medians = dict((key, (statistics.median(m.wall for m in values), statistics.median(m.cpu for m in values)))
                   for key, values in samples.items())
    figures = {}
    for kind in ("controller", "set_fact", "set_fact_args"):
        for basis, (base, items) in (("play", (("empty", 0), count)), ("marginal", ((kind, 1), count - 1))):
            figures[(kind, basis)] = tuple((medians[(kind, count)][index] - medians[base][index]) * 1000.0 / max(items, 1)
                                           for index in (0, 1))
    return figures


def fan_out(bench, hosts, forks_list, rounds):
    """{forks: (module seconds, ping seconds)} for ``hosts`` tenants, one inventory host each.

    Forks beyond the hosts run as forks = hosts (every host at once): such a fan-out already measured (the large one
    when it has no more tenants than the first, as in the smoke run) is taken from ``bench.fan_outs``, not run again."""
    inventory = os.path.join(bench.workdir, "tenants.ini")
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write("[reltio_tenants]\n")
        for number in range(hosts):
            handle.write("tenant%03d tenant=fanTenant%03d ansible_connection=local\n" % (number, number))
    figures = {}
    for forks in forks_list:
        key = (hosts, min(forks, hosts), rounds)
        if key not in bench.fan_outs:
            module_samples, ping_samples = [], []
            for round_number in range(rounds):
                for subject, samples in (("controller", module_samples), ("ping", ping_samples)):
                    samples.append(bench.play(fan_out_playbook(subject, "fan-%d-%d" % (forks, round_number)), inventory=inventory, forks=forks))
            bench.fan_outs[key] = (statistics.median(module_samples), statistics.median(ping_samples))
        figures[forks] = bench.fan_outs[key]
    return figures


def fan_out_playbook(subject, label):
    """One task of ``subject`` on every host of the reltio_tenants group, each host its own tenant."""
    text = playbook(subject, "tasks", 1, label + "-{{ inventory_hostname }}", hosts="reltio_tenants")
    return text.replace('"tenant_id": "{{ tenant }}"', '"tenant_id": "{{ hostvars[inventory_hostname].tenant }}"')


def collection_at(workdir, commit):
    """A copy of the collection as it was at ``commit`` (git archive), as a collections path; or why there is none."""
    resolved = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "--quiet", "--end-of-options", commit + "^{commit}"],
                              capture_output=True, text=True, check=False)
    if resolved.returncode:
        return None, "no commit %s in %s" % (commit, ROOT)
    sha = resolved.stdout.strip()
    archive = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", sha], capture_output=True, check=False)
    if archive.returncode:
        return None, (archive.stderr.decode("utf-8", "replace").strip() or "git archive failed").splitlines()[0]
    path = os.path.join(workdir, "release-" + sha)
    target = os.path.join(path, "ansible_collections", "reltio", "platform")
    os.makedirs(target)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return path, None


RELEASE_SHAPES = ("loop", "tasks", "fan-out")


def against_release(bench, hosts, forks, rounds, release_path, count):
    """{shape: [(this tree's task seconds, the release's)]} for each controller-path shape of the ratios (a
    ``count``-item loop, ``count`` separate tasks, a ``hosts``-tenant fan-out), one pair a round, the order alternating
    so that neither always runs first. The baselines (uri, ping) are the same for both, so the ratio of the task
    times is the ratio of the ratios."""
    inventory = os.path.join(bench.workdir, "release-tenants.ini")
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write("[reltio_tenants]\n")
        for number in range(hosts):
            handle.write("tenant%03d tenant=releaseTenant%03d ansible_connection=local\n" % (number, number))
    this_tree = bench.collections
    pairs = {}
    try:
        for round_number in range(rounds):
            for shape in RELEASE_SHAPES:
                seconds = {}
                for label in (("this", "release") if round_number % 2 == 0 else ("release", "this")):
                    bench.collections = this_tree if label == "this" else release_path
                    name = "release-%s-%s-%d" % (label, shape, round_number)
                    if shape == "fan-out":
                        seconds[label] = bench.play(fan_out_playbook("controller", name), inventory=inventory, forks=forks)
                    else:
                        seconds[label] = bench.play(playbook("controller", shape, count, name))
                pairs.setdefault(shape, []).append((seconds["this"], seconds["release"]))
    finally:
        bench.collections = this_tree
    return pairs


def quartiles(values):
    """(lower quartile, median, upper quartile) of ``values``, by the inclusive method."""
    if len(values) < 2:
        return (values[0],) * 3
    lower, median, upper = statistics.quantiles(values, n=4, method="inclusive")
    return lower, median, upper


def requests_per_connection(bench, counts):
    """{connections: HTTP requests per connection} with client-credentials auth, one play each."""
    auth = {"reltio_client_id": CLIENT_ID, "reltio_client_secret": CLIENT_SECRET, "auth_url": "{{ base }}/oauth/token"}
    figures = {}
    for count in counts:
        bench.emulator.control("POST", "reset")
        bench.play(playbook("controller", "loop", count, "cc-%d" % count, auth=auth))
        requests = bench.emulator.control("GET", "requests")["requests"]
        figures[count] = len(requests) / float(count)
    return figures


BREAKDOWN_CALLS = 400  # a part's calls a round, by default (--breakdown-calls)
BREAKDOWN_PARTS = {
    "arguments": "arguments: environment fallbacks, the module's argument spec, the option checks",
    "masking": "masking: the no_log values of the result (remove_values)",
    "exchange": "the HTTP exchange through the collection's transport (requests, bounds, redaction)",
    "raw_exchange": "the same exchange with http.client, nothing around it (a floor)",
    "execute": "the whole task in process: checks, client from the cache, the exchange, the result",
}
BREAKDOWN_ORDER = ("arguments", "masking", "raw_exchange", "exchange", "execute")


def breakdown(bench, rounds, calls=BREAKDOWN_CALLS):
    """Microseconds a call of each part of a controller-path loop item, timed in this process."""
    import http.client  # pylint: disable=import-outside-toplevel

    sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible.module_utils.common.parameters import remove_values
    from ansible_collections.reltio.platform.plugins.module_utils import transport
    from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
        DEFAULT_TIMEOUT, apply_env_fallbacks, databricks_connection_argument_spec)
    from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
    from ansible_collections.reltio.platform.plugins.module_utils.databricks_connection import execute, validate
    from ansible_collections.reltio.platform.plugins.module_utils.http_api import Call
    from ansible_collections.reltio.platform.plugins.module_utils.redaction import Redactor
    from ansible_collections.reltio.platform.plugins.module_utils.validation import hidden_values

    spec = databricks_connection_argument_spec()
    host, port = bench.emulator.url.split("//")[1].split(":")
    path = CREATE_PATH.replace("{{ tenant }}", "breakdownTenant%d")

    def arguments_of(number):
        return dict(DATABRICKS, connection_name="b-%d" % number, platform_url=bench.emulator.url,
                    tenant_id="breakdownTenant%d" % number, access_token=TOKEN)

    def body(number):
        return {"connectionName": "b-%d" % number, "workspaceUrl": DATABRICKS["workspace_url"], "warehouseId": DATABRICKS["warehouse_id"],
                "clientId": DATABRICKS["client_id"], "clientSecret": DATABRICKS["client_secret"]}

    def arguments(number):
        params = ArgumentSpecValidator(spec).validate(apply_env_fallbacks(spec, arguments_of(number), os.environ)).validated_parameters
        validate(params)

    params = ArgumentSpecValidator(spec).validate(arguments_of(0)).validated_parameters
    result = execute(params, cache=ClientCache())

    def masking(dummy):
        remove_values(dict(result, invocation={"module_args": params}), hidden_values(spec, params))

    raw = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"}

    def raw_exchange(number):
        raw.request("POST", path % (1000 + number), json.dumps(body(number)), headers)
        answer = raw.getresponse()
        json.loads(answer.read())

    sender = transport.Transport(transport.new_session(0), Redactor([TOKEN, DATABRICKS["client_secret"]]),
                                 timeout=DEFAULT_TIMEOUT, retries=0)
    call = Call("creating a connection", advice_if_done="It may exist.")

    def exchange(number):
        sender.send("POST", bench.emulator.url + path % (2000 + number), call, json=body(number),
                    headers={"Authorization": "Bearer " + TOKEN}).json()

    cache = ClientCache()

    def whole(number):
        execute(ArgumentSpecValidator(spec).validate(dict(arguments_of(3000 + number))).validated_parameters, cache=cache)

    parts = {"arguments": arguments, "masking": masking, "raw_exchange": raw_exchange, "exchange": exchange, "execute": whole}
    samples = {}
    for round_number in range(rounds):
        for name in BREAKDOWN_ORDER:
            started = time.perf_counter()
            for number in range(calls):
                parts[name](round_number * calls + number)
            samples.setdefault(name, []).append((time.perf_counter() - started) * 1e6 / calls)
    raw.close()
    return dict((name, statistics.median(values)) for name, values in samples.items())


def versions():
    import ansible  # pylint: disable=import-outside-toplevel
    import requests  # pylint: disable=import-outside-toplevel

    return {"python": platform.python_version(), "ansible-core": ansible.__version__, "requests": requests.__version__,
            "machine": "%s, %s cores, %s" % (platform.machine(), os.cpu_count(), platform.platform())}


def report(args, times, fan, per_connection, items=None, large=None, breakdown=None, release=None):
    count = args.tasks
    lines = ["# reltio.platform benchmark", "",
             "Run on %s, %s." % (datetime.date.today().isoformat(), ", ".join("%s %s" % item for item in versions().items())),
             "Rounds: %d, interleaved; medians. Times are task times (from a task's start to its last result)." % args.rounds, "",
             "| %d creations | loop (s) | separate tasks (s) |" % count, "| --- | --- | --- |"]
    names = {"controller": "reltio.platform, controller path", "target": "reltio.platform, target path",
             "uri": "ansible.builtin.uri, same POST", "ping": "ansible.builtin.ping"}
    for subject in SUBJECTS:
        lines.append("| %s | %.3f | %.3f |" % (names[subject], times[("loop", subject)], times[("tasks", subject)]))
    lines += ["", "| ratio | measured | target | met |", "| --- | --- | --- | --- |"]
    for label, (shape, subject, baseline), target in TARGETS:
        ratio = times[(shape, subject)] / times[(shape, baseline)]
        lines.append("| %s | %.2f | <= %.2f | %s |" % (label % count, ratio, target, "yes" if ratio <= target else "NO"))
    for forks, (module_seconds, ping_seconds) in sorted(fan.items()):
        ratio = module_seconds / ping_seconds
        target = "<= 0.60" if forks == 50 else "-"
        met = ("yes" if ratio <= 0.60 else "NO") if forks == 50 else "-"
        lines.append("| %d-tenant fan-out, forks %d: module/ping (%.2f s / %.2f s) | %.2f | %s | %s |"
                     % (args.fanout, forks, module_seconds, ping_seconds, ratio, target, met))
    if items:
        for floor, floor_label in (("set_fact", "set_fact"), ("set_fact_args", "set_fact of the same arguments")):
            for basis, label, target in (("play", "net of an empty play", 1.5), ("marginal", "marginal (less a 1-item loop)", None)):
                (module_wall, module_cpu), (floor_wall, floor_cpu) = items[("controller", basis)], items[(floor, basis)]
                ratio = module_wall / floor_wall
                met = ("yes" if ratio <= target else "NO") if target else "-"
                lines.append("| per loop item, %d-item loops, %s: controller path/%s (wall %.2f ms / %.2f ms;"
                             " CPU %.2f ms / %.2f ms, ratio %.2f) | %.2f | %s | %s |"
                             % (args.items, label, floor_label, module_wall, floor_wall, module_cpu, floor_cpu,
                                module_cpu / floor_cpu, ratio, "<= %.2f" % target if target else "-", met))
    for forks, (module_seconds, ping_seconds) in sorted((large or {}).items()):
        ratio = module_seconds / ping_seconds
        lines.append("| %d-tenant fan-out, forks %d: module/ping (%.2f s / %.2f s) | %.2f | <= 0.60 | %s |"
                     % (args.large_fanout, forks, module_seconds, ping_seconds, ratio, "yes" if ratio <= 0.60 else "NO"))
    if release:
        lines += release_rows(args, release)
    for connections, per in sorted(per_connection.items()):
        target = "<= 1.05" if connections > 1 else "-"
        met = ("yes" if per <= 1.05 else "NO") if connections > 1 else "-"
        lines.append("| HTTP requests per connection, client credentials, %d in a loop | %.2f | %s | %s |" % (connections, per, target, met))
    lines += ["", "Per-item rows: wall and CPU of the whole ansible-playbook run (CPU: ansible-playbook and its workers, not the",
              "emulator), less that of an empty play (one-time costs such as loading the collection spread over the items),",
              "or less a 1-item loop (marginal). \"set_fact of the same arguments\" sets the controller task's own arguments",
              "(the templated name, the module_defaults templates, the literal Databricks values): Ansible's work for those",
              "arguments, which any task that takes them pays. Thousands of tenants: benchmarks/scale-results.md",
              "(`make bench-scale`)."]
    if release and release.get("pairs"):
        lines += ["", "Against %s: the controller path's loop, separate tasks and fan-out with this tree and with %s (commit %s),"
                  % (release["name"], release["name"], release["commit"][:12]),
                  "one after the other in each round, the order alternating; the ratio of a round is this tree's task time over",
                  "the other's. At most 1.10 means at most 10% slower in the median round. A round's ratio varies by a few per",
                  "cent (the quartiles show how much), so a difference within them is noise, not a change."]
    if breakdown:
        lines += ["", "Where a loop item's time goes: the parts of one item of the controller path, each timed in this process",
                  "over %d calls against the same emulator (microseconds a call, median of %d rounds)." % (args.breakdown_calls, args.rounds), "",
                  "| part | us a call |", "| --- | --- |"]
        lines += ["| %s | %.0f |" % (BREAKDOWN_PARTS[name], breakdown[name]) for name in BREAKDOWN_ORDER]
    return "\n".join(lines) + "\n"


def release_rows(args, release):
    """A row per controller-path shape against the other tree: the median round's ratio, or why it was not measured."""
    shapes = {"loop": "%d-item loop" % args.tasks, "tasks": "%d separate tasks" % args.tasks,
              "fan-out": "%d-tenant fan-out, forks %d" % (args.fanout, release["forks"])}
    rows = []
    for shape in RELEASE_SHAPES:
        label = "controller path, %s: this tree/%s, same run" % (shapes[shape], release["name"])
        pairs = (release.get("pairs") or {}).get(shape)
        if not pairs:
            rows.append("| %s: not measured (%s) | - | <= 1.10 | - |" % (label, release["why"]))
            continue
        lower, median, upper = quartiles(sorted(this / before for this, before in pairs))
        rows.append("| %s (%.2f s / %.2f s, median of %d interleaved rounds; quartiles %.2f to %.2f) | %.2f | <= 1.10 | %s |"
                    % (label, statistics.median(pair[0] for pair in pairs), statistics.median(pair[1] for pair in pairs),
                       len(pairs), lower, upper, median, "yes" if median <= 1.10 else "NO"))
    return rows


def positive(text):
    """An argparse type: a whole number of at least 1."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1, not %s" % text)
    return number


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20, help="creations per measurement (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is kept (default 3)")
    parser.add_argument("--fanout", type=int, default=200, help="tenants (inventory hosts) in the fan-out (default 200)")
    parser.add_argument("--forks", type=int, nargs="+", default=[10, 50], help="forks for the fan-out (default 10 50)")
    parser.add_argument("--items", type=int, default=100, help="items of the per-item loops (default 100)")
    parser.add_argument("--item-rounds", type=int, help="rounds of the per-item loops (default 2 x rounds - 1)")
    parser.add_argument("--large-fanout", type=int, help="tenants of the large fan-out, forks 50, one round (default 5 x fanout)")
    parser.add_argument("--breakdown-calls", type=positive, default=BREAKDOWN_CALLS,
                        help="calls of each part of a loop item, timed in process, a round (default %d)" % BREAKDOWN_CALLS)
    parser.add_argument("--release", default=PREVIOUS_RELEASE[1],
                        help="commit to run the controller path's loop, tasks and fan-out against in the same run (default %s;"
                        " 'none': skip)" % PREVIOUS_RELEASE[0])
    parser.add_argument("--release-rounds", type=positive, default=9, help="interleaved rounds of the fan-out against the release (default 9)")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results.md"), help="where to write the results ('-' for nowhere)")
    args = parser.parse_args(argv)
    args.item_rounds = args.item_rounds or max(1, 2 * args.rounds - 1)
    args.large_fanout = args.large_fanout if args.large_fanout is not None else 5 * args.fanout
    with tempfile.TemporaryDirectory() as workdir:
        emulator = Emulator(workdir)
        try:
            bench = Bench(workdir, emulator)
            times = median_times(bench, args.tasks, args.rounds)
            items = per_item(bench, args.items, args.item_rounds)
            parts = breakdown(bench, args.rounds, args.breakdown_calls)
            fan = fan_out(bench, args.fanout, args.forks, args.rounds)
            large = fan_out(bench, args.large_fanout, [50], 1) if args.large_fanout else {}
            # One connection alone, and a loop of several (at least 2: one cannot show the token kept for the next).
            per_connection = requests_per_connection(bench, sorted({1, max(2, args.tasks)}))
            release = None
            if args.release != "none":
                name = PREVIOUS_RELEASE[0] if args.release == PREVIOUS_RELEASE[1] else args.release
                release = {"name": name, "commit": args.release, "forks": max(args.forks)}
                path, release["why"] = collection_at(workdir, args.release)
                if path:
                    release["pairs"] = against_release(bench, args.fanout, release["forks"], args.release_rounds, path, args.tasks)
        finally:
            emulator.stop()
    publish(report(args, times, fan, per_connection, items, large, parts, release), args.output)


def publish(text, output):
    """Print the report and write it to ``output`` ('-': nowhere)."""
    print(text)
    if output != "-":
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
