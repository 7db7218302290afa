# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make lock``: the exact versions every venv of the Makefile installs, from the top-level requirements.

Each lock is what pip resolves today for its requirements files, in a new venv of its Python, with the holds of
locks/holds.txt: ``pip freeze --all``, every package with its exact version, transitive ones and pip included.
The venvs install from the locks, so that the tests of a fresh clone run on the packages they were last run on;
users' installs (requirements.txt, meta/execution-environment.yml) keep their ranges, and ``make test-newest``
runs the smoke tests on today's newest releases. Prints what moved since the previous locks.

    python3 tools/lock.py [NAME ...]            (all locks when no NAME is given)
    python3 tools/lock.py --newest NAME VENV    (``make test-newest``: a venv of NAME's requirements at today's
                                                 newest releases; what differs from the lock, what ansible warns)
"""

import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
HOLDS = LOCKS / "holds.txt"

# name -> (Python, the requirements files, installed in turn). Each file after the first is installed on top with
# --upgrade, as the Makefile's matrix venvs were built.
VENVS = {
    "venv": ("python3.11", ["requirements-dev.txt"]),
    "venv-awx": ("python3.11", ["requirements-awx.txt"]),
    "venv-importer": ("python3.11", ["requirements-importer.txt"]),
    "venv-216": ("python3.11", ["requirements-dev.txt", "requirements-matrix-216.txt"]),
    "venv-313": ("python3.13", ["requirements-dev.txt", "requirements-matrix.txt"]),
}
INPUTS_LINE = "# inputs: "


def requirement_files(first):
    """``first`` and every file it reads with ``-r``, in reading order."""
    files, pending = [], [first]
    while pending:
        name = pending.pop(0)
        if name in files:
            continue
        files.append(name)
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("-r "):
                pending.append(line[3:].strip())
    return files


def inputs_digest(name):
    """A digest of everything a lock is made from: its requirements files (and those they read) and the holds,
    less their comments."""
    files = []
    for first in VENVS[name][1]:
        files.extend(path for path in requirement_files(first) if path not in files)
    digest = hashlib.sha256()
    for path in files + ["locks/holds.txt"]:
        lines = [line.split(" #")[0].strip() for line in (ROOT / path).read_text(encoding="utf-8").splitlines()]
        digest.update(("%s\0%s\0" % (path, "\n".join(line for line in lines if line and not line.startswith("#"))))
                      .encode())
    return digest.hexdigest()[:16]


def normal_name(package):
    """A package's name as PyPI compares them (PEP 503): typing_extensions and typing-extensions are one."""
    return re.sub(r"[-_.]+", "-", package).lower()


def read_lock(path):
    """``{name: version}`` of a lock file (empty when it does not exist)."""
    pins = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                package, _sep, version = line.partition("==")
                pins[normal_name(package)] = version
    return pins


def run(args, env):
    """Runs a command quietly; what it printed is shown only when it fails (pip warns of every local index)."""
    done = subprocess.run(args, env=env, cwd=str(ROOT), capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit("tools/lock.py: %s failed:\n%s%s" % (" ".join(args), done.stdout, done.stderr))
    return done.stdout


def build(name, venv, holds=True):
    """A new venv at ``venv`` with the requirements of lock ``name``, resolved today (with the holds, or without);
    returns ``pip freeze --all`` of it, as lines, and its Python's version."""
    python, files = VENVS[name]
    # A pyenv shim runs pythonX.Y only when pyenv selects X.Y.
    env = dict(os.environ, PYENV_VERSION=python[len("python"):], PIP_NO_CACHE_DIR="1")
    shutil.rmtree(str(venv), ignore_errors=True)
    run([python, "-m", "venv", str(venv)], env)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet"] + (["-c", str(HOLDS)] if holds else [])
    run(pip + ["--upgrade", "pip"], env)
    for number, requirements in enumerate(files):
        run(pip + (["--upgrade"] if number else []) + ["-r", requirements], env)
    # pip only warns of a conflict that a later step's upgrade made: a lock is made of a consistent set or not at all.
    run([python, "-m", "pip", "check"], env)
    freeze = run([python, "-m", "pip", "freeze", "--all"], env)
    return sorted(line for line in freeze.splitlines() if "==" in line), run([python, "--version"], env).strip()


def moves(old, new):
    """What moved between two locks, one line each."""
    lines = []
    for package in sorted(set(old) | set(new)):
        if package not in new:
            lines.append("  - %s %s" % (package, old[package]))
        elif package not in old:
            lines.append("  + %s %s" % (package, new[package]))
        elif old[package] != new[package]:
            lines.append("  %s %s -> %s" % (package, old[package], new[package]))
    return lines


def lock(name):
    path = LOCKS / ("%s.txt" % name)
    old = read_lock(path)
    with tempfile.TemporaryDirectory(prefix="lock-%s-" % name) as tmp:
        pins, version = build(name, pathlib.Path(tmp) / "venv")
    path.write_text("".join([
        "# The exact packages of .%s, made by `make lock` (tools/lock.py): do not edit.\n" % name,
        "# From %s, with %s and the holds of locks/holds.txt.\n" % (" then ".join(VENVS[name][1]), version),
        "%s%s\n" % (INPUTS_LINE, inputs_digest(name)),
    ] + ["%s\n" % pin for pin in pins]), encoding="utf-8")
    changed = moves(old, read_lock(path))
    print("%s: %s" % (path.relative_to(ROOT), "%d moved" % len(changed) if changed else "nothing moved"))
    for line in changed:
        print(line)


def newest(name, venv):
    """A new venv at ``venv`` with today's newest releases that the requirements of lock ``name`` allow (no holds);
    prints what differs from the lock and what its ansible prints to stderr (a Python warning, as cryptography 51's
    of DSA): the findings ``make test-newest`` reports on purpose."""
    venv = pathlib.Path(venv)
    pins, _version = build(name, venv, holds=False)
    installed = dict((normal_name(package), version) for package, _sep, version in (pin.partition("==") for pin in pins))
    changed = moves(read_lock(LOCKS / ("%s.txt" % name)), installed)
    print("Newest releases against locks/%s.txt: %s" % (name, "%d differ" % len(changed) if changed else "as locked"))
    for line in changed:
        print(line)
    stderr = subprocess.run([str(venv / "bin" / "ansible"), "--version"], capture_output=True, text=True, check=False).stderr
    print("ansible --version prints to stderr: %s" % ("\n  " + stderr.strip().replace("\n", "\n  ") if stderr.strip()
                                                      else "nothing"))


def main(names):
    unknown = [name for name in names if name not in VENVS]
    if unknown:
        sys.exit("tools/lock.py: no lock named %s; the locks: %s" % (", ".join(unknown), ", ".join(VENVS)))
    for name in names or VENVS:
        lock(name)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--newest"]:
        newest(*sys.argv[2:4])
    else:
        main(sys.argv[1:])
