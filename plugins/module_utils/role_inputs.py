# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the roles' inputs come from, and their check before any request (the filter reltio.platform.role_input_problems).

One rule for both roles: Reltio's credentials and URLs (and where the calls run) come from role variables, else from
their RELTIO_* environment variables, as an AWX "Reltio API" credential injects them. The tenant, the connection name
and the whole Databricks side come from role variables only: a tenant left in a shell's RELTIO_TENANT_ID, or the
Databricks CLI's DATABRICKS_* variables, would pick another tenant or workspace without a word.

The check finds, before any request and all at once, each variable of the roles' prefixes that neither role knows
(with the closest known one), then every problem the module's own checks would find, named by role variable, with
only the remedies that work in a role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.reltio.platform.plugins.module_utils import connection_health, databricks_connection
from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    connection_info_argument_spec,
    databricks_connection_argument_spec,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ValidationError
from ansible_collections.reltio.platform.plugins.module_utils.validation import environment_variable

PREFIXES = ("databricks_connection_", "connection_health_")
# What the roles set for the tasks after them: of a role's prefix, yet no input.
OUTPUTS = ("databricks_connection_result", "connection_health_results", "connection_health_report")
# The options a role leaves out when their variable is undefined, so that the module reads their RELTIO_* variable.
FROM_ENVIRONMENT = ("platform_url", "access_token", "reltio_client_id", "reltio_client_secret", "auth_url", "execution")
# Reltio's credentials are one set: when a role variable gives any of them, none is read from the environment (a token
# of the shell never joins client credentials of the inventory).
CREDENTIALS = ("access_token", "reltio_client_id", "reltio_client_secret")
# A role variable whose option has another name than the variable without its prefix.
RENAMED = {"databricks_connection_name": "connection_name", "databricks_connection_test": "test_connection",
           "connection_health_connections": "connections"}
# Each role: the argument spec and the checks of the module it runs.
MODULES = {
    "databricks_connection": (databricks_connection_argument_spec, databricks_connection.validate),
    "connection_health": (connection_info_argument_spec, connection_health.validate),
}
_TYPES = {"str": str, "path": str, "bool": bool, "int": int, "float": (int, float)}


def option_of(variable):
    """The module option a role variable sets, or None for a variable of the role itself (its report, say)."""
    if variable in RENAMED:
        return RENAMED[variable]
    prefix = PREFIXES[0]
    return variable[len(prefix):] if variable.startswith(prefix) else None


def is_input(name):
    """A variable of the roles' prefixes that is meant as an input: not an output, not internal (``prefix__name``)."""
    return name.startswith(PREFIXES) and not name.startswith(tuple(prefix + "_" for prefix in PREFIXES)) and name not in OUTPUTS


def unknown_variables(role, variables, known):
    """One sentence per variable of the prefixes that no role knows, with the closest known one."""
    problems = []
    for name in sorted(name for name in variables if is_input(name) and name not in known):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        problems.append("%s is not a variable of reltio.platform.%s%s" % (name, role, " (did you mean %s?)" % close[0] if close else ""))
    return problems


def module_params(spec, own, variables, environment):
    """The module's arguments as the role's task gives them, and the names of the role variables that set them.

    Defaults, aliases and types as AnsibleModule would make them; an environment variable only for FROM_ENVIRONMENT.
    """
    names, params = {}, {}
    for variable in own:
        option = option_of(variable)
        if option in spec:
            names[option] = variable
            if variables.get(variable) is not None:
                params[option] = variables[variable]
    for option in environment_options(params):
        if option not in params and environment.get(environment_variable(option)):
            params[option] = environment[environment_variable(option)]
    bare = dict((option, dict((key, value) for key, value in entry.items() if key not in ("fallback", "required")))
                for option, entry in spec.items())
    validated = dict(ArgumentSpecValidator(bare).validate(params).validated_parameters)
    for option, entry in spec.items():
        # A value of the wrong type is the role's argument spec's to refuse; here it is left out.
        if validated.get(option) is not None and not isinstance(validated[option], _TYPES.get(entry.get("type", "str"), object)):
            validated[option] = None
    return validated, names


def environment_options(params):
    """The options the module may take from the environment, given those the role variables set (``params``)."""
    if any(option in params for option in CREDENTIALS):
        return tuple(option for option in FROM_ENVIRONMENT if option not in CREDENTIALS)
    return FROM_ENVIRONMENT


def problems(role, variables, own, known, environment):
    """Every problem of a role's inputs: unknown variables, then what the module would refuse, by role variable.

    ``variables``: the defined variables of the prefixes (name: value); ``own``: the role's variables (its argument
    spec's options); ``known``: every variable of both roles; ``environment``: the environment the module will see.
    A host of connection_health with a list of connections is checked as the module checks its ``connections``: each
    entry, named by its index.
    """
    found = unknown_variables(role, variables, known)
    spec_of, validate = MODULES[role]
    params, names = module_params(spec_of(), own, variables, environment)
    given = dict((option, True) for option, variable in names.items() if variables.get(variable) is not None)
    try:
        validate(params, names=names, environment=environment_options(given))
    except ValidationError as exc:
        found.extend(exc.problems)
    return found


def message(role, found):
    return "reltio.platform.%s refused its variables before any request: %s." % (role, "; ".join(found))
