# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report of the role connection_health: what changed since the last run, partial runs, capped messages, one pass."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.reltio.platform.plugins.filter.connection_health_report import FilterModule, connection_health_report

URL = "https://test.reltio.com"
T1, T2, T3 = "2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z", "2026-12-03T02:00:00Z"


def record(tenant, status, checked_at, host=None, name="analytics", url=URL, message="Reltio's reason"):
    return {"inventory_hostname": host or tenant, "platform_url": url, "tenant_id": tenant, "connection_name": name,
            "status": status, "reason_code": None, "connected": status == "healthy", "message": message,
            "checked_at": checked_at, "what_to_do": "Nothing to do."}


def run(records, previous=None, at=T1, partial=False):
    return connection_health_report(records, json.dumps(previous) if previous is not None else "", at, partial)


def rows(report):
    return [(row["tenant_id"], row["status"], row["change"], row["since"]) for row in report["connections"]]


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"connection_health_report": connection_health_report}


def test_history_over_three_runs():
    one = run([record("a", "healthy", T1), record("b", "healthy", T1), record("c", "failing", T1)])
    assert rows(one) == [("c", "failing", "first_check", T1), ("a", "healthy", "first_check", T1), ("b", "healthy", "first_check", T1)]
    assert one["changes"] == {"new_failure": 0, "recovered": 0, "unchanged": 0, "first_check": 3}
    two = run([record("a", "healthy", T2), record("b", "failing", T2), record("c", "failing", T2)], one, T2)
    # Newly failing first, then by status.
    assert rows(two) == [("b", "failing", "new_failure", T2), ("c", "failing", "unchanged", T1), ("a", "healthy", "unchanged", T1)]
    assert two["summary"] == "3 connections checked: 2 failing, 0 error, 0 missing, 1 healthy; 1 newly failing, 2 unchanged."
    three = run([record("a", "healthy", T3), record("b", "healthy", T3), record("c", "error", T3)], two, T3)
    assert rows(three) == [("c", "error", "unchanged", T3), ("a", "healthy", "unchanged", T1), ("b", "healthy", "recovered", T3)]
    assert three["changes"] == {"new_failure": 0, "recovered": 1, "unchanged": 2, "first_check": 0}


def test_a_connection_is_known_by_its_environment_tenant_and_name():
    one = run([record("a", "healthy", T1)])
    other_url = run([record("a", "failing", T2, url="https://eu.reltio.com")], one, T2)
    assert rows(other_url) == [("a", "failing", "first_check", T2)]
    other_name = run([record("a", "failing", T2, name="other")], one, T2)
    assert rows(other_name)[0][2] == "first_check"
    same = run([record("a", "failing", T2, url=URL + "/", host="lane03")], one, T2)
    assert rows(same)[0][2] == "new_failure"


def test_a_partial_run_keeps_what_it_did_not_check_and_a_full_run_drops_it():
    one = run([record("a", "healthy", T1), record("b", "healthy", T1)])
    two = run([record("b", "failing", T2)], one, T2, partial=True)
    assert two["partial"] is True and two["not_checked"] == [one["connections"][0]]
    assert two["summary"].endswith("Partial run: 1 connection of earlier runs not checked.")
    three = run([record("b", "failing", T3)], two, T3, partial=True)
    assert three["not_checked"] == [one["connections"][0]]
    four = run([record("a", "healthy", T3), record("b", "failing", T3)], three, T3)
    assert rows(four) == [("b", "failing", "unchanged", T2), ("a", "healthy", "unchanged", T1)]
    assert run([record("b", "failing", T3)], two, T3)["not_checked"] == []


def test_a_report_of_the_0_2_shape_is_read_and_an_unreadable_one_ignored():
    old = [dict(record("a", "healthy", T1), checked_at=T1)]
    assert rows(run([record("a", "failing", T2)], old, T2)) == [("a", "failing", "new_failure", T2)]
    assert rows(run([record("a", "healthy", T2)], old, T2)) == [("a", "healthy", "unchanged", T1)]
    assert rows(connection_health_report([record("a", "healthy", T2)], "{not json", T2)) == [("a", "healthy", "first_check", T2)]
    assert rows(connection_health_report([record("a", "healthy", T2)], '{"connections": [{"status": "odd"}, 3]}', T2))[0][2] == "first_check"


def test_messages_are_one_line_and_capped():
    huge = "<b>\r\n" + "A" * 1000000
    report = run([record("a", "error", T1, message=huge)])
    (row,) = report["connections"]
    assert len(row["message"]) == 500 and row["message"].startswith("<b> AAA") and row["message"].endswith("...")


def test_a_checked_at_every_row_shares_is_said_once():
    assert run([record("a", "healthy", T1), record("b", "healthy", T1)])["checked_at"] == T1
    assert run([record("a", "healthy", T1), record("b", "healthy", T2)])["checked_at"] is None
    # A record whose check did not run has no checked_at: since is when the report was written.
    assert rows(run([record("a", "error", None)], at=T2)) == [("a", "error", "first_check", T2)]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects a list of records"):
        connection_health_report("nope", "", T1)
    with pytest.raises(AnsibleFilterError, match="needs generated_at"):
        connection_health_report([], "", None)


def test_building_the_report_is_linear_in_its_rows():
    def seconds(size):
        records = [record("t%06d" % number, ("healthy", "failing")[number % 2], T1) for number in range(size)]
        previous = run(records)
        best = None
        # The best of three: the machine is shared.
        for _attempt in range(3):
            started = time.perf_counter()
            report = run(records, previous, T2)
            took = time.perf_counter() - started
            best = took if best is None else min(best, took)
        assert len(report["connections"]) == size
        return best

    small, large = seconds(5000), seconds(40000)
    # Eight times the rows; a quadratic build would take about 64 times as long.
    assert large < small * 20 + 0.5, (small, large)
