# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The roles' inputs (issue 26): where each comes from, unknown variables refused, failures named by role variable."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib

import pytest
import yaml

from ansible_collections.reltio.platform.plugins.filter.role_inputs import role_inputs_refusal
from ansible_collections.reltio.platform.plugins.module_utils import role_inputs

ROLES = pathlib.Path(__file__).resolve().parents[4] / "roles"
SECRET = "dbx-secret-Tq6Wn3Hs9Kd2Pv5Ya8"


def options(role):
    with open(str(ROLES / role / "meta" / "argument_specs.yml"), encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


KNOWN = set(options("databricks_connection")) | set(options("connection_health")) | set(role_inputs.OUTPUTS)


def good(**changes):
    variables = {
        "databricks_connection_platform_url": "https://test.reltio.com",
        "databricks_connection_tenant_id": "tenant01",
        "databricks_connection_access_token": "rlt-token-5Jq8xW2vN7pK4mZ1",
        "databricks_connection_name": "conn-01",
        "databricks_connection_workspace_url": "https://adb-1.7.azuredatabricks.net",
        "databricks_connection_warehouse_id": "ab1c2d3ef5g6h7i8",
        "databricks_connection_client_id": "a1b2c3d4",
        "databricks_connection_client_secret": SECRET,
        "databricks_connection_update_secret": "on_create",
        "databricks_connection_test": False,
        "databricks_connection_preflight": False,
    }
    variables.update(changes)
    return dict((name, value) for name, value in variables.items() if value is not None)


def problems(variables, role="databricks_connection", environment=None):
    return role_inputs.problems(role, variables, options(role), KNOWN, environment or {})


def test_good_variables_have_no_problem():
    assert problems(good()) == []
    assert problems(good(), role="connection_health") == []


def test_a_misspelt_variable_is_named_with_the_closest_known_one():
    """Point 2: the typo of the issue, with RELTIO_TENANT_ID exported, fails before any request."""
    found = problems(good(databricks_connection_tenant_id=None, databricks_connection_tenantid="tenant02"),
                     environment={"RELTIO_TENANT_ID": "tenant03"})
    assert found == ["databricks_connection_tenantid is not a variable of reltio.platform.databricks_connection (did you"
                     " mean databricks_connection_tenant_id?)",
                     "databricks_connection_tenant_id is required and must not be blank: set it"]
    found = problems(good(connection_health_report_dri="/tmp"), role="connection_health")
    assert found == ["connection_health_report_dri is not a variable of reltio.platform.connection_health (did you mean"
                     " connection_health_report_dir?)"]


def test_variables_of_the_other_role_outputs_and_internal_names_are_no_typo():
    assert problems(good(connection_health_report_dir="/tmp", databricks_connection_result={"changed": True},
                         databricks_connection__given=["x"], connection_health_fail_on_unhealthy=True)) == []


def test_the_tenant_and_the_databricks_side_never_come_from_the_environment():
    """Point 1: RELTIO_TENANT_ID and DATABRICKS_* do not stand in for role variables."""
    environment = {"RELTIO_TENANT_ID": "t", "DATABRICKS_HOST": "https://adb-2.7.azuredatabricks.net",
                   "DATABRICKS_WAREHOUSE_ID": "w", "DATABRICKS_CLIENT_ID": "c", "DATABRICKS_CLIENT_SECRET": SECRET}
    found = problems(good(databricks_connection_tenant_id=None, databricks_connection_workspace_url=None,
                          databricks_connection_warehouse_id=None, databricks_connection_client_id=None,
                          databricks_connection_client_secret=None), environment=environment)
    assert found == ["%s is required and must not be blank: set it" % name for name in (
        "databricks_connection_tenant_id", "databricks_connection_workspace_url", "databricks_connection_warehouse_id",
        "databricks_connection_client_id", "databricks_connection_client_secret")]


def test_reltio_credentials_and_urls_come_from_the_environment_as_one_set():
    """Point 1: RELTIO_* stand in for undefined Reltio variables, but a shell's token never joins the role's client id."""
    environment = {"RELTIO_PLATFORM_URL": "https://test.reltio.com", "RELTIO_ACCESS_TOKEN": "rlt-token-5Jq8xW2vN7pK4mZ1"}
    variables = good(databricks_connection_platform_url=None, databricks_connection_access_token=None)
    assert problems(variables, environment=environment) == []
    assert problems(variables, role="connection_health", environment=environment) == []
    assert problems(variables) == [
        "databricks_connection_platform_url is required and must not be blank: set it or the RELTIO_PLATFORM_URL"
        " environment variable",
        "databricks_connection_access_token is required, or databricks_connection_reltio_client_id and"
        " databricks_connection_reltio_client_secret: set them or the RELTIO_ACCESS_TOKEN, RELTIO_CLIENT_ID and"
        " RELTIO_CLIENT_SECRET environment variables"]
    variables["databricks_connection_reltio_client_id"] = "rlt-client-id-H3kP9sQ2"
    assert problems(variables, environment=environment) == [
        "databricks_connection_reltio_client_secret is required with databricks_connection_reltio_client_id: set it"]


def test_every_problem_names_the_role_variable_and_only_remedies_of_a_role():
    """Point 3, for every option of both roles: a failure about an input names the role variable."""
    bad = good(databricks_connection_platform_url="http://example.com", databricks_connection_tenant_id="..",
               databricks_connection_access_token="short", databricks_connection_auth_url="ftp://x",
               databricks_connection_name="\x01", databricks_connection_workspace_url="http://adb.example.com",
               databricks_connection_warehouse_id=" ", databricks_connection_client_id=" ",
               databricks_connection_client_secret="   ", databricks_connection_ca_path="/nonexistent/ca.pem",
               databricks_connection_timeout=0.0, databricks_connection_retries=99)
    for role in ("databricks_connection", "connection_health"):
        found = problems(bad, role=role)
        named = set(problem.split(" ", 1)[0] for problem in found)
        shown = set(name for name in options(role) if name.startswith("databricks_connection_")) - {
            "databricks_connection_reltio_client_id", "databricks_connection_reltio_client_secret",
            "databricks_connection_validate_certs", "databricks_connection_execution", "databricks_connection_update_secret",
            "databricks_connection_test", "databricks_connection_preflight"}
        assert named == shown, (role, found)
        text = " ".join(found)
        assert "DATABRICKS_" not in text and "RELTIO_TENANT_ID" not in text, found


def test_every_entry_of_a_lane_is_checked_and_named_by_its_index():
    """Issue 26 (a finding in connection_health): only the first entry of connection_health_connections was checked."""
    lane = good(databricks_connection_tenant_id=None, databricks_connection_name=None, connection_health_connections=[
        {"tenant_id": "tenant01", "connection_name": "conn-01"},
        {"tenant_id": "  ", "connection_name": "conn-02"},
        {"tenant_id": "tenant03", "connection_name": "conn\n03", "platform_url": "http://example.com"},
        {"connection_name": "conn-04"},
        {"tenant_id": "tenant05", "connection_name": "conn-05"}])
    found = problems(lane, role="connection_health")
    assert [problem.split(" ", 1)[0] for problem in found] == [
        "connection_health_connections[1].tenant_id", "connection_health_connections[2].platform_url",
        "connection_health_connections[2].connection_name", "connection_health_connections[3].tenant_id"], found
    assert found[0] == "connection_health_connections[1].tenant_id is required and must not be blank: set it"
    # A problem of the settings the entries share is said once, by the host's variable.
    found = problems(dict(lane, databricks_connection_auth_url="ftp://x"), role="connection_health")
    assert sum(problem.startswith("databricks_connection_auth_url ") for problem in found) == 1, found
    # The host's tenant and connection name stand in for those an entry leaves out, as in the role's task.
    assert problems(good(connection_health_connections=[{"connection_name": "conn-02"}, {}]), role="connection_health") == []
    assert problems(good(connection_health_connections=[{"tenant_id": "tenant01", "connection_name": "c"},
                                                        {"tenant_id": "tenant02", "connection_name": "c"},
                                                        {"tenant_id": "tenant01", "connection_name": "c",
                                                         "platform_url": "https://x.reltio.com"}]),
                    role="connection_health") == []
    # A connection listed twice would be checked twice and reported in two rows.
    assert problems(good(connection_health_connections=[{"tenant_id": "tenant01", "connection_name": "c"},
                                                        {"tenant_id": "tenant02", "connection_name": "c"},
                                                        {"tenant_id": "tenant01", "connection_name": "c"}]),
                    role="connection_health") == [
        "connection_health_connections[2] names the same connection as connection_health_connections[0] (tenant_id"
        " tenant01, connection_name c): list each connection once"]


def test_the_filter_reads_both_roles_specs_and_never_shows_a_value():
    refusal = role_inputs_refusal(good(databricks_connection_client_secret="   ", databricks_connection_tenantid=SECRET),
                                  str(ROLES / "databricks_connection"))
    assert refusal.startswith("reltio.platform.databricks_connection refused its variables before any request: ")
    assert refusal.endswith("databricks_connection_client_secret is required and must not be blank: set it.")
    assert "DATABRICKS_CLIENT_SECRET" not in refusal and SECRET not in refusal
    assert role_inputs_refusal(good(), str(ROLES / "connection_health")) == ""


@pytest.mark.parametrize("role_path", ["/somewhere/else", None])
def test_the_filter_refuses_what_is_no_role_of_the_collection(role_path):
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError):
        role_inputs_refusal(good(), role_path or "")


class Encrypted(object):
    """What ansible-core 2.16's AnsibleVaultEncryptedUnicode offers the filter (no str): ``data``, and str() its text.
    2.19 hands a str; this venv has no 2.16 to make a real one."""

    def __init__(self, text):
        self.data = text

    def __str__(self):
        return self.data


def test_the_filter_reads_a_vaulted_value_as_its_text():
    refusal = role_inputs_refusal(good(databricks_connection_client_secret=Encrypted("   ")), str(ROLES / "databricks_connection"))
    assert refusal.endswith("databricks_connection_client_secret is required and must not be blank: set it.")
    assert role_inputs_refusal(good(databricks_connection_client_secret=Encrypted(SECRET)), str(ROLES / "databricks_connection")) == ""
