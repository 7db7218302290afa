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

import _thread
import heapq
import itertools
import json
import os
import re
import socket
import threading
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

COLLECTION_VERSION = "0.1.0"
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


class _Deadlines:
    """Runs a callback (a socket shutdown) when its deadline passes, unless it was cancelled before.

    One daemon thread per process serves every deadline: arming one is a heap push, not the start of
    a thread (a threading.Timer each would cost a thread per request and per body). Callbacks run with
    the lock held, so once ``cancel`` returns, the callback has either run to its end or never will:
    a late one can never shut the socket of a connection that has gone back to the pool.
    """

    def __init__(self):
        self._pid = None
        self._lock = None
        self._heap = []
        # [when the thread wakes up next, how many times it has]: a deadline armed for later needs no wake-up.
        self._wake = [float("-inf"), 0]
        self._cancelled = 0
        self._order = itertools.count()
        self._starting = threading.Lock()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self):
        """In a forked child: the parent's thread is not there, and its locks may be held by nobody."""
        self._pid = None
        self._starting = threading.Lock()

    def _ready(self):
        """The lock of this process's thread, started on first use (a forked worker starts its own)."""
        if self._pid != os.getpid():
            with self._starting:
                if self._pid != os.getpid():
                    self._lock = threading.Condition()
                    self._heap = []
                    # Until the thread runs: it looks at the heap before it first waits, so nothing need wake it.
                    self._wake = [float("-inf"), 0]
                    self._cancelled = 0
                    # Not threading.Thread.start(), which waits until the new thread runs: a worker forked for one
                    # host would wait for the scheduler at every start, about 2 ms on a busy controller.
                    _thread.start_new_thread(self._serve, (self._lock, self._heap, self._wake))
                    self._pid = os.getpid()
        return self._lock

    def arm(self, seconds, callback):
        """Call ``callback()`` in ``seconds`` seconds; returns the handle to cancel it with."""
        lock = self._ready()
        entry = [time.monotonic() + seconds, next(self._order), callback]
        with lock:
            heapq.heappush(self._heap, entry)
            if entry[0] < self._wake[0]:
                lock.notify()
        return entry

    def cancel(self, entry):
        if entry is not None and entry[2] is not None:
            with self._ready():
                entry[2] = None
                # A cancelled deadline stays in the heap until it is due: drop them all once they are most of it.
                self._cancelled += 1
                if self._cancelled > 256 and self._cancelled * 2 > len(self._heap):
                    self._heap[:] = [kept for kept in self._heap if kept[2] is not None]
                    heapq.heapify(self._heap)
                    self._cancelled = 0

    @staticmethod
    def _serve(lock, heap, wake):
        """Fires what is due, then sleeps until the earliest deadline, cancelled or not: a request arms one and
        cancels it, and the next arms a later one, which then needs no wake-up (a context switch a request)."""
        with lock:
            while True:
                wake[1] += 1
                while heap and heap[0][0] <= time.monotonic():
                    callback = heapq.heappop(heap)[2]
                    if callback is not None:
                        try:
                            callback()
                        except Exception:  # pylint: disable=broad-except
                            pass
                wake[0] = heap[0][0] if heap else float("inf")
                lock.wait(wake[0] - time.monotonic() if heap else None)


_DEADLINES = _Deadlines()


class _ExchangeBound:
    """Closes the socket of a try whose answer has not started (status line and headers) within its timeout.

    requests' read timeout bounds each read of the socket, so a server that sends a header a second
    would hold the task for as long as it likes.
    """

    def request(self, *args, **kwargs):  # pylint: disable=arguments-differ
        self._reltio_expired = False
        self._reltio_timer = None
        if isinstance(self.timeout, (int, float)) and self.timeout > 0:
            self._reltio_timer = _DEADLINES.arm(self.timeout, self._reltio_expire)
        return super(_ExchangeBound, self).request(*args, **kwargs)

    def _reltio_expire(self):
        self._reltio_expired = True
        sock = getattr(self, "sock", None)
        if sock is not None:
            try:
                # socket.socket's own shutdown: an SSLSocket's would drop its TLS state under the reader.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def getresponse(self, *args, **kwargs):  # pylint: disable=arguments-differ
        # urllib3 1.26 (RHEL 9) first asks with buffering=True, which Python 3 refuses with a TypeError: that
        # must not disarm the watchdog before the real call.
        kwargs.pop("buffering", None)
        try:
            response = super(_ExchangeBound, self).getresponse(*args, **kwargs)
        except Exception:
            if getattr(self, "_reltio_expired", False):
                raise socket.timeout("the answer did not start within %s s" % _seconds(self.timeout))
            raise
        finally:
            _DEADLINES.cancel(getattr(self, "_reltio_timer", None))
        if getattr(self, "_reltio_expired", False):
            # A cut-off header block parses as a complete one: never take it for an answer.
            response.close()
            raise socket.timeout("the answer did not start within %s s" % _seconds(self.timeout))
        return response


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

        A watchdog shuts the socket down at the deadline: a read of the socket waits for a whole chunk
        (or a chunk-size line, one byte at a time), so checking the clock between reads is not enough.
        """
        raw = response.raw
        read = getattr(raw, "read", None)
        if read is None:
            return response.content  # not a urllib3 answer: already read
        decoder = self._decoder(response, host, call)
        watchdog = _Watchdog(getattr(raw, "connection", None) or getattr(raw, "_connection", None), self.timeout)
        chunks, size, received = [], 0, 0
        try:
            while True:
                try:
                    chunk = read(BODY_CHUNK, decode_content=False)
                except Exception:  # pylint: disable=broad-except
                    if watchdog.expired:
                        chunk = b""
                    else:
                        raise
                if watchdog.expired:
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
            watchdog.cancel()
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


class _Watchdog:
    """Shuts a connection's socket down when ``timeout`` seconds have passed, unless cancelled before."""

    def __init__(self, connection, timeout):
        self.expired = False
        self._sock = getattr(connection, "sock", None)
        self._deadline = None
        if self._sock is not None and isinstance(timeout, (int, float)) and timeout > 0:
            self._deadline = _DEADLINES.arm(timeout, self._expire)

    def _expire(self):
        self.expired = True
        try:
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self):
        _DEADLINES.cancel(self._deadline)


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
