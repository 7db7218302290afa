# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
from unittest.mock import Mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.action import ActionBase

from ansible_collections.reltio.platform.plugins.module_utils import transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    connection_argument_spec,
    databricks_connection_argument_spec,
)
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError, ValidationError
from ansible_collections.reltio.platform.plugins.module_utils.validation import ArgumentCheck
from ansible_collections.reltio.platform.plugins.plugin_utils import reltio_action
from ansible_collections.reltio.platform.plugins.plugin_utils.reltio_action import ReltioAction

from .. import fakes
from ..fakes import DBX_ARGS, HIDDEN, LOOP_ITEM, ansible_module, module_failure

pytestmark = pytest.mark.usefixtures("clean_environment")

MODULE = "reltio.platform.dummy_module"
SECRET = "tok-Very-Secret-42"
ARGS = {"platform_url": "https://test.reltio.com", "tenant_id": "tenant01", "access_token": SECRET}
RESULT = {"changed": True, "msg": "done"}
MODULE_RESULT = {"changed": False, "msg": "ran on the target"}


@pytest.fixture(name="base_run")
def base_run_fixture(monkeypatch):
    """ActionBase.run, recorded; it returns what ``base_run.result`` holds."""
    calls = []

    def run(self, tmp=None, task_vars=None):
        calls.append((self, tmp, task_vars))
        return dict(run.result)

    run.calls = calls
    run.result = {}
    monkeypatch.setattr(ActionBase, "run", run)
    return run


@pytest.fixture(name="execute")
def execute_fixture():
    return Mock(return_value=dict(RESULT))


def validate(params):
    """What a module of the tenant options checks beyond its argument spec (as databricks_connection.validate does)."""
    check = ArgumentCheck(params)
    check.tenant()
    check.auth()
    check.http()
    check.done()


def make_action(execute, args, hide=False, **kwargs):
    class Action(ReltioAction):
        ARGUMENT_SPEC = connection_argument_spec
        VALIDATE = staticmethod(validate)
        EXECUTE = execute
        HIDE_RESULT = hide

    Action.MODULE = MODULE
    return fakes.make_action(Action, args, MODULE_RESULT, **kwargs)


def run(action, task_vars=None):
    return action.run(task_vars=task_vars if task_vars is not None else {"inventory_hostname": "localhost"})


def params_of(execute):
    execute.assert_called_once()
    return execute.call_args[0][0]


def module_params(args):
    with patch_module_args(args):
        module = basic.AnsibleModule(argument_spec=connection_argument_spec(), supports_check_mode=True)
    return module.params


# ---- where it runs ---------------------------------------------------------------------------


@pytest.mark.usefixtures("base_run")
def test_auto_on_a_local_connection_runs_in_process(execute):
    action = make_action(execute, dict(ARGS))
    result = run(action, dict(LOOP_ITEM, item=1, inventory_hostname="localhost"))
    action._execute_module.assert_not_called()
    params = params_of(execute)
    assert params == module_params(ARGS)
    assert params["execution"] == "auto"
    kwargs = execute.call_args[1]
    assert isinstance(kwargs["cache"], ClientCache)
    assert kwargs["cache"] is ReltioAction.CACHE
    assert kwargs["check_mode"] is False
    assert kwargs["diff"] is False
    assert callable(kwargs["warn"])
    assert result["changed"] is True
    assert result["msg"] == "done"
    assert "failed" not in result


def test_a_task_without_a_loop_gets_no_cache(execute):
    """A loop's items share the worker's cache; a task without a loop runs once in its worker and keeps nothing."""
    run(make_action(execute, dict(ARGS)))
    assert execute.call_args[1]["cache"] is None
    run(make_action(execute, dict(ARGS)), dict(LOOP_ITEM, item=1, inventory_hostname="localhost"))
    assert execute.call_args[1]["cache"] is ReltioAction.CACHE


@pytest.mark.parametrize("keywords", [{"until": ["result is succeeded"]}, {"retries": 5}])
def test_the_attempts_of_a_task_with_until_or_retries_share_the_cache(execute, keywords):
    """ansible-core runs every attempt in the same worker: one token serves them all."""
    run(make_action(execute, dict(ARGS), **keywords))
    assert execute.call_args[1]["cache"] is ReltioAction.CACHE


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("transport", ["ssh", "paramiko", "winrm", "docker", "community.docker.docker"])
def test_auto_on_another_connection_runs_the_module(execute, transport):
    args = dict(ARGS)
    action = make_action(execute, args, transport=transport)
    task_vars = {"inventory_hostname": "bastion"}
    result = run(action, task_vars)
    execute.assert_not_called()
    action._execute_module.assert_called_once_with(module_name=MODULE, module_args=args, task_vars=task_vars)
    assert action._execute_module.call_args[1]["module_args"] is args
    assert result == MODULE_RESULT


@pytest.mark.usefixtures("base_run")
def test_connection_without_transport_runs_the_module(execute):
    action = make_action(execute, dict(ARGS))
    action._connection = Mock(spec=["_shell"])
    run(action)
    execute.assert_not_called()
    action._execute_module.assert_called_once()


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("execution, transport, in_process", [
    ("controller", "ssh", True),
    ("controller", "local", True),
    ("target", "local", False),
    ("target", "ssh", False),
    ("auto", "local", True),
    ("auto", "ssh", False),
])
def test_execution_option(execute, execution, transport, in_process):
    action = make_action(execute, dict(ARGS, execution=execution), transport=transport)
    run(action)
    assert execute.called is in_process
    assert action._execute_module.called is not in_process


@pytest.mark.usefixtures("base_run")
def test_null_execution_is_auto_and_fails_validation_as_in_the_module(execute):
    args = dict(ARGS, execution=None)
    action = make_action(execute, dict(args), transport="local")
    result = run(action)
    action._execute_module.assert_not_called()
    execute.assert_not_called()
    assert result["failed"] is True
    expected = module_failure(MODULE, connection_argument_spec(), args, validate)["msg"]
    assert result["msg"] == expected
    # ansible-core 2.19 shows the null as "got: .", 2.16 as "got: None.".
    assert re.fullmatch(r"Invalid arguments: value of execution must be one of: auto, controller, target, got: (None)?\.", expected)
    action = make_action(execute, dict(args), transport="ssh")
    run(action)
    action._execute_module.assert_called_once()


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("execution", ["elsewhere", "Controller", ""])
def test_unknown_execution_runs_the_module_whose_validation_names_it(execute, execution):
    action = make_action(execute, dict(ARGS, execution=execution))
    run(action)
    execute.assert_not_called()
    assert action._execute_module.call_args[1]["module_args"]["execution"] == execution


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("value, transport, in_process", [("controller", "ssh", True), ("target", "local", False)])
def test_execution_from_the_controller_environment(execute, monkeypatch, value, transport, in_process):
    monkeypatch.setenv("RELTIO_EXECUTION", value)
    action = make_action(execute, dict(ARGS), transport=transport)
    run(action)
    assert execute.called is in_process
    assert action._execute_module.called is not in_process


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("value, transport, in_process", [("controller", "ssh", True), ("target", "local", False)])
def test_execution_from_the_task_environment(execute, value, transport, in_process):
    action = make_action(execute, dict(ARGS), transport=transport, environment=[{"RELTIO_EXECUTION": value}])
    run(action)
    assert execute.called is in_process
    assert action._execute_module.called is not in_process


@pytest.mark.usefixtures("base_run")
def test_task_environment_beats_the_controller_environment_for_execution(execute, monkeypatch):
    monkeypatch.setenv("RELTIO_EXECUTION", "controller")
    action = make_action(execute, dict(ARGS), transport="local", environment={"RELTIO_EXECUTION": "target"})
    run(action)
    execute.assert_not_called()
    action._execute_module.assert_called_once()


@pytest.mark.usefixtures("base_run")
def test_execution_argument_beats_the_environment(execute, monkeypatch):
    monkeypatch.setenv("RELTIO_EXECUTION", "target")
    action = make_action(execute, dict(ARGS, execution="controller"), transport="ssh", environment={"RELTIO_EXECUTION": "target"})
    run(action)
    action._execute_module.assert_not_called()
    assert params_of(execute)["execution"] == "controller"


# ---- environment fallbacks ---------------------------------------------------------------------


@pytest.mark.usefixtures("base_run")
def test_task_environment_fills_options(execute):
    environment = [{"RELTIO_PLATFORM_URL": "https://env.reltio.com"}, {"RELTIO_TENANT_ID": 12345, "RELTIO_ACCESS_TOKEN": SECRET}]
    action = make_action(execute, {}, environment=environment)
    result = run(action)
    params = params_of(execute)
    assert params["platform_url"] == "https://env.reltio.com"
    assert params["tenant_id"] == "12345"
    assert params["access_token"] == SECRET
    assert result["invocation"]["module_args"]["access_token"] == HIDDEN
    assert result["from_environment"] == ["access_token", "platform_url", "tenant_id"]


@pytest.mark.usefixtures("base_run")
def test_controller_environment_fills_options(execute, monkeypatch):
    monkeypatch.setenv("RELTIO_TENANT_ID", "os-tenant")
    run(make_action(execute, {"platform_url": "https://test.reltio.com"}))
    assert params_of(execute)["tenant_id"] == "os-tenant"


@pytest.mark.usefixtures("base_run")
def test_task_environment_beats_the_controller_environment(execute, monkeypatch):
    monkeypatch.setenv("RELTIO_TENANT_ID", "os-tenant")
    run(make_action(execute, {"platform_url": "https://test.reltio.com"}, environment=[{"RELTIO_TENANT_ID": "task-tenant"}]))
    assert params_of(execute)["tenant_id"] == "task-tenant"


@pytest.mark.usefixtures("base_run")
def test_task_arguments_beat_every_environment(execute, monkeypatch):
    monkeypatch.setenv("RELTIO_TENANT_ID", "os-tenant")
    run(make_action(execute, dict(ARGS), environment=[{"RELTIO_TENANT_ID": "task-tenant"}]))
    assert params_of(execute)["tenant_id"] == "tenant01"


@pytest.mark.usefixtures("base_run")
def test_environment_does_not_touch_the_task_args_sent_to_the_target(execute):
    args = {"execution": "target"}
    action = make_action(execute, args, environment={"RELTIO_TENANT_ID": "task-tenant"})
    run(action)
    assert action._execute_module.call_args[1]["module_args"] == {"execution": "target"}
    assert args == {"execution": "target"}


@pytest.mark.usefixtures("base_run")
def test_in_process_run_does_not_change_the_task_args(execute):
    args = {"platform_url": "https://test.reltio.com"}
    run(make_action(execute, args, environment={"RELTIO_TENANT_ID": "task-tenant"}))
    assert args == {"platform_url": "https://test.reltio.com"}


# ---- argument validation ---------------------------------------------------------------------


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("args", [
    {"bogus": 1},
    {"platform_url": "https://test.reltio.com", "tenant": "t"},
    dict(ARGS, execution="controller", bogus=1),
    dict(ARGS, execution="controller", bogus=1, other=2),
    dict(ARGS, retries="many"),
    dict(ARGS, timeout="soon"),
    dict(ARGS, validate_certs="perhaps"),
    dict(ARGS, retries="many", timeout="soon", bogus=1),
])
def test_validation_errors_read_as_the_module_ones(execute, args):
    result = run(make_action(execute, dict(args)))
    execute.assert_not_called()
    assert result["failed"] is True
    assert result["msg"] == module_failure(MODULE, connection_argument_spec(), args, validate)["msg"]


@pytest.mark.usefixtures("base_run")
def test_unsupported_parameter_message(execute):
    result = run(make_action(execute, dict(ARGS, bogus=1, tenant="t")))
    assert result["msg"] == ("Invalid arguments: bogus is not an option of %s; tenant is not an option of %s"
                             " (did you mean tenant_id?)." % (MODULE, MODULE))


@pytest.mark.usefixtures("base_run")
def test_a_refused_argument_spec_names_every_missing_option_too(execute):
    result = run(make_action(execute, {"access_token": SECRET, "bogus": 1}))
    execute.assert_not_called()
    assert result["msg"] == (
        "Invalid arguments: bogus is not an option of %s; platform_url is required and must not be blank: set it or"
        " the RELTIO_PLATFORM_URL environment variable; tenant_id is required and must not be blank: set it or the"
        " RELTIO_TENANT_ID environment variable." % MODULE)
    assert result["invocation"]["module_args"]["access_token"] == HIDDEN


@pytest.mark.usefixtures("base_run")
def test_options_the_spec_does_not_require_are_left_to_execute(execute):
    """platform_url and tenant_id may come from the environment: the module's execute checks them."""
    run(make_action(execute, {"access_token": SECRET}))
    params = params_of(execute)
    assert (params["platform_url"], params["tenant_id"]) == (None, None)


@pytest.mark.usefixtures("base_run")
def test_params_are_converted_and_completed(execute):
    run(make_action(execute, dict(ARGS, retries="5", timeout="2.5", validate_certs="no")))
    params = params_of(execute)
    assert params["retries"] == 5
    assert params["timeout"] == 2.5
    assert params["validate_certs"] is False
    assert params["auth_url"] == "https://auth.reltio.com/oauth/token"
    assert params["reltio_client_id"] is None


# ---- results ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("base_run")
def test_reltio_error_gives_a_failed_result(execute):
    error = ApiError("Reltio answered HTTP 503", status=503, error_code=9, may_exist=True)
    error.result = {"changed": True, "created": False}
    execute.side_effect = error
    result = run(make_action(execute, dict(ARGS)))
    invocation = result.pop("invocation")
    assert result == {"failed": True, "msg": "Reltio answered HTTP 503", "status": 503, "error_code": 9, "may_exist": True,
                      "changed": True, "created": False, "from_environment": [],
                      "reason_code": "unexpected_answer"}
    assert invocation["module_args"]["tenant_id"] == "tenant01"


@pytest.mark.usefixtures("base_run")
def test_validation_error_of_execute_gives_a_failed_result(execute):
    execute.side_effect = ValidationError(["tenant_id must not be made of dots only"])
    result = run(make_action(execute, dict(ARGS, tenant_id="..")))
    assert result["failed"] is True
    assert result["msg"] == "Invalid arguments: tenant_id must not be made of dots only."


@pytest.mark.usefixtures("base_run")
def test_other_errors_are_not_swallowed(execute):
    execute.side_effect = KeyError("boom")
    with pytest.raises(KeyError):
        run(make_action(execute, dict(ARGS)))


@pytest.mark.usefixtures("base_run")
def test_warnings_passed_through(execute):
    def warn_twice(params, warn, **kwargs):  # pylint: disable=unused-argument
        warn("first warning")
        warn("second warning")
        return dict(RESULT)

    execute.side_effect = warn_twice
    result = run(make_action(execute, dict(ARGS)))
    assert result["warnings"] == ["first warning", "second warning"]


@pytest.mark.usefixtures("base_run")
def test_warnings_kept_on_failure(execute):
    def warn_then_fail(params, warn, **kwargs):  # pylint: disable=unused-argument
        warn("careful")
        raise ApiError("failed")

    execute.side_effect = warn_then_fail
    result = run(make_action(execute, dict(ARGS)))
    assert result["failed"] is True
    assert result["warnings"] == ["careful"]


@pytest.mark.usefixtures("base_run")
def test_no_warnings_key_without_warnings(execute):
    assert "warnings" not in run(make_action(execute, dict(ARGS)))


@pytest.mark.usefixtures("base_run")
def test_invocation_holds_the_validated_params(execute):
    result = run(make_action(execute, dict(ARGS, access_token=None)))
    assert result["invocation"] == {"module_args": module_params(dict(ARGS, access_token=None))}


@pytest.mark.usefixtures("base_run")
def test_no_log_values_masked_in_the_whole_result(execute):
    execute.return_value = {
        "changed": True,
        "msg": "Used %s." % SECRET,
        "connection": {"message": "echo %s" % SECRET, "items": ["x", SECRET]},
    }
    result = run(make_action(execute, dict(ARGS, reltio_client_secret="client-secret-2")))
    assert result["msg"] == "Used ********."
    assert result["connection"] == {"message": "echo ********", "items": ["x", HIDDEN]}
    module_args = result["invocation"]["module_args"]
    assert module_args["access_token"] == HIDDEN
    assert module_args["reltio_client_secret"] == HIDDEN
    assert module_args["tenant_id"] == "tenant01"
    assert SECRET not in repr(result)
    assert "client-secret-2" not in repr(result)


@pytest.mark.usefixtures("base_run")
def test_no_log_values_masked_in_a_failure(execute):
    execute.side_effect = ApiError("Reltio refused %s" % SECRET, status=401)
    result = run(make_action(execute, dict(ARGS)))
    assert result["msg"] == "Reltio refused ********"
    assert SECRET not in repr(result)


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("blank", [" ", "   ", "\t"])
def test_blank_no_log_values_not_masked(execute, blank):
    execute.return_value = {"changed": False, "msg": "A message with\tspaces in it, and %s." % SECRET}
    result = run(make_action(execute, dict(ARGS, reltio_client_secret=blank, reltio_client_id=blank)))
    assert result["msg"] == "A message with\tspaces in it, and ********."
    assert result["invocation"]["module_args"]["reltio_client_secret"] == blank
    assert result["invocation"]["module_args"]["access_token"] == HIDDEN


@pytest.mark.usefixtures("base_run")
def test_blank_no_log_values_not_masked_in_validation_failures(execute):
    result = run(make_action(execute, {"access_token": " ", "tenant_id": "t", "bogus": 1}))
    assert result["msg"].startswith("Invalid arguments: bogus is not an option of %s; platform_url is required and must"
                                    " not be blank: set it or the RELTIO_PLATFORM_URL environment variable; " % MODULE)


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("execution", ["auto", None])
def test_auto_runs_the_module_when_the_controller_has_no_requests(execute, monkeypatch, execution):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    args = dict(ARGS, execution=execution) if execution else dict(ARGS)
    action = make_action(execute, args, transport="local")
    assert run(action) == MODULE_RESULT
    execute.assert_not_called()
    action._execute_module.assert_called_once()


@pytest.mark.usefixtures("base_run")
def test_controller_without_requests_fails_naming_it(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    action = make_action(execute, dict(ARGS, execution="controller"), transport="ssh")
    result = run(action)
    execute.assert_not_called()
    action._execute_module.assert_not_called()
    assert result == {"failed": True,
                      "msg": basic.missing_required_lib("requests") + " (on the controller, for execution: controller)",
                      "reason_code": "missing_library"}
    assert "requests" in result["msg"]


@pytest.mark.usefixtures("base_run")
def test_missing_requests_on_the_controller_does_not_stop_the_module(execute, monkeypatch):
    monkeypatch.setattr(transport, "HAS_REQUESTS", False)
    action = make_action(execute, dict(ARGS), transport="ssh")
    assert run(action) == MODULE_RESULT


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("execution", ["auto", None])
@pytest.mark.parametrize("become", [{"become": True}, {"play_become": True}], ids=["keyword", "ansible_become"])
def test_auto_runs_the_module_when_the_task_has_become(execute, execution, become):
    args = dict(ARGS, execution=execution) if execution else dict(ARGS)
    action = make_action(execute, args, transport="local", **become)
    task_vars = {"inventory_hostname": "localhost"}
    assert run(action, task_vars) == MODULE_RESULT
    execute.assert_not_called()
    action._execute_module.assert_called_once_with(module_name=MODULE, module_args=args, task_vars=task_vars)


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("transport_name", ["local", "ssh"])
def test_controller_with_become_fails_clearly(execute, transport_name):
    action = make_action(execute, dict(ARGS, execution="controller"), transport=transport_name, become=True)
    result = run(action)
    execute.assert_not_called()
    action._execute_module.assert_not_called()
    assert result == {"failed": True, "msg": "execution is controller, but the task has become, which only a module"
                                             " honours: remove become, or set execution to auto or target.",
                      "reason_code": "bad_arguments"}


@pytest.mark.usefixtures("base_run")
def test_become_on_the_target_runs_the_module(execute):
    action = make_action(execute, dict(ARGS, execution="target"), transport="local", become=True)
    assert run(action) == MODULE_RESULT
    execute.assert_not_called()


@pytest.mark.usefixtures("base_run")
def test_a_refusal_is_shown_even_where_a_result_is_hidden(execute):
    action = make_action(execute, dict(ARGS, execution="controller"), become=True, hide=True)
    result = run(action)
    assert result["failed"] is True
    assert "become" in result["msg"]
    assert "_ansible_no_log" not in result


@pytest.mark.usefixtures("base_run")
def test_a_success_is_hidden_where_a_result_is_hidden(execute):
    result = run(make_action(execute, dict(ARGS, execution="controller"), hide=True))
    assert "failed" not in result
    assert result["_ansible_no_log"] is True


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("check_mode, diff", [(True, False), (False, True), (True, True), (1, 0)])
def test_check_mode_and_diff_passed(execute, check_mode, diff):
    run(make_action(execute, dict(ARGS), check_mode=check_mode, diff=diff))
    kwargs = execute.call_args[1]
    assert kwargs["check_mode"] is bool(check_mode)
    assert kwargs["diff"] is bool(diff)


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("transport", ["local", "ssh"])
def test_hide_result(execute, transport):
    action = make_action(execute, dict(ARGS), transport=transport, hide=True)
    result = run(action)
    assert result["_ansible_no_log"] is True
    assert result["msg"] in ("done", "ran on the target")


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("transport", ["local", "ssh"])
def test_result_shown_by_default(execute, transport):
    assert "_ansible_no_log" not in run(make_action(execute, dict(ARGS), transport=transport))


@pytest.mark.parametrize("transport", ["local", "ssh"])
def test_base_run_called_and_its_result_kept(execute, base_run, transport):
    base_run.result = {"from_base": 1}
    action = make_action(execute, dict(ARGS), transport=transport)
    task_vars = {"inventory_hostname": "h"}
    result = run(action, task_vars)
    assert base_run.calls == [(action, None, task_vars)]
    assert result["from_base"] == 1


def test_real_base_run_refuses_async(execute):
    action = make_action(execute, dict(ARGS))
    action._task.async_val = 10
    with pytest.raises(AnsibleActionFail) as info:
        run(action)
    # ansible-core 2.19's words, and 2.16's.
    assert re.search(r"does not support async|async is not supported", str(info.value))
    execute.assert_not_called()


def test_class_settings():
    assert ReltioAction.TRANSFERS_FILES is False
    assert ReltioAction._supports_check_mode is True
    assert ReltioAction._supports_async is False
    assert ReltioAction.HIDE_RESULT is False
    assert reltio_action.CONTROLLER_TRANSPORTS == ("local",)


def test_execute_sees_the_task_environment(execute, monkeypatch):
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    seen = []
    execute.side_effect = lambda *args, **kwargs: seen.append(os.environ.get("HTTPS_PROXY")) or dict(RESULT)
    action = make_action(execute, ARGS, environment=[{"HTTPS_PROXY": "http://task-proxy:8080"}])
    run(action)
    assert seen == ["http://task-proxy:8080"]
    assert "HTTPS_PROXY" not in os.environ


# ---- what AnsibleModule would say: alias warnings and no_log values --------------------------------


@pytest.mark.usefixtures("base_run")
def test_alias_warning_reaches_the_result_on_the_controller(execute, monkeypatch):
    spec = databricks_connection_argument_spec()
    args = dict(DBX_ARGS, name="aliased")
    dummy, expected = ansible_module(monkeypatch, spec, args)
    assert expected == ["Both option connection_name and its alias name are set."]

    class Action(ReltioAction):
        MODULE = "reltio.platform.reltio_databricks_connection"
        ARGUMENT_SPEC = databricks_connection_argument_spec
        EXECUTE = execute

    action = fakes.make_action(Action, args, MODULE_RESULT)
    result = run(action)
    assert result["warnings"] == expected
    execute.assert_called_once()


def test_a_short_access_token_is_refused_in_a_readable_message_and_hidden_by_name(execute):
    """Issue 20: RELTIO_ACCESS_TOKEN=t starred out every t of the message that should say what is wrong."""
    execute.side_effect = lambda params, **kwargs: validate(params)
    result = run(make_action(execute, dict(ARGS, access_token="t")))
    assert result["failed"] is True
    assert "access_token is shorter than 8 characters" in result["msg"]
    assert result["invocation"]["module_args"]["access_token"] == HIDDEN


# ---- a list or a dict in a text option -------------------------------------------------------


@pytest.mark.usefixtures("base_run")
@pytest.mark.parametrize("transport", ["local", "ssh"])
@pytest.mark.parametrize("value, kind", [(["tok-Very-Secret-42", "other-value-43"], "list"),
                                         ({"value": "tok-Very-Secret-42"}, "dictionary")])
def test_a_list_or_dict_secret_is_refused_on_both_paths_without_its_value(execute, transport, value, kind):
    """A hashi_vault lookup without ':key' gives a dict: AnsibleModule would send its Python repr as the token."""
    action = make_action(execute, dict(ARGS, access_token=value), transport=transport)
    result = run(action)
    execute.assert_not_called()
    action._execute_module.assert_not_called()
    assert result["failed"] is True
    assert "access_token must be a string, got a %s whose value is not shown" % kind in result["msg"]
    assert "tok-Very-Secret-42" not in str(result)
