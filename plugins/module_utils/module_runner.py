# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The main() of every module of the collection: AnsibleModule in, ``execute`` out.

Kept apart from the rest of module_utils so that the action plugins, which run the
same ``execute`` functions in process, never import AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.reltio.platform.plugins.module_utils import client
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError


class ReltioModule(AnsibleModule):
    """AnsibleModule whose warnings are masked like its results (AnsibleModule masks only results)."""

    def warn(self, warning):
        super(ReltioModule, self).warn(remove_values(warning, self.no_log_values))


def run_module(argument_spec, execute):
    """Run ``execute(params, check_mode, diff, warn)`` as a module and exit with its result."""
    module = ReltioModule(argument_spec=argument_spec, supports_check_mode=True)
    # A blank "secret" hides nothing, and masking it would star out every space of the messages.
    module.no_log_values.difference_update([value for value in list(module.no_log_values) if not value.strip()])
    if not client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=client.REQUESTS_IMPORT_ERROR)
    try:
        result = execute(module.params, check_mode=module.check_mode, diff=module._diff, warn=module.warn)
    except ReltioError as exc:
        module.fail_json(**exc.fail_kwargs())
    module.exit_json(**result)
