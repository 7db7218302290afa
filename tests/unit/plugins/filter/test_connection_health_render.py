# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The files of the connection_health report, rendered from the role's templates: escaped, and whole at 10,000 rows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import pathlib
import re

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.reltio.platform.plugins.filter.connection_health_render import connection_health_render
from ansible_collections.reltio.platform.plugins.filter.connection_health_report import connection_health_report
from ansible_collections.reltio.platform.plugins.plugin_utils.connection_health_report import markdown_cell

ROLE = pathlib.Path(__file__).resolve().parents[4] / "roles" / "connection_health"
HOSTILE = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) `code` *em* _u_ | \\ &amp;\nnext line"


def template(kind):
    return (ROLE / "templates" / ("connection-health.%s.j2" % kind)).read_text(encoding="utf-8")


def wording():
    variables = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    return {"legend": variables["connection_health__legend"], "changes": variables["connection_health__changes"]}


def report(size=2, message=HOSTILE):
    records = [{"inventory_hostname": "h%05d" % number, "platform_url": "https://test.reltio.com", "tenant_id": "t%05d" % number,
                "connection_name": "analytics", "status": ("failing", "healthy")[number % 2], "reason_code": None,
                "connected": bool(number % 2), "message": message, "checked_at": "2026-12-01T02:00:%02dZ" % (number % 60),
                "what_to_do": "Nothing to do."} for number in range(size)]
    return connection_health_report(records, "", "2026-12-01T02:01:00Z", False)


def test_a_markdown_cell_is_text():
    assert markdown_cell(HOSTILE) == ("&lt;img src=x onerror=alert(1)&gt; \\[x\\](javascript:alert(1)) \\`code\\` \\*em\\* \\_u\\_ \\| "
                                      "\\\\ &amp;amp; next line")
    assert markdown_cell(None) == ""


def test_json_is_the_report():
    data = report()
    assert json.loads(connection_health_render(data, "json")) == data


def test_markdown_and_html_escape_every_value():
    data = report()
    markdown = connection_health_render(data, "md", template("md"), wording())
    assert markdown_cell(data["connections"][0]["message"]) in markdown and "<img" not in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Connection")]
    assert len(rows) == 2 and all(row.count(" | ") == 9 for row in rows)
    page = connection_health_render(data, "html", template("html"), wording())
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    for status, text in wording()["legend"].items():
        assert "<dd>%s</dd>" % text.replace("'", "&#39;") in page, status


def test_an_unknown_kind_is_refused():
    with pytest.raises(AnsibleFilterError, match="json, md or html"):
        connection_health_render(report(), "pdf")


def test_ten_thousand_rows_render_whole():
    """Every row of a report at the scale the role is measured at (benchmarks/scale.py times it) is in each file."""
    data = report(10000, message="Databricks rejected the OAuth client credentials")
    assert len(json.loads(connection_health_render(data, "json"))["connections"]) == 10000
    for kind in ("md", "html"):
        text = connection_health_render(data, kind, template(kind), wording())
        assert sorted(re.findall(r"\bt\d{5}\b", text)) == ["t%05d" % number for number in range(10000)], kind


def test_a_partial_report_names_both_ways_a_run_leaves_connections_out():
    """A play on a group (``hosts: reltio_lanes``) leaves the inventory's other hosts out as --limit does: the report
    said "(--limit)" to a user who had used none."""
    previous = connection_health_render(report(size=3), "json")
    data = connection_health_report(report(size=1)["connections"], previous, "2026-12-02T02:01:00Z", True)
    assert len(data["not_checked"]) == 2
    for kind in ("md", "html"):
        text = connection_health_render(data, kind, template(kind), wording())
        assert "a --limit or a play on part of the inventory" in text.replace("`", ""), kind
        assert "the 2 other connections of earlier runs are in" in text, kind


def test_one_connection_left_out_is_said_in_the_singular():
    previous = connection_health_render(report(size=2), "json")
    data = connection_health_report(report(size=1)["connections"], previous, "2026-12-02T02:01:00Z", True)
    assert len(data["not_checked"]) == 1
    for kind in ("md", "html"):
        text = connection_health_render(data, kind, template(kind), wording())
        assert "the 1 other connection of earlier runs is in" in text, kind
