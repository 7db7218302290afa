# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tables of the modules' options: the one place for each option's type, default, bounds, environment variable,
secrecy and description.

The argument specs, the documentation fragments, the README's options table and the code's defaults are made from
them, and tests compare the roles' specs with them (the development guide, "The option tables").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.parameters import env_fallback

DEFAULT_AUTH_URL = "https://auth.reltio.com/oauth/token"

TENANT_OPTIONS = {
    "platform_url": {
        "type": "str",
        "required": True,
        "env": "RELTIO_PLATFORM_URL",
        "description": [
            "Base URL of the Reltio platform, for example V(https://test.reltio.com).",
            "Must use https; plain http is accepted only for a loopback address such as V(127.0.0.1) (the bundled emulator)"
            " or the name V(localhost).",
            "A trailing V(/reltio) or V(/reltio/api) is ignored.",
        ],
    },
    "tenant_id": {
        "type": "str",
        "required": True,
        "env": "RELTIO_TENANT_ID",
        "description": ["ID of the Reltio tenant, for example V(ce5627DYnQ6abcD)."],
    },
}

AUTH_OPTIONS = {
    "access_token": {
        "type": "str",
        "no_log": True,
        "env": "RELTIO_ACCESS_TOKEN",
        "description": [
            "A Reltio OAuth access token, sent as C(Authorization: Bearer); give either it or both O(reltio_client_id)"
            " and O(reltio_client_secret).",
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
        "bounds": (1, 3600),
        "description": [
            "Seconds each try of an HTTP request may take: connecting, the TLS handshake, sending and the whole answer.",
        ],
    },
    "retries": {
        "type": "int",
        "default": 3,
        "bounds": (0, 10),
        "description": [
            "How many times a request is tried again after a connection error, a timeout or an HTTP 429, 502, 503 or 504.",
            "Waits grow exponentially between tries; a C(Retry-After) header is honoured, up to 60 seconds.",
            "V(0) turns retries off.",
        ],
    },
}
# The code's defaults where no argument spec filled them in (a client built by hand): the table's.
DEFAULT_TIMEOUT = AUTH_OPTIONS["timeout"]["default"]
DEFAULT_RETRIES = AUTH_OPTIONS["retries"]["default"]

EXECUTION_OPTIONS = {
    "execution": {
        "type": "str",
        "default": "auto",
        "choices": ["auto", "controller", "target"],
        "env": "RELTIO_EXECUTION",
        "description": [
            "Where the calls to Reltio run: on the controller, in process, or as a module on the target host.",
            "V(auto) runs them inside the Ansible process on the controller when the task's connection is local"
            " (C(connection: local), C(delegate_to: localhost), an ad-hoc command on localhost), and as a regular module"
            " on the target host otherwise, and also for a task with C(become) (which only a module honours) or when"
            " the controller's Python lacks the library C(requests).",
            "V(controller) always runs them on the controller, in process: no module is sent, no Python is started,"
            " and one HTTP session and one token serve every item of a loop.",
            "V(target) always runs the module on the target host, as any module, for example on a bastion host that"
            " alone may reach Reltio. The target needs the Python library C(requests).",
        ],
    },
}

DATABRICKS_CONNECTION_OPTIONS = {
    "connection_name": {
        "type": "str",
        "required": True,
        "aliases": ["name"],
        "description": ["Name of the connection, unique in the tenant."],
    },
    "workspace_url": {
        "type": "str",
        "required": True,
        "env": "DATABRICKS_HOST",
        "description": ["HTTPS URL of the Databricks workspace, for example V(https://adb-1234567890123456.7.azuredatabricks.net)."],
    },
    "warehouse_id": {
        "type": "str",
        "required": True,
        "env": "DATABRICKS_WAREHOUSE_ID",
        "description": ["ID of the Databricks SQL warehouse."],
    },
    "client_id": {
        "type": "str",
        "required": True,
        "env": "DATABRICKS_CLIENT_ID",
        "description": ["OAuth client ID (application ID) of the Databricks service principal."],
    },
    "client_secret": {
        "type": "str",
        "required": True,
        "no_log": True,
        "env": "DATABRICKS_CLIENT_SECRET",
        "description": ["OAuth client secret of the Databricks service principal. Keep it in Ansible Vault or an AWX credential."],
    },
    "update_secret": {
        "type": "str",
        "default": "on_create",
        "choices": ["on_create", "always"],
        "description": [
            "When to send O(client_id) and O(client_secret) to Reltio.",
            "V(on_create) sends them only with the request that creates the connection; an existing connection keeps"
            " the credentials it has, unless O(test_connection=true) finds that they do not work (see there).",
            "V(always) also stores them on an existing connection. The task then reports V(changed), since Reltio"
            " cannot tell whether the secret was different.",
        ],
    },
    "test_connection": {
        "type": "bool",
        "default": False,
        "description": [
            "Ask Reltio to test the connection once it exists. A passing test makes a V(PENDING) connection V(ACTIVE).",
            "When the connection already existed and its test fails, the task stores O(client_id) and O(client_secret)"
            " once and tests again: a passing test reports V(changed) with RV(secret_updated=true). This is how to rotate"
            " a secret without O(update_secret=always): a rerun whose test passes sends nothing more and is V(ok).",
            "When the test still fails, the task fails with Reltio's reason. Reltio keeps the workspace and warehouse a"
            " connection was created with: if those are wrong, remove the connection in Reltio or use a new name.",
            "A test alone is not a change.",
            "In check mode the test is a probe, the one read Reltio offers: a connection whose test passes is predicted"
            " V(ok), one whose test fails to get the given credentials stored, and one Reltio answers HTTP 404 for (no such"
            " connection, in Reltio's own error) to be created. A tenant Reltio does not know (its 404 says so) fails the"
            " task, as a real run would, with RV(reason_code=tenant_not_found), and so does a 404 that is not one of"
            " Reltio's errors (a gateway's page at a wrong O(platform_url)), with RV(reason_code=unexpected_answer)."
            " When the probe cannot tell (another error), check mode predicts V(changed) as without it, and says"
            " why. Like a real run's test, a passing probe may move a V(PENDING) connection to V(ACTIVE).",
        ],
    },
    "preflight": {
        "type": "bool",
        "default": False,
        "description": [
            "Check the Databricks side before anything is written to Reltio, in check mode too.",
            "The service principal gets an OAuth token from O(workspace_url) with O(client_id) and O(client_secret),"
            " and may read the SQL warehouse O(warehouse_id), which must exist and not be deleted (a stopped warehouse"
            " is fine: it starts on first use).",
            "A failed preflight fails the task and sends nothing to Reltio. It runs in check mode too, where it is the one"
            " real check there is; the result has RV(preflight).",
            "The host that runs the task must reach the workspace: a Databricks IP access list may refuse it while"
            " Reltio reaches it. O(timeout), O(retries), O(validate_certs), O(ca_path) and the proxy environment apply"
            " to the workspace as to Reltio.",
        ],
    },
}


IGNORED = ("Accepted and ignored, so that C(module_defaults) for C(group/reltio.platform.reltio) can hold every option"
           " of the group.")

# What ansible-doc and the README say of an option a task needs, set in the task or in its environment variable.
SET_HERE_OR_IN_ENV = "Required: set it here or in the E(%s) environment variable."

# What ansible-doc, the README and the roles say of an option with bounds (its lowest and highest value).
BOUNDS = "From V(%s) to V(%s)."


def bounds_sentence(option):
    """The sentence giving an option's ``bounds``, or None."""
    if "bounds" not in option:
        return None
    return BOUNDS % tuple(int(value) if float(value).is_integer() else value for value in option["bounds"])


def required_here_or_in_env(option):
    """A required option that has an environment variable: the task's checks require it, naming the variable, and
    not the argument spec (AnsibleModule's message would not name it). One without a variable: the argument spec."""
    return bool(option.get("required")) and "env" in option


def ignored_options(*tables):
    """The options of other modules of the group, for a module that accepts and ignores them (no value is checked)."""
    ignored = {}
    for table in tables:
        for name, option in table.items():
            entry = {"type": option["type"], "description": [IGNORED]}
            for key in ("aliases", "choices", "no_log"):
                if key in option:
                    entry[key] = option[key]
            ignored[name] = entry
    return ignored


# Shared by the modules that call a tenant: tenant, auth and execution options.
CONNECTION_OPTIONS = dict(TENANT_OPTIONS, **AUTH_OPTIONS)
CONNECTION_OPTIONS.update(EXECUTION_OPTIONS)

# reltio_token fetches a token with the client credentials: it needs them, ignores a given access token, and needs
# no tenant and no connection. Its argument spec for the auth options is that of AUTH_OPTIONS; only the words differ.
TOKEN_AUTH_OPTIONS = dict(AUTH_OPTIONS)
TOKEN_AUTH_OPTIONS.update({
    "access_token": dict(AUTH_OPTIONS["access_token"], ignored=True, description=[
        "Accepted and ignored: the module always fetches a new token with O(reltio_client_id) and"
        " O(reltio_client_secret). Accepted so that C(module_defaults) for C(group/reltio.platform.reltio) can hold"
        " every option of the group.",
    ]),
    "reltio_client_id": dict(AUTH_OPTIONS["reltio_client_id"], required=True),
    "reltio_client_secret": dict(AUTH_OPTIONS["reltio_client_secret"], required=True),
})
TOKEN_IGNORED_OPTIONS = ignored_options(TENANT_OPTIONS, DATABRICKS_CONNECTION_OPTIONS)


def _preflight_only(option):
    """A Databricks option as reltio_databricks_connection_info takes it: needed only by its preflight."""
    entry = dict((key, value) for key, value in option.items() if key != "required")
    entry["description"] = list(option["description"]) + ["Needed only with O(preflight=true)."]
    return entry


# reltio_databricks_connection_info: the connection to check, and the Databricks options for its optional preflight.
CONNECTION_INFO_OPTIONS = {
    "connection_name": {
        "type": "str",
        "aliases": ["name"],
        "description": [
            "Name of the connection to check. Required, but for O(connections) whose entries each give theirs.",
            "Reltio cannot list connections, so the name comes from the inventory; a name Reltio does not know is"
            " reported as RV(status=missing), never created.",
        ],
    },
    "connections": {
        "type": "list",
        "elements": "dict",
        "description": [
            "Check each of these connections in this one task, instead of the one that O(tenant_id) and"
            " O(connection_name) name: each entry a dictionary of C(tenant_id), C(connection_name) and C(platform_url),"
            " each of which, left out, is the task's option of that name.",
            "Every entry is checked before any request, and named by its index in a refusal"
            " (C(connections[2].tenant_id)); so is a connection listed twice (the same platform, tenant and name). An"
            " empty list checks nothing, with a warning. One HTTP session a platform and one token serve the whole list.",
            "The result holds RV(connections), one result of the usual keys an entry; the task fails when any"
            " connection could not be checked (as a loop does), after checking every one.",
            "A token endpoint or platform that could not be connected to (after its O(retries)) is not tried again"
            " for the later entries it serves: each of those fails with C(Not tried) and the first one's RV(reason_code).",
            "Client credentials that the token endpoint refused are not sent again for the later entries (an auth server"
            " may lock out a client that keeps asking): each of those fails with C(Not tried) and RV(reason_code=reltio_auth).",
            "Not with O(preflight=true).",
        ],
    },
    "preflight": {
        "type": "bool",
        "default": False,
        "description": [
            "Also check the Databricks side with the credentials the task is given: the service principal gets an OAuth"
            " token from O(workspace_url) with O(client_id) and O(client_secret), and may read the SQL warehouse"
            " O(warehouse_id), which must exist and not be deleted.",
            "Reltio keeps its own copy of the credentials, so this tells whether the task's credentials (for example the"
            " ones in the vault after a rotation) work, not whether Reltio's do: that is RV(status).",
            "A failed preflight is reported in RV(preflight), not as a task failure. The host that runs the task must"
            " reach the workspace.",
        ],
    },
}
CONNECTION_INFO_OPTIONS.update(
    (name, _preflight_only(DATABRICKS_CONNECTION_OPTIONS[name])) for name in ("workspace_url", "warehouse_id", "client_id", "client_secret"))
CONNECTION_INFO_OPTIONS.update(ignored_options(dict(
    (name, option) for name, option in DATABRICKS_CONNECTION_OPTIONS.items() if name not in CONNECTION_INFO_OPTIONS)))

# The documentation fragments and the tables they are made of.
DOC_FRAGMENTS = {
    "tenant": TENANT_OPTIONS,
    "auth": AUTH_OPTIONS,
    "token_auth": TOKEN_AUTH_OPTIONS,
    "execution": EXECUTION_OPTIONS,
    "databricks_connection": DATABRICKS_CONNECTION_OPTIONS,
    "token_ignored": TOKEN_IGNORED_OPTIONS,
    "connection_info": CONNECTION_INFO_OPTIONS,
}

_SPEC_KEYS = ("type", "elements", "required", "default", "choices", "aliases", "no_log")


def argument_spec(table):
    """Turn an option table into an AnsibleModule argument spec."""
    spec = {}
    for name, option in table.items():
        entry = dict((key, option[key]) for key in _SPEC_KEYS if key in option)
        if required_here_or_in_env(option):
            del entry["required"]
        if "env" in option:
            entry["fallback"] = (EnvironmentFallback(), [option["env"]])
        spec[name] = entry
    return spec


def connection_argument_spec():
    return argument_spec(CONNECTION_OPTIONS)


def databricks_connection_argument_spec():
    spec = connection_argument_spec()
    spec.update(argument_spec(DATABRICKS_CONNECTION_OPTIONS))
    return spec


def connection_info_argument_spec():
    spec = connection_argument_spec()
    spec.update(argument_spec(CONNECTION_INFO_OPTIONS))
    return spec


def token_argument_spec():
    spec = argument_spec(TOKEN_AUTH_OPTIONS)
    spec.update(argument_spec(EXECUTION_OPTIONS))
    spec.update(argument_spec(TOKEN_IGNORED_OPTIONS))
    return spec


class EnvironmentFallback:
    """ansible-core's env_fallback, remembering that it filled its option: a task's result names the options it took
    from the environment (``from_environment``). A blank variable (an AWX credential injects an empty field so) is no
    value taken: the task treats it as not given. Each argument spec built has its own."""

    def __init__(self):
        self.used = False

    def __call__(self, *names, **kwargs):
        value = env_fallback(*names, **kwargs)
        self.used = self.used or bool(value.strip())
        return value

    def __eq__(self, other):
        # One argument spec equals another of the same table, whatever either has filled.
        return isinstance(other, EnvironmentFallback)

    def __hash__(self):
        return hash(EnvironmentFallback)


def from_environment(spec):
    """The options of ``spec`` filled from the environment (by AnsibleModule or apply_env_fallbacks), sorted."""
    return sorted(name for name, entry in spec.items()
                  if isinstance(entry.get("fallback", (None,))[0], EnvironmentFallback) and entry["fallback"][0].used)


def apply_env_fallbacks(spec, args, environment):
    """Fill options missing from ``args`` from ``environment``, as env_fallback does from os.environ.

    Like AnsibleModule, only options absent from ``args`` are filled: an option set to None stays None.

    For callers that run in another process than the one whose environment counts
    (the action plugins: the controller's environment plus the task's ``environment``).
    """
    filled = dict(args)
    for name, entry in spec.items():
        fallback = entry.get("fallback")
        if name not in filled and fallback and isinstance(fallback[0], EnvironmentFallback):
            for variable in fallback[1]:
                if variable in environment:
                    filled[name] = environment[variable]
                    fallback[0].used = fallback[0].used or bool(environment[variable].strip())
                    break
    return filled


def options_documentation(table):
    """The ``options`` documentation of an option table, as its file in plugins/doc_fragments/ holds it.

    The fragment must be a string literal for the sanity tests, so it is written out by
    tools/render_doc_fragment.py and a unit test keeps it equal to this.
    """
    options = {}
    for name, option in table.items():
        doc = {"description": list(option["description"]), "type": option["type"]}
        for key in ("elements", "required", "default", "choices", "aliases"):
            if key in option:
                doc[key] = option[key]
        if "bounds" in option:
            doc["description"].append(bounds_sentence(option))
        if required_here_or_in_env(option):
            del doc["required"]
            doc["description"].append(SET_HERE_OR_IN_ENV % option["env"])
        elif "env" in option and not option.get("ignored"):
            doc["description"].append("If not set, the value of the E(%s) environment variable is used." % option["env"])
        options[name] = doc
    return {"options": options}


# Values that must never be shown, whatever the option table says.
SECRET_OPTIONS = tuple(
    name
    for table in (CONNECTION_OPTIONS, DATABRICKS_CONNECTION_OPTIONS, TOKEN_IGNORED_OPTIONS)
    for name, option in table.items()
    if option.get("no_log")
)
