# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    AUTH_OPTIONS,
    databricks_connection_argument_spec,
    token_argument_spec,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError, ValidationError
from ansible_collections.reltio.platform.plugins.module_utils.http_api import MAX_TOKEN_LENGTH
from ansible_collections.reltio.platform.plugins.module_utils.validation import (
    MIN_SECRET_LENGTH,
    ArgumentCheck,
    blank,
    is_loopback,
    name_problem,
    shown_url,
    structured_value_error,
    url_problem,
)

PASSWORD = "pa55w0rd-XYZ"
HTTPS_RULE = "must be an absolute https URL with a host, such as https://example.com"
LOOPBACK_RULE = "must use https (plain http is accepted only for a loopback address such as 127.0.0.1, or localhost)"
AUTH_MISSING = ("access_token is required, or reltio_client_id and reltio_client_secret: set them"
                " or the RELTIO_ACCESS_TOKEN, RELTIO_CLIENT_ID and RELTIO_CLIENT_SECRET environment variables")


def problems_of(params, *steps):
    """The problems an ArgumentCheck finds by calling ``steps``: (method name, args...) tuples."""
    check = ArgumentCheck(params)
    for step in steps:
        getattr(check, step[0])(*step[1:])
    return check.problems


# ---- blank -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", " ", "\t\n  \r"])
def test_blank(value):
    assert blank(value) is True


@pytest.mark.parametrize("value", ["x", " x ", 0, False, 0.0, []])
def test_not_blank(value):
    assert blank(value) is False


# ---- is_loopback -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.2", "127.255.255.254", "::1"])
def test_is_loopback(host):
    assert is_loopback(host) is True


@pytest.mark.parametrize("host", ["api.localhost", "a.b.LocalHost", "localhost.example.com", "notlocalhost", "mylocalhost", "10.0.0.1", "0.0.0.0",
                                  "::", "192.168.1.1", "test.reltio.com", "128.0.0.1", "fe80::1", ""])
def test_is_not_loopback(host):
    assert is_loopback(host) is False


# ---- shown_url -------------------------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("https://user:%s@test.reltio.com/x" % PASSWORD, "https://***@test.reltio.com/x"),
    ("https://user@test.reltio.com", "https://***@test.reltio.com"),
    ("https://us@er:p@ss@test.reltio.com:8443/", "https://***@test.reltio.com:8443/"),
    # An '@' after the host cannot be told from one inside a password: rather hide too much than too little.
    ("https://test.reltio.com/path@x?mail=a@b#c@d", "https://***@d"),
    ("https://test.reltio.com", "https://test.reltio.com"),
])
def test_shown_url(url, expected):
    assert shown_url(url) == expected


# ---- url_problem -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://test.reltio.com",
    "https://test.reltio.com:8443/reltio/api/",
    "HTTPS://Test.Reltio.com",
    "https://[2001:db8::1]:443/x",
    "http://127.0.0.1:8080",
    "http://localhost",
    "http://LocalHost:8080/reltio",
    "http://[::1]:8080",
])
def test_url_problem_accepts(url):
    assert url_problem(url, True) is None


@pytest.mark.parametrize("url, expected", [
    ("https://test .reltio.com", "must not contain spaces or control characters"),
    (" https://test.reltio.com", "must not contain spaces or control characters"),
    ("https://test.reltio.com\n", "must not contain spaces or control characters"),
    ("https://test.reltio.com/\x00", "must not contain spaces or control characters"),
    ("https://test.reltio.com/\x7f", "must not contain spaces or control characters"),
    ("https://test.reltio.com/\u00a0", "must not contain spaces or control characters"),
    ("https://test.reltio.com:99999", "is not a valid URL (Port out of range 0-65535)"),
    ("https://[::1", "is not a valid URL (Invalid IPv6 URL)"),
    ("ftp://test.reltio.com", HTTPS_RULE),
    ("test.reltio.com", HTTPS_RULE),
    ("//test.reltio.com", HTTPS_RULE),
    ("https://", HTTPS_RULE),
    ("https:///reltio/api", HTTPS_RULE),
    ("http://test.reltio.com", LOOPBACK_RULE),
    ("http://10.0.0.1:8080", LOOPBACK_RULE),
    ("http://localhost.example.com", LOOPBACK_RULE),
    # Most resolvers send a name under .localhost to DNS, which may answer any address.
    ("http://api.localhost:9000/reltio", LOOPBACK_RULE),
    ("http://a.b.LocalHost", LOOPBACK_RULE),
    ("https://user:%s@test.reltio.com" % PASSWORD, "must not contain a user name or password"),
    ("https://user@test.reltio.com", "must not contain a user name or password"),
    ("http://user:%s@127.0.0.1:8080" % PASSWORD, "must not contain a user name or password"),
])
def test_url_problem(url, expected):
    assert url_problem(url, True) == expected


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://test.reltio.com"])
def test_url_problem_without_loopback_exception(url):
    assert url_problem(url, False) == "must use https"


def test_url_problem_without_loopback_exception_accepts_https():
    assert url_problem("https://localhost", False) is None


# ---- name_problem ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["tenant01", "conn.01", "a..b", ".hidden", "with space", "é/ü?#", "..a"])
def test_name_problem_accepts(value):
    assert name_problem(value) is None


@pytest.mark.parametrize("value, expected", [
    (".", "must not be made of dots only"),
    ("..", "must not be made of dots only"),
    ("....", "must not be made of dots only"),
    ("a\nb", "must not contain control characters"),
    ("a\x00", "must not contain control characters"),
    ("\x7f", "must not contain control characters"),
    ("..\t", "must not contain control characters"),
])
def test_name_problem(value, expected):
    assert name_problem(value) == expected


# ---- ArgumentCheck.require -------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   "])
def test_require_names_the_environment_variable(value):
    check = ArgumentCheck({"tenant_id": value})
    assert check.require("tenant_id") is False
    assert check.problems == ["tenant_id is required and must not be blank: set it or the RELTIO_TENANT_ID environment variable"]


def test_require_missing_key():
    check = ArgumentCheck({})
    assert check.require("platform_url") is False
    assert check.problems == [
        "platform_url is required and must not be blank: set it or the RELTIO_PLATFORM_URL environment variable"]


@pytest.mark.parametrize("option, variable", [
    ("workspace_url", "DATABRICKS_HOST"),
    ("warehouse_id", "DATABRICKS_WAREHOUSE_ID"),
    ("client_id", "DATABRICKS_CLIENT_ID"),
    ("client_secret", "DATABRICKS_CLIENT_SECRET"),
    ("auth_url", "RELTIO_AUTH_URL"),
])
def test_require_hint_of_every_table(option, variable):
    assert problems_of({}, ("require", option)) == [
        "%s is required and must not be blank: set it or the %s environment variable" % (option, variable)]


def test_require_without_environment_variable_has_no_hint():
    assert problems_of({}, ("require", "connection_name")) == ["connection_name is required and must not be blank: set it"]


def test_require_with_why():
    assert problems_of({}, ("require", "reltio_client_id", " to fetch a token")) == [
        "reltio_client_id is required to fetch a token and must not be blank: set it or the RELTIO_CLIENT_ID environment variable"]


def test_require_present_value():
    check = ArgumentCheck({"tenant_id": "t"})
    assert check.require("tenant_id") is True
    assert check.problems == []


# ---- ArgumentCheck.url, name, tenant ---------------------------------------------------------


def test_url_missing_gives_only_the_require_problem():
    assert problems_of({"platform_url": " "}, ("url", "platform_url")) == [
        "platform_url is required and must not be blank: set it or the RELTIO_PLATFORM_URL environment variable"]


def test_url_problem_shows_the_value():
    assert problems_of({"platform_url": "ftp://x.example.com"}, ("url", "platform_url")) == [
        "platform_url %s, got 'ftp://x.example.com'" % HTTPS_RULE]


def test_url_loopback_http_allowed_by_default():
    assert problems_of({"platform_url": "http://127.0.0.1:8080"}, ("url", "platform_url")) == []


def test_url_loopback_http_refused_when_not_allowed():
    assert problems_of({"workspace_url": "http://127.0.0.1:8080"}, ("url", "workspace_url", False)) == [
        "workspace_url must use https, got 'http://127.0.0.1:8080'"]


@pytest.mark.parametrize("url", [
    "https://admin:%s@test.reltio.com/reltio" % PASSWORD,
    "http://admin:%s@127.0.0.1:8080" % PASSWORD,
    "https://admin:%s@test.reltio.com/ with space" % PASSWORD,
])
def test_url_problem_hides_the_password(url):
    problems = problems_of({"platform_url": url}, ("url", "platform_url"))
    assert len(problems) == 1
    assert PASSWORD not in problems[0]
    assert "admin" not in problems[0]
    assert "//***@" in problems[0]


@pytest.mark.parametrize("char", ["#", "/", "?"])
def test_url_problem_hides_a_password_with_a_delimiter(char):
    password = "pa%sss-Secret" % char
    problems = problems_of({"platform_url": "https://admin:%s@test.reltio.com" % password}, ("url", "platform_url"))
    assert len(problems) == 1
    assert "ss-Secret" not in problems[0]
    assert "'pa'" not in problems[0]


def test_name_problems():
    assert problems_of({"tenant_id": "..", "connection_name": "a\x01"}, ("name", "tenant_id"), ("name", "connection_name")) == [
        "tenant_id must not be made of dots only",
        "connection_name must not contain control characters",
    ]


def test_name_missing_gives_only_the_require_problem():
    assert problems_of({"tenant_id": None}, ("name", "tenant_id")) == [
        "tenant_id is required and must not be blank: set it or the RELTIO_TENANT_ID environment variable"]


def test_tenant_checks_both():
    assert problems_of({"platform_url": "http://test.reltio.com", "tenant_id": "."}, ("tenant",)) == [
        "platform_url %s, got 'http://test.reltio.com'" % LOOPBACK_RULE,
        "tenant_id must not be made of dots only",
    ]
    assert problems_of({"platform_url": "https://test.reltio.com", "tenant_id": "t1"}, ("tenant",)) == []


# ---- ArgumentCheck.auth ----------------------------------------------------------------------

AUTH_URL = "https://auth.reltio.com/oauth/token"


@pytest.mark.parametrize("params", [
    {"access_token": "token-0123"},
    {"access_token": "token-0123", "reltio_client_id": "client-id-1"},
    {"reltio_client_id": "client-id-1", "reltio_client_secret": "secret-01"},
    {"access_token": " ", "reltio_client_id": "client-id-1", "reltio_client_secret": "secret-01"},
])
def test_auth_accepts(params):
    assert problems_of(dict(params, auth_url=AUTH_URL), ("auth",)) == []


@pytest.mark.parametrize("params, expected", [
    ({}, AUTH_MISSING),
    ({"access_token": "  ", "reltio_client_id": "", "reltio_client_secret": None}, AUTH_MISSING),
    ({"reltio_client_secret": "secret-01"},
     "reltio_client_id is required with reltio_client_secret: set it or the RELTIO_CLIENT_ID environment variable"),
    ({"reltio_client_id": "client-id-1", "reltio_client_secret": " "},
     "reltio_client_secret is required with reltio_client_id: set it or the RELTIO_CLIENT_SECRET environment variable"),
])
def test_auth_problem(params, expected):
    assert problems_of(dict(params, auth_url=AUTH_URL), ("auth",)) == [expected]


@pytest.mark.parametrize("auth_url, expected", [
    ("http://auth.example.com/oauth/token", "auth_url %s, got 'http://auth.example.com/oauth/token'" % LOOPBACK_RULE),
    (None, "auth_url is required and must not be blank: set it or the RELTIO_AUTH_URL environment variable"),
])
def test_auth_url_checked_even_with_an_access_token(auth_url, expected):
    assert problems_of({"access_token": "token-0123", "auth_url": auth_url}, ("auth",)) == [expected]


def test_auth_url_and_credentials_both_reported():
    assert problems_of({"auth_url": "ftp://auth"}, ("auth",)) == ["auth_url %s, got 'ftp://auth'" % HTTPS_RULE, AUTH_MISSING]


def test_auth_accepts_loopback_http_auth_url():
    assert problems_of({"access_token": "token-0123", "auth_url": "http://127.0.0.1:8080/oauth/token"}, ("auth",)) == []


# ---- ArgumentCheck.client_credentials --------------------------------------------------------


def test_client_credentials_all_missing():
    assert problems_of({"access_token": "token-0123"}, ("client_credentials",)) == [
        "reltio_client_id is required to fetch a token and must not be blank: set it or the RELTIO_CLIENT_ID environment variable",
        "reltio_client_secret is required to fetch a token and must not be blank: set it"
        " or the RELTIO_CLIENT_SECRET environment variable",
        "auth_url is required and must not be blank: set it or the RELTIO_AUTH_URL environment variable",
    ]


def test_client_credentials_bad_auth_url():
    params = {"reltio_client_id": "client-id-1", "reltio_client_secret": "secret-01", "auth_url": "https://u:%s@auth.example.com" % PASSWORD}
    problems = problems_of(params, ("client_credentials",))
    assert problems == ["auth_url must not contain a user name or password, got 'https://***@auth.example.com'"]


def test_client_credentials_accepted():
    assert problems_of({"reltio_client_id": "client-id-1", "reltio_client_secret": "secret-01", "auth_url": AUTH_URL}, ("client_credentials",)) == []


# ---- ArgumentCheck.http ----------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {},
    {"timeout": None, "retries": None, "ca_path": None},
    {"timeout": 1, "retries": 0},
    {"timeout": 3600, "retries": 10},
    {"timeout": 2.5, "retries": 3},
    {"ca_path": ""},
])
def test_http_accepts(params):
    assert problems_of(params, ("http",)) == []


def test_the_bounds_are_those_of_the_option_table():
    assert AUTH_OPTIONS["timeout"]["bounds"] == (1, 3600)
    assert AUTH_OPTIONS["retries"]["bounds"] == (0, 10)


@pytest.mark.parametrize("params, expected", [
    ({"timeout": 0}, "timeout must be from 1 to 3600, got 0"),
    ({"timeout": 0.5}, "timeout must be from 1 to 3600, got 0.5"),
    ({"timeout": -1.5}, "timeout must be from 1 to 3600, got -1.5"),
    ({"timeout": 1e10}, "timeout must be from 1 to 3600, got 10000000000.0"),
    ({"timeout": 3600.5}, "timeout must be from 1 to 3600, got 3600.5"),
    ({"timeout": float("inf")}, "timeout must be from 1 to 3600, got inf"),
    ({"timeout": float("nan")}, "timeout must be from 1 to 3600, got nan"),
    ({"retries": -1}, "retries must be from 0 to 10, got -1"),
    ({"retries": 11}, "retries must be from 0 to 10, got 11"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path must be a readable PEM file, got '/nonexistent/ca.pem' which does not exist"),
])
def test_http_problem(params, expected):
    assert problems_of(params, ("http",)) == [expected]


def test_http_ca_path_file(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
    assert problems_of({"ca_path": str(ca_file)}, ("http",)) == []


def test_http_ca_path_directory(tmp_path):
    assert problems_of({"ca_path": str(tmp_path)}, ("http",)) == [
        "ca_path must be a readable PEM file, got '%s' which is a directory" % tmp_path]


def test_http_all_problems_at_once():
    assert len(problems_of({"timeout": 0, "retries": 99, "ca_path": "/nonexistent"}, ("http",))) == 3


@pytest.mark.parametrize("timeout", [float("nan"), float("inf")])
def test_http_refuses_timeout_that_is_not_finite(timeout):
    problems = problems_of({"timeout": timeout}, ("http",))
    assert len(problems) == 1
    assert problems[0].startswith("timeout must be from 1 to 3600, got ")


# ---- ArgumentCheck.done ----------------------------------------------------------------------


def test_done_without_problems():
    check = ArgumentCheck({"tenant_id": "t"})
    check.name("tenant_id")
    assert check.done() is None


def test_done_raises_one_error_with_every_problem():
    check = ArgumentCheck({"platform_url": "http://test.reltio.com", "timeout": 0})
    check.tenant()
    check.auth()
    check.http()
    with pytest.raises(ValidationError) as info:
        check.done()
    error = info.value
    assert isinstance(error, ReltioError)
    assert error.msg == str(error) == (
        "Invalid arguments: platform_url %s, got 'http://test.reltio.com'; "
        "tenant_id is required and must not be blank: set it or the RELTIO_TENANT_ID environment variable; "
        "auth_url is required and must not be blank: set it or the RELTIO_AUTH_URL environment variable; "
        "%s; timeout must be from 1 to 3600, got 0." % (LOOPBACK_RULE, AUTH_MISSING))
    assert error.fail_kwargs() == {"msg": error.msg, "reason_code": "bad_arguments"}


def test_params_not_changed():
    params = {"platform_url": " https://x ", "tenant_id": "..", "timeout": 0}
    before = dict(params)
    check = ArgumentCheck(params)
    check.tenant()
    check.http()
    assert params == before
    assert check.params is params


# ---- short secrets ---------------------------------------------------------------------------

SHORT_RULE = ("is shorter than 8 characters: Ansible hides every occurrence of a secret's value in every message, so a"
              " short one would hide ordinary letters and words (set the real secret)")


@pytest.mark.parametrize("name, steps", [("access_token", ("auth",)), ("reltio_client_id", ("auth",)),
                                         ("reltio_client_secret", ("auth",)), ("reltio_client_id", ("client_credentials",)),
                                         ("reltio_client_secret", ("client_credentials",)),
                                         ("client_secret", ("databricks_credentials",))])
def test_a_secret_shorter_than_8_characters_is_refused(name, steps):
    """Issue 20: RELTIO_ACCESS_TOKEN=t made ansible-core star out every t of every message."""
    params = {"access_token": "token-0123", "reltio_client_id": "client-id-1", "reltio_client_secret": "secret-01",
              "client_id": "dbx-client", "client_secret": "dbx-secret", "auth_url": AUTH_URL}
    assert problems_of(dict(params, **{name: "s" * (MIN_SECRET_LENGTH - 1)}), steps) == ["%s %s" % (name, SHORT_RULE)]
    assert problems_of(dict(params, **{name: "s" * MIN_SECRET_LENGTH}), steps) == []


def test_a_short_databricks_client_id_is_no_secret():
    """The Databricks client id is shown in results and diffs: ansible-core does not hide it, so any length goes."""
    assert problems_of({"client_id": "ab", "client_secret": "dbx-secret"}, ("databricks_credentials",)) == []


# ---- HTTP Basic for the preflight ------------------------------------------------------------

BASIC_RULE = "holds characters that HTTP Basic authentication cannot carry (only Latin-1 can), and the preflight sends it so"


@pytest.mark.parametrize("name", ["client_id", "client_secret"])
def test_databricks_credentials_basic_auth_cannot_carry_fail_naming_the_option_only(name):
    params = {"client_id": "dbx-client", "client_secret": "dbx-secret", "preflight": True}
    params[name] = "dbx-\u20ac-\u540d-value"
    problems = problems_of(params, ("databricks_credentials",))
    assert problems == ["%s %s" % (name, BASIC_RULE)]
    # Neither the character nor where it is in the secret.
    assert not any(char in problems[0] for char in "\u20ac\u540d") and "position" not in problems[0]
    assert problems_of(dict(params, preflight=False), ("databricks_credentials",)) == []
    assert problems_of(dict(params, **{name: "dbx-\u00e9t\u00e9-value"}), ("databricks_credentials",)) == []


# ---- a list or a dict in a text option -------------------------------------------------------


@pytest.mark.parametrize("name", ["client_secret", "client_id", "access_token", "reltio_client_id", "reltio_client_secret"])
@pytest.mark.parametrize("value, kind", [(["v4lue-one-1", "v4lue-two-2"], "list"), (("v4lue-one-1",), "list"),
                                         ({"secret": "v4lue-one-1"}, "dictionary"), ({}, "dictionary")])
def test_a_list_or_dict_in_a_credential_is_refused_naming_the_type_not_the_value(name, value, kind):
    error = structured_value_error(databricks_connection_argument_spec(), {name: value, "tenant_id": "t1", "timeout": 5})
    assert error.problems == ["%s must be a string, got a %s whose value is not shown (a lookup that returns several"
                              " values, such as hashi_vault without its ':key', must name the one to use)" % (name, kind)]
    assert "v4lue" not in error.msg and "secret" not in error.msg.replace("client_secret", "")


def test_a_list_in_any_text_option_or_alias_is_refused_and_every_one_is_named():
    error = structured_value_error(databricks_connection_argument_spec(),
                                   {"name": ["a", "b"], "ca_path": {"p": 1}, "tenant_id": ["t"], "retries": [1]})
    # retries is a number: ansible-core's own check names it.
    assert [problem.split(" (")[0] for problem in error.problems] == [
        "ca_path must be a string, got a dictionary whose value is not shown",
        "name must be a string, got a list whose value is not shown",
        "tenant_id must be a string, got a list whose value is not shown"]


@pytest.mark.parametrize("args", [{}, {"client_id": 12345678, "client_secret": None, "tenant_id": "t1", "timeout": 5,
                                       "validate_certs": False}])
def test_scalars_are_left_to_the_argument_spec(args):
    assert structured_value_error(databricks_connection_argument_spec(), args) is None
    assert structured_value_error(token_argument_spec(), args) is None


@pytest.mark.parametrize("name, steps", [("access_token", ("auth",)), ("reltio_client_secret", ("client_credentials",)),
                                         ("client_secret", ("databricks_credentials",))])
def test_a_secret_longer_than_a_token_can_be_is_refused_unshown(name, steps):
    """Issue 18: masking a 1 MB token cost seconds on every later string."""
    params = {"access_token": "token-0123", "reltio_client_id": "client-id-1", "reltio_client_secret": "secret-01",
              "client_id": "dbx-client", "client_secret": "dbx-secret", "auth_url": AUTH_URL}
    assert problems_of(dict(params, **{name: "L" * MAX_TOKEN_LENGTH}), steps) == []
    assert problems_of(dict(params, **{name: "L" * (MAX_TOKEN_LENGTH + 1)}), steps) == [
        "%s is longer than 16384 characters (real Reltio and Databricks secrets and tokens are under 4 KiB); its value is"
        " not shown" % name]
