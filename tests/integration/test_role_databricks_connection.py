# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role reltio.platform.databricks_connection, with its secrets in files encrypted by ansible-vault here.

Every run goes through the ``ansible`` fixture, which fails a test whose output holds a secret; the vault
passwords and the tokens the emulator issues are added to what it looks for.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil

import pytest
import yaml

from reltio_world import (
    DATABRICKS_CLIENT_ID,
    DATABRICKS_CLIENT_SECRET,
    RELTIO_CLIENT_ID,
    RELTIO_CLIENT_SECRET,
    RELTIO_TOKEN,
    ROOT,
    WAREHOUSE_ID,
    WORKSPACE_URL,
)

ROLE = "reltio.platform.databricks_connection"
EXAMPLE = ROOT / "examples" / "multi_tenant"
TOKEN_FILE = "issued-tokens.txt"
ONCE = "the role's checks run before any Reltio task, so the execution path does not matter: run once"

# The role variables as a play gives them: secrets only as references to vaulted variables.
VAULT_REFERENCES = {
    "databricks_connection_access_token": "{{ vault_reltio_access_token }}",
    "databricks_connection_reltio_client_id": "{{ vault_reltio_client_id }}",
    "databricks_connection_reltio_client_secret": "{{ vault_reltio_client_secret }}",
    "databricks_connection_client_secret": "{{ vault_databricks_client_secret }}",
}


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def password_file(ansible, name="vault-pass"):
    """A vault password file in the test's directory; the password is scanned for like any secret."""
    password = "vault-pw-" + secrets.token_hex(12)
    ansible.add_secret("vault password " + name, password)
    path = ansible.workdir / name
    path.write_text(password + "\n")
    path.chmod(0o600)
    return path


def encrypt(ansible, values, password, name="vault.yml", vault_id=None):
    """Write ``values`` as a YAML file and encrypt it in place with ``ansible-vault encrypt``."""
    path = ansible.workdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2))
    if vault_id:
        options = ["--vault-id", "%s@%s" % (vault_id, password), "--encrypt-vault-id", vault_id]
    else:
        options = ["--vault-password-file", str(password)]
    run = ansible.run(["ansible-vault", "encrypt"] + options + [str(path)])
    assert run.rc == 0, run.output
    header = path.read_text().splitlines()[0]
    assert header.startswith("$ANSIBLE_VAULT;") and (vault_id is None or header.endswith(";" + vault_id)), header
    return path


def role_play(role_vars, vars_files=("vault.yml",), keep_token=False, hosts="localhost"):
    """One play applying the role, then showing the registered result's message (which holds no secret)."""
    tasks = [{"name": "show the result", "ansible.builtin.debug": {"msg": "{{ databricks_connection_result.msg }}"}}]
    if keep_token:
        # The token the role fetched, kept (no_log) so that the leak scan looks for it too.
        tasks.append({"name": "keep the token for the leak scan", "no_log": True, "ansible.builtin.copy": {
            "content": "{{ databricks_connection__token.access_token }}", "dest": TOKEN_FILE, "mode": "0600"}})
    play = {"name": "role", "hosts": hosts, "gather_facts": False, "vars_files": list(vars_files),
            "vars": role_vars, "roles": [ROLE], "tasks": tasks}
    return json.dumps([play], indent=2)


def tenant_vars(ansible, tenant, **extra):
    """Every role variable for one tenant; secrets by reference to the vault file."""
    role_vars = {
        "databricks_connection_platform_url": ansible.emulator.url,
        "databricks_connection_auth_url": ansible.emulator.token_url,
        "databricks_connection_tenant_id": tenant,
        "databricks_connection_name": "databricks-connection-01",
        "databricks_connection_workspace_url": WORKSPACE_URL,
        "databricks_connection_warehouse_id": WAREHOUSE_ID,
        "databricks_connection_client_id": DATABRICKS_CLIENT_ID,
    }
    role_vars.update(extra)
    return role_vars


def scan_issued_tokens(ansible):
    path = ansible.workdir / TOKEN_FILE
    assert path.exists() and path.read_text(), "the play kept no token"
    ansible.add_secret("issued access token", path.read_text())


def message(run, host="localhost"):
    """The message the role's "show the result" task printed."""
    return run.task(action="debug", host=host)["msg"]


def test_creates_from_vaulted_secrets_then_reports_ok(ansible, emulator, tenant):
    password = password_file(ansible)
    encrypt(ansible, {"vault_reltio_access_token": RELTIO_TOKEN, "vault_databricks_client_secret": DATABRICKS_CLIENT_SECRET}, password)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])
    text = role_play(role_vars)

    first = ansible.playbook(text, "--vault-password-file", str(password))
    assert first.rc == 0, first.output
    assert first.recap()["changed"] == 1
    assert message(first) == "Connection 'databricks-connection-01' created in tenant '%s'." % tenant
    assert "censored" in first.task(action="reltio_databricks_connection")
    stored = emulator.connections(tenant)["databricks-connection-01"]
    assert stored["clientSecretSha256"] == sha256(DATABRICKS_CLIENT_SECRET)
    assert (stored["workspaceUrl"], stored["clientId"]) == (WORKSPACE_URL, DATABRICKS_CLIENT_ID)
    # Given an access token, the role calls the connection module directly: no token is fetched.
    assert emulator.requests("token") == []

    second = ansible.playbook(text, "--vault-password-file", str(password))
    assert second.rc == 0, second.output
    assert second.recap()["changed"] == 0
    assert "already exists" in message(second)
    assert [entry["status"] for entry in emulator.requests("create")] == [200, 400]
    assert list(emulator.connections(tenant)) == ["databricks-connection-01"]


def test_client_credentials_and_vault_id_at_vvvv_show_no_secret(ansible, emulator, tenant):
    password = password_file(ansible)
    encrypt(ansible, {"vault_reltio_client_id": RELTIO_CLIENT_ID, "vault_reltio_client_secret": RELTIO_CLIENT_SECRET,
                      "vault_databricks_client_secret": DATABRICKS_CLIENT_SECRET}, password, vault_id="prod")
    role_vars = tenant_vars(ansible, tenant, databricks_connection_test=True, databricks_connection_update_secret="always")
    role_vars.update((name, VAULT_REFERENCES[name]) for name in (
        "databricks_connection_reltio_client_id", "databricks_connection_reltio_client_secret", "databricks_connection_client_secret"))

    run = ansible.playbook(role_play(role_vars, keep_token=True), "-vvvv", "--diff", "--vault-id", "prod@%s" % password)
    scan_issued_tokens(ansible)
    assert run.rc == 0, run.output
    assert "task path:" in run.output  # -vvvv was in effect
    assert "Connection test passed." in message(run)
    assert emulator.connections(tenant)["databricks-connection-01"]["status"] == "ACTIVE"
    # One token for the host, fetched by reltio_token and handed to the connection task.
    assert len(emulator.requests("token")) == 1
    assert [entry["status"] for entry in emulator.requests("create")] == [200]
    for action in ("reltio_token", "reltio_databricks_connection"):
        assert "censored" in run.task(action=action)
    # The ``ansible`` fixture fails the test if a secret, the issued token or the vault password was printed.


def test_failing_module_shows_its_own_message(ansible, emulator, tenant):
    """Under no_log, a failure still says what went wrong: the module's message, and nothing secret."""
    password = password_file(ansible)
    encrypt(ansible, {"vault_reltio_client_id": RELTIO_CLIENT_ID, "vault_reltio_client_secret": RELTIO_CLIENT_SECRET,
                      "vault_databricks_client_secret": DATABRICKS_CLIENT_SECRET}, password)
    wrong_secret = "wrong-reltio-secret-" + secrets.token_hex(8)
    ansible.add_secret("wrong Reltio client secret", wrong_secret)
    # Shared values as group variables, what differs as host variables (which outrank group ones, not play ones).
    shared = tenant_vars(ansible, "unused")
    del shared["databricks_connection_tenant_id"]
    shared.update((name, VAULT_REFERENCES[name]) for name in (
        "databricks_connection_reltio_client_id", "databricks_connection_reltio_client_secret", "databricks_connection_client_secret"))
    inventory = ansible.workdir / "tenants.yml"
    inventory.write_text(json.dumps({"reltio_tenants": {"vars": shared, "hosts": {
        "unreachable-workspace": {"databricks_connection_tenant_id": tenant + "A", "databricks_connection_test": True,
                                  "databricks_connection_workspace_url": "https://adb-1234567890123456.7.invalid"},
        "refused-credentials": {"databricks_connection_tenant_id": tenant + "B", "databricks_connection_reltio_client_secret": wrong_secret},
    }}}))
    playbook = ansible.workdir / "failing.yml"
    playbook.write_text(role_play({}, hosts="reltio_tenants"))

    run = ansible.run(["ansible-playbook", "-i", str(inventory), "-c", "local", "-vvvv", "--vault-password-file", str(password), str(playbook)])
    assert run.rc != 0
    expected = {
        "unreachable-workspace": ("reltio_databricks_connection", "Create the Databricks connection failed: Connection "
                                  "'databricks-connection-01' created in tenant '%sA'. The connection test failed: " % tenant),
        "refused-credentials": ("reltio_token", "Fetch one Reltio access token for this host with the Reltio client credentials "
                                "failed: Reltio refused the client credentials: the token endpoint %s answered HTTP 401" % emulator.token_url),
    }
    for host, (action, text) in expected.items():
        hidden = [entry for entry in run.results if entry["host"] == host and entry["action"].endswith(action)]
        assert [entry["status"] for entry in hidden] == ["failed"]
        assert "censored" in hidden[0]["result"] and "msg" not in hidden[0]["result"]
        shown = run.task(action="fail", host=host)
        assert shown["msg"].startswith(text), shown["msg"]
        assert run.recap(host)["failed"] == 1 and run.recap(host)["rescued"] == 1
    assert list(emulator.connections(tenant + "A")) == ["databricks-connection-01"]
    assert emulator.connections(tenant + "B") == {}


def test_vault_password_file_from_environment_and_module_fallbacks(ansible, emulator, tenant):
    """ANSIBLE_VAULT_PASSWORD_FILE, an encrypt_string value, and the rest from environment variables as AWX injects them."""
    password = password_file(ansible)
    # As the README shows: the secret on standard input, so that it is in no command line.
    plain = ansible.workdir / "secret.txt"
    plain.write_text(DATABRICKS_CLIENT_SECRET)
    encrypted = ansible.run(["bash", "-c", 'ansible-vault encrypt_string --vault-password-file "$0" --stdin-name vault_databricks_client_secret < "$1"',
                             str(password), str(plain)])
    plain.unlink()
    assert encrypted.rc == 0 and "vault_databricks_client_secret: !vault |" in encrypted.stdout, encrypted.output
    (ansible.workdir / "inline.yml").write_text(encrypted.stdout)
    env = ansible.reltio_env(tenant)
    env.update(ansible.databricks_env())
    env_secret = "env-secret-not-used-" + secrets.token_hex(8)
    ansible.add_secret("Databricks client secret in the environment", env_secret)
    env.update(DATABRICKS_CLIENT_SECRET=env_secret, ANSIBLE_VAULT_PASSWORD_FILE=str(password))
    role_vars = {"databricks_connection_name": "from-environment",
                 "databricks_connection_client_secret": VAULT_REFERENCES["databricks_connection_client_secret"]}

    run = ansible.playbook(role_play(role_vars, vars_files=["inline.yml"]), env=env)
    assert run.rc == 0, run.output
    assert message(run) == "Connection 'from-environment' created in tenant '%s'." % tenant
    stored = emulator.connections(tenant)["from-environment"]
    # The role variable, decrypted, wins over DATABRICKS_CLIENT_SECRET; the unset ones come from the environment.
    assert stored["clientSecretSha256"] == sha256(DATABRICKS_CLIENT_SECRET)
    assert (stored["workspaceUrl"], stored["warehouseId"], stored["clientId"]) == (WORKSPACE_URL, WAREHOUSE_ID, DATABRICKS_CLIENT_ID)
    # RELTIO_ACCESS_TOKEN counts as the access token: the module gets it, no token is fetched.
    assert emulator.requests("token") == []


def test_three_tenants_of_the_example_inventory(ansible, emulator):
    """examples/multi_tenant as shipped, with its vault files created per environment and encrypted with vault ids."""
    example = ansible.workdir / "multi_tenant"
    shutil.copytree(EXAMPLE, example)
    passwords = {}
    for environment in ("prod", "test"):
        keys = yaml.safe_load((example / "group_vars" / ("reltio_" + environment) / "vault.yml.example").read_text())
        values = {"vault_reltio_client_id": RELTIO_CLIENT_ID, "vault_reltio_client_secret": RELTIO_CLIENT_SECRET,
                  "vault_databricks_client_secret": DATABRICKS_CLIENT_SECRET}
        assert sorted(keys) == sorted(values)
        passwords[environment] = password_file(ansible, "vault-pass-" + environment)
        encrypt(ansible, values, passwords[environment], "multi_tenant/group_vars/reltio_%s/vault.yml" % environment, vault_id=environment)
    # The emulator stands in for both Reltio environments.
    (ansible.workdir / "emulator.yml").write_text(json.dumps({"databricks_connection_platform_url": emulator.url,
                                                              "databricks_connection_auth_url": emulator.token_url}))
    tenants = {}
    for path in sorted((example / "host_vars").glob("*.yml")):
        host_vars = yaml.safe_load(path.read_text())
        tenants[path.stem] = (host_vars["databricks_connection_tenant_id"], host_vars["databricks_connection_name"])
    assert len(tenants) == 3

    run = ansible.run(["ansible-playbook", "-i", str(example / "inventory.yml"), str(example / "connect_tenants.yml"),
                       "--vault-id", "prod@%s" % passwords["prod"], "--vault-id", "test@%s" % passwords["test"],
                       "-e", "@%s" % (ansible.workdir / "emulator.yml")])
    assert run.rc == 0, run.output
    for host, (tenant_id, name) in tenants.items():
        assert run.recap(host)["changed"] == 1
        assert message(run, host) == "Connection '%s' created in tenant '%s'. Connection test passed." % (name, tenant_id)
        assert emulator.connections(tenant_id)[name]["status"] == "ACTIVE"
    assert len(emulator.requests("token")) == 3  # one per host
    assert len(emulator.requests("create")) == 3


def test_without_the_vault_password_nothing_is_sent(ansible, emulator, tenant, execution):
    if execution == "target":
        pytest.skip(ONCE)
    password = password_file(ansible)
    encrypt(ansible, {"vault_reltio_access_token": RELTIO_TOKEN, "vault_databricks_client_secret": DATABRICKS_CLIENT_SECRET}, password)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])

    run = ansible.playbook(role_play(role_vars))
    assert run.rc != 0
    assert "Attempting to decrypt but no vault secrets found" in run.output
    assert emulator.requests() == []
    assert emulator.connections(tenant) == {}


def test_blank_secret_and_missing_values_are_named(ansible, emulator, tenant, execution):
    if execution == "target":
        pytest.skip(ONCE)
    password = password_file(ansible)
    encrypt(ansible, {"vault_databricks_client_secret": "   "}, password)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])
    del role_vars["databricks_connection_workspace_url"]

    run = ansible.playbook(role_play(role_vars), "--vault-password-file", str(password))
    assert run.rc != 0
    msg = run.task(action="fail")["msg"]
    # Every problem in one message, each naming its variable.
    assert "databricks_connection_client_secret is set but empty" in msg
    assert "databricks_connection_workspace_url is not set (nor is the environment variable DATABRICKS_HOST)" in msg
    assert "no Reltio credentials: set databricks_connection_access_token, or both databricks_connection_reltio_client_id" in msg
    assert "Keep secrets in Ansible Vault" in msg
    assert emulator.requests() == []


def test_wrong_choice_is_named_by_the_argument_spec(ansible, emulator, tenant, execution):
    if execution == "target":
        pytest.skip(ONCE)
    password = password_file(ansible)
    encrypt(ansible, {"vault_reltio_access_token": RELTIO_TOKEN, "vault_databricks_client_secret": DATABRICKS_CLIENT_SECRET}, password)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_update_secret="sometimes",
                            databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])

    run = ansible.playbook(role_play(role_vars), "--vault-password-file", str(password))
    assert run.rc != 0
    msg = run.task(action="validate_argument_spec")["msg"]
    assert "databricks_connection_update_secret must be one of: on_create, always, got: sometimes" in msg
    assert emulator.requests() == []
