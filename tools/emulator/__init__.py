# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local emulator of the Reltio API (and of a Databricks workspace) for integration tests, the demo and benchmarks.

It serves the OAuth token endpoint, the Databricks connection endpoints under
``/reltio/api/tenants/{tenantId}/interactions/`` and, for tests only, a control
API under ``/_emulator/`` to read state and the request log and to inject faults.
Optionally the same process, with the same state, also serves a Databricks workspace over https on a
second listener (see "Databricks workspace" below).

Run ``python3 tools/reltio_emulator.py --help`` (the entry point: it puts tools/ on ``sys.path`` and calls
:func:`emulator.cli.main`), or, with tools/ on ``sys.path``, ``python3 -m emulator`` or
``from emulator import ReltioEmulator, EmulatorConfig``. The package never imports the collection's code.

Modules: ``wire`` (answers, the error shapes of Reltio, Databricks and OAuth, request parsing),
``state`` (configuration, connections, tokens, request log, counters), ``faults`` (scripted fault rules
and their answers), ``chaos`` (seeded random faults), ``databricks`` (the workspace: service principals,
warehouses, grants, its endpoints), ``reltio`` (the Reltio API's routes and operations), ``server`` (the
HTTP listeners and :class:`ReltioEmulator`), ``control`` (the control API), ``cli`` (the command line).

With ``--state-file`` the connections are loaded from and saved to a JSON file that never holds a
Databricks client secret: only its SHA-256 digest (``clientSecretSha256``) and ``credentialsRejected``,
what the connection test will answer, decided when the secret arrives. (Files of older versions, with a
clear-text ``clientSecret``, still load; the next save drops the secret.) The Databricks side is never saved.

Databricks workspace (off unless asked for)
    Command line: ``--workspace-tls-cert PEM --workspace-tls-key PEM [--workspace-port 0]
    [--workspace-port-file F]`` (the port file is written before ``--port-file``; a second line
    ``Databricks workspace listening on https://127.0.0.1:PORT`` follows the first on stdout). Python:
    ``ReltioEmulator(..., workspace_tls_cert=PEM, workspace_tls_key=PEM, workspace_port=0)`` and its
    ``workspace_url``/``workspace_port`` (None without a workspace). It binds the same ``--host``.

    ``POST /oidc/v1/token``
        Form ``grant_type=client_credentials&scope=all-apis``, HTTP Basic ``client_id:client_secret`` (or
        ``client_id``/``client_secret`` in the form). 200 ``{"access_token", "token_type": "Bearer",
        "expires_in": 3600, "scope": <the scope asked, default all-apis>}``. Unknown client id or wrong secret:
        401 ``{"error": "invalid_client", "error_description": "Client authentication failed"}``; another
        grant type: 400 ``{"error": "invalid_request", "error_description": ...}``.
    ``GET /api/2.0/sql/warehouses/{id}``
        ``Authorization: Bearer <a token this workspace issued>``. 200 ``{"id", "name", "cluster_size",
        "state", "health": {"status": "HEALTHY"}, "num_clusters", "odbc_params", ...}`` (a DELETED warehouse
        too: its state says so). Unknown id: 404 ``{"error_code": "RESOURCE_DOES_NOT_EXIST", "message":
        "Warehouse <id> does not exist."}``; the principal lacks CAN USE: 403 ``{"error_code":
        "PERMISSION_DENIED", "message": "Service principal <client_id> does not have CAN USE permission on
        warehouse <id>."}``; missing, unknown or expired token: 401 ``{"error_code": "UNAUTHENTICATED",
        "message": ...}``.
    Anything else answers 404 ``{"error_code": "ENDPOINT_NOT_FOUND", ...}`` (a known path with another
    method 405); the control API is only on the Reltio listener, and workspace answers set no cookie.

    Reltio's connection test of a stored connection whose ``workspaceUrl`` reaches the workspace listener
    (same port; the bound host, or any loopback name when bound to loopback) follows from the Databricks
    side: ``connected`` only when the stored client id is a service principal's, the stored secret's digest
    is that principal's, the warehouse exists, is not DELETED or DELETING, and the principal has CAN USE on
    it (STARTING, RUNNING, STOPPING, STOPPED are fine). Otherwise ``connected: false`` with the first of
    ``invalid_client: Client authentication failed``, ``Warehouse <id> does not exist.``,
    ``PERMISSION_DENIED: Service principal <client_id> does not have CAN USE permission on warehouse <id>.``,
    ``Warehouse <id> is deleted.`` Faults of the workspace endpoints do not touch Reltio's test. Any other
    workspace host: hosts ending in ``.invalid`` are unreachable, secrets starting with "invalid" rejected.

Control API (JSON, no authentication, on the Reltio listener): it answers HTTP 403 to a request whose ``Host`` is not a
loopback name (localhost, a loopback address, any port: DNS rebinding) or that carries an ``Origin`` header (a
browser's cross-site request); a ``--host`` that is not loopback makes the command line warn that it is open.

``GET health``, ``POST reset``
    Liveness; forget connections, requests, faults, chaos, counters and the Databricks side (principals,
    warehouses, workspace tokens), restore the startup config.
``GET state``
    Connections by tenant, each secret only as its SHA-256 digest.
``GET requests``
    The request log (the last 10000 API requests of both listeners; token form values and headers never
    logged, except ``headers.cookie``: the request's ``Cookie`` header or None, as cookies are not secret; a JSON
    body's ``clientSecret`` only as ``clientSecretSha256``, its digest, as ``/state`` keeps it; a body that is not
    JSON only as its size).
    Entries of the workspace listener have ``endpoint`` dbx_token, warehouse or other, ``tenant`` None, and
    two more keys: ``warehouse_id`` (of the path, or None) and ``client_id`` (the service principal the Basic
    credentials name or the bearer token was issued to, only when it is a known principal's: else None, so a
    secret sent as a client id is never logged).
``GET|POST config``
    Change ``token_ttl``, ``tenants``, ``test_result_key``, ``tokens`` and ``set_cookies`` at run time.
    ``set_cookies`` (bool, default true): every Reltio API answer (never the control API's) carries
    ``Set-Cookie: reltio_session=<16 hex digits, new for each answer>; Path=/; HttpOnly``,
    e.g. ``{"set_cookies": false}`` turns that off until the next reset.
``GET|POST|DELETE databricks``
    The Databricks side. ``POST {"service_principals": [{"client_id": "sp-1", "client_secret": "..."}],
    "warehouses": [{"id": "wh-1", "name": "Reltio", "state": "RUNNING", "cluster_size": "Small",
    "grants": ["sp-1"]}]}`` adds or replaces principals (by ``client_id``) and warehouses (by ``id``), all or
    nothing (one invalid entry: 400, nothing changes). A principal needs both keys; a warehouse needs ``id``
    (``name`` defaults to ``Warehouse <id>``, ``state`` to RUNNING: one of STARTING, RUNNING, STOPPING,
    STOPPED, DELETING, DELETED; ``cluster_size`` to Small; ``grants``, the client ids with CAN USE, to
    none). Secrets are kept only as SHA-256 digests. ``GET`` (and POST, DELETE) answer ``{"workspace_url":
    "https://127.0.0.1:PORT" or null, "service_principals": [{"client_id", "client_secret_sha256"}],
    "warehouses": [{"id", "name", "state", "cluster_size", "grants"}]}``. ``DELETE`` forgets principals,
    warehouses and the workspace tokens issued (they stop working).
``POST break``
    Break a stored connection to rehearse a failure: ``{"tenant": "t1", "connection_name": "c1", "how":
    "rotate_secret"}`` (or ``revoke_grant``, ``delete_warehouse``). A connection whose workspace URL reaches the
    workspace listener changes the Databricks side: the service principal gets a new secret (``new_secret``, or
    a random one), loses CAN USE on the warehouse, or the warehouse becomes DELETED; every connection that shares
    them fails its next test too. A connection to any other workspace is marked instead, and only its own test
    fails (with the same messages as the workspace's; storing new credentials undoes a rotated secret). Answers
    ``{"tenant", "connection_name", "how", "workspace_changed", "next_test": {"connected", "message"}}``; an
    unknown connection is a 404 in Reltio's shape, an unknown ``how``, principal or warehouse a 400.
``GET|POST|DELETE faults``
    Scripted fault rules, ``{"rules": [rule, ...]}``, applied in order before the real operation.
    A rule has ``endpoint`` (token, create, credentials, test, dbx_token, warehouse, any), ``tenant`` (a rule
    with a tenant never matches a workspace request), ``status`` (null: the real answer, the default when a
    rule only has ``delay``, ``trickle`` or ``header_drip``), ``body`` (json: the error shape of the server
    asked, Reltio's, Databricks' for warehouse or OAuth's for dbx_token; html, text, truncated, garbage:
    not UTF-8, deep: JSON arrays nested 100000 deep, empty, token, huge, gzip, dbx, dbx_int_code: see
    below), ``message``, ``retry_after``, ``delay`` (seconds), ``trickle`` (seconds between 16-byte pieces of
    the body, or between 64 KiB chunks of a huge one), ``count`` (-1 = forever), ``after_commit`` (run the
    real operation first, then fail), ``reset`` (drop the connection with a TCP RST), ``echo`` (repeat the
    request in the error message) and a free ``kind`` label. ``{"endpoint": "dbx_token", "delay": 5}`` makes
    a workspace that times out. Hostile servers:

    ``location`` (str or None)
        Sent as the ``Location`` header of the fault's answer, whatever its status (any 3xx included):
        ``{"endpoint": "create", "status": 307, "location": "http://127.0.0.2:9/x", "body": "empty"}``.
        Needs a status; no control characters, Latin-1 only.
    ``echo_style`` (plain, gson, latin1, base64, hex, escaped, mime, hexdump, utf16, octal; default plain)
        How the echo is spelt. ``plain`` is the original: the raw request body, decoded as UTF-8, in the
        message of whatever ``body`` says. ``gson`` and ``latin1`` echo the request as a server would re-read
        it: a JSON body re-dumped with its non-ASCII characters literal; for a token endpoint (token,
        dbx_token) the form text, a space and the decoded HTTP Basic ``client_id:client_secret``; any other
        body as UTF-8 text. ``gson`` answers the error shape of ``body`` json serialised as Google Gson does
        by default: compact, non-ASCII as ``\\uXXXX`` and ``< > & = '`` as ``\\u003c \\u003e \\u0026 \\u003d
        \\u0027``. ``latin1`` answers ``text/plain; charset=ISO-8859-1``, the message encoded in Latin-1 ("?"
        for the rest). Both decide the body (a rule may only give them ``body`` json or text); without
        ``echo`` they spell the bare message. ``{"endpoint": "token", "status": 401, "echo": true,
        "echo_style": "gson"}``. ``base64`` and ``hex`` echo the raw request body so encoded (as an API gateway
        hands a Lambda its ``event.body``), in the message of whatever ``body`` says; ``escaped`` spells each of its
        characters in turn as ``\\uXXXX``, ``%XX``, ``&#XXX;`` (hex digits in upper case) and as is; ``mime`` is
        base64 in lines of 76 characters, ``hexdump`` each byte in upper-case hex with a space between, ``utf16``
        base64 of the body as UTF-16-LE, ``octal`` each byte as a C escape (``\\173``).
    ``body`` token, with ``token`` (any JSON value, default ``"ABC123\\n"``)
        A token endpoint answer ``{"access_token": <token>, "token_type": "bearer", "expires_in": 3600}``
        with the rule's status: ``{"endpoint": "token", "status": 200, "body": "token", "token": 42}``.
    ``header_drip`` (seconds, 0 to 3600, default None: off) and ``header_count`` (1 to 100000, default 20)
        After the status line, ``header_count`` headers ``X-Drip-<n>: <n>``, one every ``header_drip``
        seconds (0: all at once, e.g. to send more headers than a client accepts), then the rest of the
        answer: ``{"endpoint": "test", "status": 200, "header_drip": 0.5}`` (no status: the real answer).
    ``body`` huge or gzip, with ``size`` (bytes, 0 to 16 GiB, default 200 MiB)
        ``huge``: ``{"errorMessage": "xxx...x"}`` of ``size`` bytes, streamed (``Content-Length: size``).
        ``gzip``: ``size`` spaces gzip-compressed, sent with ``Content-Encoding: gzip`` (``Content-Length``
        is the compressed length; compressed once per size):
        ``{"endpoint": "create", "status": 500, "body": "gzip", "size": 1073741824}``.
    ``body`` dbx (with ``error_code``, a string, default the code of the status) or dbx_int_code
        Databricks' error shape on any endpoint: ``{"error_code": "TEMPORARILY_UNAVAILABLE", "message": ...}``,
        or with the status as an integer code as some older endpoints answer: ``{"endpoint": "warehouse",
        "status": 404, "body": "dbx_int_code", "message": "No warehouse"}`` answers
        ``{"error_code": 404, "message": "No warehouse"}``.

    A client that hangs up in the middle of any answer only ends that connection.
``GET|POST|DELETE chaos``
    Seeded random faults: ``{"seed": 7, "rate": 0.3, "kinds": {"503": 2, "reset": 1}, "delay": 1.5,
    "retry_after": 1, "endpoints": [...], "tenants": [...]}``. Whether the n-th request of a tenant to an
    endpoint gets a fault, and which one, depends only on (seed, tenant, endpoint, n): the same seed gives
    each tenant the same faults however the requests of several tenants interleave. Scripted rules win.
    The kinds are the keys of :data:`CHAOS_KINDS`. ``endpoints`` defaults to Reltio's (token, create,
    credentials, test); dbx_token and warehouse get random faults only when listed (their requests have
    no tenant: a ``tenants`` list leaves them out).
``GET stats``
    Counters since the last reset: API requests (of both listeners), requests in flight, faults injected
    (by kind) and, per tenant and connection name, how many create requests were committed.
``GET issued-tokens``
    The access tokens issued since the last reset, Reltio's and the workspace's, so that tests can make sure
    none is ever printed. (The only secrets the control API shows; Reltio's stay valid after a reset, the
    workspace's end with it.)
"""

from __future__ import annotations

from .chaos import CHAOS_KINDS, Chaos
from .cli import build_parser, main
from .databricks import WAREHOUSE_STATES, DatabricksState, ServicePrincipal, Warehouse, workspace_route
from .faults import FAULT_BODIES, FAULT_ENDPOINTS, FaultRule, fault_reply
from .reltio import route_path
from .server import EmulatorHTTPServer, ReltioEmulator, ReltioRequestHandler, WorkspaceRequestHandler
from .state import EmulatorConfig, EmulatorState

__all__ = [
    'CHAOS_KINDS', 'FAULT_BODIES', 'FAULT_ENDPOINTS', 'WAREHOUSE_STATES', 'Chaos', 'DatabricksState', 'EmulatorConfig',
    'EmulatorHTTPServer', 'EmulatorState', 'FaultRule', 'ReltioEmulator', 'ReltioRequestHandler', 'ServicePrincipal',
    'Warehouse', 'WorkspaceRequestHandler', 'build_parser', 'fault_reply', 'main', 'route_path', 'workspace_route',
]
