# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import Mock
from urllib.parse import quote

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils import transport
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError, ValidationError
from ansible_collections.reltio.platform.plugins.modules import reltio_databricks_connection as module_under_test

from ..fakes import ExitJson, FailJson, FakeResponse, FakeSession

pytestmark = pytest.mark.usefixtures("clean_environment", "patched_exits")

DBX_SECRET = 'dbx"Secret/é+&?-42'
TOKEN = "tok-module-test-1"
ARGS = {
    "platform_url": "https://test.reltio.com",
    "tenant_id": "tenant01",
    "access_token": TOKEN,
    "connection_name": "conn-01",
    "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
    "warehouse_id": "ab1c2d3ef5g6h7i8",
    "client_id": "dbx-client-id",
    "client_secret": DBX_SECRET,
}
RESULT = {"changed": True, "created": True, "secret_updated": False, "connection": {"connection_name": "conn-01"},
          "test": None, "msg": "Connection 'conn-01' created in tenant 'tenant01'."}


def run_main(args, expect=ExitJson):
    with patch_module_args(args):
        with pytest.raises(expect) as info:
            module_under_test.main()
    return info.value.args[0]


@pytest.fixture(name="execute")
def execute_fixture(monkeypatch):
    execute = Mock(return_value=dict(RESULT))
    monkeypatch.setattr(module_under_test, "execute", execute)
    return execute


def test_success(execute):
    result = run_main(ARGS)
    assert result == dict(RESULT, from_environment=[])
    execute.assert_called_once()
    params = execute.call_args[0][0]
    for key, value in ARGS.items():
        assert params[key] == value
    assert params["update_secret"] == "on_create"
    assert params["auth_url"] == "https://auth.reltio.com/oauth/token"
    assert params["retries"] == 3
    assert params["timeout"] == 30.0
    kwargs = execute.call_args[1]
    assert kwargs["check_mode"] is False
    assert kwargs["diff"] is False
    assert isinstance(kwargs["warn"].__self__, basic.AnsibleModule)
    assert kwargs["warn"].__name__ == "warn"


def test_check_and_diff_mode_passed(execute):
    run_main(dict(ARGS, _ansible_check_mode=True, _ansible_diff=True))
    assert execute.call_args[1]["check_mode"] is True
    assert execute.call_args[1]["diff"] is True


def test_alias_name(execute):
    args = dict(ARGS)
    del args["connection_name"]
    args["name"] = "aliased"
    run_main(args)
    assert execute.call_args[0][0]["connection_name"] == "aliased"


def test_env_fallbacks(execute, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "https://from-env.cloud.databricks.com")
    monkeypatch.setenv("RELTIO_TENANT_ID", "env-tenant")
    args = dict(ARGS)
    del args["workspace_url"]
    del args["tenant_id"]
    run_main(args)
    params = execute.call_args[0][0]
    assert params["workspace_url"] == "https://from-env.cloud.databricks.com"
    assert params["tenant_id"] == "env-tenant"


def test_bad_choice_fails_before_execute(execute):
    result = run_main(dict(ARGS, update_secret="sometimes"), expect=FailJson)
    assert "update_secret" in result["msg"]
    execute.assert_not_called()


def test_reltio_error_fails_with_its_kwargs(execute):
    error = ApiError("Reltio answered HTTP 503", status=503, error_code=12, may_exist=True)
    error.result = {"changed": False, "created": False}
    execute.side_effect = error
    result = run_main(ARGS, expect=FailJson)
    assert result == {"msg": "Reltio answered HTTP 503", "status": 503, "error_code": 12, "may_exist": True,
                      "changed": False, "created": False, "from_environment": [],
                      "reason_code": "unexpected_answer"}


def test_validation_error_fails(execute):
    execute.side_effect = ValidationError(["workspace_url is required"])
    assert run_main(ARGS, expect=FailJson) == {"msg": "Invalid arguments: workspace_url is required.", "from_environment": [],
                                               "reason_code": "bad_arguments"}


def test_missing_requests(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    monkeypatch.setattr(transport, "REQUESTS_IMPORT_ERROR", "Traceback: No module named 'requests'")
    result = run_main(ARGS, expect=FailJson)
    assert result["msg"] == basic.missing_required_lib("requests")
    assert "requests" in result["msg"]
    assert result["exception"] == "Traceback: No module named 'requests'"
    execute.assert_not_called()


def test_documentation_takes_its_options_from_the_fragments():
    """The options are documented by the fragments made of the option tables (see test_generated_fragments.py)."""
    doc = yaml.safe_load(module_under_test.DOCUMENTATION)
    assert doc["extends_documentation_fragment"] == ["reltio.platform.tenant", "reltio.platform.auth",
                                                     "reltio.platform.execution", "reltio.platform.databricks_connection"]
    assert "options" not in doc
    yaml.safe_load(module_under_test.EXAMPLES)
    yaml.safe_load(module_under_test.RETURN)


# ---- through the real execute, with a fake HTTP session -----------------------------------------------


def _spellings(secret):
    return (secret, json.dumps(secret)[1:-1], quote(secret, safe=""))


def _assert_secret_absent(payload):
    text = json.dumps(payload, ensure_ascii=False) + json.dumps(payload)
    for secret in (DBX_SECRET, TOKEN):
        for spelling in _spellings(secret):
            assert spelling not in text


def _serve(monkeypatch, *responses):
    """The module's client gets a FakeSession answering ``responses`` (client.py calls transport's new_session)."""
    session = FakeSession(*responses)
    monkeypatch.setattr(client_module, "new_session", lambda retries: session)
    return session


@pytest.mark.parametrize("echoed", _spellings(DBX_SECRET) + (TOKEN,))
def test_echoed_secret_absent_from_fail_json(monkeypatch, echoed):
    session = _serve(monkeypatch, FakeResponse(400, {"errorMessage": "workspaceUrl invalid for clientSecret %s" % echoed,
                                                     "errorCode": 9}))
    result = run_main(ARGS, expect=FailJson)
    assert len(session.calls) == 1
    assert result["status"] == 400
    assert "workspaceUrl invalid" in result["msg"]
    _assert_secret_absent(result)


@pytest.mark.parametrize("echoed", _spellings(DBX_SECRET))
def test_echoed_secret_absent_from_exit_json(monkeypatch, echoed):
    _serve(monkeypatch,
           FakeResponse(400, {"errorMessage": "A Databricks connection with the same name already exists for the tenant"
                                              " (secret %s)" % echoed}),
           FakeResponse(200, {"data": {"connected": True, "message": "Connected with %s" % echoed,
                                       "databaseType": "DATABRICKS"}}))
    result = run_main(dict(ARGS, test_connection=True))
    assert result["changed"] is False
    assert result["test"]["connected"] is True
    assert "already exists" in result["connection"]["message"]
    _assert_secret_absent(result)


def test_real_execute_validation_fails_without_request(monkeypatch):
    session = _serve(monkeypatch)
    result = run_main(dict(ARGS, workspace_url="http://adb.example.com"), expect=FailJson)
    assert "workspace_url must use https" in result["msg"]
    assert not session.calls
