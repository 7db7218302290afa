# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the reltio_databricks_connection task does, whoever runs it.

``validate`` checks the arguments before any request; ``run`` takes the
changed/ok decision with a ReltioClient (and, for the preflight, a
DatabricksWorkspace) handed in, so tests can hand in mocks.

Warnings are kept for what the user can change in the task (``validate_certs``
off). That an existing connection's workspace and warehouse were not compared
is a fact of every rerun: it is in ``msg`` and ``not_compared``, not a warning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.reltio.platform.plugins.module_utils.client_cache import databricks_workspace, reltio_client
from ansible_collections.reltio.platform.plugins.module_utils.errors import ConnectionTestFailed, NotFoundError, ReltioError
from ansible_collections.reltio.platform.plugins.module_utils.validation import ArgumentCheck

SECRET_PLACEHOLDER = "<hidden>"
# What Reltio cannot read back of an existing connection, so a rerun cannot compare it.
NOT_COMPARED = ("workspace_url", "warehouse_id")


def validate(params, names=None, environment=None):
    """Check the task arguments before any request. Raises ValidationError naming every bad option (as ``names`` and
    ``environment`` say: see validation.ArgumentCheck)."""
    check = ArgumentCheck(params, names, environment)
    check.tenant()
    check.auth()
    check.name("connection_name")
    check.url("workspace_url", allow_loopback_http=False)
    check.require("warehouse_id")
    check.databricks_credentials()
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


def _check_mode(params, client, workspace, result, diff):  # pylint: disable=unused-argument
    """What a run would do, with nothing written: a token may be fetched, the preflight runs, and with test_connection
    Reltio's test probes whether the connection exists (the one read Reltio offers)."""
    name = params["connection_name"]
    always = params.get("update_secret") == "always"
    client.ensure_token()
    exists, why = _probe(client, name, result) if params.get("test_connection") else (None, "")
    if exists is None:
        msg = "Check mode: connection '%s' would be created unless it already exists" % name
        if always:
            msg += "; if it exists, its OAuth credentials would be stored again"
        msg += "; nothing was written to Reltio.%s" % why
        changed, change = True, {"before": {}, "after": _wanted(params)}
    elif not exists:
        msg = ("Check mode: connection '%s' would be created: Reltio's test answered that it does not exist (HTTP 404);"
               " nothing was written to Reltio." % name)
        changed, change = True, {"before": {}, "after": _wanted(params), "before_header": "%s (not in Reltio)" % name}
    elif result["test"]["connected"] and not always:
        result["not_compared"] = list(NOT_COMPARED)
        msg = ("Check mode: connection '%s' exists and its test passed: nothing would change. Reltio cannot read a"
               " connection back, so its workspace_url and warehouse_id were not compared with the task's." % name)
        unchanged = {"connection_name": name, "test": "passed"}
        changed, change = False, {"before": unchanged, "after": unchanged, "before_header": "%s (exists)" % name}
    else:
        result["not_compared"] = list(NOT_COMPARED)
        if result["test"]["connected"]:
            msg = ("Check mode: connection '%s' exists and its test passed; its OAuth credentials would be stored again"
                   " (update_secret: always)." % name)
        else:
            msg = ("Check mode: connection '%s' exists and its test failed (%s): the given OAuth credentials would be"
                   " stored and the test run again." % (name, (result["test"]["message"] or "Reltio gave no reason").rstrip(".")))
        changed, change = True, dict(_store_diff(params), before_header="%s (exists)" % name)
    if result["preflight"]:
        msg += " " + preflight_passed(result["preflight"])
    result.update(changed=changed, msg=msg)
    if diff:
        result["diff"] = change
    return result


def _probe(client, name, result):
    """Whether the connection exists, by Reltio's test: (True, ""), (False, "") on its 404 for the connection, or
    (None, why) when the test cannot tell. A 404 for the tenant fails the task, as the create of a real run would.
    A passing test may move a PENDING connection to ACTIVE, as a real run's test would."""
    try:
        result["test"] = client.test_connection(name)
    except NotFoundError as exc:
        if exc.reason_code != "connection_not_found":
            raise
        return False, ""
    except ReltioError as exc:
        return None, " Reltio's test could not tell whether it exists: %s" % exc.msg
    return True, ""


def preflight_passed(preflight):
    return ("Preflight passed: the service principal got a Databricks token and may use warehouse '%s' (%s)."
            % (preflight["warehouse_id"], preflight["warehouse_state"] or "state unknown"))


def _test_failed_advice(params, existed):
    advice = []
    if existed:
        advice.append("Reltio keeps the workspace_url and warehouse_id that a connection was created with: if they are"
                      " wrong, remove the connection in Reltio, or use a new connection_name.")
    if not params.get("preflight"):
        advice.append("Set preflight: true to check the service principal and the warehouse on the Databricks side"
                      " before anything is stored.")
    return (" " + " ".join(advice)) if advice else ""


def run(params, client, check_mode=False, diff=False, warn=None, workspace=None):
    """Check the Databricks side (preflight), create the connection unless it exists, then store the secret and
    test as asked; a failed test of an existing connection stores the given credentials once and tests again.

    Returns the task result. Raises ReltioError; its ``result`` then says what was already done.
    """
    warn = warn or (lambda message: None)
    name = params["connection_name"]
    result = {"changed": False, "created": False, "secret_updated": False, "connection": None, "test": None,
              "preflight": None, "not_compared": []}
    if not params.get("validate_certs", True):
        warn("validate_certs is false: the TLS certificates of Reltio are not checked.")
    try:
        if params.get("preflight"):
            result["preflight"] = workspace.check(params["warehouse_id"])
        if check_mode:
            return _check_mode(params, client, workspace, result, diff)
        msg = _create(params, client, result, diff)
        if params.get("update_secret") == "always" and not result["created"]:
            msg += _store(params, client, result, diff, " Its OAuth credentials were stored again.")
        if params.get("test_connection"):
            msg += _test(params, client, result, diff, msg)
        if result["preflight"]:
            msg += " " + preflight_passed(result["preflight"])
    except ReltioError as exc:
        exc.result = dict(result, **exc.result)
        raise
    result["msg"] = msg
    return result


def _create(params, client, result, diff):
    name = params["connection_name"]
    outcome = client.create_connection(
        name, params["workspace_url"], params["warehouse_id"], params["client_id"], params["client_secret"])
    if outcome.created:
        result.update(connection=outcome.connection, changed=True, created=True)
        msg = "Connection '%s' created in tenant '%s'." % (name, client.tenant_id)
    else:
        result["connection"] = {"connection_id": None, "connection_name": name, "status": None,
                                "message": outcome.message, "timestamp": None}
        if outcome.confirmed_on_retry:
            # The first try was cut off, yet it created the connection.
            result.update(changed=True, created=True)
            msg = "Connection '%s' created in tenant '%s' (confirmed on a retry)." % (name, client.tenant_id)
        else:
            result["not_compared"] = list(NOT_COMPARED)
            msg = ("Connection '%s' already exists in tenant '%s'. Reltio cannot read a connection back, so its"
                   " workspace_url and warehouse_id were not compared with the task's." % (name, client.tenant_id))
    if diff and result["created"]:
        result["diff"] = {"before": {}, "after": _wanted(params)}
    return msg


def _store_diff(params):
    """The diff of storing the task's credentials on the connection, secrets hidden."""
    name = params["connection_name"]
    return {"before": {"connection_name": name, "client_secret": SECRET_PLACEHOLDER},
            "after": {"connection_name": name, "client_id": params["client_id"], "client_secret": SECRET_PLACEHOLDER + " (new)"}}


def _store(params, client, result, diff, said):
    client.store_credentials(params["connection_name"], params["client_id"], params["client_secret"])
    result.update(changed=True, secret_updated=True)
    if diff:
        result["diff"] = _store_diff(params)
    return said


def _test(params, client, result, diff, msg):
    """Test the connection; an existing one whose test fails gets the given credentials once, and is tested again."""
    name = params["connection_name"]
    existed = not result["created"]
    result["test"] = client.test_connection(name)
    said = ""
    if not result["test"]["connected"] and existed and not result["secret_updated"]:
        first = result["test"]["message"] or "Reltio gave no reason"
        said = _store(params, client, result, diff,
                      " Its connection test failed (%s), so the given OAuth credentials were stored in place of the"
                      " stored ones." % first)
        result["test"] = client.test_connection(name)
    if not result["test"]["connected"]:
        raise ConnectionTestFailed("%s%s The connection test failed: %s.%s"
                                   % (msg, said, (result["test"]["message"] or "Reltio gave no reason").rstrip("."),
                                      _test_failed_advice(params, existed)), reason_code=result["test"]["reason_code"])
    return said + " Connection test passed."


def execute(params, check_mode=False, diff=False, warn=None, cache=None):
    """Validate, build the clients and run: the whole task, for the module and the action plugin.

    ``cache`` (a ClientCache, the action plugin's) keeps sessions and tokens between the loop items of a process.
    """
    validate(params)
    client = reltio_client(params, cache)
    workspace = databricks_workspace(params, client.redact, cache) if params.get("preflight") else None
    return run(params, client, check_mode=check_mode, diff=diff, warn=warn, workspace=workspace)
