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

import pytest
import yaml

from reltio_world import DATABRICKS_CLIENT_ID, ROOT, WAREHOUSE_ID

ROLE = "reltio.platform.connection_health"
NAME = "databricks-connection-01"
WRONG_TOKEN = "rlt-wrong-token-Vb8Nc3Xz6Qa1"
WRITES = ("create", "credentials")


def inventory(ansible, hosts, **group_vars):
    """A YAML inventory: group reltio_tenants, one host per tenant with its own variables."""
    data = {"reltio_tenants": {"hosts": hosts, "vars": dict({
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "databricks_connection_platform_url": ansible.emulator.url,
        # The role takes secrets from its variables only (as databricks_connection), never from RELTIO_ACCESS_TOKEN.
        "databricks_connection_access_token": ansible.reltio_env("x")["RELTIO_ACCESS_TOKEN"],
        "databricks_connection_name": NAME,
        "databricks_connection_retries": 0,
    }, **group_vars)}}
    path = ansible.workdir / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def play(report_dir, fail_on_unhealthy=None, check_tasks=""):
    role_vars = {"connection_health_report_dir": str(report_dir)}
    if fail_on_unhealthy is not None:
        role_vars["connection_health_fail_on_unhealthy"] = fail_on_unhealthy
    return json.dumps([{"name": "health", "hosts": "reltio_tenants", "gather_facts": False,
                        "roles": [{"role": ROLE, "vars": role_vars}]}])


def run_play(ansible, inventory_path, text, *args):
    path = ansible.workdir / "health.yml"
    path.write_text(text)
    return ansible.run(["ansible-playbook", "-i", str(inventory_path), str(path)] + list(args))


def mixed_fleet(ansible, emulator, prefix, with_broken_hosts=True):
    """Hosts of each health; returns (hosts for the inventory, {host: (status, reason part, advice part)})."""
    hosts, expected = {}, {}

    def tenant(host, status, reason, advice, **host_vars):
        hosts[host] = dict({"databricks_connection_tenant_id": "%s-%s" % (prefix, host)}, **host_vars)
        expected[host] = (status, reason, advice)
        return "%s-%s" % (prefix, host)

    emulator.create_connection(tenant("healthy", "healthy", "Connection successful", "Nothing to do."), NAME)
    emulator.create_connection(tenant("healthy2", "healthy", "Connection successful", "Nothing to do."), NAME)
    name = tenant("rotated", "failing", "Databricks rejected the OAuth client credentials", "Put the current secret in the vault")
    emulator.create_connection(name, NAME)
    emulator.break_connection(name, NAME, "rotate_secret")
    name = tenant("nogrant", "failing", "PERMISSION_DENIED: Service principal %s" % DATABRICKS_CLIENT_ID,
                  "Grant the service principal CAN USE")
    emulator.create_connection(name, NAME)
    emulator.break_connection(name, NAME, "revoke_grant")
    name = tenant("deleted", "failing", "Warehouse %s is deleted." % WAREHOUSE_ID, "The SQL warehouse is gone")
    emulator.create_connection(name, NAME)
    emulator.break_connection(name, NAME, "delete_warehouse")
    tenant("missing", "missing", "Database configuration %s not found" % NAME, "Reltio knows no connection of this name")
    name = tenant("garbled", "error", "without a 'connected' field", "Reltio answered something that is not a test result")
    emulator.create_connection(name, NAME)
    emulator.faults({"endpoint": "test", "tenant": name, "status": 200, "body": "json", "message": "gateway", "count": -1})
    if with_broken_hosts:
        ansible.add_secret("a wrong Reltio token", WRONG_TOKEN)
        name = tenant("badtoken", "error", "Invalid or missing access token", "Reltio refused the token",
                      databricks_connection_access_token=WRONG_TOKEN)
        emulator.create_connection(name, NAME)
        tenant("noname", "error", "Invalid arguments: connection_name is required", "The host's variables were refused",
               databricks_connection_name="  ")
        # Refused by the role's argument spec: the host fails before the check, and is reported all the same.
        tenant("badspec", "error", "The check did not run for this host", "See the host's first failed task",
               databricks_connection_retries="several")
    return hosts, expected


def read_report(report_dir):
    return (json.loads((report_dir / "connection-health.json").read_text()), (report_dir / "connection-health.md").read_text(),
            (report_dir / "connection-health.html").read_text())


RECORD_FIELDS = {"inventory_hostname", "platform_url", "tenant_id", "connection_name", "status", "reason_code", "connected",
                 "message", "checked_at", "what_to_do", "change", "since"}
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
@pytest.mark.parametrize("flags", [[], ["--check", "-vvvv"]])
def test_a_mixed_fleet_is_reported_whole_then_the_unhealthy_hosts_fail(ansible, emulator, tenant, flags):
    hosts, expected = mixed_fleet(ansible, emulator, tenant)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    before = emulator.last_seq()
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir), *flags)
    assert run.rc == 2, run.output

    report, markdown, page = read_report(report_dir)
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
        assert record["tenant_id"] == "%s-%s" % (tenant, record["inventory_hostname"])
        assert record["platform_url"] == emulator.url
        assert record["connected"] == {"healthy": True, "failing": False}.get(status)
        assert (record["checked_at"] is None) is (record["inventory_hostname"] == "badspec")
        assert record["change"] == "first_check" and record["since"] == (record["checked_at"] or report["generated_at"])

    counts = dict((status, sum(1 for value in expected.values() if value[0] == status))
                  for status in ("failing", "error", "missing", "healthy"))
    assert counts == {"failing": 3, "error": 4, "missing": 1, "healthy": 2} == report["counts"]
    assert report["changes"] == {"new_failure": 0, "recovered": 0, "unchanged": 0, "first_check": 10}
    assert report["summary"] == "10 connections checked: 3 failing, 4 error, 1 missing, 2 healthy; 10 first checked."
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
        assert recap["failed"] == (0 if status == "healthy" else 1), (host, recap)
    (failure,) = run.task(action="fail", host="nogrant")["results"]
    assert failure["msg"].startswith("Databricks connection '%s' of tenant '%s-nogrant' is failing: PERMISSION_DENIED" % (NAME, tenant))
    assert ". What to do: Grant the service principal CAN USE" in failure["msg"], failure["msg"]
    (failure,) = run.task(action="fail", host="rotated")["results"]
    assert "is failing: Databricks rejected the OAuth client credentials. What to do: " in failure["msg"], failure["msg"]
    (failure,) = run.task(action="fail", host="garbled")["results"]
    assert "'%s-garbled' could not be checked: " % tenant in failure["msg"] and " is error" not in failure["msg"]
    assert summary_line(run, report_dir) == "Connection health: %s Report: %s/connection-health.html" % (report["summary"], report_dir)
    assert [entry for entry in emulator.requests() if entry["seq"] > before and entry["endpoint"] in WRITES] == []


def test_told_not_to_fail_the_play_passes_and_still_reports(ansible, emulator, tenant):
    hosts, expected = mixed_fleet(ansible, emulator, tenant, with_broken_hosts=False)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir, fail_on_unhealthy=False))
    assert run.rc == 0, run.output
    report = read_report(report_dir)[0]
    assert dict((record["inventory_hostname"], record["status"]) for record in report["connections"]) == dict(
        (host, value[0]) for host, value in expected.items())
    for host in expected:
        assert run.recap(host) == dict(run.recap(host), changed=0, failed=0)
    assert "3 failing, 1 error, 1 missing, 2 healthy; 7 first checked." in summary_line(run, report_dir)


@pytest.mark.parametrize("flags", [[], ["--check"]])
def test_an_all_healthy_fleet_passes_and_says_so(ansible, emulator, tenant, flags):
    hosts = {}
    for number in range(3):
        hosts["t%d" % number] = {"databricks_connection_tenant_id": "%s-%d" % (tenant, number)}
        emulator.create_connection("%s-%d" % (tenant, number), NAME)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir), *flags)
    assert run.rc == 0, run.output
    assert [record["status"] for record in read_report(report_dir)[0]["connections"]] == ["healthy"] * 3
    assert "3 connections checked: 0 failing, 0 error, 0 missing, 3 healthy; 3 first checked." in summary_line(run, report_dir)


def test_the_example_playbook_reports_and_hands_the_counts_to_awx(ansible, emulator, tenant):
    hosts = {"fine": {"databricks_connection_tenant_id": "%s-fine" % tenant},
             "gone": {"databricks_connection_tenant_id": "%s-gone" % tenant}}
    emulator.create_connection("%s-fine" % tenant, NAME)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = ansible.run(["ansible-playbook", "-i", str(inventory(ansible, hosts)), str(ROOT / "examples" / "connection_health.yml"),
                       "-e", "connection_health_report_dir=%s" % report_dir])
    # The missing connection fails its host, after the report; the post task hands the counts on all the same.
    assert run.rc == 2, run.output
    assert run.recap("gone")["failed"] == 1 and run.recap("fine")["failed"] == 0
    stats = run.task(action="set_stats")
    assert stats["ansible_stats"]["data"] == {"connection_health": {
        "counts": {"failing": 0, "error": 0, "missing": 1, "healthy": 1},
        "changes": {"new_failure": 0, "recovered": 0, "unchanged": 0, "first_check": 2},
        "new_failures": 0}}
    assert [record["status"] for record in read_report(report_dir)[0]["connections"]] == ["missing", "healthy"]
