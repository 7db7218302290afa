# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every YAML and shell example of README.md and of the usage guide runs as written against the emulator.

The examples are one session, in one directory, in the order a reader meets them: README.md first, then
docs/docsite/rst/usage_guide.rst (whose play reads the README's ``vault.yml``). A YAML example names its file in its
first line (``# connect.yml``) and is written there; the shell examples run as one bash script with ``set -e``, on
both execution paths (``RELTIO_EXECUTION``). The emulator is the one the README's own line starts.

What does not run as written, and why, is listed here and nowhere else:

- NOT_RUN: examples that install from Galaxy or run the test suite itself;
- STAND_INS: the interactive steps (a vault password typed at a prompt, an editor opened by ``ansible-vault
  create``) become their non-interactive forms, and port 8080 a free port, since other test runs share the machine.
"""

from __future__ import annotations

import json
import re
import socket
import textwrap

import pytest

from reltio_world import ROOT

DOCUMENTS = ("README.md", "docs/docsite/rst/usage_guide.rst")
# The health guide's walk-through: its section "Rehearse a failure", after the README's session (issue 26).
HEALTH_GUIDE = ("docs/docsite/rst/health_guide.rst", "Rehearse a failure")
SHELL = ("bash", "shell")
YAML = ("yaml", "yaml+jinja")
NOT_RUN = {
    "make demo": "make demo and make test: the tests are what make test runs",
    "ansible-galaxy collection install reltio.platform": "installs from Galaxy; the tests use the work tree's collection",
}
VAULT_PASSWORD_FILE = "vault-password"
STAND_INS = (
    # ansible-vault create opens an editor on a tty: the file is the README's vault.yml example, encrypted.
    (re.compile(r"^ansible-vault create (\S+)$", re.M), r"ansible-vault encrypt --vault-password-file %s \1" % VAULT_PASSWORD_FILE),
    # A vault password typed at a prompt: the same password from a file.
    (re.compile(r"--ask-vault-pass\b"), "--vault-password-file %s" % VAULT_PASSWORD_FILE),
)
# Where the README starts the emulator; the script waits until it listens, and stops it at the end.
EMULATOR_LINE = re.compile(r"^python3 tools/reltio_emulator\.py .*&", re.M)
# The emulator's state, saved to a file (runnable puts the emulator's port in place of 8080).
STATE_BEFORE_HEALTH_GUIDE = ("python3 -c 'import urllib.request; open(\"state-before-health-guide\", \"wb\").write("
                             "urllib.request.urlopen(\"http://127.0.0.1:8080/_emulator/state\").read())'\n")
NAMED_FILE = re.compile(r"^# ([\w.-]+\.yml)\b")
SECRET_VALUES = re.compile(r"\b(?:RELTIO_CLIENT_ID|RELTIO_CLIENT_SECRET|RELTIO_ACCESS_TOKEN|DATABRICKS_CLIENT_SECRET)=(\S+)"
                           r"|^vault_\w+: (\S+)$", re.M)


def examples(path, section=None):
    """``[(language, text)]`` of a Markdown or reStructuredText document, in order; of one section of it if named."""
    text = (ROOT / path).read_text(encoding="utf-8")
    if section:
        text = text.split("\n%s\n%s\n" % (section, "-" * len(section)), 1)[1]
        text = re.split(r"\n[^\n]+\n-{3,}\n", text, maxsplit=1)[0]
    if path.endswith(".md"):
        return re.findall(r"^```([\w+]+)\n(.*?)^```$", text, re.M | re.S)
    found = re.findall(r"^\.\. code-block:: ([\w+]+)\n\n((?:(?:    .*)?\n)+)", text, re.M)
    return [(language, textwrap.dedent(body).strip() + "\n") for language, body in found]


def session(documents=DOCUMENTS):
    """``(files, script, not_run)``: the YAML examples by file name, the shell examples as one script, and what was
    left out with why. ``documents``: paths, or (path, section) for one section of a guide."""
    files, shell, not_run = {}, [], []
    for document in documents:
        path, section = document if isinstance(document, tuple) else (document, None)
        for language, text in examples(path, section):
            first = text.splitlines()[0]
            if language in YAML:
                name = NAMED_FILE.match(first)
                assert name, "%s: a YAML example must name its file in its first line (# name.yml): %r" % (path, first)
                files[name.group(1)] = text
            else:
                assert language in SHELL, "%s: an example in %s, which this test cannot run" % (path, language)
                reason = next((why for start, why in NOT_RUN.items() if first.startswith(start)), None)
                if reason:
                    not_run.append(reason)
                else:
                    shell.append("# %s\n%s" % (path, text))
    return files, "\n".join(shell), not_run


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def runnable(script, port):
    """The examples' script with the stand-ins, on ``port``, stopping the emulator the README starts at the end."""
    for pattern, replacement in STAND_INS:
        script = pattern.sub(replacement, script)
    script = script.replace("127.0.0.1:8080", "127.0.0.1:%d" % port).replace("--port 8080", "--port %d" % port)
    started = EMULATOR_LINE.search(script)
    assert started, "the README no longer starts the emulator with python3 tools/reltio_emulator.py ... &"
    wait = ('emulator_pid=$!; trap \'kill $emulator_pid\' EXIT\n'
            'for _ in $(seq 200); do python3 -c \'import socket; socket.create_connection(("127.0.0.1", %d), 1)\' 2>/dev/null'
            ' && break; sleep 0.1; done\n' % port)
    end = script.index("\n", started.end()) + 1
    control = "http://127.0.0.1:%d/_emulator/" % port
    report = ("python3 -c 'import sys, urllib.request; [open(name, \"wb\").write(urllib.request.urlopen(sys.argv[1] + name).read())"
              " for name in (\"state\", \"issued-tokens\")]' %s\n" % control)
    return "set -euo pipefail\n" + script[:end] + wait + script[end:] + report


def test_the_session_is_what_the_documents_hold():
    files, script, not_run = session()
    assert sorted(files) == ["connect.yml", "connect_tenants.yml", "vault.yml"]
    assert sorted(not_run) == sorted(NOT_RUN.values()), "a NOT_RUN entry matches no example any more: remove it"
    assert "ansible-playbook connect.yml" in script and "ansible localhost -m reltio.platform" in script
    # The README's ad-hoc command and its playbook use tenants of their own (one active connection per tenant).
    tenants = re.findall(r"tenant_id: (\w+)|RELTIO_TENANT_ID=(\w+)", files["connect.yml"] + script)
    assert len(set(tenants)) == len(tenants) == 2, tenants


def run_examples(ansible, files, script):
    """Write the examples into the test's directory and run them; every secret they hold is scanned for."""
    for name, text in files.items():
        (ansible.workdir / name).write_text(text)
    (ansible.workdir / "tools").symlink_to(ROOT / "tools")
    password = "docs-vault-password-" + ansible.execution
    (ansible.workdir / VAULT_PASSWORD_FILE).write_text(password + "\n")
    ansible.add_secret("vault password", password)
    for value in (first or second for first, second in SECRET_VALUES.findall(files["vault.yml"] + script)):
        ansible.add_secret("secret of the examples: %s" % value[:3], value)
    (ansible.workdir / "examples.sh").write_text(runnable(script, free_port()))
    return ansible.run(["bash", "examples.sh"])


def test_readme_usage_guide_and_health_guide_examples_run_against_the_emulator(ansible):
    """The README's and the usage guide's examples leave their connections; then (issue 26 point 7) the health guide's
    rehearsal, on the README's emulator, reports one tenant healthy and the one it breaks failing, with the reason's
    code; the tenant the README exported in RELTIO_TENANT_ID is not read. One session, as a reader meets the three
    (the usage guide's play touches no tenant of the health guide's inventory but the README's, which it leaves ok)."""
    files, script = session(DOCUMENTS)[:2]
    health_files, health_script = session((HEALTH_GUIDE,))[:2]
    files.update(health_files)
    # What the README's and the usage guide's examples left, read before the health guide's rehearsal, whose checks run
    # Reltio's test on a tenant of theirs (a passing test makes a PENDING connection ACTIVE).
    script += "\n" + STATE_BEFORE_HEALTH_GUIDE + health_script
    assert sorted(files) == ["connect.yml", "connect_tenants.yml", "health-inventory.yml", "health.yml", "vault.yml"]
    run = run_examples(ansible, files, script)
    for token in json.loads((ansible.workdir / "issued-tokens").read_text() or "{}").get("tokens", []):
        ansible.add_secret("a token the README's emulator issued", token)
    ansible.scan_path(ansible.workdir / "connection-health")
    assert run.rc == 0, run.output
    assert "failed=0" in run.stdout and "failed=1" not in run.stdout
    # The README's playbook, its ad-hoc command and the usage guide's play (two tenants) each left their connection.
    state = json.loads((ansible.workdir / "state-before-health-guide").read_text())["tenants"]
    assert sorted(state) == ["Hn4sKd8Wq2Zr6Tb", "ce5627DYnQ6abcD", "wX7pLq2Tn4VbR9s"], state
    assert all(list(connections) == ["databricks-connection-01"] for connections in state.values()), state
    assert state["ce5627DYnQ6abcD"]["databricks-connection-01"]["status"] == "ACTIVE"
    # The usage guide's play reran on the README's tenant: ok, not a second connection.
    results = [entry["result"] for entry in run.results if entry["action"].endswith("reltio_databricks_connection")]
    created = [item.get("created") for result in results for item in result.get("results", [result])]
    assert created.count(True) == 3 and created.count(False) == 1, created

    report = json.loads((ansible.workdir / "connection-health" / "connection-health.json").read_text())
    by_host = dict((record["inventory_hostname"], record) for record in report["connections"])
    assert (by_host["customer360"]["status"], by_host["customer360"]["reason_code"]) == ("healthy", "ok")
    assert (by_host["analytics"]["status"], by_host["analytics"]["reason_code"]) == ("failing", "databricks_permission")
    # As the guide says: the tenant it broke is newly failing since the run before.
    assert by_host["analytics"]["change"] == "new_failure" and by_host["customer360"]["change"] == "unchanged"
    assert "PERMISSION_DENIED" in by_host["analytics"]["message"]
    assert sorted(by_host["customer360"]["from_environment"]) == [
        "auth_url", "execution", "platform_url", "reltio_client_id", "reltio_client_secret"]


# A misspelled option is refused by the module's own checks, which run on each path: both paths. A wrong module name
# is refused by Ansible before either path is chosen: the controller path alone.
@pytest.mark.parametrize("execution, broken", [("controller", "a misspelled option"), ("target", "a misspelled option"),
                                               ("controller", "a wrong module name")], indirect=["execution"])
def test_a_broken_example_fails(ansible, broken):
    """The test above fails when an example stops working."""
    files, script = session()[:2]
    if broken == "a misspelled option":
        files["connect.yml"] = files["connect.yml"].replace("warehouse_id:", "warehouse:")
        said = "warehouse is not an option of reltio.platform.reltio_databricks_connection"
    else:
        script = script.replace("reltio.platform.reltio_databricks_connection", "reltio.platform.reltio_databricks_connections")
        said = "reltio.platform.reltio_databricks_connections"
    run = run_examples(ansible, files, script)
    assert run.rc != 0 and said in run.output, run.output
