# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest.mock import Mock

import pytest

from ansible_collections.reltio.platform.plugins.module_utils import access_token
from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache
from ansible_collections.reltio.platform.plugins.module_utils.errors import AuthenticationError, ValidationError

from ..fakes import params_with

CLIENT_ID = "reltio-client-id"
CLIENT_SECRET = "reltio-very-secret"
TOKEN = {"access_token": "tok-fetched-1", "expires_in": 3600, "token_type": "bearer"}


def params(**overrides):
    return params_with({
        "access_token": None,
        "reltio_client_id": CLIENT_ID,
        "reltio_client_secret": CLIENT_SECRET,
        "execution": "auto",
        "platform_url": None,
        "tenant_id": None,
    }, overrides)


def problem(**overrides):
    with pytest.raises(ValidationError) as info:
        access_token.validate(params(**overrides))
    return info.value.msg


@pytest.fixture(name="client")
def client_fixture():
    client = Mock(spec=ReltioClient)
    client.fetch_token.return_value = dict(TOKEN)
    return client


# ---- validate --------------------------------------------------------------------------------


def test_validate_accepts_client_credentials():
    assert access_token.validate(params()) is None


def test_validate_needs_no_tenant():
    assert access_token.validate(params(platform_url=None, tenant_id=None)) is None


@pytest.mark.parametrize("option, variable", [("reltio_client_id", "RELTIO_CLIENT_ID"),
                                              ("reltio_client_secret", "RELTIO_CLIENT_SECRET")])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_validate_requires_client_credentials(option, variable, value):
    assert problem(**{option: value}) == (
        "Invalid arguments: %s is required to fetch a token and must not be blank: set it or the %s environment variable."
        % (option, variable))


def test_validate_access_token_does_not_replace_client_credentials():
    msg = problem(access_token="tok-given", reltio_client_id=None, reltio_client_secret=None)
    assert "reltio_client_id is required to fetch a token" in msg
    assert "reltio_client_secret is required to fetch a token" in msg


@pytest.mark.parametrize("auth_url, expected", [
    ("http://auth.example.com/oauth/token", "auth_url must use https (plain http is accepted only for a loopback address"),
    ("ftp://auth.example.com", "auth_url must be an absolute https URL"),
    (None, "auth_url is required and must not be blank: set it or the RELTIO_AUTH_URL environment variable"),
])
def test_validate_auth_url(auth_url, expected):
    assert expected in problem(auth_url=auth_url)


def test_validate_auth_url_loopback_http():
    assert access_token.validate(params(auth_url="http://127.0.0.1:8080/oauth/token")) is None


def test_validate_http_options():
    msg = problem(timeout=0, retries=11)
    assert "timeout must be from 1 to 3600, got 0" in msg
    assert "retries must be from 0 to 10, got 11" in msg


def test_validate_reports_every_problem_and_no_secret():
    msg = problem(reltio_client_id=None, auth_url="https://u:%s@auth.example.com" % CLIENT_SECRET, retries=-1)
    assert msg.count(";") == 2
    assert CLIENT_SECRET not in msg


# ---- run -------------------------------------------------------------------------------------


def test_run_returns_the_token(client):
    result = access_token.run(params(), client)
    client.fetch_token.assert_called_once_with()
    assert result == {
        "changed": False,
        "access_token": "tok-fetched-1",
        "expires_in": 3600,
        "token_type": "bearer",
        "msg": "Fetched a Reltio access token valid for 3600 seconds.",
    }


def test_run_fetches_in_check_mode(client):
    result = access_token.run(params(), client, check_mode=True, diff=True)
    client.fetch_token.assert_called_once_with()
    assert result["changed"] is False
    assert result["access_token"] == "tok-fetched-1"
    assert "diff" not in result


def test_run_without_expires_in(client):
    client.fetch_token.return_value = {"access_token": "tok-2", "expires_in": None, "token_type": None}
    result = access_token.run(params(), client)
    assert result["expires_in"] is None
    assert result["token_type"] is None
    assert result["msg"] == "Fetched a Reltio access token valid for an unknown number of seconds."


def test_run_warns_when_validate_certs_is_false(client):
    warn = Mock()
    access_token.run(params(validate_certs=False), client, warn=warn)
    warn.assert_called_once_with("validate_certs is false: the TLS certificates of Reltio are not checked.")


def test_run_does_not_warn_when_validate_certs_is_true(client):
    warn = Mock()
    access_token.run(params(), client, warn=warn)
    warn.assert_not_called()


def test_run_without_warn_callback(client):
    assert access_token.run(params(validate_certs=False), client)["access_token"] == "tok-fetched-1"


def test_run_lets_reltio_errors_through(client):
    client.fetch_token.side_effect = AuthenticationError("refused", status=401)
    with pytest.raises(AuthenticationError):
        access_token.run(params(), client)


# ---- execute ---------------------------------------------------------------------------------


@pytest.fixture(name="client_class")
def client_class_fixture(monkeypatch, client):
    """client_cache.reltio_client, as access_token.py imported it: builds the task's client."""
    reltio_client = Mock(return_value=client)
    monkeypatch.setattr(access_token, "reltio_client", reltio_client)
    return reltio_client


@pytest.mark.parametrize("cache", [None, ClientCache()])
def test_execute_builds_the_client(client_class, client, cache):
    task = params()
    warn = Mock()
    result = access_token.execute(task, check_mode=True, diff=False, warn=warn, cache=cache)
    client_class.assert_called_once_with(task, cache)
    client.fetch_token.assert_called_once_with()
    assert result["access_token"] == "tok-fetched-1"


def test_execute_keeps_nothing_by_default(client_class):
    access_token.execute(params())
    client_class.assert_called_once_with(params(), None)


def test_execute_passes_warn(client_class):  # pylint: disable=unused-argument
    warn = Mock()
    access_token.execute(params(validate_certs=False), warn=warn)
    warn.assert_called_once_with("validate_certs is false: the TLS certificates of Reltio are not checked.")


def test_execute_validates_before_building_a_client(client_class):
    with pytest.raises(ValidationError):
        access_token.execute(params(reltio_client_secret=None))
    client_class.assert_not_called()
