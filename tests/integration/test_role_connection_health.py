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
# The reason_code of each host of mixed_fleet (None: the check did not run).
REASON_CODES = {"healthy": "ok", "healthy2": "ok", "rotated": "databricks_auth", "nogrant": "databricks_permission",
                "deleted": "warehouse_missing", "missing": "connection_not_found", "garbled": "unexpected_answer",
                "badtoken": "reltio_auth", "noname": None, "badspec": None}


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
    tenant("missing", "missing", "Database configuration %s not found" % NAME, "The tenant has no connection of this name")
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
    return hosts, expected


def read_report(report_dir):
    return (json.loads((report_dir / "connection-health.json").read_text()), (report_dir / "connection-health.md").read_text(),
            (report_dir / "connection-health.html").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("flags", [[], ["--check", "-vvvv"]])
def test_a_mixed_fleet_is_reported_whole_then_the_unhealthy_hosts_fail(ansible, emulator, tenant, flags):
    hosts, expected = mixed_fleet(ansible, emulator, tenant)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    before = emulator.last_seq()
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir), *flags)
    assert run.rc == 2, run.output

    records, markdown, page = read_report(report_dir)
    assert [record["inventory_hostname"] for record in records] == [
        host for status in ("failing", "error", "missing", "healthy") for host in sorted(expected) if expected[host][0] == status]
    for record in records:
        status, reason, advice = expected[record["inventory_hostname"]]
        assert record["status"] == status, record
        assert reason in record["message"], record
        assert advice in record["what_to_do"], record
        assert set(record) == {"inventory_hostname", "tenant_id", "connection_name", "status", "connected", "message",
                               "checked_at", "what_to_do", "reason_code", "from_environment"}
        assert record["reason_code"] == REASON_CODES[record["inventory_hostname"]], record
        assert record["tenant_id"] == "%s-%s" % (tenant, record["inventory_hostname"])
        assert record["connected"] == {"healthy": True, "failing": False}.get(status)
        assert (record["checked_at"] is None) is (record["inventory_hostname"] in ("badspec", "noname"))

    counts = dict((status, sum(1 for value in expected.values() if value[0] == status))
                  for status in ("failing", "error", "missing", "healthy"))
    assert counts == {"failing": 3, "error": 4, "missing": 1, "healthy": 2}
    assert "**3 failing · 4 error · 1 missing · 2 healthy**" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Host")]
    assert [row.split(" | ")[0][2:] for row in rows] == [record["inventory_hostname"] for record in records]
    assert all(row.count(" | ") == 6 for row in rows)

    for status, count in counts.items():
        assert '<div class="count %s"><b>%d</b>%s</div>' % (status, count, status) in page
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
    failure = run.task(action="fail", host="nogrant")
    assert "is failing: PERMISSION_DENIED" in failure["msg"] and "What to do: Grant the service principal" in failure["msg"]
    assert [entry for entry in emulator.requests() if entry["seq"] > before and entry["endpoint"] in WRITES] == []


def test_told_not_to_fail_the_play_passes_and_still_reports(ansible, emulator, tenant):
    hosts, expected = mixed_fleet(ansible, emulator, tenant, with_broken_hosts=False)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir, fail_on_unhealthy=False))
    assert run.rc == 0, run.output
    records = read_report(report_dir)[0]
    assert dict((record["inventory_hostname"], record["status"]) for record in records) == dict(
        (host, value[0]) for host, value in expected.items())
    for host in expected:
        assert run.recap(host) == dict(run.recap(host), changed=0, failed=0)


def test_an_all_healthy_fleet_passes(ansible, emulator, tenant):
    hosts = {}
    for number in range(3):
        hosts["t%d" % number] = {"databricks_connection_tenant_id": "%s-%d" % (tenant, number)}
        emulator.create_connection("%s-%d" % (tenant, number), NAME)
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir))
    assert run.rc == 0, run.output
    assert [record["status"] for record in read_report(report_dir)[0]] == ["healthy"] * 3


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
    assert stats["ansible_stats"]["data"] == {"connection_health": {"failing": 0, "error": 0, "missing": 1, "healthy": 1}}
    assert [record["status"] for record in read_report(report_dir)[0]] == ["missing", "healthy"]


def test_what_to_do_is_looked_up_by_reason_code(ansible, emulator, tenant):
    """Issue 26 point 4: an unreachable Reltio ("Could not reach") is told to check the URL and proxies, not to
    write to Reltio support; an unknown tenant is told apart from an unknown connection (point 5)."""
    advice = yaml.safe_load((ROOT / "roles" / "connection_health" / "vars" / "main.yml").read_text())["connection_health__advice"]
    hosts = {"down": {"databricks_connection_tenant_id": "%s-down" % tenant,
                      "databricks_connection_platform_url": "http://127.0.0.1:9"},
             "nosuchtenant": {"databricks_connection_tenant_id": "%s-nosuchtenant" % tenant},
             "fine": {"databricks_connection_tenant_id": "%s-fine" % tenant}}
    emulator.create_connection("%s-fine" % tenant, NAME)
    emulator.configure(tenants=["%s-fine" % tenant, "%s-down" % tenant])
    report_dir = ansible.workdir / "report"
    ansible.scan_path(report_dir)
    run = run_play(ansible, inventory(ansible, hosts), play(report_dir, fail_on_unhealthy=False))
    assert run.rc == 0, run.output
    records = dict((record["inventory_hostname"], record) for record in read_report(report_dir)[0])
    expected = {"down": ("error", "unreachable"), "nosuchtenant": ("missing", "tenant_not_found"), "fine": ("healthy", "ok")}
    for host, (status, code) in expected.items():
        assert (records[host]["status"], records[host]["reason_code"]) == (status, code), records[host]
        assert records[host]["what_to_do"] == " ".join(advice[code].split()), records[host]
    assert "Could not reach 127.0.0.1:9" in records["down"]["message"]
    assert "Reltio support" not in records["down"]["what_to_do"]
    assert "databricks_connection_tenant_id" in records["nosuchtenant"]["what_to_do"]
