# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP sessions and tokens kept between the tasks of one process (the loop items of the action plugin).

The owner (the action plugin) makes one ClientCache and hands it to each client. A kept thing is
found again only under a key that holds everything deciding trust and identity: the hosts, the TLS
settings, the proxy and CA environment, and a digest of the credentials. A task with other TLS
settings or other credentials never gets a connection, a cookie or a token of another one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import os
import time

# A token is not reused when it expires within this many seconds.
TOKEN_EXPIRY_MARGIN = 30
# Sessions kept at once; the least recently used one is closed beyond.
MAX_SESSIONS = 16
# The environment that decides where requests go and which certificates are trusted.
TRUST_ENVIRONMENT = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                     "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def digest(*values):
    """A digest of values (credentials), never the values themselves."""
    text = "\n".join("" if value is None else str(value) for value in values)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# The first SHA-256 of a process sets up OpenSSL's digest: done when the module is imported (on the controller,
# before it forks its workers), so that no worker does it again for its first task.
hashlib.sha256()


def trust_environment():
    """The proxy and CA variables of this process, as they are now.

    urllib (which requests asks) reads every variable whose name ends in ``_proxy`` in any case (``Https_Proxy``,
    ``No_Proxy``...), and drops HTTP_PROXY when REQUEST_METHOD is set: those are part of the key too, since a
    session reads the environment only once per origin (transport._Session). One pass over the names; only the
    values of those are read.
    """
    known = dict.fromkeys(TRUST_ENVIRONMENT)
    other = []
    environ = os.environ
    for name in environ:
        if name in known:
            known[name] = environ[name]
        elif name[-6:].lower() == "_proxy" or name == "REQUEST_METHOD":
            other.append((name, environ[name]))
    return tuple(known.items()) + tuple(sorted(other))


def ca_file_state(ca_path):
    """A CA file by path and content version: a replaced bundle is another trust."""
    if not ca_path:
        return None
    try:
        status = os.stat(ca_path)
    except OSError:
        return (ca_path, None)
    return (ca_path, status.st_mtime_ns, status.st_size)


def trust_key(verify, ca_path, validate_certs, timeout, retries):
    """Everything that decides trust, for a kept session's or token's key: a client finds one again only if it
    trusts the same (the TLS settings and CA file, the proxy and CA environment, the time and retry bounds)."""
    return (verify, ca_file_state(ca_path if validate_certs else None), trust_environment(), timeout, retries)


class ClientCache:
    """Sessions and tokens of one process, each under its trust-and-identity key."""

    def __init__(self, max_sessions=MAX_SESSIONS, clock=time.monotonic):
        self._sessions = collections.OrderedDict()
        self._tokens = {}
        self._max_sessions = max_sessions
        self._clock = clock

    def session(self, key, make):
        """The session kept under ``key``, or a new one made by ``make()`` and kept."""
        session = self._sessions.get(key)
        if session is None:
            session = make()
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
