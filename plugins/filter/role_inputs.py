# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filter reltio.platform.role_inputs_refusal: the check of a role's variables before any request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.reltio.platform.plugins.module_utils import role_inputs

ROLES = ("databricks_connection", "connection_health")


def _options(role_dir):
    """The variables a role's argument spec names."""
    with open(os.path.join(role_dir, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


def _text(value):
    """A vaulted value as its text: ansible-core before 2.19 may hand an encrypted string object, which is no str."""
    if isinstance(value, (str, bool, int, float, list, dict)) or value is None:
        return value
    return str(value) if hasattr(value, "data") else value


def role_inputs_refusal(variables, role_path):
    """Why the role at ``role_path`` refuses ``variables`` (the defined ones of its prefixes, by name), or ''."""
    role = os.path.basename(os.path.normpath(role_path))
    if role not in ROLES or not isinstance(variables, dict):
        raise AnsibleFilterError("role_inputs_refusal: needs a dict of variables and the role_path of a role of"
                                 " reltio.platform (%s)" % ", ".join(ROLES))
    own = _options(role_path)
    known = set(role_inputs.OUTPUTS)
    for other in ROLES:
        known.update(_options(os.path.join(os.path.dirname(os.path.normpath(role_path)), other)))
    variables = dict((name, _text(value)) for name, value in variables.items())
    found = role_inputs.problems(role, variables, own, known, os.environ)
    return role_inputs.message(role, found) if found else ""


class FilterModule(object):
    def filters(self):
        return {"role_inputs_refusal": role_inputs_refusal}
