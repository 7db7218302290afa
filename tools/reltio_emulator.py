#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local emulator of the Reltio API for integration tests, the demo and benchmarks.

It serves the OAuth token endpoint, the Databricks connection endpoints under
``/reltio/api/tenants/{tenantId}/interactions/`` and, for tests only, a control
API under ``/_emulator/`` to read state and the request log and to inject faults.
Run ``python3 tools/reltio_emulator.py --help`` or use :class:`ReltioEmulator`.

Control API (JSON, no authentication, 127.0.0.1 only):

``GET health``, ``POST reset``
    Liveness; forget connections, requests, faults, chaos and counters, restore the startup config.
``GET state``
    Connections by tenant, each secret only as its SHA-256 digest.
``GET requests``
    The request log (the last 10000 API requests; token form values and headers never logged).
``GET|POST config``
    Change ``token_ttl``, ``tenants``, ``test_result_key``, ``tokens`` at run time.
``GET|POST|DELETE faults``
    Scripted fault rules, ``{"rules": [rule, ...]}``, applied in order before the real operation.
    A rule has ``endpoint`` (token, create, credentials, test, any), ``tenant``, ``status``, ``body``
    (json, html, text, truncated, garbage: not UTF-8, deep: JSON arrays nested 100000 deep, empty),
    ``message``, ``retry_after``, ``delay`` (seconds), ``trickle`` (seconds between 16-byte pieces of the
    body), ``count`` (-1 = forever), ``after_commit`` (run the real operation first, then fail), ``reset``
    (drop the connection with a TCP RST), ``echo`` (repeat the request body in the error message) and a
    free ``kind`` label.
``GET|POST|DELETE chaos``
    Seeded random faults: ``{"seed": 7, "rate": 0.3, "kinds": {"503": 2, "reset": 1}, "delay": 1.5,
    "retry_after": 1, "endpoints": [...], "tenants": [...]}``. Whether the n-th request of a tenant to an
    endpoint gets a fault, and which one, depends only on (seed, tenant, endpoint, n): the same seed gives
    each tenant the same faults however the requests of several tenants interleave. Scripted rules win.
    The kinds are the keys of :data:`CHAOS_KINDS`.
``GET stats``
    Counters since the last reset: API requests, requests in flight, faults injected (by kind) and, per
    tenant and connection name, how many create requests were committed.
``GET issued-tokens``
    The access tokens issued since the last reset, so that tests can make sure none is ever printed.
    (The only secrets the control API shows; they stay valid after a reset.)
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import copy
import dataclasses
import hashlib
import hmac
import html
import json
import os
import random
import secrets
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

DEFAULT_CLIENT_ID = 'emulator-client'
DEFAULT_CLIENT_SECRET = 'emulator-client-secret'
DEFAULT_TOKEN_TTL = 3600
REQUEST_LOG_LIMIT = 10000
MAX_BODY_BYTES = 10 * 1024 * 1024
API_PREFIX = ['', 'reltio', 'api', 'tenants']
CONTROL_PREFIX = '/_emulator/'
STORED_MESSAGE = 'Databricks M2M OAuth credentials stored successfully'
CREDENTIALS_BLANK = 'The clientId or clientSecret field is null or empty.'
NOT_JSON = 'Request body is not valid JSON'
FAULT_ENDPOINTS = ('token', 'create', 'credentials', 'test', 'any')
FAULT_BODIES = ('json', 'html', 'text', 'truncated', 'garbage', 'deep', 'empty')
DEEP_NESTING = 100000
TRICKLE_CHUNK = 16
TEST_RESULT_KEYS = ('data', 'result')
PUBLIC_FORM_KEYS = ('grant_type', 'scope')
REDACTED = '***'

CREATE_REQUIRED = (
    (('connectionName',), 'The connectionName field is null or empty.'),
    (('workspaceUrl',), 'The workspaceUrl field is null or empty.'),
    (('warehouseId',), 'The warehouseId field is null or empty.'),
    (('clientId', 'clientSecret'), CREDENTIALS_BLANK),
)
CREDENTIALS_REQUIRED = ((('clientId', 'clientSecret'), CREDENTIALS_BLANK),)


# --------------------------------------------------------------------------- replies and errors

@dataclasses.dataclass
class Reply:
    """An HTTP answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b''
    content_type: str | None = 'application/json'
    headers: dict = dataclasses.field(default_factory=dict)


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


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(prefix='.reltio-emulator-', dir=directory)
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as stream:
            stream.write(text)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise


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


def authorization_scheme(header: str | None) -> str | None:
    """The scheme word of an ``Authorization`` header, capitalised, or None."""
    scheme = (header or '').strip().partition(' ')[0]
    return scheme.capitalize() if scheme else None


def secret_digest(value: str) -> str:
    """SHA-256 hex digest of a secret, for the state view."""
    return hashlib.sha256(value.encode('utf-8')).hexdigest()


# --------------------------------------------------------------------------- configuration and fault rules

CONFIG_CHECKS = {
    'token_ttl': lambda value: is_int(value) and value >= 0,
    'tenants': lambda value: value is None or is_str_list(value),
    'test_result_key': lambda value: value in TEST_RESULT_KEYS,
    'tokens': is_str_list,
}


@dataclasses.dataclass
class EmulatorConfig:
    """Settings that tests may change at run time through ``/_emulator/config``."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    token_ttl: int = DEFAULT_TOKEN_TTL
    tenants: list | None = None
    test_result_key: str = 'data'
    tokens: list = dataclasses.field(default_factory=list)

    def public_view(self) -> dict:
        """The configuration without the client secret."""
        view = dataclasses.asdict(self)
        del view['client_secret']
        return view

    def updated(self, changes) -> EmulatorConfig:
        """A copy with validated ``changes`` applied."""
        return dataclasses.replace(self, **checked_settings(changes, CONFIG_CHECKS, 'config'))


FAULT_CHECKS = {
    'endpoint': lambda value: value in FAULT_ENDPOINTS,
    'tenant': lambda value: value is None or isinstance(value, str),
    'status': lambda value: is_int(value) and 100 <= value <= 599,
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
}


@dataclasses.dataclass
class FaultRule:
    """One injected fault; ``status`` None means "only delay (or trickle), then answer normally".

    Order of events: with ``after_commit`` the real operation runs first; then ``delay``; then
    the answer (the fault's, or the real one when ``status`` is None) is sent, ``trickle`` seconds
    between pieces of its body, or the connection is reset.
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

    @classmethod
    def from_spec(cls, spec) -> FaultRule:
        """Build a rule from its JSON form; a delay or trickle without a status only slows the real answer."""
        settings = checked_settings(spec, FAULT_CHECKS, 'fault rule')
        slows = settings.get('delay') or settings.get('trickle')
        if 'status' not in settings and slows and not settings.get('reset'):
            settings['status'] = None
        return cls(**settings)

    def matches(self, endpoint: str, tenant: str | None) -> bool:
        """True when the rule has count left and applies to this request."""
        return (self.count != 0 and self.endpoint in ('any', endpoint)
                and (self.tenant is None or self.tenant == tenant))

    def describe(self) -> str:
        """Short description for the request log."""
        action = 'reset' if self.reset else (f'status={self.status} body={self.body}' if self.status else 'delay-only')
        tenant = f' tenant={self.tenant}' if self.tenant is not None else ''
        trickle = f' trickle={self.trickle}' if self.trickle else ''
        return (f'kind={self.kind} endpoint={self.endpoint}{tenant} {action} delay={self.delay}{trickle}'
                f' after_commit={self.after_commit}')


# Each kind of seeded random fault, as a fault rule. ``delay`` and ``retry_after`` True take the
# chaos settings' values. "commit_" kinds run the real operation first (the commit-then-fail case).
CHAOS_KINDS = {
    '429': {'status': 429},
    '429_retry_after': {'status': 429, 'retry_after': True},
    '500': {'status': 500},
    '502': {'status': 502},
    '503': {'status': 503},
    '503_retry_after': {'status': 503, 'retry_after': True},
    '504': {'status': 504},
    'html': {'status': 502, 'body': 'html'},
    'text': {'status': 503, 'body': 'text'},
    'truncated': {'status': 503, 'body': 'truncated'},
    'garbage': {'status': 500, 'body': 'garbage'},
    'empty': {'status': 504, 'body': 'empty'},
    'reset': {'reset': True},
    'slow': {'status': None, 'delay': True},
    'commit_500': {'status': 500, 'after_commit': True},
    'commit_502': {'status': 502, 'after_commit': True},
    'commit_503': {'status': 503, 'after_commit': True},
    'commit_504': {'status': 504, 'body': 'html', 'after_commit': True},
    'commit_reset': {'reset': True, 'after_commit': True},
    'commit_slow': {'status': None, 'delay': True, 'after_commit': True},
    # A 200 whose body is not JSON after the change was made: a proxy that mangles answers.
    'commit_garbled_200': {'status': 200, 'body': 'truncated', 'after_commit': True},
}
DEFAULT_CHAOS_KINDS = tuple(CHAOS_KINDS)


def _chaos_kinds(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(kind in CHAOS_KINDS for kind in value)
    return (isinstance(value, dict) and bool(value) and all(kind in CHAOS_KINDS for kind in value)
            and all(is_number(weight) and weight >= 0 for weight in value.values()) and sum(value.values()) > 0)


CHAOS_CHECKS = {
    'seed': lambda value: is_int(value) or isinstance(value, str),
    'rate': lambda value: is_number(value) and 0 <= value <= 1,
    'kinds': _chaos_kinds,
    'endpoints': lambda value: isinstance(value, list) and all(item in FAULT_ENDPOINTS[:-1] for item in value),
    'tenants': lambda value: value is None or is_str_list(value),
    'delay': lambda value: is_number(value) and value >= 0,
    'retry_after': lambda value: is_int(value) or isinstance(value, str),
}


@dataclasses.dataclass
class Chaos:
    """Seeded random faults for API requests (see the module docstring)."""

    seed: int | str = 0
    rate: float = 0.3
    kinds: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(DEFAULT_CHAOS_KINDS, 1))
    endpoints: list = dataclasses.field(default_factory=lambda: list(FAULT_ENDPOINTS[:-1]))
    tenants: list | None = None
    delay: float = 1.5
    retry_after: int | str = 1

    @classmethod
    def from_spec(cls, spec) -> Chaos:
        """Build chaos settings from their JSON form; a list of kinds weighs them equally."""
        settings = checked_settings(spec, CHAOS_CHECKS, 'chaos setting')
        if isinstance(settings.get('kinds'), list):
            settings['kinds'] = dict.fromkeys(settings['kinds'], 1)
        return cls(**settings)

    def decide(self, endpoint: str, tenant: str | None, number: int) -> FaultRule | None:
        """The fault for the ``number``-th request of ``tenant`` to ``endpoint``, or None."""
        if endpoint not in self.endpoints or (self.tenants is not None and tenant not in self.tenants):
            return None
        rng = random.Random(f'{self.seed}/{tenant}/{endpoint}/{number}')
        if rng.random() >= self.rate:
            return None
        names = sorted(self.kinds)
        kind = rng.choices(names, weights=[self.kinds[name] for name in names])[0]
        spec = dict(CHAOS_KINDS[kind])
        if spec.get('delay') is True:
            spec['delay'] = self.delay
        if spec.get('retry_after') is True:
            spec['retry_after'] = self.retry_after
        return FaultRule(endpoint=endpoint, tenant=tenant, message=f'Injected {kind} fault', kind=kind, **spec)


def fault_reply(rule: FaultRule, raw_body: bytes, real: Reply | None = None) -> Reply:
    """The answer a fault rule sends instead of the real one (``real``, when it ran: after_commit)."""
    message = rule.message
    if rule.echo:
        message = f"{message}: {raw_body.decode('utf-8', 'replace')}"
    headers = {} if rule.retry_after is None else {'Retry-After': str(rule.retry_after)}
    status = rule.status
    if rule.body == 'json':
        return error_reply(status, message, headers=headers)
    if rule.body == 'html':
        title = html.escape(f'{status} {status_phrase(status)}')
        page = f'<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{html.escape(message)}</p><hr><center>gateway</center></body></html>\n'
        return Reply(status, page.encode('utf-8'), 'text/html; charset=utf-8', headers)
    if rule.body == 'text':
        return Reply(status, message.encode('utf-8'), 'text/plain; charset=utf-8', headers)
    if rule.body == 'garbage':
        # Not UTF-8, not JSON, yet labelled JSON.
        return Reply(status, b'\xff\xfe\x00{"errorMessage": \x9c' + message.encode('utf-8') + b'\x80\xc3(', 'application/json', headers)
    if rule.body == 'deep':
        return Reply(status, b'[' * DEEP_NESTING + b']' * DEEP_NESTING, 'application/json', headers)
    if rule.body == 'truncated':
        full = real.body if real is not None and real.body else json.dumps(reltio_error_body(status, message)).encode('utf-8')
        return Reply(status, full[:len(full) // 2], 'application/json', headers)
    return Reply(status, b'', None, headers)


# --------------------------------------------------------------------------- state

def evaluate_connection(connection: dict) -> tuple[bool, str]:
    """Outcome of a connection test: (connected, message)."""
    host = workspace_host(connection['workspaceUrl']) or ''
    if host.endswith('.invalid'):
        return False, f'Unable to reach the Databricks workspace {host}'
    if connection['clientSecret'].startswith('invalid'):
        return False, 'Databricks rejected the OAuth client credentials'
    return True, 'Connection successful'


def public_connection(connection: dict) -> dict:
    """A connection as shown by ``/_emulator/state``: the secret only as a digest."""
    view = {key: value for key, value in connection.items() if key != 'clientSecret'}
    view['clientSecretSha256'] = secret_digest(connection['clientSecret'])
    return view


def stored_result(connection: dict) -> dict:
    """The 200 body of the create and store-credentials endpoints."""
    return {'successful': True, 'result': {
        'connectionId': connection['connectionId'],
        'connectionName': connection['connectionName'],
        'message': STORED_MESSAGE,
        'status': 'success',
        'timestamp': now_ms(),
    }}


class EmulatorState:
    """Everything the emulator remembers, guarded by one lock."""

    def __init__(self, config: EmulatorConfig, state_file: str | None = None):
        self.lock = threading.Lock()
        self._startup_config = copy.deepcopy(config)
        self.config = copy.deepcopy(config)
        self.state_file = state_file
        self.connections: dict[str, dict[str, dict]] = {}
        self._issued_tokens: dict[str, float] = {}
        self._issued_since_reset: collections.deque = collections.deque(maxlen=REQUEST_LOG_LIMIT)
        self._requests: collections.deque = collections.deque(maxlen=REQUEST_LOG_LIMIT)
        self._seq = 0
        self._faults: list[FaultRule] = []
        self._chaos: Chaos | None = None
        self._chaos_counts: collections.Counter = collections.Counter()
        self._stats = self._new_stats()
        self._in_flight = 0
        self._load()

    @staticmethod
    def _new_stats() -> dict:
        return {'requests': 0, 'faults': 0, 'faults_by_kind': collections.Counter(), 'commits': {}}

    # persistence
    def _load(self) -> None:
        if not self.state_file or not os.path.exists(self.state_file):
            return
        with open(self.state_file, encoding='utf-8') as stream:
            data = json.load(stream)
        tenants = data.get('tenants') if isinstance(data, dict) else None
        if not isinstance(tenants, dict) or not all(isinstance(conns, dict) for conns in tenants.values()):
            raise ValueError(f'{self.state_file}: expected {{"tenants": {{tenant: {{name: connection}}}}}}')
        self.connections = tenants

    def _persist_locked(self) -> None:
        if self.state_file:
            write_atomic(self.state_file, json.dumps({'tenants': self.connections}, indent=2, sort_keys=True) + '\n')

    # authentication
    def client_matches(self, client_id: str, client_secret: str) -> bool:
        """True when Basic credentials match the configured client (raw or form-decoded)."""
        with self.lock:
            expected = (self.config.client_id, self.config.client_secret)
        for candidate in ((client_id, client_secret), (unquote_plus(client_id), unquote_plus(client_secret))):
            if all(hmac.compare_digest(given.encode(), wanted.encode()) for given, wanted in zip(candidate, expected)):
                return True
        return False

    def issue_token(self) -> dict:
        """Issue a new access token; returns the token endpoint answer."""
        token = secrets.token_urlsafe(32)
        with self.lock:
            ttl = self.config.token_ttl
            self._issued_tokens[token] = time.monotonic() + ttl
            self._issued_since_reset.append(token)
        return {'access_token': token, 'token_type': 'bearer', 'expires_in': ttl, 'scope': 'emulator'}

    def authorize(self, header: str | None) -> None:
        """Raise 401 unless ``header`` carries a valid bearer token."""
        scheme, separator, token = (header or '').strip().partition(' ')
        token = token.strip()
        challenge = {'WWW-Authenticate': 'Bearer realm="reltio-emulator"'}
        if scheme.lower() != 'bearer' or not separator or not token:
            raise api_error(401, 'Invalid or missing access token', headers=challenge)
        with self.lock:
            if token in self.config.tokens:
                return
            expires_at = self._issued_tokens.get(token)
        if expires_at is None:
            raise api_error(401, 'Invalid or missing access token', headers=challenge)
        if time.monotonic() >= expires_at:
            raise api_error(401, 'Access token expired', headers=challenge)

    def check_tenant(self, tenant: str) -> None:
        """Raise 404 when tenants are restricted and ``tenant`` is not one of them."""
        with self.lock:
            tenants = self.config.tenants
        if tenants is not None and tenant not in tenants:
            raise api_error(404, f'Tenant {tenant} not found')

    # connections
    def _connection_locked(self, tenant: str, name: str) -> dict:
        connection = self.connections.get(tenant, {}).get(name)
        if connection is None:
            raise api_error(404, f'Database configuration {name} not found')
        return connection

    def create_connection(self, tenant: str, body: dict) -> dict:
        """Validate and store a new connection; returns the 200 body."""
        require_fields(body, CREATE_REQUIRED)
        if workspace_host(body['workspaceUrl']) is None:
            raise api_error(400, 'The workspaceUrl format is invalid.')
        name = body['connectionName']
        with self.lock:
            existing = self.connections.get(tenant, {})
            if name in existing:
                raise api_error(400, f'A Databricks connection with the same name already exists for the tenant: {name}')
            if any(connection['status'] == 'ACTIVE' for connection in existing.values()):
                raise api_error(400, 'An active Databricks connection already exists for the tenant.')
            connection = {
                'connectionId': str(uuid.uuid4()),
                'connectionName': name,
                'workspaceUrl': body['workspaceUrl'],
                'warehouseId': body['warehouseId'],
                'clientId': body['clientId'],
                'clientSecret': body['clientSecret'],
                'status': 'PENDING',
                'createdAt': now_ms(),
                'credentialUpdates': 0,
                'tests': 0,
            }
            self.connections.setdefault(tenant, {})[name] = connection
            commits = self._stats['commits'].setdefault(tenant, {})
            commits[name] = commits.get(name, 0) + 1
            self._persist_locked()
            return stored_result(connection)

    def store_credentials(self, tenant: str, name: str, body: dict) -> dict:
        """Replace the OAuth credentials of a connection; returns the 200 body."""
        require_fields(body, CREDENTIALS_REQUIRED)
        with self.lock:
            connection = self._connection_locked(tenant, name)
            connection['clientId'] = body['clientId']
            connection['clientSecret'] = body['clientSecret']
            connection['credentialUpdates'] += 1
            self._persist_locked()
            return stored_result(connection)

    def test_connection(self, tenant: str, name: str) -> dict:
        """Test a connection; a success makes it ACTIVE. Returns the 200 body."""
        with self.lock:
            connection = self._connection_locked(tenant, name)
            connected, message = evaluate_connection(connection)
            connection['tests'] += 1
            if connected:
                connection['status'] = 'ACTIVE'
            self._persist_locked()
            key = self.config.test_result_key
        return {key: {'connected': connected, 'message': message, 'databaseType': 'DATABRICKS'}}

    # control API
    def snapshot(self) -> dict:
        """All connections by tenant, secrets replaced by their digest."""
        with self.lock:
            return {'tenants': {tenant: {name: public_connection(connection) for name, connection in connections.items()}
                                for tenant, connections in self.connections.items()}}

    def reset(self) -> dict:
        """Forget connections, requests and faults; restore the startup config."""
        with self.lock:
            self.connections = {}
            self._requests.clear()
            self._seq = 0
            self._faults = []
            self._chaos = None
            self._chaos_counts.clear()
            self._stats = self._new_stats()
            self._issued_since_reset.clear()
            self.config = copy.deepcopy(self._startup_config)
            self._persist_locked()
        return {'ok': True}

    def public_config(self) -> dict:
        """The current configuration (no client secret)."""
        with self.lock:
            return self.config.public_view()

    def update_config(self, changes) -> dict:
        """Apply validated config changes; returns the new configuration."""
        with self.lock:
            self.config = self.config.updated(changes)
            return self.config.public_view()

    def add_faults(self, body: dict) -> dict:
        """Append the rules of ``{"rules": [...]}``; returns all rules."""
        specs = body.get('rules')
        if not isinstance(specs, list):
            raise api_error(400, 'Expected {"rules": [rule, ...]}')
        rules = [FaultRule.from_spec(spec) for spec in specs]
        with self.lock:
            self._faults.extend(rules)
        return self.list_faults()

    def clear_faults(self) -> dict:
        """Remove every fault rule."""
        with self.lock:
            self._faults = []
        return {'rules': []}

    def list_faults(self) -> dict:
        """All rules, with their remaining count."""
        with self.lock:
            return {'rules': [dataclasses.asdict(rule) for rule in self._faults]}

    def set_chaos(self, spec) -> dict:
        """Turn seeded random faults on (counting requests from 0 again); returns the settings."""
        chaos = Chaos.from_spec(spec)
        with self.lock:
            self._chaos = chaos
            self._chaos_counts.clear()
        return self.chaos_view()

    def clear_chaos(self) -> dict:
        """Turn seeded random faults off."""
        with self.lock:
            self._chaos = None
        return {'chaos': None}

    def chaos_view(self) -> dict:
        """The chaos settings, or None when off."""
        with self.lock:
            return {'chaos': dataclasses.asdict(self._chaos) if self._chaos else None}

    def take_fault(self, endpoint: str, tenant: str | None) -> FaultRule | None:
        """The first matching rule with count left (its count decremented), else a chaos fault, or None.

        Counts the request and the fault in the stats.
        """
        with self.lock:
            self._stats['requests'] += 1
            rule = self._take_fault_locked(endpoint, tenant)
            if rule is not None:
                self._stats['faults'] += 1
                self._stats['faults_by_kind'][rule.kind] += 1
            return rule

    def _take_fault_locked(self, endpoint: str, tenant: str | None) -> FaultRule | None:
        for rule in self._faults:
            if rule.matches(endpoint, tenant):
                if rule.count > 0:
                    rule.count -= 1
                return copy.copy(rule)
        if self._chaos is None:
            return None
        number = self._chaos_counts[(tenant, endpoint)]
        self._chaos_counts[(tenant, endpoint)] += 1
        return self._chaos.decide(endpoint, tenant, number)

    @contextlib.contextmanager
    def in_flight(self):
        """Count an API request as in flight while the block runs."""
        with self.lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self.lock:
                self._in_flight -= 1

    def issued_tokens(self) -> dict:
        """The tokens issued since the last reset, oldest first."""
        with self.lock:
            return {'tokens': list(self._issued_since_reset)}

    def stats(self) -> dict:
        """Counters since the last reset (see the module docstring)."""
        with self.lock:
            return {
                'requests': self._stats['requests'],
                'in_flight': self._in_flight,
                'faults': self._stats['faults'],
                'faults_by_kind': dict(sorted(self._stats['faults_by_kind'].items())),
                'commits': copy.deepcopy(self._stats['commits']),
            }

    def record_request(self, entry: dict) -> None:
        """Append an entry to the request log, numbering it."""
        with self.lock:
            self._seq += 1
            self._requests.append({'seq': self._seq, **entry})

    def request_log(self) -> list:
        """The logged API requests, oldest first."""
        with self.lock:
            return list(self._requests)


# --------------------------------------------------------------------------- routing and operations

@dataclasses.dataclass
class Route:
    """Where a raw path leads: endpoint name, tenant and connection name."""

    endpoint: str
    tenant: str | None = None
    connection_name: str | None = None
    protected: bool = False


@dataclasses.dataclass
class ApiRequest:
    """One Reltio API request as read by the handler."""

    method: str
    raw_path: str
    route: Route
    headers: object
    body: bytes


def route_path(raw_path: str) -> Route:
    """Split the raw path on "/" first, then percent-decode each segment."""
    segments = [unquote(segment) for segment in raw_path.split('/')]
    if segments == ['', 'oauth', 'token']:
        return Route('token')
    if len(segments) < 6 or segments[:4] != API_PREFIX or segments[5] != 'interactions':
        return Route('other')
    tenant, rest = segments[4], segments[6:]
    if rest == ['database-configs', 'databricks', 'oauth', 'credentials']:
        return Route('create', tenant, protected=True)
    if len(rest) == 5 and rest[0] == 'database-configs' and rest[2:] == ['databricks', 'oauth', 'credentials']:
        return Route('credentials', tenant, rest[1], protected=True)
    if len(rest) == 3 and rest[0] == 'database-configs' and rest[2] == 'test':
        return Route('test', tenant, rest[1], protected=True)
    return Route('other', tenant, protected=True)


def require_post(request: ApiRequest) -> None:
    """Raise 405 unless the request is a POST."""
    if request.method != 'POST':
        raise api_error(405, f'Method {request.method} is not allowed for {request.raw_path}', headers={'Allow': 'POST'})


def token_reply(state: EmulatorState, request: ApiRequest) -> Reply:
    """Answer the OAuth client-credentials token endpoint."""
    credentials = basic_credentials(request.headers.get('Authorization'))
    if credentials is None or not state.client_matches(*credentials):
        raise ApiError(json_reply(401, {'error': 'invalid_client', 'error_description': 'Bad client credentials'},
                                  {'WWW-Authenticate': 'Basic realm="reltio-emulator"'}))
    form = parse_qs(request.body.decode('utf-8', 'replace'), keep_blank_values=True)
    grant_type = form.get('grant_type', [''])[0]
    if grant_type != 'client_credentials':
        raise ApiError(json_reply(400, {'error': 'unsupported_grant_type',
                                        'error_description': f'Unsupported grant type: {grant_type or "(none)"}'}))
    return json_reply(200, state.issue_token())


OPERATIONS = {
    'create': lambda state, request: state.create_connection(request.route.tenant, json_object(request.body)),
    'credentials': lambda state, request: state.store_credentials(
        request.route.tenant, request.route.connection_name, json_object(request.body)),
    'test': lambda state, request: state.test_connection(request.route.tenant, request.route.connection_name),
}


def perform(state: EmulatorState, request: ApiRequest) -> Reply:
    """Run the real operation of an API request; errors come back as replies."""
    try:
        route = request.route
        if route.endpoint == 'token':
            require_post(request)
            return token_reply(state, request)
        if route.protected:
            state.authorize(request.headers.get('Authorization'))
            state.check_tenant(route.tenant)
        operation = OPERATIONS.get(route.endpoint)
        if operation is None:
            raise api_error(404, f'No endpoint at {request.raw_path}')
        require_post(request)
        return json_reply(200, operation(state, request))
    except ApiError as err:
        return err.reply
    except Exception as exc:  # pylint: disable=broad-except
        # A bug must become a 500 answer, never a dropped connection.
        return internal_error_reply(exc)


def loggable_body(endpoint: str, raw_body: bytes):
    """The body as the request log shows it: JSON as sent, form keys without secret values."""
    if not raw_body:
        return None
    text = raw_body.decode('utf-8', 'replace')
    if endpoint == 'token':
        form = parse_qs(text, keep_blank_values=True)
        return {key: (values[0] if key in PUBLIC_FORM_KEYS else REDACTED) for key, values in form.items()}
    try:
        return json.loads(text)
    except ValueError:
        return text[:4096]


def log_entry(request: ApiRequest, reply: Reply | None, rule: FaultRule | None, started: float) -> dict:
    """A request log entry (``seq`` is added by the state)."""
    headers = request.headers
    return {
        'time': round(time.time(), 3),
        'method': request.method,
        'path': request.raw_path,
        'endpoint': request.route.endpoint,
        'tenant': request.route.tenant,
        'connection_name': request.route.connection_name,
        'status': reply.status if reply is not None else None,
        'fault': rule.describe() if rule is not None else None,
        'duration_ms': round((time.monotonic() - started) * 1000, 3),
        'headers': {
            'content_type': headers.get('Content-Type'),
            'user_agent': headers.get('User-Agent'),
            'authorization_scheme': authorization_scheme(headers.get('Authorization')),
        },
        'body': loggable_body(request.route.endpoint, request.body),
    }


CONTROL_ACTIONS = {
    ('GET', 'health'): lambda state, body: {'ok': True},
    ('POST', 'reset'): lambda state, body: state.reset(),
    ('GET', 'state'): lambda state, body: state.snapshot(),
    ('GET', 'requests'): lambda state, body: {'requests': state.request_log()},
    ('GET', 'faults'): lambda state, body: state.list_faults(),
    ('POST', 'faults'): lambda state, body: state.add_faults(json_object(body)),
    ('DELETE', 'faults'): lambda state, body: state.clear_faults(),
    ('GET', 'chaos'): lambda state, body: state.chaos_view(),
    ('POST', 'chaos'): lambda state, body: state.set_chaos(json_object(body)),
    ('DELETE', 'chaos'): lambda state, body: state.clear_chaos(),
    ('GET', 'stats'): lambda state, body: state.stats(),
    ('GET', 'issued-tokens'): lambda state, body: state.issued_tokens(),
    ('GET', 'config'): lambda state, body: state.public_config(),
    ('POST', 'config'): lambda state, body: state.update_config(json_object(body)),
}


def control_reply(state: EmulatorState, method: str, raw_path: str, raw_body: bytes) -> Reply:
    """Answer a request to the unauthenticated ``/_emulator/`` control API."""
    name = raw_path[len(CONTROL_PREFIX):]
    actions = {action_method: action for (action_method, action_name), action in CONTROL_ACTIONS.items() if action_name == name}
    if not actions:
        return error_reply(404, f'No control endpoint at {raw_path}')
    action = actions.get(method)
    if action is None:
        return error_reply(405, f'Method {method} is not allowed for {raw_path}', headers={'Allow': ', '.join(sorted(actions))})
    try:
        return json_reply(200, action(state, raw_body))
    except ApiError as err:
        return err.reply


# --------------------------------------------------------------------------- HTTP server

class ReltioRequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler for the API and the control API."""

    protocol_version = 'HTTP/1.1'
    server_version = 'ReltioEmulator/1.0'
    timeout = 60

    def do_GET(self):
        """Every method goes through the same dispatcher."""
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    @property
    def state(self) -> EmulatorState:
        """The emulator state of the server."""
        return self.server.state

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """One short line per request on stderr, unless quiet (never headers or bodies)."""
        if not self.server.quiet:
            sys.stderr.write(f'{self.address_string()} - {format % args}\n')

    def _dispatch(self) -> None:
        raw_path = self.path.partition('?')[0].partition('#')[0]
        try:
            body = self._read_body()
            if raw_path.startswith(CONTROL_PREFIX):
                self._send(control_reply(self.state, self.command, raw_path, body))
            else:
                self._serve_api(raw_path, body)
        except ApiError as err:
            # The body could not be read, so the connection cannot be reused.
            self.close_connection = True
            self._send(err.reply)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # pylint: disable=broad-except
            # Never let a bug kill the connection thread without an answer.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(internal_error_reply(exc))

    def _read_body(self) -> bytes:
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            raise api_error(411, 'Chunked request bodies are not supported; send Content-Length')
        length = self.headers.get('Content-Length')
        if length is None:
            return b''
        if not length.strip().isdigit():
            raise api_error(400, f'Invalid Content-Length: {length}')
        if int(length) > MAX_BODY_BYTES:
            raise api_error(413, 'Request body too large')
        return self.rfile.read(int(length))

    def _serve_api(self, raw_path: str, body: bytes) -> None:
        with self.state.in_flight():
            started = time.monotonic()
            request = ApiRequest(self.command, raw_path, route_path(raw_path), self.headers, body)
            rule = self.state.take_fault(request.route.endpoint, request.route.tenant)
            if rule is None:
                reply = perform(self.state, request)
            else:
                real = perform(self.state, request) if rule.after_commit else None
                if rule.delay:
                    time.sleep(rule.delay)
                if rule.reset:
                    reply = None
                elif rule.status is not None:
                    reply = fault_reply(rule, body, real)
                else:
                    reply = real or perform(self.state, request)
            self.state.record_request(log_entry(request, reply, rule, started))
            if reply is None:
                self._reset_connection()
            else:
                self._send(reply, rule.trickle if rule is not None else 0)

    def _send(self, reply: Reply, trickle: float = 0) -> None:
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header('Content-Type', reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(reply.body)))
        self.end_headers()
        if self.command == 'HEAD':
            return
        if not trickle:
            self.wfile.write(reply.body)
            return
        # A slow server: every piece arrives within any read timeout, the whole takes long.
        for start in range(0, len(reply.body), TRICKLE_CHUNK):
            self.wfile.write(reply.body[start:start + TRICKLE_CHUNK])
            self.wfile.flush()
            if start + TRICKLE_CHUNK < len(reply.body):
                time.sleep(trickle)

    def _reset_connection(self) -> None:
        """Drop the connection without an answer (RST where the OS allows)."""
        self.log_message('"%s" connection reset by fault', self.requestline)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        with contextlib.suppress(OSError):
            self.connection.close()


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threading HTTP server bound to exactly the given host, holding the state."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: EmulatorState, quiet: bool):
        self.state = state
        self.quiet = quiet
        if ':' in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, ReltioRequestHandler)

    def finish_request(self, request, client_address):
        """Do the TLS handshake in the request thread, not in the accept loop."""
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(ReltioRequestHandler.timeout)
                request.do_handshake()
            except OSError:
                return
        super().finish_request(request, client_address)


class ReltioEmulator:
    """The emulator as a Python object: ``ReltioEmulator().start()`` ... ``stop()``."""

    def __init__(self, host: str = '127.0.0.1', port: int = 0, *, config: EmulatorConfig | None = None,
                 state_file: str | None = None, tls_cert: str | None = None, tls_key: str | None = None, quiet: bool = True):
        self.state = EmulatorState(config or EmulatorConfig(), state_file)
        self.server = EmulatorHTTPServer((host, port), self.state, quiet)
        self.scheme = 'http'
        if tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                context.load_cert_chain(tls_cert, tls_key)
            except (OSError, ValueError):
                self.server.server_close()
                raise
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
            self.scheme = 'https'
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """The host the server is bound to."""
        return self.server.server_address[0]

    @property
    def port(self) -> int:
        """The port the server is bound to (the OS's choice with port 0)."""
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        host = f'[{self.host}]' if ':' in self.host else self.host
        return f'{self.scheme}://{host}:{self.port}'

    def start(self) -> ReltioEmulator:
        """Serve in a background thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.05},
                                            name='reltio-emulator', daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
            self._thread = None
        self.server.server_close()

    def __enter__(self) -> ReltioEmulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# --------------------------------------------------------------------------- command line

class StopRequested(Exception):
    """Raised by the SIGTERM/SIGINT handler to leave the main loop."""


def _request_stop(signum, frame):
    raise StopRequested(signum)


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(description='Local emulator of the Reltio API (tests, demo, benchmarks).')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default: %(default)s)')
    parser.add_argument('--port', type=int, default=0, help='port to bind; 0 lets the OS pick (default: %(default)s)')
    parser.add_argument('--port-file', help='write the bound port number to this file')
    parser.add_argument('--tls-cert', help='PEM certificate: serve HTTPS')
    parser.add_argument('--tls-key', help='PEM private key for --tls-cert')
    parser.add_argument('--client-id', default=DEFAULT_CLIENT_ID, help='OAuth client id (default: %(default)s)')
    parser.add_argument('--client-secret', default=DEFAULT_CLIENT_SECRET, help='OAuth client secret')
    parser.add_argument('--token', action='append', default=[], help='static access token, always valid (repeatable)')
    parser.add_argument('--token-ttl', type=int, default=DEFAULT_TOKEN_TTL, help='lifetime of issued tokens in seconds')
    parser.add_argument('--tenant', action='append', help='known tenant (repeatable); others get 404. Default: any tenant')
    parser.add_argument('--state-file', help='JSON file the connections are loaded from and saved to')
    parser.add_argument('--quiet', action='store_true', help='no per-request lines on stderr')
    parser.add_argument('--chaos-seed', help='turn on seeded random faults with this seed (see POST /_emulator/chaos)')
    parser.add_argument('--chaos-rate', type=float, default=0.3, help='share of API requests that get a fault (default: %(default)s)')
    parser.add_argument('--chaos-delay', type=float, default=1.5, help='seconds a "slow" fault waits (default: %(default)s)')
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGTERM or SIGINT."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key must be given together')
    if args.token_ttl < 0:
        parser.error('--token-ttl must not be negative')
    if not 0 <= args.chaos_rate <= 1 or args.chaos_delay < 0:
        parser.error('--chaos-rate must be between 0 and 1, --chaos-delay not negative')
    config = EmulatorConfig(client_id=args.client_id, client_secret=args.client_secret, token_ttl=args.token_ttl,
                            tenants=args.tenant, tokens=args.token)
    try:
        emulator = ReltioEmulator(args.host, args.port, config=config, state_file=args.state_file,
                                  tls_cert=args.tls_cert, tls_key=args.tls_key, quiet=args.quiet)
    except (OSError, ValueError) as err:
        print(f'reltio_emulator: cannot start: {err}', file=sys.stderr)
        return 1
    try:
        signal.signal(signal.SIGTERM, _request_stop)
        signal.signal(signal.SIGINT, _request_stop)
        if args.chaos_seed is not None:
            emulator.state.set_chaos({'seed': args.chaos_seed, 'rate': args.chaos_rate, 'delay': args.chaos_delay})
        emulator.start()
        if args.port_file:
            write_atomic(args.port_file, f'{emulator.port}\n')
        print(f'Reltio emulator listening on {emulator.url}', flush=True)
        while True:
            time.sleep(3600)
    except (StopRequested, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        emulator.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
