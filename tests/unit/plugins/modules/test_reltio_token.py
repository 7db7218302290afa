# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import Mock

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.reltio.platform.plugins.doc_fragments.token_auth import ModuleDocFragment
from ansible_collections.reltio.platform.plugins.module_utils import access_token
from ansible_collections.reltio.platform.plugins.module_utils import client as client_module
from ansible_collections.reltio.platform.plugins.module_utils.errors import AuthenticationError
from ansible_collections.reltio.platform.plugins.modules import reltio_token as module_under_test

from ..fakes import ExitJson, FailJson, FakeResponse, FakeSession, token_response

pytestmark = pytest.mark.usefixtures("clean_environment", "patched_exits")

AUTH_URL = "https://auth.example.com/oauth/token"
RELTIO_SECRET = "reltio-Secret/Module+99"
ARGS = {"reltio_client_id": "reltio-client-id", "reltio_client_secret": RELTIO_SECRET, "auth_url": AUTH_URL}


def run_main(args, expect=ExitJson):
    with patch_module_args(args):
        with pytest.raises(expect) as info:
            module_under_test.main()
    return info.value.args[0]


def serve(monkeypatch, *responses):
    session = FakeSession(*responses)
    monkeypatch.setattr(client_module, "new_session", lambda retries: session)
    return session


def test_wiring():
    assert module_under_test.execute is access_token.execute
    assert module_under_test.validate is access_token.validate


def test_main_runs_the_token_task(monkeypatch):
    execute = Mock(return_value={"changed": False, "access_token": "tok-1", "expires_in": 60, "token_type": "bearer",
                                 "msg": "Fetched."})
    monkeypatch.setattr(module_under_test, "execute", execute)
    result = run_main(ARGS)
    assert result["access_token"] == "tok-1"
    params = execute.call_args[0][0]
    assert (params["reltio_client_id"], params["reltio_client_secret"], params["auth_url"]) == (
        "reltio-client-id", RELTIO_SECRET, AUTH_URL)
    assert "cache" not in execute.call_args[1]


def test_fetches_a_token_through_the_real_client(monkeypatch):
    session = serve(monkeypatch, token_response("tok-module-1", expires_in=900))
    result = run_main(ARGS)
    assert result["access_token"] == "tok-module-1"
    assert result["expires_in"] == 900
    assert result["changed"] is False
    assert [call.url for call in session.calls] == [AUTH_URL]
    assert session.calls[0].kwargs["auth"] == ("reltio-client-id", RELTIO_SECRET)


def test_a_refusal_fails_without_the_secret(monkeypatch):
    serve(monkeypatch, FakeResponse(401, {"error": "invalid_client", "error_description": "bad %s" % RELTIO_SECRET}))
    result = run_main(ARGS, expect=FailJson)
    assert result["status"] == 401
    assert result["msg"].startswith("Reltio refused the client credentials")
    assert RELTIO_SECRET not in json.dumps(result)


def test_a_token_that_cannot_be_one_fails_unquoted(monkeypatch):
    serve(monkeypatch, token_response("ABC123-not-a-token\n"))
    result = run_main(ARGS, expect=FailJson)
    assert "cannot be a token" in result["msg"]
    assert "ABC123" not in json.dumps(result)


def test_errors_of_execute_fail_with_their_kwargs(monkeypatch):
    monkeypatch.setattr(module_under_test, "execute", Mock(side_effect=AuthenticationError("refused", status=403)))
    assert run_main(ARGS, expect=FailJson) == {"msg": "refused", "status": 403, "from_environment": [],
                                               "reason_code": "reltio_auth"}


def test_a_given_access_token_is_ignored_as_documented(monkeypatch):
    """The documentation says a given access_token is ignored and the client credentials are needed: so it is."""
    session = serve(monkeypatch, token_response("tok-module-2", expires_in=900))
    result = run_main(dict(ARGS, access_token="given-token-never-sent"))
    assert result["access_token"] == "tok-module-2"
    assert [call.url for call in session.calls] == [AUTH_URL]
    missing = run_main({"access_token": "given-token-never-sent", "auth_url": AUTH_URL}, expect=FailJson)
    assert "reltio_client_id is required" in missing["msg"] and "reltio_client_secret is required" in missing["msg"]
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert options["access_token"]["description"][0].startswith("Accepted and ignored")
    for name in ("reltio_client_id", "reltio_client_secret"):
        assert any(line.startswith("Required: ") for line in options[name]["description"]), name


def test_documentation_parses():
    doc = yaml.safe_load(module_under_test.DOCUMENTATION)
    assert doc["module"] == "reltio_token"
    assert "reltio.platform.token_auth" in doc["extends_documentation_fragment"]
    assert "notes" not in doc
    yaml.safe_load(module_under_test.EXAMPLES)
    returned = yaml.safe_load(module_under_test.RETURN)
    assert set(returned) >= {"access_token", "expires_in", "token_type", "msg"}
