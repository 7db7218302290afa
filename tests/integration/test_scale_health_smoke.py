# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/scale.py runs its health-check row on a small fleet: checked, printed, and given its own goal."""

from __future__ import annotations

import re
import subprocess
import sys

from reltio_world import ROOT


def test_a_small_health_check_row(tmp_path):
    output = tmp_path / "scale.md"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--case", "lanes:linear:3:9:0:health", "--output", str(output)],
        capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    text = output.read_text()
    assert re.search(r"\| health check: 3 lanes \(hosts\) looping over the tenant list, forks 3 \| 9 \| loopback \| \d+\.\d \|"
                     r".*\(\d+ s at this rate; goal 60 s\) \|", text), text


def test_a_health_case_is_parsed_and_a_bad_one_refused():
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--case", "lanes:linear:3:30:0:delete"],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2
    assert "task create, health or role" in completed.stderr


def test_a_small_role_row_in_lanes_and_in_hosts(tmp_path):
    """The role's rows: every tenant checked once, the report holding each of them healthy (scale.py checks both).
    The least fleet that still has a lane looping over tenants and more than one host (each host costs role tasks)."""
    output = tmp_path / "scale.md"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--case", "lanes:linear:2:4:0:role",
         "--case", "hosts:linear:2:2:0:role", "--output", str(output)],
        capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    text = output.read_text()
    assert re.search(r"\| connection_health role, report written: 2 lanes \(hosts\) looping over the tenant list, forks 2 \| 4 \|"
                     r".*\(\d+ s at this rate; goal 60 s\) \|", text), text
    assert "| connection_health role, report written: one host per tenant, linear, forks 2 | 2 |" in text
