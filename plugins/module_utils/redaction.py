# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Remove every secret of a task from a text before anybody sees it, in any spelling a server may echo it in.

``Redactor.shown`` is the one exit of a server's text toward a person: masked, printable and bounded. How escaped,
encoded and cut-off echoes are found, in linear time: the development guide, "How masking works".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import bisect
import functools
import html
import json
import re
import sys

from urllib.parse import quote, quote_plus

MASK = "********"
# The longest secret a task takes (a token's length is bounded by the client with this): longer ones are masked
# by their spellings only, not by their cut-off pieces, whose automaton grows with the secret.
MAX_SECRET_CHARS = 16384

# How a secret reads when a server wrote it in one of these and the body is read as UTF-8 ...
_OTHER_CHARSETS = ("latin-1", "cp1252", "utf-16-le", "utf-16-be")
# ... and when it was sent as UTF-8 and is read as one of these (an HTTP status line or header).
_MISREAD_AS = ("latin-1", "cp1252")
# A piece of a secret this long (and at least half of it) is masked in a message; a shorter one says too little.
MIN_MASKED_PIECE = 8
# C0 and C1 control characters and DEL: a terminal acts on them (ESC starts a sequence that may clear the screen or
# set the window title). Tabs and line breaks read as a space in a one-line message.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# How many characters past a cut a text is masked before it is cut, per character of the longest secret: an escape
# spells a character in at most 12 (a surrogate pair as two JSON escapes, four percent-escaped UTF-8 bytes).
_REACH_PER_CHAR = 12
# ... and at most this many (a token of MAX_SECRET_CHARS is then masked whole, its escaped echo by its pieces).
_MAX_REACH = 65536
# How many times a text is read again with its escapes decoded (an escape of an escape of an escape).
_LAYERS = 3
# Base64 and hex spellings shorter than this would be found in unrelated text.
_MIN_ENCODED_SPELLING = 8
# Characters next to a base64 run that may still hold bits of the secret.
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")


def _one(text):
    """What an escape that reads as one character (or as ``text``'s characters) decodes to."""
    return [(char, 0, None) for char in text] if text else None


def _json_u(escape):
    code = int(escape[2:6], 16)
    if len(escape) == 12:
        code = 0x10000 + ((code - 0xD800) << 10) + (int(escape[8:12], 16) - 0xDC00)
    return _one(chr(code))


def _code_point(escape):
    code = int(escape[2:], 16)
    return _one(chr(code)) if code <= 0x10FFFF else None


_SIMPLE_ESCAPES = {"\\": "\\", "/": "/", '"': '"', "'": "'", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _percent(run):
    """A run of %XX: each UTF-8 sequence as its character, any other byte as its Latin-1 one (a Latin-1 form)."""
    return _byte_run(bytes(int(run[index + 1:index + 3], 16) for index in range(0, len(run), 3)), 3)


def _octal(run):
    """A run of C octal escapes (\\101), one per byte, read as _percent reads its bytes."""
    return _byte_run(bytes(int(run[index + 1:index + 4], 8) for index in range(0, len(run), 4)), 4)


def _byte_run(data, width):
    """Escaped bytes, each ``width`` characters of the text: each UTF-8 sequence as its character, any other byte as
    its Latin-1 one."""
    chars, index = [], 0
    while index < len(data):
        lead = data[index]
        size = 1 if lead < 0x80 else 2 if 0xC2 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF5 else 0
        try:
            char = data[index:index + size].decode("utf-8") if size else None
        except UnicodeDecodeError:
            char = None
        if char is None or len(char) != 1:
            char, size = chr(lead), 1
        chars.append((char, width * index, width * (index + size)))
        index += size
    return chars


def _numeric_entity(entity):
    digits = entity[2:].rstrip(";")
    code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
    return _one(chr(code)) if code <= 0x10FFFF else None


def _named_entity(entity):
    text = html.unescape(entity)
    return _one(text) if text != entity else None


# One line per escape syntax: its pattern, and what a match reads as ([(char, start, end in the match)], or
# None for not an escape after all). A new spelling of a character is a new line here.
_ESCAPES = (
    (r"\\u(?:[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|[0-9a-fA-F]{4})", _json_u),  # JSON, Java, JS
    (r"\\U[0-9a-fA-F]{8}|\\x[0-9a-fA-F]{2}", _code_point),  # Python repr
    (r"\\[\\/\"'bfnrt]", lambda escape: _one(_SIMPLE_ESCAPES[escape[1]])),  # JSON and Python
    (r"%u[0-9a-fA-F]{4}", _code_point),  # JavaScript's escape(), IIS
    (r"(?:%[0-9a-fA-F]{2})+", _percent),  # URLs and forms
    (r"(?:\\[0-3][0-7]{2})+", _octal),  # C and shell octal escapes of bytes
    (r"&#(?:[0-9]{1,8}|[xX][0-9a-fA-F]{1,8});?", _numeric_entity),  # HTML and XML
    (r"&[A-Za-z][A-Za-z0-9]{1,31};", _named_entity),
)
_ESCAPE = re.compile("|".join("(%s)" % pattern for pattern, _reader in _ESCAPES))
_NOT_SPACE = re.compile(r"\S+")


class _Reading:
    """A text read with its escapes decoded once: the decoded text, and where each of its characters came from.

    ``segments`` are ``(decoded start, start, end, escaped)``: a plain run maps character for character, an
    escape's character maps to the whole escape."""

    def __init__(self, text, segments):
        self.text = text
        self._decoded_starts = [segment[0] for segment in segments]
        self._segments = segments

    def _segment(self, index):
        return self._segments[bisect.bisect_right(self._decoded_starts, index) - 1]

    def span(self, start, end):
        """Where ``text[start:end]`` was in the text this reading was made of."""
        first, last = self._segment(start), self._segment(end - 1)
        begin = first[1] if first[3] else first[1] + start - first[0]
        finish = last[2] if last[3] else last[1] + end - last[0]
        return begin, finish


def _without_spaces(text):
    """The text's _Reading without its white space; None for a text without any."""
    segments, pieces, decoded = [], [], 0
    for match in _NOT_SPACE.finditer(text):
        segments.append((decoded, match.start(), match.end(), False))
        pieces.append(match.group())
        decoded += match.end() - match.start()
    if len(segments) < 2:
        return None
    return _Reading("".join(pieces), segments)


def _unescaped(text):
    """The text's _Reading with every escape decoded, in one pass; None for a text without escapes."""
    pieces, segments, position, decoded = [], [], 0, 0
    for match in _ESCAPE.finditer(text):
        chars = _ESCAPES[match.lastindex - 1][1](match.group())
        if not chars:
            continue
        start = match.start()
        if start > position:
            pieces.append(text[position:start])
            segments.append((decoded, position, start, False))
            decoded += start - position
        for char, begin, end in chars:
            pieces.append(char)
            segments.append((decoded, start + begin, match.end() if end is None else start + end, True))
            decoded += 1
        position = match.end()
    if not segments:
        return None
    if position < len(text):
        pieces.append(text[position:])
        segments.append((decoded, position, len(text), False))
    return _Reading("".join(pieces), segments)


if sys.version_info >= (3, 10):
    def _starts(text, needle):
        """Each non-overlapping occurrence of ``needle``. CPython 3.10+ finds a needle in O(len(text)) whatever
        the needle (two-way search once a naive one would do too much)."""
        index = text.find(needle)
        while index >= 0:
            yield index
            index = text.find(needle, index + len(needle))
else:
    @functools.lru_cache(maxsize=256)
    def _literal(needle):
        return re.compile(re.escape(needle))

    def _starts(text, needle):
        """Each non-overlapping occurrence of ``needle``: older CPython's str.find may take O(len(text) * len(needle)),
        a literal pattern of ``re`` is searched with a prefix table (Knuth-Morris-Pratt), in O(len(text))."""
        for match in _literal(needle).finditer(text):
            yield match.start()


def _base64_runs(data):
    """The base64 characters that any base64 of a text holding ``data`` holds, for each of the three byte offsets
    (modulo 3) ``data`` may have in that text: those made only of bits of ``data``."""
    runs = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data + b"\0\0").decode("ascii")
        first, end = -(-8 * offset // 6), 8 * (offset + len(data)) // 6
        run = encoded[first:end]
        if len(run) >= _MIN_ENCODED_SPELLING:
            runs.update((run, run.replace("+", "-").replace("/", "_")))
    return runs


@functools.lru_cache(maxsize=64)
def _spellings(secret):
    """``(spelling, is base64)`` of the spellings of a secret that decoding escapes cannot reach, worked out once per
    process: each loop item of the controller path makes a Redactor for the same few secrets."""
    plain = {secret, secret.lower(), secret.upper(), secret.replace(" ", "+")}
    # A secret holding what reads as an escape (a literal %41) reads so in an echo too, where it is not escaped.
    reading = _unescaped(secret)
    for _layer in range(_LAYERS):
        if reading is None:
            break
        plain.add(reading.text)
        reading = _unescaped(reading.text)
    for charset in _OTHER_CHARSETS:
        try:
            plain.add(secret.encode(charset).decode("utf-8", "replace"))
        except UnicodeError:
            pass
    for charset in _MISREAD_AS:
        try:
            plain.add(secret.encode("utf-8").decode(charset))
        except UnicodeError:
            pass
    runs = set()
    for data in _as_sent(secret):
        if 2 * len(data) >= _MIN_ENCODED_SPELLING:
            plain.update((data.hex(), data.hex().upper()))
        runs.update(_base64_runs(data))
    plain.discard("")
    return tuple((spelling, False) for spelling in sorted(plain)) + tuple((run, True) for run in sorted(runs))


def _as_sent(secret):
    """The bytes of a secret as a request body holds it (JSON, a form; UTF-8, or UTF-16 as a .NET gateway echoes it),
    for base64 and hex of a whole body."""
    sent = [text.encode("utf-8", "surrogatepass") for text in (
        secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], quote(secret, safe=""),
        quote_plus(secret, safe=""))]
    return sent + [secret.encode(charset, "surrogatepass") for charset in ("utf-16-le", "utf-16-be")]


@functools.lru_cache(maxsize=64)
def _encoded_forms(secret):
    """The hex (either case) and base64 runs of a secret as sent in UTF-8: a cut-off echo of one is a piece of it."""
    data = secret.encode("utf-8", "surrogatepass")
    return (data.hex(), data.hex().upper()) + tuple(sorted(_base64_runs(data)))


class _Pieces:
    """Finds each run of ``size`` (MIN_MASKED_PIECE, or half the secret if longer) or more characters of one secret in
    a text, in linear time: anchors, then a suffix automaton (the development guide, "How masking works")."""

    def __init__(self, secret):
        self.size = max(MIN_MASKED_PIECE, (len(secret) + 1) // 2)
        step = self.size - MIN_MASKED_PIECE + 1
        self.anchors = frozenset(secret[start:start + MIN_MASKED_PIECE] for start in range(0, len(secret) - MIN_MASKED_PIECE + 1, step))
        self._secret = secret
        self._automaton = None

    def _built(self):
        if self._automaton is None:
            moves, links, lengths, last = [{}], [-1], [0], 0
            for char in self._secret:
                state = len(moves)
                moves.append({})
                lengths.append(lengths[last] + 1)
                links.append(0)
                known = last
                while known != -1 and char not in moves[known]:
                    moves[known][char] = state
                    known = links[known]
                if known != -1:
                    follower = moves[known][char]
                    if lengths[known] + 1 == lengths[follower]:
                        links[state] = follower
                    else:
                        clone = len(moves)
                        moves.append(dict(moves[follower]))
                        lengths.append(lengths[known] + 1)
                        links.append(links[follower])
                        while known != -1 and moves[known].get(char) == follower:
                            moves[known][char] = clone
                            known = links[known]
                        links[follower] = links[state] = clone
                last = state
            self._automaton = moves, links, lengths
        return self._automaton

    def spans(self, text):
        """``[start, end]`` of each run, merged where they overlap."""
        if not any(anchor in text for anchor in self.anchors):
            return []
        moves, links, lengths = self._built()
        spans, state, length = [], 0, 0
        for index, char in enumerate(text):
            while state and char not in moves[state]:
                state = links[state]
                length = lengths[state]
            follower = moves[state].get(char)
            if follower is None:
                state = length = 0
                continue
            state, length = follower, length + 1
            if length >= self.size:
                start = index + 1 - length
                if spans and start <= spans[-1][1]:
                    spans[-1][1] = index + 1
                else:
                    spans.append([start, index + 1])
        return spans


@functools.lru_cache(maxsize=64)
def _pieces(secret):
    return _Pieces(secret) if MIN_MASKED_PIECE <= len(secret) <= MAX_SECRET_CHARS else None


def printable(text, limit=None):
    """Text from a server as it may reach a message or a result: every control character shown as its escape
    (tabs and line breaks as a space), and at most ``limit`` characters. Mask secrets before calling this."""
    text = _CONTROL.sub(lambda match: " " if match.group(0) in "\t\n\r" else "\\x%02x" % ord(match.group(0)), text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _masked(text, spans):
    """``text`` with each span (merged where they touch) replaced by MASK."""
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in sorted(spans):
        if end <= position:
            continue
        if start > position:
            pieces.extend((text[position:start], MASK))
        elif not pieces:
            pieces.append(MASK)
        position = end
    return "".join(pieces) + text[position:]


class _Matcher:
    """The spellings and the pieces of some secrets, gathered once for every text a Redactor masks."""

    def __init__(self, secrets):
        self.spellings = [spelling for secret in secrets for spelling in _spellings(secret)]
        forms = list(secrets) + [form for secret in secrets for form in _encoded_forms(secret)]
        self.pieces = [piece for piece in (_pieces(form) for form in forms) if piece]
        # A reading shorter than this holds nothing to mask; decoding never makes a text longer.
        self.shortest = min([len(spelling) for spelling, _is_base64 in self.spellings] + [piece.size for piece in self.pieces])

    def spans(self, text):
        """Where in ``text`` any spelling or piece is.

        Cost, for a text of n characters: at most 2 * (_LAYERS + 1) readings (of the text, and of it without its
        white space), each made in one pass of a regular expression
        whose every alternative is a fixed prefix and a bounded count of characters (O(n)); in each, every spelling
        (a fixed number per secret) found in O(n) (see _starts), and the pieces in O(n) (see _Pieces). So
        O(n * number of secrets), with no term in the secrets' length but that of building their spellings once.
        """
        spans = self._spans(text, [])
        # The text without its white space: a base64 wrapped in lines (MIME), a hex dump with spaces, a token broken
        # over lines.
        joined = _without_spaces(text)
        if joined is not None:
            spans.extend(self._spans(joined.text, [joined], widen=False))
        return spans

    def _spans(self, reading, readings, widen=True):
        """The spans of every spelling and piece in ``reading`` and its decoded readings, as spans of the text that
        ``readings`` (each a _Reading of the one before) were made of. ``widen``: a base64 run takes its neighbours
        too (not across white space taken out, where they are another word's)."""
        spans, decodings = [], 0
        while len(reading) >= self.shortest:
            for spelling, is_base64 in self.spellings:
                for start in _starts(reading, spelling):
                    end = start + len(spelling)
                    if is_base64 and widen:
                        start, end = _with_base64_neighbours(reading, start, end)
                    spans.append(_original(readings, start, end))
            for piece in self.pieces:
                spans.extend(_original(readings, start, end) for start, end in piece.spans(reading))
            decoded = _unescaped(reading) if decodings < _LAYERS else None
            if decoded is None:
                break
            decodings += 1
            readings = readings + [decoded]
            reading = decoded.text
        return spans


class Redactor:
    """Knows the secrets of one task and masks every spelling of them."""

    def __init__(self, secrets=()):
        self._plain = []
        self._extra = []
        self._matcher_of_all = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if secret is None or isinstance(secret, bool):
            return
        secret = secret if isinstance(secret, str) else str(secret)
        if secret and secret not in self._plain:
            self._plain.append(secret)
            self._matcher_of_all = None

    def add_basic_auth(self, user, password):
        """Also mask the Basic header value made from a client id and secret."""
        if user and password:
            token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
            if token not in self._extra:
                self._extra.append(token)
                self._matcher_of_all = None

    def _matcher(self):
        if self._matcher_of_all is None and (self._plain or self._extra):
            self._matcher_of_all = _Matcher(self._plain + self._extra)
        return self._matcher_of_all

    @property
    def reach(self):
        """How far past a cut a text must be read so that a secret across the cut is masked whole (see ``shown``)."""
        longest = max([len(secret) for secret in self._plain + self._extra] or [0])
        return min(_REACH_PER_CHAR * longest, _MAX_REACH)

    def __call__(self, value):
        """Return ``value`` with every secret masked; dicts and lists are walked. Meant for short texts (messages)."""
        if isinstance(value, dict):
            return dict((key, self(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [self(item) for item in value]
        if not isinstance(value, str):
            return value
        matcher = self._matcher()
        return _masked(value, matcher.spans(value)) if matcher else value

    def shown(self, text, limit):
        """The exit of a server's text toward a person: masked, printable (control characters escaped) and at most ``limit``
        characters. It is masked before it is cut, ``reach`` characters past the cut, so no cut leaves a piece of a
        secret that masking would not know as one."""
        if not isinstance(text, str):
            return None
        return printable(self(text[:limit + self.reach + 1]), limit)


def _with_base64_neighbours(text, start, end):
    """A base64 run widened by the characters next to it that hold bits of the secret too, and its padding."""
    for _neighbour in range(2):
        if start > 0 and text[start - 1] in _BASE64_CHARS:
            start -= 1
    for _neighbour in range(2):
        if end < len(text) and text[end] in _BASE64_CHARS:
            end += 1
    for _padding in range(2):
        if end < len(text) and text[end] == "=":
            end += 1
    return start, end


def _original(readings, start, end):
    """A span of the last reading as a span of the text they were all made of."""
    for reading in reversed(readings):
        start, end = reading.span(start, end)
    return start, end
