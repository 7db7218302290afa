# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make health-screenshot`: the connection_health report of a made-up fleet, rendered by headless Chromium.

Starts the emulator in this process, gives it tenants of every health (healthy, a rotated secret, a revoked grant, a
deleted warehouse, a missing connection, a Reltio that answers 503), runs examples/connection_health.yml over an
inventory of them, and screenshots the HTML report into docs/docsite/rst/images/connection-health.png.
Needs `chromium` (Debian: apt-get install chromium); nothing leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import yaml
from emulator import EmulatorConfig, ReltioEmulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
PLAYBOOK = os.path.join(ROOT, "examples", "connection_health.yml")
OUTPUT = os.path.join(ROOT, "docs", "docsite", "rst", "images", "connection-health.png")
TOKEN = "screenshot-static-token"
NAME = "databricks-connection-01"
WINDOW = "1500,1010"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")

# host: (tenant id, what happened to its connection)
FLEET = {
    "customer360-prod": ("cP360q1Rz8YwKd2", None),
    "analytics-prod": ("aN4lyt1cs9Qw3Ex", None),
    "customer360-test": ("tC360x7Lm2Vb5Nq", None),
    "marketing-prod": ("mKt8Pq2Zr5Wx1Ya", "rotate_secret"),
    "finance-prod": ("fN7cE3qR9tY2uI4", "revoke_grant"),
    "supply-chain-test": ("sCh41nT6vB8nM1k", "delete_warehouse"),
    "partner-sandbox": ("pRt9Sb3Xc6Vz2Lq", "missing"),
    "risk-prod": ("rSk5Pr0d8Hj3Kl7", "unavailable"),
}


def seed(state):
    """Create each tenant's connection, then break it as FLEET says."""
    body = {"connectionName": NAME, "workspaceUrl": "https://adb-1234567890123456.7.azuredatabricks.net",
            "warehouseId": "ab1c2d3ef5g6h7i8", "clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "clientSecret": "made-up-secret"}
    for tenant, what in FLEET.values():
        if what == "missing":
            continue
        state.create_connection(tenant, body)
        if what == "unavailable":
            state.add_faults({"rules": [{"endpoint": "test", "tenant": tenant, "status": 503, "count": -1,
                                         "message": "Service temporarily unavailable"}]})
        elif what:
            state.break_connection({"tenant": tenant, "connection_name": NAME, "how": what})


def inventory(url):
    hosts = dict((host, {"databricks_connection_tenant_id": tenant}) for host, (tenant, _what) in FLEET.items())
    return {"reltio_tenants": {"hosts": hosts, "vars": {
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "databricks_connection_platform_url": url,
        "databricks_connection_access_token": TOKEN,
        "databricks_connection_name": NAME,
        "databricks_connection_retries": 0,
    }}}


def main():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (Debian: apt-get install chromium).")
    config = EmulatorConfig(tokens=[TOKEN], set_cookies=False)
    with ReltioEmulator(config=config) as emulator, tempfile.TemporaryDirectory() as workdir:
        seed(emulator.state)
        inventory_path = os.path.join(workdir, "inventory.yml")
        with open(inventory_path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(inventory(emulator.url), handle)
        report_dir = os.path.join(workdir, "report")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                   ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + os.environ["PATH"])
        completed = subprocess.run(
            [os.path.join(BIN, "ansible-playbook"), "-i", inventory_path, PLAYBOOK, "-e", "connection_health_report_dir=" + report_dir,
             "-e", "connection_health_fail_on_unhealthy=false"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if completed.returncode:
            sys.exit("The health playbook failed:\n" + completed.stdout + completed.stderr)
        os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
        profile = os.path.join(workdir, "chromium-profile")
        subprocess.run([chromium, *CHROMIUM_FLAGS, "--user-data-dir=" + profile, "--window-size=" + WINDOW,
                        "--screenshot=" + OUTPUT, "file://" + os.path.join(report_dir, "connection-health.html")],
                       check=True, capture_output=True, timeout=120)
    print("Wrote %s" % os.path.relpath(OUTPUT, ROOT))


if __name__ == "__main__":
    main()
