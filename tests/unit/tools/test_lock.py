# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The locks of the Makefile's venvs (locks/, tools/lock.py): complete, exact, made from today's requirements files,
and the only thing the venvs install; users' requirements keep their ranges."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import re

import lock  # tools/lock.py (tools/ is on sys.path: tests/conftest.py)
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
STALE = "locks/%s.txt was made from other requirements files than today's: run `make lock`"


@pytest.mark.parametrize("name", sorted(lock.VENVS))
def test_lock_is_made_from_todays_requirements(name):
    text = (ROOT / "locks" / ("%s.txt" % name)).read_text(encoding="utf-8")
    (inputs,) = [line for line in text.splitlines() if line.startswith(lock.INPUTS_LINE)]
    assert inputs[len(lock.INPUTS_LINE):] == lock.inputs_digest(name), STALE % name


@pytest.mark.parametrize("name", sorted(lock.VENVS))
def test_lock_pins_every_package_exactly(name):
    lines = [line for line in (ROOT / "locks" / ("%s.txt" % name)).read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert [line for line in lines if not re.match(r"^[A-Za-z0-9_.-]+==[A-Za-z0-9_.+!-]+$", line)] == []
    pins = lock.read_lock(ROOT / "locks" / ("%s.txt" % name))
    # pip itself, and what every venv here needs, are in it: nothing of the venv is left to the day's resolution.
    assert {"pip", "setuptools", "ansible-core"} <= set(pins)
    # The hold: no cryptography that makes every ansible command warn.
    assert int(pins["cryptography"].split(".")[0]) < 51


def test_every_venv_of_the_makefile_installs_its_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for name in lock.VENVS:
        # .venv's pip installs the others (PIP_INSTALL_INTO), so they also depend on it.
        recipe = re.search(r"^\$\(%s\)/\.installed: locks/%s\.txt(?: \$\(VENV\)/\.pip)?\n((?:\t.*\n)+)" % (
            {"venv": "VENV", "venv-awx": "VENV_AWX", "venv-importer": "VENV_IMPORTER", "venv-216": "VENV_FLOOR",
             "venv-313": "VENV_MATRIX"}[name], name), makefile, re.M)
        assert recipe, "the recipe of .%s does not depend on locks/%s.txt" % (name, name)
        installs = [line for line in recipe.group(1).splitlines() if "$(PIP_INSTALL)" in line or "PIP_INSTALL_INTO" in line]
        assert installs and all("locks/%s.txt" % name in line for line in installs), installs
    # .venv's own pip is the lock's.
    assert re.search(r"^\$\(VENV\)/\.pip: locks/venv\.txt\n(?:\t.*\n)*\t\$\(BIN\)/python \$\(PIP_INSTALL\) -c locks/venv\.txt pip\n",
                     makefile, re.M)
    # make demo installs its part of .venv's lock.
    demo = re.search(r"^\$\(VENV\)/\.demo-installed:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "-r requirements-demo.txt -c locks/venv.txt" in demo


def test_users_installs_keep_their_ranges():
    assert "==" not in (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert "requirements.txt" in (ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8")


def test_what_moved_is_named_package_by_package():
    old = {"cryptography": "50.0.2", "pip": "26.3", "six": "1.16.0"}
    new = {"cryptography": "51.0.1", "pip": "26.3", "idna": "3.10"}
    assert lock.moves(old, new) == ["  cryptography 50.0.2 -> 51.0.1", "  + idna 3.10", "  - six 1.16.0"]
    assert lock.moves(old, old) == []


def test_inputs_digest_changes_with_a_file_that_a_requirements_file_reads(tmp_path, monkeypatch):
    for name in ("requirements-dev.txt", "requirements-demo.txt", "requirements.txt"):
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "locks").mkdir()
    (tmp_path / "locks" / "holds.txt").write_text("cryptography<51\n", encoding="utf-8")
    monkeypatch.setattr(lock, "ROOT", tmp_path)
    before = lock.inputs_digest("venv")
    (tmp_path / "requirements.txt").write_text("requests>=2.26\n", encoding="utf-8")
    assert lock.inputs_digest("venv") != before
    (tmp_path / "requirements.txt").write_text((ROOT / "requirements.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert lock.inputs_digest("venv") == before
    (tmp_path / "locks" / "holds.txt").write_text("cryptography<52\n", encoding="utf-8")
    held = lock.inputs_digest("venv")
    assert held != before
    # Comments are not what a lock is made from.
    reworded = "# a reason, reworded\ncryptography<52  # and a comment\n"
    (tmp_path / "locks" / "holds.txt").write_text(reworded, encoding="utf-8")
    assert lock.inputs_digest("venv") == held


def test_the_quick_venv_installs_only_packages_of_the_lock_of_venv():
    """.venv-quick installs requirements-quick.txt at the versions of locks/venv.txt: each of its packages is there."""
    pins = lock.read_lock(ROOT / "locks" / "venv.txt")
    names = [re.split(r"[<>=!~\[; ]", line)[0] for line in (ROOT / "requirements-quick.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith(("#", "-r "))]
    assert names and [name for name in names if lock.normal_name(name) not in pins] == []
    assert lock.normal_name("typing_extensions") == lock.normal_name("Typing.Extensions") == "typing-extensions"
