# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role reltio.platform.connection_health over an inventory of tenant hosts of mixed health, on both paths.

Every host is in the report (JSON, Markdown, HTML), those whose check failed too; nothing is created or stored;
no task is changed; the play fails after writing when a connection is unhealthy, and passes when told not to. The
report files are in the leak scan.
"""

from __future__ import annotations

import html
import json
import re
import urllib.request

import pytest
import yaml

import reltio_world as world

ROLE = "reltio.platform.connection_health"
NAME = "databricks-connection-01"
WRONG_TOKEN = "rlt-wrong-token-Vb8Nc3Xz6Qa1"
WRITES = ("create", "credentials")
# The reason_code of each host of mixed_fleet (not_checked: the check did not run).
REASON_CODES = {"healthy": "ok", "rotated": "databricks_auth", "nogrant": "databricks_permission",
                "deleted": "warehouse_missing", "missing": "connection_not_found", "garbled": "unexpected_answer",
                "badtoken": "reltio_auth", "noname": "not_checked", "badspec": "not_checked", "unreachable": "not_checked"}


def inventory(ansible, hosts, **group_vars):
    """A YAML inventory: group reltio_tenants, one host per tenant with its own variables."""
    data = {"reltio_tenants": {"hosts": hosts, "vars": dict({
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "databricks_connection_platform_url": ansible.emulator.url,
        # Reltio's credentials as role variables here (test_awx_jobs.py reads them from the RELTIO_* of a credential).
        "databricks_connection_access_token": ansible.reltio_env("x")["RELTIO_ACCESS_TOKEN"],
        "databricks_connection_name": NAME,
        "databricks_connection_retries": 0,
    }, **group_vars)}}
    path = ansible.workdir / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def play(report_dir, fail_on_unhealthy=None, hosts="reltio_tenants", **keywords):
    """The role in a play on ``hosts`` (a pattern), with play ``keywords`` (pre_tasks, serial)."""
    role_vars = {"connection_health_report_dir": str(report_dir)}
    if fail_on_unhealthy is not None:
        role_vars["connection_health_fail_on_unhealthy"] = fail_on_unhealthy
    return json.dumps([dict({"name": "health", "hosts": hosts, "gather_facts": False,
                             "roles": [{"role": ROLE, "vars": role_vars}]}, **keywords)])


def run_play(ansible, inventory_path, text, *args, env=None):
    path = ansible.workdir / "health.yml"
    path.write_text(text)
    return ansible.run(["ansible-playbook", "-i", str(inventory_path), str(path)] + list(args), env=env)


def mixed_fleet(ansible, emulator, prefix, with_broken_hosts=True):
    """Hosts of each health; returns (hosts for the inventory, {host: (status, reason part, advice part)})."""
    hosts, expected = {}, {}

    def tenant(host, status, reason, advice, **host_vars):
        hosts[host] = dict({"databricks_connection_tenant_id": "%s-%s" % (prefix, host)}, **host_vars)
        expected[host] = (status, reason, advice)
        return "%s-%s" % (prefix, host)

    emulator.create_connection(tenant("healthy", "healthy", "Connection successful", "Nothing to do."), NAME)
    name = tenant("rotated", "failing", "Databricks rejected the OAuth client credentials", "Put the current secret in the vault")
    emulator.create_connection(name, NAME)
    emulator.break_connection(name, NAME, "rotate_secret")
    name = tenant("nogrant", "failing", "PERMISSION_DENIED: Service principal %s" % world.DATABRICKS_CLIENT_ID,
                  "Grant the service principal CAN USE")
    emulator.create_connection(name, NAME)
    emulator.break_connection(name, NAME, "revoke_grant")
    name = tenant("deleted", "failing", "Warehouse %s is deleted." % world.WAREHOUSE_ID, "The SQL warehouse is gone")
    emulator.create_connection(name, NAME)
    emulator.break_connection(name, NAME, "delete_warehouse")
    tenant("missing", "missing", "Database configuration %s not found" % NAME, "Check databricks_connection_name")
    name = tenant("garbled", "error", "without a 'connected' field", "Reltio answered something that is not a test result")
    emulator.create_connection(name, NAME)
    emulator.faults({"endpoint": "test", "tenant": name, "status": 200, "body": "json", "message": "gateway", "count": -1})
    if with_broken_hosts:
        ansible.add_secret("a wrong Reltio token", WRONG_TOKEN)
        name = tenant("badtoken", "error", "Invalid or missing access token", "Reltio refused the token",
                      databricks_connection_access_token=WRONG_TOKEN)
        emulator.create_connection(name, NAME)
        # Refused by the role's check of its variables: the host fails before the check, and is reported all the same.
        tenant("noname", "error", "The check did not run for this host", "See the host's first failed task",
               databricks_connection_name="  ")
        # Refused by the role's argument spec: the host fails before the check, and is reported all the same.
        tenant("badspec", "error", "The check did not run for this host", "See the host's first failed task",
               databricks_connection_retries="several")
        # Unreachable (the play's first task contacts it over ssh, on a closed port): in the play, so checked, and
        # failed; its row has a reason, not_checked.
        tenant("unreachable", "error", "The check did not run for this host", "See the host's first failed task",
               ansible_connection="ssh", ansible_host="127.0.0.1", ansible_port=9,
               ansible_ssh_common_args="-o ConnectTimeout=5")
    return hosts, expected


def client_credentials_inventory(ansible, emulator, hosts):
    """inventory() with Reltio client credentials (a token a worker) instead of an access token."""
    path = inventory(ansible, hosts, databricks_connection_auth_url=emulator.token_url,
                     databricks_connection_reltio_client_id=world.RELTIO_CLIENT_ID,
                     databricks_connection_reltio_client_secret=world.RELTIO_CLIENT_SECRET)
    data = yaml.safe_load(path.read_text())
    del data["reltio_tenants"]["vars"]["databricks_connection_access_token"]
    path.write_text(yaml.safe_dump(data))
    return path


def read_report(report_dir):
    return (json.loads((report_dir / "connection-health.json").read_text()), (report_dir / "connection-health.md").read_text(),
            (report_dir / "connection-health.html").read_text())


RECORD_FIELDS = {"inventory_hostname", "platform_url", "tenant_id", "connection_name", "status", "reason_code", "connected",
                 "message", "checked_at", "what_to_do", "change", "since", "from_environment"}
SUMMARY_TASK = "Say what the run found"


def summary_line(run, report_dir):
    """The run's one summary line: the last thing the play printed before its recap, after every failure."""
    lines = run.stdout.split("PLAY RECAP")[0].rstrip().splitlines()
    header = max(number for number, line in enumerate(lines) if line.startswith("TASK [") and SUMMARY_TASK in line)
    assert not any(line.startswith(("failed:", "fatal:")) for line in lines[header:]), run.output
    (said,) = [line for line in lines[header:] if '"msg": ' in line]
    text = json.loads(said.split('"msg": ', 1)[1])
    assert text.startswith("Connection health: ") and text.endswith("Report: %s/connection-health.html" % report_dir), text
    return text


@pytest.mark.slow
def test_a_mixed_fleet_is_reported_whole_then_the_unhealthy_hosts_fail(ansible, emulator, tenant):
    """Every status, and hosts that stopped before the check (a refused variable, the argument spec, unreachable),
    in one run at -vvvv (all it prints is in the leak scan). Issue 27: the row of a host that did not run (here:
    unreachable) had reason_code null; a host of the play that failed or was unreachable makes no run partial. Check
    mode: test_lanes_check_lists_of_connections_beside_hosts_of_one_tenant runs with --check."""
    hosts, expected = mixed_fleet(ansible, emulator, tenant)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    before = emulator.last_seq()
    # The unreachable host is contacted before the role (the role itself checks from the controller, in process, in
    # one case); only it, so that the other hosts run no module of their own before the role.
    contact = [{"name": "Reach the host", "ansible.builtin.ping": {}, "when": "inventory_hostname == 'unreachable'"}]
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir, pre_tasks=contact), "-vvvv")
    # 4, not 2: a host was unreachable (the other hosts' failures are in their recaps below).
    assert run.rc == 4, run.output

    report, markdown, page = read_report(report_dir)
    # Each file was written to a temporary file of the directory and renamed: none is left behind.
    assert sorted(path.name for path in report_dir.iterdir()) == ["connection-health.html", "connection-health.json", "connection-health.md"]
    assert set(report) == {"generated_at", "partial", "counts", "changes", "checked_at", "summary", "connections", "not_checked"}
    records = report["connections"]
    assert report["partial"] is False and report["not_checked"] == []
    assert [record["inventory_hostname"] for record in records] == [
        host for status in ("failing", "error", "missing", "healthy") for host in sorted(expected) if expected[host][0] == status]
    for record in records:
        status, reason, advice = expected[record["inventory_hostname"]]
        assert record["status"] == status, record
        assert reason in record["message"], record
        assert advice in record["what_to_do"], record
        assert set(record) == RECORD_FIELDS
        assert record["reason_code"] == REASON_CODES[record["inventory_hostname"]], record
        assert record["tenant_id"] == "%s-%s" % (tenant, record["inventory_hostname"])
        assert record["platform_url"] == emulator.url
        assert record["connected"] == {"healthy": True, "failing": False}.get(status)
        assert (record["checked_at"] is None) is (record["inventory_hostname"] in ("badspec", "noname", "unreachable"))
        assert record["change"] == "first_check" and record["since"] == (record["checked_at"] or report["generated_at"])

    counts = dict((status, sum(1 for value in expected.values() if value[0] == status))
                  for status in ("failing", "error", "missing", "healthy"))
    assert counts == {"failing": 3, "error": 5, "missing": 1, "healthy": 1} == report["counts"]
    assert report["changes"] == {"new_failure": 0, "recovered": 0, "unchanged": 0, "first_check": 10}
    assert report["summary"] == "10 connections checked: 3 failing, 5 error, 1 missing, 1 healthy; 10 first checked."
    assert by_host(report)["unreachable"]["what_to_do"] == " ".join(
        yaml.safe_load((world.ROOT / "roles" / "connection_health" / "vars" / "main.yml").read_text())
        ["connection_health__advice"]["not_checked"].split())
    assert "**%s**" % report["summary"] in markdown
    for status in counts:
        assert re.search(r"^- \*\*%s\*\*: \S" % status, markdown, re.M), status
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Connection")]
    assert [row.split(" | ")[3] for row in rows] == [record["inventory_hostname"] for record in records]
    assert all(row.count(" | ") == 9 for row in rows)

    for status, count in counts.items():
        assert '<div class="count %s"><b>%d</b>%s</div>' % (status, count, status) in page
        assert '<dt><span class="badge %s">%s</span></dt><dd>' % (status, status) in page
    assert page.count("<tr>") == len(expected) + 1
    reasons = re.findall(r'<td class="reason">(.*?)</td>', page, re.S)
    assert [html.unescape(reason) for reason in reasons] == [record["message"] for record in records]
    assert not any(char in reason for reason in reasons for char in "<>\"")
    # Self-contained: nothing is loaded from anywhere.
    assert not re.search(r"""(src|href)\s*=|@import|url\(|<link""", page)

    for host, (status, _reason, _advice) in expected.items():
        recap = run.recap(host)
        assert recap["changed"] == 0, (host, recap)
        assert recap["failed"] == (0 if status == "healthy" or host == "unreachable" else 1), (host, recap)
    assert run.recap("unreachable")["unreachable"] == 1, run.output
    (failure,) = run.task(action="fail", host="nogrant")["results"]
    assert failure["msg"].startswith("Databricks connection '%s' of tenant '%s-nogrant' is failing: PERMISSION_DENIED" % (NAME, tenant))
    assert ". What to do: Grant the service principal CAN USE" in failure["msg"], failure["msg"]
    (failure,) = run.task(action="fail", host="rotated")["results"]
    assert "is failing: Databricks rejected the OAuth client credentials. What to do: " in failure["msg"], failure["msg"]
    (failure,) = run.task(action="fail", host="garbled")["results"]
    assert "'%s-garbled' could not be checked: " % tenant in failure["msg"] and " is error" not in failure["msg"]
    assert summary_line(run, report_dir) == "Connection health: %s Report: %s/connection-health.html" % (report["summary"], report_dir)
    assert [entry for entry in emulator.requests() if entry["seq"] > before and entry["endpoint"] in WRITES] == []


def test_an_all_healthy_fleet_passes_and_says_so_and_a_new_report_directory_gets_the_files_mode(ansible, emulator, tenant):
    """Two plays of one run over the same healthy hosts, each writing to a new directory: a role variable's mode is
    kept for the files, and the directory gets it with search permission; quoted ("0640") or not (0640 in YAML is
    the number 416, 0o640: the same modes, not a directory of mode 0517)."""
    hosts = {}
    for number in range(2):
        hosts["t%d" % number] = {"databricks_connection_tenant_id": "%s-%d" % (tenant, number)}
        emulator.create_connection("%s-%d" % (tenant, number), NAME)
    fresh, unquoted = ansible.workdir / "fresh" / "report", ansible.workdir / "unquoted" / "report"
    ansible.scan_path(fresh)
    ansible.scan_path(unquoted)
    plays = [{"hosts": "reltio_tenants", "gather_facts": False, "roles": [
        {"role": ROLE, "vars": {"connection_health_report_dir": str(directory), "connection_health_report_mode": mode}}]}
        for directory, mode in ((fresh, "0640"), (unquoted, 0o640))]
    run = run_play(ansible, inventory(ansible, hosts), json.dumps(plays))
    assert run.rc == 0, run.output
    for directory in (fresh, unquoted):
        assert [record["status"] for record in read_report(directory)[0]["connections"]] == ["healthy"] * 2
        assert directory.stat().st_mode & 0o7777 == 0o750, directory
        assert (directory / "connection-health.md").stat().st_mode & 0o7777 == 0o640, directory
    assert "2 connections checked: 0 failing, 0 error, 0 missing, 2 healthy; 2 first checked." in summary_line(run, unquoted)


def test_the_example_playbook_reports_and_hands_the_counts_to_awx(ansible, emulator, tenant):
    hosts = {"fine": {"databricks_connection_tenant_id": "%s-fine" % tenant},
             "gone": {"databricks_connection_tenant_id": "%s-gone" % tenant},
             "later": {"databricks_connection_tenant_id": "%s-later" % tenant}}
    emulator.create_connection("%s-fine" % tenant, NAME)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    # A job with a limit, as AWX runs it: "later", a host of the inventory left out, makes the run partial.
    run = ansible.run(["ansible-playbook", "-i", str(inventory(ansible, hosts)), str(world.ROOT / "examples" / "connection_health.yml"),
                       "-e", "connection_health_report_dir=%s" % report_dir, "--limit", "fine,gone"])
    # The missing connection fails its host, after the report; the post task hands the counts on all the same.
    assert run.rc == 2, run.output
    assert run.recap("gone")["failed"] == 1 and run.recap("fine")["failed"] == 0
    stats = run.task(action="set_stats")
    assert stats["ansible_stats"]["data"] == {"connection_health": {
        "counts": {"failing": 0, "error": 0, "missing": 1, "healthy": 1},
        "changes": {"new_failure": 0, "recovered": 0, "unchanged": 0, "first_check": 2},
        "new_failures": 0}}
    report = read_report(report_dir)[0]
    assert [record["status"] for record in report["connections"]] == ["missing", "healthy"]
    assert report["partial"] is True and report["not_checked"] == [], report
    assert report["summary"].endswith("Partial run: 0 connections of earlier runs not checked."), report["summary"]


def store_credentials(emulator, tenant_id, name=NAME):
    """Store the connection's credentials again through the Reltio API: a rotated secret is fixed so."""
    request = urllib.request.Request(
        "%s/reltio/api/tenants/%s/interactions/database-configs/%s/databricks/oauth/credentials" % (emulator.url, tenant_id, name),
        data=json.dumps({"clientId": world.DATABRICKS_CLIENT_ID, "clientSecret": world.DATABRICKS_CLIENT_SECRET}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + world.RELTIO_TOKEN})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def by_host(report):
    return dict((record["inventory_hostname"], record) for record in report["connections"])


def two_hosts(emulator, tenant):
    """a-failing (broken from the start) and b-flaky (healthy), one tenant each."""
    hosts = dict((host, {"databricks_connection_tenant_id": "%s-%s" % (tenant, host)}) for host in ("a-failing", "b-flaky"))
    for host in hosts:
        emulator.create_connection("%s-%s" % (tenant, host), NAME, workspace_url="https://%s.cloud.databricks.com" % host)
    emulator.break_connection("%s-a-failing" % tenant, NAME, "revoke_grant")
    return hosts


@pytest.mark.slow
def test_the_history_over_four_runs_healthy_broken_fixed_alone_then_all(ansible, emulator, tenant):
    """Two hosts are the least that show it: one that stays failing, and one that is healthy, breaks, and is fixed
    (checked alone by a play whose pattern leaves the other out). Issue 27: partial came only from --limit (a play whose
    pattern leaves hosts out erased their history); the example playbook's test runs with --limit."""
    path = inventory(ansible, two_hosts(emulator, tenant))
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)

    # Told not to fail the play: it passes, and no host fails or changes, a failing one included.
    first = run_play(ansible, path, play(report_dir, fail_on_unhealthy=False))
    assert first.rc == 0, first.output
    for host in ("a-failing", "b-flaky"):
        assert first.recap(host) == dict(first.recap(host), changed=0, failed=0), host
    one = read_report(report_dir)[0]
    assert one["partial"] is False, one
    assert [(record["inventory_hostname"], record["status"], record["change"]) for record in one["connections"]] == [
        ("a-failing", "failing", "first_check"), ("b-flaky", "healthy", "first_check")]
    assert summary_line(first, report_dir).startswith(
        "Connection health: 2 connections checked: 1 failing, 0 error, 0 missing, 1 healthy; 2 first checked.")
    started = dict((host, record["checked_at"]) for host, record in by_host(one).items())

    emulator.break_connection("%s-b-flaky" % tenant, NAME, "rotate_secret")
    second = run_play(ansible, path, play(report_dir, fail_on_unhealthy=False))
    assert second.rc == 0, second.output
    two, markdown, page = read_report(report_dir)
    # Newly failing first, in every report (b-flaky sorts after a-failing by name).
    assert [(record["inventory_hostname"], record["status"], record["change"]) for record in two["connections"]] == [
        ("b-flaky", "failing", "new_failure"), ("a-failing", "failing", "unchanged")]
    records = by_host(two)
    assert records["b-flaky"]["since"] == records["b-flaky"]["checked_at"] > started["b-flaky"]
    assert records["a-failing"]["since"] == started["a-failing"]
    assert two["changes"] == {"new_failure": 1, "recovered": 0, "unchanged": 1, "first_check": 0}
    assert two["summary"] == "2 connections checked: 2 failing, 0 error, 0 missing, 0 healthy; 1 newly failing, 1 unchanged."
    assert summary_line(second, report_dir).startswith("Connection health: " + two["summary"])
    rows = [line.split(" | ") for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Connection")]
    assert [(row[3], row[5]) for row in rows] == [("b-flaky", "newly failing"), ("a-failing", "unchanged")]
    assert page.index("host b-flaky") < page.index("host a-failing")
    assert '<span class="change new_failure">newly failing</span>' in page

    # Fixed, and checked alone, no --limit: the play's pattern leaves a-failing out. A partial run keeps the history of
    # the connections it did not check.
    store_credentials(emulator, "%s-b-flaky" % tenant)
    third = run_play(ansible, path, play(report_dir, fail_on_unhealthy=False, hosts="reltio_tenants:!a-failing"))
    assert third.rc == 0, third.output
    three, markdown, page = read_report(report_dir)
    assert three["partial"] is True
    assert [(record["inventory_hostname"], record["change"]) for record in three["connections"]] == [("b-flaky", "recovered")]
    assert three["connections"][0]["since"] == three["connections"][0]["checked_at"] > records["b-flaky"]["since"]
    assert three["not_checked"] == [records["a-failing"]]
    assert "1 recovered" in three["summary"], three["summary"]
    assert three["summary"].endswith("Partial run: 1 connection of earlier runs not checked.")
    assert "the 1 other connection of earlier runs is in" in markdown and "the 1 other connection of earlier runs is in" in page

    fourth = run_play(ansible, path, play(report_dir))
    assert fourth.rc == 2, fourth.output
    four = read_report(report_dir)[0]
    assert four["partial"] is False and four["not_checked"] == []
    records = by_host(four)
    # The connection the partial run left out kept its history; the one it checked kept its new one.
    assert [(host, records[host]["change"]) for host in sorted(records)] == [("a-failing", "unchanged"), ("b-flaky", "unchanged")]
    assert records["b-flaky"]["since"] == three["connections"][0]["since"]
    assert records["a-failing"]["since"] == started["a-failing"]
    assert four["summary"] == "2 connections checked: 1 failing, 0 error, 0 missing, 1 healthy; 2 unchanged."
    # The failing run ends with the summary, after a-failing's failure.
    assert summary_line(fourth, report_dir).startswith("Connection health: " + four["summary"])
    assert fourth.recap("a-failing")["failed"] == 1 and fourth.recap("b-flaky")["failed"] == 0


@pytest.mark.slow
def test_lanes_check_lists_of_connections_beside_hosts_of_one_tenant(ansible, emulator, tenant, execution):
    names = ["%s-lane%d" % (tenant, number) for number in range(5)]
    for tenant_id in names[:4]:
        emulator.create_connection(tenant_id, "analytics")
    emulator.break_connection(names[1], "analytics", "delete_warehouse")
    emulator.create_connection("%s-single" % tenant, NAME)
    hosts = {
        "lane0": {"connection_health_connections": [{"tenant_id": names[0], "connection_name": "analytics"},
                                                    {"tenant_id": names[1], "connection_name": "analytics"},
                                                    {"tenant_id": names[4], "connection_name": "analytics",
                                                     "platform_url": emulator.url + "/"}]},
        "lane1": {"connection_health_connections": [{"tenant_id": names[2], "connection_name": "analytics"},
                                                    {"tenant_id": names[3], "connection_name": "analytics"}]},
        "single": {"databricks_connection_tenant_id": "%s-single" % tenant},
    }
    path = client_credentials_inventory(ansible, emulator, hosts)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    tokens_before = len(emulator.issued_tokens())
    before = emulator.last_seq()
    # In check mode: each connection is checked and reported, and hosts fail, as without it.
    run = run_play(ansible, path, play(report_dir), "--check")
    assert run.rc == 2, run.output
    assert [entry for entry in emulator.requests() if entry["seq"] > before and entry["endpoint"] in WRITES] == []

    report = read_report(report_dir)[0]
    rows = [(record["inventory_hostname"], record["tenant_id"], record["connection_name"], record["status"])
            for record in report["connections"]]
    assert rows == [("lane0", names[1], "analytics", "failing"), ("lane0", names[4], "analytics", "missing"),
                    ("lane0", names[0], "analytics", "healthy"), ("lane1", names[2], "analytics", "healthy"),
                    ("lane1", names[3], "analytics", "healthy"), ("single", "%s-single" % tenant, NAME, "healthy")]
    assert set(record["platform_url"] for record in report["connections"]) == {emulator.url, emulator.url + "/"}
    assert report["counts"] == {"failing": 1, "error": 0, "missing": 1, "healthy": 4}
    # One failure a broken connection, on the lane that checked it.
    failures = run.task(action="fail", host="lane0")["results"]
    assert sorted(result["item"]["tenant_id"] for result in failures if result.get("failed")) == [names[1], names[4]]
    assert run.recap("lane0")["failed"] == 1 and run.recap("lane1")["failed"] == 0 and run.recap("single")["failed"] == 0
    assert summary_line(run, report_dir).startswith("Connection health: 6 connections checked: 1 failing, 0 error, 1 missing")
    # A lane checks its whole list in one task, with one token, on both paths (a loop of tasks as a module fetched one
    # a check): one a host.
    tokens = len(emulator.issued_tokens()) - tokens_before
    assert tokens == 3, (execution, tokens)


HOSTILE = ("<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![i](http://198.51.100.7/p.png) </table><script>x()</script>"
           " <http://198.51.100.7/> `code` *strong* | cell &lt;b&gt;")


def test_the_report_is_safe_to_open_and_to_keep(ansible, emulator, tenant):
    markdown_module = pytest.importorskip("markdown")
    hosts = {"hostile": {"databricks_connection_tenant_id": "%s-hostile" % tenant},
             "huge": {"databricks_connection_tenant_id": "%s-huge" % tenant}}
    for host in hosts:
        emulator.create_connection("%s-%s" % (tenant, host), NAME)
    emulator.faults({"endpoint": "test", "tenant": "%s-hostile" % tenant, "status": 500, "message": HOSTILE, "count": -1},
                    {"endpoint": "test", "tenant": "%s-huge" % tenant, "status": 401, "message": "A" * 1000000, "count": -1})
    report_dir = ansible.workdir / "report"
    report_dir.mkdir(mode=0o751)
    report_dir.chmod(0o751)
    ansible.scan_path(report_dir)
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir, fail_on_unhealthy=False))
    assert run.rc == 0, run.output

    # An existing directory keeps its mode; the files are the owner's alone.
    assert report_dir.stat().st_mode & 0o7777 == 0o751
    for name in ("connection-health.json", "connection-health.md", "connection-health.html"):
        file = report_dir / name
        assert file.stat().st_mode & 0o7777 == 0o600, name
        # Every message is capped: a 1 MB answer makes no 1 MB report.
        assert file.stat().st_size < 20000, (name, file.stat().st_size)
    report, markdown, page = read_report(report_dir)
    assert all(len(record["message"]) <= 500 for record in report["connections"])
    assert any("<img src=x" in record["message"] for record in report["connections"])

    # Rendered as MkDocs renders it: the server's text stays text.
    rendered = markdown_module.markdown(markdown, extensions=["tables"])
    assert rendered.count("<table>") == rendered.count("</table>") == 1
    assert not re.search(r"<(img|script|a|em|code)\b", rendered), rendered
    (hostile,) = [record["message"] for record in report["connections"] if record["inventory_hostname"] == "hostile"]
    cells = [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", rendered) if "<" not in cell]
    assert hostile in cells, rendered
    assert "<img" not in page and "<script>x()" not in page

    # A new directory's mode: test_an_all_healthy_fleet_passes_and_says_so_and_a_new_report_directory_gets_the_files_mode.


def test_a_report_directory_that_is_a_symbolic_link_is_refused(ansible, emulator, tenant):
    emulator.create_connection("%s-one" % tenant, NAME)
    target = ansible.workdir / "elsewhere"
    target.mkdir()
    link = ansible.workdir / "report"
    link.symlink_to(target)
    ansible.scan_path(target)
    run = run_play(ansible, inventory(ansible, {"one": {"databricks_connection_tenant_id": "%s-one" % tenant}}), play(link))
    assert run.rc == 2, run.output
    assert "connection_health_report_dir %s is a symbolic link" % link in run.output
    assert list(target.iterdir()) == []


def test_what_to_do_is_looked_up_by_reason_code_and_by_the_option_whose_url_failed(ansible, emulator, tenant):
    """Issue 26 point 4: an unreachable Reltio ("Could not reach") is told to check the URL and proxies, not to
    write to Reltio support; an unknown tenant is told apart from an unknown connection (point 5). Issue 26 (a finding
    in connection_health): the advice of an unreachable auth_url named the platform URL. A hostile review: with the
    platform URL from RELTIO_PLATFORM_URL (an AWX credential), the row of a host stopped before its check (here: a
    misspelt variable) had no platform_url, so the next run took it for another connection (first_check, not
    recovered). One run for all."""
    advice = yaml.safe_load((world.ROOT / "roles" / "connection_health" / "vars" / "main.yml").read_text())["connection_health__advice"]
    hosts = {"down": {"databricks_connection_tenant_id": "%s-down" % tenant,
                      "databricks_connection_platform_url": "http://127.0.0.1:9"},
             "nosuchtenant": {"databricks_connection_tenant_id": "%s-nosuchtenant" % tenant},
             "fine": {"databricks_connection_tenant_id": "%s-fine" % tenant},
             "authdown": {"databricks_connection_tenant_id": "%s-authdown" % tenant,
                          "databricks_connection_auth_url": "http://127.0.0.1:9/oauth/token"},
             "typo": {"databricks_connection_tenant_id": "%s-typo" % tenant, "databricks_connection_timout": 5}}
    emulator.create_connection("%s-fine" % tenant, NAME)
    emulator.create_connection("%s-typo" % tenant, NAME)
    emulator.configure(tenants=["%s-fine" % tenant, "%s-down" % tenant, "%s-typo" % tenant])
    path = client_credentials_inventory(ansible, emulator, hosts)
    # The platform URL from the environment, as an AWX credential gives it ("down" has its own).
    data = yaml.safe_load(path.read_text())
    del data["reltio_tenants"]["vars"]["databricks_connection_platform_url"]
    path.write_text(yaml.safe_dump(data))
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, path, play(report_dir, fail_on_unhealthy=False), env={"RELTIO_PLATFORM_URL": emulator.url})
    # 2: the misspelt variable fails its host (told not to fail on unhealthy connections, no other host fails).
    assert run.rc == 2, run.output
    assert [host for host in hosts if run.recap(host)["failed"]] == ["typo"], run.output
    assert "databricks_connection_timout is not a variable" in run.output, run.output
    records = by_host(read_report(report_dir)[0])
    expected = {"down": ("error", "unreachable"), "nosuchtenant": ("missing", "tenant_not_found"), "fine": ("healthy", "ok"),
                "authdown": ("error", "unreachable"), "typo": ("error", "not_checked")}
    for host, (status, code) in expected.items():
        assert (records[host]["status"], records[host]["reason_code"]) == (status, code), records[host]
        said = advice[code]["platform_url"] if host == "down" else advice[code]["auth_url"] if host == "authdown" else advice[code]
        assert records[host]["what_to_do"] == " ".join(said.split()), records[host]
    assert "Could not reach 127.0.0.1:9" in records["down"]["message"]
    assert "Reltio support" not in records["down"]["what_to_do"]
    assert "databricks_connection_tenant_id" in records["nosuchtenant"]["what_to_do"]
    assert records["authdown"]["what_to_do"] == " ".join(advice["unreachable"]["auth_url"].split()), records["authdown"]
    assert records["down"]["what_to_do"] == " ".join(advice["unreachable"]["platform_url"].split()), records["down"]
    assert "databricks_connection_platform_url" not in records["authdown"]["what_to_do"]
    assert records["fine"]["platform_url"] == records["typo"]["platform_url"] == emulator.url, records


def test_a_play_with_serial_is_refused_before_any_check(ansible, emulator, tenant):
    """Issue 27: with serial, each batch wrote a report of its own hosts, and broke the history of the others."""
    path = inventory(ansible, two_hosts(emulator, tenant))
    report_dir = ansible.workdir / "report"
    run = run_play(ansible, path, play(report_dir, fail_on_unhealthy=False, serial=1))
    assert run.rc != 0, run.output
    assert "does not run in a play with serial" in run.output and "Remove serial from the play" in run.output, run.output
    assert not (report_dir / "connection-health.json").exists()
    # Refused before any check: no test request reached Reltio for these tenants.
    assert not [entry for entry in emulator.requests("test") if tenant in json.dumps(entry)], emulator.requests("test")


def test_secrets_echoed_by_the_token_endpoint_reach_neither_the_report_nor_the_output(ansible, emulator, tenant):
    """A token endpoint whose 401 echoes the request as a server that parsed it (the form, and the Basic header's
    client_id:client_secret decoded): the record's message is the answer, masked; the report files are in the leak
    scan, and the mask is asserted here too (the scan finds only a whole spelling)."""
    hosts = {"echoed": {"databricks_connection_tenant_id": "%s-echoed" % tenant}}
    emulator.create_connection("%s-echoed" % tenant, NAME)
    emulator.faults({"endpoint": "token", "status": 401, "echo": True, "echo_style": "gson", "body": "text", "count": -1})
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, client_credentials_inventory(ansible, emulator, hosts), play(report_dir, fail_on_unhealthy=False))
    assert run.rc == 0, run.output
    (record,) = read_report(report_dir)[0]["connections"]
    assert (record["status"], record["reason_code"]) == ("error", "reltio_auth"), record
    assert "grant_type=client_credentials ********:********." in record["message"], record["message"]
    for text in read_report(report_dir):
        assert world.RELTIO_CLIENT_SECRET[:8] not in json.dumps(text)
