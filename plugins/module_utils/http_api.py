# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the Reltio and Databricks adapters share: the call and answer types, bearer auth, error bodies, the token rule.

Both adapters (client.py for Reltio, databricks_workspace.py for Databricks) import this file and transport.py,
never each other.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import math
import re
from urllib.parse import quote

from ansible_collections.reltio.platform.plugins.module_utils.redaction import MAX_SECRET_CHARS

EXCERPT_LENGTH = 200
# What an access token may hold: visible ASCII, no spaces (RFC 6750 b64token and the usual JWT/opaque forms).
_TOKEN = re.compile(r"[\x21-\x7e]+")
# A shorter "token" would be masked wherever its letters appear, and is no token of an OAuth server.
MIN_TOKEN_LENGTH = 8
# Real Reltio and Databricks tokens are under 4 KiB; a longer one is refused: the longest secret that masking takes
# whole, cut-off pieces included (redaction.py).
MAX_TOKEN_LENGTH = MAX_SECRET_CHARS
# The deepest JSON an answer may hold; Reltio's and Databricks' answers are three or four levels deep.
MAX_JSON_DEPTH = 32
# The longest text copied from an answer into a result field (a message, a name).
MAX_FIELD_LENGTH = 1000
# C0 and C1 control characters and DEL: a terminal acts on them (ESC starts a sequence that may clear the screen or
# set the window title). Tabs and line breaks read as a space in a one-line message.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_URL_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]+)")
_HTML_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


class Call:
    """What one request is for, so that its errors are made once and say it.

    ``what`` reads "while <what>"; ``changes`` is the sentence to add when the request may have been carried out
    although no usable answer came back (None for a request that changes nothing); ``option`` names the option whose
    URL the request goes to (``auth_url``...), for the messages of a host that cannot be reached; ``not_found`` is
    the advice for an HTTP 404 of a request about one thing (a connection), instead of a wrong tenant or platform.
    """

    def __init__(self, what, changes=None, secret_answer=False, option=None, not_found=None):
        self.what = what
        # What an HTTP 404 means for this request, when it is not that the tenant or the platform is wrong.
        self.not_found = not_found
        self.changes = changes
        # The answer carries a new secret (a token endpoint's): its JSON is kept for the caller to take the
        # secret from, before the masked text hides it. Nothing of it is ever shown.
        self.secret_answer = secret_answer
        self.option = option


class Answer:
    """An HTTP answer as the rest of the collection sees it: status, reason, Location and text, all masked.

    ``secret_json``: for a Call with ``secret_answer``, the body's JSON before masking (never to be shown).
    """

    def __init__(self, status, reason, headers, text, retried_after_possible_commit=False, secret_json=None):
        self.status = status
        self.reason = reason or ""
        self.headers = headers
        self.text = text
        self.retried_after_possible_commit = retried_after_possible_commit
        self.secret_json = secret_json

    @property
    def status_text(self):
        return ("%s %s" % (self.status, self.reason)).strip()

    def json(self):
        """The body as JSON; raises ValueError when it is not, or is nested deeper than MAX_JSON_DEPTH."""
        return load_json(self.text)

    @property
    def location_host(self):
        """The host a redirect points at, or None."""
        location = self.headers.get("Location") if self.headers else None
        return host_of(location) if location else None


class BearerAuth:
    """Sends the token as ``Authorization: Bearer``; being set, it also keeps requests from reading ~/.netrc."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer %s" % self.token
        return request


def load_json(text):
    """JSON of an answer: ValueError when it is not JSON or is nested deeper than MAX_JSON_DEPTH (a 500-deep array
    would fail later, where a recursion error says nothing)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deep")
    containers, depth = [data], 0
    while True:
        containers = [value for value in containers if isinstance(value, (dict, list))]
        if not containers:
            return data
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise ValueError("JSON nested deeper than %d levels" % MAX_JSON_DEPTH)
        containers = [child for value in containers for child in (value.values() if isinstance(value, dict) else value)]


def plain_text(text, limit=None):
    """Text from a server as it may reach a message or a result: every control character shown as its escape
    (tabs and line breaks as a space), and at most ``limit`` characters. Mask secrets before calling this."""
    text = _CONTROL.sub(lambda match: " " if match.group(0) in "\t\n\r" else "\\x%02x" % ord(match.group(0)), text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def answer_value(value):
    """A value copied from an answer into the result: plain bounded text, a number, a boolean or None. A list, an
    object or anything else a server sends there is None: a key or a list of a server never reaches the result."""
    if isinstance(value, str):
        return plain_text(value, MAX_FIELD_LENGTH)
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


def text_excerpt(text, length=EXCERPT_LENGTH):
    """A short one-line excerpt of a body that is not JSON (an HTML gateway page, say)."""
    text = _SPACES.sub(" ", _HTML_TAG.sub(" ", text)).strip()
    if len(text) > length:
        text = text[: length - 3].rstrip() + "..."
    return text


def _first_text(*values):
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# The longest error code handed on (Reltio's are numbers, Databricks' and OAuth's words such as PERMISSION_DENIED).
MAX_ERROR_CODE_LENGTH = 100


def _error_code(code):
    """An error code, when it is one: a number, or a short plain text (see plain_text)."""
    if isinstance(code, bool) or not isinstance(code, (int, str)):
        return None
    return plain_text(code, MAX_ERROR_CODE_LENGTH) if isinstance(code, str) else code


def parse_error_body(body):
    """Find the message and code in an error body of any shape (Reltio's, Databricks', an OAuth server's). Never raises.

    Returns ``(message, code)``; ``message`` is None for an empty body.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return None, None
    try:
        data = load_json(body)
    except ValueError:
        return text_excerpt(body), None
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return text_excerpt(body), None
    if isinstance(data.get("error"), dict):
        inner = data["error"]
        message = _first_text(inner.get("errorMessage"), inner.get("message"), inner.get("errorDetailMessage"))
        return message or text_excerpt(body), _error_code(inner.get("errorCode"))
    message = _first_text(
        data.get("errorMessage"),
        data.get("error_description"),
        data.get("message"),
        data.get("error"),
        data.get("errorDetailMessage"),
    )
    # Reltio's errorCode; Databricks' error_code (a name, or an HTTP status); an OAuth server's error with its description.
    keys = ("errorCode", "error_code", "error") if "error_description" in data else ("errorCode", "error_code")
    code = next((_error_code(data[key]) for key in keys if _error_code(data.get(key)) is not None), None)
    return message or text_excerpt(body), code
