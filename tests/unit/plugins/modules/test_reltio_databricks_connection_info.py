# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils import connection_health
from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_INFO_OPTIONS
from ansible_collections.reltio.platform.plugins.modules import reltio_databricks_connection_info as module_under_test

from ..fakes import ExitJson, FailJson, FakeResponse, FakeSession

pytestmark = pytest.mark.usefixtures("clean_environment", "patched_exits")

TOKEN = "tok-module-info-0123"
DBX_SECRET = "dbx-info-Secret+42"
ARGS = {"platform_url": "https://test.reltio.com", "tenant_id": "tenantA", "access_token": TOKEN,
        "connection_name": "databricks-connection-01"}


def run_main(args, expect=ExitJson, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(args):
        with pytest.raises(expect) as info:
            module_under_test.main()
    return info.value.args[0]


def serve(monkeypatch, *responses):
    session = FakeSession(*responses)
    monkeypatch.setattr(client_module, "new_session", lambda retries: session)
    return session


def test_wiring():
    assert module_under_test.execute is connection_health.execute
    assert module_under_test.validate is connection_health.validate


@pytest.mark.parametrize("check_mode", [False, True])
def test_reports_a_failing_connection_without_failing(monkeypatch, check_mode):
    session = serve(monkeypatch, FakeResponse(200, {"data": {"connected": False, "message": "invalid_client: " + DBX_SECRET}}))
    result = run_main(dict(ARGS, client_secret=DBX_SECRET), check_mode=check_mode)
    assert (result["status"], result["changed"], result["exists"], result["connected"]) == ("failing", False, True, False)
    assert DBX_SECRET not in json.dumps(result)
    assert [call.url.rsplit("/", 2)[-1] for call in session.calls] == ["test"]


def test_a_missing_connection_is_not_a_failure(monkeypatch):
    serve(monkeypatch, FakeResponse(404, {"errorMessage": "Database configuration databricks-connection-01 not found"}))
    result = run_main(ARGS)
    assert (result["status"], result["exists"], result.get("failed", False)) == ("missing", False, False)


def test_a_refused_token_fails_with_the_http_status(monkeypatch):
    serve(monkeypatch, FakeResponse(401, {"errorMessage": "Access token expired"}))
    result = run_main(ARGS, expect=FailJson)
    assert result["http_status"] == 401
    assert "status" not in result
    assert "Access token expired" in result["msg"]
    assert TOKEN not in json.dumps(result)


def test_bad_arguments_name_every_option_before_any_request(monkeypatch):
    serve(monkeypatch)
    result = run_main({"connection_name": "c", "preflight": True}, expect=FailJson)
    for option in ("platform_url", "tenant_id", "access_token", "workspace_url", "warehouse_id", "client_id", "client_secret"):
        assert option in result["msg"]


def test_documentation_parses_and_matches_the_option_table():
    doc = yaml.safe_load(module_under_test.DOCUMENTATION)
    assert doc["module"] == "reltio_databricks_connection_info"
    assert doc["extends_documentation_fragment"] == ["reltio.platform.tenant", "reltio.platform.auth",
                                                     "reltio.platform.execution", "reltio.platform.connection_info"]
    assert "options" not in doc
    assert doc["attributes"]["check_mode"]["support"] == "full"
    yaml.safe_load(module_under_test.EXAMPLES)
    returned = yaml.safe_load(module_under_test.RETURN)
    assert set(returned) >= {"status", "exists", "connected", "message", "checked_at", "preflight", "msg", "http_status",
                             "connections"}
    # Required by the module's own check, but for a list of connections, whose entries each give theirs.
    assert "required" not in CONNECTION_INFO_OPTIONS["connection_name"]
    assert (CONNECTION_INFO_OPTIONS["connections"]["type"], CONNECTION_INFO_OPTIONS["connections"]["elements"]) == ("list", "dict")
