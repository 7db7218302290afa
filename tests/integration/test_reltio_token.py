# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""reltio.platform.reltio_token: one token per play, handed on through module_defaults."""

from __future__ import annotations

import json

import pytest

from reltio_world import RELTIO_CLIENT_SECRET


def token_play(ansible, tenant, connection_tasks, pause=0, after=()):
    """Fetch a token, then run ``connection_tasks`` with it, then the tasks ``after`` (outside the token's defaults).

    The leak scan knows every token the emulator issued (the ``ansible`` fixture asks it after each run)."""
    tasks = [{"name": "token", "reltio.platform.reltio_token": {}, "register": "reltio"}]
    if pause:
        tasks.append({"name": "let the token expire", "ansible.builtin.pause": {"seconds": pause}})
    tasks.append({
        "name": "connections",
        "module_defaults": {"group/reltio.platform.reltio": {
            "platform_url": ansible.emulator.url, "tenant_id": tenant, "access_token": "{{ reltio.access_token }}"}},
        "block": connection_tasks,
    })
    return json.dumps([{"name": "token", "hosts": "localhost", "gather_facts": False, "tasks": tasks + list(after)}])


def client_env(ansible, tenant):
    env = ansible.reltio_env(tenant, auth="client")
    env.update(ansible.databricks_env())
    return env


def test_one_token_for_the_whole_play(ansible, emulator, tenant):
    # Two loop items and another task: the token serves more than one item and more than one task.
    names = ["tok-%d" % number for number in range(2)]
    tasks = [{"name": "create", "reltio.platform.reltio_databricks_connection": {"connection_name": "{{ item }}"}, "loop": names},
             {"name": "again", "reltio.platform.reltio_databricks_connection": {"connection_name": names[0]}}]
    # The client credentials are in the environment of every task: the connection tasks use the token they are
    # given instead, so the token task's is the only token request.
    run = ansible.playbook(token_play(ansible, tenant, tasks), env=client_env(ansible, tenant))
    assert run.rc == 0, run.output
    assert sorted(emulator.connections(tenant)) == names
    assert len(emulator.requests("token")) == 1
    assert all(entry["status"] in (200, 400) for entry in emulator.requests("create"))
    shown = run.task(action="reltio_token")
    assert "censored" in shown and "access_token" not in shown
    assert run.recap()["changed"] == 1  # the loop (one task); token and "again" are ok


def test_token_that_expires_mid_play_is_fetched_again_once_and_missing_or_refused_client_credentials_fail_clearly(
        ansible, emulator, tenant):
    """One play, a tenant a case: after the token expired, a task without client credentials fails clearly, then one
    with them fetches a token again, once; last, a token task whose client secret Reltio refuses fails clearly."""
    emulator.configure(token_ttl=2)
    without = "%swithout" % tenant
    tasks = [{"name": "create without client credentials", "ignore_errors": True,
              "reltio.platform.reltio_databricks_connection": {
                  "connection_name": "late", "tenant_id": without, "reltio_client_id": "", "reltio_client_secret": ""}},
             {"name": "create", "reltio.platform.reltio_databricks_connection": {"connection_name": "late"}}]
    ansible.add_secret("wrong client secret", "wrong-secret")
    refused = [{"name": "refused client credentials", "reltio.platform.reltio_token": {}, "ignore_errors": True,
                "environment": {"RELTIO_CLIENT_SECRET": "wrong-secret"}}]
    run = ansible.playbook(token_play(ansible, tenant, tasks, pause=3, after=refused), env=client_env(ansible, tenant))
    assert run.rc == 0, run.output
    assert "refused the access token" in run.task("create without client credentials")["msg"]
    assert emulator.connections(without) == {}
    assert not run.task("create").get("failed") and "late" in emulator.connections(tenant)
    refusal = run.failed_messages()["refused client credentials"]
    assert "refused the client credentials" in refusal and "HTTP 401" in refusal, refusal
    assert [(entry["endpoint"], entry["tenant"], entry["status"]) for entry in emulator.requests()] == [
        ("token", None, 200), ("create", without, 401), ("create", tenant, 401), ("token", None, 200), ("create", tenant, 200),
        ("token", None, 401)]


def test_token_in_check_mode_and_ad_hoc(ansible, emulator, tenant):
    run = ansible.adhoc("", "--check", env=client_env(ansible, tenant), module="reltio.platform.reltio_token")
    assert run.rc == 0, run.output
    assert len(emulator.requests("token")) == 1
    assert "access_token" not in run.stdout


@pytest.mark.smoke
def test_a_looped_token_task_shows_no_token_with_any_callback(ansible, tenant):
    # ansible-core 2.16 printed a loop's combined result, every item's token in it, with the minimal and oneline
    # callbacks; the leak scan knows every token the emulator issued. The default callback shows each item, the
    # failed one with its message (minimal and oneline show only the combined result, hidden on 2.16). An item that
    # gets a token and one that is refused are the least that show both in one loop (each item is a module run on the
    # target); each callback is a run of its own, as a callback prints the whole run.
    env = client_env(ansible, tenant)
    play = json.dumps([{"name": "tokens", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "token", "reltio.platform.reltio_token": {"reltio_client_secret": "{{ item }}"}, "register": "reltio",
         "loop": [RELTIO_CLIENT_SECRET, "wrong-client-secret"], "ignore_errors": True},
        {"name": "the token registered", "ansible.builtin.assert": {"quiet": True, "that": [
            "reltio.results | map(attribute='access_token', default='') | select | list | length == 1"]}}]}])
    for callback in ("minimal", "oneline", "default"):
        run = ansible.playbook(play, env=dict(env, ANSIBLE_STDOUT_CALLBACK=callback))
        assert run.rc == 0, run.output
        if callback == "default":
            assert "refused the client credentials" in run.output, run.output
    assert ansible.leaks() == []
