# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers that misbehave on purpose: redirects, echoes in odd spellings, tokens that are not tokens,
dribbled headers, huge and compressed bodies, cookies; and loops that mix trust and credentials.

Run against 0.1.0, these tests fail there (a secret sent elsewhere or printed, a task held for as long
as the server liked, a wrong "created" or "ok"), but for the few that say they guard what already
held. Every test runs on both execution paths, and the leak scan of the ``ansible`` fixture checks
everything each command printed. The emulator plays most servers; ``HostileServer`` plays those that
need raw bytes (status lines, reason phrases, chunk sizes, charsets).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
from emulator import faults

from python_libraries import library_folder
from reltio_world import RELTIO_CLIENT_ID, RELTIO_CLIENT_SECRET, RELTIO_TOKEN

MODULE = "reltio.platform.reltio_databricks_connection"
# Non-ASCII, and with the characters Gson escapes: each spelling of it must stay hidden.
ODD_SECRET = "S\u00e9cr\u00e8t-\u00f1and\u00fa-Lx8Qw3Zp<&>='=="
GSON_SECRET = "dose-Qm9Zk3Xy7Wv2Rt5Lp=="


def env_for(ansible, tenant, auth="token", **extra):
    env = ansible.reltio_env(tenant, auth=auth)
    env.update(ansible.databricks_env())
    env.update(extra)
    return env


def play(*tasks, **keywords):
    return json.dumps([dict({"name": "hostile", "hosts": "localhost", "gather_facts": False, "tasks": list(tasks)},
                            **keywords)], indent=2)


def on_path(execution, cases, on_target):
    """Every case on the controller path; on the target path only those in ``on_target``.

    The module masks and bounds a server's text with the same code as the controller path (module_utils), so every
    spelling and every answer is checked there, where a case costs a tenth of a CPU-second. On the target path each
    case is a module execution (half a CPU-second): there a case of each route a server's text takes to what is printed
    (a reason phrase, a Location, a JSON error's message, a text body's excerpt, a field of the result) proves that the
    module's output is masked and bounded the same. ``cases``: a list, or a dict whose keys are the cases."""
    if isinstance(cases, dict):
        return dict((case, value) for case, value in cases.items() if execution == "controller" or case in on_target)
    return [case for case in cases if execution == "controller" or case in on_target]


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Another host: records whatever reaches it, and answers 200 {"status": "ok"}."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        self.server.seen.append({"method": self.command, "path": self.path, "body": body.decode("utf-8", "replace"),
                                 "authorization": self.headers.get("Authorization")})
        payload = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_PUT = do_GET

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def other_host():
    """A server that a redirect points at; nothing may ever reach it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = "http://127.0.0.1:%d" % server.server_address[1]
    server.host = "127.0.0.1:%d" % server.server_address[1]
    yield server
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- 1. redirects


def case_task(name, environment, **args):
    """A task of a play that proves several cases, each with its own environment (its own tenant); its failure is
    ignored, and the test reads each task's result."""
    return {"name": name, MODULE: dict(args, connection_name=args.get("connection_name", "x")), "ignore_errors": True,
            "environment": environment}


def reltio_only(ansible, tenant, auth="token"):
    """A case's environment: the Reltio connection of its tenant (the Databricks values are the play's)."""
    return ansible.reltio_env(tenant, auth=auth)


class TestRedirects:
    def test_no_redirect_is_followed_and_no_answer_without_an_id_is_a_creation(self, ansible, emulator, tenant, other_host):
        """Four cases, a task and a tenant each, in one play: a 307 and a 302 of the create, a 307 of the token
        request (the one token request of the play), a 200 without a connectionId."""
        moved, found, token, no_id = ("%s%s" % (tenant, case) for case in ("r307", "r302", "token", "noid"))
        emulator.faults({"endpoint": "create", "tenant": moved, "status": 307, "location": other_host.url + "/steal",
                         "body": "empty"},
                        {"endpoint": "create", "tenant": found, "status": 302, "location": other_host.url + "/ok",
                         "body": "empty"},
                        {"endpoint": "token", "status": 307, "location": other_host.url + "/oauth/token", "body": "empty"},
                        {"endpoint": "create", "tenant": no_id, "status": 200, "body": "json", "message": "ok"})
        run = ansible.playbook(play(
            case_task("307", reltio_only(ansible, moved), retries=0),
            case_task("302", reltio_only(ansible, found), retries=0),
            case_task("token 307", reltio_only(ansible, token, auth="client"), retries=0),
            case_task("2xx without id", reltio_only(ansible, no_id), retries=0)), env=ansible.databricks_env())
        assert set(run.failed_messages()) == {"307", "302", "token 307", "2xx without id"}, run.output

        result = run.task("307")
        assert "HTTP 307" in result["msg"] and other_host.host in result["msg"], result["msg"]
        assert "redirects are not followed" in result["msg"]
        assert not result.get("may_exist") and result["changed"] is False
        assert emulator.connections(moved) == {}

        result = run.task("302")
        assert result["changed"] is False and result.get("created") is False
        assert "HTTP 302" in result["msg"] and result["may_exist"] is True

        msg = run.task("token 307")["msg"]
        assert "HTTP 307" in msg and other_host.host in msg and "auth_url" in msg, msg
        assert [entry for entry in emulator.requests("create") if entry["tenant"] == token] == []

        result = run.task("2xx without id")
        assert "connectionId" in result["msg"] and result["may_exist"] is True
        assert result.get("created") is False

        assert other_host.seen == []


# --------------------------------------------------------------------------- 2. no state shared between credentials


class TestNothingShared:
    @pytest.mark.parametrize("requests_version", ["installed", "2.31"])
    def test_no_cookie_credential_or_unchecked_connection_of_a_loop_item_serves_another(
            self, ansible, emulator, tls, tenant, requests_version, requests_231):
        """Three loops of two items in one play (one run each for the requests installed and for 2.31), each with its
        own server and tenant in its environment:

        - cookies: every answer of the emulator sets a cookie; none is ever sent back (two items of the same
          credentials, which share a session on the controller path);
        - credentials: item 2 has other client credentials than item 1: it must fetch its own token, not reuse item 1's;
        - TLS: CVE-2024-35195, with requests < 2.32 a pooled connection opened with verify=False served later requests.
        """
        server = tls["good"]
        extra = {"PYTHONPATH": str(requests_231)} if requests_version == "2.31" else {}
        emulator.configure(set_cookies=True)
        ansible.add_secret("the wrong Reltio client secret", "wrong-secret-Kq2Lm9Zx")
        client_secrets = [RELTIO_CLIENT_SECRET, "wrong-secret-Kq2Lm9Zx"]
        over_tls = {"RELTIO_PLATFORM_URL": server.url, "RELTIO_TENANT_ID": tenant + "tls"}
        cookies = {"name": "cookies", "loop": [0, 1], "environment": reltio_only(ansible, tenant + "cookies", auth="client"),
                   MODULE: {"connection_name": "cookie-{{ item }}"}}
        credentials = {"name": "credentials", "loop": [0, 1], "ignore_errors": True,
                       "environment": dict(over_tls, RELTIO_TENANT_ID=tenant + "cred", RELTIO_CLIENT_ID=RELTIO_CLIENT_ID,
                                           RELTIO_AUTH_URL=server.url + "/oauth/token"),
                       MODULE: {"connection_name": "cred-{{ item }}", "reltio_client_secret": "{{ client_secrets[item] }}",
                                "ca_path": tls["ca_path"]}}
        unchecked_first = {"name": "tls", "loop": [False, True], "ignore_errors": True,
                           "environment": dict(over_tls, RELTIO_ACCESS_TOKEN=RELTIO_TOKEN),
                           MODULE: {"connection_name": "tls-{{ item }}", "validate_certs": "{{ item }}"}}
        run = ansible.playbook(play(cookies, credentials, unchecked_first, vars={"client_secrets": client_secrets}),
                               env=dict(ansible.databricks_env(), **extra))
        for token in server.state.issued_tokens()["tokens"]:
            ansible.add_secret("token issued over TLS", token)
        assert run.recap()["failed"] == 0, run.output

        requests = emulator.requests()
        assert len(requests) >= 3 and list(emulator.connections(tenant + "cookies")) == ["cookie-0", "cookie-1"], run.output
        assert [entry["headers"]["cookie"] for entry in requests + server.state.request_log()] == [None] * (
            len(requests) + len(server.state.request_log()))

        items = run.task("credentials")["results"]
        assert [item.get("failed", False) for item in items] == [False, True], run.output
        assert list(server.connections(tenant + "cred")) == ["cred-0"]
        assert len([entry for entry in server.state.request_log() if entry["endpoint"] == "token"]) == 2

        items = run.task("tls")["results"]
        assert [item.get("failed", False) for item in items] == [False, True], run.output
        assert "TLS error" in items[1]["msg"] and "certificate verify failed" in items[1]["msg"], items[1]["msg"]
        assert list(server.connections(tenant + "tls")) == ["tls-False"]


@pytest.fixture(scope="session")
def requests_231():
    """requests 2.31 (the last release before the fix of CVE-2024-35195) in a folder for PYTHONPATH."""
    folder = library_folder("requests-2.31")
    version = subprocess.run([sys.executable, "-c", "import requests; print(requests.__version__)"], check=True,
                             capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(folder)))
    assert version.stdout.strip() == "2.31.0"
    return folder


# --------------------------------------------------------------------------- 3. echoes in other spellings


def echo_cases(ansible, emulator, tenant, cases, messages):
    """One task a (echo style, secret) case, all in one playbook (an ansible-playbook run a case cost a second of CPU,
    twice that as a module): each case's tenant gets a 500 echoing its request in its style (with its message of
    ``messages``, None for the emulator's), and each task takes its secret from its own environment. Returns the
    failed message of each case, in order."""
    tasks = []
    for number, ((style, secret), message) in enumerate(zip(cases, messages)):
        ansible.add_secret("echoed secret (%s, #%d)" % (style, number), secret)
        emulator.faults(dict({"message": message} if message else {}, endpoint="create", tenant="%s%d" % (tenant, number),
                             status=500, echo=True, echo_style=style, body="json"))
        # Short values before the secret, so that the excerpt of a text body reaches it.
        tasks.append({"name": "echo %d" % number, MODULE: {"connection_name": "x", "retries": 0}, "ignore_errors": True,
                      "environment": {"RELTIO_TENANT_ID": "%s%d" % (tenant, number), "DATABRICKS_CLIENT_SECRET": secret,
                                      "DATABRICKS_HOST": "https://w.example.com", "DATABRICKS_WAREHOUSE_ID": "w",
                                      "DATABRICKS_CLIENT_ID": "c"}})
    run = ansible.playbook(play(*tasks), env=env_for(ansible, tenant))
    assert run.recap()["ignored"] == len(cases), run.output
    failed = run.failed_messages()
    return [failed["echo %d" % number] for number in range(len(cases))]


# latin1 needs a non-ASCII secret to differ from UTF-8; plain echoes were masked already in 0.1.0 (a guard).
ECHO_SPELLINGS = [("gson", GSON_SECRET), ("gson", ODD_SECRET), ("latin1", ODD_SECRET), ("plain", GSON_SECRET),
                  ("plain", ODD_SECRET)]
ECHO_ENCODINGS = [("base64", GSON_SECRET), ("base64", ODD_SECRET), ("hex", ODD_SECRET), ("escaped", GSON_SECRET),
                  ("escaped", ODD_SECRET), ("mime", ODD_SECRET), ("hexdump", GSON_SECRET), ("utf16", ODD_SECRET),
                  ("octal", GSON_SECRET)]
# On the target path (see on_path): a JSON error's message (the plain echo of a JSON request: its non-ASCII letters
# as JSON escapes, which masking decodes), a text body's excerpt (latin1), an encoded echo (base64).
ECHOES_ON_TARGET = {("plain", ODD_SECRET), ("latin1", ODD_SECRET), ("base64", GSON_SECRET)}


class TestEchoes:
    def test_an_echoed_secret_is_masked_in_every_spelling_and_encoding(self, ansible, emulator, tenant, execution):
        """Every echo style, a task each, in one play. An API gateway's error echoes the Lambda's event.body, base64 (or
        hex) of the whole JSON request: the secret's bits are at any offset in it. Or a server escapes each character
        its own way, hex digits in upper case. Issue 18: printed in clear before."""
        spellings = on_path(execution, ECHO_SPELLINGS, ECHOES_ON_TARGET)
        encodings = on_path(execution, ECHO_ENCODINGS, ECHOES_ON_TARGET)
        messages = echo_cases(ansible, emulator, tenant, spellings + encodings,
                              messages=[None] * len(spellings) + ["E"] * len(encodings))
        for case, msg in zip(spellings, messages):
            assert "HTTP 500" in msg and '"clientSecret": "********' in msg, (case, msg)
        for (style, secret), msg in zip(encodings, messages[len(spellings):]):
            # Reltio's message is shown cut to 300 characters: an echo of the whole request may be longer, its secret
            # coming last, so that it is left out rather than masked. Issue 25: mime, hexdump, utf16 and octal were
            # printed in clear before.
            assert "HTTP 500" in msg and ("********" in msg or "..." in msg), (style, msg)
            # The leak scan fails the test if the base64 or hex of the secret, at any offset, was printed; the escaped
            # echo, whatever character of the secret its turn of escapes starts at, is looked for here.
            sent = json.dumps(secret)[1:-1]
            for turn in range(len(faults.CHARACTER_ESCAPES)):
                spelled = faults.escaped_echo("x" * turn + sent)[len(faults.escaped_echo("x" * turn)):]
                assert not any(spelled[start:start + 24] in msg for start in range(len(spelled) - 23)), (style, msg)
        # The leak scan fails the test if any spelling (or any 8-character ASCII run of the secret) was printed.


# --------------------------------------------------------------------------- 4. tokens that are not tokens


BAD_TOKENS = ["ABC123-not-a-token\n", "\u20acuro-token-Zx9Qw2", "two words-Zx9Qw2Lp"]


class TestBadTokens:
    def test_a_fetched_token_that_cannot_be_one_is_refused_unquoted_and_an_echo_hides_the_credentials(self, ansible,
                                                                                                      emulator, tenant,
                                                                                                      execution):
        """Token requests, a task each, in one play, each answered by the next token fault: the answers that cannot be
        a token, to the connection module, then one to reltio_token, then a 400 that echoes the request in Gson's
        spelling. On the target path one bad token to the connection module (see on_path: the token rule is the same
        code; there the module's refusal and reltio_token's are what is proven)."""
        tokens = on_path(execution, BAD_TOKENS, BAD_TOKENS[:1])
        for number, token in enumerate(BAD_TOKENS):
            ansible.add_secret("bad token #%d" % number, token)
            ansible.add_secret("bad token #%d, stripped" % number, token.strip())
        emulator.faults(*[{"endpoint": "token", "status": 200, "body": "token", "token": token}
                          for token in tokens + [BAD_TOKENS[0]]])
        emulator.faults({"endpoint": "token", "status": 400, "echo": True, "echo_style": "gson", "body": "json"})
        tasks = [case_task("token %d" % number, {}, retries=0) for number in range(len(tokens))]
        tasks.append({"name": "reltio_token", "reltio.platform.reltio_token": {}, "ignore_errors": True})
        tasks.append(case_task("echo of the token request", {}, retries=0))
        run = ansible.playbook(play(*tasks), env=env_for(ansible, tenant, auth="client"))
        assert run.rc == 0, run.output
        failed = run.failed_messages()
        assert len(failed) == len(tasks), run.output
        for number in range(len(tokens)):
            assert "cannot be a token" in failed["token %d" % number], failed
        assert "cannot be a token" in failed["reltio_token"], failed
        assert "HTTP 400" in failed["echo of the token request"], failed
        assert "Traceback" not in run.output
        assert emulator.requests("create") == []
        assert [entry["status"] for entry in emulator.requests("token")] == [200] * (len(tokens) + 1) + [400]


# --------------------------------------------------------------------------- 5. "same name" only as Reltio says it,
# 6. and 7. time and size bounds


def test_a_named_name_or_a_too_large_answer_is_told_as_it_is(ansible, emulator, tenant):
    """Three cases, a task and a tenant each, in one play: a 400 that names the connection is no "already exists"; a
    body of 200 MB, and a gzip one of 300 MB, is not read."""
    named, huge, gzipped = ("%s%s" % (tenant, case) for case in ("named", "huge", "gzip"))
    emulator.faults({"endpoint": "create", "tenant": named, "status": 400,
                     "message": "Connection name 'Same Name Test' is not allowed"},
                    {"endpoint": "create", "tenant": huge, "status": 500, "body": "huge", "size": 200 * 1024 * 1024},
                    {"endpoint": "create", "tenant": gzipped, "status": 500, "body": "gzip", "size": 300 * 1024 * 1024})
    run = ansible.playbook(play(
        case_task("named", reltio_only(ansible, named), connection_name="Same Name Test", retries=0),
        case_task("huge", reltio_only(ansible, huge), retries=0),
        case_task("gzip", reltio_only(ansible, gzipped), retries=0)), env=ansible.databricks_env())
    assert set(run.failed_messages()) == {"named", "huge", "gzip"}, run.output

    msg = run.task("named")["msg"]
    assert "HTTP 400" in msg and "is not allowed" in msg
    assert "already exists" not in msg

    for case in ("huge", "gzip"):
        result = run.task(case)
        assert "HTTP 500" in result["msg"] and "more than 4 MB" in result["msg"], (case, result["msg"])
        assert result["may_exist"] is True, case


def test_dribbled_headers_are_cut_off_at_the_timeout(ansible, emulator, tenant):
    # A run of its own: its point is how long the run takes.
    emulator.faults({"endpoint": "create", "status": None, "header_drip": 1, "header_count": 30})
    started = time.monotonic()
    run = ansible.adhoc("connection_name=x timeout=3 retries=0", env=env_for(ansible, tenant))
    elapsed = time.monotonic() - started
    emulator.wait_idle(timeout=60)
    assert run.rc != 0, run.output
    result = run.task()
    assert "Timed out after 3" in result["msg"], result["msg"]
    # Reltio committed before it dribbled its answer: the task says so.
    assert result["may_exist"] is True
    # The server would have held the task for 30 s.
    assert elapsed < 25


# --------------------------------------------------------------------------- 9. both paths alike


@pytest.mark.parametrize("execution", ["auto"], indirect=True)
def test_both_paths_give_the_same_warnings(ansible, tls, tenant):
    """Both names of an option, and TLS checks off: one warning each, as the module gives them, and no urllib3 noise."""
    server = tls["mismatched"]
    results = {}
    for execution in ("controller", "target"):
        task = {"name": "create", MODULE: {"connection_name": "same", "name": "same", "validate_certs": False,
                                           "platform_url": server.url, "execution": execution}}
        run = ansible.playbook(play(task), env=env_for(ansible, "%s%s" % (tenant, execution)))
        assert run.rc == 0, run.output
        assert "InsecureRequestWarning" not in run.output and "Unverified HTTPS" not in run.output
        results[execution] = run.task()
    assert results["controller"]["warnings"] == results["target"]["warnings"]
    warnings = results["controller"]["warnings"]
    assert "Both option connection_name and its alias name are set." in warnings
    assert len([warning for warning in warnings if "validate_certs is false" in warning]) == 1
    assert {key for key in results["controller"] if not key.startswith("_")} >= {"changed", "created", "connection", "msg"}


def test_loading_the_plugins_sends_nothing_through_a_proxy(ansible, emulator, tenant, other_host):
    """When ansible-core loads an action, it runs one task against its own server on 127.0.0.1 (ReltioAction.prepare).

    Here every proxy variable points at another host and only ``localhost`` (the task's Reltio) is exempt: a request
    of that first task that took the proxy would reach the other host.
    """
    proxies = dict((name, other_host.url) for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"))
    env = env_for(ansible, tenant, auth="client", NO_PROXY="localhost", no_proxy="localhost", **proxies)
    env.update(RELTIO_PLATFORM_URL=emulator.url.replace("127.0.0.1", "localhost"),
               RELTIO_AUTH_URL=emulator.token_url.replace("127.0.0.1", "localhost"))
    token = {"name": "token", "reltio.platform.reltio_token": {}, "register": "reltio"}
    create = {"name": "create", MODULE: {"connection_name": "through-no-proxy", "access_token": "{{ reltio.access_token }}"}}
    run = ansible.playbook(play(token, create), env=env)
    assert run.rc == 0, run.output
    assert "through-no-proxy" in emulator.connections(tenant)
    assert other_host.seen == []


@pytest.mark.parametrize("execution", ["auto"], indirect=True)
def test_auto_runs_the_module_when_the_task_has_become(ansible, emulator, tenant):
    task = {"name": "create", "become": True, "become_method": "ansible.builtin.su", "become_user": "root",
            MODULE: {"connection_name": "become"}}
    run = ansible.playbook(play(task), "-v", env=env_for(ansible, tenant))
    assert run.rc == 0, run.output
    assert "running the module, because the task has become" in run.output
    assert "become" in emulator.connections(tenant)


# The task names its execution: the run is the same whichever path the fixture would choose.
@pytest.mark.parametrize("execution", ["controller"], indirect=True)
def test_execution_controller_refuses_become(ansible, emulator, tenant):
    task = {"name": "create", "become": True, "become_method": "ansible.builtin.su", "become_user": "root",
            MODULE: {"connection_name": "become", "execution": "controller"}}
    run = ansible.playbook(play(task), env=env_for(ansible, tenant))
    assert run.rc != 0
    assert "has become" in run.task()["msg"]
    assert emulator.requests() == []


@pytest.fixture
def controller_without_requests(tmp_path):
    """A PYTHONPATH that hides requests from the controller, and an interpreter for the module that has it."""
    hidden = tmp_path / "no-requests" / "requests"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('requests is hidden from this Python')\n")
    interpreter = tmp_path / "python-with-requests"
    interpreter.write_text("#!/bin/sh\nunset PYTHONPATH\nexec %s \"$@\"\n" % sys.executable)
    interpreter.chmod(0o755)
    return {"PYTHONPATH": str(hidden.parent), "ANSIBLE_PYTHON_INTERPRETER": str(interpreter)}


@pytest.mark.parametrize("execution", ["auto"], indirect=True)
def test_auto_runs_the_module_when_the_controller_has_no_requests(ansible, emulator, tenant, controller_without_requests):
    run = ansible.adhoc("connection_name=pipx", "-v", env=env_for(ansible, tenant, **controller_without_requests))
    assert run.rc == 0, run.output
    assert "no requests library" in run.output
    assert "pipx" in emulator.connections(tenant)


@pytest.mark.parametrize("execution", ["controller"], indirect=True)
def test_execution_controller_without_requests_fails_clearly(ansible, emulator, tenant, controller_without_requests):
    run = ansible.adhoc("connection_name=pipx", env=env_for(ansible, tenant, **controller_without_requests))
    assert run.rc != 0
    assert "requests" in run.task()["msg"] and "controller" in run.task()["msg"]
    assert emulator.requests() == []


# --------------------------------------------------------------------------- servers the emulator does not play


class HostileServer:
    """A raw HTTP/1.1 server on 127.0.0.1: the token endpoint answers a good token, every other request
    gets what ``answer(headers, body)`` returns: bytes to send, and numbers (seconds to wait) between them."""

    TOKEN = "hostile-token-Qx7Lm2Zp9Wk4"

    def __init__(self):
        self.answer = None
        self.requests = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection = self._listener.accept()[0]
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection):
        with connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.settimeout(10)
            stream = connection.makefile("rb")
            try:
                request_line = stream.readline(65536).decode("latin-1")
                headers = {}
                while len(headers) < 100:
                    line = stream.readline(65536).decode("latin-1")
                    if line in ("\r\n", "\n", ""):
                        break
                    name, value = line.partition(":")[::2]
                    headers[name.strip().lower()] = value.strip()
                body = stream.read(int(headers.get("content-length") or 0))
                self.requests.append(request_line.split(" ")[:2])
                if "/oauth/token" in request_line:
                    payload = json.dumps({"access_token": self.TOKEN, "token_type": "bearer", "expires_in": 3600}).encode()
                    pieces = [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                              b"Connection: close\r\n\r\n" % len(payload) + payload]
                else:
                    pieces = self.answer(headers, body)
                for piece in pieces:
                    if isinstance(piece, bytes):
                        connection.sendall(piece)
                    else:
                        time.sleep(piece)
            except OSError:
                pass

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._listener.close()


def respond(status_line, body=b"", content_type="application/json", headers=()):
    head = "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n" % (
        status_line, content_type, len(body))
    head += "".join("%s: %s\r\n" % header for header in headers)
    return [head.encode("latin-1") + b"\r\n" + body]


def databricks_secret(body):
    return json.loads(body)["clientSecret"]


@pytest.fixture
def hostile(ansible):
    server = HostileServer()
    ansible.add_secret("the token of the hostile server", HostileServer.TOKEN)
    yield server
    server.stop()


def hostile_env(ansible, server, tenant, auth="token", **extra):
    env = env_for(ansible, tenant, auth=auth, RELTIO_PLATFORM_URL=server.url, **extra)
    if auth != "token":
        env["RELTIO_AUTH_URL"] = server.url + "/oauth/token"
    return env


SLASHED_SECRET = "dose-Qm9Zk3/Xy7Wv2+Rt5Lp=="
BASIC = base64.b64encode(("%s:%s" % (RELTIO_CLIENT_ID, RELTIO_CLIENT_SECRET)).encode()).decode()

# Each answers a create; the task must fail clearly and print no spelling of any secret.
ECHOES = {
    "reason phrase with the Basic header": lambda headers, body: respond("500 Rejected Basic " + BASIC, b"{}"),
    "reason phrase with a Gson echo": lambda headers, body: respond(
        "500 Bad clientSecret " + json.dumps(databricks_secret(body))[1:-1].replace("=", "\\u003d"), b"{}"),
    "Location holding the URL-encoded secret": lambda headers, body: respond(
        "302 Found", headers=[("Location", "http://x%s.evil.test/" % quote(databricks_secret(body), safe=""))]),
    "Gson echo in a text body": lambda headers, body: respond(
        "500 Internal Server Error", ("rejected " + json.dumps({"clientSecret": databricks_secret(body)}).replace(
            "=", "\\u003d").replace("/", "\\/")).encode(), "text/plain"),
    "decimal HTML entities": lambda headers, body: respond("500 Internal Server Error", (
        "<p>clientSecret %s rejected</p>" % "".join(
            "&#%d;" % ord(char) if not char.isalnum() else char for char in databricks_secret(body))).encode(), "text/html"),
    "hex HTML entities": lambda headers, body: respond("500 Internal Server Error", (
        "<p>clientSecret %s rejected</p>" % "".join(
            "&#x%x;" % ord(char) if char in "=/+" else char for char in databricks_secret(body))).encode(), "text/html"),
    "JSON in a JSON string, slashes escaped": lambda headers, body: respond("500 Internal Server Error", json.dumps(
        {"errorMessage": "request was " + json.dumps(json.loads(body)).replace("/", "\\/")}).encode()),
    "UTF-16 body": lambda headers, body: respond("500 Internal Server Error", json.dumps(
        {"errorMessage": "bad " + body.decode()}).encode("utf-16"), "application/json; charset=utf-16"),
    "an echo cut short": lambda headers, body: respond("500 Internal Server Error", json.dumps(
        {"errorMessage": "cannot parse clientSecret " + databricks_secret(body)[:18] + "..."}).encode()),
    "UTF-8 status line read as Latin-1": lambda headers, body: [
        ("HTTP/1.1 500 %s\r\nContent-Length: 0\r\n\r\n" % databricks_secret(body)).encode("utf-8")],
}


# On the target path (see on_path), with one secret: a reason phrase, a Location, a text body's excerpt, a JSON error's
# message.
HOSTILE_ECHOES_ON_TARGET = ("reason phrase with a Gson echo", "Location holding the URL-encoded secret",
                            "Gson echo in a text body", "JSON in a JSON string, slashes escaped")


class TestHostileEchoes:
    def test_no_spelling_of_a_secret_is_printed(self, ansible, hostile, tenant, execution):
        # Every echo in one play, a loop item each, for each secret a task (one ansible-playbook run, not one per echo):
        # the connection name, echo-N, tells the server which of ECHOES to answer.
        cases, answered = sorted(on_path(execution, ECHOES, HOSTILE_ECHOES_ON_TARGET)), []
        secrets = on_path(execution, [SLASHED_SECRET, ODD_SECRET], [ODD_SECRET])

        def answer(headers, body):
            answered.append(cases[int(json.loads(body)["connectionName"][len("echo-"):])])
            return ECHOES[answered[-1]](headers, body)

        hostile.answer = answer
        for number, secret in enumerate(secrets):
            ansible.add_secret("echoed Databricks secret #%d" % number, secret)
        tasks = [{"name": "echo %d" % number, MODULE: {"connection_name": "echo-{{ item }}", "retries": 0},
                  "loop": list(range(len(cases))), "ignore_errors": True, "environment": {"DATABRICKS_CLIENT_SECRET": secret}}
                 for number, secret in enumerate(secrets)]
        run = ansible.playbook(play(*tasks), env=hostile_env(ansible, hostile, tenant, auth="client"))
        assert run.rc == 0, run.output
        assert "Traceback" not in run.output
        for number in range(len(secrets)):
            items = run.task("echo %d" % number)["results"]
            assert [case for case, item in zip(cases, items) if not (item.get("failed") and item.get("msg"))] == [], run.output
            assert len(items) == len(cases), run.output
        assert answered == cases * len(secrets), run.output
        # The leak scan of the ``ansible`` fixture fails the test if any spelling of any secret was printed.

    def test_a_body_that_makes_a_regex_backtrack_is_masked_in_time(self, ansible, hostile, tenant):
        # A run of its own: its point is how long the run takes.
        hostile.answer = lambda headers, body: respond("500 Internal Server Error", b'"' + b'\\"' * 1000000, "text/plain")
        started = time.monotonic()
        run = ansible.adhoc("connection_name=x retries=0 timeout=5", env=hostile_env(ansible, hostile, tenant))
        assert run.rc != 0 and "HTTP 500" in run.task()["msg"]
        # 0.1.0's masking took minutes on such a body; what remains is ansible's own start.
        assert time.monotonic() - started < 30


TERMINAL_ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
DEEP_ID = '%s"c-1"%s' % ("[" * 500, "]" * 500)


def created_with(result, content_type="application/json"):
    """A 200 to a create whose result is ``result`` (JSON text)."""
    return lambda headers, body: respond("200 OK", ('{"successful": true, "result": %s}' % result).encode("latin-1"),
                                         content_type)


# Each answers a create (issue 18: only plain, bounded values from a server reach the result and the terminal).
PLAIN_ANSWERS = {
    "escapes": lambda headers, body: respond(
        "500 Bad\x1b[2J Gateway", json.dumps({"errorMessage": "no" + TERMINAL_ESCAPES + "way"}).encode()),
    "key": lambda headers, body: created_with(json.dumps({
        "connectionId": "c-1", "message": {"rejected %s" % databricks_secret(body): [1]}, "status": ["ACTIVE"],
        "connectionName": "x\x1b[2J"}))(headers, body),
    "deep-id": created_with('{"connectionId": %s}' % DEEP_ID),
    "list-id": created_with('{"connectionId": ["c-1"]}'),
    "empty-id": created_with('{"connectionId": ""}'),
    "number-id": created_with('{"connectionId": 42}'),
    "not-successful": lambda headers, body: respond("200 OK", json.dumps(
        {"successful": False, "error": {"errorMessage": "Tenant is read-only", "errorCode": 1007}}).encode()),
}
PLAIN_ANSWERS.update(("charset-" + charset, created_with('{"connectionId": "c-1", "message": "stored \xff"}',
                                                         "application/json; charset=%s" % charset))
                     for charset in ("undefined", "idna", "punycode", "no-such-codec"))


def create_each(ansible, hostile, tenant, answers):
    """Every case of ``answers`` in one play, a loop item each (the connection name tells the server which to answer):
    the run and each case's result."""
    cases = sorted(answers)
    hostile.answer = lambda headers, body: answers[json.loads(body)["connectionName"]](headers, body)
    run = ansible.playbook(play({"name": "each", MODULE: {"connection_name": "{{ item }}", "retries": 0},
                                 "loop": cases, "ignore_errors": True}), env=hostile_env(ansible, hostile, tenant))
    assert run.rc == 0, run.output
    results = dict(zip(cases, run.task("each")["results"]))
    assert len(results) == len(cases), run.output
    return run, results


# Each answers a create with what is not HTTP, in words that name a timeout or a TLS failure (issue 25).
NOT_HTTP = {
    "status-line": lambda headers, body: [b"HTTP/1.1 5x4 timed out SSLError CERTIFICATE_VERIFY_FAILED\r\n\r\n"],
    "no-status-line": lambda headers, body: [b"Timeout: WRONG_VERSION_NUMBER\r\n\r\n"],
    "body-broke-off": lambda headers, body: [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                             b"Transfer-Encoding: chunked\r\n\r\nzz timed out SSLError\r\n"],
}
# Issue 25: 4 MiB of "[{},{},...]" took 128 MB to parse (50 forks in the AWX example). 60,000 empty objects, under
# 200 KB, are refused before parsing.
MANY_VALUES = b"[" + b",".join([b"{}"] * 60000) + b"]"
ODD_ANSWERS = dict(PLAIN_ANSWERS, **NOT_HTTP)
ODD_ANSWERS.update({
    "many": lambda headers, body: respond("200 OK", MANY_VALUES),
    "location-named-after-the-credentials": lambda headers, body: respond(
        "307 Temporary Redirect", headers=[("Location", "http://%s.evil.test/" % headers["authorization"].split()[-1])]),
})


# On the target path (see on_path): a message and a reason phrase with terminal escapes, a created connection's fields,
# a failure's error code, what is not HTTP, a Location.
ODD_ANSWERS_ON_TARGET = ("escapes", "key", "number-id", "not-successful", "status-line",
                         "location-named-after-the-credentials")


def test_only_plain_bounded_values_of_a_server_reach_the_result_and_what_is_not_http_decides_nothing(ansible, hostile,
                                                                                                     tenant, execution):
    """Every case of ODD_ANSWERS in one play, a loop item each (on the target path, those of ODD_ANSWERS_ON_TARGET)."""
    run, results = create_each(ansible, hostile, tenant, on_path(execution, ODD_ANSWERS, ODD_ANSWERS_ON_TARGET))
    # Terminal escapes are shown escaped, in the message and everywhere else printed.
    assert not any(char in run.output for char in "\x1b\x9b\x07"), run.output
    assert "no\\x1b]0;pwned\\x07\\x1b[2J\\x9b31mway" in results["escapes"]["msg"]
    # Scalars only from an answer: the secret in an object's key is never copied (the leak scan checks the output).
    connection = results["key"]["connection"]
    assert (connection["connection_id"], connection["message"], connection["status"]) == ("c-1", None, None)
    assert connection["connection_name"] == "x\\x1b[2J" and results["key"]["created"] is True
    # A connectionId that is not a non-empty string is no creation, and may have created it.
    for case in [case for case in ("deep-id", "list-id", "empty-id", "number-id") if case in results]:
        result = results[case]
        assert result["failed"] and result["may_exist"] is True and result.get("created") is not True, (case, result)
        assert "recursion" not in result["msg"].lower(), (case, result)
    assert "Traceback" not in run.output and "RecursionError" not in run.output
    # "successful": false in a 200 is a failure with Reltio's reason.
    assert results["not-successful"]["failed"] and results["not-successful"].get("created") is not True
    assert "not successful: Tenant is read-only" in results["not-successful"]["msg"]
    assert results["not-successful"]["error_code"] == 1007
    # A charset that cannot be decoded is read as UTF-8.
    for case in results:
        if case.startswith("charset-"):
            assert not results[case].get("failed") and results[case]["connection"]["connection_id"] == "c-1", case

    # Issue 25: what is not HTTP was "could not reach" (unreachable), or a timeout or a TLS error by its words.
    for case in [case for case in NOT_HTTP if case in results]:
        result = results[case]
        assert result["failed"] and result["reason_code"] == "unexpected_answer", (case, result)
        # The create was sent and the server answered: it may have been carried out.
        assert result["may_exist"] is True, (case, result)
        assert result["msg"].startswith("127.0.0.1:"), (case, result)
        assert "Could not reach" not in result["msg"] and "Timed out" not in result["msg"], (case, result)
    assert "but not in HTTP" in results["status-line"]["msg"]
    if execution == "controller":
        assert "but its body broke off" in results["body-broke-off"]["msg"]
        result = results["many"]
        assert result["failed"] and result["reason_code"] == "unexpected_answer", result
        assert "with a body that is not JSON (JSON of more than 50000 values)" in result["msg"], result["msg"]
        assert result["may_exist"] is True and result.get("created") is not True

    # The leak scan fails the test if the token in the Location's host name was printed.
    assert results["location-named-after-the-credentials"]["failed"]
    assert "HTTP 307" in results["location-named-after-the-credentials"]["msg"]


def dribbled_body(headers, body):
    """A 200 that sends its headers at once and its body a byte a second."""
    payload = b'{"successful": true, "result": {"connectionId": "c1"}}'
    return [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(payload)] + [
        part for byte in payload for part in (bytes([byte]), 1)]


def dribbled_chunk_size(headers, body):
    """A chunked 200 whose first chunk-size line arrives a character a second."""
    return [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"] + [b"0", 1] * 60


def dribbled_headers(headers, body):
    return [b"HTTP/1.1 200 OK\r\n"] + [part for number in range(60) for part in (b"X-Drip-%d: 1\r\n" % number, 1)]


SLOW_ANSWERS = {"headers": dribbled_headers, "body": dribbled_body, "chunk-size": dribbled_chunk_size}


class TestTimeBounds:
    @pytest.mark.parametrize("libraries", ["installed", pytest.param("rhel9", marks=pytest.mark.rhel9_libraries)])
    def test_a_slow_answer_is_cut_off_at_the_timeout(self, ansible, hostile, tenant, libraries, request):
        """Each slow answer a loop item (one ansible-playbook run, not one per answer): the connection name tells the
        server which of SLOW_ANSWERS to give."""
        extra = {}
        if libraries == "rhel9":
            extra["PYTHONPATH"] = str(request.getfixturevalue("rhel9_libraries"))
        cases = sorted(SLOW_ANSWERS)
        hostile.answer = lambda headers, body: SLOW_ANSWERS[json.loads(body)["connectionName"]](headers, body)
        started = time.monotonic()
        run = ansible.playbook(play({"name": "slow", MODULE: {"connection_name": "{{ item }}", "retries": 0, "timeout": 3},
                                     "loop": cases, "ignore_errors": True}), env=hostile_env(ansible, hostile, tenant, **extra))
        elapsed = time.monotonic() - started
        assert run.rc == 0, run.output
        results = dict(zip(cases, run.task("slow")["results"]))
        assert len(results) == len(cases), run.output
        for case, result in results.items():
            assert result["failed"] and "Timed out after 3 s" in result["msg"], (case, result)
        # The server would have held each task for 60 s.
        assert elapsed < 60
