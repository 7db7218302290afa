# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures shared by the unit tests of the plugins; the fakes they use are in fakes.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from types import SimpleNamespace

import pytest

from ansible.module_utils import basic
from ansible.plugins.action import ActionBase

from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils import client_cache, databricks_workspace
from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_OPTIONS, DATABRICKS_CONNECTION_OPTIONS
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.plugin_utils.reltio_action import ReltioAction

from .fakes import FakeSession, exit_json, fail_json


@pytest.fixture(name="clean_environment")
def clean_environment_fixture(monkeypatch):
    """No environment variable of any option, so that only what a test sets counts."""
    for table in (CONNECTION_OPTIONS, DATABRICKS_CONNECTION_OPTIONS):
        for option in table.values():
            if "env" in option:
                monkeypatch.delenv(option["env"], raising=False)


@pytest.fixture(name="action_isolation")
def action_isolation_fixture(monkeypatch, clean_environment):  # pylint: disable=unused-argument
    """A clean environment, an ActionBase.run that answers {} and a new ClientCache for the action plugins.

    Returns that cache: each test starts without the sessions and tokens of the others.
    """
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    cache = ClientCache()
    monkeypatch.setattr(ReltioAction, "CACHE", cache)
    return cache


@pytest.fixture(name="patched_exits")
def patched_exits_fixture(monkeypatch):
    """AnsibleModule.exit_json and fail_json raise ExitJson and FailJson (from fakes.py) with their kwargs."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


@pytest.fixture(name="http")
def http_fixture(monkeypatch):
    """Sessions made by a fake new_session: each records its own calls, all answer from one queue, ``http.answers``.

    client.py, databricks_workspace.py and client_cache.py call the ``new_session`` each imported from transport.py,
    so those are the names patched.
    ``http.retries`` holds the ``retries`` each session was made for.
    """
    http = SimpleNamespace(answers=[], sessions=[], retries=[])

    def new_session(retries):
        session = FakeSession()
        session.answers = http.answers
        http.sessions.append(session)
        http.retries.append(retries)
        return session

    for module in (client_module, client_cache, databricks_workspace):
        monkeypatch.setattr(module, "new_session", new_session)
    return http
