# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import html
import json
import random
import threading
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.reltio.platform.plugins.module_utils.http_api import MAX_FIELD_LENGTH, Answer, parse_error_body
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK, MAX_SECRET_CHARS, MIN_MASKED_PIECE, Redactor

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


# ---- what a person sees of an answer: its message fields or its summary, through Redactor.shown ---------------


def shown(raw, secrets, content_type=None):
    """What a person sees of an error answer with body ``raw`` (http_api.parse_error_body, the adapters' reading)."""
    answer = Answer(400, "Bad Request", {"Content-Type": content_type} if content_type else {}, raw)
    return parse_error_body(answer, Redactor(secrets))[0]


def test_a_gson_echo_in_a_message_field_is_masked():
    raw = ('{"severity":"Error","errorMessage":"Invalid clientSecret %s","errorCode":400}' % gson(GSON_SECRET)).encode()
    assert shown(raw, [GSON_SECRET]) == "Invalid clientSecret %s" % MASK


def test_any_json_escaping_of_a_secret_in_a_message_field_is_masked():
    """Escapes no spelling list holds (\\/ and \\u0058 for plain characters) are decoded by the JSON parser."""
    escaped = "\\u0058YZ\\/abc\\u002bdef\\u003C\\u006fk>&'\\u003d="
    assert json.loads('"%s"' % escaped) == GSON_SECRET
    assert shown(('{"errorMessage": "x%sy"}' % escaped).encode(), [GSON_SECRET]) == "x%sy" % MASK


@pytest.mark.parametrize("raw", [
    ('{"%s": 1}' % gson(GSON_SECRET)).encode(),
    ('<html><body><h1>502 Bad Gateway</h1><pre>upstream said {"clientSecret": "%s"}</pre></body></html>'
     % "\\u0058YZ\\/abc\\u002bdef\\u003C\\u006fk>&'\\u003d=").encode(),
    ('{"errorMessage_": "bad %s", "detail": "and then the gatew' % gson(GSON_SECRET)).encode(),
    ('["%s", ' % gson(GSON_SECRET)).encode() + b'["s", ' * 3000 + b"1" + b"]" * 3001,
])
def test_the_summary_of_a_body_without_a_message_field_is_masked(raw):
    text = shown(raw, [GSON_SECRET])
    assert text.startswith("a body of %d bytes: " % len(raw))
    assert MASK in text
    assert_no_fragment(text, GSON_SECRET, gson(GSON_SECRET))


@pytest.mark.parametrize("charset", ["latin-1", "cp1252"])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_non_ascii_secret_echoed_in_another_charset_is_masked(charset, as_json):
    secret = "P\u00e4ssw\u00f6rd-geheim-\u00c4\u00d6\u00dc\u00df-1234"
    template = '{"errorMessage": "Bad secret %s", "errorCode": 1}' if as_json else "Bad secret %s (rejected)"
    text = shown((template % secret).encode(charset), [secret])
    misread = secret.encode(charset).decode("utf-8", "replace")
    assert_no_fragment(text, secret, misread, json.dumps(misread)[1:-1])
    assert MASK in text
    if as_json:
        assert text == "Bad secret %s" % MASK


def test_a_secret_echoed_in_utf16_is_masked():
    secret = "geheim-\u03a9mega-0042"
    text = shown(("Bad secret %s (rejected)" % secret).encode("utf-16-le"), [secret])
    assert MASK in text
    assert_no_fragment(text.replace("\\x00", ""), secret, "geheim-", "mega-0042")


@pytest.mark.parametrize("before", [0, 250, 290, 297, 299, 310])
def test_a_secret_across_the_cut_of_a_long_message_is_masked_whole(before):
    """A field is masked before it is cut: no cut leaves a piece of a secret shorter than the pieces rule knows."""
    secret = "S3CR3T-0123456789abcdefghijklmnopqrstuv"
    escaped = "".join("\\u%04x" % ord(char) for char in secret)
    for echo in (secret, escaped):
        text = shown(('{"errorMessage": "%s%s%s"}' % ("a" * before, echo, "b" * 100000)).encode(), [secret])
        assert len(text) <= MAX_FIELD_LENGTH
        assert_no_fragment(text, secret)
        assert not any(text.endswith(secret[:size] + "...") for size in range(1, len(secret)))


@pytest.mark.parametrize("charset", ["ISO-8859-1", "latin1", "windows-1252", "utf-16"])
def test_a_body_is_read_in_the_charset_of_its_content_type(charset):
    secret = "Gr\u00fc\u00dfe-geheim-\u00c4\u00d6-1234"
    raw = ('{"errorMessage": "bad %s \u00e9t\u00e9"}' % secret).encode(charset)
    assert shown(raw, [secret], "application/json; charset=%s" % charset) == "bad %s \u00e9t\u00e9" % MASK


def test_json_inside_a_message_field_is_masked():
    inner = json.dumps({"clientSecret": GSON_SECRET})
    text = shown(json.dumps({"errorMessage": "request was %s" % inner}).encode(), [GSON_SECRET])
    assert GSON_SECRET not in text and MASK in text


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
    assert finishes(shown, ('{"message": "%s"}' % secret).encode(), [secret]) == MASK


def test_a_cut_off_piece_of_a_secret_is_masked_in_a_message():
    secret = "S3CR3T-0123456789abcdef"
    assert Redactor([secret])("echo: %s..." % secret[:12]) == "echo: %s..." % MASK
    assert Redactor([secret])("echo: %s" % secret[5:17]) == "echo: %s" % MASK
    # A piece shorter than half the secret (or than 8 characters) says too little to mask.
    assert Redactor([secret])("echo: %s" % secret[:7]) == "echo: %s" % secret[:7]


# ---- masking by pattern: any escaped form of each character --------------------------------------------


def escaped_forms(char):
    """Every way the collection promises to read one character of a secret: the character, its JSON, Java and
    Python escapes, its percent-escapes (of its UTF-8 bytes), its numeric HTML entities, hex digits in either case,
    and the named entities and short escapes of the characters that have one."""
    code, data = ord(char), char.encode("utf-8")
    forms = [char, "&#%d;" % code, "&#x%x;" % code, "&#X%X;" % code, "&#%07d;" % code,
             "".join("%%%02x" % byte for byte in data), "".join("%%%02X" % byte for byte in data)]
    if code < 0x10000:
        forms += ["\\u%04x" % code, "\\u%04X" % code]
    else:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms += ["\\u%04x\\u%04x" % (high, low), "\\U%08X" % code]
    if code < 0x100:
        forms += ["\\x%02x" % code, "\\x%02X" % code, "%%%02X" % code]
    forms += {"&": ["&amp;"], "<": ["&lt;"], ">": ["&gt;"], '"': ["&quot;", '\\"'], "'": ["&apos;", "&#39;", "\\'"],
              "/": ["\\/"], "\\": ["\\\\"], " ": ["+"]}.get(char, [])
    return forms


SECRET_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x1F600, blacklist_categories=("Cs",), blacklist_characters="*")


@st.composite
def echoed_secrets(draw):
    """A secret and an echo of it in which each character has any of its escaped forms (the same for every space)."""
    secret = draw(st.text(SECRET_CHARS, min_size=MIN_MASKED_PIECE, max_size=24))
    space = draw(st.sampled_from([" ", "+", "%20", "\\u0020", "&#32;"]))
    echo = "".join(space if char == " " else draw(st.sampled_from(escaped_forms(char))) for char in secret)
    return secret, echo


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(echoed_secrets(), st.sampled_from(["", "Invalid secret: ", "x=", "<p>"]), st.sampled_from(["", ".", " (rejected)"]))
def test_any_escaped_form_of_each_character_is_masked(echoed, before, after):
    secret, echo = echoed
    masked = Redactor([secret])(before + echo + after)
    assert echo not in masked and secret not in masked
    assert MASK in masked


@pytest.mark.parametrize("echo", ["a%2fb%2Fc", "a\\u002Fb\\u002fc", "a&#x2F;b&#X2f;c", "a&#47;b&#047;c", "a\\/b\\x2Fc"])
def test_escapes_are_read_in_any_case(echo):
    assert Redactor(["a/b/c-0123456789"])("got %s-0123456789!" % echo) == "got %s!" % MASK


@pytest.mark.parametrize("secret", ['it\'s "quoted"-0123', 'p%41"x-0123456', "a&amp;b\\u0041-012"])
@pytest.mark.parametrize("spell", [repr, json.dumps, html.escape,
                                   lambda text: quote_plus(text, safe=""), lambda text: html.escape(json.dumps(text))])
def test_a_secret_holding_quotes_or_escapes_is_masked_in_each_serialisation(secret, spell):
    """A Python repr of a secret with both quote characters escapes one of them; a secret that holds what reads
    as an escape (%41, &amp;, \\u0041) is read so in an echo where another of its characters is escaped."""
    masked = Redactor([secret])("echo: %s." % spell(secret))
    assert spell(secret) not in masked and secret not in masked
    assert MASK in masked


def test_a_lowercased_secret_is_masked():
    assert Redactor(["DOSE-Secret-XYZ-42"])("unknown encoding dose-secret-xyz-42") == "unknown encoding %s" % MASK


def test_an_uppercased_secret_is_masked():
    assert Redactor(["dose-Secret-xyz-42"])("REJECTED DOSE-SECRET-XYZ-42") == "REJECTED %s" % MASK


def test_a_secret_in_javascript_escapes_is_masked():
    secret = "dose-Secr\u00e9t-xyz-42"
    echo = "".join("%%u%04X" % ord(char) if not char.isalnum() else char for char in secret)
    assert Redactor([secret])("bad %s here" % echo) == "bad %s here" % MASK


# ---- masking base64 and hex of a secret or of a body that holds it ----------------------------------------


B64_SECRET = "dose-Secr\u00e9t/+?~0123"


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode,
                                    lambda data: base64.b64encode(data).rstrip(b"="),
                                    lambda data: base64.urlsafe_b64encode(data).rstrip(b"=")])
@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b"a much longer prefix of a request body "])
def test_base64_of_a_text_holding_the_secret_is_masked(encode, prefix):
    """A gateway echoes ``event.body`` in base64: the secret's own bits must not be readable at any of its alignments."""
    for body in (prefix + B64_SECRET.encode("utf-8") + b" and more", prefix + json.dumps({"clientSecret": B64_SECRET}).encode()):
        encoded = encode(body).decode("ascii")
        masked = Redactor([B64_SECRET])('{"errorMessage": "bad body %s"}' % encoded)
        assert MASK in masked
        # Whatever base64 is left decodes to no piece of the secret, in any alignment.
        left = masked.split("bad body ", 1)[1]
        for part in left.split(MASK):
            chars = "".join(char for char in part if char.isalnum() or char in "+/-_")
            for start in range(4):
                piece = chars[start:]
                decoded = base64.urlsafe_b64decode(piece.replace("+", "-").replace("/", "_")[:len(piece) // 4 * 4])
                assert_no_fragment(decoded.decode("latin-1"), B64_SECRET, json.dumps(B64_SECRET)[1:-1])
        # The base64 of the text before the secret stays readable (only the secret's run and its neighbours go).
        if len(prefix) > 20:
            assert encode(prefix).decode("ascii")[:16] in masked


def test_a_lambda_echo_of_a_base64_body_is_masked_in_a_message():
    event = base64.b64encode(json.dumps({"clientId": "id-1", "clientSecret": B64_SECRET}).encode()).decode()
    text = shown(json.dumps({"message": "bad event body %s" % event}).encode(), [B64_SECRET])
    assert MASK in text
    assert event[:MAX_FIELD_LENGTH - 40] not in text


@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_hex_of_the_secret_or_of_a_body_is_masked(case):
    secret = "S3cr3t-\u00e9-0123456789"
    for data in (secret.encode("utf-8"), b'{"clientSecret": "' + secret.encode("utf-8") + b'"}'):
        hexed = case(data.hex())
        masked = Redactor([secret])("dump: %s" % hexed)
        assert case(secret.encode("utf-8").hex()) not in masked
        assert MASK in masked


# ---- cost: linear in the text whatever the secrets ---------------------------------------------------------


def within(seconds, function, *args):
    """``function(*args)`` returns within ``seconds`` (run aside: a quadratic run fails the test instead of hanging it)."""
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(function(*args)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "took more than %s s" % seconds
    return outcome[0]


# A 16 KiB token that nearly matches anything made of its letter: every position of the text starts a match of
# thousands of characters, so a search by position (a regular expression, a piece at a time) is quadratic.
LONG_TOKEN = "a" * (MAX_SECRET_CHARS - 1) + "b"


RANDOM = random.Random(18)
# A secret far over any bound: building its pieces a slice at a time is quadratic in its length.
HUGE_SECRET = "".join(RANDOM.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=2 << 20))


@pytest.mark.parametrize("secret, text", [
    (LONG_TOKEN, "a" * (1 << 20)),  # 1 MB of the token's letter: a full spelling is looked for everywhere
    (LONG_TOKEN, "a" * 65535 + "b"),  # the longest text masked with pieces, a piece at every position
    (LONG_TOKEN, ("a" * 9000 + "c") * 6),  # pieces just long enough, again and again
    (LONG_TOKEN, "\\u0061" * 150000),  # 900 KB of escapes that read as the token's letter
    (LONG_TOKEN, ("%61" * 3000 + "&#x61;") * 50),  # escapes of two kinds, with pieces
    (HUGE_SECRET, "error: bad token %s..." % HUGE_SECRET[:100]),  # 8 s for 1 MB before issue 18
])
def test_masking_is_linear_with_a_long_secret_and_an_adversarial_text(secret, text):
    """At a microsecond per character for each of 4 readings, 1 MB takes seconds; quadratic would take hours."""
    masked = within(20, Redactor([secret, "client-secret-0123"]), text)
    if secret is HUGE_SECRET:
        assert masked == text  # 100 characters are far from half the secret: no piece
    elif len(text) <= 65536:
        assert "a" * MIN_MASKED_PIECE not in masked


def test_the_cut_off_search_reads_each_character_once():
    """Counted rather than timed: the suffix automaton reads each character of the text once, however long the secret."""
    reads = []

    class CountingText(str):
        def __iter__(self):
            for char in str.__iter__(self):
                reads.append(char)
                yield char

    assert Redactor([LONG_TOKEN])(CountingText("a" * 40000)) == MASK
    assert len(reads) == 40000


def test_a_secret_longer_than_the_bound_is_still_masked_whole():
    secret = "x" * MAX_SECRET_CHARS + "tail-0123"
    assert Redactor([secret])("[%s]" % secret) == "[%s]" % MASK


def test_a_cut_off_escaped_echo_is_masked():
    echo = gson(json.dumps(GSON_SECRET)[1:-1])[:30]
    assert Redactor([GSON_SECRET])("bad secret %s" % echo).startswith("bad secret %s" % MASK)


# ---- issue 25: echoes a short message may still hold ----------------------------------------------------------

ECHO_TOKEN = "tok-Reltio-4f2a9c1e7b3d5a8f"
ECHO_BODY = json.dumps({"connectionName": "c", "clientSecret": B64_SECRET}).encode()


def _octal(data):
    return "".join("\\%03o" % byte for byte in data)


@pytest.mark.parametrize("echo", [
    # the request body as line-wrapped base64 (MIME), as a hex dump with spaces
    base64.encodebytes(b'{"clientSecret": "%s"}' % B64_SECRET.encode()).decode(),
    " ".join("%02x" % byte for byte in b'{"clientSecret": "%s"}' % B64_SECRET.encode()),
    # base64 and hex of UTF-16, C octal escapes
    base64.b64encode(("secret=" + B64_SECRET).encode("utf-16-le")).decode(),
    ("secret=" + B64_SECRET).encode("utf-16-be").hex(),
    _octal(B64_SECRET.encode()),
    # cut-off base64 and hex echoes
    base64.b64encode(b"clientSecret=" + B64_SECRET.encode())[:36].decode(),
    (b"clientSecret=" + B64_SECRET.encode()).hex()[:50],
])
def test_an_echo_of_the_request_in_a_message_field_is_masked(echo):
    """Issue 25: each of these was printed in clear, on both paths and into the health report files."""
    text = shown(json.dumps({"errorMessage": "bad request: " + echo}).encode(), [B64_SECRET])
    assert MASK in text, text
    assert_no_fragment(text, B64_SECRET)
    compact = "".join(text.split())
    for data in (B64_SECRET.encode(), B64_SECRET.encode("utf-16-le"), B64_SECRET.encode("utf-16-be")):
        for fragment in fragments(data.hex(), 2 * MIN_MASKED_PIECE + 4) | fragments(data.hex().upper(), 2 * MIN_MASKED_PIECE + 4):
            assert fragment not in compact, (fragment, text)


@pytest.mark.parametrize("echo", [
    "Authorization: Bearer %s\n" % "\n".join(ECHO_TOKEN[start:start + 10] for start in range(0, len(ECHO_TOKEN), 10)),
    " ".join("%02X" % byte for byte in b"Authorization: Bearer " + ECHO_TOKEN.encode()),
    "\n".join(base64.b64encode(b"POST / HTTP/1.1\r\nAuthorization: Bearer " + ECHO_TOKEN.encode()).decode()[index:index + 16]
              for index in range(0, 100, 16)),
])
def test_a_401_that_echoes_the_bearer_token_in_any_layout_is_masked(echo):
    text = shown(json.dumps({"errorMessage": "unauthorized " + echo}).encode(), [ECHO_TOKEN])
    assert MASK in text, text
    compact = "".join(text.split())
    assert ECHO_TOKEN[:MIN_MASKED_PIECE] not in compact and ECHO_TOKEN.encode().hex().upper()[:2 * MIN_MASKED_PIECE] not in compact
