# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Fleet health guide's picture shows what the role prints today, whole; the report fits 800 pixels.

``make health-screenshot`` (tools/health_screenshot.py) writes the picture and, beside it, the report it rendered
(docs/docsite/rst/images/connection-health.json). These tests fail when that source data and the role's wording
drift apart (the advice, the fields, the summary, the fleet of the tool), or when the picture is cut off; then run
``make health-screenshot`` again. The layout test needs Chromium, as the tool does.
"""

from __future__ import annotations

import json
import struct

import health_screenshot
import pytest
import yaml

from ansible_collections.reltio.platform.plugins.filter.connection_health_records import connection_health_records
from ansible_collections.reltio.platform.plugins.filter.connection_health_render import connection_health_render
from ansible_collections.reltio.platform.plugins.filter.connection_health_report import connection_health_report
from ansible_collections.reltio.platform.plugins.plugin_utils.connection_health_report import _summary, what_to_do

ROOT = health_screenshot.ROOT
ROLE_VARS = yaml.safe_load(open(ROOT + "/roles/connection_health/vars/main.yml", encoding="utf-8"))
ROLE_TASKS = open(ROOT + "/roles/connection_health/tasks/main.yml", encoding="utf-8").read()
# What becomes of each tenant of the tool's fleet after the night.
STATUS = {None: "healthy", "rotate_secret": "failing", "revoke_grant": "failing", "delete_warehouse": "failing",
          "missing": "missing", "unavailable": "error"}


def source():
    with open(health_screenshot.SOURCE, encoding="utf-8") as handle:
        return json.load(handle)


def advice(reason_code):
    """What to do, as the role's record step looks it up: by the reason's code."""
    return " ".join(what_to_do(ROLE_VARS["connection_health__advice"], reason_code, None).split())


def record_fields():
    """The fields of a row: the role's record (plugins/filter/connection_health_records.py), and the report's change and
    since."""
    assert "reltio.platform.connection_health_records(" in ROLE_TASKS
    return set(connection_health_records({}, [{}], {}, {}, "2026-12-04T02:00:00Z")[0]) | {"change", "since"}


def png_size(path):
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_the_picture_s_source_data_says_what_the_role_says_today():
    data = source()
    picture = data.pop("picture")
    assert set(data) == set(connection_health_report([], "", "2026-12-04T02:00:00Z"))
    rows = data["connections"]
    assert sorted((row["inventory_hostname"], row["tenant_id"]) for row in rows) == sorted(
        (host, tenant) for host, (tenant, _what) in health_screenshot.FLEET.items())
    for row in rows:
        assert set(row) == record_fields(), row
        what = health_screenshot.FLEET[row["inventory_hostname"]][1]
        assert row["status"] == STATUS[what], row
        # Broken overnight: newly failing; the rest as the night before.
        assert row["change"] == ("new_failure" if what not in (None, "missing") else "unchanged"), row
        assert row["what_to_do"] == advice(row["reason_code"]), row
    assert data["summary"] == _summary(data["counts"], data["changes"], len(rows), data["partial"], len(data["not_checked"]))
    assert png_size(health_screenshot.OUTPUT) == (picture["width"], picture["height"])


@pytest.mark.skipif(not health_screenshot.chromium_path(), reason="needs chromium (Debian: apt-get install chromium)")
def test_the_picture_is_whole_and_the_report_fits_800_pixels(tmp_path):
    data = source()
    picture = data.pop("picture")
    page = tmp_path / "connection-health.html"
    wording = {"legend": ROLE_VARS["connection_health__legend"], "changes": ROLE_VARS["connection_health__changes"]}
    template = open(ROOT + "/roles/connection_health/templates/connection-health.html.j2", encoding="utf-8").read()
    page.write_text(connection_health_render(data, "html", template, wording), encoding="utf-8")
    chromium = health_screenshot.chromium_path()
    # The picture is as tall as the page it shows.
    assert health_screenshot.measure(chromium, str(page), picture["width"])["height"] <= picture["height"]
    narrow = health_screenshot.measure(chromium, str(page), 800)
    # No horizontal scroll; the reason wraps between words, not inside them.
    assert narrow["width"] <= 800, narrow
    assert narrow["overflowWrap"] in ("break-word", "normal") and narrow["wordBreak"] == "normal", narrow
