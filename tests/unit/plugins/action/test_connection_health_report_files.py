# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action connection_health_report_files: the role's report, read from the hosts' variables, written on the
controller - a symbolic link refused, the modes, atomic files, written in check mode too and never changed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pathlib
import stat

import pytest
import yaml

from ansible.errors import AnsibleActionFail

from ansible_collections.reltio.platform.plugins.action import connection_health_report_files as action_under_test
from ansible_collections.reltio.platform.plugins.modules import connection_health_report_files as module_docs
from ansible_collections.reltio.platform.plugins.plugin_utils import connection_health_report as health

from .. import fakes

ROLE = pathlib.Path(__file__).resolve().parents[4] / "roles" / "connection_health"
ROLE_VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
URL = "https://test.reltio.com"
FILES = ("connection-health.json", "connection-health.md", "connection-health.html")


def record(host, status="healthy", checked_at="2026-12-01T02:00:00Z", message="Connection successful"):
    """A record as the role's task "Record the connection's health" sets it in connection_health_results."""
    return {"inventory_hostname": host, "platform_url": URL, "tenant_id": "t-" + host, "connection_name": "analytics",
            "status": status, "reason_code": "ok" if status == "healthy" else "databricks_auth", "from_environment": [],
            "connected": status == "healthy", "message": message, "checked_at": checked_at, "what_to_do": "Nothing to do."}


def task_vars(hostvars, play_hosts=None):
    return {"ansible_play_hosts_all": list(play_hosts if play_hosts is not None else hostvars),
            "groups": {"all": list(hostvars)}, "hostvars": hostvars}


def fleet():
    return task_vars({"h1": {"connection_health_results": [record("h1")]},
                      "h2": {"connection_health_results": [record("h2", "failing", message="Databricks rejected it")]}})


def arguments(report_dir, **changes):
    args = {"report_dir": str(report_dir), "mode": "0600", "templates": str(ROLE / "templates"),
            "wording": {"legend": ROLE_VARS["connection_health__legend"], "changes": ROLE_VARS["connection_health__changes"]},
            "advice": ROLE_VARS["connection_health__advice"], "not_run": ROLE_VARS["connection_health__not_run"]}
    args.update(changes)
    return args


def run(report_dir, variables, check_mode=False, **changes):
    action = fakes.make_action(action_under_test.ActionModule, arguments(report_dir, **changes), {}, check_mode=check_mode)
    return action.run(task_vars=variables)


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


@pytest.fixture(name="isolated")
def isolated_fixture(action_isolation, monkeypatch):  # pylint: disable=unused-argument
    monkeypatch.delenv("RELTIO_PLATFORM_URL", raising=False)


def test_the_options_documented_are_the_options_validated():
    documented = yaml.safe_load(module_docs.DOCUMENTATION)["options"]
    assert set(documented) == set(action_under_test.ARGUMENT_SPEC)
    for name, spec in action_under_test.ARGUMENT_SPEC.items():
        assert (documented[name]["type"], documented[name].get("required", False)) == (spec["type"], spec["required"]), name


def assert_compares_with_no_earlier_run(result, why):
    """The previous report was not read, for the reason ``why``: the task warns so, and every row is a first check."""
    assert result["warnings"] == ["The previous connection health report is %s: this run compares with no earlier run." % why]
    assert result["report"]["changes"]["first_check"] == 2


@pytest.mark.usefixtures("isolated")
def test_the_report_is_read_from_the_hosts_variables_written_and_returned(tmp_path):
    report_dir = tmp_path / "report"
    result = run(report_dir, fleet())
    report = json.loads((report_dir / "connection-health.json").read_text())
    assert result["report"] == report
    assert [(row["inventory_hostname"], row["status"], row["change"]) for row in report["connections"]] == [
        ("h2", "failing", "first_check"), ("h1", "healthy", "first_check")]
    assert report["summary"] == "2 connections checked: 1 failing, 0 error, 0 missing, 1 healthy; 2 first checked."
    assert "**%s**" % report["summary"] in (report_dir / "connection-health.md").read_text()
    assert '<div class="count failing"><b>1</b>failing</div>' in (report_dir / "connection-health.html").read_text()
    assert "warnings" not in result


@pytest.mark.usefixtures("isolated")
def test_hosts_that_did_not_run_are_recorded_by_the_same_code_and_the_run_is_partial_when_the_play_leaves_one_out(
        tmp_path, monkeypatch):
    monkeypatch.setenv("RELTIO_PLATFORM_URL", "https://env.reltio.com")
    hostvars = {
        "ran": {"connection_health_results": [record("ran")]},
        # Stopped before its check: a lane with two connections, one on a platform of its own.
        "lane": {"connection_health_connections": [{"tenant_id": "l1", "connection_name": "c1"},
                                                   {"tenant_id": "l2", "connection_name": "c2", "platform_url": URL}]},
        # Stopped before its check: its own connection, the platform from RELTIO_PLATFORM_URL.
        "own": {"databricks_connection_tenant_id": "t-own", "databricks_connection_name": "analytics"},
        "other": {"databricks_connection_tenant_id": "t-other"},
        "controller": {},
    }
    report = run(tmp_path, task_vars(hostvars, ["ran", "lane", "own"]))["report"]
    rows = dict(((row["inventory_hostname"], row["tenant_id"]), row) for row in report["connections"])
    assert sorted(rows) == [("lane", "l1"), ("lane", "l2"), ("own", "t-own"), ("ran", "t-ran")]
    not_checked = " ".join(ROLE_VARS["connection_health__advice"]["not_checked"].split())
    for key in (("lane", "l1"), ("lane", "l2"), ("own", "t-own")):
        row = rows[key]
        assert (row["status"], row["reason_code"], row["connected"], row["checked_at"], row["from_environment"]) == (
            "error", "not_checked", None, None, []), row
        assert row["message"] == " ".join(ROLE_VARS["connection_health__not_run"]["message"].split())
        assert row["what_to_do"] == not_checked
        assert row["since"] == report["generated_at"] and row["change"] == "first_check"
    assert [rows[key]["platform_url"] for key in (("lane", "l1"), ("lane", "l2"), ("own", "t-own"))] == [
        "https://env.reltio.com", URL, "https://env.reltio.com"]
    assert (rows[("lane", "l2")]["connection_name"], rows[("own", "t-own")]["connection_name"]) == ("c2", "analytics")
    # "other" has a tenant and is not in the play: partial. "controller" has nothing to check: it does not count.
    assert report["partial"] is True
    assert run(tmp_path, task_vars(hostvars, ["ran", "lane", "own", "other"]))["report"]["partial"] is False


@pytest.mark.usefixtures("isolated")
def test_history_is_taken_from_the_last_report_of_the_directory(tmp_path):
    run(tmp_path, fleet())
    later = task_vars({"h1": {"connection_health_results": [record("h1", "failing", "2026-12-02T02:00:00Z")]},
                       "h2": {"connection_health_results": [record("h2", "failing", "2026-12-02T02:00:00Z")]}})
    report = run(tmp_path, later)["report"]
    assert [(row["inventory_hostname"], row["change"], row["since"]) for row in report["connections"]] == [
        ("h1", "new_failure", "2026-12-02T02:00:00Z"), ("h2", "unchanged", "2026-12-01T02:00:00Z")]


@pytest.mark.usefixtures("isolated")
def test_a_last_report_that_is_not_json_is_a_warning(tmp_path):
    (tmp_path / "connection-health.json").write_text("<html>not a report</html>")
    result = run(tmp_path, fleet())
    assert_compares_with_no_earlier_run(result, "not JSON")


@pytest.mark.usefixtures("isolated")
def test_a_report_directory_that_is_a_symbolic_link_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "report"
    link.symlink_to(target)
    with pytest.raises(AnsibleActionFail) as failure:
        run(link, fleet())
    assert str(failure.value).startswith("connection_health_report_dir %s is a symbolic link: " % link)
    assert "Set connection_health_report_dir to the directory the link points to." in str(failure.value)
    assert list(target.iterdir()) == []


@pytest.mark.usefixtures("isolated")
def test_a_report_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "report").write_text("")
    with pytest.raises(AnsibleActionFail, match="connection_health_report_dir %s exists and is not a directory" % (tmp_path / "report")):
        run(tmp_path / "report", fleet())


@pytest.mark.usefixtures("isolated")
def test_an_existing_directory_keeps_its_mode_and_the_files_get_theirs(tmp_path):
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    report_dir.chmod(0o751)
    (report_dir / "connection-health.md").write_text("old")
    (report_dir / "connection-health.md").chmod(0o666)
    run(report_dir, fleet(), mode="0640")
    assert mode_of(report_dir) == 0o751
    assert [mode_of(report_dir / name) for name in FILES] == [0o640] * 3


@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("mode, files, directory", [("0600", 0o600, 0o700), ("0640", 0o640, 0o750), (0o640, 0o640, 0o750),
                                                    ("644", 0o644, 0o755), ("0604", 0o604, 0o705), ("0200", 0o200, 0o200)])
def test_a_new_directory_and_its_new_parents_get_the_files_mode_with_search_where_readable(tmp_path, mode, files, directory):
    old_umask = os.umask(0o077)
    try:
        report_dir = tmp_path / "new" / "report"
        run(report_dir, fleet(), mode=mode)
    finally:
        os.umask(old_umask)
    assert (mode_of(tmp_path / "new"), mode_of(report_dir)) == (directory, directory)
    assert [mode_of(report_dir / name) for name in FILES] == [files] * 3


@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("mode", ["u=rw", "0800", "99999", "", True, 0o17777, ["0600"]])
def test_a_mode_that_is_not_octal_is_refused_before_anything_is_written(tmp_path, mode):
    with pytest.raises(AnsibleActionFail, match="^connection_health_report_mode must be a mode in octal digits"):
        run(tmp_path / "report", fleet(), mode=mode)
    assert not (tmp_path / "report").exists()


@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("mode, said", [("1777", "1777"), ("4755", "4755"), (0o7777, "7777"), (0o2640, "2640")])
def test_a_mode_with_setuid_setgid_or_sticky_is_refused_before_anything_is_written(tmp_path, mode, said):
    with pytest.raises(AnsibleActionFail, match="^connection_health_report_mode %s sets setuid, setgid or sticky: " % said):
        run(tmp_path / "report", fleet(), mode=mode)
    assert not (tmp_path / "report").exists()


@pytest.mark.usefixtures("isolated")
def test_each_file_is_written_to_a_temporary_file_of_the_directory_then_renamed(tmp_path, monkeypatch):
    run(tmp_path, fleet())
    before = dict((name, (tmp_path / name).read_text()) for name in FILES)
    renames = []
    rename = os.rename

    def watched_rename(source, destination, src_dir_fd, dst_dir_fd):
        # When the rename comes, the new text is whole in the temporary file, and the old file is still whole; both
        # names are of the directory the descriptor holds.
        renames.append((os.readlink("/proc/self/fd/%d" % src_dir_fd), src_dir_fd == dst_dir_fd, destination,
                        stat.S_IMODE(os.stat(source, dir_fd=src_dir_fd).st_mode),
                        (tmp_path / destination).read_text() == before[destination]))
        rename(source, destination, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    monkeypatch.setattr(health.os, "rename", watched_rename)
    run(tmp_path, fleet(), mode="0640")
    assert renames == [(str(tmp_path), True, name, 0o640, True) for name in FILES]
    assert sorted(os.listdir(str(tmp_path))) == sorted(FILES)


@pytest.mark.usefixtures("isolated")
def test_a_write_that_fails_leaves_the_last_file_whole_and_no_temporary_file(tmp_path, monkeypatch):
    run(tmp_path, fleet())
    before = dict((name, (tmp_path / name).read_text()) for name in FILES)

    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(health.os, "fsync", full_disk)
    with pytest.raises(AnsibleActionFail) as failure:
        run(tmp_path, task_vars({"h3": {"connection_health_results": [record("h3")]}}))
    # The files are written relative to the directory's descriptor: the message names the directory.
    assert str(failure.value) == "The report could not be written into connection_health_report_dir %s: No space left on device" % tmp_path
    assert sorted(os.listdir(str(tmp_path))) == sorted(FILES)
    assert dict((name, (tmp_path / name).read_text()) for name in FILES) == before


def test_check_mode_writes_the_report_and_says_ok(tmp_path, monkeypatch):
    """Without the isolation fixture: ActionBase.run itself skips an action that does not support check mode."""
    monkeypatch.delenv("RELTIO_PLATFORM_URL", raising=False)
    result = run(tmp_path / "report", fleet(), check_mode=True)
    assert result["changed"] is False and not result.get("skipped"), result
    assert sorted(os.listdir(str(tmp_path / "report"))) == sorted(FILES)


@pytest.mark.usefixtures("isolated")
def test_never_changed_neither_when_written_first_nor_when_rewritten(tmp_path):
    first = run(tmp_path / "report", fleet())
    again = run(tmp_path / "report", fleet())
    other = run(tmp_path / "report", task_vars({"h3": {"connection_health_results": [record("h3", "failing")]}}))
    assert (first["changed"], again["changed"], other["changed"]) == (False, False, False)
    assert other["report"]["connections"][0]["inventory_hostname"] == "h3"


@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("previous, what", [
    ("[" * 100000 + "]" * 100000, "not JSON"),
    (json.dumps([{"status": "healthy", "platform_url": 5, "tenant_id": "t-h1", "connection_name": "analytics"}]), "not a report of this role"),
    (json.dumps([{"status": "healthy", "platform_url": URL, "tenant_id": ["t-h1"], "connection_name": "analytics"}]), "not a report of this role"),
    (json.dumps({"connections": 5}), "not a report of this role"),
    (json.dumps({"connections": [{"status": "healthy"}], "not_checked": {"status": "healthy"}}), "not a report of this role"),
], ids=["deeply-nested", "url-not-text", "tenant-a-list", "connections-a-number", "not-checked-an-object"])
def test_a_hostile_last_report_is_a_warning_never_a_traceback(tmp_path, previous, what):
    (tmp_path / "connection-health.json").write_text(previous)
    result = run(tmp_path, fleet())
    assert_compares_with_no_earlier_run(result, what)


@pytest.mark.usefixtures("isolated")
def test_a_last_report_larger_than_the_bound_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "PREVIOUS_REPORT_BOUND", 1000)
    run(tmp_path, fleet())
    (tmp_path / "connection-health.json").write_text((tmp_path / "connection-health.json").read_text() + " " * 1000)
    result = run(tmp_path, fleet())
    assert_compares_with_no_earlier_run(result, "larger than 1000 bytes")


@pytest.mark.usefixtures("isolated")
def test_a_last_report_that_is_a_symbolic_link_is_not_read_and_the_link_is_replaced(tmp_path):
    secret = tmp_path / "elsewhere.json"
    secret.write_text(json.dumps([dict(record("h1"), status="failing")]))
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    (report_dir / "connection-health.json").symlink_to(secret)
    result = run(report_dir, fleet())
    assert_compares_with_no_earlier_run(result, "not a regular file")
    assert not os.path.islink(str(report_dir / "connection-health.json"))
    assert json.loads(secret.read_text())[0]["status"] == "failing"


@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("results, problem", [
    ("healthy", "not a list"),
    ({"status": "healthy"}, "not a list"),
    (None, "not a list"),
    ([5], "item 0 is not a record"),
    ([{"status": "weird"}], "item 0 has status 'weird'"),
], ids=["text", "object", "null", "number-item", "unknown-status"])
def test_a_host_whose_results_are_not_records_is_refused_by_name(tmp_path, results, problem):
    variables = task_vars({"h1": {"connection_health_results": [record("h1")]}, "h2": {"connection_health_results": results}})
    with pytest.raises(AnsibleActionFail) as failure:
        run(tmp_path / "report", variables)
    assert str(failure.value).startswith("connection_health_results of host h2: %s" % problem), str(failure.value)
    assert not (tmp_path / "report").exists()


def swap_for_a_link(report_dir, elsewhere):
    """Move the report directory away and put a link to ``elsewhere`` in its place (a race with another user)."""
    os.rename(str(report_dir), str(report_dir) + ".moved")
    report_dir.symlink_to(elsewhere)


@pytest.mark.usefixtures("isolated")
def test_a_directory_swapped_for_a_link_after_it_was_looked_at_is_refused(tmp_path, monkeypatch):
    elsewhere, report_dir = tmp_path / "elsewhere", tmp_path / "report"
    elsewhere.mkdir()
    report_dir.mkdir()
    prepare = health.prepare_directory

    def racing_prepare(path, mode):
        prepare(path, mode)
        if not os.path.islink(path):
            swap_for_a_link(report_dir, elsewhere)

    monkeypatch.setattr(health, "prepare_directory", racing_prepare)
    with pytest.raises(AnsibleActionFail, match="connection_health_report_dir %s is a symbolic link: " % report_dir):
        run(report_dir, fleet())
    assert list(elsewhere.iterdir()) == []


@pytest.mark.usefixtures("isolated")
def test_a_directory_swapped_for_a_link_while_it_is_written_keeps_the_files(tmp_path, monkeypatch):
    elsewhere, report_dir = tmp_path / "elsewhere", tmp_path / "report"
    elsewhere.mkdir()
    report_dir.mkdir()
    render = health.render

    def racing_render(report, kind, *rest):
        if kind == "md":
            swap_for_a_link(report_dir, elsewhere)
        return render(report, kind, *rest)

    monkeypatch.setattr(health, "render", racing_render)
    run(report_dir, fleet())
    assert list(elsewhere.iterdir()) == []
    assert sorted(os.listdir(str(report_dir) + ".moved")) == sorted(FILES)
