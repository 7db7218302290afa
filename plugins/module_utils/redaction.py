# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Remove secrets from text before anybody sees it.

A server may echo a secret back in another spelling: JSON-escaped (also with Gson's ``\\u003d`` or a
``\\/``), URL-encoded, HTML-escaped (also as numeric entities), inside an HTTP Basic header, in another
character set than the one the body is read in, JSON inside a JSON string, or cut short. Each is masked:
``Redactor.body`` decodes a body by its charset and masks every JSON string of it after decoding it;
``Redactor.__call__`` masks every known spelling, and in a short text (a message) any long piece of a secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import codecs
import functools
import html
import json

from urllib.parse import quote, quote_plus

MASK = "********"

# Characters that Gson, Jackson's HTML-safe mode and other serialisers write as \\uXXXX.
_HTML_SAFE_ESCAPES = ("<", ">", "&", "=", "'")
# How a secret reads when a server wrote it in one of these and the body is read as UTF-8 ...
_OTHER_CHARSETS = ("latin-1", "cp1252", "utf-16-le", "utf-16-be")
# ... and when it was sent as UTF-8 and is read as one of these (an HTTP status line or header).
_MISREAD_AS = ("latin-1", "cp1252")
# A piece of a secret this long (and at least half of it) is masked in a message; a shorter one says too little.
MIN_PIECE = 8
# Texts longer than this (whole bodies) are masked by spelling only; their excerpts are masked again, with pieces.
_PIECES_UP_TO = 65536
# How deep JSON strings holding JSON (or HTML entities) are decoded.
_MAX_NESTING = 4

# Looked up when the module is imported (on the controller, before it forks its workers), so that no worker
# imports these codecs again for its first secret.
for _charset in _OTHER_CHARSETS + _MISREAD_AS + ("utf-8-sig", "utf-16"):
    codecs.lookup(_charset)


def _json_spellings(secret):
    for ensure_ascii in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ensure_ascii)[1:-1]
        yield escaped
        yield escaped.replace("/", "\\/")
        for case in ("%04x", "%04X"):
            safe = escaped
            for char in _HTML_SAFE_ESCAPES:
                safe = safe.replace(char, "\\u" + case % ord(char))
            yield safe


def _plain_spellings(secret):
    yield secret
    yield from _json_spellings(secret)
    yield quote(secret, safe="")
    yield quote_plus(secret, safe="")
    for charset in _OTHER_CHARSETS:
        try:
            misread = secret.encode(charset).decode("utf-8", "replace")
        except UnicodeError:
            continue
        if misread != secret:
            yield misread
    for charset in _MISREAD_AS:
        try:
            misread = secret.encode("utf-8").decode(charset)
        except UnicodeError:
            continue
        if misread != secret:
            yield misread


# The characters that html.escape replaces: a spelling without them is its own HTML spelling.
_HTML_SPECIAL = frozenset("&<>\"'")


def _html_spellings(spelling):
    """How an HTML page (a gateway's error page) that echoes the request would write a spelling."""
    escaped = html.escape(spelling, quote=True)
    return (escaped, html.escape(spelling, quote=False), escaped.replace("&#x27;", "&#39;"))


@functools.lru_cache(maxsize=64)
def _spelling_set(secret):
    """Every spelling of a secret, also as HTML, worked out once per process: each loop item of the controller path
    makes a Redactor for the same few secrets (kept only in this process's memory, like the task's arguments).
    Most spellings of a plain secret are the same text, so each distinct one is escaped once, and only if it must be."""
    spellings = set(_plain_spellings(secret))
    for spelling in [spelling for spelling in spellings if not _HTML_SPECIAL.isdisjoint(spelling)]:
        spellings.update(_html_spellings(spelling))
    spellings.discard("")
    return frozenset(spellings)


def _json_literals(text):
    """``(start, end)`` of each JSON string literal in ``text``, found in one pass (no backtracking)."""
    position, length = 0, len(text)
    while True:
        start = text.find('"', position)
        if start < 0:
            return
        index = start + 1
        while index < length:
            char = text[index]
            if char == "\\":
                index += 2
            elif char == '"' or char < " ":
                break
            else:
                index += 1
        if index < length and text[index] == '"':
            yield start, index + 1
            position = index + 1
        else:
            # Not a literal: nothing from here to where it broke off can start one that ends later.
            position = max(index, start + 1)


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


class Redactor:
    """Knows the secrets of one task and masks every spelling of them."""

    def __init__(self, secrets=()):
        self._secrets = set()
        self._plain = set()
        self._ordered = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if secret and secret not in self._plain:
            self._plain.add(secret)
            self._secrets.update(_spelling_set(secret))
            self._ordered = None

    def add_basic_auth(self, user, password):
        """Also mask the Basic header value made from a client id and secret."""
        if user and password:
            token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
            self._secrets.add(token)
            self._plain.add(token)
            self._ordered = None

    def __call__(self, value):
        """Return ``value`` with every secret masked; dicts and lists are walked."""
        if isinstance(value, dict):
            return dict((key, self(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [self(item) for item in value]
        if not isinstance(value, str) or not self._secrets:
            return value
        if self._ordered is None:
            # Longest first, so that a secret inside another is not half masked.
            self._ordered = sorted(self._secrets, key=len, reverse=True)
        for secret in self._ordered:
            if secret in value:
                value = value.replace(secret, MASK)
        if len(value) <= _PIECES_UP_TO:
            value = self._mask_pieces(value)
        return value

    def _mask_pieces(self, text):
        """Mask each run of MIN_PIECE or more characters (and half or more) of a secret: a cut-off echo."""
        for secret in sorted(self._plain, key=len, reverse=True):
            size = max(MIN_PIECE, (len(secret) + 1) // 2)
            if len(secret) < size:
                continue
            start = 0
            while start + size <= len(secret):
                piece = secret[start:start + size]
                # A piece of mask characters only would be found again in the MASK written for it, for ever.
                found = text.find(piece) if piece.strip(MASK[0]) else -1
                if found < 0:
                    start += 1
                    continue
                # Widen the match as far as the text keeps following the secret, then mask it.
                left, right, piece_start = found, found + size, start
                while left > 0 and piece_start > 0 and text[left - 1] == secret[piece_start - 1]:
                    left -= 1
                    piece_start -= 1
                while right < len(text) and piece_start + (right - left) < len(secret) and \
                        text[right] == secret[piece_start + (right - left)]:
                    right += 1
                text = text[:left] + MASK + text[right:]
        return text

    def body(self, raw, charset=None):
        """The text of an answer's body (bytes), safe to read and to show.

        A JSON body is parsed, masked and written again, so that no escaping of a string hides a
        secret; in any other body each JSON string literal is decoded and masked the same way.
        Strings are also read with HTML entities decoded, and JSON inside a string is decoded too.
        """
        text = decode_body(raw, charset) if isinstance(raw, bytes) else raw
        if not self._secrets or not text:
            return text
        try:
            # Each string masked once decoded; the keys, the answer's schema, stay readable.
            return json.dumps(self._walk(json.loads(text), 0))
        except (ValueError, RecursionError):
            return self._mask_text(text, 0)

    def _walk(self, value, depth):
        if isinstance(value, dict):
            return dict((self._mask_key(key), self._walk(item, depth)) for key, item in value.items())
        if isinstance(value, list):
            return [self._walk(item, depth) for item in value]
        if isinstance(value, str):
            return self._mask_text(value, depth + 1)
        return value

    def _mask_key(self, key):
        """A key is the answer's schema: a secret of a letter or three masked in it would make the answer unreadable,
        so keys are masked for longer secrets only (an echo of the request as a key)."""
        for secret in sorted(self._plain, key=len, reverse=True):
            if len(secret) >= 4 and secret in key:
                key = key.replace(secret, MASK)
        return key

    def _mask_text(self, text, depth):
        """Mask ``text``, its JSON string literals decoded, and its HTML entities decoded."""
        if depth <= _MAX_NESTING:
            pieces, last = [], 0
            for start, end in _json_literals(text):
                literal = text[start:end]
                try:
                    value = json.loads(literal)
                except ValueError:
                    continue
                masked = self._mask_text(value, depth + 1)
                if masked != value:
                    pieces.extend((text[last:start], json.dumps(masked)))
                    last = end
            if pieces:
                text = "".join(pieces) + text[last:]
        masked = self(text)
        if "&" in masked:
            unescaped = html.unescape(masked)
            if unescaped != masked and self(unescaped) != unescaped:
                masked = self(unescaped)
        return masked
