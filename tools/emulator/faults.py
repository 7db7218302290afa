# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scripted faults: the rules of ``/_emulator/faults`` and the answers they send instead of the real ones."""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import json
import zlib
from collections.abc import Iterator

from .wire import (
    ApiRequest,
    Reply,
    StreamedBody,
    api_error,
    basic_credentials,
    checked_settings,
    databricks_error_body,
    error_reply,
    is_header_value,
    is_int,
    is_number,
    is_pause,
    json_reply,
    native_error_body,
    status_phrase,
)

# The Reltio API's endpoints, then the Databricks workspace's (the token and warehouse endpoints).
RELTIO_ENDPOINTS = ('token', 'create', 'credentials', 'test')
WORKSPACE_ENDPOINTS = ('dbx_token', 'warehouse')
FAULT_ENDPOINTS = RELTIO_ENDPOINTS + WORKSPACE_ENDPOINTS + ('any',)
# Endpoints whose request carries client credentials (HTTP Basic) and a form body.
TOKEN_ENDPOINTS = ('token', 'dbx_token')
FAULT_BODIES = ('json', 'html', 'text', 'truncated', 'garbage', 'deep', 'empty', 'token', 'huge', 'gzip',
                'dbx', 'dbx_int_code')
ECHO_STYLES = ('plain', 'gson', 'latin1', 'base64', 'hex', 'escaped', 'mime', 'hexdump', 'utf16', 'octal')
# The bodies an echo style other than plain may be given: it decides the serialisation itself.
STYLED_BODIES = ('json', 'text')
DEEP_NESTING = 100000
TRICKLE_CHUNK = 16
STREAM_CHUNK = 64 * 1024
DEFAULT_BAD_TOKEN = 'ABC123\n'
DEFAULT_HUGE_SIZE = 200 * 1024 * 1024
MAX_HUGE_SIZE = 16 * 1024 * 1024 * 1024
MAX_HEADER_COUNT = 100000
HUGE_PREFIX = b'{"errorMessage": "'
HUGE_SUFFIX = b'"}'
# Google Gson's default HtmlSafe escapes, on top of JSON's.
GSON_ESCAPES = {char: '\\u%04x' % ord(char) for char in "<>&='"}
BAD_TOKEN_TTL = 3600

FAULT_CHECKS = {
    'endpoint': lambda value: value in FAULT_ENDPOINTS,
    'tenant': lambda value: value is None or isinstance(value, str),
    'status': lambda value: value is None or (is_int(value) and 100 <= value <= 599),
    'body': lambda value: value in FAULT_BODIES,
    'message': lambda value: isinstance(value, str),
    'retry_after': lambda value: value is None or is_int(value) or isinstance(value, str),
    'delay': lambda value: is_number(value) and value >= 0,
    'count': lambda value: is_int(value) and value >= -1,
    'after_commit': lambda value: isinstance(value, bool),
    'reset': lambda value: isinstance(value, bool),
    'echo': lambda value: isinstance(value, bool),
    'trickle': lambda value: is_number(value) and value >= 0,
    'kind': lambda value: isinstance(value, str) and 0 < len(value) <= 64,
    'location': lambda value: value is None or is_header_value(value),
    'echo_style': lambda value: value in ECHO_STYLES,
    'token': lambda value: True,
    'header_drip': lambda value: value is None or is_pause(value),
    'header_count': lambda value: is_int(value) and 1 <= value <= MAX_HEADER_COUNT,
    'size': lambda value: is_int(value) and 0 <= value <= MAX_HUGE_SIZE,
    'error_code': lambda value: value is None or (isinstance(value, str) and bool(value.strip())),
}


@dataclasses.dataclass
class FaultRule:
    """One injected fault; ``status`` None means "only delay (or trickle, or drip), then answer normally".

    Order of events: with ``after_commit`` the real operation runs first; then ``delay``; then
    the answer (the fault's, or the real one when ``status`` is None) is sent, its headers
    ``header_drip`` seconds apart and ``trickle`` seconds between pieces of its body, or the
    connection is reset. The other fields are described in the package docstring.
    """

    endpoint: str = 'any'
    tenant: str | None = None
    status: int | None = 503
    body: str = 'json'
    message: str = 'Injected fault'
    retry_after: int | str | None = None
    delay: float = 0
    count: int = 1
    after_commit: bool = False
    reset: bool = False
    echo: bool = False
    trickle: float = 0
    kind: str = 'rule'
    location: str | None = None
    echo_style: str = 'plain'
    token: object = DEFAULT_BAD_TOKEN
    header_drip: float | None = None
    header_count: int = 20
    size: int = DEFAULT_HUGE_SIZE
    error_code: str | None = None

    @classmethod
    def from_spec(cls, spec) -> FaultRule:
        """Build a rule from its JSON form; a delay, trickle or drip without a status only slows the real answer."""
        settings = checked_settings(spec, FAULT_CHECKS, 'fault rule')
        slows = settings.get('delay') or settings.get('trickle') or settings.get('header_drip') is not None
        if 'status' not in settings and slows and not settings.get('reset'):
            settings['status'] = None
        rule = cls(**settings)
        rule.check_combination(settings)
        return rule

    def check_combination(self, given: dict) -> None:
        """Raise a 400 for settings that contradict each other or a setting that would do nothing."""
        problem = None
        if self.location is not None and self.status is None:
            problem = 'location needs a status'
        elif self.echo_style != 'plain' and self.body not in STYLED_BODIES:
            problem = f'echo_style {self.echo_style} decides the body itself: give body json, text or none'
        elif 'token' in given and self.body != 'token':
            problem = 'token needs body "token"'
        elif 'size' in given and self.body not in ('huge', 'gzip'):
            problem = 'size needs body "huge" or "gzip"'
        elif 'header_count' in given and self.header_drip is None:
            problem = 'header_count needs header_drip'
        elif self.error_code is not None and self.body != 'dbx':
            problem = 'error_code needs body "dbx"'
        if problem:
            raise api_error(400, f'Invalid fault rule: {problem}')

    def matches(self, endpoint: str, tenant: str | None) -> bool:
        """True when the rule has count left and applies to this request."""
        return (self.count != 0 and self.endpoint in ('any', endpoint)
                and (self.tenant is None or self.tenant == tenant))

    def describe(self) -> str:
        """Short description for the request log."""
        body = self.body if self.echo_style == 'plain' else f'{self.echo_style}-{self.body}'
        action = 'reset' if self.reset else (f'status={self.status} body={body}' if self.status else 'delay-only')
        tenant = f' tenant={self.tenant}' if self.tenant is not None else ''
        trickle = f' trickle={self.trickle}' if self.trickle else ''
        drip = f' header_drip={self.header_drip}x{self.header_count}' if self.header_drip is not None else ''
        return (f'kind={self.kind} endpoint={self.endpoint}{tenant} {action} delay={self.delay}{trickle}{drip}'
                f' after_commit={self.after_commit}')


# --------------------------------------------------------------------------- fault bodies

def echoed_text(raw_body: bytes, request: ApiRequest | None) -> str:
    """The request as a server that parsed it echoes it (echo styles other than plain).

    A JSON body re-dumped with its non-ASCII characters literal; for a token endpoint the form text,
    a space and the decoded HTTP Basic ``client_id:client_secret``; anything else as UTF-8 text.
    """
    text = raw_body.decode('utf-8', 'replace')
    if request is not None and request.route.endpoint in TOKEN_ENDPOINTS:
        credentials = basic_credentials(request.headers.get('Authorization'))
        return text if credentials is None else f'{text} {credentials[0]}:{credentials[1]}'
    try:
        return json.dumps(json.loads(raw_body), ensure_ascii=False)
    except (ValueError, RecursionError):
        return text


def gson_bytes(payload) -> bytes:
    """``payload`` serialised as Google Gson does by default: compact, ASCII only, HTML-safe escapes."""
    text = json.dumps(payload, separators=(',', ':'))  # ensure_ascii: non-ASCII as lowercase \uXXXX
    for char, escape in GSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text.encode('ascii')


def huge_chunks(size: int) -> Iterator[bytes]:
    """The pieces of a JSON-looking error body of exactly ``size`` bytes, never all in memory."""
    if size < len(HUGE_PREFIX) + len(HUGE_SUFFIX):
        yield HUGE_PREFIX[:size]
        return
    yield HUGE_PREFIX
    filler = b'x' * STREAM_CHUNK
    left = size - len(HUGE_PREFIX) - len(HUGE_SUFFIX)
    while left > 0:
        piece = filler[:min(left, STREAM_CHUNK)]
        yield piece
        left -= len(piece)
    yield HUGE_SUFFIX


@functools.lru_cache(maxsize=8)
def gzipped_spaces(size: int) -> bytes:
    """``size`` spaces gzip-compressed one chunk at a time (cached: each size is compressed once)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b' ' * (16 * STREAM_CHUNK)
    parts = [compressor.compress(chunk[:min(len(chunk), size - start)]) for start in range(0, size, len(chunk))]
    parts.append(compressor.flush())
    return b''.join(parts)


@dataclasses.dataclass
class FaultAnswer:
    """What every fault body is built from (``endpoint``: the endpoint the request went to)."""

    rule: FaultRule
    status: int
    message: str
    headers: dict
    real: Reply | None
    endpoint: str = 'any'


def _json_body(answer: FaultAnswer) -> Reply:
    # The error shape of the server asked: Reltio's, Databricks' (warehouse) or OAuth's (workspace token).
    if answer.endpoint in WORKSPACE_ENDPOINTS:
        return json_reply(answer.status, native_error_body(answer.endpoint, answer.status, answer.message), answer.headers)
    return error_reply(answer.status, answer.message, headers=answer.headers)


def _html_body(answer: FaultAnswer) -> Reply:
    title = html.escape(f'{answer.status} {status_phrase(answer.status)}')
    page = (f'<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{html.escape(answer.message)}</p>'
            '<hr><center>gateway</center></body></html>\n')
    return Reply(answer.status, page.encode('utf-8'), 'text/html; charset=utf-8', answer.headers)


def _text_body(answer: FaultAnswer) -> Reply:
    return Reply(answer.status, answer.message.encode('utf-8'), 'text/plain; charset=utf-8', answer.headers)


def _garbage_body(answer: FaultAnswer) -> Reply:
    # Not UTF-8, not JSON, yet labelled JSON.
    body = b'\xff\xfe\x00{"errorMessage": \x9c' + answer.message.encode('utf-8') + b'\x80\xc3('
    return Reply(answer.status, body, 'application/json', answer.headers)


def _deep_body(answer: FaultAnswer) -> Reply:
    return Reply(answer.status, b'[' * DEEP_NESTING + b']' * DEEP_NESTING, 'application/json', answer.headers)


def _truncated_body(answer: FaultAnswer) -> Reply:
    real = answer.real
    if real is not None and real.body:
        full = real.body
    else:
        full = json.dumps(native_error_body(answer.endpoint, answer.status, answer.message)).encode('utf-8')
    return Reply(answer.status, full[:len(full) // 2], 'application/json', answer.headers)


def _empty_body(answer: FaultAnswer) -> Reply:
    return Reply(answer.status, b'', None, answer.headers)


def _token_body(answer: FaultAnswer) -> Reply:
    payload = {'access_token': answer.rule.token, 'token_type': 'bearer', 'expires_in': BAD_TOKEN_TTL}
    return json_reply(answer.status, payload, answer.headers)


def _huge_body(answer: FaultAnswer) -> Reply:
    size = answer.rule.size
    return Reply(answer.status, b'', 'application/json', answer.headers, StreamedBody(size, functools.partial(huge_chunks, size)))


def _gzip_body(answer: FaultAnswer) -> Reply:
    headers = {**answer.headers, 'Content-Encoding': 'gzip'}
    return Reply(answer.status, gzipped_spaces(answer.rule.size), 'application/json', headers)


def _dbx_body(answer: FaultAnswer) -> Reply:
    return json_reply(answer.status, databricks_error_body(answer.status, answer.message, answer.rule.error_code), answer.headers)


def _dbx_int_code_body(answer: FaultAnswer) -> Reply:
    # The shape of some older Databricks endpoints: the HTTP status as an integer error_code.
    return json_reply(answer.status, databricks_error_body(answer.status, answer.message, answer.status), answer.headers)


def _gson_body(answer: FaultAnswer) -> Reply:
    return Reply(answer.status, gson_bytes(native_error_body(answer.endpoint, answer.status, answer.message)),
                 'application/json', answer.headers)


def _latin1_body(answer: FaultAnswer) -> Reply:
    return Reply(answer.status, answer.message.encode('latin-1', 'replace'), 'text/plain; charset=ISO-8859-1', answer.headers)


FAULT_BODY_BUILDERS = {
    'json': _json_body, 'html': _html_body, 'text': _text_body, 'garbage': _garbage_body, 'deep': _deep_body,
    'truncated': _truncated_body, 'empty': _empty_body, 'token': _token_body, 'huge': _huge_body, 'gzip': _gzip_body,
    'dbx': _dbx_body, 'dbx_int_code': _dbx_int_code_body,
}
# Echo styles that spell the raw request body as a gateway does (an AWS Lambda's ``event.body``), in the body ``body`` says.
# mime: base64 in lines of 76; hexdump: hex bytes apart; utf16: base64 of the body read as UTF-8 and sent as UTF-16
# (a .NET gateway); octal: C escapes of every byte.
ENCODED_ECHOES = {'base64': lambda raw: base64.b64encode(raw).decode('ascii'), 'hex': lambda raw: raw.hex(),
                  'escaped': lambda raw: escaped_echo(raw.decode('utf-8', 'replace')),
                  'mime': lambda raw: base64.encodebytes(raw).decode('ascii'),
                  'hexdump': lambda raw: ' '.join('%02X' % byte for byte in raw),
                  'utf16': lambda raw: base64.b64encode(raw.decode('utf-8', 'replace').encode('utf-16-le')).decode('ascii'),
                  'octal': lambda raw: ''.join('\\%03o' % byte for byte in raw)}
# The escapes of the escaped echo, taken in turn, hex digits in upper case: a serialiser no list of spellings holds.
CHARACTER_ESCAPES = (
    lambda char: '\\u%04X' % ord(char) if ord(char) < 0x10000 else char,
    lambda char: ''.join('%%%02X' % byte for byte in char.encode('utf-8')),
    lambda char: '&#X%X;' % ord(char),
    lambda char: char,
)


def escaped_echo(text: str) -> str:
    """``text`` with each character spelt by the next of CHARACTER_ESCAPES."""
    return ''.join(CHARACTER_ESCAPES[index % len(CHARACTER_ESCAPES)](char) for index, char in enumerate(text))


# Echo styles other than plain decide the body whatever ``body`` says (json or text).
ECHO_STYLE_BUILDERS = {'gson': _gson_body, 'latin1': _latin1_body}


def fault_reply(rule: FaultRule, raw_body: bytes, real: Reply | None = None, request: ApiRequest | None = None) -> Reply:
    """The answer a fault rule sends instead of the real one (``real``, when it ran: after_commit).

    ``request``, when given, decides the error shape of body json (the server's own: Reltio's, Databricks'
    or OAuth's) and lets the gson and latin1 echoes show a token endpoint's Basic credentials.
    """
    message = rule.message
    if rule.echo:
        echoed = ENCODED_ECHOES[rule.echo_style](raw_body) if rule.echo_style in ENCODED_ECHOES else \
            raw_body.decode('utf-8', 'replace') if rule.echo_style == 'plain' else echoed_text(raw_body, request)
        message = f'{message}: {echoed}'
    headers = {} if rule.retry_after is None else {'Retry-After': str(rule.retry_after)}
    if rule.location is not None:
        headers['Location'] = rule.location
    endpoint = request.route.endpoint if request is not None else rule.endpoint
    build = ECHO_STYLE_BUILDERS.get(rule.echo_style) or FAULT_BODY_BUILDERS[rule.body]
    return build(FaultAnswer(rule, rule.status, message, headers, real, endpoint))
