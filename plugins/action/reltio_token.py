# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs reltio.platform.reltio_token in process on the controller, or as a module on the target.

Its result holds the token, so it is shown as a no_log result while the registered variable keeps it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.reltio.platform.plugins.module_utils.arguments import token_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.access_token import execute, validate
from ansible_collections.reltio.platform.plugins.plugin_utils.reltio_action import ReltioAction


class ActionModule(ReltioAction):
    MODULE = "reltio.platform.reltio_token"
    ARGUMENT_SPEC = token_argument_spec
    VALIDATE = validate
    EXECUTE = execute
    HIDE_RESULT = True
    PREPARE_ARGS = {"reltio_client_id": "prepare-id", "reltio_client_secret": "prepare-secret", "auth_url": "{url}/oauth/token"}
    PREPARE_ANSWER = '{"access_token": "prepare-token", "token_type": "bearer", "expires_in": 3600}'


# Once, in ansible-core's main process, before it forks the workers: see ReltioAction.prepare.
ActionModule.prepare()
