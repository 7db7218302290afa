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

import reltio_world as world

ROLE = "reltio.platform.databricks_connection"
EXAMPLE = world.ROOT / "examples" / "multi_tenant"
ONCE = "the role's argument spec runs before any module, so the execution path does not matter: run once"
# The role's check task (ansible.builtin.fail, on the controller) refuses the variables: the module never runs.
CHECKED_ONCE = "the role's check refuses the variables before the module runs, so the execution path does not matter: run once"
MODULE_TASK = "Create the Databricks connection"
CHECK_TASK = "Check the role variables"
OTHER_SECRET = "dbx-other-secret-Wc5Ry8Nq3Jz1"

# What the example's vault files hold (encrypted with a vault id): the Databricks secret and Reltio's client credentials.
VAULT_WITH_CLIENT_CREDENTIALS = {"vault_reltio_client_id": world.RELTIO_CLIENT_ID, "vault_reltio_client_secret": world.RELTIO_CLIENT_SECRET,
                                 "vault_databricks_client_secret": world.DATABRICKS_CLIENT_SECRET}
# What the other tests' vault file holds: each test references what it uses (a Reltio token or Reltio's client
# credentials, the Databricks secret, a secret Databricks refuses, blank ones). One content, so one ansible-vault run a
# pytest worker (see vaulted).
VAULT = dict(VAULT_WITH_CLIENT_CREDENTIALS, vault_reltio_access_token=world.RELTIO_TOKEN, vault_other_secret=OTHER_SECRET,
             vault_blank_databricks_client_secret="   ", vault_empty_reltio_access_token="")

# The role variables as a play gives them: secrets only as references to vaulted variables.
VAULT_REFERENCES = {
    "databricks_connection_access_token": "{{ vault_reltio_access_token }}",
    "databricks_connection_reltio_client_id": "{{ vault_reltio_client_id }}",
    "databricks_connection_reltio_client_secret": "{{ vault_reltio_client_secret }}",
    "databricks_connection_client_secret": "{{ vault_databricks_client_secret }}",
}


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def password_file(ansible, name="vault-pass", password=None):
    """A vault password file in the test's directory (a new password unless given); the password is scanned for like
    any secret."""
    password = password or "vault-pw-" + secrets.token_hex(12)
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


# (the values as JSON, the vault id) -> (the password, the encrypted file's text): each is encrypted once a pytest worker
# (an ansible-vault run), and the next test that wants it gets a copy and the password (scanned for in its runs too);
# "encrypt_string" -> (the password, what ansible-vault encrypt_string printed), the same way.
ENCRYPTED = {}


def vaulted(ansible, values, name="vault.yml", vault_id=None, password_name="vault-pass"):
    """``values`` encrypted in ``name`` (under the test's directory); the vault password file."""
    key = (json.dumps(values, sort_keys=True), vault_id)
    if key not in ENCRYPTED:
        password = password_file(ansible, password_name)
        path = encrypt(ansible, values, password, name, vault_id=vault_id)
        ENCRYPTED[key] = (password.read_text().strip(), path.read_text())
        return password
    password, text = ENCRYPTED[key]
    path = ansible.workdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return password_file(ansible, password_name, password)


def role_play(role_vars, vars_files=("vault.yml",), hosts="localhost"):
    """One play applying the role, then showing the registered result's message (which holds no secret).

    The tokens the emulator issues (the module fetches one with client credentials) are scanned for by the
    ``ansible`` fixture after every run.
    """
    tasks = [{"name": "show the result", "ansible.builtin.debug": {"msg": "{{ databricks_connection_result.msg }}"}}]
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
        "databricks_connection_workspace_url": world.WORKSPACE_URL,
        "databricks_connection_warehouse_id": world.WAREHOUSE_ID,
        "databricks_connection_client_id": world.DATABRICKS_CLIENT_ID,
    }
    role_vars.update(extra)
    return role_vars


def message(run, host="localhost"):
    """The message the role's "show the result" task printed."""
    return run.task(action="debug", host=host)["msg"]


def role_plays(*plays):
    """One playbook of the plays of ``role_play`` texts, in order: a role applied and applied again, or with other
    variables, in one ansible-playbook run. A play a host fails in ends the run: put such a play last."""
    return json.dumps([play for text in plays for play in json.loads(text)], indent=2)


def results_of(run, action):
    """Every recorded result of ``action`` on localhost, in the order the plays ran."""
    return [entry["result"] for entry in run.results if entry["action"].endswith(action) and entry["host"] == "localhost"]


def module_failures(run):
    """Whether each run of the connection module on localhost failed, in the order the plays ran."""
    return [entry["status"] == "failed" for entry in run.results
            if entry["action"].endswith("reltio_databricks_connection") and entry["host"] == "localhost"]


@pytest.mark.smoke
def test_creates_from_vaulted_secrets_then_reports_ok(ansible, emulator, tenant):
    password = vaulted(ansible, VAULT)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])
    text = role_plays(role_play(role_vars), role_play(role_vars))

    # The role applied, then applied again by a second play (the module runs again, on either path).
    run = ansible.playbook(text, "--vault-password-file", str(password))
    assert run.rc == 0, run.output
    assert run.recap()["changed"] == 1
    first, second = results_of(run, "debug")
    assert first["msg"] == "Connection 'databricks-connection-01' created in tenant '%s'." % tenant
    # The module's task is not no_log: its result is shown, its secret options masked by the module.
    created, again = results_of(run, "reltio_databricks_connection")
    assert created["created"] is True and created["changed"] is True
    stored = emulator.connections(tenant)["databricks-connection-01"]
    assert stored["clientSecretSha256"] == sha256(world.DATABRICKS_CLIENT_SECRET)
    assert (stored["workspaceUrl"], stored["clientId"]) == (world.WORKSPACE_URL, world.DATABRICKS_CLIENT_ID)
    # Given an access token, the role calls the connection module directly: no token is fetched.
    assert emulator.requests("token") == []

    assert again["changed"] is False
    assert "already exists" in second["msg"]
    assert [entry["status"] for entry in emulator.requests("create")] == [200, 400]
    assert list(emulator.connections(tenant)) == ["databricks-connection-01"]


def test_client_credentials_and_vault_id_at_vvvv_show_no_secret(ansible, emulator, tenant):
    """The role applied, then applied again by a second play of the same run: with update_secret: always, the second
    stores the credentials again, and says so."""
    password = vaulted(ansible, VAULT_WITH_CLIENT_CREDENTIALS, vault_id="prod")
    role_vars = tenant_vars(ansible, tenant, databricks_connection_test=True, databricks_connection_update_secret="always")
    role_vars.update((name, VAULT_REFERENCES[name]) for name in (
        "databricks_connection_reltio_client_id", "databricks_connection_reltio_client_secret", "databricks_connection_client_secret"))

    run = ansible.playbook(role_plays(role_play(role_vars), role_play(role_vars)), "-vvvv", "--diff", "--vault-id", "prod@%s" % password)
    assert run.rc == 0, run.output
    assert "task path:" in run.output  # -vvvv was in effect
    first, second = [result["msg"] for result in results_of(run, "debug")]
    created, again = results_of(run, "reltio_databricks_connection")
    assert "Connection test passed." in first
    assert emulator.connections(tenant)["databricks-connection-01"]["status"] == "ACTIVE"
    # One token for the host a play, fetched by the module with the client credentials (the ``ansible`` fixture scans
    # for it); the first play creates, the second finds the connection and stores the credentials again.
    assert [entry["endpoint"] for entry in emulator.requests() if entry["endpoint"] in ("token", "create", "credentials")] == [
        "token", "create", "token", "create", "credentials"]
    assert [entry["status"] for entry in emulator.requests("create")] == [200, 400]
    assert created["changed"] is True and created["secret_updated"] is False

    # update_secret: always stores the credentials again on every run of the role, and says so.
    assert again["changed"] is True and "stored again" in second
    assert run.recap()["changed"] == 2
    assert len(emulator.requests("credentials")) == 1
    # The ``ansible`` fixture fails the test if a secret, an issued token or the vault password was printed.


def test_failing_module_shows_its_own_message(ansible, emulator, tenant):
    """A failure says what went wrong: the module's own message, and nothing secret."""
    password = vaulted(ansible, VAULT)
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
        "unreachable-workspace": "Connection 'databricks-connection-01' created in tenant '%sA'. The connection test failed: " % tenant,
        "refused-credentials": "Reltio refused the client credentials: the token endpoint %s answered HTTP 401" % emulator.token_url,
    }
    for host, text in expected.items():
        shown = run.task(action="reltio_databricks_connection", host=host)
        assert shown["msg"].startswith(text), shown
        assert [entry["task"] for entry in run.results if entry["host"] == host and entry["status"] == "failed"] == [
            "%s : %s" % (ROLE, MODULE_TASK)]
        assert run.recap(host)["failed"] == 1 and run.recap(host)["rescued"] == 0
    assert list(emulator.connections(tenant + "A")) == ["databricks-connection-01"]
    assert emulator.connections(tenant + "B") == {}


@pytest.fixture
def workspace(emulator, workspace_ca):
    """The emulator's Databricks workspace (https, private CA) with the service principal allowed on the warehouse."""
    emulator.databricks(service_principals=[{"client_id": world.DATABRICKS_CLIENT_ID, "client_secret": world.DATABRICKS_CLIENT_SECRET}],
                        warehouses=[{"id": world.WAREHOUSE_ID, "name": "Reltio Zero-Copy", "state": "STOPPED",
                                     "grants": [world.DATABRICKS_CLIENT_ID]}])
    return emulator.workspace_url


def preflight_vars(ansible, tenant, workspace, workspace_ca, **extra):
    role_vars = tenant_vars(ansible, tenant, databricks_connection_workspace_url=workspace,
                            databricks_connection_ca_path=workspace_ca.ca_path,
                            databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])
    role_vars.update(extra)
    return role_vars


def test_preflight_checks_the_databricks_side_first_is_off_by_default_and_runs_in_check_mode(
        ansible, emulator, tenant, workspace, workspace_ca):
    """Four plays of one run, two tenants. Tenant ``...checked``: the role with preflight in check mode (as --check runs
    it), then without preflight. Tenant ``...refused``: the role with the service principal's secret, then (last, as
    it fails) with another one."""
    ansible.add_secret("another Databricks secret", OTHER_SECRET)
    password = vaulted(ansible, VAULT)
    checked_tenant, refused_tenant = tenant + "checked", tenant + "refused"
    checked = json.loads(role_play(preflight_vars(ansible, checked_tenant, workspace, workspace_ca, databricks_connection_preflight=True)))
    checked[0]["check_mode"] = True
    role_vars = preflight_vars(ansible, refused_tenant, workspace, workspace_ca, databricks_connection_preflight=True)
    refused_vars = dict(role_vars, databricks_connection_client_secret="{{ vault_other_secret }}")

    run = ansible.playbook(role_plays(json.dumps(checked), role_play(preflight_vars(ansible, checked_tenant, workspace, workspace_ca)),
                                      role_play(role_vars), role_play(refused_vars)), "--vault-password-file", str(password))
    assert run.rc != 0
    assert module_failures(run) == [False, False, False, True], run.output
    checked_message, plain_message, passed_message = [result["msg"] for result in results_of(run, "debug")]
    checked_result, plain_result, passed, refused = results_of(run, "reltio_databricks_connection")
    # Check mode predicts a change, as the module does, and writes nothing; the preflight is its one real check.
    assert checked_result["changed"] is True and "Preflight passed" in checked_message
    # Off by default: no preflight, the create only.
    assert plain_result["changed"] is True and "Preflight" not in plain_message
    assert run.recap() == dict(run.recap(), changed=3, failed=1)

    assert passed["created"] is True
    assert "Preflight passed" in passed_message and "(STOPPED)" in passed_message
    assert refused["msg"].startswith("Preflight: ") and "refused the service principal" in refused["msg"], refused["msg"]
    # Check mode's token and warehouse; none without preflight; then the preflight's token and warehouse, and the
    # refused one's token only. The one write to Reltio of each tenant is its plain play's.
    assert [(entry["endpoint"], entry["tenant"]) for entry in emulator.requests()] == [
        ("dbx_token", None), ("warehouse", None), ("create", checked_tenant),
        ("dbx_token", None), ("warehouse", None), ("create", refused_tenant), ("dbx_token", None)]


def test_vault_password_file_from_environment_and_the_one_rule_of_the_role_inputs(ansible, emulator, tenant):
    """ANSIBLE_VAULT_PASSWORD_FILE, an encrypt_string value, and issue 26's rule: Reltio's URLs from RELTIO_* when
    their variables are undefined, Reltio's credentials as one set (the role's client credentials, never a token of the
    environment beside them), the tenant and the Databricks side from role variables only, whatever RELTIO_TENANT_ID
    and DATABRICKS_* say; from_environment names what came from the environment."""
    if "encrypt_string" not in ENCRYPTED:
        password = password_file(ansible)
        # As the README shows: the secret on standard input, so that it is in no command line.
        plain = ansible.workdir / "secret.txt"
        plain.write_text(world.DATABRICKS_CLIENT_SECRET)
        encrypted = ansible.run(["bash", "-c", 'ansible-vault encrypt_string --vault-password-file "$0" --stdin-name vault_databricks_client_secret < "$1"',
                                 str(password), str(plain)])
        plain.unlink()
        assert encrypted.rc == 0 and "vault_databricks_client_secret: !vault |" in encrypted.stdout, encrypted.output
        # Encrypted once a pytest worker, as vaulted does: the other execution path gets the same text and password.
        ENCRYPTED["encrypt_string"] = (password.read_text().strip(), encrypted.stdout)
    else:
        password = password_file(ansible, password=ENCRYPTED["encrypt_string"][0])
    (ansible.workdir / "inline.yml").write_text(ENCRYPTED["encrypt_string"][1])
    env = ansible.reltio_env("another-tenant", auth="client credentials")
    env.update(ansible.databricks_env())
    env_secret = "env-secret-not-used-" + secrets.token_hex(8)
    env_token = "env-token-not-used-" + secrets.token_hex(8)
    ansible.add_secret("Databricks client secret in the environment", env_secret)
    ansible.add_secret("Reltio access token in the environment", env_token)
    env.update(DATABRICKS_CLIENT_SECRET=env_secret, RELTIO_ACCESS_TOKEN=env_token, ANSIBLE_VAULT_PASSWORD_FILE=str(password),
               DATABRICKS_HOST="https://adb-9999999999999999.9.azuredatabricks.net", DATABRICKS_WAREHOUSE_ID="ffffffffffffffff")
    role_vars = {"databricks_connection_name": "from-environment",
                 "databricks_connection_tenant_id": tenant,
                 "databricks_connection_workspace_url": world.WORKSPACE_URL,
                 "databricks_connection_warehouse_id": world.WAREHOUSE_ID,
                 "databricks_connection_client_id": world.DATABRICKS_CLIENT_ID,
                 "databricks_connection_reltio_client_id": world.RELTIO_CLIENT_ID,
                 "databricks_connection_reltio_client_secret": "{{ vault_databricks_client_secret }}",
                 "databricks_connection_client_secret": VAULT_REFERENCES["databricks_connection_client_secret"]}
    accepted_vars = dict(role_vars, databricks_connection_reltio_client_secret=world.RELTIO_CLIENT_SECRET)
    # The role's right client secret, then (a second play, last as it fails) the vaulted Databricks secret as a wrong one.
    run = ansible.playbook(role_plays(role_play(accepted_vars, vars_files=["inline.yml"]), role_play(role_vars, vars_files=["inline.yml"])),
                           env=env)
    assert run.rc != 0
    accepted, failed = results_of(run, "reltio_databricks_connection")
    # Reltio refuses the role's (wrong) client secret: the RELTIO_ACCESS_TOKEN and RELTIO_CLIENT_SECRET of the
    # environment, which would work, are not used.
    assert "Reltio refused the client credentials" in failed["msg"] and failed["reason_code"] == "reltio_auth"
    # The first play's one create; the second sent none.
    assert [entry["status"] for entry in emulator.requests("create")] == [200]

    assert module_failures(run) == [False, True], run.output
    assert message(run) == "Connection 'from-environment' created in tenant '%s'." % tenant
    assert accepted["from_environment"] == ["auth_url", "execution", "platform_url"]
    stored = emulator.connections(tenant)["from-environment"]
    # The role variables, the secret decrypted, are sent, never DATABRICKS_*; the tenant is the role's.
    assert stored["clientSecretSha256"] == sha256(world.DATABRICKS_CLIENT_SECRET)
    assert (stored["workspaceUrl"], stored["warehouseId"], stored["clientId"]) == (world.WORKSPACE_URL, world.WAREHOUSE_ID, world.DATABRICKS_CLIENT_ID)
    assert emulator.connections("another-tenant") == {}
    # A token fetched with the role's client credentials, not RELTIO_ACCESS_TOKEN; then the wrong ones, refused.
    assert [entry["status"] for entry in emulator.requests("token")] == [200, 401]


def test_reltio_credentials_and_urls_from_the_environment_as_an_awx_credential_gives_them(ansible, emulator, tenant):
    """Issue 26 point 1: with no Reltio variable, the role takes RELTIO_PLATFORM_URL and RELTIO_ACCESS_TOKEN."""
    password = vaulted(ansible, VAULT)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])
    del role_vars["databricks_connection_platform_url"], role_vars["databricks_connection_auth_url"]
    env = ansible.reltio_env(tenant)
    run = ansible.playbook(role_play(role_vars), "--vault-password-file", str(password), env=env)
    assert run.rc == 0, run.output
    result = run.task(action="reltio_databricks_connection")
    assert result["created"] is True
    assert result["from_environment"] == ["access_token", "execution", "platform_url"]
    assert list(emulator.connections(tenant)) == ["databricks-connection-01"]


def test_three_tenants_of_the_example_inventory(ansible, emulator):
    """examples/multi_tenant as shipped, with its vault files created per environment and encrypted with vault ids."""
    example = ansible.workdir / "multi_tenant"
    shutil.copytree(EXAMPLE, example)
    passwords = {}
    for environment in ("prod", "test"):
        keys = yaml.safe_load((example / "group_vars" / ("reltio_" + environment) / "vault.yml.example").read_text())
        values = VAULT_WITH_CLIENT_CREDENTIALS
        assert sorted(keys) == sorted(values)
        passwords[environment] = vaulted(ansible, values, "multi_tenant/group_vars/reltio_%s/vault.yml" % environment,
                                         vault_id=environment, password_name="vault-pass-" + environment)
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
    vaulted(ansible, VAULT)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])

    run = ansible.playbook(role_play(role_vars))
    assert run.rc != 0
    assert "Attempting to decrypt but no vault secrets found" in run.output
    assert emulator.requests() == []
    assert emulator.connections(tenant) == {}


def failure_blocks(run, host="localhost"):
    """``(failure lines, error lines)`` of a run's output: what ansible-playbook printed as a failure of ``host``."""
    failures = [line for line in run.output.splitlines() if line.startswith(("fatal: [%s]" % host, "failed: [%s]" % host))]
    errors = [line for line in run.output.splitlines() if line.startswith("[ERROR]")]
    return failures, errors


@pytest.mark.parametrize("case", ["refused arguments", "refused credentials"])
def test_a_failure_is_printed_once(ansible, emulator, tenant, case, execution):
    """One failure, one message: the role's check or the module's task fails with its own message, and no other task
    fails. A run a case: the point is all that one run printed."""
    if case == "refused arguments" and execution == "target":
        pytest.skip(CHECKED_ONCE)
    password = vaulted(ansible, VAULT)
    role_vars = tenant_vars(ansible, tenant)
    role_vars.update((name, VAULT_REFERENCES[name]) for name in (
        "databricks_connection_reltio_client_id", "databricks_connection_reltio_client_secret", "databricks_connection_client_secret"))
    if case == "refused arguments":
        role_vars["databricks_connection_warehouse_id"] = " "
        said = "databricks_connection_warehouse_id is required and must not be blank"
        failed_task = CHECK_TASK
    else:
        wrong_secret = "wrong-reltio-secret-" + secrets.token_hex(8)
        ansible.add_secret("wrong Reltio client secret", wrong_secret)
        role_vars["databricks_connection_reltio_client_secret"] = wrong_secret
        said = "Reltio refused the client credentials"
        failed_task = MODULE_TASK

    run = ansible.playbook(role_play(role_vars), "--vault-password-file", str(password))
    assert run.rc != 0
    failures, errors = failure_blocks(run)
    # One failure printed (ansible-core 2.19 and later also print its message once as an [ERROR] line).
    assert len(failures) == 1 and said in failures[0], run.output
    assert len(errors) <= 1 and all(said in line for line in errors), run.output
    assert "has been hidden" not in run.output
    assert run.output.count(said) == len(failures) + len(errors), run.output
    assert [entry["task"] for entry in run.results if entry["status"] == "failed"] == ["%s : %s" % (ROLE, failed_task)]
    assert said in run.task("%s : %s" % (ROLE, failed_task), action=None)["msg"]
    assert emulator.requests("create") == []


def test_bad_role_variables_fail_before_any_request_each_named_by_role_variable(ansible, emulator, tenant, execution):
    """A host a case, in one run, with every RELTIO_* and DATABRICKS_* variable in the environment (RELTIO_TENANT_ID an
    exported tenant, as the README's ad-hoc section leaves it); each fails before the module runs and nothing is sent.

    Issue 26 point 2: a misspelt variable is named with the closest, and the tenant is never taken from
    RELTIO_TENANT_ID. Reltio credentials half given (the set comes from role variables then), or no Databricks secret:
    named by role variable, never read from the environment. Issue 26 point 3: the role's check names every problem
    (a blank secret, missing values) by role variable, with only the remedies that work in the role (never
    DATABRICKS_CLIENT_SECRET, which the role does not read). A wrong choice is named by the argument spec."""
    if execution == "target":
        pytest.skip(CHECKED_ONCE)
    password = vaulted(ansible, VAULT)
    env = ansible.reltio_env("exported-tenant")
    env.update(ansible.databricks_env(), RELTIO_CLIENT_ID=world.RELTIO_CLIENT_ID, RELTIO_CLIENT_SECRET=world.RELTIO_CLIENT_SECRET)
    role_vars = tenant_vars(ansible, tenant, databricks_connection_access_token=VAULT_REFERENCES["databricks_connection_access_token"],
                            databricks_connection_client_secret=VAULT_REFERENCES["databricks_connection_client_secret"])
    misspelt = dict(role_vars, databricks_connection_tenantid=tenant)
    del misspelt["databricks_connection_tenant_id"]
    # Only one of the client credentials is no pair either.
    half_credentials = dict(role_vars, databricks_connection_reltio_client_id=world.RELTIO_CLIENT_ID)
    del half_credentials["databricks_connection_access_token"]
    no_databricks_secret = dict(role_vars)
    del no_databricks_secret["databricks_connection_client_secret"]
    blank = dict(role_vars, databricks_connection_client_secret="{{ vault_blank_databricks_client_secret }}",
                 databricks_connection_access_token="{{ vault_empty_reltio_access_token }}")
    del blank["databricks_connection_workspace_url"]
    wrong_choice = dict(role_vars, databricks_connection_update_secret="sometimes")
    inventory = ansible.workdir / "hosts.json"
    inventory.write_text(json.dumps({"all": {"hosts": {
        "misspelt": misspelt, "reltio-credentials": half_credentials, "databricks-client-secret": no_databricks_secret,
        "blank": blank, "wrong-choice": wrong_choice}}}))
    playbook = ansible.workdir / "refused.yml"
    playbook.write_text(role_play({}, hosts="all"))

    run = ansible.run(["ansible-playbook", "-i", str(inventory), "-c", "local", "--vault-password-file", str(password), str(playbook)],
                      env=env)
    assert run.rc != 0

    def check_message(host):
        return run.task("%s : %s" % (ROLE, CHECK_TASK), action="fail", host=host)["msg"]

    msg = check_message("misspelt")
    assert ("databricks_connection_tenantid is not a variable of reltio.platform.databricks_connection (did you mean"
            " databricks_connection_tenant_id?)") in msg, msg
    assert "databricks_connection_tenant_id is required and must not be blank: set it" in msg

    expected = {"reltio-credentials": "databricks_connection_reltio_client_secret is required with"
                                      " databricks_connection_reltio_client_id: set it.",
                "databricks-client-secret": "databricks_connection_client_secret is required and must not be blank: set it."}
    for host, ending in expected.items():
        msg = check_message(host)
        assert msg.endswith(ending), msg
        assert "RELTIO_CLIENT_SECRET" not in msg and "DATABRICKS_CLIENT_SECRET" not in msg

    msg = check_message("blank")
    # Every problem in one message, each naming its role variable.
    assert msg.startswith("reltio.platform.databricks_connection refused its variables before any request: "), msg
    assert msg.endswith("databricks_connection_client_secret is required and must not be blank: set it."), msg
    assert "databricks_connection_workspace_url is required and must not be blank: set it;" in msg
    assert ("databricks_connection_access_token is required, or databricks_connection_reltio_client_id and"
            " databricks_connection_reltio_client_secret: set them") in msg
    assert "DATABRICKS_" not in msg and "Invalid arguments" not in msg

    msg = run.task(action="validate_argument_spec", host="wrong-choice")["msg"]
    assert "databricks_connection_update_secret must be one of: on_create, always, got: sometimes" in msg

    # Each host failed once: at the argument spec or at the role's check.
    assert sorted(entry["host"] for entry in run.results if entry["status"] == "failed") == [
        "blank", "databricks-client-secret", "misspelt", "reltio-credentials", "wrong-choice"]
    assert not [entry for entry in run.results if entry["action"].endswith("reltio_databricks_connection")]
    assert emulator.requests() == []
    assert emulator.connections("exported-tenant") == {} and emulator.connections(tenant) == {}
