# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Reltio HTTP client: session, token, retries, error parsing, redaction.

This is the only place that knows Reltio's wire format (paths, camelCase
keys, error bodies). Every error it raises is already redacted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re
import time
import traceback
from urllib.parse import quote, urlsplit, urlunsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.reltio.platform.plugins.module_utils.arguments import DEFAULT_AUTH_URL
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    ApiError,
    AuthenticationError,
    ConnectionExistsError,
    NotFoundError,
    TransportError,
)
from ansible_collections.reltio.platform.plugins.module_utils.redaction import Redactor

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.exceptions import HTTPError, InvalidHeader
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    AuthBase = Retry = object
    HTTPError = InvalidHeader = ValueError

COLLECTION_VERSION = "0.1.0"
USER_AGENT = "reltio.platform/%s ansible-core/%s" % (COLLECTION_VERSION, ANSIBLE_VERSION)

RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRY_AFTER = 60
BACKOFF_FACTOR = 0.5
EXCERPT_LENGTH = 200
BODY_CHUNK = 65536

# A token is not reused when it expires within this many seconds.
TOKEN_EXPIRY_MARGIN = 30

# With ``reuse``, the clients of one process share these: one HTTP session per retry
# setting, one token per set of client credentials (keyed by a digest, not the secret).
_SHARED_SESSIONS = {}
_SHARED_TOKENS = {}

# Reltio tells its 400 answers apart only by their text.
_SAME_NAME = re.compile(r"same\s+name", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


class BoundedRetry(Retry):
    """urllib3 Retry that never sleeps longer than MAX_RETRY_AFTER for a Retry-After header."""

    def get_retry_after(self, response):
        try:
            seconds = super(BoundedRetry, self).get_retry_after(response)
        except InvalidHeader:
            # A Retry-After that is neither seconds nor a date: wait as the backoff says.
            return None
        if seconds is None:
            return None
        return min(seconds, MAX_RETRY_AFTER)


class BearerAuth(AuthBase):
    """Sends the token; also keeps requests from reading credentials out of ~/.netrc."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer %s" % self.token
        return request


def normalize_platform_url(url):
    """``https://x.reltio.com/reltio/api/`` -> ``https://x.reltio.com``."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    for suffix in ("/reltio/api", "/reltio"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def path_segment(value):
    """URL-encode one path segment, so a value never leaves its segment.

    Dots stay as they are (requests would decode ``%2E`` anyway): validation refuses dots-only values.
    """
    return quote(value, safe="")


def text_excerpt(text, length=EXCERPT_LENGTH):
    """A short one-line excerpt of a body that is not JSON (an HTML gateway page, say)."""
    text = _SPACES.sub(" ", _HTML_TAG.sub(" ", text)).strip()
    if len(text) > length:
        text = text[: length - 3].rstrip() + "..."
    return text


def _first_text(*values):
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def parse_error_body(body, content_type=""):
    """Find Reltio's message and code in an error body of any shape. Never raises.

    Returns ``(message, code)``; ``message`` is None for an empty body.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return None, None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return text_excerpt(body), None
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return text_excerpt(body), None
    if isinstance(data.get("error"), dict):
        inner = data["error"]
        message = _first_text(inner.get("errorMessage"), inner.get("message"), inner.get("errorDetailMessage"))
        return message or text_excerpt(body), _error_code(inner.get("errorCode"))
    message = _first_text(
        data.get("errorMessage"),
        data.get("error_description"),
        data.get("message"),
        data.get("error"),
        data.get("errorDetailMessage"),
    )
    return message or text_excerpt(body), _error_code(data.get("errorCode"))


def _error_code(code):
    """Reltio's error code, when it is one: a number or a short text."""
    if isinstance(code, bool) or not isinstance(code, (int, str)):
        return None
    return code


def _retried_after_possible_commit(response):
    """True when urllib3 tried this request again after a try that Reltio may have carried out.

    A 429 was refused before any work; a timeout, a dropped connection or a gateway's
    502/503/504 may have come after Reltio did the work.
    """
    retries = getattr(getattr(response, "raw", None), "retries", None)
    return any(getattr(entry, "status", None) != 429 for entry in getattr(retries, "history", None) or ())


class ReltioClient:
    """One tenant of one Reltio platform, with the credentials to call it."""

    def __init__(self, platform_url, tenant_id, access_token=None, client_id=None, client_secret=None,
                 auth_url=DEFAULT_AUTH_URL, validate_certs=True, ca_path=None, timeout=30, retries=3,
                 session=None, reuse=False):
        self.platform_url = normalize_platform_url(platform_url) if platform_url else None
        self.tenant_id = tenant_id
        self.auth_url = auth_url
        self.timeout = timeout
        self.retries = retries
        self._token = access_token
        self._client_id = client_id
        self._client_secret = client_secret
        self.redact = Redactor([access_token, client_id, client_secret])
        self.redact.add_basic_auth(client_id, client_secret)
        self.verify = ca_path if ca_path and validate_certs else bool(validate_certs)
        if session is None:
            session = _SHARED_SESSIONS.get(retries) if reuse else None
            if session is None:
                session = self._new_session(retries)
                if reuse:
                    _SHARED_SESSIONS[retries] = session
        self.session = session
        self._token_key = None
        if reuse and self.has_client_credentials:
            digest = hashlib.sha256(("%s\n%s" % (client_id, client_secret)).encode("utf-8")).hexdigest()
            self._token_key = (auth_url, digest)
            if not self._token:
                self._token = self._shared_token()

    @classmethod
    def from_params(cls, params, reuse=False):
        """Build a client from validated task arguments; it masks every secret among them."""
        client = cls(
            platform_url=params.get("platform_url"),
            tenant_id=params.get("tenant_id"),
            access_token=params.get("access_token"),
            client_id=params.get("reltio_client_id"),
            client_secret=params.get("reltio_client_secret"),
            auth_url=params.get("auth_url") or DEFAULT_AUTH_URL,
            validate_certs=params.get("validate_certs", True),
            ca_path=params.get("ca_path"),
            timeout=params.get("timeout", 30),
            retries=params.get("retries", 3),
            reuse=reuse,
        )
        client.redact.add(params.get("client_secret"))
        return client

    @staticmethod
    def _new_session(retries):
        session = requests.Session()
        retry = BoundedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=0,
            allowed_methods=None,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=BACKOFF_FACTOR,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        return session

    @property
    def has_client_credentials(self):
        return bool(self._client_id and self._client_secret)

    # ---- paths -------------------------------------------------------------------------------

    def _interactions_url(self, *segments):
        base = "%s/reltio/api/tenants/%s/interactions" % (self.platform_url, path_segment(self.tenant_id))
        return "/".join([base] + list(segments))

    # ---- Reltio operations -------------------------------------------------------------------

    def fetch_token(self):
        """Get an access token by the client credentials grant and keep it for later requests."""
        what = "requesting a token"
        response = self._send("POST", self.auth_url, data={"grant_type": "client_credentials"},
                              auth=(self._client_id, self._client_secret), what=what)
        if response.status_code >= 300:
            message, code = self._reltio_message(response)
            if response.status_code in (400, 401, 403):
                raise AuthenticationError(
                    "Reltio refused the client credentials: the token endpoint %s answered HTTP %s%s."
                    " Check reltio_client_id and reltio_client_secret." % (self.auth_url, response.status_code, _said(message)),
                    status=response.status_code, error_code=code)
            raise ApiError("The token endpoint %s answered HTTP %s%s" % (self.auth_url, _status_text(response), _said(message)),
                           status=response.status_code, error_code=code)
        data = self._json_or_error(response, what, quote_body=False)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError("The token endpoint %s answered HTTP %s without an access_token."
                           % (self.auth_url, response.status_code), status=response.status_code)
        self._token = token
        self.redact.add(token)
        expires_in = data.get("expires_in")
        if self._token_key:
            lifetime = expires_in if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) else 0
            _SHARED_TOKENS[self._token_key] = (token, time.monotonic() + lifetime)
        return {"access_token": token, "expires_in": expires_in, "token_type": data.get("token_type")}

    def _shared_token(self):
        token, expires_at = _SHARED_TOKENS.get(self._token_key, (None, 0))
        if token and expires_at - time.monotonic() > TOKEN_EXPIRY_MARGIN:
            self.redact.add(token)
            return token
        return None

    def ensure_token(self):
        """Fetch a token when the task has client credentials but no token yet."""
        if not self._token:
            self.fetch_token()

    def create_connection(self, name, workspace_url, warehouse_id, client_id, client_secret):
        """Create a Databricks connection and store its OAuth credentials in one request.

        Raises ConnectionExistsError when the tenant already has a connection of that name.
        """
        body = {
            "connectionName": name,
            "workspaceUrl": workspace_url,
            "warehouseId": warehouse_id,
            "clientId": client_id,
            "clientSecret": client_secret,
        }
        self.redact.add(client_secret)
        url = self._interactions_url("database-configs", "databricks", "oauth", "credentials")
        data = self._api_post(url, body, "creating connection '%s'" % name, creates=True)
        return self._connection_from_result(data)

    def store_credentials(self, name, client_id, client_secret):
        """Store (rotate) the OAuth credentials of an existing connection."""
        self.redact.add(client_secret)
        url = self._interactions_url("database-configs", path_segment(name), "databricks", "oauth", "credentials")
        data = self._api_post(url, {"clientId": client_id, "clientSecret": client_secret},
                              "storing the credentials of connection '%s'" % name)
        return self._connection_from_result(data)

    def test_connection(self, name):
        """Ask Reltio to test the connection. Returns ``{connected, message, database_type}``."""
        url = self._interactions_url("database-configs", path_segment(name), "test")
        data = self._api_post(url, None, "testing connection '%s'" % name)
        outcome = {}
        if isinstance(data, dict):
            for key in ("data", "result"):
                if isinstance(data.get(key), dict) and "connected" in data[key]:
                    outcome = data[key]
                    break
        if "connected" not in outcome:
            raise ApiError("Reltio answered the connection test of '%s' without a 'connected' field: %s"
                           % (name, text_excerpt(self.redact(json.dumps(data)))))
        return {
            "connected": outcome.get("connected") is True,
            "message": self.redact(outcome.get("message")),
            "database_type": outcome.get("databaseType"),
        }

    # ---- HTTP --------------------------------------------------------------------------------

    def _api_post(self, url, body, what, creates=False):
        """POST to a tenant endpoint with the bearer token; refresh the token once on 401.

        With ``creates``, a "same name" answer raises ConnectionExistsError, and an error that
        leaves it open whether Reltio acted (HTTP 5xx, no answer) says the connection may exist.
        """
        self.ensure_token()
        response = self._post_with_token(url, body, what, creates)
        if response.status_code == 401 and self.has_client_credentials:
            self.fetch_token()
            response = self._post_with_token(url, body, what, creates)
        if response.status_code >= 300:
            error = self._error_for(response, what, creates)
            raise _maybe_done(error) if creates and response.status_code >= 500 else error
        try:
            return self._json_or_error(response, what)
        except ApiError as error:
            # Reltio said 200: the connection is most likely there, whatever the body says.
            raise _maybe_done(error) if creates else error

    def _post_with_token(self, url, body, what, creates):
        try:
            return self._send("POST", url, json=body, auth=BearerAuth(self._token), what=what)
        except TransportError as exc:
            raise _maybe_done(exc) if creates and exc.request_sent else exc

    def _body_text(self, response):
        """The body as text, secrets masked before anything cuts it short."""
        return self.redact(response.content.decode("utf-8", "replace"))

    def _reltio_message(self, response):
        """Reltio's message and code of an error answer; masked before and after JSON unescapes it."""
        message, code = parse_error_body(self._body_text(response))
        return self.redact(message), self.redact(code)

    def _connection_from_result(self, data):
        result = data["result"] if isinstance(data, dict) and isinstance(data.get("result"), dict) else {}
        return self.redact({
            "connection_id": result.get("connectionId"),
            "connection_name": result.get("connectionName"),
            "status": result.get("status"),
            "message": result.get("message"),
            "timestamp": result.get("timestamp"),
        })

    def _send(self, method, url, what, **kwargs):
        try:
            response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, stream=True, **kwargs)
            self._read_body(response, url, what)
            return response
        except (requests.exceptions.RequestException, HTTPError) as exc:
            error = TransportError(self.redact(self._describe_transport_error(exc, url, what)))
            error.request_sent = _may_have_been_sent(exc)
            raise error

    def _read_body(self, response, url, what):
        """Read the answer's body within ``timeout`` seconds.

        requests' timeout bounds each socket read, so a server that trickles its answer
        would hold the task for as long as it likes.
        """
        raw = response.raw
        read = getattr(raw, "read1", None) or getattr(raw, "read", None)
        if read is None:
            return  # not a urllib3 answer: already read
        deadline = time.monotonic() + self.timeout
        chunks = []
        try:
            while True:
                chunk = read(BODY_CHUNK, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
                if time.monotonic() > deadline and getattr(raw, "length_remaining", None) != 0:
                    error = TransportError(self.redact("Timed out after %s s while %s at %s: the answer was still arriving"
                                                       % (_seconds(self.timeout), what, _host_of(url))))
                    error.request_sent = True
                    raise error
            # Read in full: the connection goes back to the pool for the next request.
            response._content = b"".join(chunks)  # pylint: disable=protected-access
            response._content_consumed = True  # pylint: disable=protected-access
        finally:
            response.close()

    def _describe_transport_error(self, exc, url, what):
        host = _host_of(url)
        tries = " (tried %d times)" % (self.retries + 1) if self.retries else ""
        reason = _root_cause(exc)
        if isinstance(exc, requests.exceptions.SSLError) or "CERTIFICATE_VERIFY_FAILED" in reason or "SSLError" in reason:
            return ("TLS error while %s at %s: %s. If the server uses a private CA, set ca_path to its CA bundle;"
                    " validate_certs: false turns checking off (test systems only)." % (what, host, reason))
        if isinstance(exc, requests.exceptions.Timeout) or "timed out" in reason.lower() or "Timeout" in reason:
            return "Timed out after %s s while %s at %s%s: %s" % (_seconds(self.timeout), what, host, tries, reason)
        if isinstance(exc, requests.exceptions.ProxyError):
            return "Proxy error while %s at %s: %s. Check HTTPS_PROXY and NO_PROXY." % (what, host, reason)
        return "Could not reach %s while %s%s: %s" % (host, what, tries, reason)

    def _json_or_error(self, response, what, quote_body=True):
        """The JSON body of a success answer. ``quote_body`` false: a body that may hold a secret never seen yet."""
        try:
            return response.json()
        except (ValueError, RecursionError):
            if quote_body:
                shown = text_excerpt(self._body_text(response)) or "(empty)"
            else:
                shown = "%d bytes, not shown" % len(response.content)
            raise ApiError("Reltio answered HTTP %s while %s with a body that is not JSON: %s" % (response.status_code, what, shown),
                           status=response.status_code)

    def _error_for(self, response, what, exists_means_done):
        status = response.status_code
        message, code = self._reltio_message(response)
        said = _said(message)
        if status == 400 and exists_means_done and message and _SAME_NAME.search(message):
            return ConnectionExistsError(message, status=status, error_code=code,
                                         after_retry=_retried_after_possible_commit(response))
        if status in (401, 403):
            return AuthenticationError(
                "Reltio refused the access token or credentials (HTTP %s) while %s%s. Check access_token,"
                " or reltio_client_id and reltio_client_secret, and that they may use tenant '%s'."
                % (_status_text(response), what, said, self.tenant_id), status=status, error_code=code)
        if status == 404:
            return NotFoundError(
                "Reltio answered HTTP 404 Not Found while %s%s. The tenant '%s' or the platform_url %s looks wrong."
                % (what, said, self.tenant_id, self.platform_url), status=status, error_code=code)
        if status in RETRY_STATUSES and self.retries:
            what = "%s (after %d retries)" % (what, self.retries)
        return ApiError("Reltio answered HTTP %s while %s%s" % (_status_text(response), what, said),
                        status=status, error_code=code)


def _maybe_done(error):
    """Mark an error of a create request after which the connection may exist all the same."""
    error.may_exist = True
    error.msg = error.msg.rstrip(".") + (". The connection may have been created all the same: run the task again,"
                                         " it reports ok when the connection exists.")
    return error


def _may_have_been_sent(exc):
    """False for failures that stop a request before it leaves: no connection, TLS, proxy."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    for cause in _causes(exc):
        if type(cause).__name__ in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError", "SSLError",
                                    "ConnectTimeoutError", "ProxyError"):
            return False
    return True


def _status_text(response):
    return ("%s %s" % (response.status_code, response.reason or "")).strip()


def _said(message):
    return (": %s" % message) if message else ""


def _host_of(url):
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]+)", url)
    return match.group(1).rsplit("@", 1)[-1] if match else url


def _seconds(value):
    return ("%g" % value) if isinstance(value, float) else str(value)


def _causes(exc):
    """The chain of a requests/urllib3 error, outermost first, through ``reason`` and exception arguments."""
    chain = [exc]
    while len(chain) < 20:
        inner = getattr(chain[-1], "reason", None)
        if not isinstance(inner, BaseException):
            args = getattr(chain[-1], "args", ())
            inner = args[0] if args and isinstance(args[0], BaseException) else None
        if inner is None or any(inner is seen for seen in chain):
            break
        chain.append(inner)
    return chain


def _root_cause(exc):
    """The innermost reason of a requests/urllib3 error, in one line."""
    exc = _causes(exc)[-1]
    text = str(exc) or type(exc).__name__
    # urllib3 repeats the connection object's repr: keep what a person needs.
    text = re.sub(r"<urllib3\.[^>]*>:?\s*", "", text)
    return _SPACES.sub(" ", text).strip()
