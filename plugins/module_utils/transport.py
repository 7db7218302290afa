# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One HTTP exchange, bounded and redacted: the only code of the collection that touches the network.

``Transport.send`` follows no redirect, bounds each try (headers included) and the body by
``timeout``, reads at most MAX_ANSWER_BYTES of an answer (compressed or not), verifies TLS as
configured, honours the proxy environment, retries through urllib3 ``Retry`` and never keeps a
cookie. Every byte that comes back is decoded and redacted before anything else reads it:
an ``Answer`` holds only masked text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import io
import json
import re
import socket
import time
import traceback
import warnings
import zlib
from http.cookiejar import DefaultCookiePolicy

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.reltio.platform.plugins.module_utils.errors import TransportError

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import HTTPError, InsecureRequestWarning, InvalidHeader
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    AuthBase = HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = Retry = object
    HTTPError = InvalidHeader = ValueError
    InsecureRequestWarning = Warning

COLLECTION_VERSION = "0.2.0"
USER_AGENT = "reltio.platform/%s ansible-core/%s" % (COLLECTION_VERSION, ANSIBLE_VERSION)

RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRY_AFTER = 60
BACKOFF_FACTOR = 0.5
# No answer of Reltio or of a token endpoint comes near this; a larger one is not read.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
BODY_CHUNK = 65536
_SPACES = re.compile(r"\s+")
# Compiled when the module is imported: the controller imports it once before it forks its workers, which then
# inherit the patterns instead of compiling them again for every host.
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)")
_URL_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]+)")
_URL_ORIGIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*")
_URLLIB3_REPR = re.compile(r"<urllib3\.[^>]*>:?\s*")


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


class _NoCookies(DefaultCookiePolicy):
    """Nothing a server sets is kept, so no task ever sends what Reltio set for another."""

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


class _Bound:
    """The deadline (time.monotonic) of the reads of one exchange, or None; ``expired`` once a read was refused."""

    __slots__ = ("deadline", "expired")

    def __init__(self):
        self.deadline = None
        self.expired = False

    def start(self, timeout):
        """Reads from now on must end within ``timeout`` seconds."""
        self.expired = False
        self.deadline = time.monotonic() + timeout if isinstance(timeout, (int, float)) and timeout > 0 else None


class _BoundedSocketIO(socket.SocketIO):
    """A socket's reader whose every read ends by the deadline of its exchange.

    requests' read timeout bounds each read alone, so a server that sends a header, a byte of a body or of a
    chunk size a second would hold the task for as long as it likes. Here each read waits at most what is left
    of the exchange's time. No thread and no timer: a worker that makes one request pays nothing for it.
    """

    def __init__(self, sock, bound):
        super(_BoundedSocketIO, self).__init__(sock, "rb")
        self._bound = bound

    def readinto(self, b):
        deadline = self._bound.deadline
        if deadline is None:
            return super(_BoundedSocketIO, self).readinto(b)
        left = deadline - time.monotonic()
        if left <= 0:
            self._bound.expired = True
            raise socket.timeout("the time of the exchange ran out")
        sock = self._sock
        previous = sock.gettimeout()
        sock.settimeout(left if previous is None else min(previous, left))
        try:
            return super(_BoundedSocketIO, self).readinto(b)
        except socket.timeout:
            if time.monotonic() >= deadline:
                self._bound.expired = True
            raise
        finally:
            sock.settimeout(previous)


class _BoundedSource:
    """What http.client reads an answer from: the socket, through a _BoundedSocketIO."""

    def __init__(self, sock, bound):
        self._sock = sock
        self._bound = bound

    def makefile(self, mode="rb", *args, **kwargs):  # pylint: disable=unused-argument
        # As socket.makefile: the socket is closed only once its readers are (an answer with Connection: close).
        self._sock._io_refs += 1  # pylint: disable=protected-access
        return io.BufferedReader(_BoundedSocketIO(self._sock, self._bound))


class _ExchangeBound:
    """Bounds the answer of each try by its timeout: the status line and headers, then (Transport._read_body)
    the body, each within ``timeout`` seconds of reading, whatever the server dribbles."""

    def request(self, *args, **kwargs):  # pylint: disable=arguments-differ
        self.reltio_bound = _Bound()
        self.reltio_bound.start(self.timeout)
        return super(_ExchangeBound, self).request(*args, **kwargs)

    def response_class(self, sock, *args, **kwargs):
        """What http.client makes an answer with (a class there, a method here): it reads through the bound."""
        bound = getattr(self, "reltio_bound", None) or _Bound()
        return http.client.HTTPResponse(_BoundedSource(sock, bound), *args, **kwargs)

    def getresponse(self, *args, **kwargs):  # pylint: disable=arguments-differ
        # urllib3 1.26 (RHEL 9) first asks with buffering=True, which Python 3 refuses with a TypeError.
        kwargs.pop("buffering", None)
        bound = getattr(self, "reltio_bound", None)
        try:
            return super(_ExchangeBound, self).getresponse(*args, **kwargs)
        except Exception:
            if bound is not None and bound.expired:
                raise socket.timeout("the answer did not start within %s s" % _seconds(self.timeout))
            raise
        finally:
            if bound is not None:
                bound.deadline = None


class _OneWrite:
    """Writes the request head and a small body at once.

    urllib3 writes them apart (1.26 through http.client, which does the same): the server wakes up for the
    head, then again for the body, and every request pays for both.
    """

    def request(self, method, url, body=None, headers=None, **kwargs):  # pylint: disable=arguments-differ
        self._reltio_held = [] if isinstance(body, bytes) and len(body) <= BODY_CHUNK else None
        try:
            super(_OneWrite, self).request(method, url, body=body, headers=headers, **kwargs)
            held, self._reltio_held = self._reltio_held, None
            if held:
                super(_OneWrite, self).send(b"".join(held))
        finally:
            self._reltio_held = None

    def send(self, data):
        held = getattr(self, "_reltio_held", None)
        if held is None:
            return super(_OneWrite, self).send(data)
        held.append(data)
        if len(held) == 2:
            self._reltio_held = None
            super(_OneWrite, self).send(b"".join(held))
        return None


class _BoundedHTTPConnection(_ExchangeBound, _OneWrite, HTTPConnection):
    pass


class _BoundedHTTPSConnection(_ExchangeBound, _OneWrite, HTTPSConnection):
    pass


class _BoundedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _BoundedHTTPConnection


class _BoundedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _BoundedHTTPSConnection


_BOUNDED_POOLS = {"http": _BoundedHTTPPool, "https": _BoundedHTTPSPool}


def _bound_pools(manager):
    """Use the bounded connections in a urllib3 pool manager (direct or through an HTTP proxy)."""
    pools = getattr(manager, "pool_classes_by_scheme", None)
    if pools and pools.get("http") is HTTPConnectionPool and pools.get("https") is HTTPSConnectionPool:
        manager.pool_classes_by_scheme = dict(_BOUNDED_POOLS)
    return manager


class _BoundedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):  # pylint: disable=arguments-differ
        super(_BoundedAdapter, self).init_poolmanager(*args, **kwargs)
        _bound_pools(self.poolmanager)

    def proxy_manager_for(self, *args, **kwargs):  # pylint: disable=arguments-differ
        return _bound_pools(super(_BoundedAdapter, self).proxy_manager_for(*args, **kwargs))


class _NoLogin(AuthBase):
    """The session's own authentication: none. Being set, it keeps requests from taking a login from ~/.netrc
    (a matching or ``default`` entry), which would replace the task's own Authorization header."""

    def __call__(self, request):
        return request


class _Session(requests.Session if HAS_REQUESTS else object):
    """A requests session without ~/.netrc, which reads the environment once per origin.

    requests reads the proxy and CA-bundle variables (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE...) again for every
    request. Once is enough: a session is kept only as long as they stay the same (client_cache.TRUST_ENVIRONMENT).
    """

    def __init__(self):
        super(_Session, self).__init__()
        self.auth = _NoLogin()
        self._environment = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if proxies:
            return super(_Session, self).merge_environment_settings(url, proxies, stream, verify, cert)
        origin = _URL_ORIGIN.match(url)
        key = (origin.group(0) if origin else url, stream, verify, cert)
        settings = self._environment.get(key)
        if settings is None:
            settings = self._environment[key] = super(_Session, self).merge_environment_settings(url, {}, stream, verify, cert)
        return dict(settings, proxies=dict(settings["proxies"]))


def new_session(retries):
    """A requests session: retries as configured, no cookies kept, no ~/.netrc, our User-Agent."""
    session = _Session()
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
    adapter = _BoundedAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(_NoCookies())
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


class Call:
    """What one request is for, so that its errors are made once and say it.

    ``what`` reads "while <what>"; ``changes`` is the sentence to add when the request may have been
    carried out although no usable answer came back (None for a request that changes nothing).
    """

    def __init__(self, what, changes=None, secret_answer=False):
        self.what = what
        self.changes = changes
        # The answer carries a new secret (a token endpoint's): its JSON is kept for the caller to take the
        # secret from, before the masked text hides it. Nothing of it is ever shown.
        self.secret_answer = secret_answer


class Answer:
    """An HTTP answer as the rest of the collection sees it: status, reason, Location and text, all masked.

    ``secret_json``: for a Call with ``secret_answer``, the body's JSON before masking (never to be shown).
    """

    def __init__(self, status, reason, headers, text, retried_after_possible_commit=False, secret_json=None):
        self.status = status
        self.reason = reason or ""
        self.headers = headers
        self.text = text
        self.retried_after_possible_commit = retried_after_possible_commit
        self.secret_json = secret_json

    @property
    def status_text(self):
        return ("%s %s" % (self.status, self.reason)).strip()

    def json(self):
        """The body as JSON; raises ValueError when it is not."""
        try:
            return json.loads(self.text)
        except RecursionError:
            raise ValueError("JSON nested too deep")

    @property
    def location_host(self):
        """The host a redirect points at, or None."""
        location = self.headers.get("Location") if self.headers else None
        return host_of(location) if location else None


class Transport:
    """Sends requests with one session; ``redact`` masks every secret of the task in what comes back."""

    def __init__(self, session, redact, timeout=30, retries=3, verify=True):
        self.session = session
        self.redact = redact
        self.timeout = timeout
        self.retries = retries
        self.verify = verify

    def send(self, method, url, call, **kwargs):
        """One exchange. Returns an Answer; raises TransportError, already redacted, when none came."""
        host = host_of(url)
        try:
            with warnings.catch_warnings():
                # The task warns once that validate_certs is off; urllib3 would write to stderr per request.
                warnings.simplefilter("ignore", InsecureRequestWarning)
                response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, stream=True,
                                                allow_redirects=False, **kwargs)
                try:
                    body = self._read_body(response, host, call)
                finally:
                    response.close()
        except (requests.exceptions.RequestException, HTTPError) as exc:
            sent = _may_have_been_sent(exc)
            raise self._error(self._describe(exc, host, call), call, sent)
        secret_json = None
        if call.secret_answer:
            try:
                secret_json = json.loads(body.decode("utf-8", "replace"))
            except (ValueError, RecursionError):
                secret_json = None
        content_type = response.headers.get("Content-Type") or ""
        headers = {"Location": self.redact(response.headers.get("Location")), "Content-Type": self.redact(content_type)}
        return Answer(response.status_code, self.redact(response.reason), headers,
                      self.redact.body(body, _charset(content_type)), _retried_after_possible_commit(response), secret_json)

    def _error(self, message, call, sent, status=None):
        may_exist = bool(sent and call.changes)
        if may_exist:
            message = message.rstrip(".") + ". " + call.changes
        return TransportError(self.redact(message), status=status, may_exist=may_exist, request_sent=sent)

    def _read_body(self, response, host, call):
        """The body, decompressed, read within ``timeout`` seconds and at most MAX_ANSWER_BYTES long.

        Each read of the socket waits at most what is left of that time (_BoundedSocketIO): a read of the
        answer waits for a whole chunk (or a chunk-size line, one byte at a time), so checking the clock
        between reads is not enough.
        """
        raw = response.raw
        read = getattr(raw, "read", None)
        if read is None:
            return response.content  # not a urllib3 answer: already read
        decoder = self._decoder(response, host, call)
        connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
        bound = getattr(connection, "reltio_bound", None) or _Bound()
        bound.start(self.timeout)
        chunks, size, received = [], 0, 0
        try:
            while True:
                try:
                    chunk = read(BODY_CHUNK, decode_content=False)
                except Exception:  # pylint: disable=broad-except
                    if bound.expired:
                        chunk = b""
                    else:
                        raise
                if bound.expired:
                    raise self._error("Timed out after %s s while %s at %s: the answer was still arriving"
                                      % (_seconds(self.timeout), call.what, host), call, sent=True)
                if not chunk:
                    break
                received += len(chunk)
                if decoder is not None:
                    chunk = decoder.decompress(chunk, MAX_ANSWER_BYTES - size + 1)
                size += len(chunk)
                if size > MAX_ANSWER_BYTES or received > MAX_ANSWER_BYTES:
                    raise self._error("%s answered HTTP %s while %s with a body of more than %d MB; it was not read"
                                      % (host, response.status_code, call.what, MAX_ANSWER_BYTES // (1024 * 1024)),
                                      call, sent=not 400 <= response.status_code < 500, status=response.status_code)
                chunks.append(chunk)
        finally:
            bound.deadline = None
        if decoder is not None:
            try:
                chunks.append(decoder.flush())
            except zlib.error:
                pass
        return b"".join(chunks)

    def _decoder(self, response, host, call):
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding in ("", "identity"):
            return None
        if encoding in ("gzip", "x-gzip", "deflate"):
            return _Inflater()
        raise self._error("%s answered HTTP %s while %s with a body in the %s encoding, which was not asked for"
                          % (host, response.status_code, call.what, _SPACES.sub(" ", self.redact(encoding))[:40]),
                          call, sent=not 400 <= response.status_code < 500, status=response.status_code)

    def _describe(self, exc, host, call):
        what = call.what
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


def _charset(content_type):
    """The charset a Content-Type names, or None."""
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


class _Inflater:
    """gzip or zlib, told apart by the header; never produces more than asked for."""

    def __init__(self):
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)

    def decompress(self, data, limit):
        try:
            return self._inflate.decompress(data, limit)
        except zlib.error:
            return data

    def flush(self):
        return self._inflate.flush()


def _retried_after_possible_commit(response):
    """True when urllib3 tried this request again after a try that the server may have carried out.

    A 429 was refused before any work; a timeout, a dropped connection or a gateway's
    502/503/504 may have come after the server did the work.
    """
    retries = getattr(getattr(response, "raw", None), "retries", None)
    return any(getattr(entry, "status", None) != 429 for entry in getattr(retries, "history", None) or ())


def _may_have_been_sent(exc):
    """False for failures that stop a request before it leaves: no connection, TLS, proxy."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    for cause in _causes(exc):
        if type(cause).__name__ in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError", "SSLError",
                                    "ConnectTimeoutError", "ProxyError"):
            return False
    return True


def host_of(url):
    """The host (and port) of a URL, without any user name or password."""
    match = _URL_HOST.match(url)
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
    text = _URLLIB3_REPR.sub("", text)
    return _SPACES.sub(" ", text).strip()
