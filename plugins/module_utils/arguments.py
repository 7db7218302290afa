# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one table of options shared by every module of the collection.

The table yields the argument spec (with environment fallbacks) and the
documentation fragment ``reltio.platform.connection``, so an option, its
environment variable and its description are written once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.parameters import env_fallback

DEFAULT_AUTH_URL = "https://auth.reltio.com/oauth/token"

CONNECTION_OPTIONS = {
    "platform_url": {
        "type": "str",
        "required": True,
        "env": "RELTIO_PLATFORM_URL",
        "description": [
            "Base URL of the Reltio platform, for example V(https://test.reltio.com).",
            "Must use https; plain http is accepted only for a loopback host such as the bundled emulator.",
            "A trailing V(/reltio) or V(/reltio/api) is ignored.",
        ],
    },
    "tenant_id": {
        "type": "str",
        "required": True,
        "env": "RELTIO_TENANT_ID",
        "description": ["ID of the Reltio tenant, for example V(ce5627DYnQ6abcD)."],
    },
    "access_token": {
        "type": "str",
        "no_log": True,
        "env": "RELTIO_ACCESS_TOKEN",
        "description": [
            "A Reltio OAuth access token, sent as C(Authorization: Bearer).",
            "Give either O(access_token) or both O(reltio_client_id) and O(reltio_client_secret).",
            "When both are given, the token is used first and the client credentials fetch a new token"
            " once if Reltio refuses it as expired.",
        ],
    },
    "reltio_client_id": {
        "type": "str",
        "no_log": True,
        "env": "RELTIO_CLIENT_ID",
        "description": ["Reltio OAuth client ID, used with O(reltio_client_secret) to fetch a token from O(auth_url)."],
    },
    "reltio_client_secret": {
        "type": "str",
        "no_log": True,
        "env": "RELTIO_CLIENT_SECRET",
        "description": ["Reltio OAuth client secret, used with O(reltio_client_id) to fetch a token from O(auth_url)."],
    },
    "auth_url": {
        "type": "str",
        "default": DEFAULT_AUTH_URL,
        "env": "RELTIO_AUTH_URL",
        "description": [
            "Reltio token endpoint, used for the client credentials grant.",
            "Same https rule as O(platform_url).",
        ],
    },
    "validate_certs": {
        "type": "bool",
        "default": True,
        "description": [
            "Whether to verify the TLS certificates of Reltio and of O(auth_url).",
            "Turn it off only for a test system: the task warns when it is off.",
        ],
    },
    "ca_path": {
        "type": "path",
        "description": ["A PEM file of CA certificates to trust instead of the system ones, for a private CA or a TLS-inspecting proxy."],
    },
    "timeout": {
        "type": "float",
        "default": 30,
        "description": ["Seconds to wait for each HTTP request, connecting and reading."],
    },
    "retries": {
        "type": "int",
        "default": 3,
        "description": [
            "How many times a request is tried again after a connection error, a timeout or an HTTP 429, 502, 503 or 504.",
            "Waits grow exponentially between tries; a C(Retry-After) header is honoured, up to 60 seconds.",
            "V(0) turns retries off.",
        ],
    },
}

DATABRICKS_CONNECTION_OPTIONS = {
    "connection_name": {"type": "str", "required": True, "aliases": ["name"]},
    "workspace_url": {"type": "str", "env": "DATABRICKS_HOST"},
    "warehouse_id": {"type": "str", "env": "DATABRICKS_WAREHOUSE_ID"},
    "client_id": {"type": "str", "env": "DATABRICKS_CLIENT_ID"},
    "client_secret": {"type": "str", "no_log": True, "env": "DATABRICKS_CLIENT_SECRET"},
    "update_secret": {"type": "str", "default": "on_create", "choices": ["on_create", "always"]},
    "test_connection": {"type": "bool", "default": False},
}

_SPEC_KEYS = ("type", "required", "default", "choices", "aliases", "no_log")


def argument_spec(table):
    """Turn an option table into an AnsibleModule argument spec."""
    spec = {}
    for name, option in table.items():
        entry = dict((key, option[key]) for key in _SPEC_KEYS if key in option)
        if "env" in option:
            entry["fallback"] = (env_fallback, [option["env"]])
        spec[name] = entry
    return spec


def connection_argument_spec():
    return argument_spec(CONNECTION_OPTIONS)


def databricks_connection_argument_spec():
    spec = connection_argument_spec()
    spec.update(argument_spec(DATABRICKS_CONNECTION_OPTIONS))
    return spec


def options_documentation(table):
    """The ``options`` documentation of an option table, as plugins/doc_fragments/connection.py holds it.

    The fragment must be a string literal for the sanity tests, so it is written out by
    tools/render_doc_fragment.py and a unit test keeps it equal to this.
    """
    options = {}
    for name, option in table.items():
        doc = {"description": list(option["description"]), "type": option["type"]}
        for key in ("required", "default", "choices", "aliases"):
            if key in option:
                doc[key] = option[key]
        if "env" in option:
            doc["description"].append("If not set, the value of the E(%s) environment variable is used." % option["env"])
        options[name] = doc
    return {"options": options}


# Values that must never be shown, whatever the option table says.
SECRET_OPTIONS = tuple(
    name
    for table in (CONNECTION_OPTIONS, DATABRICKS_CONNECTION_OPTIONS)
    for name, option in table.items()
    if option.get("no_log")
)
