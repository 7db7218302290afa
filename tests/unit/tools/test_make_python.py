# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo PYTHON=python3.12` under pyenv (issue 26): the venv is made with the Python asked for.

A pyenv shim for python3.12 answers "command not found" unless pyenv selects 3.12; the Makefile sets PYENV_VERSION
for a name like python3.12, as its matrix targets do. The command make would run is run here, for a venv of its own.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("version", ["3.12", "3.11"])
def test_make_demo_makes_its_venv_with_the_python_asked_for(tmp_path, version):
    python = "python%s" % version
    if shutil.which(python) is None:
        pytest.skip("%s is not on PATH" % python)
    venv = tmp_path / "venv"
    env = dict((key, value) for key, value in os.environ.items() if key not in ("PYENV_VERSION", "MAKEFLAGS", "MAKELEVEL"))
    dry = subprocess.run(["make", "-n", "demo", "PYTHON=%s" % python, "VENV=%s" % venv], cwd=str(ROOT), env=env,
                         capture_output=True, text=True, check=True)
    (command,) = [line for line in dry.stdout.splitlines() if re.search(r" -m venv ", line)]
    made = subprocess.run(["bash", "-c", command.split("|| ", 1)[1].replace(" -m venv ", " -m venv --without-pip ")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    said = subprocess.run([str(venv / "bin" / "python"), "--version"], capture_output=True, text=True, check=True)
    assert said.stdout.startswith("Python %s." % version), said.stdout
