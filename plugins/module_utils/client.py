# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Reltio API: paths, bodies, answers and errors of the token and connection endpoints.

This is the only place that knows Reltio's wire format (paths, camelCase keys, error bodies).
It sends through a Transport (transport.py), parses each answer once, shows only Reltio's own message fields
(or a summary of a body that has none) through the Redactor's one exit, and makes each error once, from the Call
of the request. That a connection exists is an outcome (``CreateOutcome``), not an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.reltio.platform.plugins.module_utils.arguments import DEFAULT_AUTH_URL, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ansible_collections.reltio.platform.plugins.module_utils.errors import ApiError, AuthenticationError, CredentialsRefused, NotFoundError
from ansible_collections.reltio.platform.plugins.module_utils.http_api import (
    TOKEN_RULE,
    BearerAuth,
    Call,
    JsonBeyondBounds,
    parse_error_body,
    path_segment,
    read_token,
    result_value,
    usable_token,
)
from ansible_collections.reltio.platform.plugins.module_utils.redaction import Redactor
from ansible_collections.reltio.platform.plugins.module_utils.transport import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    RETRY_STATUSES,
    Transport,
    new_session,
)

__all__ = ("HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "ReltioClient", "CreateOutcome")

# Reltio tells its 400 answers apart only by their text: this is its sentence for a name in use,
# at the start of its message (not two words anywhere in an echo of the request).
_SAME_NAME = re.compile(r"^\s*A Databricks connection with the same name already exists for the tenant\b", re.IGNORECASE)
# Reltio's 404 for a tenant it does not know ("Tenant ce5627DYnQ6abcD not found"); any other 404 of Reltio's own
# (reltio_error_message) to a request about one connection is about the connection.
_TENANT_NOT_FOUND = re.compile(r"^\s*Tenant\b.*\bnot found", re.IGNORECASE)
# The reason of a failed connection test, from the words Databricks gives Reltio (Reltio passes them on): the first
# pattern found in the test's message decides. Only this adapter reads that message.
_TEST_FAILURES = (
    ("databricks_auth", re.compile(r"invalid_client|rejected the OAuth client credentials|Client authentication failed",
                                   re.IGNORECASE)),
    ("databricks_permission", re.compile(r"PERMISSION_DENIED|CAN USE", re.IGNORECASE)),
    ("warehouse_missing", re.compile(r"does not exist|is deleted|\bDELET(?:ED|ING)\b|RESOURCE_DOES_NOT_EXIST", re.IGNORECASE)),
    ("databricks_unreachable", re.compile(r"\breach|timed out|timeout|Unable to connect", re.IGNORECASE)),
)
# What a token_type is ("Bearer", "bearer", "N_A"); anything else a token endpoint sends there is not handed on.
_TOKEN_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}\Z")
# Redirect statuses after which a POST may have been carried out; 307 and 308 say "send it there instead".
_REDIRECT_MAY_HAVE_ACTED = (300, 301, 302, 303)

MAY_EXIST = "The connection may have been created all the same: run the task again, it reports ok when the connection exists."


class CreateOutcome:
    """What a create request came to: created (``connection`` holds Reltio's answer) or the name exists.

    ``confirmed_on_retry``: Reltio said "same name" to a retry of a try that was cut off, so that try created it.
    """

    def __init__(self, created, connection=None, message=None, confirmed_on_retry=False):
        self.created = created
        self.connection = connection
        self.message = message
        self.confirmed_on_retry = confirmed_on_retry


def normalize_platform_url(url):
    """``https://x.reltio.com/reltio/api/`` -> ``https://x.reltio.com``."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    for suffix in ("/reltio/api", "/reltio"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def token_lifetime(value):
    """``expires_in`` of a token answer as a finite number of seconds (a string of digits too), or None.

    Whatever else a token endpoint sends there (nested objects, NaN, text) is not handed on to the result."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 10 ** 9:
        return None
    return value


def failed_test_reason(message):
    """The reason_code of a connection test that did not connect, from Reltio's message (databricks_other if none fits)."""
    for code, pattern in _TEST_FAILURES:
        if message and pattern.search(message):
            return code
    return "databricks_other"


def _status_reason(status):
    """The reason_code of an error status that says nothing more specific."""
    return "server_error" if status >= 500 or status == 429 else "request_refused"


def reltio_error_message(answer):
    """The ``errorMessage`` of an answer in one of Reltio's error shapes (``{"errorMessage": ...}`` or
    ``{"successful": false, "error": {"errorMessage": ...}}``), or None for any other body: an HTML page, another
    service's JSON, an empty body. Not shown as it is: only to tell what a 404 says."""
    try:
        data = answer.json()
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]
    message = data.get("errorMessage") if isinstance(data, dict) else None
    return message if isinstance(message, str) and message.strip() else None


def _said(message):
    return (": %s" % message) if message else ""


class ReltioClient:
    """One tenant of one Reltio platform, with the credentials to call it.

    Whoever builds it may hand in an HTTP ``session`` to use and ``tokens`` (a client_cache.TokenSlot) that keeps
    the fetched token for the next client with the same credentials and trust; without them it makes its own session
    and keeps nothing.
    """

    def __init__(self, platform_url, tenant_id, access_token=None, client_id=None, client_secret=None, auth_url=None,
                 validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, session=None, tokens=None):
        self.platform_url = normalize_platform_url(platform_url) if platform_url else None
        self.tenant_id = tenant_id
        self.auth_url = auth_url
        self.timeout = timeout
        self.retries = retries
        self._client_id = client_id
        self._client_secret = client_secret
        self.redact = Redactor([access_token, client_id, client_secret])
        self.redact.add_basic_auth(client_id, client_secret)
        self._tokens = tokens if self.has_client_credentials else None
        self._token = access_token or (self._tokens.get() if self._tokens is not None else None)
        self.redact.add(self._token)
        verify = ca_path if ca_path and validate_certs else bool(validate_certs)
        self.transport = Transport(session if session is not None else new_session(retries), self.redact,
                                   timeout=timeout, retries=retries, verify=verify)

    @classmethod
    def from_params(cls, params, session=None, tokens=None):
        """Build a client from validated task arguments; it masks every secret among them."""
        client = cls(
            platform_url=params.get("platform_url"),
            tenant_id=params.get("tenant_id"),
            auth_url=params.get("auth_url"),
            access_token=params.get("access_token"),
            client_id=params.get("reltio_client_id"),
            client_secret=params.get("reltio_client_secret"),
            validate_certs=params.get("validate_certs", True),
            ca_path=params.get("ca_path"),
            timeout=params.get("timeout", DEFAULT_TIMEOUT),
            retries=params.get("retries", DEFAULT_RETRIES),
            session=session,
            tokens=tokens,
        )
        client.redact.add(params.get("client_secret"))
        return client

    @property
    def session(self):
        return self.transport.session

    @property
    def has_client_credentials(self):
        return bool(self._client_id and self._client_secret)

    def _fail(self, error_class, message, **kwargs):
        """An error of the task, its message masked: it may quote what a server said."""
        return error_class(self.redact(message), **kwargs)

    def _interactions_url(self, *segments):
        base = "%s/reltio/api/tenants/%s/interactions" % (self.platform_url, path_segment(self.tenant_id))
        return "/".join([base] + list(segments))

    # ---- token ---------------------------------------------------------------------------------

    def fetch_token(self):
        """Get an access token by the client credentials grant and keep it for later requests."""
        call = Call("requesting a token", option="auth_url")
        answer = self.transport.send("POST", self.auth_url, call, data={"grant_type": "client_credentials"},
                                     auth=(self._client_id, self._client_secret))
        data, token = read_token(answer, self.redact)
        if answer.status >= 300:
            raise self._token_error(answer, call)
        if data is None:
            # Never quoted: a body that is not JSON may hold a token that nothing knows to mask.
            raise self._fail(ApiError, "The token endpoint %s answered HTTP %s with a body that is not a JSON object"
                             " (%d bytes, not shown)." % (self.auth_url, answer.status, len(answer.body)),
                             status=answer.status)
        if not isinstance(token, str) or not token:
            raise self._fail(ApiError, "The token endpoint %s answered HTTP %s without an access_token."
                             % (self.auth_url, answer.status), status=answer.status)
        if not usable_token(token):
            raise self._fail(ApiError, "The token endpoint %s answered HTTP %s with an access_token that cannot be a token:"
                             " a token is %s. It is not shown, nor sent anywhere." % (self.auth_url, answer.status, TOKEN_RULE),
                             status=answer.status)
        self._token = token
        expires_in = token_lifetime(data.get("expires_in"))
        if self._tokens is not None:
            self._tokens.keep(token, expires_in)
        token_type = data.get("token_type")
        if not (isinstance(token_type, str) and _TOKEN_TYPE.match(token_type)):
            token_type = None
        return {"access_token": token, "expires_in": expires_in, "token_type": token_type}

    def ensure_token(self):
        """Fetch a token when the task has client credentials but no token yet."""
        if not self._token:
            self.fetch_token()

    def _token_error(self, answer, call):
        message, code = parse_error_body(answer, self.redact)
        if 300 <= answer.status < 400:
            return self._fail(ApiError, "The token endpoint %s answered HTTP %s, a redirect to %s; redirects are not"
                              " followed, so the client credentials were not sent there. Set auth_url to the token endpoint"
                              " itself." % (self.auth_url, answer.status_text, answer.location_host or "nowhere"),
                              status=answer.status)
        if answer.status == 404:
            return self._fail(ApiError, "The token endpoint %s answered HTTP 404 Not Found while %s%s. Check auth_url: it is"
                              " the token endpoint itself, whose path usually ends in /oauth/token (Reltio's is %s)."
                              % (self.auth_url, call.what, _said(message), DEFAULT_AUTH_URL), status=404,
                              error_code=code, reason_code="auth_url_not_found")
        if answer.status in (400, 401, 403):
            return self._fail(CredentialsRefused, "Reltio refused the client credentials: the token endpoint %s answered"
                              " HTTP %s%s. Check reltio_client_id and reltio_client_secret."
                              % (self.auth_url, answer.status, _said(message)), status=answer.status, error_code=code)
        return self._fail(ApiError, "The token endpoint %s answered HTTP %s while %s%s"
                          % (self.auth_url, answer.status_text, call.what, _said(message)),
                          status=answer.status, error_code=code, reason_code=_status_reason(answer.status))

    # ---- connections -----------------------------------------------------------------------------

    def create_connection(self, name, workspace_url, warehouse_id, client_id, client_secret):
        """Create a Databricks connection and store its OAuth credentials in one request.

        Returns a CreateOutcome: created, or a connection of that name already exists.
        """
        self.redact.add(client_secret)
        call = Call("creating connection '%s'" % name, advice_if_done=MAY_EXIST, option="platform_url")
        body = {
            "connectionName": name,
            "workspaceUrl": workspace_url,
            "warehouseId": warehouse_id,
            "clientId": client_id,
            "clientSecret": client_secret,
        }
        answer = self._post(self._interactions_url("database-configs", "databricks", "oauth", "credentials"), body, call)
        if answer.status == 400:
            message = parse_error_body(answer, self.redact)[0]
            if message and _SAME_NAME.match(message):
                return CreateOutcome(False, message=message, confirmed_on_retry=answer.retried_after_possible_commit)
        data = self._success_json(answer, call)
        connection = self._connection_from(data)
        if not (isinstance(connection["connection_id"], str) and connection["connection_id"].strip()):
            raise self._fail(ApiError, "Reltio answered HTTP %s while %s without a result.connectionId that is a"
                             " non-empty string, so it did not confirm the connection. %s" % (answer.status, call.what, MAY_EXIST),
                             status=answer.status, may_exist=True)
        return CreateOutcome(True, connection=connection)

    def store_credentials(self, name, client_id, client_secret):
        """Store (rotate) the OAuth credentials of an existing connection."""
        self.redact.add(client_secret)
        call = Call("storing the credentials of connection '%s'" % name, option="platform_url",
                    not_found=self._no_connection(name))
        url = self._interactions_url("database-configs", path_segment(name), "databricks", "oauth", "credentials")
        answer = self._post(url, {"clientId": client_id, "clientSecret": client_secret}, call)
        return self._connection_from(self._success_json(answer, call))

    def test_connection(self, name):
        """Ask Reltio to test the connection. Returns ``{connected, message, database_type}``."""
        call = Call("testing connection '%s'" % name, option="platform_url", not_found=self._no_connection(name))
        answer = self._post(self._interactions_url("database-configs", path_segment(name), "test"), None, call)
        data = self._success_json(answer, call)
        outcome = {}
        if isinstance(data, dict):
            for key in ("data", "result"):
                if isinstance(data.get(key), dict) and "connected" in data[key]:
                    outcome = data[key]
                    break
        if "connected" not in outcome:
            raise self._fail(ApiError, "Reltio answered the connection test of '%s' without a 'connected' field: %s"
                             % (name, answer.summary(self.redact)), status=answer.status)
        connected = outcome.get("connected") is True
        message = self._result_text(outcome.get("message"))
        return {
            "connected": connected,
            "message": message,
            "database_type": self._result_text(outcome.get("databaseType")),
            "reason_code": "ok" if connected else failed_test_reason(message),
        }

    def _no_connection(self, name):
        """The advice of a 404 that is not about the tenant, for a request about connection ``name``."""
        return ("Reltio knows no connection '%s' in tenant '%s': check connection_name, or create the connection."
                % (name, self.tenant_id))

    # ---- requests and answers ----------------------------------------------------------------------

    def _post(self, url, body, call):
        """POST to a tenant endpoint with the bearer token; fetch a new token once on 401.

        Returns the answer when it is a success or a 400 (which the caller reads); raises the error of any other.
        """
        self.ensure_token()
        answer = self.transport.send("POST", url, call, json=body, auth=BearerAuth(self._token))
        if answer.status == 401 and self.has_client_credentials:
            if self._tokens is not None:
                self._tokens.forget()
            self.fetch_token()
            answer = self.transport.send("POST", url, call, json=body, auth=BearerAuth(self._token))
        if answer.status >= 300 and answer.status != 400:
            raise self._error(answer, call)
        return answer

    def _success_json(self, answer, call):
        """The JSON of a 2xx answer; raises the error of a 400 or of a body that cannot be read."""
        if answer.status >= 300:
            raise self._error(answer, call)
        # Reltio said 2xx: whatever the body, it may have done the work.
        may_exist = call.changes
        changes = ". " + call.advice_if_done if may_exist else ""
        try:
            data = answer.json()
        except ValueError as exc:
            # The reason of a body too large or nested too deep (load_json's words); a parser's position says nothing.
            said = " (%s)" % exc if isinstance(exc, JsonBeyondBounds) else ""
            raise self._fail(ApiError, "Reltio answered HTTP %s while %s with a body that is not JSON%s: %s%s"
                             % (answer.status, call.what, said, answer.summary(self.redact), changes),
                             status=answer.status, may_exist=may_exist)
        if isinstance(data, dict) and data.get("successful") is False:
            message, code = parse_error_body(answer, self.redact)
            raise self._fail(ApiError, "Reltio answered HTTP %s while %s, but said it was not successful: %s%s"
                             % (answer.status, call.what, message, changes), status=answer.status, error_code=code,
                             may_exist=may_exist, reason_code="request_refused")
        return data

    def _error(self, answer, call):
        """The error of an answer that is not a success, made once, with all it must say."""
        status = answer.status
        message, code = parse_error_body(answer, self.redact)
        said = _said(message)
        if 300 <= status < 400:
            may_exist = call.changes and status in _REDIRECT_MAY_HAVE_ACTED
            return self._fail(ApiError, "Reltio answered HTTP %s while %s, a redirect to %s; redirects are not followed,"
                              " so nothing was sent there. Check platform_url: it must be the address that serves the"
                              " Reltio API.%s" % (answer.status_text, call.what, answer.location_host or "nowhere",
                                                  " " + call.advice_if_done if may_exist else ""),
                              status=status, may_exist=may_exist)
        if status in (401, 403):
            return self._fail(AuthenticationError, "Reltio refused the access token or credentials (HTTP %s) while %s%s."
                              " Check access_token, or reltio_client_id and reltio_client_secret, and that they may use"
                              " tenant '%s'." % (answer.status_text, call.what, said, self.tenant_id),
                              status=status, error_code=code)
        if status == 404:
            reltio_says = reltio_error_message(answer)
            if reltio_says is None:
                # A gateway's page, another service's JSON, nothing: not Reltio saying that something does not exist.
                advice, reason_code = ("That is not Reltio's answer: check platform_url (%s), which must be the address"
                                       " that serves the Reltio API." % self.platform_url), "unexpected_answer"
            elif call.not_found and not _TENANT_NOT_FOUND.match(reltio_says):
                advice, reason_code = call.not_found, "connection_not_found"
            else:
                advice, reason_code = ("Check tenant_id ('%s') and platform_url (%s): Reltio knows no such tenant there."
                                       % (self.tenant_id, self.platform_url)), "tenant_not_found"
            statement = "Reltio answered HTTP 404 Not Found while %s%s." % (call.what, said)
            error = self._fail(NotFoundError, "%s %s" % (statement, advice), status=status, error_code=code,
                               reason_code=reason_code)
            error.statement = self.redact(statement)
            return error
        what = call.what
        if status in RETRY_STATUSES and self.retries:
            what = "%s (after %d retries)" % (what, self.retries)
        may_exist = call.changes and status >= 500
        return self._fail(ApiError, "Reltio answered HTTP %s while %s%s%s"
                          % (answer.status_text, what, said, (". " + call.advice_if_done) if may_exist else ""),
                          status=status, error_code=code, may_exist=may_exist, reason_code=_status_reason(status))

    def _connection_from(self, data):
        """Reltio's ``result`` as the task's ``connection``: short masked scalars only (see http_api.result_value)."""
        result = data["result"] if isinstance(data, dict) and isinstance(data.get("result"), dict) else {}
        keys = (("connection_id", "connectionId"), ("connection_name", "connectionName"), ("status", "status"),
                ("message", "message"), ("timestamp", "timestamp"))
        return dict((name, result_value(result.get(key), self.redact)) for name, key in keys)

    def _result_text(self, value):
        """A text field of an answer for the result: short masked plain text, or None for anything but a string."""
        return result_value(value, self.redact) if isinstance(value, str) else None
