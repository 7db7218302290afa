# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""reason_code: one closed set, and every code the plugins set is in it (issue 26)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import re

import pytest

from ansible_collections.reltio.platform.plugins.module_utils import errors
from ansible_collections.reltio.platform.plugins.module_utils.client import failed_test_reason
from ansible_collections.reltio.platform.plugins.module_utils.reasons import REASON_CODES, REASONS, checked

PLUGINS = pathlib.Path(__file__).resolve().parents[4] / "plugins"
# A code written in the plugins' source: reason_code="x", "reason_code": "x", REASON_CODE = "x", a mapping's value.
SET_CODE = re.compile(r"""(?:reason_code["']?\s*[=:]\s*|REASON_CODE\s*=\s*)["'](\w+)["']""")


def test_every_code_the_plugins_set_is_one_of_the_set():
    used = set()
    for path in PLUGINS.rglob("*.py"):
        used.update(SET_CODE.findall(path.read_text(encoding="utf-8")))
    assert used, "no reason_code found in the plugins"
    assert used - set(REASON_CODES) == set()


def test_the_set_holds_what_the_issue_asks_at_least():
    assert {"unreachable", "timeout", "tls", "proxy", "reltio_auth", "tenant_not_found", "connection_not_found",
            "bad_arguments", "server_error", "unexpected_answer", "databricks_auth", "databricks_permission",
            "warehouse_missing", "databricks_unreachable", "databricks_other"} <= set(REASON_CODES)
    assert all(REASONS[code].endswith(".") for code in REASON_CODES)


def test_an_error_refuses_a_code_outside_the_set():
    with pytest.raises(ValueError):
        str(errors.ApiError("x", reason_code="nope"))
    with pytest.raises(ValueError):
        checked("unknown")
    assert errors.ValidationError(["x"]).reason_code == "bad_arguments"
    assert errors.ApiError("x", reason_code="server_error").fail_kwargs()["reason_code"] == "server_error"


@pytest.mark.parametrize("message, code", [
    # What Reltio's test says (Databricks' words passed on), as the emulator and Reltio's documentation give them.
    ("invalid_client: Client authentication failed", "databricks_auth"),
    ("Databricks rejected the OAuth client credentials", "databricks_auth"),
    ("PERMISSION_DENIED: Service principal a1 does not have CAN USE permission on warehouse w1.", "databricks_permission"),
    ("Warehouse w1 does not exist.", "warehouse_missing"),
    ("Warehouse w1 is deleted.", "warehouse_missing"),
    ("Unable to reach the Databricks workspace adb-1.7.x.invalid", "databricks_unreachable"),
    ("Connection failed: Unable to connect to SQL Warehouse", "databricks_unreachable"),
    ("Something else went wrong", "databricks_other"),
    (None, "databricks_other"),
])
def test_a_failed_test_is_classified_from_reltios_words_once(message, code):
    assert failed_test_reason(message) == code
