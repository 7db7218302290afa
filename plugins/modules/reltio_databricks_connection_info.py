#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: reltio_databricks_connection_info
short_description: Check whether a Reltio tenant's Databricks connection works, without creating anything
version_added: 0.2.0
author:
  - Reltio Platform Engineering (@reltio)
description:
  - Asks Reltio to test the Databricks connection O(connection_name) of a tenant, and reports what it found in
    RV(status), RV(exists), RV(connected) and RV(message). Sends no create and no store request, so a mistyped name
    is reported as V(missing), never created.
  - "RV(status) is one of: V(healthy) (Reltio's test connected), V(failing) (Reltio ran the test and Databricks refused:
    a rotated or expired secret, a service principal without CAN USE, a deleted warehouse; Reltio's reason in
    RV(message)), V(missing) (Reltio answered HTTP 404 with its own error: it knows no such connection, or no such
    tenant; RV(reason_code) says which), V(error)
    (Reltio answered, but not with a test result: an error status other than 401, 403 and 404, a 404 that is not
    one of Reltio's errors, such as a gateway's page at a wrong O(platform_url), or a body without a
    C(connected) field it can be read from; the reason in RV(message))."
  - None of these fails the task, since an C(_info) module reports. The task fails, with the usual messages, when
    it cannot say anything about the connection, since the same failure would hit every connection of the tenant -
    bad arguments (before any request), Reltio refusing the access token or the client credentials (HTTP 401 or 403),
    or no usable answer at all (connection refused, timeout, TLS).
  - Reltio offers no list, read or delete of Databricks connections, so the names to check come from the inventory.
  - With O(connections), one task checks a list of connections (thousands, for the role C(reltio.platform.connection_health)'s
    lanes) at the cost of one request each, with one token for the list, and returns a result for each in RV(connections).
  - With O(preflight=true) it also checks the Databricks side with the credentials the task holds; see there.
  - The role C(reltio.platform.connection_health) runs this module for every tenant of an inventory and writes a report.
extends_documentation_fragment:
  - reltio.platform.tenant
  - reltio.platform.auth
  - reltio.platform.execution
  - reltio.platform.connection_info
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Runs the test in check mode too, since the test is Reltio's check of its own connection and nothing is written.
      - Reltio documents that a passing test makes a V(PENDING) connection V(ACTIVE); that is Reltio's own
        bookkeeping, and the task reports V(ok) all the same.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - Never V(changed).
  - Needs the Python library C(requests) on the host that runs the module.
  - Honours E(HTTPS_PROXY) and E(NO_PROXY) like every C(requests) client.
  - "Secrets (O(client_secret), O(access_token), O(reltio_client_id), O(reltio_client_secret), and the tokens
    fetched with them) never appear in results, warnings or error messages, even when a server echoes them back."
  - In a loop on the controller, one HTTP session and one token serve every item of a worker, as for
    M(reltio.platform.reltio_databricks_connection).
requirements:
  - requests
seealso:
  - module: reltio.platform.reltio_databricks_connection
"""

EXAMPLES = r"""
- name: Check the Databricks connection of a tenant
  reltio.platform.reltio_databricks_connection_info:
    platform_url: https://test.reltio.com
    tenant_id: ce5627DYnQ6abcD
    access_token: "{{ vault_reltio_access_token }}"
    connection_name: databricks-connection-01
  register: health

- name: Say what is wrong
  ansible.builtin.debug:
    msg: "{{ health.status }}: {{ health.message }}"
  when: health.status != 'healthy'

- name: Check the connections of several tenants in one task, one token for all
  reltio.platform.reltio_databricks_connection_info:
    platform_url: https://test.reltio.com
    reltio_client_id: "{{ vault_reltio_client_id }}"
    reltio_client_secret: "{{ vault_reltio_client_secret }}"
    connection_name: databricks-connection-01
    connections:
      - tenant_id: ce5627DYnQ6abcD
      - tenant_id: Fq8x2LmN0pQ4rsT
        connection_name: analytics
  register: fleet
- name: Say which are not healthy
  ansible.builtin.debug:
    msg: "{{ fleet.connections | rejectattr('status', 'equalto', 'healthy') | map(attribute='msg') }}"
- name: Also check that the service principal in the vault may use the warehouse
  reltio.platform.reltio_databricks_connection_info:
    platform_url: https://test.reltio.com
    tenant_id: ce5627DYnQ6abcD
    reltio_client_id: "{{ vault_reltio_client_id }}"
    reltio_client_secret: "{{ vault_reltio_client_secret }}"
    connection_name: databricks-connection-01
    preflight: true
    workspace_url: https://adb-1234567890123456.7.azuredatabricks.net
    warehouse_id: ab1c2d3ef5g6h7i8
    client_id: a1b2c3d4-e5f6-7890-abcd-ef1234567890
    client_secret: "{{ vault_databricks_client_secret }}"
"""

RETURN = r"""
from_environment:
  description:
    - The options the task took from their environment variables (see each option), by name; never their values.
  returned: always, but when the arguments are refused
  type: list
  elements: str
  sample: [platform_url, tenant_id, access_token]
status:
  description:
    - V(healthy), V(failing), V(missing) or V(error); see the description above.
  returned: success
  type: str
  sample: failing
reason_code:
  description:
    - What RV(status) rests on, or why the task failed, as a code a program can read instead of RV(message) - one of
      a closed set, listed with what to do in the troubleshooting guide ("Reason codes").
    - V(ok) for V(healthy); for V(failing) V(databricks_auth), V(databricks_permission), V(warehouse_missing),
      V(databricks_unreachable) or V(databricks_other); for V(missing) V(connection_not_found) or V(tenant_not_found)
      (Reltio's 404 says which); for V(error) V(request_refused), V(server_error) or V(unexpected_answer).
  returned: always
  type: str
  sample: databricks_permission
exists:
  description:
    - V(true) when Reltio ran the test, V(false) when it answered HTTP 404 with its own error, V(null) when
      RV(status=error) (its answer did not say).
  returned: success
  type: bool
  sample: true
connected:
  description: Whether Reltio's test connected; V(null) when no test ran (RV(status) V(missing) or V(error)).
  returned: success
  type: bool
  sample: false
message:
  description:
    - Reltio's reason (its test message, or the error it answered), on one line, secrets masked, at most 500 characters.
  returned: success
  type: str
  sample: "PERMISSION_DENIED: Service principal a1b2c3d4 does not have CAN USE permission on warehouse ab1c2d3ef5g6h7i8."
checked_at:
  description: When Reltio answered, in UTC (ISO 8601).
  returned: success
  type: str
  sample: "2026-12-04T02:00:13Z"
connection_name:
  description: The connection checked.
  returned: success
  type: str
  sample: databricks-connection-01
tenant_id:
  description: The tenant checked.
  returned: success
  type: str
  sample: ce5627DYnQ6abcD
preflight:
  description: What the preflight found on the Databricks side; V(null) without O(preflight=true).
  returned: success
  type: dict
  contains:
    passed:
      description: Whether the service principal got a token and may use the warehouse.
      type: bool
      sample: true
    reason_code:
      description:
        - V(ok) when it passed, else why it failed - V(databricks_auth), V(databricks_permission),
          V(warehouse_missing), V(databricks_unreachable), V(tls), V(not_tls) or V(databricks_other).
      type: str
      sample: ok
    message:
      description: What the preflight found, or why it failed.
      type: str
      sample: "Preflight passed: the service principal got a Databricks token and may use warehouse 'ab1c2d3ef5g6h7i8' (RUNNING)."
    warehouse_id:
      description: ID of the SQL warehouse.
      type: str
      sample: ab1c2d3ef5g6h7i8
    warehouse_name:
      description: Name of the SQL warehouse; V(null) when the preflight failed.
      type: str
      sample: Reltio Zero-Copy
    warehouse_state:
      description: State of the warehouse; V(null) when the preflight failed.
      type: str
      sample: RUNNING
connections:
  description:
    - With O(connections), one result a connection, in the order of the list - each with RV(tenant_id),
      RV(connection_name) and either the keys of a check (RV(status), RV(reason_code), RV(exists), RV(connected),
      RV(message), RV(checked_at), RV(msg)) or, when the connection could not be checked, C(failed=true) with
      RV(msg), RV(reason_code) and, when a server answered, RV(http_status), or, when none
      answered in HTTP, RV(option).
    - Without O(connections), the result is that of the one connection, as described here.
  returned: with O(connections)
  type: list
  elements: dict
  sample:
    - {tenant_id: ce5627DYnQ6abcD, connection_name: databricks-connection-01, status: healthy, reason_code: ok,
       exists: true, connected: true, message: Connection successful, checked_at: "2026-12-04T02:00:13Z",
       preflight: null, changed: false,
       msg: "Connection 'databricks-connection-01' of tenant 'ce5627DYnQ6abcD' is healthy: Reltio's test passed (Connection successful)."}
option:
  description: "The option whose URL got no usable answer (not reached, or not HTTP): V(auth_url), V(platform_url) or, with O(preflight), V(workspace_url)."
  returned: failed, when no usable answer came
  type: str
  sample: auth_url
msg:
  description: What the task found, in one or two sentences.
  returned: always
  type: str
  sample: "Connection 'databricks-connection-01' of tenant 'ce5627DYnQ6abcD' is healthy: Reltio's test passed (Connection successful)."
http_status:
  description: HTTP status of the answer that failed the task.
  returned: failed, when a server answered
  type: int
  sample: 401
error_code:
  description: Reltio's error code.
  returned: failed, when the server gave one
  type: raw
  sample: 1234
"""

from ansible_collections.reltio.platform.plugins.module_utils.arguments import connection_info_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.connection_health import execute, validate
from ansible_collections.reltio.platform.plugins.module_utils.module_runner import run_module


def main():
    run_module("reltio.platform.reltio_databricks_connection_info", connection_info_argument_spec(), validate, execute)


if __name__ == "__main__":
    main()
