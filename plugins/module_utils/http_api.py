# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the Reltio and Databricks adapters share: the call and answer types, bearer auth, error bodies, the token rule.

Both adapters (client.py for Reltio, databricks_workspace.py for Databricks) import this file and transport.py,
never each other.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import codecs
import ipaddress
import json
import math
import re
from urllib.parse import quote

from ansible_collections.reltio.platform.plugins.module_utils.redaction import MAX_SECRET_CHARS, Redactor

# What a person sees of a body that is not an error of a documented shape: this many characters of its text.
EXCERPT_LENGTH = 200
# How far into a body its excerpt is looked for (a gateway's page says what it has to say near its start).
EXCERPT_SCAN = 65536
# What an access token may hold: visible ASCII, no spaces (RFC 6750 b64token and the usual JWT/opaque forms).
_TOKEN = re.compile(r"[\x21-\x7e]+")
# A shorter "token" would be masked wherever its letters appear, and is no token of an OAuth server.
MIN_TOKEN_LENGTH = 8
# Real Reltio and Databricks tokens are under 4 KiB; a longer one is refused: the longest secret that masking takes
# whole, cut-off pieces included (redaction.py).
MAX_TOKEN_LENGTH = MAX_SECRET_CHARS
# The deepest JSON an answer may hold; Reltio's and Databricks' answers are three or four levels deep.
MAX_JSON_DEPTH = 32
# The most characters that open a JSON value or a key (",", ":", "[", "{") that an answer may hold, counted over the
# whole text, strings included: one more than that bounds the values and keys that parsing makes, and so its memory
# (about 200 bytes a value at most: some 10 MB, where 4 MiB of "[{},{},...]" made 128 MB). Reltio's and Databricks'
# answers hold a few dozen.
MAX_JSON_STRUCTURE = 50000
# The longest text copied from an answer into a message or a result field (Reltio's or Databricks' message, a name).
MAX_FIELD_LENGTH = 300
# The longest reason phrase shown after a status (real ones are a few words), a host name, a header read for a host.
MAX_REASON_LENGTH = 100
MAX_HOST_LENGTH = 255
MAX_HEADER_SHOWN = 2048
_URL_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{0,31}://([^/?#]+)")
_CHARSET = re.compile(r"charset\s{0,8}=\s{0,8}\"?([A-Za-z0-9._:-]{1,40})")


class Call:
    """What one request is for, so that its errors are made once and say it.

    ``what`` reads "while <what>"; ``advice_if_done`` is the sentence to add when the request may have been carried
    out although no usable answer came back (None for a request that changes nothing); ``option`` names the option whose
    URL the request goes to (``auth_url``...), for the messages of a host that cannot be reached; ``not_found`` is
    the advice for an HTTP 404 of a request about one thing (a connection), instead of a wrong tenant or platform.
    """

    def __init__(self, what, advice_if_done=None, option=None, not_found=None):
        self.what = what
        # What an HTTP 404 means for this request, when it is not that the tenant or the platform is wrong.
        self.not_found = not_found
        self.advice_if_done = advice_if_done
        self.option = option

    @property
    def changes(self):
        """Whether the request changes something (and so may have been carried out without an answer)."""
        return self.advice_if_done is not None


class Answer:
    """An HTTP answer as the adapters read it: status, reason, Location, Content-Type and the body as received.

    Nothing of it is masked and nothing of it is ever shown whole: the adapters parse it once (``json``, kept) and
    show only short fields of it, through ``shown``.
    """

    def __init__(self, status, reason, headers, body, retried_after_possible_commit=False):
        self.status = status
        self.reason = reason or ""
        self.headers = headers or {}
        self.body = body if isinstance(body, bytes) else (body or "").encode("utf-8", "surrogatepass")
        self.retried_after_possible_commit = retried_after_possible_commit
        self._text = body if isinstance(body, str) else None
        self._json = None

    @property
    def text(self):
        """The body as text (its byte order mark, else the charset of its Content-Type, else UTF-8), decoded once."""
        if self._text is None:
            self._text = decode_body(self.body, content_charset(self.headers.get("Content-Type")))
        return self._text

    @property
    def ascii_compatible(self):
        """Whether the body was read with a charset in which ASCII text is itself (UTF-8, Latin-1...): not UTF-16 or
        UTF-32 by a byte order mark or a label, nor EBCDIC."""
        if self.body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return False
        charset = content_charset(self.headers.get("Content-Type"))
        try:
            return not charset or codecs.lookup(charset).encode("Az:")[0] == b"Az:"
        except Exception:  # pylint: disable=broad-except
            # No codec of that name, or not a text codec: the body was read as UTF-8 (decode_body).
            return True

    @property
    def content_type(self):
        """The media type the answer says, lower case, or ""."""
        return (self.headers.get("Content-Type") or "")[:MAX_HEADER_SHOWN].split(";")[0].strip().lower()

    @property
    def status_text(self):
        return ("%s %s" % (self.status, self.reason[:MAX_REASON_LENGTH])).strip()

    def json(self):
        """The body as JSON, parsed once; raises ValueError when it is not, or is nested deeper than MAX_JSON_DEPTH."""
        if self._json is None:
            try:
                self._json = (load_json(self.text), None)
            except ValueError as exc:
                self._json = (None, exc)
        if self._json[1] is not None:
            raise self._json[1]
        return self._json[0]

    def summary(self, redact):
        """What a person is told of a body that is not an error of a documented shape: its content type, its size and
        a short excerpt of its text, masked by ``redact``."""
        if not self.body:
            return "an empty body"
        # Only text read by an ASCII-compatible charset is shown: bytes read under a false UTF-16 label, say, would
        # show an echoed secret as other characters that masking cannot know.
        excerpt = redact.shown(visible_text(self.text, EXCERPT_LENGTH + redact.reach + 1), EXCERPT_LENGTH) \
            if self.ascii_compatible else None
        kind = self.headers.get("Content-Type") and redact.shown(self.content_type, 100)
        return "a %sbody of %d bytes%s" % (kind + " " if kind else "", len(self.body), (": " + excerpt) if excerpt else "")

    @property
    def location_host(self):
        """The host a redirect points at, or None."""
        location = self.headers.get("Location") if self.headers else None
        return host_of(location[:MAX_HEADER_SHOWN])[:MAX_HOST_LENGTH] if location else None


class BearerAuth:
    """Sends the token as ``Authorization: Bearer``; being set, it also keeps requests from reading ~/.netrc."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer %s" % self.token
        return request


class JsonBeyondBounds(ValueError):
    """JSON that load_json refuses for its size or its depth, not for its syntax: its words are ours, fit to show."""


def load_json(text):
    """JSON of an answer: ValueError when it is not JSON; JsonBeyondBounds when it holds more than MAX_JSON_STRUCTURE
    openings of values (counted before parsing, in linear time: parsing 4 MiB of empty objects takes 30 times that in
    memory) or is nested deeper than MAX_JSON_DEPTH (a 500-deep array would fail later, where a recursion error says
    nothing)."""
    structure = sum(text.count(char) for char in ",:[{")
    if structure > MAX_JSON_STRUCTURE:
        raise JsonBeyondBounds("JSON of more than %d values" % MAX_JSON_STRUCTURE)
    try:
        data = json.loads(text)
    except RecursionError:
        raise JsonBeyondBounds("JSON nested too deep")
    containers, depth = [data], 0
    while True:
        containers = [value for value in containers if isinstance(value, (dict, list))]
        if not containers:
            return data
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise JsonBeyondBounds("JSON nested deeper than %d levels" % MAX_JSON_DEPTH)
        containers = [child for value in containers for child in (value.values() if isinstance(value, dict) else value)]


def result_value(value, redact):
    """A value copied from an answer into the result: short masked plain text (``redact.shown``), a number, a boolean
    or None. A list, an object or anything else a server sends there is None: a key or a list of a server never
    reaches the result."""
    if isinstance(value, str):
        return redact.shown(value, MAX_FIELD_LENGTH)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return None


def usable_token(token):
    """The one token rule, for a given or a fetched token of either service: a string that can be sent as a bearer
    token and masked without garbling every message (MIN_TOKEN_LENGTH to MAX_TOKEN_LENGTH visible ASCII characters)."""
    return (isinstance(token, str) and MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH
            and _TOKEN.fullmatch(token) is not None)


TOKEN_RULE = ("%d to %d visible ASCII characters, without spaces or line breaks" % (MIN_TOKEN_LENGTH, MAX_TOKEN_LENGTH))


def is_loopback(host):
    """A literal loopback address, or the name localhost (which resolvers answer from the hosts file).

    A name under .localhost is not: most resolvers send it to DNS, which may answer any address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(url):
    """The host (and port) of a URL, without any user name or password."""
    match = _URL_HOST.match(url)
    return match.group(1).rsplit("@", 1)[-1] if match else url


def path_segment(value):
    """URL-encode one path segment, so a value never leaves its segment.

    Dots stay as they are (requests would decode ``%2E`` anyway): validation refuses dots-only values.
    """
    return quote(value, safe="")


def decode_body(raw, charset=None):
    """A body's text: by its byte order mark, else its charset, else UTF-8; never raises."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding, "replace")
    if charset:
        try:
            text = raw.decode(codecs.lookup(charset).name, "replace")
            if isinstance(text, str):
                return text
        except Exception:  # pylint: disable=broad-except
            # A codec that cannot decode with replacement (undefined, idna, punycode) or is no text codec at all.
            pass
    return raw.decode("utf-8", "replace")


def content_charset(content_type):
    """The charset a Content-Type names, or None."""
    match = _CHARSET.search((content_type or "")[:MAX_HEADER_SHOWN])
    return match.group(1) if match else None


def visible_text(text, length=EXCERPT_LENGTH):
    """At most ``length`` characters of the visible text of a body (an HTML gateway page, say): tags and runs of
    white space read as one space.

    One pass with str.find over at most the first EXCERPT_SCAN characters, which stops once ``length`` characters are
    there: no regular expression whose match could start again inside another (``<[^>]*>`` over a run of ``<`` is
    quadratic)."""
    pieces, size, position, end = [], 0, 0, min(len(text), EXCERPT_SCAN + 4 * length)
    while position < end and size <= length:
        tag = text.find("<", position, position + 4 * length + 1)
        stop = tag if tag >= 0 else min(end, position + 4 * length + 1)
        words = " ".join(text[position:stop].split())
        if words:
            pieces.append(words)
            size += len(words) + 1
        if tag < 0:
            position = stop
            continue
        close = text.find(">", tag, end)
        if close < 0:
            # No tag closes: the rest is text, "<" and all.
            words = " ".join(text[tag:tag + 4 * length + 1].split())
            if words:
                pieces.append(words)
            break
        position = close + 1
    return " ".join(pieces)[:length].strip()


def _first_text(*values):
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# The longest error code handed on (Reltio's are numbers, Databricks' and OAuth's words such as PERMISSION_DENIED).
MAX_ERROR_CODE_LENGTH = 100


def _error_code(code, redact):
    """An error code, when it is one: a number, or a short masked plain text."""
    if isinstance(code, bool) or not isinstance(code, (int, str)):
        return None
    return redact.shown(code, MAX_ERROR_CODE_LENGTH) if isinstance(code, str) else code


def parse_error_body(answer, redact=None):
    """The service's own message and code in an error answer of any shape (Reltio's, Databricks', an OAuth server's),
    each short and masked by ``redact``; for a body of no such shape, its summary (Answer.summary). Never raises.

    ``answer`` is an Answer (its JSON parsed once), or a body's text or bytes. Returns ``(message, code)``;
    ``message`` is None for an empty body.
    """
    redact = redact if redact is not None else Redactor()
    if not isinstance(answer, Answer):
        answer = Answer(None, None, None, answer if isinstance(answer, (bytes, str)) else b"")
    if not answer.text.strip():
        return None, None
    try:
        data = answer.json()
    except ValueError:
        return answer.summary(redact), None
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return answer.summary(redact), None
    if isinstance(data.get("error"), dict):
        inner = data["error"]
        message = _first_text(inner.get("errorMessage"), inner.get("message"), inner.get("errorDetailMessage"))
        code = _error_code(inner.get("errorCode"), redact)
    else:
        message = _first_text(data.get("errorMessage"), data.get("error_description"), data.get("message"),
                              data.get("error"), data.get("errorDetailMessage"))
        # Reltio's errorCode; Databricks' error_code (a name, or an HTTP status); an OAuth server's error with its
        # description.
        keys = ("errorCode", "error_code", "error") if "error_description" in data else ("errorCode", "error_code")
        code = next((code for code in (_error_code(data.get(key), redact) for key in keys) if code is not None), None)
    return (redact.shown(message, MAX_FIELD_LENGTH) if message else answer.summary(redact)), code


def read_token(answer, redact):
    """A token endpoint's answer, Reltio's or Databricks', read the same way: ``(its JSON object or None, its
    access_token or None)``. A token that looks like one is masked from here on, even one refused later."""
    try:
        data = answer.json()
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    token = data.get("access_token")
    if isinstance(token, str) and 4 <= len(token.strip()) <= MAX_TOKEN_LENGTH:
        # Shorter than 4 it would star out letters of every message; a longer one is refused, never sent nor masked.
        redact.add(token)
        redact.add(token.strip())
    return data, token
