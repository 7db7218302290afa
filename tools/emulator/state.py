# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""State: the configuration, the stored connections, tokens, the request log, faults, chaos and counters."""

from __future__ import annotations

import collections
import contextlib
import copy
import dataclasses
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
import uuid
from urllib.parse import unquote_plus

from .chaos import Chaos
from .databricks import DatabricksState
from .faults import FaultRule
from .wire import api_error, bearer_token, checked_settings, is_int, is_str_list, now_ms, require_fields, secret_digest, workspace_host

DEFAULT_CLIENT_ID = 'emulator-client'
DEFAULT_CLIENT_SECRET = 'emulator-client-secret'
DEFAULT_TOKEN_TTL = 3600
REQUEST_LOG_LIMIT = 10000
STORED_MESSAGE = 'Databricks M2M OAuth credentials stored successfully'
CREDENTIALS_BLANK = 'The clientId or clientSecret field is null or empty.'
SESSION_COOKIE = 'reltio_session={}; Path=/; HttpOnly'
TEST_RESULT_KEYS = ('data', 'result')
# How ``POST /_emulator/break`` breaks a stored connection.
BREAKS = ('rotate_secret', 'revoke_grant', 'delete_warehouse')
# The marks a break leaves on a connection to another workspace (see evaluate_connection).
BREAK_MARKS = {'revoke_grant': 'grantRevoked', 'delete_warehouse': 'warehouseDeleted'}
BREAK_CHECKS = {
    'tenant': lambda value: isinstance(value, str) and bool(value),
    'connection_name': lambda value: isinstance(value, str) and bool(value),
    'how': lambda value: value in BREAKS,
    'new_secret': lambda value: isinstance(value, str),
}

CREATE_REQUIRED = (
    (('connectionName',), 'The connectionName field is null or empty.'),
    (('workspaceUrl',), 'The workspaceUrl field is null or empty.'),
    (('warehouseId',), 'The warehouseId field is null or empty.'),
    (('clientId', 'clientSecret'), CREDENTIALS_BLANK),
)
CREDENTIALS_REQUIRED = ((('clientId', 'clientSecret'), CREDENTIALS_BLANK),)


# --------------------------------------------------------------------------- configuration

CONFIG_CHECKS = {
    'token_ttl': lambda value: is_int(value) and value >= 0,
    'tenants': lambda value: value is None or is_str_list(value),
    'test_result_key': lambda value: value in TEST_RESULT_KEYS,
    'tokens': is_str_list,
    'set_cookies': lambda value: isinstance(value, bool),
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
    set_cookies: bool = True

    def public_view(self) -> dict:
        """The configuration without the client secret."""
        view = dataclasses.asdict(self)
        del view['client_secret']
        return view

    def updated(self, changes) -> EmulatorConfig:
        """A copy with validated ``changes`` applied."""
        return dataclasses.replace(self, **checked_settings(changes, CONFIG_CHECKS, 'config'))


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


# --------------------------------------------------------------------------- connections

def evaluate_connection(connection: dict, databricks: DatabricksState | None = None) -> tuple[bool, str]:
    """Outcome of a connection test: (connected, message).

    A connection to this emulator's workspace listener follows from the Databricks side: the stored
    client id and secret digest must be a service principal's, the warehouse must exist, not be deleted,
    and the principal must have CAN USE on it. Any other workspace: hosts ending in ``.invalid`` are
    unreachable, secrets that started with "invalid" were rejected, and the marks of ``POST /_emulator/break``
    (``credentialsRejected``, ``grantRevoked``, ``warehouseDeleted``) say what fails, in that order.
    """
    if databricks is not None and databricks.serves(connection['workspaceUrl']):
        return databricks.evaluate(connection['clientId'], connection.get('clientSecretSha256', ''), connection['warehouseId'])
    host = workspace_host(connection['workspaceUrl']) or ''
    if host.endswith('.invalid'):
        return False, f'Unable to reach the Databricks workspace {host}'
    if connection.get('credentialsRejected'):
        return False, 'Databricks rejected the OAuth client credentials'
    if connection.get('grantRevoked'):
        return False, (f"PERMISSION_DENIED: Service principal {connection['clientId']} does not have CAN USE permission"
                       f" on warehouse {connection['warehouseId']}.")
    if connection.get('warehouseDeleted'):
        return False, f"Warehouse {connection['warehouseId']} is deleted."
    return True, 'Connection successful'


def secret_fields(client_secret: str) -> dict:
    """All a connection keeps of its client secret: the digest and what a test will say of it.

    Databricks rejects the secrets that start with "invalid".
    """
    return {'clientSecretSha256': secret_digest(client_secret), 'credentialsRejected': client_secret.startswith('invalid')}


def without_clear_secret(connection: dict) -> dict:
    """A connection loaded from a state file, its clear-text ``clientSecret`` (older files) replaced."""
    if 'clientSecret' not in connection:
        return connection
    kept = {key: value for key, value in connection.items() if key != 'clientSecret'}
    return {**kept, **secret_fields(str(connection['clientSecret']))}


def public_connection(connection: dict) -> dict:
    """A connection as shown by ``/_emulator/state``: the secret only as a digest."""
    return {key: value for key, value in connection.items() if key != 'credentialsRejected'}


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
        self._resets = 0
        self._faults: list[FaultRule] = []
        self._chaos: Chaos | None = None
        self._chaos_counts: collections.Counter = collections.Counter()
        self._stats = self._new_stats()
        self._in_flight = 0
        self.databricks = DatabricksState()
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
        self.connections = {tenant: {name: without_clear_secret(connection) for name, connection in connections.items()}
                            for tenant, connections in tenants.items()}

    def _persist_locked(self) -> None:
        # The connections hold no client secret (see secret_fields), so neither does the file.
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

    def issue_workspace_token(self, client_id: str, scope: str) -> dict:
        """Issue an access token of the Databricks workspace; listed by ``issued_tokens`` like Reltio's."""
        answer = self.databricks.issue_token(client_id, scope)
        with self.lock:
            self._issued_since_reset.append(answer['access_token'])
        return answer

    def authorize(self, header: str | None) -> None:
        """Raise 401 unless ``header`` carries a valid bearer token."""
        token = bearer_token(header)
        challenge = {'WWW-Authenticate': 'Bearer realm="reltio-emulator"'}
        if token is None:
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
                **secret_fields(body['clientSecret']),
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
            connection.update(secret_fields(body['clientSecret']))
            connection['credentialUpdates'] += 1
            self._persist_locked()
            return stored_result(connection)

    def test_connection(self, tenant: str, name: str) -> dict:
        """Test a connection; a success makes it ACTIVE. Returns the 200 body."""
        with self.lock:
            connection = self._connection_locked(tenant, name)
            connected, message = evaluate_connection(connection, self.databricks)
            connection['tests'] += 1
            if connected:
                connection['status'] = 'ACTIVE'
            self._persist_locked()
            key = self.config.test_result_key
        return {key: {'connected': connected, 'message': message, 'databaseType': 'DATABRICKS'}}

    def break_connection(self, spec) -> dict:
        """``POST /_emulator/break``: make a stored connection's test fail as Databricks would after a change.

        ``{"tenant", "connection_name", "how": "rotate_secret" | "revoke_grant" | "delete_warehouse"}``, and for
        ``rotate_secret`` optionally ``new_secret``. A connection to this emulator's workspace changes the workspace
        (the principal's secret, the warehouse's grants or state), so every connection that shares them breaks too; a
        connection to any other workspace gets a mark that only its own test reads (storing new credentials clears a
        rotated secret, nothing clears the other marks). Answers the break and what the next test will say.
        """
        settings = checked_settings(spec, BREAK_CHECKS, 'break')
        missing = [key for key in ('tenant', 'connection_name', 'how') if key not in settings]
        if missing:
            raise api_error(400, f"A break needs {', '.join(missing)}")
        how = settings['how']
        if 'new_secret' in settings and how != 'rotate_secret':
            raise api_error(400, 'new_secret goes only with rotate_secret')
        with self.lock:
            connection = self._connection_locked(settings['tenant'], settings['connection_name'])
            in_workspace = self.databricks.serves(connection['workspaceUrl'])
            if in_workspace and how == 'rotate_secret':
                self.databricks.rotate_secret(connection['clientId'], settings.get('new_secret'))
            elif in_workspace and how == 'revoke_grant':
                self.databricks.revoke_grant(connection['warehouseId'], connection['clientId'])
            elif in_workspace:
                self.databricks.delete_warehouse(connection['warehouseId'])
            elif 'new_secret' in settings:
                raise api_error(400, 'new_secret needs a connection to the emulator\'s own workspace')
            elif how == 'rotate_secret':
                connection['credentialsRejected'] = True
            else:
                connection[BREAK_MARKS[how]] = True
            self._persist_locked()
            connected, message = evaluate_connection(connection, self.databricks)
        return {'tenant': settings['tenant'], 'connection_name': settings['connection_name'], 'how': how,
                'workspace_changed': in_workspace, 'next_test': {'connected': connected, 'message': message}}

    # control API
    def snapshot(self) -> dict:
        """All connections by tenant, secrets replaced by their digest."""
        with self.lock:
            return {'tenants': {tenant: {name: public_connection(connection) for name, connection in connections.items()}
                                for tenant, connections in self.connections.items()}}

    def reset(self) -> dict:
        """Forget connections, requests, faults and the Databricks side; restore the startup config."""
        with self.lock:
            self.connections = {}
            self._requests.clear()
            self._seq = 0
            self._resets += 1
            self._faults = []
            self._chaos = None
            self._chaos_counts.clear()
            self._stats = self._new_stats()
            self._issued_since_reset.clear()
            self.config = copy.deepcopy(self._startup_config)
            self.databricks.clear()
            self._persist_locked()
        return {'ok': True}

    def session_cookie(self) -> str | None:
        """A ``Set-Cookie`` value with a new session id, or None when ``set_cookies`` is off."""
        with self.lock:
            enabled = self.config.set_cookies
        return SESSION_COOKIE.format(secrets.token_hex(8)) if enabled else None

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
        """Count an API request as in flight while the block runs; yields the number of resets so far, which
        ``record_request`` takes to leave out a request that started before the last reset."""
        with self.lock:
            self._in_flight += 1
            resets = self._resets
        try:
            yield resets
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

    def record_request(self, entry: dict, resets: int) -> None:
        """Append an entry to the request log, numbering it, unless the request started before the last reset (a
        slow answer to an earlier test's client must not show up in the next test's log)."""
        with self.lock:
            if resets != self._resets:
                return
            self._seq += 1
            self._requests.append({'seq': self._seq, **entry})

    def request_log(self) -> list:
        """The logged API requests, oldest first."""
        with self.lock:
            return list(self._requests)
