# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Property tests of the argument checks: whatever a user types, a clear ValidationError or acceptance.

Any string for any option (unicode, spaces, slashes, dots, ``?#%``, control characters,
very long): the checks either accept it or raise ValidationError naming the option; they
never raise anything else, never repeat a secret, and report every bad option at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.reltio.platform.plugins.module_utils.databricks_connection import validate
from ansible_collections.reltio.platform.plugins.module_utils.errors import ValidationError

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Secrets carry a marker no message template holds, so finding one in a message means it was repeated.
SECRET_MARK = u"\u00a7\u00a7"
GOOD = {
    "platform_url": "https://test.reltio.com",
    "tenant_id": "ce5627DYnQ6abcD",
    "access_token": SECRET_MARK + "access-token",
    "reltio_client_id": None,
    "reltio_client_secret": None,
    "auth_url": "https://auth.reltio.com/oauth/token",
    "validate_certs": True,
    "ca_path": None,
    "timeout": 30.0,
    "retries": 3,
    "connection_name": "databricks-connection-01",
    "workspace_url": "https://adb-1234567890123456.7.azuredatabricks.net",
    "warehouse_id": "ab1c2d3ef5g6h7i8",
    "client_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "client_secret": SECRET_MARK + "client-secret",
    "update_secret": "on_create",
    "test_connection": False,
}
FUZZED = ("platform_url", "tenant_id", "auth_url", "connection_name", "workspace_url", "warehouse_id", "client_id")

# Pieces users paste: slashes, dots, query and fragment marks, percent escapes, spaces, controls, unicode.
PIECES = ["/", "//", ".", "..", "?", "#", "%", "%2F", "%2e", "@", ":", " ", "\t", "\n", "\x00", "\x7f", "\u2028",
          "\u00e9", "\u540d", "\ufeff", "\\", "[", "]", "::1", "localhost", "127.0.0.1", "example.com", "{{ x }}"]
SCHEMES = ["https://", "http://", "HTTPS://", "ftp://", "//", "https:/", "https:", ""]


def piecewise():
    return st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=12).map("".join)


def any_text():
    """Any string, weighted towards the ones that break parsers."""
    return st.one_of(
        st.text(),
        piecewise(),
        st.builds(lambda scheme, rest: scheme + rest, st.sampled_from(SCHEMES), piecewise()),
        st.text(min_size=1, max_size=3).map(lambda text: text * 2000),
    )


def checked(params):
    """None when ``validate`` accepts, else the ValidationError's message; any other exception fails the test."""
    try:
        validate(params)
    except ValidationError as exc:
        assert isinstance(exc.msg, str) and exc.msg.startswith("Invalid arguments: ")
        return exc.msg
    return None


def test_the_good_arguments_pass():
    assert checked(dict(GOOD)) is None


@PROPERTY
@given(option=st.sampled_from(FUZZED), value=any_text())
@example(option="connection_name", value="..")
@example(option="connection_name", value="a\x00b")
@example(option="workspace_url", value="https://[::1")
@example(option="workspace_url", value="https://host:99999999")
@example(option="platform_url", value="https://\uff03@evil.com")
@example(option="tenant_id", value="   ")
def test_one_bad_option_is_accepted_or_named(option, value):
    message = checked(dict(GOOD, **{option: value}))
    if message is not None:
        assert option in message
        assert SECRET_MARK not in message


@PROPERTY
@given(values=st.fixed_dictionaries(dict((option, any_text()) for option in FUZZED)))
def test_every_bad_option_is_named_at_once(values):
    alone = dict((option, checked(dict(GOOD, **{option: value}))) for option, value in values.items())
    message = checked(dict(GOOD, **values))
    rejected = [option for option, problem in alone.items() if problem is not None]
    assert (message is None) == (not rejected)
    for option in rejected:
        # Each problem, word for word, in the message about all of them.
        assert alone[option][len("Invalid arguments: "):-1] in message


@PROPERTY
@given(secret=st.text(min_size=1).map(lambda text: SECRET_MARK + text), option=st.sampled_from(FUZZED), value=any_text())
def test_secrets_are_never_repeated(secret, option, value):
    params = dict(GOOD, access_token=secret, client_secret=secret, reltio_client_id=secret, reltio_client_secret=secret)
    params[option] = value
    message = checked(params)
    assert message is None or SECRET_MARK not in message


@PROPERTY
@given(scheme=st.sampled_from([scheme for scheme in SCHEMES if "//" in scheme]), user=st.text(max_size=8),
       password=st.text(min_size=1).map(lambda text: SECRET_MARK + text), host=piecewise(),
       option=st.sampled_from(["platform_url", "auth_url", "workspace_url"]))
def test_a_password_in_a_url_is_never_shown(scheme, user, password, host, option):
    message = checked(dict(GOOD, **{option: "%s%s:%s@%s" % (scheme, user, password, host)}))
    assert message is not None and option in message
    assert SECRET_MARK not in message


@pytest.mark.parametrize("url", ["https:/admin:hunter2-pw@test.reltio.com", "admin:hunter2-pw@test.reltio.com"])
def test_a_password_in_a_url_without_two_slashes_is_not_shown(url):
    message = checked(dict(GOOD, platform_url=url))
    assert "platform_url" in message
    assert "hunter2-pw" not in message
