# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users get it: built with ansible-galaxy, installed, documented by ansible-doc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import pytest

from reltio_world import RELTIO_TOKEN, ROOT

MODULE = "reltio.platform.reltio_databricks_connection"
ALL_OPTIONS = {
    "platform_url", "tenant_id", "access_token", "reltio_client_id", "reltio_client_secret", "auth_url",
    "validate_certs", "ca_path", "timeout", "retries", "connection_name", "workspace_url", "warehouse_id",
    "client_id", "client_secret", "update_secret", "test_connection", "execution",
}


def tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the tarball from the work tree and install it into an empty collections path."""
    base = tmp_path_factory.mktemp("galaxy")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(base / "collections"))
    subprocess.run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(base / "dist"), str(ROOT)],
                   check=True, capture_output=True, env=env)
    tarball = base / "dist" / "reltio-platform-0.1.0.tar.gz"
    subprocess.run([tool("ansible-galaxy"), "collection", "install", "-p", str(base / "collections"), str(tarball)],
                   check=True, capture_output=True, env=env)
    return tarball, env


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


def test_ansible_doc_documents_every_option_return_value_and_example(installed):
    _tarball, env = installed
    completed = subprocess.run([tool("ansible-doc"), "--json", MODULE], check=True, capture_output=True, text=True, env=env)
    doc = json.loads(completed.stdout)[MODULE]
    options = doc["doc"]["options"]
    assert set(options) == ALL_OPTIONS
    for name, option in options.items():
        assert option["description"], name
    assert options["platform_url"]["required"] is True
    assert "RELTIO_PLATFORM_URL" in " ".join(options["platform_url"]["description"])
    assert "DATABRICKS_CLIENT_SECRET" in " ".join(options["client_secret"]["description"])
    assert options["update_secret"]["choices"] == ["on_create", "always"]
    assert {"connection", "created", "secret_updated", "test", "msg"} <= set(doc["return"])
    assert "reltio.platform.reltio_databricks_connection:" in doc["examples"]
    assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"


def test_installed_collection_runs(installed, ansible, emulator, tenant):
    _tarball, env = installed
    run = ansible.run(
        ["ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", MODULE,
         "-a", "connection_name=from-tarball workspace_url=https://x.cloud.databricks.com warehouse_id=w client_id=c client_secret=s"],
        env={"ANSIBLE_COLLECTIONS_PATH": env["ANSIBLE_COLLECTIONS_PATH"], "RELTIO_PLATFORM_URL": emulator.url,
             "RELTIO_TENANT_ID": tenant, "RELTIO_ACCESS_TOKEN": RELTIO_TOKEN})
    assert run.rc == 0, run.output
    assert "localhost | CHANGED" in run.stdout
    assert "from-tarball" in emulator.connections(tenant)
