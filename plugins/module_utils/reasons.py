# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The closed set of ``reason_code`` values: why a task failed, or what the info module's status rests on.

Every failure of the collection's modules and every result of reltio_databricks_connection_info carries one, so that
a program (the role connection_health, an AWX notification) reads the reason without reading the message. The role
connection_health gives ``not_checked`` to the connections of a host that stopped before its check. The code
is decided where the error is made (transport.py, client.py, databricks_workspace.py, validation); nothing reads a
message's words to find it. The troubleshooting guide's "Reason codes" table lists each with what to do
(tests/unit/plugins/module_utils/test_reasons.py keeps the two and the role's advice table equal).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# code: what it means (the troubleshooting guide says the same).
REASONS = {
    "ok": "Reltio's connection test passed (the info module's status healthy).",
    "bad_arguments": "The task's arguments were refused before any request.",
    "missing_library": "The Python library requests is missing where the task runs.",
    "unreachable": "No connection could be made to the host (refused, no route, name not resolved).",
    "timeout": "The host did not answer within the timeout.",
    "tls": "The TLS handshake failed, for example a certificate that is not trusted.",
    "not_tls": "An https URL points at a server that does not speak TLS (a plain http server, or the wrong port).",
    "proxy": "The proxy refused or failed the request.",
    "reltio_auth": "Reltio refused the access token or the client credentials (HTTP 400, 401 or 403).",
    "auth_url_not_found": "The token endpoint auth_url answered HTTP 404: it is not a token endpoint.",
    "tenant_not_found": "Reltio answered HTTP 404 with its own error: it knows no such tenant (or the platform URL is"
                        " wrong).",
    "connection_not_found": "Reltio answered HTTP 404 with its own error: the tenant has no connection of that"
                            " name.",
    "request_refused": "Reltio refused the request (an HTTP 4xx, or an answer that says it was not successful).",
    "server_error": "The server answered HTTP 5xx or 429, after the retries.",
    "unexpected_answer": "The server answered something that cannot be read as the answer asked for (a redirect, a body"
                         " that is not JSON, a missing field, a body too large, what is not HTTP, a body that broke off,"
                         " a 404 that is not one of Reltio's errors).",
    "databricks_auth": "Databricks refused the service principal's client ID or secret.",
    "databricks_permission": "The service principal may not use the SQL warehouse.",
    "warehouse_missing": "The SQL warehouse does not exist, or is deleted.",
    "databricks_unreachable": "The Databricks workspace could not be reached.",
    "databricks_other": "The Databricks side failed for another reason (Reltio's or Databricks' own words say which).",
    "not_checked": "The check did not run for the connection: its host failed before it (in the role's argument spec,"
                   " its check of the variables, or an earlier task), or could not be reached.",
}
REASON_CODES = tuple(REASONS)


def checked(code):
    """``code`` when it is one of REASON_CODES; a ValueError otherwise (a programming error, caught by the tests)."""
    if code not in REASONS:
        raise ValueError("not a reason_code: %r" % (code,))
    return code
