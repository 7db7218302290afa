# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make health-screenshot`: the connection_health report of a made-up fleet, rendered whole by headless Chromium.

Starts the emulator in this process, gives it tenants of every health, runs examples/connection_health.yml over an
inventory of them twice - the night before (all connections work but the missing one), then after the breaks (a
rotated secret, a revoked grant, a deleted warehouse, a Reltio that answers 503) - so that the report shows what
changed. Writes the second report's JSON beside the picture (docs/docsite/rst/images/connection-health.json: the
picture's source data, which tests/unit/tools/test_health_screenshot.py compares with the role's wording) and
screenshots its HTML, as tall as the page, into docs/docsite/rst/images/connection-health.png.
Needs `chromium` (Debian: apt-get install chromium); nothing leaves the machine.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml
from emulator import EmulatorConfig, ReltioEmulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
PLAYBOOK = os.path.join(ROOT, "examples", "connection_health.yml")
IMAGES = os.path.join(ROOT, "docs", "docsite", "rst", "images")
OUTPUT = os.path.join(IMAGES, "connection-health.png")
SOURCE = os.path.join(IMAGES, "connection-health.json")
TOKEN = "screenshot-static-token"
NAME = "databricks-connection-01"
WIDTH = 1280
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")
# Written into the page by measure(): what the browser laid out.
MEASURE_SCRIPT = """<script>
(function () {
  var page = document.documentElement, cell = document.querySelector('td.reason') || document.body;
  var style = getComputedStyle(cell);
  document.body.setAttribute('data-measured', JSON.stringify({height: page.scrollHeight, width: page.scrollWidth,
    overflowWrap: style.overflowWrap, wordBreak: style.wordBreak}));
})();
</script>
"""

# host: (tenant id, what happens to its connection after the first run)
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


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def measure(chromium, page, width, height=900):
    """``{height, width, overflowWrap, wordBreak}`` of the HTML file ``page`` laid out in a window ``width`` wide."""
    with tempfile.TemporaryDirectory() as workdir:
        probe = os.path.join(workdir, "probe.html")
        with open(page, encoding="utf-8") as handle:
            text = handle.read()
        with open(probe, "w", encoding="utf-8") as handle:
            handle.write(text.replace("</body>", MEASURE_SCRIPT + "</body>"))
        dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--user-data-dir=" + os.path.join(workdir, "profile"),
                              "--window-size=%d,%d" % (width, height), "--dump-dom", "file://" + probe],
                             check=True, capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-measured="([^"]*)"', dom)
    if not found:
        raise RuntimeError("Chromium did not lay out %s" % page)
    return json.loads(html.unescape(found.group(1)))


def seed(state):
    """Create each tenant's connection (but the missing one's)."""
    body = {"connectionName": NAME, "workspaceUrl": "https://adb-1234567890123456.7.azuredatabricks.net",
            "warehouseId": "ab1c2d3ef5g6h7i8", "clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "clientSecret": "made-up-secret"}
    for tenant, what in FLEET.values():
        if what != "missing":
            state.create_connection(tenant, body)


def break_them(state):
    """Break each connection as FLEET says, as happened overnight."""
    for tenant, what in FLEET.values():
        if what == "unavailable":
            state.add_faults({"rules": [{"endpoint": "test", "tenant": tenant, "status": 503, "count": -1,
                                         "message": "Service temporarily unavailable"}]})
        elif what and what != "missing":
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


def run_role(inventory_path, report_dir, env):
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", inventory_path, PLAYBOOK, "-e", "connection_health_report_dir=" + report_dir,
         "-e", "connection_health_fail_on_unhealthy=false"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode:
        sys.exit("The health playbook failed:\n" + completed.stdout + completed.stderr)


def main():
    chromium = chromium_path()
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
        run_role(inventory_path, report_dir, env)
        break_them(emulator.state)
        run_role(inventory_path, report_dir, env)
        page = os.path.join(report_dir, "connection-health.html")
        # The whole page: a window as tall as what the browser laid out.
        height = measure(chromium, page, WIDTH)["height"]
        os.makedirs(IMAGES, exist_ok=True)
        with open(os.path.join(report_dir, "connection-health.json"), encoding="utf-8") as handle:
            source = json.load(handle)
        source["picture"] = {"width": WIDTH, "height": height}
        with open(SOURCE, "w", encoding="utf-8") as handle:
            json.dump(source, handle, indent=2)
            handle.write("\n")
        subprocess.run([chromium, *CHROMIUM_FLAGS, "--user-data-dir=" + os.path.join(workdir, "chromium-profile"),
                        "--window-size=%d,%d" % (WIDTH, height), "--screenshot=" + OUTPUT, "file://" + page],
                       check=True, capture_output=True, timeout=120)
    print("Wrote %s and %s" % (os.path.relpath(OUTPUT, ROOT), os.path.relpath(SOURCE, ROOT)))


if __name__ == "__main__":
    main()
