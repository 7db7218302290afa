# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the reltio_databricks_connection_info task does: ask Reltio to test one connection, and report.

It never sends a create or a store request. What Reltio answers about the connection becomes a status (healthy,
failing, missing, error: the module's documentation says each), not a task failure, so that a report covers every
connection. What says nothing about the connection fails the task as usual (bad arguments, Reltio refusing the
credentials, no answer at all): it would hit every connection of the tenant alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_OPTIONS
from ansible_collections.reltio.platform.plugins.module_utils.client import normalize_platform_url
from ansible_collections.reltio.platform.plugins.module_utils.client_cache import ClientCache, databricks_workspace, reltio_client
from ansible_collections.reltio.platform.plugins.module_utils.databricks_connection import preflight_passed
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    AuthenticationError,
    CredentialsRefused,
    NotFoundError,
    PreflightError,
    ReltioError,
    TransportError,
    ValidationError,
)
from ansible_collections.reltio.platform.plugins.module_utils.validation import ArgumentCheck, blank

STATUSES = ("healthy", "failing", "missing", "error")
# What an entry of ``connections`` may set, in place of the task's option of the same name.
LISTED_OPTIONS = ("tenant_id", "connection_name", "platform_url")
# A reason longer than this is cut: a report shows it in a table cell.
MESSAGE_LENGTH = 500
# The options whose URLs an entry's check goes to.
URL_OPTIONS = ("auth_url", "platform_url")
_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\s]+")


def validate(params, names=None, environment=None):
    """Check the task arguments before any request. Raises ValidationError naming every bad option (as ``names`` and
    ``environment`` say: see validation.ArgumentCheck); with ``connections``, each entry's, each problem once."""
    if params.get("connections") is None:
        _validate_one(params, names, environment)
        return
    listed = (names or {}).get("connections", "connections")
    problems = []
    if params.get("preflight"):
        problems.append("preflight checks the Databricks side of one connection: it cannot be used with %s" % listed)
    for index, entry in enumerate(params["connections"]):
        if not isinstance(entry, dict):
            problems.append("%s[%d] must be a dictionary of %s" % (listed, index, ", ".join(LISTED_OPTIONS)))
            continue
        for key in sorted(entry, key=str):
            if key not in LISTED_OPTIONS:
                problems.append("%s[%d] has the key %s, which is none of %s" % (listed, index, key, ", ".join(LISTED_OPTIONS)))
            elif entry[key] is not None and not isinstance(entry[key], str):
                problems.append("%s[%d].%s must be a string" % (listed, index, key))
    if not problems:
        for entry, (entry_params, entry_names) in zip(params["connections"], each_connection(params, names)):
            # A value the entry sets, blank or not, is the entry's: no environment variable stands in for it.
            remedies = [option for option in (CONNECTION_OPTIONS if environment is None else environment)
                        if entry.get(option) is None]
            try:
                _validate_one(entry_params, entry_names, remedies)
            except ValidationError as exc:
                problems.extend(problem for problem in exc.problems if problem not in problems)
    if not problems:
        problems = _repeated_entries(params, listed)
    if problems:
        raise ValidationError(problems)


def _repeated_entries(params, listed):
    """A connection listed twice would be tested twice and reported in two rows: a mistake in the list."""
    problems = []
    first = {}
    for index, (entry_params, _names) in enumerate(each_connection(params)):
        key = (normalize_platform_url(entry_params.get("platform_url") or ""), entry_params["tenant_id"].strip(),
               entry_params["connection_name"].strip())
        if key in first:
            problems.append("%s[%d] names the same connection as %s[%d] (tenant_id %s, connection_name %s): list each"
                            " connection once" % (listed, index, listed, first[key], key[1], key[2]))
        first.setdefault(key, index)
    return problems


def _validate_one(params, names, environment):
    check = ArgumentCheck(params, names, environment)
    check.tenant()
    check.auth()
    check.name("connection_name")
    if params.get("preflight"):
        # The checks of reltio_databricks_connection, which sends the same credentials the same way.
        check.url("workspace_url", allow_loopback_http=False)
        check.require("warehouse_id", " with preflight: true")
        check.databricks_credentials(" with preflight: true")
    check.http()
    check.done()


def each_connection(params, names=None):
    """``(params, names)`` of each entry of ``connections``: the task's, with what the entry sets in place of the
    task's own option. What an entry sets is named by the entry (``connections[2].tenant_id``), and so is a tenant or
    connection name that neither the entry nor the task gives: a list is where they are given."""
    names = names or {}
    listed = names.get("connections", "connections")
    for index, entry in enumerate(params["connections"]):
        own = dict((option, entry[option]) for option in LISTED_OPTIONS if entry.get(option) is not None)
        named = set(own) | set(option for option in ("tenant_id", "connection_name") if blank(params.get(option)))
        yield (dict(params, connections=None, **own),
               dict(names, **dict((option, "%s[%d].%s" % (listed, index, option)) for option in named)))


def one_line(text):
    """``text`` on one line, without control characters, at most MESSAGE_LENGTH characters; None stays None."""
    if text is None:
        return None
    text = _NOT_PLAIN.sub(" ", text).strip()
    if len(text) > MESSAGE_LENGTH:
        text = text[:MESSAGE_LENGTH - 3].rstrip() + "..."
    return text


def timestamp(seconds):
    """``2026-12-04T05:00:00Z``: the UTC time of ``seconds`` since the epoch."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _reltio_says(client, name):
    """(exists, connected, status, message, reason_code) from Reltio's test of connection ``name``."""
    try:
        test = client.test_connection(name)
    except (AuthenticationError, TransportError):
        raise
    except NotFoundError as exc:
        # Reltio's 404 says whether the tenant or the connection is unknown: reason_code tells which. A 404 that is not
        # Reltio's (unexpected_answer: a gateway's page at a wrong platform_url) says neither. The message says what is
        # wrong; what to do is the advice of the reason_code (the task's msg says it).
        if exc.reason_code == "unexpected_answer":
            return None, None, "error", exc.msg, exc.reason_code
        return False, None, "missing", exc.statement or exc.msg, exc.reason_code
    except ReltioError as exc:
        return None, None, "error", exc.msg, exc.reason_code
    if test["connected"]:
        return True, True, "healthy", test["message"] or "Reltio gave no message", test["reason_code"]
    return True, False, "failing", test["message"] or "Reltio gave no reason", test["reason_code"]


def _preflight(params, workspace):
    """The preflight as a result: passed or not, and why."""
    try:
        checked = workspace.check(params["warehouse_id"])
    except PreflightError as exc:
        return {"passed": False, "message": one_line(exc.msg), "reason_code": exc.reason_code, "warehouse_id": params["warehouse_id"],
                "warehouse_name": None, "warehouse_state": None}
    checked.update(passed=True, message=preflight_passed(checked), reason_code="ok")
    return checked


SAID = {
    "healthy": "Connection '%(name)s' of tenant '%(tenant)s' is healthy: Reltio's test passed (%(message)s).",
    "failing": "Connection '%(name)s' of tenant '%(tenant)s' is failing: Reltio's test did not connect: %(message)s.",
    "missing": "Reltio does not know connection '%(name)s' in tenant '%(tenant)s'; nothing was created. %(message)s."
               " Check connection_name, or create the connection.",
    "missing_tenant": "Reltio does not know tenant '%(tenant)s'; nothing was created. %(message)s. Check tenant_id and"
                      " platform_url.",
    "error": "Reltio's test of connection '%(name)s' in tenant '%(tenant)s' gave no result: %(message)s",
}


def run(params, client, check_mode=False, diff=False, warn=None, workspace=None, clock=time.time):  # pylint: disable=unused-argument
    """Test the connection and report; with ``workspace`` (a DatabricksWorkspace), also the preflight.

    Check mode does the same: the test is Reltio's read of its own connection, and nothing is written.
    Raises ReltioError for what fails the task (see the module docstring).
    """
    warn = warn or (lambda message: None)
    if not params.get("validate_certs", True):
        warn("validate_certs is false: the TLS certificates of Reltio are not checked.")
    name = params["connection_name"]
    # A token problem is the tenant's, not the connection's: it fails the task before the test.
    client.ensure_token()
    exists, connected, status, message, reason_code = _reltio_says(client, name)
    message = one_line(message)
    result = {
        "changed": False,
        "connection_name": name,
        "tenant_id": client.tenant_id,
        "exists": exists,
        "connected": connected,
        "status": status,
        "reason_code": reason_code,
        "message": message,
        "checked_at": timestamp(clock()),
        "preflight": None,
    }
    said = "missing_tenant" if reason_code == "tenant_not_found" else status
    msg = SAID[said] % {"name": name, "tenant": client.tenant_id, "message": message.rstrip(".")}
    if workspace is not None:
        result["preflight"] = _preflight(params, workspace)
        msg += " " + result["preflight"]["message"]
        if status == "failing" and result["preflight"]["passed"]:
            msg += (" The task's Databricks credentials work while Reltio's do not: store them with"
                    " reltio.platform.reltio_databricks_connection and test_connection: true.")
    result["msg"] = msg
    return result


def execute(params, check_mode=False, diff=False, warn=None, cache=None):
    """Validate, build the clients and run: the whole task, for the module and the action plugin.

    ``cache`` (a ClientCache, the action plugin's) keeps sessions and tokens between the loop items of a process.
    With ``connections``, every connection is checked in this one call, on one cache: one token for the list.
    """
    validate(params)
    if params.get("connections") is None:
        return _execute_one(params, check_mode, diff, warn, cache)
    cache = cache or ClientCache()
    warn = warn or (lambda text: None)
    said = set()
    if not params["connections"]:
        warn("connections is an empty list: no connection was checked.")

    def warn_once(message):
        if message not in said:
            said.add(message)
            warn(message)

    checked = []
    # The first failure of each URL that could not be connected to (after its retries), by (option, URL): the entries
    # it serves are not tried again, each with the whole timeout and retries (a lane of a thousand tenants at a
    # platform that is down).
    unreached = {}
    # The client credentials are the task's: once the token endpoint refused them, asking again for each entry would
    # only be refused again (and may lock the client out).
    refused = None
    for entry_params, _names in each_connection(params):
        entry = {"failed": True, "tenant_id": entry_params["tenant_id"], "connection_name": entry_params["connection_name"]}
        earlier = next((unreached[key] for key in ((option, entry_params.get(option)) for option in URL_OPTIONS)
                        if key in unreached), None)
        if earlier is not None:
            checked.append(dict(earlier, msg="Not tried: %s could not be reached for an earlier connection of this task: %s"
                                % (earlier["option"], earlier["msg"]), **entry))
            continue
        if refused is not None:
            checked.append(dict(refused, msg="Not tried: the client credentials were refused for an earlier connection of"
                                " this task: %s" % refused["msg"], **entry))
            continue
        try:
            checked.append(_execute_one(entry_params, check_mode, diff, warn_once, cache))
        except ReltioError as exc:
            failure = dict(exc.fail_kwargs(), **entry)
            checked.append(failure)
            if isinstance(exc, CredentialsRefused):
                refused = failure
            if isinstance(exc, TransportError) and not exc.request_sent and failure.get("option") in URL_OPTIONS:
                # Not connected (refused, no route, TLS, proxy, no connection in time): the host's, not the tenant's.
                # A request that was sent and then timed out may be this tenant's alone (a test that waits on a
                # warehouse starting), so it is no reason to skip the others.
                unreached[(failure["option"], entry_params.get(failure["option"]))] = failure
    failed = [result for result in checked if result.get("failed")]
    counts = dict((status, sum(1 for result in checked if result.get("status") == status)) for status in STATUSES)
    msg = "%d connection%s: %s" % (len(checked), "" if len(checked) == 1 else "s",
                                   ", ".join("%d %s" % (counts[status], status) for status in STATUSES))
    if failed:
        error = ReltioError("%s, %d could not be checked; the first: %s" % (msg, len(failed), failed[0]["msg"]),
                            reason_code=failed[0]["reason_code"])
        error.result = {"changed": False, "connections": checked}
        raise error
    return {"changed": False, "connections": checked, "reason_code": "ok", "msg": msg + "."}


def _execute_one(params, check_mode, diff, warn, cache):
    try:
        client = reltio_client(params, cache)
        workspace = databricks_workspace(params, client.redact, cache) if params.get("preflight") else None
        return run(params, client, check_mode=check_mode, diff=diff, warn=warn, workspace=workspace)
    except ReltioError as exc:
        raise _failure(exc)


def _failure(exc):
    """``exc`` as this module reports it: in its results "status" is the health word, so a failure's HTTP status is
    "http_status"."""
    if exc.status is not None:
        exc.result = dict(exc.result, http_status=exc.status)
        exc.status = None
    return exc
