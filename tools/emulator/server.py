# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP servers: the Reltio listener (API and control API), the Databricks workspace listener (https),
the request log entries, and :class:`ReltioEmulator`, the emulator as a Python object."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import re
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from .control import CONTROL_PREFIX, control_reply
from .databricks import body_error as workspace_body_error
from .databricks import perform_workspace, request_principal, workspace_route
from .faults import TOKEN_ENDPOINTS, TRICKLE_CHUNK, FaultRule, fault_reply
from .reltio import perform, route_path
from .state import EmulatorConfig, EmulatorState
from .wire import (
    MAX_BODY_BYTES,
    REDACTED,
    ApiError,
    ApiRequest,
    Reply,
    Route,
    api_error,
    authorization_scheme,
    error_reply,
    internal_error_reply,
    secret_digest,
)

PUBLIC_FORM_KEYS = ('grant_type', 'scope')
# What the key of a form field looks like; anything else is no form.
_FORM_KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]{0,63}')
_CONTROL_CHARACTERS = re.compile('[\x00-\x1f\x7f-\x9f]')


# --------------------------------------------------------------------------- the request log

def loggable_body(endpoint: str, raw_body: bytes):
    """The body as the request log shows it: JSON as sent but a client secret, kept as its digest as ``/state`` keeps
    it (``clientSecretSha256``); form keys without secret values; of any other body, its size only (it may hold a
    secret nothing knows to hide)."""
    if not raw_body:
        return None
    text = raw_body.decode('utf-8', 'replace')
    if endpoint in TOKEN_ENDPOINTS:
        form = parse_qs(text, keep_blank_values=True)
        if not all(_FORM_KEY.fullmatch(key) for key in form):
            # Not a form (JSON, say): its "keys" would be the body itself, secrets and all.
            return f'({len(raw_body)} bytes, not a form)'
        return {key: (values[0] if key in PUBLIC_FORM_KEYS else REDACTED) for key, values in form.items()}
    try:
        body = json.loads(text)
    except ValueError:
        return f'({len(raw_body)} bytes, not JSON)'
    if isinstance(body, dict) and 'clientSecret' in body:
        secret = body.pop('clientSecret')
        body['clientSecretSha256'] = secret_digest(secret) if isinstance(secret, str) else None
    return body


def printable(text: str) -> str:
    """``text`` with each control character shown as its escape, for a terminal."""
    return _CONTROL_CHARACTERS.sub(lambda match: '\\x%02x' % ord(match.group()), text)


def is_loopback_name(host_header: str | None) -> bool:
    """Whether a Host header names this machine by a loopback name: localhost or a loopback address, any port.

    A page that a browser loaded from another site may reach 127.0.0.1 under a name of its own (DNS rebinding); its
    requests carry that name."""
    host = (host_header or '').strip().lower()
    if host.startswith('['):
        host = host[1:].partition(']')[0]
    elif host.count(':') == 1:
        host = host.partition(':')[0]
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def log_entry(request: ApiRequest, reply: Reply | None, rule: FaultRule | None, started: float, extra: dict | None = None) -> dict:
    """A request log entry (``seq`` is added by the state); ``extra``: keys of workspace requests."""
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
            'cookie': headers.get('Cookie'),
        },
        'body': loggable_body(request.route.endpoint, request.body),
        **(extra or {}),
    }


# --------------------------------------------------------------------------- request handlers

class ReltioRequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler for the Reltio API and the control API.

    Like a production server it sets TCP_NODELAY and sends the headers and body of a normal answer
    in one write, so no answer waits on Nagle's algorithm (and the client's delayed ACK).
    """

    protocol_version = 'HTTP/1.1'
    server_version = 'ReltioEmulator/1.0'
    timeout = 60
    disable_nagle_algorithm = True
    # Whether /_emulator/ is the control API on this listener.
    serves_control = True

    def do_GET(self):
        """Every method goes through the same dispatcher."""
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    @property
    def state(self) -> EmulatorState:
        """The emulator state of the server."""
        return self.server.state

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """One short line per request on stderr, unless quiet (never headers or bodies); a control character of a
        request line (an escape sequence in a path) is shown escaped, never sent to the terminal."""
        if not self.server.quiet:
            sys.stderr.write(f'{self.address_string()} - {printable(format % args)}\n')

    # What differs between the listeners.
    def route(self, raw_path: str) -> Route:
        """Where ``raw_path`` leads on this listener."""
        return route_path(raw_path)

    def perform(self, request: ApiRequest) -> Reply:
        """The real answer to ``request``."""
        return perform(self.state, request)

    def decorate(self, reply: Reply) -> Reply:
        """``reply`` with a new session cookie, when the config says so."""
        cookie = self.state.session_cookie()
        return reply if cookie is None else dataclasses.replace(reply, headers={**reply.headers, 'Set-Cookie': cookie})

    def body_error(self, status: int, message: str) -> ApiError:
        """An error about the request itself, in this server's shape."""
        return api_error(status, message)

    def log_extra(self, request: ApiRequest) -> dict | None:  # pylint: disable=unused-argument
        """More keys for the request log entry of ``request``."""
        return None

    # The common machinery.
    def _dispatch(self) -> None:
        raw_path = self.path.partition('?')[0].partition('#')[0]
        control = self.serves_control and raw_path.startswith(CONTROL_PREFIX)
        try:
            body = self._read_body()
            if control and 'Origin' in self.headers:
                # A browser sends Origin with a cross-site request (a text/plain POST needs no preflight).
                self._send(error_reply(403, 'The control API refuses requests that carry an Origin header'))
            elif control and not is_loopback_name(self.headers.get('Host')):
                self._send(error_reply(403, 'The control API answers only a Host that is a loopback name'
                                            ' (localhost, 127.0.0.1, [::1])'))
            elif control:
                self._send(control_reply(self.state, self.command, raw_path, body))
            else:
                self._serve_api(raw_path, body)
        except ApiError as err:
            # The body could not be read, so the connection cannot be reused.
            self.close_connection = True
            self._send(err.reply if control else self.decorate(err.reply))
        except (ConnectionError, TimeoutError, ssl.SSLError):
            # The client hung up (or the TLS session broke): nothing to answer, nothing to report.
            self.close_connection = True
        except Exception as exc:  # pylint: disable=broad-except
            # Never let a bug kill the connection thread without an answer.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(internal_error_reply(exc))

    def _read_body(self) -> bytes:
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            raise self.body_error(411, 'Chunked request bodies are not supported; send Content-Length')
        length = self.headers.get('Content-Length')
        if length is None:
            return b''
        if not length.strip().isdigit():
            raise self.body_error(400, f'Invalid Content-Length: {length}')
        if int(length) > MAX_BODY_BYTES:
            raise self.body_error(413, 'Request body too large')
        return self.rfile.read(int(length))

    def _serve_api(self, raw_path: str, body: bytes) -> None:
        with self.state.in_flight() as resets:
            started = time.monotonic()
            request = ApiRequest(self.command, raw_path, self.route(raw_path), self.headers, body)
            rule = self.state.take_fault(request.route.endpoint, request.route.tenant)
            if rule is None:
                reply = self.perform(request)
            else:
                real = self.perform(request) if rule.after_commit else None
                if rule.delay:
                    time.sleep(rule.delay)
                if rule.reset:
                    reply = None
                elif rule.status is not None:
                    reply = fault_reply(rule, body, real, request)
                else:
                    reply = real or self.perform(request)
            self.state.record_request(log_entry(request, reply, rule, started, self.log_extra(request)), resets)
            if reply is None:
                self._reset_connection()
            else:
                self._send(self.decorate(reply), rule)

    def _send(self, reply: Reply, rule: FaultRule | None = None) -> None:
        """Send ``reply``, paced as ``rule`` says: dripped headers, trickled body."""
        self.send_response(reply.status)
        if rule is not None and rule.header_drip is not None:
            self._drip_headers(rule.header_drip, rule.header_count)
        if reply.content_type:
            self.send_header('Content-Type', reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(reply.length))
        if self.command == 'HEAD':
            self.end_headers()
            return
        trickle = rule.trickle if rule is not None else 0
        if reply.stream is not None:
            self.end_headers()
            self._write_pieces(reply.stream.chunks(), trickle)
        elif trickle:
            # A slow server: every piece arrives within any read timeout, the whole takes long.
            self.end_headers()
            body = reply.body
            self._write_pieces((body[start:start + TRICKLE_CHUNK] for start in range(0, len(body), TRICKLE_CHUNK)), trickle)
        else:
            self._end_headers_with(reply.body)

    def _drip_headers(self, pause: float, count: int) -> None:
        """Send the status line, then ``count`` headers ``X-Drip-<n>: <n>``, ``pause`` seconds apart."""
        self.flush_headers()
        for number in range(1, count + 1):
            if pause:
                time.sleep(pause)
            self.send_header(f'X-Drip-{number}', str(number))
            self.flush_headers()

    def _write_pieces(self, pieces, pause: float) -> None:
        """Write ``pieces`` one by one, ``pause`` seconds between two."""
        for number, piece in enumerate(pieces):
            if pause and number:
                time.sleep(pause)
            self.wfile.write(piece)

    def _end_headers_with(self, body: bytes) -> None:
        """End the headers and send them with ``body`` in one write: one segment, nothing to wait for."""
        if self.request_version == 'HTTP/0.9' or not hasattr(self, '_headers_buffer'):
            self.end_headers()
            self.wfile.write(body)
            return
        # What end_headers does, with the body joined to http.server's header buffer before its one write.
        self._headers_buffer.extend((b'\r\n', body))
        self.flush_headers()

    def _reset_connection(self) -> None:
        """Drop the connection without an answer (RST where the OS allows)."""
        self.log_message('"%s" connection reset by fault', self.requestline)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        with contextlib.suppress(OSError):
            self.connection.close()


class WorkspaceRequestHandler(ReltioRequestHandler):
    """The Databricks workspace listener: the token and warehouse endpoints, Databricks' error shapes,
    no control API and no session cookies; faults, chaos and the request log work as on the Reltio listener."""

    server_version = 'DatabricksWorkspaceEmulator/1.0'
    serves_control = False

    def route(self, raw_path: str) -> Route:
        return workspace_route(raw_path)

    def perform(self, request: ApiRequest) -> Reply:
        return perform_workspace(self.state, request)

    def decorate(self, reply: Reply) -> Reply:
        return reply

    def body_error(self, status: int, message: str) -> ApiError:
        return workspace_body_error(status, message)

    def log_extra(self, request: ApiRequest) -> dict | None:
        return {'warehouse_id': request.route.warehouse_id, 'client_id': request_principal(self.state, request)}


# --------------------------------------------------------------------------- servers

class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threading HTTP server bound to exactly the given host, holding the state."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: EmulatorState, quiet: bool,
                 handler: type[ReltioRequestHandler] = ReltioRequestHandler):
        self.state = state
        self.quiet = quiet
        if ':' in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        """Do the TLS handshake in the request thread, not in the accept loop."""
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(ReltioRequestHandler.timeout)
                request.do_handshake()
            except OSError:
                return
        super().finish_request(request, client_address)

    def serve_tls(self, cert: str, key: str | None) -> None:
        """Serve https with the PEM certificate ``cert`` and key ``key`` (None: the key is in ``cert``)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)


def _base_url(scheme: str, address) -> str:
    host, port = address[0], address[1]
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


class ReltioEmulator:
    """The emulator as a Python object: ``ReltioEmulator().start()`` ... ``stop()``.

    With ``workspace_tls_cert`` (and ``workspace_tls_key``, unless the key is in the certificate file)
    the same state also serves a Databricks workspace over https on a second listener,
    ``workspace_url`` (``workspace_port`` 0: the OS picks the port).
    """

    def __init__(self, host: str = '127.0.0.1', port: int = 0, *, config: EmulatorConfig | None = None,
                 state_file: str | None = None, tls_cert: str | None = None, tls_key: str | None = None, quiet: bool = True,
                 workspace_tls_cert: str | None = None, workspace_tls_key: str | None = None, workspace_port: int = 0):
        if not workspace_tls_cert and (workspace_tls_key or workspace_port):
            raise ValueError('workspace_tls_key and workspace_port need workspace_tls_cert')
        self.state = EmulatorState(config or EmulatorConfig(), state_file)
        self.server = EmulatorHTTPServer((host, port), self.state, quiet)
        self.workspace_server: EmulatorHTTPServer | None = None
        self.scheme = 'http'
        try:
            if tls_cert:
                self.server.serve_tls(tls_cert, tls_key)
                self.scheme = 'https'
            if workspace_tls_cert:
                self.workspace_server = EmulatorHTTPServer((host, workspace_port), self.state, quiet, WorkspaceRequestHandler)
                self.workspace_server.serve_tls(workspace_tls_cert, workspace_tls_key)
                self.state.databricks.listener = tuple(self.workspace_server.server_address[:2])
        except BaseException:
            self._close()
            raise
        self._threads: list[tuple[EmulatorHTTPServer, threading.Thread]] = []

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
        """Base URL of the Reltio API and the control API, e.g. ``http://127.0.0.1:41234``."""
        return _base_url(self.scheme, self.server.server_address)

    @property
    def workspace_port(self) -> int | None:
        """The port of the Databricks workspace listener, or None without one."""
        return self.workspace_server.server_address[1] if self.workspace_server is not None else None

    @property
    def workspace_url(self) -> str | None:
        """Base URL of the Databricks workspace, e.g. ``https://127.0.0.1:41235``, or None without one."""
        return _base_url('https', self.workspace_server.server_address) if self.workspace_server is not None else None

    def _servers(self) -> list[EmulatorHTTPServer]:
        return [server for server in (self.server, self.workspace_server) if server is not None]

    def start(self) -> ReltioEmulator:
        """Serve in background threads; returns self."""
        if not self._threads:
            for number, server in enumerate(self._servers()):
                thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05},
                                          name='reltio-emulator' if number == 0 else 'reltio-emulator-workspace', daemon=True)
                thread.start()
                self._threads.append((server, thread))
        return self

    def stop(self) -> None:
        """Stop serving and close the listening sockets."""
        for server, _thread in self._threads:
            server.shutdown()
        for _server, thread in self._threads:
            thread.join()
        self._threads = []
        self._close()

    def _close(self) -> None:
        for server in self._servers():
            server.server_close()

    def __enter__(self) -> ReltioEmulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
