# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs reltio.platform.reltio_databricks_connection_info in process on the controller, or as a module on the target."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.reltio.platform.plugins.module_utils.arguments import connection_info_argument_spec
from ansible_collections.reltio.platform.plugins.module_utils.connection_health import execute, validate
from ansible_collections.reltio.platform.plugins.plugin_utils.reltio_action import ReltioAction


class ActionModule(ReltioAction):
    MODULE = "reltio.platform.reltio_databricks_connection_info"
    ARGUMENT_SPEC = connection_info_argument_spec
    VALIDATE = validate
    EXECUTE = execute
