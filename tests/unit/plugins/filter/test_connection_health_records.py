# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The records of one host of connection_health, from its one check task over its list."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.reltio.platform.plugins.filter.connection_health_records import FilterModule, connection_health_records

ADVICE = {"ok": "Nothing to do.", "reltio_auth": "Check the token.", "bad_arguments": "Set the variables.",
          "unreachable": {"platform_url": "Check the platform URL.", "auth_url": "Check the auth URL."}}
HOST = {"inventory_hostname": "lane0", "platform_url": "https://test.reltio.com", "tenant_id": None, "connection_name": "c"}
AT = "2026-12-04T02:00:00Z"


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"connection_health_records": connection_health_records}


def test_a_record_a_connection_checked_or_not_with_what_to_do_by_reason_code_and_option():
    outcome = {"from_environment": ["access_token"], "connections": [
        {"tenant_id": "t1", "connection_name": "c", "status": "healthy", "reason_code": "ok", "connected": True,
         "message": "Connection successful", "checked_at": "2026-12-04T01:59:59Z"},
        {"tenant_id": "t2", "connection_name": "c2", "failed": True, "reason_code": "unreachable", "option": "auth_url",
         "msg": "Could not reach 127.0.0.1:9 (from auth_url) while requesting a token"},
        {"tenant_id": "t3", "connection_name": "c", "failed": True, "reason_code": "unreachable", "option": "platform_url",
         "msg": "Could not reach 127.0.0.1:9 (from platform_url) while testing connection 'c'"}]}
    records = connection_health_records(outcome, [{"tenant_id": "t1"}, {"tenant_id": "t2", "connection_name": "c2"},
                                                  {"tenant_id": "t3", "platform_url": "http://127.0.0.1:9"}], HOST, ADVICE, AT)
    assert [(r["tenant_id"], r["connection_name"], r["status"], r["reason_code"], r["what_to_do"], r["platform_url"])
            for r in records] == [
        ("t1", "c", "healthy", "ok", "Nothing to do.", "https://test.reltio.com"),
        ("t2", "c2", "error", "unreachable", "Check the auth URL.", "https://test.reltio.com"),
        ("t3", "c", "error", "unreachable", "Check the platform URL.", "http://127.0.0.1:9")]
    assert records[1]["message"].startswith("Could not reach") and records[1]["checked_at"] == AT
    assert records[1]["connected"] is None and records[0]["connected"] is True
    assert all(record["from_environment"] == ["access_token"] and record["inventory_hostname"] == "lane0" for record in records)


def test_a_task_refused_whole_gives_each_connection_its_reason():
    refused = {"failed": True, "msg": "Invalid arguments: timeout must be from 1 to 3600", "reason_code": "bad_arguments"}
    records = connection_health_records(refused, [{"tenant_id": "t1"}, {"tenant_id": "t2"}], HOST, ADVICE, AT)
    assert [(r["tenant_id"], r["status"], r["reason_code"], r["what_to_do"]) for r in records] == [
        ("t1", "error", "bad_arguments", "Set the variables."), ("t2", "error", "bad_arguments", "Set the variables.")]
    (own,) = connection_health_records(refused, [{}], dict(HOST, tenant_id="t0"), ADVICE, AT)
    assert (own["tenant_id"], own["connection_name"], own["message"]) == ("t0", "c", refused["msg"])


def test_what_is_not_a_result_is_refused():
    with pytest.raises(AnsibleFilterError):
        connection_health_records(None, [{}], HOST, ADVICE, AT)
