# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration fixtures: the Reltio emulator on 127.0.0.1, and an Ansible runner that scans for leaks.

Every integration test runs Ansible through the ``ansible`` fixture. After the
test, everything those commands printed (and every task result they recorded)
is searched for each secret the tests use; a test whose output holds one fails.
The secrets are those of reltio_world.py, every value a test passes in a secret
environment variable (or as the password of a proxy URL), every access token
the emulator issued, and any a test registers with ``ansible.add_secret(label,
value)``; each is looked for as is and JSON-, URL- and HTML-escaped. The files a test names with
``ansible.scan_path(path)`` (reports a play writes) are scanned the same way.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, quote_plus, urlsplit

import pytest
import trustme
from ansible_collections.reltio.platform.plugins.module_utils.validation import MIN_SECRET_LENGTH
from emulator import EmulatorConfig, ReltioEmulator
from reltio_world import (
    DATABRICKS_CLIENT_ID,
    DATABRICKS_CLIENT_SECRET,
    RELTIO_CLIENT_ID,
    RELTIO_CLIENT_SECRET,
    RELTIO_TOKEN,
    ROOT,
    SECRETS,
    WAREHOUSE_ID,
    WORKSPACE_URL,
)

COLLECTIONS = ROOT / ".build" / "collections"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
EMULATOR = ROOT / "tools" / "reltio_emulator.py"

_ENV_PREFIXES = ("RELTIO_", "DATABRICKS_", "ANSIBLE_")
# Whatever a test passes in these is a secret the leak scan looks for.
SECRET_ENV_VARS = ("RELTIO_ACCESS_TOKEN", "RELTIO_CLIENT_ID", "RELTIO_CLIENT_SECRET", "DATABRICKS_CLIENT_SECRET")
PROXY_ENV_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
# Values of MIN_SECRET_LENGTH or more are scanned for: every secret the modules accept (they refuse shorter ones).


def secret_spellings(secret):
    """The ways a secret may be printed and still be read.

    As is, JSON-, Gson-, URL- or HTML-escaped, in a Python repr, as its bytes in another charset read
    as UTF-8, in base64 or hex (also inside an encoded request body), and, for a secret with non-ASCII
    letters, each run of 8 or more ASCII characters of it.
    """
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             quote(secret, safe=""), quote_plus(secret, safe=""), repr(secret)[1:-1], repr(secret.encode("utf-8"))[2:-1]}
    gson = json.dumps(secret)[1:-1]
    for char in "<>&='":
        gson = gson.replace(char, "\\u%04x" % ord(char))
    forms.add(gson)
    for charset in ("latin-1", "cp1252"):
        try:
            forms.add(secret.encode(charset).decode("utf-8", "replace"))
        except UnicodeError:
            pass
    if not secret.isascii():
        forms.update(run for run in re.findall(r"[\x21-\x7e]{8,}", secret))
    forms.update([json.dumps(form)[1:-1] for form in forms])
    forms.update([html.escape(form) for form in forms] + [html.escape(form, quote=False) for form in forms])
    forms.update(encoded_spellings(secret))
    forms.add("".join("\\%03o" % byte for byte in secret.encode("utf-8")))
    return sorted(form for form in forms if form)


def encoded_spellings(secret):
    """Base64 (standard and URL-safe) and hex (either case) of the secret, and of any text holding it as is or
    JSON-escaped (a request body a gateway echoes encoded): for each of the three byte offsets the secret may have
    in that text, the base64 characters made of its bytes only (the first and last group of four left out)."""
    forms = set()
    for data in [text.encode("utf-8") for text in (secret, json.dumps(secret)[1:-1])] + [
            secret.encode("utf-16-le"), secret.encode("utf-16-be")]:
        forms.update((data.hex(), data.hex().upper()))
        for offset in range(3):
            encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
            inner = encoded[4 if offset else 0:len(encoded) // 4 * 4 - 4]
            if len(inner) >= 8:
                forms.update((inner, inner.replace("+", "-").replace("/", "_")))
    return forms


class Emulator:
    """A running tools/reltio_emulator.py and its control API."""

    def __init__(self, url):
        self.url = url

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def reset(self):
        return self._call("POST", "reset", {})

    def state(self):
        return self._call("GET", "state")["tenants"]

    def connections(self, tenant):
        return self.state().get(tenant, {})

    def requests(self, endpoint=None):
        entries = self._call("GET", "requests")["requests"]
        return [entry for entry in entries if endpoint is None or entry["endpoint"] == endpoint]

    def faults(self, *rules):
        return self._call("POST", "faults", {"rules": list(rules)})

    def configure(self, **settings):
        return self._call("POST", "config", settings)

    def chaos(self, **settings):
        """Seeded random faults (see tools/reltio_emulator.py); with no settings, its defaults."""
        return self._call("POST", "chaos", settings)

    def calm(self):
        """No more random faults."""
        return self._call("DELETE", "chaos")

    def stats(self):
        return self._call("GET", "stats")

    def issued_tokens(self):
        """The access tokens the emulator issued since its last reset."""
        return self._call("GET", "issued-tokens")["tokens"]

    def wait_idle(self, timeout=30):
        """Wait until no API request is in flight (a slow fault may still commit after the client left)."""
        deadline = time.monotonic() + timeout
        while self.stats()["in_flight"]:
            assert time.monotonic() < deadline, "the emulator still has requests in flight after %s s" % timeout
            time.sleep(0.05)

    def create_connection(self, tenant, name, workspace_url=WORKSPACE_URL, warehouse_id=WAREHOUSE_ID,
                          client_id=DATABRICKS_CLIENT_ID, client_secret=DATABRICKS_CLIENT_SECRET):
        """Create a connection through the Reltio API with the static token, as a test's given state."""
        body = {"connectionName": name, "workspaceUrl": workspace_url, "warehouseId": warehouse_id, "clientId": client_id,
                "clientSecret": client_secret}
        request = urllib.request.Request(
            "%s/reltio/api/tenants/%s/interactions/database-configs/databricks/oauth/credentials" % (self.url, quote(tenant, safe="")),
            data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + RELTIO_TOKEN})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def break_connection(self, tenant, name, how, **extra):
        """``POST /_emulator/break``: rotate_secret, revoke_grant or delete_warehouse (see tools/emulator)."""
        return self._call("POST", "break", dict(extra, tenant=tenant, connection_name=name, how=how))

    def last_seq(self):
        """The number of the last logged API request (0 when none), to look at the requests after it."""
        entries = self.requests()
        return entries[-1]["seq"] if entries else 0

    @property
    def token_url(self):
        return self.url + "/oauth/token"

    # The Databricks side (a workspace listener: the emulator started with --workspace-tls-cert/--workspace-tls-key).
    def databricks(self, service_principals=(), warehouses=()):
        """Add or replace service principals ``{"client_id", "client_secret"}`` and warehouses
        ``{"id", "name", "state", "cluster_size", "grants": [client_id, ...]}``; returns the Databricks view."""
        return self._call("POST", "databricks", {"service_principals": list(service_principals), "warehouses": list(warehouses)})

    def databricks_state(self):
        """``{"workspace_url", "service_principals": [{"client_id", "client_secret_sha256"}], "warehouses": [...]}``."""
        return self._call("GET", "databricks")

    def clear_databricks(self):
        """Forget every service principal, warehouse and workspace token (a reset does it too)."""
        return self._call("DELETE", "databricks")

    @property
    def workspace_url(self):
        """``https://127.0.0.1:PORT`` of the workspace listener, or None when the emulator serves none."""
        return self.databricks_state()["workspace_url"]


@pytest.fixture(scope="session")
def workspace_ca(tmp_path_factory):
    """The private CA of the emulator's Databricks workspace: ``ca_path`` (its PEM file) and ``chain`` (the server's)."""
    directory = tmp_path_factory.mktemp("workspace-ca")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(directory / "workspace.pem"))
    return SimpleNamespace(ca_path=str(directory / "ca.pem"), chain=str(directory / "workspace.pem"))


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory, workspace_ca):
    """The emulator: Reltio over http on 127.0.0.1, and a Databricks workspace over https with a private CA."""
    port_file = tmp_path_factory.mktemp("emulator") / "port"
    process = subprocess.Popen(
        [sys.executable, str(EMULATOR), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), "--quiet",
         "--token", RELTIO_TOKEN, "--client-id", RELTIO_CLIENT_ID, "--client-secret", RELTIO_CLIENT_SECRET,
         "--workspace-tls-cert", workspace_ca.chain, "--workspace-tls-key", workspace_ca.chain],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not (port_file.exists() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("The Reltio emulator did not start: %s" % process.stderr.read().decode(errors="replace"))
        time.sleep(0.05)
    yield Emulator("http://127.0.0.1:%s" % port_file.read_text().strip())
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def emulator(emulator_process):
    emulator_process.reset()
    return emulator_process


@pytest.fixture(scope="session")
def built_collection(tmp_path_factory):
    """The collection as users get it: ``tarball`` built from the work tree by ansible-galaxy,
    installed into the empty collections path ``collections_path``."""
    base = tmp_path_factory.mktemp("galaxy")
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(base / "collections"))
    subprocess.run([galaxy, "collection", "build", "--output-path", str(base / "dist"), str(ROOT)],
                   check=True, capture_output=True, env=env)
    (tarball,) = (base / "dist").glob("reltio-platform-*.tar.gz")
    subprocess.run([galaxy, "collection", "install", "-p", str(base / "collections"), str(tarball)],
                   check=True, capture_output=True, env=env)
    return SimpleNamespace(tarball=tarball, collections_path=base / "collections")


class AnsibleRun:
    """What one ansible or ansible-playbook command printed and the task results it recorded."""

    def __init__(self, args, completed, results):
        self.args = args
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name=None, action="reltio_databricks_connection", host=None):
        """The last recorded result of a task (by name, or by module), failing the test if none."""
        found = [entry for entry in self.results
                 if (name is None or entry["task"] == name)
                 and (action is None or entry["action"].endswith(action))
                 and (host is None or entry["host"] == host)]
        assert found, "no result recorded for task %r / %r in:\n%s" % (name, action, self.output)
        return found[-1]["result"]

    def failed_messages(self):
        """``{task name: msg}`` of every task that failed (ignored or not): the cases of a test that proves several in
        one playbook, a task each, rather than one ansible-playbook run a case (about a CPU-second each)."""
        return dict((entry["task"], entry["result"].get("msg")) for entry in self.results if entry["status"] == "failed")

    def recap(self, host="localhost"):
        """``{'ok': n, 'changed': n, 'failed': n, ...}`` from the PLAY RECAP line of a host."""
        match = re.search(r"^%s\s*:\s*(.*)$" % re.escape(host), self.stdout, re.MULTILINE)
        assert match, "no PLAY RECAP for %s in:\n%s" % (host, self.output)
        return dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1)))


class AnsibleRunner:
    """Runs ansible commands against the emulator and keeps their output for the leak scan."""

    def __init__(self, workdir, emulator, execution):
        self.workdir = workdir
        self.emulator = emulator
        self.execution = execution
        self.runs = []
        self.secrets = dict(SECRETS)
        basic = base64.b64encode(("%s:%s" % (RELTIO_CLIENT_ID, RELTIO_CLIENT_SECRET)).encode()).decode()
        self.secrets["Reltio client credentials as a Basic header"] = basic
        self._count = 0
        self.scanned_paths = []

    def add_secret(self, label, value):
        """Scan for one more secret, such as a token the emulator issued during the test."""
        self.secrets[label] = value

    def scan_path(self, path):
        """Also scan the files a run writes: ``path`` (a file, or a directory and every file under it), after the test."""
        self.scanned_paths.append(Path(path))

    def _scanned_files(self):
        for path in self.scanned_paths:
            for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
                if file.is_file():
                    yield file, file.read_text(encoding="utf-8", errors="replace")

    def _add_env_secrets(self, env):
        """Every secret a test passes in the environment is scanned for, whatever its value."""
        for name in SECRET_ENV_VARS:
            value = env.get(name) or ""
            if len(value.strip()) >= MIN_SECRET_LENGTH and value not in self.secrets.values():
                self.secrets["$%s (#%d)" % (name, len(self.secrets))] = value
        for name in PROXY_ENV_VARS:
            password = urlsplit(env[name]).password if env.get(name) else None
            if password and len(password) >= MIN_SECRET_LENGTH:
                self.secrets["password in $%s" % name] = password

    def base_env(self):
        env = dict((key, value) for key, value in os.environ.items() if not key.startswith(_ENV_PREFIXES))
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="reltio_test_results",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="true",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            RELTIO_EXECUTION=self.execution,
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-tmp"),
            ANSIBLE_HOME=str(self.workdir / "ansible-home"),
            PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        )
        return env

    def reltio_env(self, tenant, auth="token"):
        """Environment variables that give the module its Reltio connection, as AWX injects them."""
        env = {"RELTIO_PLATFORM_URL": self.emulator.url, "RELTIO_TENANT_ID": tenant}
        if auth == "token":
            env["RELTIO_ACCESS_TOKEN"] = RELTIO_TOKEN
        else:
            env.update(RELTIO_CLIENT_ID=RELTIO_CLIENT_ID, RELTIO_CLIENT_SECRET=RELTIO_CLIENT_SECRET,
                       RELTIO_AUTH_URL=self.emulator.token_url)
        return env

    @staticmethod
    def databricks_env():
        return {"DATABRICKS_HOST": WORKSPACE_URL, "DATABRICKS_WAREHOUSE_ID": WAREHOUSE_ID,
                "DATABRICKS_CLIENT_ID": DATABRICKS_CLIENT_ID, "DATABRICKS_CLIENT_SECRET": DATABRICKS_CLIENT_SECRET}

    def run(self, args, env=None, timeout=300):
        self._count += 1
        results_file = self.workdir / ("results-%d.jsonl" % self._count)
        full_env = self.base_env()
        full_env.update(env or {})
        self._add_env_secrets(env or {})
        full_env["RELTIO_TEST_RESULTS"] = str(results_file)
        completed = subprocess.run(args, env=full_env, cwd=str(self.workdir), capture_output=True, text=True,
                                   timeout=timeout, check=False)
        raw_results = results_file.read_text() if results_file.exists() else ""
        run = AnsibleRun(args, completed, [json.loads(line) for line in raw_results.splitlines() if line.strip()])
        self.runs.append((run, raw_results))
        for token in self.emulator.issued_tokens():
            if token not in self.secrets.values():
                self.secrets["access token the emulator issued (#%d)" % len(self.secrets)] = token
        return run

    def playbook(self, text, *args, env=None, name=None):
        self._count += 1
        path = self.workdir / (name or "play-%d.yml" % self._count)
        path.write_text(text)
        return self.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(path)] + list(args), env=env)

    def adhoc(self, module_args, *args, env=None, module="reltio.platform.reltio_databricks_connection"):
        return self.run(["ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", module, "-a", module_args]
                        + list(args), env=env)

    def leaks(self):
        """``[(secret label, command)]`` for every secret found, in any spelling, in any output."""
        found = []
        for run, raw_results in self.runs:
            text = run.output + raw_results
            # Also without white space: base64 in lines, a hex dump with spaces, a token broken over lines.
            joined = "".join(text.split())
            for label, secret in sorted(self.secrets.items()):
                if any(spelling in text or spelling in joined for spelling in secret_spellings(secret)):
                    found.append((label, " ".join(run.args)))
        for file, text in self._scanned_files():
            for label, secret in sorted(self.secrets.items()):
                if any(spelling in text for spelling in secret_spellings(secret)):
                    found.append((label, "the file %s" % file))
        return found

    def take_leaks(self):
        """The leak scan of the runs so far, for a test that asserts it itself (an xfail test of a known leak).

        Those runs are then left out of the scan after the test, so a known leak fails that test, not its teardown.
        """
        found = self.leaks()
        self.runs = []
        self.scanned_paths = []
        return found


@pytest.fixture(params=["controller", "target"])
def execution(request):
    """Every integration test runs on both paths: in process on the controller, and as a module."""
    return request.param


@pytest.fixture
def ansible(tmp_path, emulator, execution):
    runner = AnsibleRunner(tmp_path, emulator, execution)
    yield runner
    leaks = runner.leaks()
    if leaks:
        pytest.fail("secrets printed: %s" % "; ".join("%s in `%s`" % leak for leak in leaks), pytrace=False)


def pytest_terminal_summary(terminalreporter):
    """Print the lines tests recorded with ``record_property("summary", line)`` (the fault suites' counts)."""
    for reports in list(terminalreporter.stats.values()):
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "summary" and getattr(report, "when", None) == "call":
                    terminalreporter.write_line(value)


@pytest.fixture
def tenant(request):
    """A tenant id of its own for each test."""
    return re.sub(r"[^A-Za-z0-9]", "", request.node.name)[-40:] or "tenant"


# --------------------------------------------------------------------------- the emulator over TLS

class TlsEmulator:
    """The emulator (tools/emulator/, on sys.path by tests/conftest.py), in this process, serving https with
    a certificate of the test CA; with ``workspace=True`` also a Databricks workspace (``workspace_url``),
    https with a certificate of the same CA for ``host_name``."""

    def __init__(self, cert_dir, ca, host_name, workspace=False):
        chain = cert_dir / ("%s.pem" % host_name)
        ca.issue_cert(host_name).private_key_and_cert_chain_pem.write_to_path(str(chain))
        config = EmulatorConfig(client_id=RELTIO_CLIENT_ID, client_secret=RELTIO_CLIENT_SECRET, tokens=[RELTIO_TOKEN])
        workspace_tls = {"workspace_tls_cert": str(chain), "workspace_tls_key": str(chain)} if workspace else {}
        self.server = ReltioEmulator(config=config, tls_cert=str(chain), tls_key=str(chain), **workspace_tls).start()
        self.url = self.server.url
        self.workspace_url = self.server.workspace_url
        self.state = self.server.state

    def connections(self, tenant):
        return self.state.snapshot()["tenants"].get(tenant, {})


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A private CA, its PEM file, and emulators with its certificates: for 127.0.0.1, and for another name."""
    cert_dir = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca_file = cert_dir / "private-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    good, mismatched = TlsEmulator(cert_dir, ca, "127.0.0.1"), TlsEmulator(cert_dir, ca, "reltio.example.test")
    yield {"ca_path": str(ca_file), "good": good, "mismatched": mismatched}
    good.server.stop()
    mismatched.server.stop()


@pytest.fixture
def tls(pki):
    for name in ("good", "mismatched"):
        pki[name].state.reset()
    return pki
