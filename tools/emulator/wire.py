# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wire format: answers, the error shapes of Reltio, Databricks and OAuth, requests and their parsing."""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import json
import math
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from http import HTTPStatus
from urllib.parse import urlsplit

MAX_BODY_BYTES = 10 * 1024 * 1024
NOT_JSON = 'Request body is not valid JSON'
MAX_PAUSE = 3600
REDACTED = '***'

# Databricks' ``error_code`` for an HTTP status (https://docs.databricks.com/api: "Error codes").
DATABRICKS_ERROR_CODES = {
    400: 'INVALID_PARAMETER_VALUE',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'RESOURCE_DOES_NOT_EXIST',
    409: 'RESOURCE_CONFLICT',
    429: 'REQUEST_LIMIT_EXCEEDED',
    499: 'CANCELLED',
    500: 'INTERNAL_ERROR',
    501: 'NOT_IMPLEMENTED',
    503: 'TEMPORARILY_UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
}
DEFAULT_DATABRICKS_ERROR_CODE = 'INTERNAL_ERROR'


# --------------------------------------------------------------------------- replies and errors

@dataclasses.dataclass
class StreamedBody:
    """A body too big to hold: its length and a function that yields its pieces."""

    length: int
    chunks: Callable[[], Iterator[bytes]]


@dataclasses.dataclass
class Reply:
    """An HTTP answer: status, body bytes (or a streamed body), content type and extra headers."""

    status: int
    body: bytes = b''
    content_type: str | None = 'application/json'
    headers: dict = dataclasses.field(default_factory=dict)
    stream: StreamedBody | None = None

    @property
    def length(self) -> int:
        """The Content-Length of the answer."""
        return self.stream.length if self.stream is not None else len(self.body)


class ApiError(Exception):
    """Raised to answer a request with a prepared error reply."""

    def __init__(self, reply: Reply):
        super().__init__(reply.status)
        self.reply = reply


def json_reply(status: int, payload, headers: dict | None = None) -> Reply:
    """Answer ``payload`` as JSON."""
    return Reply(status, json.dumps(payload).encode('utf-8'), 'application/json', dict(headers or {}))


def reltio_error_body(status: int, message: str, detail: str | None = None) -> dict:
    """The Reltio error shape."""
    return {'severity': 'Error', 'errorMessage': message, 'errorCode': status, 'errorDetailMessage': detail or message}


def error_reply(status: int, message: str, detail: str | None = None, headers: dict | None = None) -> Reply:
    """An answer in the Reltio error shape."""
    return json_reply(status, reltio_error_body(status, message, detail), headers)


def api_error(status: int, message: str, detail: str | None = None, headers: dict | None = None) -> ApiError:
    """An :class:`ApiError` carrying a Reltio-shaped error reply."""
    return ApiError(error_reply(status, message, detail, headers))


def databricks_error_body(status: int, message: str, error_code: str | int | None = None) -> dict:
    """The Databricks REST API error shape, ``{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": ...}``."""
    code = error_code if error_code is not None else DATABRICKS_ERROR_CODES.get(status, DEFAULT_DATABRICKS_ERROR_CODE)
    return {'error_code': code, 'message': message}


def databricks_error(status: int, message: str, error_code: str | int | None = None, headers: dict | None = None) -> ApiError:
    """An :class:`ApiError` carrying a Databricks-shaped error reply."""
    return ApiError(json_reply(status, databricks_error_body(status, message, error_code), headers))


def oauth_error_code(status: int) -> str:
    """The OAuth 2.0 ``error`` (RFC 6749, section 5.2) an error status of a token endpoint stands for."""
    if status == 401:
        return 'invalid_client'
    if status == 403:
        return 'access_denied'
    if status in (429, 503):
        return 'temporarily_unavailable'
    return 'server_error' if status >= 500 else 'invalid_request'


def oauth_error_body(error: str, description: str) -> dict:
    """The OAuth 2.0 error shape of a token endpoint."""
    return {'error': error, 'error_description': description}


def oauth_error(status: int, error: str, description: str, headers: dict | None = None) -> ApiError:
    """An :class:`ApiError` carrying an OAuth-shaped error reply."""
    return ApiError(json_reply(status, oauth_error_body(error, description), headers))


def native_error_body(endpoint: str, status: int, message: str) -> dict:
    """The error shape of the server behind ``endpoint``: Databricks', OAuth's (workspace token) or Reltio's."""
    if endpoint == 'warehouse':
        return databricks_error_body(status, message)
    if endpoint == 'dbx_token':
        return oauth_error_body(oauth_error_code(status), message)
    return reltio_error_body(status, message)


def internal_error_reply(exc: BaseException) -> Reply:
    """Print the traceback and answer 500 rather than let a bug drop the request."""
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return error_reply(500, 'Internal emulator error', f'{type(exc).__name__}: {exc}')


def status_phrase(status: int) -> str:
    """The reason phrase of an HTTP status, or a generic one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return 'Error'


# --------------------------------------------------------------------------- requests

@dataclasses.dataclass
class Route:
    """Where a raw path leads: endpoint name, tenant, connection name or warehouse id."""

    endpoint: str
    tenant: str | None = None
    connection_name: str | None = None
    protected: bool = False
    warehouse_id: str | None = None


@dataclasses.dataclass
class ApiRequest:
    """One API request (Reltio's or a workspace's) as read by the handler."""

    method: str
    raw_path: str
    route: Route
    headers: object
    body: bytes


# --------------------------------------------------------------------------- small helpers

def now_ms() -> int:
    """Current time in epoch milliseconds."""
    return int(time.time() * 1000)


def is_int(value) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """True for an int or float that is not a bool."""
    return is_int(value) or isinstance(value, float)


def is_pause(value) -> bool:
    """True for a finite number of seconds from 0 to :data:`MAX_PAUSE`."""
    return is_number(value) and math.isfinite(value) and 0 <= value <= MAX_PAUSE


def is_header_value(value) -> bool:
    """True for a non-empty Latin-1 string without control characters (no header injection)."""
    return isinstance(value, str) and bool(value) and all(32 <= ord(char) < 256 and char != '\x7f' for char in value)


def is_str_list(value) -> bool:
    """True for a list of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_blank(value) -> bool:
    """True when a required field is missing, not a string, or only whitespace."""
    return not isinstance(value, str) or not value.strip()


def workspace_host(url: str) -> str | None:
    """The host of an ``https://`` workspace URL, or None when the URL is not one."""
    if any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != 'https' or not url.lower().startswith('https://'):
        return None
    return parts.hostname or None


def workspace_address(url: str) -> tuple[str, int] | None:
    """The (lower-case host, port) an ``https://`` workspace URL reaches (port 443 when none), or None."""
    host = workspace_host(url)
    if host is None:
        return None
    try:
        port = urlsplit(url).port
    except ValueError:
        return None
    return host.lower(), port or 443


def json_object(raw_body: bytes) -> dict:
    """Parse a request body that must be a JSON object."""
    try:
        value = json.loads(raw_body) if raw_body else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise api_error(400, NOT_JSON)
    return value


def require_fields(body: dict, rules) -> None:
    """Raise the first 400 of ``rules`` whose fields are blank."""
    for names, message in rules:
        if any(is_blank(body.get(name)) for name in names):
            raise api_error(400, message)


def checked_settings(spec, checks: dict, what: str) -> dict:
    """Validate a JSON object of settings against per-key ``checks``."""
    if not isinstance(spec, dict):
        raise api_error(400, f'A {what} must be a JSON object')
    for key, value in spec.items():
        check = checks.get(key)
        if check is None:
            raise api_error(400, f'Unknown {what} setting: {key}')
        if not check(value):
            raise api_error(400, f'Invalid {what} setting {key}: {value!r}')
    return copy.deepcopy(spec)


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """The (client id, secret) of an HTTP Basic ``Authorization`` header."""
    scheme, separator, encoded = (header or '').strip().partition(' ')
    if scheme.lower() != 'basic' or not separator:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode('utf-8')
    except ValueError:
        return None
    client_id, separator, client_secret = decoded.partition(':')
    return (client_id, client_secret) if separator else None


def bearer_token(header: str | None) -> str | None:
    """The token of a ``Bearer`` ``Authorization`` header, or None."""
    scheme, separator, token = (header or '').strip().partition(' ')
    token = token.strip()
    return token if scheme.lower() == 'bearer' and separator and token else None


def authorization_scheme(header: str | None) -> str | None:
    """The scheme word of an ``Authorization`` header, capitalised, or None."""
    scheme = (header or '').strip().partition(' ')[0]
    return scheme.capitalize() if scheme else None


def secret_digest(value: str) -> str:
    """SHA-256 hex digest of a secret, for the state view."""
    return hashlib.sha256(value.encode('utf-8')).hexdigest()
