#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: reltio_databricks_connection
short_description: Create a Databricks connection in a Reltio tenant and store its OAuth credentials
version_added: 0.1.0
author:
  - Reltio Platform Engineering (@reltio)
description:
  - Creates the Databricks connection that Reltio's Zero-Copy integration uses, and stores the OAuth (M2M)
    credentials of the Databricks service principal, in one request to Reltio.
  - Reltio offers no way to read a connection back. The module is idempotent through Reltio's answer that a
    connection of the same name already exists; it then reports V(ok), and RV(msg) and RV(not_compared) say that
    O(workspace_url) and O(warehouse_id) were not compared with what is stored. That is no warning; the module warns
    only about what the task can change (O(validate_certs=false)). O(test_connection=true) checks that the stored
    connection works, and O(preflight=true) checks the Databricks side before anything is stored.
  - If a request was cut off (timeout, HTTP 502/503/504) and its retry finds the connection there, the first
    try created it and the task reports V(changed).
  - A tenant may hold only one active connection. Creating a second one fails with Reltio's own message.
extends_documentation_fragment:
  - reltio.platform.tenant
  - reltio.platform.auth
  - reltio.platform.execution
  - reltio.platform.databricks_connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Sends no write request to Reltio; a token may be fetched, which checks the Reltio client credentials.
      - Reltio offers no read of a connection. With O(test_connection=true) check mode probes with Reltio's test and
        predicts V(ok) for an existing connection whose test passes; otherwise it predicts V(changed).
      - With O(preflight=true) the preflight runs in check mode too, and is its one real check.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows the connection that would be created, or the secret rotation, with the client secret hidden; in check
        mode with O(test_connection=true), whether the probe found the connection.
notes:
  - Needs the Python library C(requests) on the host that runs the module.
  - Honours E(HTTPS_PROXY) and E(NO_PROXY) like every C(requests) client.
  - "Secrets (O(client_secret), O(access_token), O(reltio_client_id), O(reltio_client_secret), and the tokens
    fetched with them) never appear in results, warnings, diffs or error messages, even when a server echoes them
    back."
requirements:
  - requests
seealso:
  - name: Create a Databricks connection and store OAuth credentials
    description: The Reltio API this module calls.
    link: https://docs.reltio.com/
"""

EXAMPLES = r"""
- name: Create the Databricks connection (secrets from Ansible Vault)
  reltio.platform.reltio_databricks_connection:
    platform_url: https://test.reltio.com
    tenant_id: ce5627DYnQ6abcD
    access_token: "{{ vault_reltio_access_token }}"
    connection_name: databricks-connection-01
    workspace_url: https://adb-1234567890123456.7.azuredatabricks.net
    warehouse_id: ab1c2d3ef5g6h7i8
    client_id: a1b2c3d4-e5f6-7890-abcd-ef1234567890
    client_secret: "{{ vault_databricks_client_secret }}"

- name: Use Reltio client credentials, rotate the secret and test the connection
  reltio.platform.reltio_databricks_connection:
    platform_url: https://test.reltio.com
    tenant_id: ce5627DYnQ6abcD
    reltio_client_id: "{{ vault_reltio_client_id }}"
    reltio_client_secret: "{{ vault_reltio_client_secret }}"
    name: databricks-connection-01
    workspace_url: https://adb-1234567890123456.7.azuredatabricks.net
    warehouse_id: ab1c2d3ef5g6h7i8
    client_id: a1b2c3d4-e5f6-7890-abcd-ef1234567890
    client_secret: "{{ vault_databricks_client_secret }}"
    update_secret: always
    test_connection: true

- name: Set the Reltio options once for every task of the collection
  module_defaults:
    group/reltio.platform.reltio:
      platform_url: https://test.reltio.com
      tenant_id: ce5627DYnQ6abcD
      access_token: "{{ vault_reltio_access_token }}"
  block:
    - name: Create the connection; Databricks values come from DATABRICKS_* environment variables
      reltio.platform.reltio_databricks_connection:
        connection_name: databricks-connection-01
"""

RETURN = r"""
reason_code:
  description:
    - Why the task failed, as a code a program can read instead of RV(msg) - one of a closed set, listed with what
      to do in the troubleshooting guide ("Reason codes"), for example V(bad_arguments), V(unreachable), V(timeout),
      V(tls), V(reltio_auth), V(tenant_not_found) or V(server_error).
  returned: failed
  type: str
  sample: reltio_auth
from_environment:
  description:
    - The options the task took from their environment variables (see each option), by name; never their values.
  returned: always, but when the arguments are refused
  type: list
  elements: str
  sample: [platform_url, tenant_id, access_token]
connection:
  description:
    - The connection as Reltio described it.
    - When the connection already existed, only RV(connection.connection_name) and RV(connection.message) are set.
    - V(null) in check mode, where nothing is sent.
  returned: success
  type: dict
  contains:
    connection_id:
      description: ID of the connection configuration.
      type: str
      sample: f7956383-eb65-4298-b716-c6f808aa6744
    connection_name:
      description: Name of the connection.
      type: str
      sample: databricks-connection-01
    status:
      description: Status of the operation.
      type: str
      sample: success
    message:
      description: Reltio's message.
      type: str
      sample: Databricks M2M OAuth credentials stored successfully
    timestamp:
      description: Time of the operation, in epoch milliseconds.
      type: int
      sample: 1779778867683
created:
  description: Whether this task created the connection.
  returned: always
  type: bool
  sample: true
secret_updated:
  description:
    - Whether the OAuth credentials were stored again on an existing connection, by O(update_secret=always) or
      because its connection test failed with the stored ones (O(test_connection=true)).
  returned: always
  type: bool
  sample: false
not_compared:
  description:
    - The options that could not be compared with the existing connection, since Reltio cannot read one back
      (V(workspace_url) and V(warehouse_id)); empty when this task created the connection.
  returned: always
  type: list
  elements: str
  sample: [workspace_url, warehouse_id]
preflight:
  description: What the preflight found on the Databricks side; V(null) without O(preflight=true).
  returned: always
  type: dict
  contains:
    warehouse_id:
      description: ID of the SQL warehouse.
      type: str
      sample: ab1c2d3ef5g6h7i8
    warehouse_name:
      description: Name of the SQL warehouse.
      type: str
      sample: Reltio Zero-Copy
    warehouse_state:
      description: State of the warehouse (a stopped one starts on first use).
      type: str
      sample: RUNNING
test:
  description:
    - Outcome of the connection test, when O(test_connection=true); in check mode, of the probe (V(null) when Reltio
      answered that the connection does not exist, or the probe could not tell). V(null) otherwise.
    - When the test of an existing connection failed and passed after the credentials were stored, the outcome of the
      second test.
  returned: always
  type: dict
  contains:
    connected:
      description: Whether Reltio reached Databricks with the stored credentials.
      type: bool
      sample: true
    message:
      description: Reltio's message about the test.
      type: str
      sample: Connection successful
    database_type:
      description: The database type Reltio reports.
      type: str
      sample: DATABRICKS
    reason_code:
      description:
        - V(ok) when the test connected, else why not - V(databricks_auth), V(databricks_permission),
          V(warehouse_missing), V(databricks_unreachable) or V(databricks_other), as RV(reason_code) of a failed test.
      type: str
      sample: ok
option:
  description: "The option whose URL got no usable answer (not reached, or not HTTP): V(auth_url), V(platform_url) or, in the preflight, V(workspace_url)."
  returned: failed, when no usable answer came
  type: str
  sample: platform_url
msg:
  description: What the task did, in one sentence.
  returned: always
  type: str
  sample: Connection 'databricks-connection-01' created in tenant 'ce5627DYnQ6abcD'.
status:
  description: HTTP status of Reltio's error answer.
  returned: failed, when Reltio answered
  type: int
  sample: 400
error_code:
  description: Reltio's error code, or Databricks' (such as V(RESOURCE_DOES_NOT_EXIST) or V(invalid_client)) for a preflight.
  returned: failed, when the server gave one
  type: raw
  sample: 1234
may_exist:
  description:
    - True when a create request failed in a way that may have left the connection created (HTTP 5xx, a timeout or a
      dropped connection after the request left, an HTTP 200 whose body cannot be read).
      Running the task again reports V(ok) if it exists.
  returned: failed, when it may exist
  type: bool
  sample: true
"""

from ansible_collections.reltio.platform.plugins.module_utils.arguments import databricks_connection_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.databricks_connection import execute, validate
from ansible_collections.reltio.platform.plugins.module_utils.module_runner import run_module


def main():
    run_module("reltio.platform.reltio_databricks_connection", databricks_connection_argument_spec(), validate, execute)


if __name__ == "__main__":
    main()
