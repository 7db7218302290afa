# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the emulator's tests: a small HTTP client, request bodies, raw sockets, waiting."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

EMULATOR_SCRIPT = Path(__file__).resolve().parents[4] / 'tools' / 'reltio_emulator.py'

STATIC_TOKEN = 'static-test-token'
TENANT = 'tenantA'
USER_AGENT = 'emulator-tests/1.0'
CREDENTIALS_BLANK = 'The clientId or clientSecret field is null or empty.'
DROP = object()


@dataclasses.dataclass
class Response:
    """What the server answered."""

    status: int
    headers: object
    body: bytes

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)


class Client:
    """Tiny urllib client for the emulator (no proxies)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method, path, body=None, headers=None, raw=None) -> Response:
        """Send one request; HTTP errors come back as a Response too."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        all_headers = {'User-Agent': USER_AGENT}
        if body is not None:
            all_headers['Content-Type'] = 'application/json'
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        try:
            with self.opener.open(request, timeout=5) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as err:
            with err:
                return Response(err.code, err.headers, err.read())

    def api(self, subpath, body=None, *, token=STATIC_TOKEN, tenant=TENANT, method='POST', raw=None) -> Response:
        """Call an interactions endpoint with a bearer token."""
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        return self.call(method, f'/reltio/api/tenants/{tenant}/interactions/{subpath}', body, headers, raw)

    def create(self, name='conn-1', tenant=TENANT, token=STATIC_TOKEN, **overrides) -> Response:
        """Create a Databricks connection."""
        return self.api('database-configs/databricks/oauth/credentials', connection_body(name, **overrides), token=token, tenant=tenant)

    def store_credentials(self, name, body) -> Response:
        """Store (rotate) the OAuth credentials of a connection."""
        return self.api(f"database-configs/{urllib.parse.quote(name, safe='')}/databricks/oauth/credentials", body)

    def run_test(self, name='conn-1') -> Response:
        """Test a connection."""
        return self.api(f"database-configs/{urllib.parse.quote(name, safe='')}/test")

    def token(self, client_id='emulator-client', client_secret='emulator-client-secret', form=b'grant_type=client_credentials'):
        """Ask the token endpoint with HTTP Basic credentials."""
        basic = base64.b64encode(f'{client_id}:{client_secret}'.encode()).decode()
        headers = {'Authorization': f'Basic {basic}', 'Content-Type': 'application/x-www-form-urlencoded'}
        return self.call('POST', '/oauth/token', headers=headers, raw=form)

    def control(self, method, name, body=None):
        """Call the control API and return its JSON."""
        answer = self.call(method, f'/_emulator/{name}', body)
        assert answer.status == 200, answer.body
        return answer.json()

    def add_faults(self, *rules):
        """Append fault rules."""
        return self.control('POST', 'faults', {'rules': list(rules)})

    def connection(self, name='conn-1', tenant=TENANT):
        """The state view of one connection."""
        return self.control('GET', 'state')['tenants'][tenant][name]

    def requests(self):
        """The request log."""
        return self.control('GET', 'requests')['requests']

    def databricks(self, body=None, method='POST'):
        """The control API's Databricks side: POST ``body`` (default: :func:`databricks_world`), GET or DELETE."""
        if method == 'POST' and body is None:
            body = databricks_world()
        return self.control(method, 'databricks', body)


def connection_body(name='conn-1', **overrides):
    """A valid create body; overrides with DROP remove the field."""
    body = {
        'connectionName': name,
        'workspaceUrl': 'https://adb-1234567890123456.7.azuredatabricks.net',
        'warehouseId': 'ab1c2d3ef5g6h7i8',
        'clientId': 'sp-client-id',
        'clientSecret': 'sp-client-secret',
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not DROP}


def assert_reltio_error(answer: Response, status: int, message: str):
    """The answer is a Reltio-shaped error with this status and message."""
    assert answer.status == status
    assert answer.headers.get('Content-Type') == 'application/json'
    assert answer.json() == {'severity': 'Error', 'errorMessage': message, 'errorCode': status, 'errorDetailMessage': message}


def in_background(call):
    """Run ``call`` in a thread; returns the thread and a list that receives its result."""
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    return thread, outcome


def wait_for(condition, what):
    """Poll ``condition`` for at most 5 s."""
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, f'timed out waiting for {what}'
        time.sleep(0.02)


# --------------------------------------------------------------------------- raw HTTP

CREATE_PATH = f'/reltio/api/tenants/{TENANT}/interactions/database-configs/databricks/oauth/credentials'
BEARER = {'Authorization': f'Bearer {STATIC_TOKEN}', 'Content-Type': 'application/json'}
ODD_SECRET = "dbx-<b>&a='q'\"\\-\u00fcn\u00efc\u00f8d\u00e9-\u20ac-\u540d-\U0001f511"


def raw_answer(server, method, path, body=b'', headers=None):
    """Send one request with http.client; returns (response, wire bytes of the body)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request(method, path, body, headers or {})
        answer = connection.getresponse()
        return answer, answer.read()
    finally:
        connection.close()


def basic(client_id='emulator-client', client_secret='emulator-client-secret'):
    return 'Basic ' + base64.b64encode(f'{client_id}:{client_secret}'.encode()).decode()


def open_raw(server, path, body: bytes, headers: dict):
    """A raw socket that has sent one POST (Connection: close)."""
    sock = socket.create_connection((server.host, server.port), timeout=5)
    lines = [f'POST {path} HTTP/1.1', f'Host: {server.host}', f'Content-Length: {len(body)}', 'Connection: close']
    lines += [f'{name}: {value}' for name, value in headers.items()]
    sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode() + body)
    return sock


def arrivals(sock):
    """Everything the server sends until it closes, as (seconds since the call, bytes so far) after each read."""
    started, data, seen = time.monotonic(), b'', []
    while True:
        piece = sock.recv(65536)
        if not piece:
            return seen
        data += piece
        seen.append((time.monotonic() - started, data))


def first_time(seen, marker: bytes) -> float:
    return next(at for at, data in seen if marker in data)


def wait_idle(client):
    wait_for(lambda: client.control('GET', 'stats')['in_flight'] == 0, 'the server to finish the answer')


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


# --------------------------------------------------------------------------- the Databricks workspace

SP_ID = 'sp-0a1b2c3d'
SP_SECRET = 'dose0123456789abcdef-sp-secret'
OTHER_SP_ID = 'sp-other'
OTHER_SP_SECRET = 'dose-other-secret'
WAREHOUSE_ID = 'ab1c2d3ef5g6h7i8'


def databricks_world(state='RUNNING', grants=(SP_ID,)):
    """Two service principals and one warehouse that only ``grants`` may use."""
    return {
        'service_principals': [{'client_id': SP_ID, 'client_secret': SP_SECRET},
                               {'client_id': OTHER_SP_ID, 'client_secret': OTHER_SP_SECRET}],
        'warehouses': [{'id': WAREHOUSE_ID, 'name': 'Reltio export', 'state': state, 'grants': list(grants)}],
    }


class WorkspaceClient:
    """Tiny urllib client for the workspace listener (https, trusting the tests' CA; no proxies)."""

    def __init__(self, base_url: str, ca_file: str):
        self.base_url = base_url
        self.context = ssl.create_default_context(cafile=ca_file)
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self.context))

    def call(self, method, path, headers=None, raw=None, timeout=5) -> Response:
        """Send one request; HTTP errors come back as a Response too."""
        request = urllib.request.Request(self.base_url + path, data=raw, headers={'User-Agent': USER_AGENT, **(headers or {})},
                                         method=method)
        try:
            with self.opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as err:
            with err:
                return Response(err.code, err.headers, err.read())

    def token(self, client_id=SP_ID, client_secret=SP_SECRET, form=b'grant_type=client_credentials&scope=all-apis', **kwargs) -> Response:
        """Ask the workspace's OAuth token endpoint, credentials by HTTP Basic."""
        headers = {'Authorization': basic(client_id, client_secret), 'Content-Type': 'application/x-www-form-urlencoded'}
        return self.call('POST', '/oidc/v1/token', headers, form, **kwargs)

    def access_token(self, client_id=SP_ID, client_secret=SP_SECRET) -> str:
        """A token the workspace issued."""
        answer = self.token(client_id, client_secret)
        assert answer.status == 200, answer.body
        return answer.json()['access_token']

    def warehouse(self, warehouse_id=WAREHOUSE_ID, token=None, method='GET', **kwargs) -> Response:
        """``GET /api/2.0/sql/warehouses/{id}`` with a bearer token (a new one of SP_ID when none is given)."""
        token = self.access_token() if token is None else token
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        path = f"/api/2.0/sql/warehouses/{urllib.parse.quote(warehouse_id, safe='')}"
        return self.call(method, path, headers, **kwargs)


def assert_databricks_error(answer: Response, status: int, error_code, message: str):
    """The answer is a Databricks-shaped error."""
    assert answer.status == status
    assert answer.headers.get('Content-Type') == 'application/json'
    assert answer.json() == {'error_code': error_code, 'message': message}
