# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Databricks side, for the preflight: the service principal's OAuth token and the SQL warehouse.

Only this file knows Databricks' wire format (the workspace token endpoint, the warehouse API and
its ``{"error_code", "message"}`` errors). It sends through the same Transport as the Reltio API:
same timeout, retries, TLS settings and proxies, no redirects, bounded answers; it shows only Databricks' own
message fields (or a summary of a body), through the Redactor's one exit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.reltio.platform.plugins.module_utils.arguments import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ansible_collections.reltio.platform.plugins.module_utils.errors import PreflightError, TransportError
from ansible_collections.reltio.platform.plugins.module_utils.http_api import (
    TOKEN_RULE,
    BearerAuth,
    Call,
    host_of,
    parse_error_body,
    path_segment,
    read_token,
    result_value,
    usable_token,
)
from ansible_collections.reltio.platform.plugins.module_utils.transport import Transport, new_session

# Warehouse states in which Reltio can use the warehouse (a stopped one starts on first use).
USABLE_STATES = ("RUNNING", "STARTING", "STOPPED", "STOPPING")
GONE_STATES = ("DELETED", "DELETING")
_AZURE = re.compile(r"\.azuredatabricks\.net$", re.IGNORECASE)
# The reason_code of a preflight that got no answer from the workspace, by the transport's.
_TRANSPORT_REASONS = {"tls": "tls", "not_tls": "not_tls", "unreachable": "databricks_unreachable",
                      "timeout": "databricks_unreachable", "proxy": "databricks_unreachable"}
REACH_HINT = ("The host that runs the task must reach the workspace: a Databricks IP access list or a firewall may refuse"
              " it while Reltio reaches it.")


class DatabricksWorkspace:
    """One workspace, seen with one service principal's OAuth (M2M) credentials.

    ``redact`` is the task's Redactor (it learns this side's secrets); ``session``, when handed in, is the HTTP session
    to use (one kept for this workspace, TLS settings and credentials), else it makes its own.
    """

    def __init__(self, workspace_url, client_id, client_secret, redact, validate_certs=True, ca_path=None,
                 timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, session=None):
        self.workspace_url = workspace_url.rstrip("/")
        self.host = host_of(self.workspace_url)
        self.client_id = client_id
        self._client_secret = client_secret
        self.redact = redact
        redact.add(client_secret)
        redact.add_basic_auth(client_id, client_secret)
        verify = ca_path if ca_path and validate_certs else bool(validate_certs)
        self.transport = Transport(session if session is not None else new_session(retries), redact, timeout=timeout,
                                   retries=retries, verify=verify)

    def check(self, warehouse_id):
        """The preflight: the service principal gets a token, and may use the warehouse. Raises PreflightError."""
        token = self.fetch_token()
        warehouse = self.warehouse(warehouse_id, token)
        return {"warehouse_id": warehouse_id, "warehouse_name": result_value(warehouse.get("name"), self.redact),
                "warehouse_state": result_value(warehouse.get("state"), self.redact)}

    def fetch_token(self):
        call = Call("getting an OAuth token for the service principal '%s' from the Databricks workspace" % self.client_id,
                    option="workspace_url")
        answer = self._send("POST", self.workspace_url + "/oidc/v1/token", call,
                            data={"grant_type": "client_credentials", "scope": "all-apis"},
                            auth=(self.client_id, self._client_secret))
        token = read_token(answer, self.redact)[1]
        message, code = parse_error_body(answer, self.redact)
        if answer.status in (400, 401) and (code == "invalid_client" or answer.status == 401):
            advice = " Check client_id and client_secret."
            if _AZURE.search(self.host.split(":")[0]):
                advice += (" On Azure Databricks, a secret made in Microsoft Entra ID is refused here: Reltio needs an"
                           " OAuth secret created for the service principal in Databricks.")
            raise self._fail("Preflight: Databricks refused the service principal's client ID or secret: the workspace"
                             " %s answered HTTP %s%s.%s" % (self.host, answer.status, _said(code, message), advice),
                             status=answer.status, error_code=code, reason_code="databricks_auth")
        if answer.status >= 300:
            raise self._error(answer, call, message, code)
        if not usable_token(token):
            raise self._fail("Preflight: the Databricks workspace %s answered HTTP %s without a usable access_token"
                             " (not shown; a token is %s)." % (self.host, answer.status, TOKEN_RULE), status=answer.status)
        return token

    def warehouse(self, warehouse_id, token):
        call = Call("reading SQL warehouse '%s' in the Databricks workspace" % warehouse_id, option="workspace_url")
        answer = self._send("GET", "%s/api/2.0/sql/warehouses/%s" % (self.workspace_url, path_segment(warehouse_id)), call,
                            auth=BearerAuth(token))
        message, code = parse_error_body(answer, self.redact)
        if answer.status == 404 or code in ("RESOURCE_DOES_NOT_EXIST", 404):
            raise self._fail("Preflight: SQL warehouse '%s' does not exist in the Databricks workspace %s (HTTP %s%s)."
                             " Check warehouse_id: it must be a warehouse of this workspace."
                             % (warehouse_id, self.host, answer.status, _said(code, message)),
                             status=answer.status, error_code=code, reason_code="warehouse_missing")
        if answer.status == 403 or code in ("PERMISSION_DENIED", 403):
            raise self._fail("Preflight: the service principal '%s' may not use SQL warehouse '%s' in the Databricks"
                             " workspace %s (HTTP %s%s). Grant it CAN USE on the warehouse."
                             % (self.client_id, warehouse_id, self.host, answer.status, _said(code, message)),
                             status=answer.status, error_code=code, reason_code="databricks_permission")
        if answer.status >= 300:
            raise self._error(answer, call, message, code)
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise self._fail("Preflight: the Databricks workspace %s answered HTTP %s while %s with a body that is not"
                             " a warehouse." % (self.host, answer.status, call.what), status=answer.status)
        state = data.get("state")
        if state in GONE_STATES:
            raise self._fail("Preflight: SQL warehouse '%s' (%s) in the Databricks workspace %s is %s. Use another"
                             " warehouse." % (warehouse_id, result_value(data.get("name"), self.redact) or "no name", self.host,
                                              state), reason_code="warehouse_missing")
        return data

    def _send(self, method, url, call, **kwargs):
        try:
            return self.transport.send(method, url, call, **kwargs)
        except TransportError as exc:
            # A TLS problem is said as such (ca_path, the URL's scheme); no answer at all is the workspace's reach.
            reason_code = _TRANSPORT_REASONS.get(exc.reason_code, "databricks_other")
            raise PreflightError("Preflight: %s. %s" % (exc.msg.rstrip("."), REACH_HINT), status=exc.status,
                                 reason_code=reason_code)

    def _fail(self, message, **kwargs):
        """A failed preflight, its message masked: it may quote what Databricks said."""
        return PreflightError(self.redact(message), **kwargs)

    def _error(self, answer, call, message, code):
        if 300 <= answer.status < 400:
            return self._fail("Preflight: the Databricks workspace %s answered HTTP %s while %s, a redirect to %s;"
                              " redirects are not followed. Check workspace_url."
                              % (self.host, answer.status_text, call.what, answer.location_host or "nowhere"),
                              status=answer.status)
        return self._fail("Preflight: the Databricks workspace %s answered HTTP %s while %s%s."
                          % (self.host, answer.status_text, call.what, _said(code, message)),
                          status=answer.status, error_code=code)


def _said(code, message):
    """`` CODE: message``, or what there is of it."""
    if code not in (None, "") and message and str(code) != message:
        return " %s: %s" % (code, message)
    if message:
        return ": %s" % message
    return " %s" % code if code not in (None, "") else ""
