# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users get it: built with ansible-galaxy, installed, documented by ansible-doc."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from reltio_world import RELTIO_TOKEN, ROOT

MODULE = "reltio.platform.reltio_databricks_connection"
ALL_OPTIONS = {
    "platform_url", "tenant_id", "access_token", "reltio_client_id", "reltio_client_secret", "auth_url",
    "validate_certs", "ca_path", "timeout", "retries", "connection_name", "workspace_url", "warehouse_id",
    "client_id", "client_secret", "update_secret", "test_connection", "preflight", "execution",
}


def tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


@pytest.fixture(scope="module")
def installed(built_collection):
    """The tarball built from the work tree, and an environment where it is the installed collection."""
    return built_collection.tarball, dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(built_collection.collections_path))


def work_tree_files():
    """The files git sees in the work tree (tracked or not ignored) that exist: what may be shipped."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=str(ROOT),
                            check=True, capture_output=True).stdout.decode().split("\0")
    return set(name for name in listed if name and (ROOT / name).is_file())


def tarball_files(tarball):
    with tarfile.open(tarball) as archive:
        return set(member.name for member in archive.getmembers() if member.isfile())


def test_tarball_holds_the_collection_and_nothing_else(installed):
    tarball, _env = installed
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for wanted in ("MANIFEST.json", "README.md", "COPYING", "meta/runtime.yml", "requirements.txt",
                   "plugins/modules/reltio_databricks_connection.py", "plugins/module_utils/client.py",
                   "plugins/doc_fragments/tenant.py", "plugins/doc_fragments/auth.py", "plugins/action/reltio_databricks_connection.py",
                   "plugins/modules/reltio_token.py", "plugins/plugin_utils/reltio_action.py", "tools/reltio_emulator.py", "examples/create_connection.yml"):
        assert wanted in names
    for name in names:
        assert not name.startswith((".venv", ".build", ".ansible", ".git", "tests/unit", "tests/integration", ".ci"))
        assert "__pycache__" not in name and not name.endswith((".pyc", ".tar.gz"))


# Shipped: the content, its docs and metadata, examples, the AWX extensions, the emulator.
SHIPPED_DIRS = ("plugins/", "roles/", "meta/", "docs/", "extensions/", "examples/", "changelogs/")
NEVER_SHIPPED = (".venv", ".build/", ".ansible/", ".git/", ".ci/", ".pytest_cache/", ".hypothesis/", "tests/unit/", "tests/integration/",
                 "tests/output/", "benchmarks/", "Makefile", "pytest.ini", "requirements-dev.txt", "requirements-awx.txt",
                 "requirements-matrix.txt", "tools/demo.py", "tools/health_screenshot.py", "tools/prepare_ansible_test.py", "tools/get_pip_standin.py",
                 "locks/", "tools/lock.py", "requirements-quick.txt", "CONTRIBUTING.md")


def test_tarball_ships_every_file_of_the_content_and_only_files_of_the_work_tree(installed):
    tarball, _env = installed
    names = tarball_files(tarball)
    tree = work_tree_files()
    for wanted in ("meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "README.md",
                   "extensions/awx/credential_types/reltio_api.yml", "extensions/awx/credential_types/databricks_service_principal.yml",
                   "examples/awx/register_credential_types.yml", "examples/ee/execution-environment.yml", "examples/ee/requirements.yml",
                   "docs/README.md", "docs/docsite/links.yml", "changelogs/changelog.yaml", "changelogs/config.yaml"):
        assert wanted in names, wanted
    assert any(name.startswith("plugins/modules/") for name in names)
    assert any(name.startswith("roles/") and name.endswith("meta/argument_specs.yml") for name in names)
    missing = sorted(name for name in tree if name.startswith(SHIPPED_DIRS) and "__pycache__" not in name and name not in names)
    assert missing == []
    # Nothing but the work tree's own files (and the manifests the build writes): no venvs, caches,
    # test output, emulator state or build products, whatever lies around in the work tree.
    assert sorted(names - tree - {"MANIFEST.json", "FILES.json"}) == []
    assert sorted(name for name in names if name.startswith(NEVER_SHIPPED) or "emulator-state" in name) == []


def test_build_ignore_keeps_out_what_a_work_tree_collects(tmp_path):
    """A copy of the work tree strewn with venvs, caches, test output, emulator state and old builds."""
    tree = tmp_path / "ansible_collections" / "reltio" / "platform"
    for name in work_tree_files():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    junk = [".venv/bin/python", ".venv-awx/lib/site.py", ".venv-313/pyvenv.cfg", ".build/dist/old.tar.gz",
            ".ansible/collections/ansible_collections/awx/awx/MANIFEST.json", ".pytest_cache/v/cache/lastfailed",
            "plugins/module_utils/__pycache__/client.cpython-311.pyc", "tools/__pycache__/x.pyc", "tests/output/junit.xml",
            "emulator-state.json", "emulator-state-1234.json", "reltio-platform-0.0.9.tar.gz", ".git/HEAD",
            "tests/integration/results-1.jsonl", ".hypothesis/examples/0a1b/2c3d", ".hypothesis/.gitignore"]
    for name in junk:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("junk")
    subprocess.run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path / "dist"), str(tree)],
                   check=True, capture_output=True)
    (tarball,) = (tmp_path / "dist").glob("*.tar.gz")
    names = tarball_files(tarball)
    assert sorted(name for name in names if name in junk or name.startswith((".venv", ".build/", ".ansible/", ".pytest_cache/", ".git/", ".hypothesis/"))) == []
    assert "plugins/modules/reltio_databricks_connection.py" in names


def test_ansible_doc_documents_every_option_return_value_and_example(installed):
    _tarball, env = installed
    completed = subprocess.run([tool("ansible-doc"), "--json", MODULE], check=True, capture_output=True, text=True, env=env)
    doc = json.loads(completed.stdout)[MODULE]
    options = doc["doc"]["options"]
    assert set(options) == ALL_OPTIONS
    for name, option in options.items():
        assert option["description"], name
    # Needed from the task or the environment: every such option reads alike, none is "required" to Ansible.
    for name in ("platform_url", "tenant_id", "workspace_url", "warehouse_id", "client_id", "client_secret"):
        assert "required" not in options[name] and "Required: set it here or in the E(" in " ".join(
            options[name]["description"]), name
    assert options["connection_name"]["required"] is True
    assert "RELTIO_PLATFORM_URL" in " ".join(options["platform_url"]["description"])
    assert "DATABRICKS_CLIENT_SECRET" in " ".join(options["client_secret"]["description"])
    assert options["update_secret"]["choices"] == ["on_create", "always"]
    assert {"connection", "created", "secret_updated", "test", "msg", "preflight", "not_compared"} <= set(doc["return"])
    assert "reltio.platform.reltio_databricks_connection:" in doc["examples"]
    assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"


def test_installed_collection_runs(installed, ansible, emulator, tenant):
    _tarball, env = installed
    run = ansible.run(
        ["ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", MODULE,
         "-a", "connection_name=from-tarball workspace_url=https://x.cloud.databricks.com warehouse_id=w client_id=c client_secret=tarball-secret"],
        env={"ANSIBLE_COLLECTIONS_PATH": env["ANSIBLE_COLLECTIONS_PATH"], "RELTIO_PLATFORM_URL": emulator.url,
             "RELTIO_TENANT_ID": tenant, "RELTIO_ACCESS_TOKEN": RELTIO_TOKEN})
    assert run.rc == 0, run.output
    assert "localhost | CHANGED" in run.stdout
    assert "from-tarball" in emulator.connections(tenant)


IMPORT_EVERYTHING = r"""
import importlib, pathlib, socket, sys, threading
# The libraries first (urllib3 opens a socket at import, to learn whether IPv6 works): what counts is the collection.
import requests, ansible.plugins.action, ansible.module_utils.basic

attempts = []

def refused(*args, **kwargs):
    # Recorded too, in case the code swallows the error.
    attempts.append(args)
    raise AssertionError("a socket or a thread at import")

socket.socket.__init__ = refused
socket.create_connection = refused
threading.Thread.start = refused
root = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(root.parents[2]))
names = sorted("ansible_collections.reltio.platform." + ".".join(path.relative_to(root).with_suffix("").parts)
               for path in (root / "plugins").rglob("*.py") if path.name != "__init__.py")
for name in names:
    importlib.import_module(name)
if attempts:
    sys.exit("a socket or a thread at import: %r" % (attempts,))
print("\n".join(names))
"""


def test_importing_any_plugin_opens_no_socket_and_starts_no_thread(installed, built_collection):
    """Importing a plugin or module_utils file of the installed collection defines things and does nothing else."""
    root = built_collection.collections_path / "ansible_collections" / "reltio" / "platform"
    completed = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING, str(root)], capture_output=True, text=True,
                               env=installed[1], timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    imported = completed.stdout.split()
    for expected in ("plugins.action.reltio_databricks_connection", "plugins.action.reltio_token",
                     "plugins.module_utils.transport", "plugins.plugin_utils.reltio_action",
                     "plugins.modules.reltio_databricks_connection"):
        assert "ansible_collections.reltio.platform." + expected in imported
    assert len(imported) == len(list((root / "plugins").rglob("*.py"))) - len(list((root / "plugins").rglob("__init__.py")))


def test_ansible_of_the_locked_venv_prints_no_python_warning():
    """The venvs' locks take no release that makes every ansible command warn (cryptography 51's DSA deprecation,
    held back in locks/holds.txt): make demo, the README's commands and the tests' output start clean."""
    for command in ("ansible", "ansible-playbook"):
        done = subprocess.run([tool(command), "--version"], capture_output=True, text=True, check=True)
        assert done.stderr == "", done.stderr
