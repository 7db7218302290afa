#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: reltio_token
short_description: Get a Reltio access token with client credentials
version_added: 0.1.0
author:
  - Reltio Platform Engineering (@reltio)
description:
  - Fetches one Reltio OAuth access token by the client credentials grant, so that a play fetches a token once and
    passes it to every later task through C(module_defaults), instead of each task fetching its own.
  - The task's output is hidden like that of a C(no_log) task, since it holds the token; the registered variable
    holds the token as usual. A failure holds no token and is shown with its message.
  - Fetching a token changes nothing, so the task is never V(changed) and runs in check mode too.
extends_documentation_fragment:
  - reltio.platform.token_auth
  - reltio.platform.execution
  - reltio.platform.token_ignored
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Fetches the token in check mode too, since that changes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
seealso:
  - module: reltio.platform.reltio_databricks_connection
"""

EXAMPLES = r"""
- name: Fetch one token, then use it for every Reltio task of the play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Get a Reltio access token
      reltio.platform.reltio_token:
        reltio_client_id: "{{ vault_reltio_client_id }}"
        reltio_client_secret: "{{ vault_reltio_client_secret }}"
      register: reltio

    - name: Create the Databricks connections
      module_defaults:
        group/reltio.platform.reltio:
          platform_url: https://test.reltio.com
          tenant_id: ce5627DYnQ6abcD
          access_token: "{{ reltio.access_token }}"
      reltio.platform.reltio_databricks_connection:
        connection_name: "{{ item }}"
        workspace_url: https://adb-1234567890123456.7.azuredatabricks.net
        warehouse_id: ab1c2d3ef5g6h7i8
        client_id: a1b2c3d4-e5f6-7890-abcd-ef1234567890
        client_secret: "{{ vault_databricks_client_secret }}"
      loop: [databricks-connection-01]
"""

RETURN = r"""
reason_code:
  description:
    - Why no token came, for a program to read instead of RV(msg). Of the closed set the troubleshooting guide lists
      ("Reason codes"), this module fails with V(bad_arguments), V(missing_library), V(unreachable), V(timeout),
      V(tls), V(not_tls), V(proxy), V(reltio_auth) (the token endpoint refused the client credentials),
      V(auth_url_not_found) (O(auth_url) is no token endpoint), V(request_refused), V(server_error) or
      V(unexpected_answer) (an answer without a usable token).
  returned: failed
  type: str
  sample: auth_url_not_found
from_environment:
  description:
    - The options the task took from their environment variables (see each option), by name; never their values.
  returned: always, but when the arguments are refused
  type: list
  elements: str
  sample: [platform_url, tenant_id, access_token]
access_token:
  description: The access token. Pass it as O(reltio.platform.reltio_databricks_connection#module:access_token).
  returned: success
  type: str
  sample: eyJhbGciOi...
expires_in:
  description:
    - Seconds until the token expires, as Reltio said.
    - Null when the token answer gave no finite number of seconds (a string of digits counts).
  returned: success
  type: int
  sample: 3600
token_type:
  description:
    - Type of the token.
    - Null when the token answer gave none, or something that is not a word such as C(Bearer).
  returned: success
  type: str
  sample: bearer
option:
  description: "V(auth_url), the option whose URL got no usable answer (not reached, or not HTTP): the one to check."
  returned: failed, when no usable answer came
  type: str
  sample: auth_url
msg:
  description: What the task did.
  returned: always
  type: str
  sample: Fetched a Reltio access token valid for 3600 seconds.
"""

from ansible_collections.reltio.platform.plugins.module_utils.arguments import token_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.module_runner import run_module
from ansible_collections.reltio.platform.plugins.module_utils.access_token import execute, validate


def main():
    run_module("reltio.platform.reltio_token", token_argument_spec(), validate, execute)


if __name__ == "__main__":
    main()
