# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What both service adapters share: answers, hosts, error bodies, path segments, and the one token rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.reltio.platform.plugins.module_utils import client, databricks_workspace
from ansible_collections.reltio.platform.plugins.module_utils.http_api import (
    EXCERPT_LENGTH,
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    MAX_FIELD_LENGTH,
    MAX_JSON_DEPTH,
    MAX_JSON_STRUCTURE,
    Answer,
    JsonBeyondBounds,
    BearerAuth,
    Call,
    read_token,
    host_of,
    load_json,
    parse_error_body,
    path_segment,
    result_value,
    usable_token,
    visible_text,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK, Redactor, printable

from ..fakes import FakeResponse, FakeSession

HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def test_answer_basics():
    answer = Answer(503, None, {}, "[" * 100000)
    assert answer.status_text == "503"
    assert answer.location_host is None
    with pytest.raises(ValueError):
        answer.json()
    assert Answer(302, "Found", None, "").location_host is None
    assert Answer(302, "Found", {"Location": "https://user:pw@evil.example.com:8443/x?y"}, "").location_host == (
        "evil.example.com:8443")


@pytest.mark.parametrize("url, host", [
    ("https://test.reltio.com/reltio/api", "test.reltio.com"),
    ("http://127.0.0.1:8080", "127.0.0.1:8080"),
    ("https://user:p@ss@auth.example.com/oauth?x=1#f", "auth.example.com"),
    ("/relative/path", "/relative/path"),
])
def test_host_of(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize("body, expected", [
    (json.dumps({"severity": "Error", "errorMessage": "Bad thing", "errorCode": 1234,
                 "errorDetailMessage": "detail"}), ("Bad thing", 1234)),
    (json.dumps({"errorDetailMessage": "only detail", "errorCode": "E12"}), ("only detail", "E12")),
    (json.dumps({"successful": False, "error": {"errorMessage": "Inner", "errorCode": 55}}), ("Inner", 55)),
    (json.dumps({"successful": False, "error": {"message": "Inner msg"}}), ("Inner msg", None)),
    (json.dumps({"successful": False, "error": {"errorDetailMessage": "Inner detail"}}), ("Inner detail", None)),
    (json.dumps([{"errorMessage": "First of list", "errorCode": 9}, {"errorMessage": "second"}]),
     ("First of list", 9)),
    (json.dumps({"error": "invalid_client", "error_description": "Bad client credentials"}),
     ("Bad client credentials", "invalid_client")),
    (json.dumps({"error": "invalid_client"}), ("invalid_client", None)),
    (json.dumps({"error_code": "PERMISSION_DENIED", "message": "No access"}), ("No access", "PERMISSION_DENIED")),
    (json.dumps({"errorCode": 7, "error_code": "X", "errorMessage": "m"}), ("m", 7)),
    (json.dumps({"message": "  spaced  "}), ("spaced", None)),
    (json.dumps({"errorMessage": "x", "errorCode": True}), ("x", None)),
    (json.dumps({"errorMessage": "x", "errorCode": {"nested": 1}}), ("x", None)),
    ("Service temporarily unavailable", ("a body of 31 bytes: Service temporarily unavailable", None)),
    ("", (None, None)),
    ("   \n ", (None, None)),
    (b"", (None, None)),
    (None, (None, None)),
])
def test_parse_error_body_shapes(body, expected):
    assert parse_error_body(body) == expected


def test_parse_error_body_bytes():
    assert parse_error_body(json.dumps({"errorMessage": "é"}).encode("utf-8")) == ("é", None)


def test_parse_error_body_html_gives_a_summary_with_an_excerpt_without_tags():
    message, code = parse_error_body(Answer(502, "Bad Gateway", {"Content-Type": "text/html; charset=utf-8"}, HTML_502))
    assert code is None
    assert message == "a text/html body of %d bytes: 502 Bad Gateway 502 Bad Gateway nginx" % len(HTML_502)


@pytest.mark.parametrize("body", [
    b"\xff\xfe\x00garbage",
    b'{"errorMessage": "trunc',
    b'{"errorMessage": ',
    "\ufeff{}",
    "[]",
    "{}",
    '"just a string"',
    "123",
    "null",
    "true",
    json.dumps({"errorMessage": None, "errorCode": [1]}),
    json.dumps({"error": {"errorCode": 7}}),
    json.dumps([1, 2]),
])
def test_parse_error_body_never_raises_and_gives_text(body):
    message, code = parse_error_body(body)
    assert isinstance(message, str) and message
    assert code in (None, 7)


def test_parse_error_body_scalar_and_fallbacks():
    assert parse_error_body("123") == ("a body of 3 bytes: 123", None)
    assert parse_error_body('{"errorMessage": "trunc') == ('a body of 23 bytes: {"errorMessage": "trunc', None)
    assert parse_error_body(json.dumps({"error": {"errorCode": 7}})) == ('a body of 27 bytes: {"error": {"errorCode": 7}}', 7)
    assert parse_error_body(b"\xff") == ("a body of 1 bytes: \ufffd", None)


def test_parse_error_body_deeply_nested_json():
    message, dummy = parse_error_body("[" * 100000)
    assert message.startswith("a body of 100000 bytes: [[[")


def test_parse_error_body_long_text_is_excerpted():
    message, dummy = parse_error_body("x" * 5000)
    assert message == "a body of 5000 bytes: " + "x" * (EXCERPT_LENGTH - 3) + "..."


def test_a_message_field_is_cut():
    message, dummy = parse_error_body(json.dumps({"errorMessage": "m" * 100000}))
    assert message == "m" * (MAX_FIELD_LENGTH - 3) + "..."


@pytest.mark.parametrize("value, expected", [
    ("conn-01", "conn-01"),
    ("a/b", "a%2Fb"),
    ("a.b", "a.b"),
    ("q?x#y%z", "q%3Fx%23y%25z"),
    ("with space", "with%20space"),
    ("é€", "%C3%A9%E2%82%AC"),
    ("../../admin", "..%2F..%2Fadmin"),
])
def test_path_segment(value, expected):
    assert path_segment(value) == expected


@pytest.mark.parametrize("value", ["a/b", "../x", "x?y", "x#y", "50%", "é/ü", "a\\b", "a;b"])
def test_path_segment_stays_one_segment(value):
    """Dots stay (requests would decode %2E anyway); validation refuses dots-only values instead."""
    encoded = path_segment(value)
    for char in "/?#\\;":
        assert char not in encoded
    assert encoded.strip(".") != ""


def test_visible_text():
    assert visible_text("  <p>Hello</p>\n\n <b>world</b>  ") == "Hello world"
    assert EXCERPT_LENGTH - 1 <= len(visible_text("word " * 100)) <= EXCERPT_LENGTH
    assert visible_text("a" * 50, length=20) == "a" * 20
    assert visible_text("a" * 20, length=20) == "a" * 20
    assert visible_text("") == ""
    assert visible_text("1 < 2 and <b>3</b> > 2 <unclosed") == "1 3 > 2 <unclosed"
    assert visible_text("<a<b>x") == "x"


@pytest.mark.parametrize("token", [
    "tok-Plain_1.2~3+4/5=", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "!#$%&'*+", "exactly8",
    "x" * MAX_TOKEN_LENGTH,
])
def test_a_usable_token(token):
    assert usable_token(token)


@pytest.mark.parametrize("token", [
    None, 12345, ["tok-in-a-list"], "", "short-7", "x" * (MAX_TOKEN_LENGTH + 1),
    "ABC123-not-a-token\n", "ABC123\nnot-a-token", "two words-Zx9Qw2Lp", "tab\tseparated", " leading-space",
    "\u20acuro-token-Zx9Qw2", "caf\u00e9-token", "nul\x00token", "del\x7ftoken",
])
def test_not_a_usable_token(token):
    assert not usable_token(token)


def test_the_token_rule_bounds():
    assert (MIN_TOKEN_LENGTH, MAX_TOKEN_LENGTH) == (8, 16 * 1024)


def test_both_adapters_use_the_one_token_rule():
    assert client.usable_token is usable_token
    assert databricks_workspace.usable_token is usable_token


def test_bearer_auth_sets_the_header():
    request = type("Request", (), {"headers": {}})()
    assert BearerAuth("tok-12345678")(request) is request
    assert request.headers == {"Authorization": "Bearer tok-12345678"}


@pytest.mark.parametrize("text, shown", [
    ("plain text", "plain text"),
    ("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07"),
    ("clear\x1b[2J", "clear\\x1b[2J"),
    ("c1\x9b31m and del\x7f", "c1\\x9b31m and del\\x7f"),
    ("line\nbreak\ttab\r", "line break tab "),
    ("caf\u00e9 \u20ac", "caf\u00e9 \u20ac"),
])
def test_printable_escapes_every_control_character(text, shown):
    assert printable(text) == shown


def test_printable_is_bounded():
    assert printable("x" * 50, 20) == "x" * 17 + "..."
    assert printable("x" * 20, 20) == "x" * 20


@pytest.mark.parametrize("value, kept", [
    ("text", "text"), (7, 7), (1.5, 1.5), (True, True), (None, None),
    (["a"], None), ({"k": "v"}, None), (float("nan"), None), (float("inf"), None),
])
def test_result_value_keeps_scalars(value, kept):
    assert result_value(value, Redactor()) == kept


def test_result_value_bounds_and_masks_text():
    assert len(result_value("y" * 5000, Redactor())) == MAX_FIELD_LENGTH
    assert result_value("the secret-value-42 echoed", Redactor(["secret-value-42"])) == "the ******** echoed"


def test_load_json_bounds_the_nesting():
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(deepest) is not None
    for too_deep in ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), '{"a": %s1%s}' % ("[" * 500, "]" * 500),
                     "[" * 100000):
        with pytest.raises(ValueError):
            load_json(too_deep)
    with pytest.raises(ValueError):
        Answer(200, "OK", {}, '{"a": %s}' % ("{\"b\": " * 40 + "1" + "}" * 40)).json()


def test_load_json_bounds_the_values_before_parsing():
    """Issue 25: 4 MiB of "[{},{},...]" took about 128 MB to parse. What opens a value is counted first, in linear time."""
    at_bound = "[" + ",".join(["0"] * MAX_JSON_STRUCTURE) + "]"
    assert len(load_json(at_bound)) == MAX_JSON_STRUCTURE
    for beyond in ("[" + ",".join(["{}"] * MAX_JSON_STRUCTURE) + "]", "[" + ",".join(["0"] * (MAX_JSON_STRUCTURE + 1)) + "]",
                   '{"a": "%s"}' % ("," * (MAX_JSON_STRUCTURE + 1))):
        with pytest.raises(JsonBeyondBounds) as info:
            load_json(beyond)
        assert str(info.value) == "JSON of more than %d values" % MAX_JSON_STRUCTURE


def test_a_2xx_beyond_the_bounds_of_json_says_so_and_may_have_created_the_connection():
    session_answer = FakeResponse(200, content="[" + ",".join(["{}"] * MAX_JSON_STRUCTURE) + "]")
    reltio = client.ReltioClient("https://test.reltio.com", "t1", access_token="tok-0123456789", retries=0,
                                 session=FakeSession(session_answer))
    with pytest.raises(ApiError) as info:
        reltio.create_connection("c", "https://w.cloud.databricks.com", "wh", "id", "dbx-secret-0123456789")
    assert "with a body that is not JSON (JSON of more than %d values)" % MAX_JSON_STRUCTURE in info.value.msg
    assert info.value.may_exist is True


def test_an_error_code_is_plain_and_short():
    message, code = parse_error_body(json.dumps({"errorMessage": "no", "errorCode": "\x1b]0;PWNED\x07" + "X" * 5000}))
    assert message == "no"
    assert code.startswith("\\x1b]0;PWNED\\x07XXX") and len(code) == 100 and "\x1b" not in code
    assert parse_error_body(json.dumps({"errorMessage": "no", "errorCode": 1007})) == ("no", 1007)


@pytest.mark.parametrize("body, read", [
    ('{"access_token": "tok-From-Json-0123", "expires_in": 3600}', "tok-From-Json-0123"),
    ('{"access_token": 42}', 42),
    ('{"token": "x"}', None),
])
def test_a_token_is_read_from_the_parsed_answer_and_masked(body, read):
    """One way for Reltio's and Databricks' token endpoints: the JSON parsed once, the token masked from then on."""
    redact = Redactor()
    answer = Answer(200, "OK", {}, body)
    assert read_token(answer, redact) == (json.loads(body), read)
    assert redact("got tok-From-Json-0123") == ("got ********" if read == "tok-From-Json-0123" else "got tok-From-Json-0123")


@pytest.mark.parametrize("body", ["access_token=tok-From-Form-0123", '["tok-From-List-0123"]', ""])
def test_a_token_answer_that_is_not_a_json_object_gives_nothing(body):
    assert read_token(Answer(200, "OK", {}, body), Redactor()) == (None, None)


@pytest.mark.parametrize("body, content_type", [
    (b"Unauthorized: tok-STATIC-abcdefghijklmnop ", "text/plain; charset=utf-16-le"),
    (b"Unauthorized: tok-STATIC-abcdefghijklmnop ", "text/plain; charset=utf-16-be"),
    (b"\xff\xfeUnauthorized: tok-STATIC-abcdefghijklmnop ", "text/plain"),
    (b"Unauthorized: tok-STATIC-abcdefghijklmnop ", "text/plain; charset=cp037"),
])
def test_a_body_read_in_a_charset_where_ascii_is_not_itself_shows_no_excerpt(body, content_type):
    """A hostile review: bytes read under a false UTF-16 label showed an echoed token as CJK characters, which masking
    cannot know and anyone can read back."""
    redact = Redactor()
    redact.add("tok-STATIC-abcdefghijklmnop")
    answer = Answer(500, "Oops", {"Content-Type": content_type}, body)
    assert not answer.ascii_compatible
    assert answer.summary(redact) == "a text/plain body of %d bytes" % len(body)


def test_a_body_in_an_ascii_compatible_charset_shows_its_excerpt_masked():
    redact = Redactor()
    redact.add("tok-STATIC-abcdefghijklmnop")
    for content_type in ("text/plain", "text/plain; charset=latin-1", "text/plain; charset=no-such-codec"):
        answer = Answer(500, "Oops", {"Content-Type": content_type}, b"Unauthorized: tok-STATIC-abcdefghijklmnop")
        assert answer.ascii_compatible
        assert answer.summary(redact) == "a text/plain body of 41 bytes: Unauthorized: %s" % MASK


def test_a_call_says_whether_it_changes_something_and_its_advice_apart():
    assert Call("reading connection 'c'").changes is False
    creating = Call("creating connection 'c'", advice_if_done="It may exist.")
    assert creating.changes is True and creating.advice_if_done == "It may exist."
