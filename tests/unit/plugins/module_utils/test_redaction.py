# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
from urllib.parse import quote, quote_plus, urlencode

import pytest

from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK, Redactor

SECRET = 'p@ss/w"rd\\ é+&=%?'


def _is_clean(text, secret=SECRET):
    spellings = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
                 quote(secret, safe=""), quote_plus(secret, safe="")}
    return not any(spelling in text for spelling in spellings)


def test_raw_secret():
    redact = Redactor([SECRET])
    assert redact("before %s after" % SECRET) == "before %s after" % MASK


def test_json_escaped_secret():
    redact = Redactor([SECRET])
    text = json.dumps({"errorMessage": "bad secret %s" % SECRET})
    out = redact(text)
    assert MASK in out
    assert _is_clean(out)
    text = json.dumps({"errorMessage": SECRET}, ensure_ascii=False)
    assert _is_clean(redact(text))


@pytest.mark.parametrize("encode", [lambda s: quote(s, safe=""), lambda s: quote_plus(s, safe=""),
                                    lambda s: urlencode({"client_secret": s})])
def test_url_encoded_secret(encode):
    redact = Redactor([SECRET])
    out = redact("url?%s#" % encode(SECRET))
    assert MASK in out
    assert _is_clean(out)


def test_basic_auth_header_value():
    redact = Redactor(["id"])
    redact.add_basic_auth("the-client", "the-secret")
    token = base64.b64encode(b"the-client:the-secret").decode("ascii")
    assert redact("Authorization: Basic %s" % token) == "Authorization: Basic %s" % MASK


def test_basic_auth_needs_both_parts():
    redact = Redactor()
    redact.add_basic_auth("user", None)
    redact.add_basic_auth(None, "pw")
    token = base64.b64encode(b"user:").decode("ascii")
    assert redact(token) == token


def test_nested_structures_are_walked():
    redact = Redactor(["s3cr3t"])
    value = {"a": ["x s3cr3t", {"b": ("s3cr3t",)}], "n": 5, "none": None, "t": True}
    out = redact(value)
    assert list(out["a"][1]["b"]) == [MASK]
    out["a"][1]["b"] = "checked"
    assert out == {"a": ["x " + MASK, {"b": "checked"}], "n": 5, "none": None, "t": True}
    # The input is not changed in place.
    assert value["a"][0] == "x s3cr3t"


def test_dict_keys_are_kept():
    redact = Redactor(["key"])
    assert redact({"key": "key"}) == {"key": MASK}


def test_longest_first():
    redact = Redactor(["abc", "abcdef"])
    assert redact("xx abcdef yy abc") == "xx %s yy %s" % (MASK, MASK)
    assert "def" not in redact("abcdef")


@pytest.mark.parametrize("value", [None, 1, 2.5, True, b"s3cr3t"])
def test_non_str_untouched(value):
    assert Redactor(["s3cr3t"])(value) is value


def test_no_secrets_returns_value():
    redact = Redactor([None, ""])
    assert redact("anything") == "anything"


@pytest.mark.parametrize("secret", ["a.b*c+d?e[f]g(h)|i^$", "{{ lookup('env', 'HOME') }}", "{% raw %}", "\\d+"])
def test_metacharacters_and_jinja(secret):
    redact = Redactor([secret])
    out = redact("<%s> and %s" % (secret, json.dumps(secret)))
    assert secret not in out
    assert out.startswith("<%s>" % MASK)
    # A regex reading of the secret would have matched this; a plain replace does not.
    if secret == "\\d+":
        assert redact("123") == "123"


def test_add_after_construction_and_empty_add():
    redact = Redactor()
    redact.add("")
    redact.add(None)
    assert redact("abc") == "abc"
    redact.add("abc")
    assert redact("abc") == MASK


def test_every_occurrence():
    assert Redactor(["tok"])("tok tok tok") == " ".join([MASK] * 3)
