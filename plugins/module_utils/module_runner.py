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

from ansible_collections.reltio.platform.plugins.module_utils import transport
from ansible_collections.reltio.platform.plugins.module_utils.arguments import from_environment
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError
from ansible_collections.reltio.platform.plugins.module_utils.validation import argument_problems, hidden_values, shown_arguments


class ReltioModule(AnsibleModule):
    """AnsibleModule whose warnings are masked like its results (AnsibleModule masks only results),
    and whose failed argument validation names every problem at once (see validation.argument_problems)."""

    def __init__(self, argument_spec, fqcn, validate, **kwargs):
        self._reltio_names = (fqcn, validate)
        self._reltio_validating = True
        super(ReltioModule, self).__init__(argument_spec=argument_spec, **kwargs)
        self._reltio_validating = False

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        validation = getattr(self, "validation_result", None)
        if getattr(self, "_reltio_validating", False) and validation is not None and validation.errors:
            fqcn, validate = self._reltio_names
            msg = argument_problems(fqcn, self.argument_spec, validation, validate).msg
            kwargs["reason_code"] = "bad_arguments"
        super(ReltioModule, self).fail_json(msg=msg, **self._hiding(kwargs))

    def exit_json(self, **kwargs):
        super(ReltioModule, self).exit_json(**self._hiding(kwargs))

    def _hiding(self, kwargs):
        """Hide the no_log values worth hiding (see validation.hidden_values); a short one, no longer hidden as a value,
        is hidden by name in ``invocation`` (which ansible-core 2.21 drops unless the controller asks for it)."""
        hidden = hidden_values(self.argument_spec, self.params)
        shown = shown_arguments(self.argument_spec, self.params)
        if any(shown[name] != value and str(value) not in hidden for name, value in self.params.items()):
            kwargs.setdefault("invocation", {"module_args": shown})
        self.no_log_values.intersection_update(hidden)
        return kwargs

    def warn(self, warning):
        super(ReltioModule, self).warn(remove_values(warning, self.no_log_values))


def run_module(fqcn, argument_spec, validate, execute):
    """Run ``execute(params, check_mode, diff, warn)`` as the module ``fqcn`` and exit with its result."""
    module = ReltioModule(argument_spec, fqcn, validate, supports_check_mode=True)
    # A blank "secret" hides nothing, and masking it would star out every space of the messages (see _hiding).
    module.no_log_values.intersection_update(hidden_values(argument_spec, module.params))
    if not transport.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=transport.REQUESTS_IMPORT_ERROR,
                         reason_code="missing_library")
    environment = from_environment(argument_spec)
    try:
        result = execute(module.params, check_mode=module.check_mode, diff=module._diff, warn=module.warn)
    except ReltioError as exc:
        module.fail_json(from_environment=environment, **exc.fail_kwargs())
    module.exit_json(from_environment=environment, **result)
