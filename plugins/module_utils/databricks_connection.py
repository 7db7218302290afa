# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the reltio_databricks_connection task does, whoever runs it.

``validate`` checks the arguments before any request; ``run`` takes the
changed/ok decision with a ReltioClient handed in, so tests can hand in a mock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.errors import ConnectionExistsError, ConnectionTestFailed, ReltioError
from ansible_collections.reltio.platform.plugins.module_utils.validation import ArgumentCheck

SECRET_PLACEHOLDER = "<hidden>"


def validate(params):
    """Check the task arguments before any request. Raises ValidationError naming every bad option."""
    check = ArgumentCheck(params)
    check.tenant()
    check.auth()
    check.name("connection_name")
    check.url("workspace_url", allow_loopback_http=False)
    for name in ("warehouse_id", "client_id", "client_secret"):
        check.require(name)
    check.http()
    check.done()


def _wanted(params):
    """The connection as the task wants it, for diff mode, secret hidden."""
    return {
        "connection_name": params["connection_name"],
        "workspace_url": params["workspace_url"],
        "warehouse_id": params["warehouse_id"],
        "client_id": params["client_id"],
        "client_secret": SECRET_PLACEHOLDER,
    }


def run(params, client, check_mode=False, diff=False, warn=None):
    """Create the connection unless it exists, then rotate the secret and test as asked.

    Returns the task result. Raises ReltioError; its ``result`` then says what was already done.
    """
    warn = warn or (lambda message: None)
    name = params["connection_name"]
    result = {"changed": False, "created": False, "secret_updated": False, "connection": None, "test": None}
    if not params.get("validate_certs", True):
        warn("validate_certs is false: the TLS certificates of Reltio are not checked.")

    if check_mode:
        # No read exists, so the only honest prediction without writing is "would create".
        client.ensure_token()
        result.update(changed=True, msg="Check mode: connection '%s' would be created unless it already exists;"
                                        " nothing was sent to Reltio." % name)
        if diff:
            result["diff"] = {"before": {}, "after": _wanted(params)}
        return result

    try:
        try:
            result["connection"] = client.create_connection(
                name, params["workspace_url"], params["warehouse_id"], params["client_id"], params["client_secret"])
            result.update(changed=True, created=True)
            msg = "Connection '%s' created in tenant '%s'." % (name, client.tenant_id)
        except ConnectionExistsError as exc:
            result["connection"] = {"connection_id": None, "connection_name": name, "status": None,
                                    "message": exc.msg, "timestamp": None}
            if exc.after_retry:
                # The first try was cut off, yet it created the connection.
                result.update(changed=True, created=True)
                msg = "Connection '%s' created in tenant '%s' (confirmed on a retry)." % (name, client.tenant_id)
            else:
                msg = "Connection '%s' already exists in tenant '%s'." % (name, client.tenant_id)
                warn("Connection '%s' already exists. Reltio offers no way to read it, so workspace_url and"
                     " warehouse_id were not compared with what is stored." % name)
        if diff and result["created"]:
            result["diff"] = {"before": {}, "after": _wanted(params)}

        if params.get("update_secret") == "always" and not result["created"]:
            client.store_credentials(name, params["client_id"], params["client_secret"])
            result.update(changed=True, secret_updated=True)
            msg += " Its OAuth credentials were stored again."
            if diff:
                result["diff"] = {"before": {"connection_name": name, "client_secret": SECRET_PLACEHOLDER},
                                  "after": {"connection_name": name, "client_id": params["client_id"],
                                            "client_secret": SECRET_PLACEHOLDER + " (new)"}}

        if params.get("test_connection"):
            result["test"] = client.test_connection(name)
            if not result["test"]["connected"]:
                raise ConnectionTestFailed("%s The connection test failed: %s"
                                           % (msg, result["test"]["message"] or "Reltio gave no reason"))
            msg += " Connection test passed."
    except ReltioError as exc:
        exc.result = dict(result, **exc.result)
        raise
    result["msg"] = msg
    return result


def execute(params, check_mode=False, diff=False, warn=None, reuse=False):
    """Validate, build the client and run: the whole task, for the module and the action plugin.

    ``reuse`` shares the HTTP session and token between calls in one process (the action plugin's loops).
    """
    validate(params)
    return run(params, ReltioClient.from_params(params, reuse=reuse), check_mode=check_mode, diff=diff, warn=warn)
