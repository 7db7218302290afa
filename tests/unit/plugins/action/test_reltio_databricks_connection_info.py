# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.reltio.platform.plugins.action import reltio_databricks_connection_info as action_under_test
from ansible_collections.reltio.platform.plugins.module_utils import connection_health
from ansible_collections.reltio.platform.plugins.module_utils.arguments import connection_info_argument_spec

from .. import fakes
from ..fakes import LOOP_ITEM, FakeResponse

pytestmark = pytest.mark.usefixtures("action_isolation")

MODULE = "reltio.platform.reltio_databricks_connection_info"
TOKEN = "tok-action-info-0123"
ARGS = {"platform_url": "https://test.reltio.com", "tenant_id": "tenantA", "access_token": TOKEN, "connection_name": "c1"}
MODULE_RESULT = {"changed": False, "status": "healthy", "msg": "from the target"}


def make_action(args, **kwargs):
    return fakes.make_action(action_under_test.ActionModule, args, MODULE_RESULT, **kwargs)


def test_wiring():
    fakes.assert_wiring(action_under_test.ActionModule, MODULE, connection_info_argument_spec, connection_health.validate,
                        connection_health.execute, hide_result=False)
    assert getattr(action_under_test.ActionModule, "PREPARE_ARGS", None) is None


def test_controller_runs_the_test_in_process(http):
    http.answers.append(FakeResponse(200, {"result": {"connected": True, "message": "Connection successful"}}))
    result = make_action(dict(ARGS)).run(task_vars={})
    assert (result["status"], result["changed"], result["exists"]) == ("healthy", False, True)
    assert "failed" not in result


def test_check_mode_runs_the_test_on_the_controller(http):
    http.answers.append(FakeResponse(200, {"data": {"connected": False, "message": "Warehouse w is deleted."}}))
    result = make_action(dict(ARGS), check_mode=True).run(task_vars={})
    assert (result["status"], result["message"]) == ("failing", "Warehouse w is deleted.")


def test_a_loop_shares_one_session(http):
    http.answers.extend(FakeResponse(200, {"data": {"connected": True, "message": "ok"}}) for number in range(3))
    statuses = [make_action(dict(ARGS, connection_name="c%d" % number)).run(task_vars=dict(LOOP_ITEM))["status"]
                for number in range(3)]
    assert statuses == ["healthy"] * 3
    assert len(http.sessions) == 1


def test_target_runs_the_module():
    action = make_action(dict(ARGS), transport="ssh")
    assert action.run(task_vars={})["msg"] == "from the target"
    assert action._execute_module.call_args[1]["module_name"] == MODULE
