# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: build and install the collection, then run examples/create_connection.yml twice
against the bundled Reltio emulator. The first run creates the connection (changed), the second
finds it there (ok).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
BUILD = os.path.join(ROOT, ".build")
PLAYBOOK = os.path.join(ROOT, "examples", "create_connection.yml")

# Demo values only: the emulator's own client and a made-up service principal.
DEMO_ENV = {
    "RELTIO_TENANT_ID": "demoTenant01",
    "RELTIO_CLIENT_ID": "emulator-client",
    "RELTIO_CLIENT_SECRET": "emulator-client-secret",
    "DATABRICKS_HOST": "https://adb-1234567890123456.7.azuredatabricks.net",
    "DATABRICKS_WAREHOUSE_ID": "ab1c2d3ef5g6h7i8",
    "DATABRICKS_CLIENT_ID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "DATABRICKS_CLIENT_SECRET": "demo-databricks-client-secret",
}


def step(text):
    print("\n==> %s" % text, flush=True)


def run(args, env=None):
    subprocess.run(args, check=True, env=env, cwd=ROOT)


def start_emulator(workdir):
    port_file = os.path.join(workdir, "port")
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "reltio_emulator.py"),
                                "--port", "0", "--port-file", port_file, "--quiet"])
    deadline = time.monotonic() + 20
    while not os.path.exists(port_file):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("The Reltio emulator did not start.")
        time.sleep(0.05)
    with open(port_file, encoding="utf-8") as handle:
        return process, "http://127.0.0.1:%s" % handle.read().strip()


def play(env, number):
    step("Run %d: ansible-playbook examples/create_connection.yml" % number)
    completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), PLAYBOOK], env=env, cwd=ROOT,
                               capture_output=True, text=True, check=False)
    print(completed.stdout + completed.stderr, flush=True)
    if completed.returncode:
        sys.exit("Run %d failed." % number)
    match = re.search(r"localhost\s*:.*changed=(\d+)", completed.stdout)
    return int(match.group(1)) if match else -1


def main():
    dist = os.path.join(BUILD, "dist")
    collections = os.path.join(BUILD, "demo-collections")
    step("Build and install the collection into %s" % os.path.relpath(collections, ROOT))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", dist, ROOT])
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        version = yaml.safe_load(handle)["version"]
    tarball = os.path.join(dist, "reltio-platform-%s.tar.gz" % version)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "-p", collections, tarball],
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections))

    with tempfile.TemporaryDirectory() as workdir:
        process, url = start_emulator(workdir)
        try:
            env = dict(os.environ, **DEMO_ENV)
            env.update(RELTIO_PLATFORM_URL=url, RELTIO_AUTH_URL=url + "/oauth/token",
                       ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCALHOST_WARNING="false",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="false", PATH=BIN + os.pathsep + os.environ["PATH"])
            first = play(env, 1)
            second = play(env, 2)
        finally:
            process.terminate()
            process.wait(timeout=10)
    step("First run changed=%d (created), second run changed=%d (already there): %s"
         % (first, second, "as expected" if (first, second) == (1, 0) else "NOT as expected"))
    if (first, second) != (1, 0):
        sys.exit(1)
    print("\nNext: README.md (Try it) says how to run your own playbooks with this venv and work tree against the\n"
          "emulator; docs/docsite/rst/emulator_guide.rst says more. The other guides are beside it; `make docs` builds\n"
          "them into a site, `make test` runs every test.", flush=True)


if __name__ == "__main__":
    main()
