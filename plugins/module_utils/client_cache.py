# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP sessions and tokens kept between the tasks of one process (the loop items of the action plugin).

The owner (the action plugin) makes one ClientCache and hands it to ``reltio_client`` and ``databricks_workspace``,
which hand each client the session and token kept for it. A kept thing is found again only under a key that holds
everything deciding trust and identity: the hosts, the TLS settings, the proxy and CA environment, and a digest of
the credentials. A task with other TLS settings or other credentials never gets a connection, a cookie or a token
of another one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import os
import time

from ansible_collections.reltio.platform.plugins.module_utils.arguments import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.databricks_workspace import DatabricksWorkspace
from ansible_collections.reltio.platform.plugins.module_utils.http_api import host_of
from ansible_collections.reltio.platform.plugins.module_utils.transport import new_session

# A token is not reused when it expires within this many seconds.
TOKEN_EXPIRY_MARGIN = 30
# Sessions kept at once; the least recently used one is closed beyond.
MAX_SESSIONS = 16
# The CA variables that decide which certificates requests trusts; every *_proxy variable (any case) counts too.
CA_ENVIRONMENT = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def digest(*values):
    """A digest of values (credentials), never the values themselves."""
    text = "\n".join("" if value is None else str(value) for value in values)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def trust_environment():
    """The proxy and CA variables of this process, as they are now: what urllib (which requests asks) reads, every
    variable whose name ends in ``_proxy`` in any case, and REQUEST_METHOD, which makes it drop HTTP_PROXY."""
    return tuple(sorted((name, value) for name, value in os.environ.items()
                        if name in CA_ENVIRONMENT or name.lower().endswith("_proxy") or name == "REQUEST_METHOD"))


def ca_file_state(ca_path):
    """A CA file by path and content version: a replaced bundle is another trust."""
    if not ca_path:
        return None
    try:
        status = os.stat(ca_path)
    except OSError:
        return (ca_path, None)
    return (ca_path, status.st_mtime_ns, status.st_size)


def trust_key(params):
    """Everything in a task's arguments and environment that decides trust, for a kept session's or token's key:
    the TLS settings and CA file, the proxy and CA environment, the time and retry bounds."""
    validate_certs = params.get("validate_certs", True)
    return (bool(validate_certs), ca_file_state(params.get("ca_path") if validate_certs else None), trust_environment(),
            params.get("timeout"), params.get("retries"))


def reltio_client(params, cache=None):
    """The task's ReltioClient; with a cache, on the session and the token kept for the same hosts, trust and
    credentials."""
    if cache is None:
        return ReltioClient.from_params(params)
    trust = trust_key(params)
    hosts = (host_of(params.get("platform_url") or ""), host_of(params["auth_url"]))
    identity = digest(params.get("access_token"), params.get("reltio_client_id"), params.get("reltio_client_secret"))
    session = cache.session((hosts, trust, identity), params.get("retries", DEFAULT_RETRIES))
    tokens = TokenSlot(cache, (params["auth_url"], trust, digest(params.get("reltio_client_id"), params.get("reltio_client_secret"))))
    return ReltioClient.from_params(params, session=session, tokens=tokens)


def databricks_workspace(params, redact, cache=None):
    """The task's DatabricksWorkspace, masking with ``redact``; with a cache, on the session kept for the same
    workspace, trust and credentials."""
    session = None
    if cache is not None:
        key = ((host_of(params["workspace_url"]),), trust_key(params), digest(params["client_id"], params["client_secret"]))
        session = cache.session(key, params.get("retries", DEFAULT_RETRIES))
    return DatabricksWorkspace(params["workspace_url"], params["client_id"], params["client_secret"], redact,
                               validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
                               timeout=params.get("timeout", DEFAULT_TIMEOUT), retries=params.get("retries", DEFAULT_RETRIES), session=session)


class TokenSlot:
    """Where a client keeps its fetched token: one key of a ClientCache."""

    def __init__(self, cache, key):
        self._cache = cache
        self._key = key

    def get(self):
        return self._cache.token(self._key)

    def keep(self, token, expires_in):
        self._cache.keep_token(self._key, token, expires_in)

    def forget(self):
        self._cache.forget_token(self._key)


class ClientCache:
    """Sessions and tokens of one process, each under its trust-and-identity key."""

    def __init__(self, max_sessions=MAX_SESSIONS, clock=time.monotonic):
        self._sessions = collections.OrderedDict()
        self._tokens = {}
        self._max_sessions = max_sessions
        self._clock = clock

    def session(self, key, retries):
        """The session kept under ``key``, or a new one (transport.new_session) kept."""
        session = self._sessions.get(key)
        if session is None:
            session = new_session(retries)
            self._sessions[key] = session
            while len(self._sessions) > self._max_sessions:
                self._sessions.popitem(last=False)[1].close()
        else:
            self._sessions.move_to_end(key)
        return session

    def token(self, key):
        """A token kept under ``key`` that is valid for longer than the margin, or None."""
        token, expires_at = self._tokens.get(key, (None, 0))
        if token and expires_at - self._clock() > TOKEN_EXPIRY_MARGIN:
            return token
        return None

    def keep_token(self, key, token, expires_in):
        """Keep a token for ``expires_in`` seconds; one without a usable lifetime is not kept."""
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or expires_in <= TOKEN_EXPIRY_MARGIN:
            self._tokens.pop(key, None)
            return
        self._tokens[key] = (token, self._clock() + expires_in)

    def forget_token(self, key):
        self._tokens.pop(key, None)

    def __len__(self):
        return len(self._sessions)
