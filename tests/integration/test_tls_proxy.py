# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS and proxies, through real ansible commands against the emulator serving https on 127.0.0.1.

The tests make their own CA (trustme). An untrusted or mismatched certificate fails with a
message about the certificate; ca_path makes the private CA work; validate_certs=false works
and warns. HTTPS_PROXY is honoured through a tiny CONNECT proxy on 127.0.0.1, NO_PROXY bypasses
it, and a proxy's password is never printed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import selectors
import socket
import socketserver
import threading

import pytest

from reltio_world import (
    DATABRICKS_CLIENT_ID,
    DATABRICKS_CLIENT_SECRET,
    RELTIO_CLIENT_ID,
    RELTIO_CLIENT_SECRET,
    RELTIO_TOKEN,
    WAREHOUSE_ID,
    WORKSPACE_URL,
)

MODULE = "reltio.platform.reltio_databricks_connection"
PROXY_USER, PROXY_PASSWORD = "proxy-user", "proxy-pass-Zk4Rw8Tn"
TUNNEL_IDLE_SECONDS = 15


def tls_env(ansible, server, tenant, auth="token", **extra):
    env = ansible.databricks_env()
    env.update(RELTIO_PLATFORM_URL=server.url, RELTIO_TENANT_ID=tenant)
    if auth == "token":
        env["RELTIO_ACCESS_TOKEN"] = RELTIO_TOKEN
    else:
        env.update(RELTIO_CLIENT_ID=RELTIO_CLIENT_ID, RELTIO_CLIENT_SECRET=RELTIO_CLIENT_SECRET, RELTIO_AUTH_URL=server.url + "/oauth/token")
    env.update(extra)
    return env


def run_over_tls(ansible, server, module_args, env, *args):
    """An ad-hoc task; the tokens this emulator issued join the leak scan."""
    run = ansible.adhoc(module_args, *args, env=env)
    for token in server.state.issued_tokens()["tokens"]:
        ansible.add_secret("token issued over TLS", token)
    return run


# --------------------------------------------------------------------------- TLS


def tls_task(ansible, name, server, tenant, auth="token", **args):
    """A task of a play that proves several cases: its server and tenant in its environment, its failure ignored."""
    return {"name": name, MODULE: dict(args, connection_name="x"), "ignore_errors": True,
            "environment": tls_env(ansible, server, tenant, auth=auth)}


class TestTls:
    def test_each_certificate_is_trusted_or_refused_as_configured(self, ansible, tls, tenant):
        """Four cases, a task and a tenant each, in one play: an untrusted certificate fails by default with a message
        about it; the private CA in ca_path is trusted for the token and the API; a certificate for another host fails
        even with the CA; validate_certs=false works and warns."""
        good, mismatched = tls["good"], tls["mismatched"]
        untrusted, private, other, unchecked = ("%s%s" % (tenant, case) for case in ("untrusted", "ca", "other", "off"))
        run = ansible.playbook(json.dumps([{"name": "tls", "hosts": "localhost", "gather_facts": False, "tasks": [
            tls_task(ansible, "untrusted", good, untrusted),
            tls_task(ansible, "private ca", good, private, auth="client", ca_path=tls["ca_path"]),
            tls_task(ansible, "other host", mismatched, other, ca_path=tls["ca_path"]),
            tls_task(ansible, "not checked", mismatched, unchecked, validate_certs=False)]}]), env=ansible.databricks_env())
        for server in (good, mismatched):
            for token in server.state.issued_tokens()["tokens"]:
                ansible.add_secret("token issued over TLS", token)
        assert set(run.failed_messages()) == {"untrusted", "other host"}, run.output
        assert "Traceback" not in run.output

        msg = run.task("untrusted")["msg"]
        assert "TLS error" in msg and "certificate verify failed" in msg and "ca_path" in msg, msg

        assert run.task("private ca")["created"] is True
        # Nothing of the untrusted case reached the server: its requests are the private CA case's.
        assert [(entry["endpoint"], entry["tenant"]) for entry in good.state.request_log()] == [
            ("token", None), ("create", private)]
        assert list(good.connections(private)) == ["x"]

        msg = run.task("other host")["msg"]
        assert "TLS error" in msg and "127.0.0.1" in msg and ("match" in msg or "mismatch" in msg), msg

        result = run.task("not checked")
        assert result["created"] is True
        assert "validate_certs is false" in " ".join(result.get("warnings", []))
        assert "[WARNING]: validate_certs is false" in run.output
        # Nothing of the other host's case reached the server.
        assert [entry["tenant"] for entry in mismatched.state.request_log()] == [unchecked]
        assert list(mismatched.connections(unchecked)) == ["x"]


# --------------------------------------------------------------------------- proxies

class _TunnelHandler(socketserver.StreamRequestHandler):
    """CONNECT to 127.0.0.1 only, optionally behind Basic proxy credentials; then relay bytes both ways."""

    timeout = 10

    def _answer(self, status):
        self.wfile.write(("HTTP/1.1 %s\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                          % status).encode("ascii"))

    def handle(self):
        proxy = self.server.proxy
        request_line = self.rfile.readline(65537).decode("latin-1").split()
        method, target = (request_line + ["", ""])[:2]
        headers = {}
        while len(headers) < 100:
            line = self.rfile.readline(65537).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, separator, value = line.partition(":")
            headers[name.strip().lower() if separator else line] = value.strip()
        proxy.requests.append((method, target, "proxy-authorization" in headers))
        host, port = target.rpartition(":")[::2]
        if method != "CONNECT" or host != "127.0.0.1" or not port.isdigit():
            self._answer("403 Forbidden")
            return
        if proxy.expected_authorization and headers.get("proxy-authorization") != proxy.expected_authorization:
            self._answer("407 Proxy Authentication Required")
            return
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._relay(self.connection, upstream, proxy.tunnelled)

    @staticmethod
    def _relay(client, upstream, record):
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                selector.register(sock, selectors.EVENT_READ)
            while True:
                events = selector.select(TUNNEL_IDLE_SECONDS)
                if not events:
                    return
                for key, _mask in events:
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    record.extend(data)
                    peers[key.fileobj].sendall(data)


class ConnectProxy:
    """A CONNECT proxy on 127.0.0.1 that records what it was asked and the bytes it relayed."""

    def __init__(self, credentials=None):
        self.expected_authorization = "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        self.requests = []
        self.tunnelled = bytearray()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TunnelHandler)
        self.server.daemon_threads = True
        self.server.proxy = self
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server.server_address[1]

    def url(self, userinfo=""):
        return "http://%s127.0.0.1:%d" % (userinfo + "@" if userinfo else "", self.port)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def authenticating_proxy():
    with contextlib.closing(ConnectProxy("%s:%s" % (PROXY_USER, PROXY_PASSWORD))) as running:
        yield running


def free_port():
    """A port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestProxies:
    def test_proxies_of_the_environment_and_of_the_task_are_honoured_and_see_no_secret(self, ansible, tls, tenant,
                                                                                       authenticating_proxy, execution):
        """Three cases, a task, a tenant and a proxy each, in one run at -vvvv: HTTPS_PROXY of the environment (AWX's
        way), with credentials, carries the requests, which it sees only as ciphertext, and its password is never
        printed; NO_PROXY bypasses a proxy; HTTPS_PROXY in the task's environment is honoured."""
        server = tls["good"]
        target = "127.0.0.1:%d" % server.server.port
        with contextlib.closing(ConnectProxy()) as bypassed, contextlib.closing(ConnectProxy()) as of_the_task:
            env = tls_env(ansible, server, tenant + "env", auth="client",
                          HTTPS_PROXY=authenticating_proxy.url("%s:%s" % (PROXY_USER, PROXY_PASSWORD)))
            tasks = [
                {"name": "environment proxy", MODULE: {"connection_name": "x", "ca_path": tls["ca_path"]}},
                {"name": "no proxy", "environment": {"RELTIO_TENANT_ID": tenant + "noproxy", "HTTPS_PROXY": bypassed.url(),
                                                     "NO_PROXY": "localhost,127.0.0.1"},
                 MODULE: {"connection_name": "x", "ca_path": tls["ca_path"]}},
                {"name": "task proxy", "environment": {"HTTPS_PROXY": of_the_task.url()}, MODULE: {
                    "platform_url": server.url, "tenant_id": tenant + "task", "access_token": RELTIO_TOKEN,
                    "ca_path": tls["ca_path"], "connection_name": "x", "workspace_url": WORKSPACE_URL,
                    "warehouse_id": WAREHOUSE_ID, "client_id": DATABRICKS_CLIENT_ID, "client_secret": DATABRICKS_CLIENT_SECRET,
                    "execution": execution}}]
            run = ansible.playbook(json.dumps([{"name": "proxies", "hosts": "localhost", "gather_facts": False,
                                                "tasks": tasks}]), "-vvvv", env=env)
            for token in server.state.issued_tokens()["tokens"]:
                ansible.add_secret("token issued over TLS", token)
            assert run.rc == 0, run.output

            assert run.task("environment proxy")["created"] is True
            assert authenticating_proxy.requests and set(authenticating_proxy.requests) == {("CONNECT", target, True)}
            # TLS from end to end: the proxy relayed ciphertext only.
            assert authenticating_proxy.tunnelled
            for secret in (RELTIO_CLIENT_SECRET, DATABRICKS_CLIENT_SECRET, b"clientSecret", b"Authorization"):
                assert (secret.encode() if isinstance(secret, str) else secret) not in authenticating_proxy.tunnelled
            assert "password in $HTTPS_PROXY" in ansible.secrets

            assert bypassed.requests == []
            assert list(server.connections(tenant + "noproxy")) == ["x"]

            assert [entry[0] for entry in of_the_task.requests] == ["CONNECT"]
            assert list(server.connections(tenant + "task")) == ["x"]

    @pytest.mark.parametrize("case", ["wrong password", "nobody listening"])
    def test_a_failing_proxy_fails_clearly_without_its_password(self, ansible, tls, tenant, authenticating_proxy, case):
        # A run a case: the point is what -vvvv prints, and at -vvvv the target path shows a task's environment.
        server = tls["good"]
        if case == "wrong password":
            proxy_url = authenticating_proxy.url("%s:%s-wrong" % (PROXY_USER, PROXY_PASSWORD))
        else:
            proxy_url = "http://%s:%s@127.0.0.1:%d" % (PROXY_USER, PROXY_PASSWORD, free_port())
        env = tls_env(ansible, server, tenant, HTTPS_PROXY=proxy_url)
        run = run_over_tls(ansible, server, "connection_name=x retries=0 timeout=5 ca_path=%s" % tls["ca_path"], env, "-vvvv")
        assert run.rc != 0
        msg = run.task()["msg"]
        assert "Proxy error" in msg and "HTTPS_PROXY" in msg, msg
        assert "Traceback" not in run.output
        assert server.state.request_log() == []
