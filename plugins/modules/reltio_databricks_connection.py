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
    connection of the same name already exists; it then reports V(ok) and warns that O(workspace_url) and
    O(warehouse_id) were not compared with what is stored.
  - If a request was cut off (timeout, HTTP 502/503/504) and its retry finds the connection there, the first
    try created it and the task reports V(changed).
  - A tenant may hold only one active connection. Creating a second one fails with Reltio's own message.
extends_documentation_fragment:
  - reltio.platform.tenant
  - reltio.platform.auth
  - reltio.platform.execution
options:
  connection_name:
    description:
      - Name of the connection, unique in the tenant.
    type: str
    required: true
    aliases: [name]
  workspace_url:
    description:
      - HTTPS URL of the Databricks workspace, for example V(https://adb-1234567890123456.7.azuredatabricks.net).
      - Required. If not set, the value of the E(DATABRICKS_HOST) environment variable is used.
    type: str
  warehouse_id:
    description:
      - ID of the Databricks SQL warehouse.
      - Required. If not set, the value of the E(DATABRICKS_WAREHOUSE_ID) environment variable is used.
    type: str
  client_id:
    description:
      - OAuth client ID (application ID) of the Databricks service principal.
      - Required. If not set, the value of the E(DATABRICKS_CLIENT_ID) environment variable is used.
    type: str
  client_secret:
    description:
      - OAuth client secret of the Databricks service principal. Keep it in Ansible Vault or an AWX credential.
      - Required. If not set, the value of the E(DATABRICKS_CLIENT_SECRET) environment variable is used.
    type: str
  update_secret:
    description:
      - When to send O(client_id) and O(client_secret) to Reltio.
      - V(on_create) sends them only with the request that creates the connection; an existing connection keeps
        the credentials it has.
      - V(always) also stores them on an existing connection, to rotate a secret. The task then reports V(changed),
        since Reltio cannot tell whether the secret was different.
    type: str
    choices: [on_create, always]
    default: on_create
  test_connection:
    description:
      - Ask Reltio to test the connection once it exists. A passing test makes a V(PENDING) connection V(ACTIVE).
      - When Reltio reports the test as failed, the task fails with Reltio's message.
      - A test alone is not a change. Check mode skips the test.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Sends no write request to Reltio; a token may be fetched, which checks the Reltio client credentials.
      - Reltio offers no read, so check mode always predicts V(changed).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows the connection that would be created, or the secret rotation, with the client secret hidden.
notes:
  - Needs the Python library C(requests) on the host that runs the module.
  - Honours E(HTTPS_PROXY) and E(NO_PROXY) like every C(requests) client.
  - "Secrets (O(client_secret), O(access_token), O(reltio_client_secret)) never appear in results, warnings,
    diffs or error messages, even when Reltio echoes them back."
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
connection:
  description:
    - The connection as Reltio described it.
    - When the connection already existed, only RV(connection.connection_name) and RV(connection.message) are set.
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
  description: Whether the OAuth credentials were stored again on an existing connection (O(update_secret=always)).
  returned: always
  type: bool
  sample: false
test:
  description: Outcome of the connection test, when O(test_connection=true) and not in check mode.
  returned: when O(test_connection=true)
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
  description: Reltio's error code.
  returned: failed, when Reltio gave one
  type: int
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
from ansible_collections.reltio.platform.plugins.module_utils.databricks_connection import execute
from ansible_collections.reltio.platform.plugins.module_utils.module_runner import run_module


def main():
    run_module(databricks_connection_argument_spec(), execute)


if __name__ == "__main__":
    main()
