# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Real servers on 127.0.0.1 for the tests of the HTTP layers, each in a daemon thread and bounded in time.

``HttpServer`` answers each request with the next scripted ``Reply`` (http.server); ``RawServer`` hands each
connection to a script that writes whatever bytes it likes, slowly if it likes (a header a second, a body
byte by byte). Both record what they received. ``tls_files`` makes a CA and a server certificate (trustme).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import trustme

# No test may hang: every wait of a server is bounded by this many seconds.
SERVER_BOUND = 20


class Reply:
    """One scripted answer: status, headers (name, value pairs, in order) and body bytes."""

    def __init__(self, status=200, body=b"", headers=(), reason=None, content_length=True):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = list(headers.items()) if isinstance(headers, dict) else list(headers)
        self.reason = reason
        self.content_length = content_length


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = SERVER_BOUND

    def _answer(self):
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner.requests.append(SimpleNamespace(method=self.command, path=self.path, headers=self.headers, body=body))
        reply = owner.replies.pop(0) if owner.replies else Reply(500, b"no reply scripted")
        self.send_response(reply.status, reply.reason)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.content_length:
            self.send_header("Content-Length", str(len(reply.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


class HttpServer:
    """An HTTP/1.1 server (https with ``tls``, an ssl.SSLContext) that answers with ``replies`` in order.

    ``requests`` lists what it received: method, path, headers (an email.message.Message) and body.
    """

    def __init__(self, *replies, tls=None):
        self.replies = list(replies)
        self.requests = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.host = "127.0.0.1:%d" % self.port
        self.url = "%s://%s" % ("https" if tls is not None else "http", self.host)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(SERVER_BOUND)


class RawServer:
    """A TCP server: for each connection it reads the request head (and a body of Content-Length), then
    runs ``script(connection, stop)``, where ``stop`` is a threading.Event set when the test is done.

    ``requests`` lists the raw requests (head and body, bytes). Connections are served one after the other;
    with ``tls`` (an ssl.SSLContext) each is TLS.
    """

    def __init__(self, script, tls=None):
        self.script = script
        self.tls = tls
        self.requests = []
        self.errors = []
        self.stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.host = "127.0.0.1:%d" % self.port
        self.url = "%s://%s" % ("https" if tls is not None else "http", self.host)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self._thread.join(SERVER_BOUND)
        self._listener.close()

    def stop_listening(self):
        """From now on a connection to the port is refused (a script may call it)."""
        self._listener.close()

    def _serve(self):
        while not self.stop.is_set():
            try:
                connection, dummy = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.settimeout(SERVER_BOUND)
            try:
                if self.tls is not None:
                    connection = self.tls.wrap_socket(connection, server_side=True)
                self.requests.append(_read_request(connection))
                self.script(connection, self.stop)
            except OSError as exc:  # the client hung up: what the slow scripts expect
                self.errors.append(exc)
            finally:
                connection.close()


def _read_request(connection):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, dummy, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, dummy, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def tls_files(tmp_path):
    """A server SSLContext with a certificate for 127.0.0.1, and the path of the PEM of the CA that issued it."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_path))
    return context, str(ca_path)
