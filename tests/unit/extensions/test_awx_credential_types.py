# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWX credential types of extensions/awx/credential_types/ restate the module's option table.

Each field is the option of the same name that has an environment variable: a credential injects that variable,
which the module reads when the task leaves the option out. ``type_problems`` names every difference from the table
(plugins/module_utils/arguments.py): fields, their type and choices, their secrecy, which are required, the
environment variable each is injected as, and what an empty field injects. The real files must have none, and each
kind of drift must be caught.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import pathlib

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    AUTH_OPTIONS,
    DATABRICKS_CONNECTION_OPTIONS,
    TENANT_OPTIONS,
)

ROOT = pathlib.Path(__file__).resolve().parents[3]
CREDENTIAL_TYPES = ROOT / "extensions" / "awx" / "credential_types"
# Each credential type and the tables whose options it gives.
TABLES = {
    "reltio_api.yml": (TENANT_OPTIONS, AUTH_OPTIONS),
    "databricks_service_principal.yml": (DATABRICKS_CONNECTION_OPTIONS,),
}
FIELD_TYPES = {"str": "string", "path": "string", "bool": "boolean"}
SAMPLE = "sample-value-7Q2"


def load(name):
    with open(str(CREDENTIAL_TYPES / name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def options_of(tables):
    """The options a credential can give: those the module also reads from an environment variable."""
    options = {}
    for table in tables:
        options.update((name, copy.deepcopy(option)) for name, option in table.items() if "env" in option)
    return options


def render(template, namespace):
    """An injector as AWX renders it: Jinja in a sandbox, an empty field left out of the namespace."""
    return ImmutableSandboxedEnvironment().from_string(template).render(**namespace)


def type_problems(definition, options):
    """Every way the credential type ``definition`` differs from ``options``; [] when it restates them faithfully."""
    problems = []
    fields = dict((field["id"], field) for field in definition["inputs"]["fields"])
    if sorted(fields) != sorted(options):
        problems.append("fields %s, the options with an environment variable are %s" % (sorted(fields), sorted(options)))
    injectors = definition.get("injectors") or {}
    if sorted(injectors) != ["env"]:
        problems.append("injectors %s: only env is expected" % sorted(injectors))
    env = injectors.get("env") or {}
    wanted_env = sorted(option["env"] for option in options.values())
    if sorted(env) != wanted_env:
        problems.append("injects %s, the module reads %s" % (sorted(env), wanted_env))
    required = sorted(name for name, option in options.items() if option.get("required"))
    if sorted(definition["inputs"].get("required") or []) != required:
        problems.append("requires %s, the module needs %s" % (sorted(definition["inputs"].get("required") or []), required))

    for name, option in sorted(options.items()):
        field = fields.get(name)
        if field is None:
            continue
        if bool(field.get("secret")) != bool(option.get("no_log")):
            problems.append("%s: secret %s, the option's no_log is %s" % (name, bool(field.get("secret")), bool(option.get("no_log"))))
        if field.get("type", "string") != FIELD_TYPES.get(option["type"]):
            problems.append("%s: type %s, the option is a %s" % (name, field.get("type", "string"), option["type"]))
        if field.get("choices") != option.get("choices"):
            problems.append("%s: choices %s, the option's are %s" % (name, field.get("choices"), option.get("choices")))
        template = env.get(option["env"])
        if template is None:
            continue
        # The field's value is injected as it is; an empty field injects the module's default, or nothing.
        if render(template, {name: SAMPLE}) != SAMPLE:
            problems.append("%s: %s does not inject the field's value" % (name, option["env"]))
        empty = render(template, {})
        default = option.get("default")
        if empty != ("" if default is None else str(default)):
            problems.append("%s: an empty field injects %s=%r, the option's default is %r" % (name, option["env"], empty, default))
        if default is not None and str(default) not in field.get("help_text", ""):
            problems.append("%s: its help text does not give the default %s" % (name, default))
    return problems


@pytest.mark.parametrize("name", sorted(TABLES))
def test_the_credential_type_restates_the_option_table_faithfully(name):
    assert type_problems(load(name), options_of(TABLES[name])) == []


def test_every_credential_type_is_checked():
    assert sorted(path.name for path in CREDENTIAL_TYPES.iterdir()) == sorted(TABLES)


def _option(name, change):
    def breakage(definition, options):
        change(options[name])

    return breakage


def _field(name, change):
    def breakage(definition, options):
        (field,) = [field for field in definition["inputs"]["fields"] if field["id"] == name]
        change(field)

    return breakage


DRIFTS = [
    # The table changes, the credential types do not follow.
    ("reltio_api.yml", _option("tenant_id", lambda o: o.update(env="RELTIO_TENANT")), "the module reads"),
    ("databricks_service_principal.yml", _option("client_id", lambda o: o.update(no_log=True)), "client_id: secret False"),
    ("reltio_api.yml", _option("access_token", lambda o: o.pop("no_log")), "access_token: secret True"),
    ("reltio_api.yml", _option("auth_url", lambda o: o.update(default="https://login.reltio.com/oauth/token")),
     "an empty field injects RELTIO_AUTH_URL"),
    ("reltio_api.yml", _option("platform_url", lambda o: o.update(choices=["https://361.reltio.com"])), "platform_url: choices None"),
    ("reltio_api.yml", _option("tenant_id", lambda o: o.update(type="bool")), "tenant_id: type string, the option is a bool"),
    ("databricks_service_principal.yml", _option("warehouse_id", lambda o: o.pop("required")), "requires"),
    ("databricks_service_principal.yml", lambda d, o: o.update(preflight_flag={"type": "bool", "env": "DATABRICKS_PREFLIGHT"}),
     "fields"),
    # The credential types change on their own.
    ("databricks_service_principal.yml", _field("client_secret", lambda f: f.pop("secret")), "client_secret: secret False"),
    ("reltio_api.yml", lambda d, o: d["injectors"]["env"].update(RELTIO_CLIENT_ID="{{ access_token }}"),
     "reltio_client_id: RELTIO_CLIENT_ID does not inject the field's value"),
    ("reltio_api.yml", lambda d, o: d["injectors"]["env"].update(RELTIO_AUTH_URL="{{ auth_url }}"), "an empty field injects RELTIO_AUTH_URL=''"),
    ("databricks_service_principal.yml", lambda d, o: d["injectors"]["env"].update(DATABRICKS_TOKEN="{{ client_secret }}"), "injects"),
    ("databricks_service_principal.yml", lambda d, o: d["injectors"]["env"].pop("DATABRICKS_HOST"), "injects"),
    ("databricks_service_principal.yml", lambda d, o: d["injectors"].update(extra_vars={"client_secret": "{{ client_secret }}"}),
     "only env is expected"),
    ("reltio_api.yml", lambda d, o: d["inputs"]["required"].append("access_token"), "requires"),
]


@pytest.mark.parametrize("name, breakage, expected", DRIFTS)
def test_each_kind_of_drift_is_caught(name, breakage, expected):
    definition, options = load(name), options_of(TABLES[name])
    breakage(definition, options)
    problems = type_problems(definition, options)
    assert any(expected in problem for problem in problems), problems
