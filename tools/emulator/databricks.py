# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Databricks side: a workspace's service principals, SQL warehouses and grants, and its API.

The workspace listener (https) serves the OAuth M2M token endpoint ``POST /oidc/v1/token`` and
``GET /api/2.0/sql/warehouses/{id}``. Reltio's connection test of a connection whose workspace URL points
at that listener follows from what is stored here (:meth:`DatabricksState.evaluate`).
Secrets are kept only as SHA-256 digests; issued tokens only in memory.
"""

from __future__ import annotations

import copy
import dataclasses
import hmac
import secrets
import threading
import time
from urllib.parse import parse_qs, unquote, unquote_plus

from .wire import (
    ApiError,
    ApiRequest,
    Reply,
    Route,
    api_error,
    basic_credentials,
    bearer_token,
    checked_settings,
    databricks_error,
    internal_error_reply,
    is_blank,
    is_str_list,
    json_reply,
    oauth_error,
    secret_digest,
    workspace_address,
)

WAREHOUSE_STATES = ('STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'DELETING', 'DELETED')
GONE_STATES = ('DELETING', 'DELETED')
CLUSTER_SIZES = ('2X-Small', 'X-Small', 'Small', 'Medium', 'Large', 'X-Large', '2X-Large', '3X-Large', '4X-Large')
WORKSPACE_TOKEN_TTL = 3600
DEFAULT_SCOPE = 'all-apis'
INVALID_CLIENT = 'Client authentication failed'
NO_CREDENTIAL = 'Credential was not sent or was of an unsupported type for this API.'
INVALID_TOKEN = 'Invalid access token.'
EXPIRED_TOKEN = 'Access token expired.'
TOKEN_PATH = ['', 'oidc', 'v1', 'token']
WAREHOUSES_PATH = ['', 'api', '2.0', 'sql', 'warehouses']
LOOPBACK_NAMES = ('127.0.0.1', '::1', 'localhost')
WILDCARD_HOSTS = ('0.0.0.0', '::', '')


def _non_blank(value) -> bool:
    return not is_blank(value)


PRINCIPAL_CHECKS = {'client_id': _non_blank, 'client_secret': _non_blank}
WAREHOUSE_CHECKS = {
    'id': _non_blank,
    'name': _non_blank,
    'state': lambda value: value in WAREHOUSE_STATES,
    'cluster_size': lambda value: value in CLUSTER_SIZES,
    'grants': is_str_list,
}
DATABRICKS_CHECKS = {
    'service_principals': lambda value: isinstance(value, list),
    'warehouses': lambda value: isinstance(value, list),
}


@dataclasses.dataclass
class ServicePrincipal:
    """A service principal and the digest of its Databricks OAuth secret."""

    client_id: str
    client_secret_sha256: str

    @classmethod
    def from_spec(cls, spec) -> ServicePrincipal:
        """``{"client_id": ..., "client_secret": ...}``: both required, the secret kept only as its digest."""
        settings = checked_settings(spec, PRINCIPAL_CHECKS, 'service principal')
        if set(settings) != set(PRINCIPAL_CHECKS):
            raise api_error(400, 'A service principal needs client_id and client_secret')
        return cls(settings['client_id'], secret_digest(settings['client_secret']))

    def secret_matches(self, client_secret: str) -> bool:
        """True when ``client_secret`` is this principal's secret."""
        return hmac.compare_digest(secret_digest(client_secret), self.client_secret_sha256)


@dataclasses.dataclass
class Warehouse:
    """A SQL warehouse: its state and the client ids that have CAN USE on it."""

    id: str  # pylint: disable=invalid-name
    name: str
    state: str = 'RUNNING'
    cluster_size: str = 'Small'
    grants: list = dataclasses.field(default_factory=list)

    @classmethod
    def from_spec(cls, spec) -> Warehouse:
        """``{"id": ..., "name": ..., "state": "RUNNING", "cluster_size": "Small", "grants": [client_id, ...]}``."""
        settings = checked_settings(spec, WAREHOUSE_CHECKS, 'warehouse')
        if 'id' not in settings:
            raise api_error(400, 'A warehouse needs an id')
        settings.setdefault('name', f"Warehouse {settings['id']}")
        return cls(**settings)

    def api_view(self, listener: tuple[str, int] | None) -> dict:
        """The warehouse as ``GET /api/2.0/sql/warehouses/{id}`` answers it."""
        host, port = listener or ('127.0.0.1', 443)
        running = self.state == 'RUNNING'
        return {
            'id': self.id,
            'name': self.name,
            'cluster_size': self.cluster_size,
            'min_num_clusters': 1,
            'max_num_clusters': 1,
            'auto_stop_mins': 10,
            'num_clusters': 1 if running else 0,
            'num_active_sessions': 0,
            'state': self.state,
            'health': {'status': 'HEALTHY'},
            'warehouse_type': 'PRO',
            'enable_serverless_compute': True,
            'odbc_params': {'hostname': host, 'path': f'/sql/1.0/warehouses/{self.id}', 'protocol': 'https', 'port': port},
        }


class DatabricksState:
    """The workspace's principals, warehouses and issued tokens, guarded by their own lock.

    Lock order: the emulator state's lock may be held while this one is taken, never the reverse.
    """

    def __init__(self):
        self.lock = threading.Lock()
        # (host, port) of the workspace listener, set when it is bound; None: no workspace.
        self.listener: tuple[str, int] | None = None
        self.principals: dict[str, ServicePrincipal] = {}
        self.warehouses: dict[str, Warehouse] = {}
        self._tokens: dict[str, tuple[str, float]] = {}

    # the listener
    @property
    def workspace_url(self) -> str | None:
        """``https://HOST:PORT`` of the workspace listener, or None."""
        if self.listener is None:
            return None
        host, port = self.listener
        return f"https://{f'[{host}]' if ':' in host else host}:{port}"

    def serves(self, url: str) -> bool:
        """True when ``url`` (a workspace URL) reaches this emulator's workspace listener."""
        address = workspace_address(url)
        if self.listener is None or address is None:
            return False
        host, port = self.listener
        names = {host.lower()}
        if host in LOOPBACK_NAMES or host in WILDCARD_HOSTS:
            names.update(LOOPBACK_NAMES)
        return address[1] == port and address[0] in names

    # control API
    def view(self) -> dict:
        """``GET /_emulator/databricks``: the workspace URL, principals (secrets as digests) and warehouses."""
        with self.lock:
            return {
                'workspace_url': self.workspace_url,
                'service_principals': [dataclasses.asdict(principal) for principal in self.principals.values()],
                'warehouses': [dataclasses.asdict(warehouse) for warehouse in self.warehouses.values()],
            }

    def configure(self, spec) -> dict:
        """``POST /_emulator/databricks``: add or replace principals (by client id) and warehouses (by id).

        All or nothing: one invalid entry changes nothing.
        """
        settings = checked_settings(spec, DATABRICKS_CHECKS, 'databricks')
        principals = [ServicePrincipal.from_spec(item) for item in settings.get('service_principals', [])]
        warehouses = [Warehouse.from_spec(item) for item in settings.get('warehouses', [])]
        with self.lock:
            self.principals.update((principal.client_id, principal) for principal in principals)
            self.warehouses.update((warehouse.id, warehouse) for warehouse in warehouses)
        return self.view()

    def clear(self) -> dict:
        """``DELETE /_emulator/databricks`` (and reset): forget principals, warehouses and issued tokens."""
        with self.lock:
            self.principals = {}
            self.warehouses = {}
            self._tokens = {}
        return self.view()

    # breaking a stored connection (``POST /_emulator/break``)
    def rotate_secret(self, client_id: str, new_secret: str | None = None) -> None:
        """Give the principal a new secret (``new_secret``, or a random one nobody knows); raises 400 if unknown."""
        if new_secret is not None and is_blank(new_secret):
            raise api_error(400, 'new_secret must be a non-blank string')
        with self.lock:
            if client_id not in self.principals:
                raise api_error(400, f'No service principal {client_id} in the workspace')
            self.principals[client_id] = ServicePrincipal(client_id, secret_digest(new_secret or secrets.token_urlsafe(24)))

    def revoke_grant(self, warehouse_id: str, client_id: str) -> None:
        """Take CAN USE on the warehouse from the principal; raises 400 if the warehouse is unknown."""
        with self.lock:
            warehouse = self._known_warehouse_locked(warehouse_id)
            warehouse.grants = [grant for grant in warehouse.grants if grant != client_id]

    def delete_warehouse(self, warehouse_id: str) -> None:
        """Mark the warehouse DELETED; raises 400 if it is unknown."""
        with self.lock:
            self._known_warehouse_locked(warehouse_id).state = 'DELETED'

    def _known_warehouse_locked(self, warehouse_id: str) -> Warehouse:
        warehouse = self.warehouses.get(warehouse_id)
        if warehouse is None:
            raise api_error(400, f'No warehouse {warehouse_id} in the workspace')
        return warehouse

    # the workspace API
    def knows(self, client_id: str) -> bool:
        """True when ``client_id`` is a service principal of this workspace."""
        with self.lock:
            return client_id in self.principals

    def authenticate(self, client_id: str, client_secret: str) -> str | None:
        """The client id of the principal these credentials (raw or form-decoded) belong to, or None."""
        with self.lock:
            principals = dict(self.principals)
        for given_id, given_secret in ((client_id, client_secret), (unquote_plus(client_id), unquote_plus(client_secret))):
            principal = principals.get(given_id)
            if principal is not None and principal.secret_matches(given_secret):
                return given_id
        return None

    def issue_token(self, client_id: str, scope: str) -> dict:
        """A new access token for ``client_id``: the token endpoint's answer."""
        token = secrets.token_urlsafe(32)
        with self.lock:
            self._tokens[token] = (client_id, time.monotonic() + WORKSPACE_TOKEN_TTL)
        return {'access_token': token, 'token_type': 'Bearer', 'expires_in': WORKSPACE_TOKEN_TTL, 'scope': scope}

    def token_principal(self, token: str | None) -> str | None:
        """The client id an unexpired token of this workspace was issued to, or None."""
        with self.lock:
            issued = self._tokens.get(token) if token else None
        return issued[0] if issued is not None and time.monotonic() < issued[1] else None

    def authorize(self, header: str | None) -> str:
        """The client id behind a bearer ``Authorization`` header; raises 401 UNAUTHENTICATED."""
        token = bearer_token(header)
        if token is None:
            raise databricks_error(401, NO_CREDENTIAL)
        with self.lock:
            issued = self._tokens.get(token)
        if issued is None:
            raise databricks_error(401, INVALID_TOKEN)
        if time.monotonic() >= issued[1]:
            raise databricks_error(401, EXPIRED_TOKEN)
        return issued[0]

    def warehouse_for(self, client_id: str, warehouse_id: str) -> dict:
        """The API view of a warehouse the principal may use; raises 404 or 403 in Databricks' shape."""
        with self.lock:
            warehouse = copy.deepcopy(self.warehouses.get(warehouse_id))
            listener = self.listener
        if warehouse is None:
            raise databricks_error(404, warehouse_missing(warehouse_id))
        if client_id not in warehouse.grants:
            raise databricks_error(403, cannot_use(client_id, warehouse_id))
        return warehouse.api_view(listener)

    # Reltio's connection test
    def evaluate(self, client_id: str, client_secret_sha256: str, warehouse_id: str) -> tuple[bool, str]:
        """What Reltio's connection test answers for credentials stored as (client id, secret digest)."""
        with self.lock:
            principal = self.principals.get(client_id)
            warehouse = self.warehouses.get(warehouse_id)
            known = principal is not None and hmac.compare_digest(principal.client_secret_sha256, client_secret_sha256 or '')
            granted = warehouse is not None and client_id in warehouse.grants
            gone = warehouse is not None and warehouse.state in GONE_STATES
        if not known:
            return False, f'invalid_client: {INVALID_CLIENT}'
        if warehouse is None:
            return False, warehouse_missing(warehouse_id)
        if not granted:
            return False, f'PERMISSION_DENIED: {cannot_use(client_id, warehouse_id)}'
        if gone:
            return False, f'Warehouse {warehouse_id} is deleted.'
        return True, 'Connection successful'


def warehouse_missing(warehouse_id: str) -> str:
    """Databricks' message for an unknown warehouse."""
    return f'Warehouse {warehouse_id} does not exist.'


def cannot_use(client_id: str, warehouse_id: str) -> str:
    """The message for a principal without CAN USE on a warehouse."""
    return f'Service principal {client_id} does not have CAN USE permission on warehouse {warehouse_id}.'


# --------------------------------------------------------------------------- the workspace API

def workspace_route(raw_path: str) -> Route:
    """Split the raw path on "/" first, then percent-decode each segment."""
    segments = [unquote(segment) for segment in raw_path.split('/')]
    if segments == TOKEN_PATH:
        return Route('dbx_token')
    if len(segments) == 6 and segments[:5] == WAREHOUSES_PATH and segments[5]:
        return Route('warehouse', warehouse_id=segments[5])
    return Route('other')


def _require_method(request: ApiRequest, method: str) -> None:
    if request.method != method:
        raise databricks_error(405, f'Method {request.method} is not allowed for {request.raw_path}', 'BAD_REQUEST',
                               {'Allow': method})


def _first(form: dict, key: str) -> str | None:
    values = form.get(key)
    return values[0] if values else None


def token_reply(state, request: ApiRequest) -> Reply:
    """``POST /oidc/v1/token``: client credentials by HTTP Basic (or client_id/client_secret in the form)."""
    form = parse_qs(request.body.decode('utf-8', 'replace'), keep_blank_values=True)
    credentials = basic_credentials(request.headers.get('Authorization'))
    if credentials is None and _first(form, 'client_id') is not None:
        credentials = (_first(form, 'client_id'), _first(form, 'client_secret') or '')
    client_id = state.databricks.authenticate(*credentials) if credentials is not None else None
    if client_id is None:
        raise oauth_error(401, 'invalid_client', INVALID_CLIENT)
    grant_type = _first(form, 'grant_type')
    if grant_type != 'client_credentials':
        raise oauth_error(400, 'invalid_request', f'Unsupported grant_type: {grant_type or "(none)"}; use client_credentials')
    scope = _first(form, 'scope') or DEFAULT_SCOPE
    return json_reply(200, state.issue_workspace_token(client_id, scope))


def perform_workspace(state, request: ApiRequest) -> Reply:
    """Run the real operation of a workspace request; errors come back as replies in Databricks' shape."""
    try:
        route = request.route
        if route.endpoint == 'dbx_token':
            _require_method(request, 'POST')
            return token_reply(state, request)
        if route.endpoint == 'warehouse':
            _require_method(request, 'GET')
            client_id = state.databricks.authorize(request.headers.get('Authorization'))
            return json_reply(200, state.databricks.warehouse_for(client_id, route.warehouse_id))
        raise databricks_error(404, f"No API found for '{request.method} {request.raw_path}'", 'ENDPOINT_NOT_FOUND')
    except ApiError as err:
        return err.reply
    except Exception as exc:  # pylint: disable=broad-except
        # A bug must become a 500 answer, never a dropped connection.
        return internal_error_reply(exc)


def request_principal(state, request: ApiRequest) -> str | None:
    """The client id of a known service principal a workspace request acts for, or None (for the request log).

    Only a known principal's id is shown, so a secret sent in the place of a client id is never logged.
    """
    client_id = None
    if request.route.endpoint == 'dbx_token':
        credentials = basic_credentials(request.headers.get('Authorization'))
        if credentials is None:
            credentials = (_first(parse_qs(request.body.decode('utf-8', 'replace')), 'client_id'), None)
        client_id = credentials[0]
    elif request.route.endpoint == 'warehouse':
        client_id = state.databricks.token_principal(bearer_token(request.headers.get('Authorization')))
    return client_id if client_id is not None and state.databricks.knows(client_id) else None


def body_error(status: int, message: str) -> ApiError:
    """An error about the request itself (length, encoding), in Databricks' shape."""
    return databricks_error(status, message, 'BAD_REQUEST' if status < 500 else None)
