# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CONTRIBUTING.md and the development guide give the same commands for one test, and those commands name tests
that exist and a venv that the Makefile builds."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

from reltio_world import ROOT

QUICK_PYTHON = ".venv-quick/bin/python"


def one_test_commands(text):
    """The command lines of the first shell block after the "One test in seconds" heading, comments cut off."""
    section = text[text.index("One test in seconds"):]
    block = re.search(r"```bash\n((?:[^`][^\n]*\n)+)```|code-block:: bash\n\n((?:   [^\n]*\n)+)", section)
    lines = (block.group(1) or block.group(2)).splitlines()
    return [line.split("  #")[0].strip() for line in lines if line.strip()]


def test_contributing_and_the_development_guide_give_the_same_commands():
    contributing = one_test_commands((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    guide = one_test_commands((ROOT / "docs" / "docsite" / "rst" / "development_guide.rst").read_text(encoding="utf-8"))
    assert contributing == guide
    assert contributing[0] == "make venv-quick collection-link"
    assert re.search(r"^venv-quick: \$\(VENV_QUICK\)/\.installed$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)


def test_the_documented_tests_exist():
    commands = one_test_commands((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))[1:]
    assert commands
    collecting = []
    for command in commands:
        args = shlex.split(command)
        assert args[0] == QUICK_PYTHON, command
        # Each collection waits mostly on imports: the commands collect side by side, not one after the other.
        collecting.append(subprocess.Popen([sys.executable] + args[1:] + ["--collect-only", "-q", "-p", "no:cacheprovider"],
                                           cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for process in collecting:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stdout + stderr
        assert re.search(r"\b[1-9]\d*(/\d+)? tests? collected", stdout), stdout
