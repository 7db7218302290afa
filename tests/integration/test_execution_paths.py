# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller path (action plugin, in process) and the target path (module) behave alike.

The whole integration suite already runs on both paths (the ``execution`` fixture); these tests
check what differs by design: where the code runs and what a loop costs.
"""

from __future__ import annotations

import json

import pytest

from reltio_world import DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET, RELTIO_TOKEN, WAREHOUSE_ID, WORKSPACE_URL

MODULE = "reltio.platform.reltio_databricks_connection"


def databricks_env(ansible, tenant, auth="token"):
    env = ansible.reltio_env(tenant, auth=auth)
    env.update(ansible.databricks_env())
    return env


def test_controller_path_sends_no_module_and_the_result_names_the_options_taken_from_the_environment(
        ansible, emulator, tenant):
    """One ad-hoc run per path: the module travels (AnsiballZ) only on the target path, and the result, printed at -v
    and above, names the options taken from the environment (never their values)."""
    run = ansible.adhoc("connection_name=x warehouse_id=%s" % WAREHOUSE_ID, "-vvv", env=databricks_env(ansible, tenant))
    assert run.rc == 0, run.output
    if ansible.execution == "controller":
        assert "AnsiballZ" not in run.output
    else:
        assert "AnsiballZ_reltio_databricks_connection.py" in run.output
    assert "x" in emulator.connections(tenant)
    names = ["access_token", "client_id", "client_secret", "execution", "platform_url", "tenant_id", "workspace_url"]
    assert run.task()["from_environment"] == names
    printed = run.output[run.output.index('"from_environment": ['):]
    printed = printed[:printed.index("]")]
    assert [name for name in names if '"%s"' % name in printed] == names and '"warehouse_id"' not in printed, printed


def test_loop_with_client_credentials_from_the_task_environment_keyword(ansible, emulator, tenant):
    """The task's ``environment`` keyword feeds the options' fallbacks (the process has no RELTIO_ or DATABRICKS_
    variable), and in process one token serves the whole loop while each module process fetches its own."""
    # Two items are the least that tell one token for the loop from one token per item.
    names = ["loop-%d" % number for number in range(2)]
    play = [{
        "name": "loop", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "create", MODULE: {"connection_name": "{{ item }}"}, "loop": names,
                   "environment": databricks_env(ansible, tenant, auth="client")}],
    }]
    run = ansible.playbook(json.dumps(play))
    assert run.rc == 0, run.output
    assert sorted(emulator.connections(tenant)) == names
    stored = emulator.connections(tenant)[names[0]]
    assert stored["workspaceUrl"] == WORKSPACE_URL and stored["clientId"] == DATABRICKS_CLIENT_ID
    tokens = len(emulator.requests("token"))
    # In process, one token serves the whole loop; each module process fetches its own.
    assert tokens == (1 if ansible.execution == "controller" else len(names))
    assert len(emulator.requests("create")) == len(names)


# The task names its execution (auto): the run is the same whichever path the fixture would choose, so it runs once.
@pytest.mark.parametrize("execution", ["controller"], indirect=True)
def test_delegate_to_localhost_runs_on_the_controller(ansible, emulator, tenant):
    """A tenant host that cannot be reached: delegated to localhost, the task never connects to it."""
    inventory = ansible.workdir / "inventory.ini"
    inventory.write_text("[reltio_tenants]\nunreachable-bastion ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh\n")
    play = [{
        "name": "delegated", "hosts": "reltio_tenants", "gather_facts": False,
        "tasks": [{"name": "create", "delegate_to": "localhost",
                   MODULE: {"connection_name": "delegated", "execution": "auto"}}],
    }]
    path = ansible.workdir / "delegated.yml"
    path.write_text(json.dumps(play))
    env = databricks_env(ansible, tenant)
    env["ANSIBLE_PYTHON_INTERPRETER"] = "auto_silent"
    run = ansible.run(["ansible-playbook", "-i", str(inventory), str(path)], env=env)
    assert run.rc == 0, run.output
    assert "delegated" in emulator.connections(tenant)


@pytest.mark.smoke
def test_every_secret_as_task_argument_stays_hidden_at_vvvv(ansible, emulator, tenant):
    args = {"platform_url": emulator.url, "tenant_id": tenant, "access_token": RELTIO_TOKEN, "connection_name": "vvvv",
            "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID, "client_id": DATABRICKS_CLIENT_ID,
            "client_secret": DATABRICKS_CLIENT_SECRET, "update_secret": "always", "test_connection": True}
    play = [{"name": "vvvv", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "create", MODULE: args}, {"name": "again", MODULE: args}]}]
    run = ansible.playbook(json.dumps(play), "-vvvv", "--diff")
    assert run.rc == 0, run.output
    assert run.recap()["changed"] == 2
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output or "********" in run.output
    # The ``ansible`` fixture fails the test if any of the secrets above was printed.
