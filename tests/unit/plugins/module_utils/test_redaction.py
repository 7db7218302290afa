# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import html
import json
import threading
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


# ---- spellings of other serialisers and character sets -----------------------------------------


GSON_SECRET = "XYZ/abc+def<ok>&'=="


def gson(text, case="%04x"):
    """``text`` as Gson writes it inside a JSON string: < > & = ' as \\u escapes."""
    for char in "<>&='":
        text = text.replace(char, "\\u" + case % ord(char))
    return text


def fragments(text, size=8):
    return set(text[start:start + size] for start in range(len(text) - size + 1))


def assert_no_fragment(text, *secrets):
    for secret in secrets:
        left = [fragment for fragment in fragments(secret) if fragment in text]
        assert not left, (left, text)


@pytest.mark.parametrize("case", ["%04x", "%04X"])
def test_gson_escapes_are_a_spelling(case):
    masked = Redactor([GSON_SECRET])("errorMessage: bad secret %s." % gson(GSON_SECRET, case))
    assert masked == "errorMessage: bad secret %s." % MASK


@pytest.mark.parametrize("charset", ["latin-1", "cp1252", "utf-16-le", "utf-16-be"])
def test_a_secret_written_in_another_charset_and_read_as_utf8_is_a_spelling(charset):
    secret = "Gr\u00fc\u00dfe-geheim-\u00c4\u00d6-1234"
    misread = secret.encode(charset).decode("utf-8", "replace")
    assert misread != secret
    assert Redactor([secret])("x %s y" % misread) == "x %s y" % MASK


HTML_SECRET = "a<b>&\"c'd/\u00e9=="


@pytest.mark.parametrize("spelling", [HTML_SECRET, json.dumps(HTML_SECRET)[1:-1], gson(json.dumps(HTML_SECRET)[1:-1]),
                                      HTML_SECRET.encode("utf-8").decode("latin-1")])
@pytest.mark.parametrize("escape", [lambda text: html.escape(text, quote=True), lambda text: html.escape(text, quote=False),
                                    lambda text: html.escape(text, quote=True).replace("&#x27;", "&#39;")])
def test_an_html_page_echoing_any_spelling_is_masked(spelling, escape):
    """A gateway's HTML error page writes each spelling (plain, JSON, Gson, misread) HTML-escaped, in any of three ways."""
    page = "<p>Bad request: %s</p>" % escape(spelling)
    assert Redactor([HTML_SECRET])(page) == "<p>Bad request: %s</p>" % MASK


# ---- Redactor.body -----------------------------------------------------------------------------------


def test_body_masks_a_gson_echo():
    raw = ('{"severity":"Error","errorMessage":"Invalid clientSecret %s","errorCode":400}' % gson(GSON_SECRET)).encode()
    text = Redactor([GSON_SECRET]).body(raw)
    assert json.loads(text) == {"severity": "Error", "errorMessage": "Invalid clientSecret %s" % MASK, "errorCode": 400}
    assert_no_fragment(text, GSON_SECRET, gson(GSON_SECRET))


def test_body_masks_any_json_escaping_of_a_secret():
    """Escapes no spelling list holds (\\/ and \\u0058 for plain characters) are decoded before masking."""
    escaped = "\\u0058YZ\\/abc\\u002bdef\\u003C\\u006fk>&'\\u003d="
    assert json.loads('"%s"' % escaped) == GSON_SECRET
    text = Redactor([GSON_SECRET]).body(('{"a": ["%s", {"b": "x%sy"}]}' % (escaped, escaped)).encode())
    assert json.loads(text) == {"a": [MASK, {"b": "x%sy" % MASK}]}


def test_body_masks_a_secret_in_a_json_key():
    text = Redactor([GSON_SECRET]).body(('{"%s": 1}' % gson(GSON_SECRET)).encode())
    assert json.loads(text) == {MASK: 1}


def test_body_masks_json_strings_inside_a_page_that_is_not_json():
    escaped = "\\u0058YZ\\/abc\\u002bdef\\u003C\\u006fk>&'\\u003d="
    page = ('<html><body><h1>502 Bad Gateway</h1><pre>upstream said {"clientSecret": "%s", "n": "keep \\"me\\""}'
            '</pre></body></html>' % escaped)
    text = Redactor([GSON_SECRET]).body(page.encode())
    assert text == ('<html><body><h1>502 Bad Gateway</h1><pre>upstream said {"clientSecret": "%s", "n": "keep \\"me\\""}'
                    '</pre></body></html>' % MASK)


def test_body_masks_a_cut_off_json_answer():
    raw = ('{"errorMessage": "bad %s", "detail": "and then the gatew' % gson(GSON_SECRET)).encode()
    text = Redactor([GSON_SECRET]).body(raw)
    assert text == '{"errorMessage": "bad %s", "detail": "and then the gatew' % MASK


@pytest.mark.parametrize("charset", ["latin-1", "cp1252"])
@pytest.mark.parametrize("as_json", [True, False])
def test_body_masks_a_non_ascii_secret_echoed_in_another_charset(charset, as_json):
    secret = "P\u00e4ssw\u00f6rd-geheim-\u00c4\u00d6\u00dc\u00df-1234"
    template = '{"errorMessage": "Bad secret %s", "errorCode": 1}' if as_json else "Bad secret %s (rejected)"
    text = Redactor([secret]).body((template % secret).encode(charset))
    misread = secret.encode(charset).decode("utf-8", "replace")
    assert_no_fragment(text, secret, misread, json.dumps(misread)[1:-1])
    assert MASK in text
    if as_json:
        assert json.loads(text)["errorMessage"] == "Bad secret %s" % MASK


def test_body_masks_a_secret_echoed_in_utf16():
    secret = "geheim-\u03a9mega-0042"
    text = Redactor([secret]).body(("Bad secret %s (rejected)" % secret).encode("utf-16-le"))
    assert MASK in text
    assert_no_fragment(text.replace("\x00", ""), secret, "geheim-", "mega-0042")


def test_body_without_secrets_or_text_is_the_text():
    assert Redactor().body(b'{"a":  1}') == '{"a":  1}'
    assert Redactor(["s3cr3t"]).body(b"") == ""
    assert Redactor(["s3cr3t"]).body(b"\xff ok") == "\ufffd ok"
    assert json.loads(Redactor(["s3cr3t"]).body(b'{"a": [1, 2.5, null, true, "\\u00e9"]}')) == {"a": [1, 2.5, None, True, "\u00e9"]}


def test_body_survives_deep_nesting():
    raw = b'["s3cr3t", ' * 3000 + b"1" + b"]" * 3000
    text = Redactor(["s3cr3t"]).body(raw)
    assert "s3cr3t" not in text
    assert text.count(MASK) == 3000


def test_body_masks_a_secret_in_a_very_long_json_string():
    escaped = "\\u0058YZ\\/abc\\u002bdef\\u003C\\u006fk>&'\\u003d="
    raw = ('{"detail": "%s %s %s"}' % ("a" * 100000, escaped, "b" * 100000)).encode()
    text = Redactor([GSON_SECRET]).body(raw)
    assert json.loads(text) == {"detail": "%s %s %s" % ("a" * 100000, MASK, "b" * 100000)}


# ---- pieces of a secret, charsets of a body ----------------------------------------------------------


def finishes(function, *args):
    """``function(*args)`` returns within 5 s (run aside, so that a loop for ever fails the test instead of hanging it)."""
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(function(*args)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "did not return"
    return outcome[0]


@pytest.mark.parametrize("secret", ["pass********word", "*" * 8, "*" * 20, "ab" + "*" * 9, "**********x"])
def test_a_secret_holding_mask_characters_is_masked_and_the_masking_ends(secret):
    text = finishes(Redactor([secret]), "refused %s, cut: %s" % (secret, secret[:-1]))
    assert text.startswith("refused %s, cut: " % MASK)
    assert finishes(Redactor([secret]).body, ('{"m": "%s"}' % secret).encode()) == '{"m": "%s"}' % MASK


def test_a_cut_off_piece_of_a_secret_is_masked_in_a_message():
    secret = "S3CR3T-0123456789abcdef"
    assert Redactor([secret])("echo: %s..." % secret[:12]) == "echo: %s..." % MASK
    assert Redactor([secret])("echo: %s" % secret[5:17]) == "echo: %s" % MASK
    # A piece shorter than half the secret (or than 8 characters) says too little to mask.
    assert Redactor([secret])("echo: %s" % secret[:7]) == "echo: %s" % secret[:7]


@pytest.mark.parametrize("charset", ["ISO-8859-1", "latin1", "windows-1252", "utf-16"])
def test_body_is_read_in_its_charset(charset):
    secret = "Gr\u00fc\u00dfe-geheim-\u00c4\u00d6-1234"
    raw = ('{"errorMessage": "bad %s", "n": "\u00e9t\u00e9"}' % secret).encode(charset)
    assert json.loads(Redactor([secret]).body(raw, charset)) == {"errorMessage": "bad %s" % MASK, "n": "\u00e9t\u00e9"}


def test_body_with_a_byte_order_mark_or_an_unknown_charset():
    assert Redactor(["s3cr3t-value"]).body(b"\xef\xbb\xbf" + '{"a": "\u00e9"}'.encode("utf-8")) == '{"a": "\\u00e9"}'
    assert Redactor(["s3cr3t-value"]).body('{"a": "s3cr3t-value"}'.encode("utf-16"), "utf-8") == '{"a": "%s"}' % MASK
    assert Redactor().body(b"plain", "no-such-charset") == "plain"


def test_body_masks_json_inside_a_json_string():
    inner = json.dumps({"clientSecret": GSON_SECRET})
    text = Redactor([GSON_SECRET]).body(json.dumps({"errorMessage": "request was %s" % inner}).encode())
    assert GSON_SECRET not in json.loads(text)["errorMessage"]
    assert MASK in json.loads(text)["errorMessage"]


def test_body_keeps_the_keys_of_an_answer_readable_with_a_one_letter_secret():
    """A secret "s" masks each s of the values, never the keys: the answer is still read (result.connectionId)."""
    text = Redactor(["s"]).body(b'{"successful": true, "result": {"connectionId": "c1", "status": "success"}}')
    data = json.loads(text)
    assert data["successful"] is True and data["result"]["connectionId"] == "c1"
    assert "s" not in data["result"]["status"]
