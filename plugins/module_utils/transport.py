# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One HTTP exchange, bounded and redacted: the only code of the collection that touches the network.

``Transport.send`` follows no redirect, connects within ``timeout``, takes at most ``timeout`` for a whole answer
of each try (status line, headers and body: _AnswerDeadline), reads at most MAX_ANSWER_BYTES of an answer
(compressed or not), verifies TLS as configured, honours the proxy environment (never for plain http to a loopback
host), retries through urllib3 ``Retry`` and never keeps a cookie. An ``Answer`` holds the body as received, for the
adapters to parse once; nothing of it is shown but through ``Redactor.shown``. Its own errors are short and masked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import re
import socket
import ssl
import threading
import time
import traceback
import warnings
import zlib
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.reltio.platform.plugins.module_utils.errors import TransportError
from ansible_collections.reltio.platform.plugins.module_utils.http_api import (
    MAX_HEADER_SHOWN,
    MAX_REASON_LENGTH,
    Answer,
    host_of,
    is_loopback,
)

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import (
        ConnectTimeoutError,
        HTTPError,
        InsecureRequestWarning,
        InvalidHeader,
        NewConnectionError,
        ReadTimeoutError,
    )
    from urllib3.exceptions import ProxyError as Urllib3ProxyError
    from urllib3.exceptions import SSLError as Urllib3SSLError
    from urllib3.poolmanager import PoolManager
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    AuthBase = HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object
    PoolManager = Retry = object
    HTTPError = InvalidHeader = ConnectTimeoutError = NewConnectionError = ReadTimeoutError = ValueError
    Urllib3ProxyError = Urllib3SSLError = ValueError
    InsecureRequestWarning = Warning

COLLECTION_VERSION = "0.2.0"
USER_AGENT = "reltio.platform/%s ansible-core/%s" % (COLLECTION_VERSION, ANSIBLE_VERSION)

RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRY_AFTER = 60
BACKOFF_FACTOR = 0.5
# No answer of Reltio or of a token endpoint comes near this; a larger one is not read.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
BODY_CHUNK = 65536
# A request to plain http on a loopback host (the emulator) goes there directly, whatever the proxy variables say:
# a proxy would see its bearer token and secrets in clear text.
NO_PROXIES = {"http": None, "https": None, "all": None}
# What _AnswerDeadline.connect says when a proxy's answer to CONNECT ran out of time: no request was sent.
NOT_CONNECTED = "the connection was not made"
_SPACES = re.compile(r"\s+")
# OpenSSL's reasons (ssl.SSLError.reason) for a TLS handshake answered by a server that does not speak TLS (a plain
# http server): OpenSSL 3.0 and 1.1 say the first, 3.2 and later may say the second.
_NOT_TLS_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE")
# How urllib3 names a connection in its errors: "<urllib3.connection.HTTPSConnection object at 0x...>: " (1.26) or
# "HTTPSConnection(host='...', port=443): " (2.x). A message names the host itself.
# Every repetition is bounded, and it reads at most MAX_CAUSE_READ characters of an error (which may quote a status
# line of 64 KiB): a match that could start again inside another would make it quadratic.
_CONNECTION_NAME = re.compile(r"<urllib3\.[^<>]{0,200}>:?\s{0,4}"
                              r"|\b[A-Za-z]{0,40}(?:Connection|Pool)[A-Za-z]{0,40}\((?:host|url)=[^()]{0,600}\):?\s{0,4}")
MAX_CAUSE_READ = 2000
# What a message shows of that reason.
MAX_CAUSE_LENGTH = 300


class NotConnected(socket.timeout):
    """What _AnswerDeadline.connect raises when a try ran out of time before its connection was made (our own
    deadline, or the TLS handshake's own timeout): no request was sent. A socket.timeout, so that urllib3 and requests
    treat it as the timeout it is; its type, not its words, tells Transport that nothing was sent."""


class BoundedRetry(Retry):
    """urllib3 Retry that retries only the statuses of RETRY_STATUSES (urllib3 would also retry a 413 that says
    Retry-After) and never sleeps longer than MAX_RETRY_AFTER for a Retry-After header."""

    def is_retry(self, method, status_code, has_retry_after=False):
        return status_code in RETRY_STATUSES and super(BoundedRetry, self).is_retry(method, status_code, has_retry_after)

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


class _Exchange(threading.local):
    """What the tries of the exchange in progress on this thread did (Transport.send sets it up): ``written_tries``
    counts the tries whose request was written whole and whose answer was awaited. Such a try may have been carried
    out, whatever the tries after it met (a refused connection, a TLS error), so an exchange is judged by every try."""

    written_tries = 0


_EXCHANGE = _Exchange()


class _AnswerDeadline:
    """The one shim of the collection on a library: a whole answer within the timeout (development guide, "The answer
    deadline")."""

    _answer_timer = None
    answer_cut_off = False

    def connect(self):
        # A try on a new connection starts here: connecting, a proxy's answer to CONNECT, the TLS handshake, sending
        # and the whole answer come within one timeout (the deadline runs on until the answer is read).
        self._start_deadline()
        try:
            return super(_AnswerDeadline, self).connect()
        except socket.timeout:
            # The TLS handshake or a proxy's answer to CONNECT took too long (connecting itself is urllib3's
            # ConnectTimeoutError).
            raise NotConnected("%s within %s s" % (NOT_CONNECTED, _seconds(self.timeout)))
        except Exception:
            if self.answer_cut_off:
                raise NotConnected("%s within %s s" % (NOT_CONNECTED, _seconds(self.timeout)))
            raise

    def request(self, *args, **kwargs):  # pylint: disable=arguments-differ
        if self._answer_timer is None:
            # A try on a kept connection starts here.
            self._start_deadline()
        super(_AnswerDeadline, self).request(*args, **kwargs)
        # The request is written whole: from here the server may act on it.
        _EXCHANGE.written_tries += 1

    def getresponse(self, *args, **kwargs):  # pylint: disable=arguments-differ
        if self._answer_timer is None:
            self._start_deadline()
        try:
            return super(_AnswerDeadline, self).getresponse(*args, **kwargs)
        except Exception:
            if self.answer_cut_off:
                raise socket.timeout("the answer did not arrive within %s s" % _seconds(self.timeout))
            raise

    def _start_deadline(self):
        self.stop_deadline()
        self.answer_cut_off = False
        seconds = self.timeout
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds > 0:
            self._answer_timer = threading.Timer(seconds, self._cut_off)
            self._answer_timer.daemon = True
            self._answer_timer.start()

    def _cut_off(self):
        """At the deadline: shut down the socket the connection reads from (none yet: the connect timeout holds)."""
        self.answer_cut_off = True
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop_deadline(self):
        """The answer has been read (or given up): the timer is cancelled; ``answer_cut_off`` says whether it fired."""
        timer, self._answer_timer = self._answer_timer, None
        if timer is not None:
            timer.cancel()

    def close(self):
        self.stop_deadline()
        super(_AnswerDeadline, self).close()


class _DeadlineHTTPConnection(_AnswerDeadline, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_AnswerDeadline, HTTPSConnection):
    pass


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with the connections of _AnswerDeadline, direct and through a proxy."""

    def init_poolmanager(self, *args, **kwargs):  # pylint: disable=arguments-differ
        super(_DeadlineAdapter, self).init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}

    def proxy_manager_for(self, *args, **kwargs):  # pylint: disable=arguments-differ
        manager = super(_DeadlineAdapter, self).proxy_manager_for(*args, **kwargs)
        if isinstance(manager, PoolManager):
            manager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}
        return manager


class _NoLogin(AuthBase):
    """The session's own authentication: none. Being set, it keeps requests from taking a login from ~/.netrc
    (a matching or ``default`` entry), which would replace the task's own Authorization header."""

    def __call__(self, request):
        return request


def new_session(retries):
    """A requests session: retries as configured, no cookies kept, no ~/.netrc, our User-Agent."""
    session = requests.Session()
    session.auth = _NoLogin()
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
    adapter = _DeadlineAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(_NoCookies())
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


class Transport:
    """Sends requests with one session; ``redact`` masks every secret of the task in what comes back."""

    def __init__(self, session, redact, timeout, retries, verify=True):
        self.session = session
        self.redact = redact
        self.timeout = timeout
        self.retries = retries
        self.verify = verify

    def send(self, method, url, call, **kwargs):
        """One exchange. Returns an Answer; raises TransportError, already redacted, when none came."""
        host = host_of(url)
        if _plain_http_to_loopback(url):
            kwargs["proxies"] = NO_PROXIES
        _EXCHANGE.written_tries = 0
        started = time.monotonic()
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
            sent = _EXCHANGE.written_tries > 0 or _may_have_been_sent(exc)
            message, reason_code = self._describe(exc, host, call, sent, time.monotonic() - started)
            raise self._error(message, call, sent, reason_code=reason_code)
        # The reason phrase and the Location are shown as they are: masked before they are cut, as every shown text.
        headers = {"Location": self.redact.shown(response.headers.get("Location"), MAX_HEADER_SHOWN),
                   "Content-Type": response.headers.get("Content-Type")}
        return Answer(response.status_code, self.redact.shown(response.reason, MAX_REASON_LENGTH), headers, body,
                      _retried_after_possible_commit(response))

    def _error(self, message, call, sent, status=None, reason_code="unexpected_answer"):
        may_exist = bool(sent and call.changes)
        if may_exist:
            message = message.rstrip(".") + ". " + call.advice_if_done
        error = TransportError(self.redact(message), status=status, may_exist=may_exist, request_sent=sent,
                               reason_code=reason_code)
        if call.option:
            # Which option set the host, as a value: advice names the option to fix (the role connection_health).
            error.result["option"] = call.option
        return error

    def _read_body(self, response, host, call):
        """The body, decompressed, at most MAX_ANSWER_BYTES long, within the time of the answer (_AnswerDeadline)."""
        raw = response.raw
        decoder = self._decoder(response, host, call)
        connection = getattr(raw, "connection", None)
        chunks, size, received, timed_out = [], 0, 0, False
        try:
            while True:
                try:
                    chunk = raw.read(BODY_CHUNK, decode_content=False)
                except Exception as exc:  # pylint: disable=broad-except
                    if not (getattr(connection, "answer_cut_off", False) or _timed_out(_causes(exc))):
                        # The server answered (a status and headers), then its body broke off or was not HTTP
                        # (a chunk size that is no number, fewer bytes than its Content-Length, a TLS error).
                        raise self._error("%s answered HTTP %s while %s, but its body broke off: %s"
                                          % (host, response.status_code, call.what, _root_cause(exc, self.redact)),
                                          call, sent=not 400 <= response.status_code < 500, status=response.status_code)
                    timed_out = True
                if timed_out or getattr(connection, "answer_cut_off", False):
                    raise self._error("Timed out after %s s while %s at %s: the answer was still arriving"
                                      % (_seconds(self.timeout), call.what, host), call, sent=True, reason_code="timeout")
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
            if connection is not None:
                connection.stop_deadline()
        length = response.headers.get("Content-Length") or ""
        if length.isdigit() and received < int(length):
            # urllib3 2 raises this itself; 1.26 (RHEL 9) returns what came.
            raise self._error("%s answered HTTP %s while %s, but its body broke off: %d of its %s bytes came"
                              % (host, response.status_code, call.what, received, length[:20]), call,
                              sent=not 400 <= response.status_code < 500, status=response.status_code)
        if decoder is not None:
            try:
                chunks.append(decoder.flush())
            except zlib.error:
                pass
        return b"".join(chunks)

    def _decoder(self, response, host, call):
        said = response.headers.get("Content-Encoding") or "identity"
        encoding = said.strip().lower()
        if encoding in ("", "identity"):
            return None
        if encoding in ("gzip", "x-gzip", "deflate"):
            return _Inflater()
        # Masked as the server wrote it, before anything else is done to it.
        raise self._error("%s answered HTTP %s while %s with a body in the %s encoding, which was not asked for"
                          % (host, response.status_code, call.what, _SPACES.sub(" ", said[:200]).strip()[:40]),
                          call, sent=not 400 <= response.status_code < 500, status=response.status_code)

    def _describe(self, exc, host, call, sent, elapsed):
        """``(message, reason_code)`` of an exchange that got no usable answer; ``sent``: a try's request may have
        reached the server; ``elapsed``: the seconds all its tries and the waits between them took.

        The reason_code is decided from the types of the exception and of its causes (requests', urllib3's, ssl's,
        http.client's and NotConnected), never from their words: those may quote what a server sent."""
        what = call.what
        if call.option:
            # Which option set the host, so that a wrong one is found where it is set.
            host = "%s (from %s)" % (host, call.option)
        tries = " (tried %d times, %.1f s in all)" % (self.retries + 1, elapsed) if self.retries else ""
        causes = _causes(exc)
        reason = _root_cause(exc, self.redact)
        tls = any(isinstance(cause, (requests.exceptions.SSLError, Urllib3SSLError, ssl.SSLError)) for cause in causes)
        if tls and _EXCHANGE.written_tries:
            # The handshake and the certificate were fine: the connection broke while the answer was awaited.
            return "TLS error while %s at %s, after the request was sent%s: %s" % (what, host, tries, reason), "unreachable"
        if tls:
            if any(isinstance(cause, ssl.SSLError) and cause.reason in _NOT_TLS_REASONS for cause in causes):
                # An https URL at a plain http server (or at a port that does not speak TLS): no CA setting helps.
                return ("TLS error while %s at %s: %s. The server there does not speak TLS: check the URL's scheme"
                        " (plain http is accepted only for a loopback address) and its port." % (what, host, reason), "not_tls")
            return ("TLS error while %s at %s: %s. If the server uses a private CA, set ca_path to its CA bundle;"
                    " validate_certs: false turns checking off (test systems only)." % (what, host, reason), "tls")
        if _timed_out(causes):
            return "Timed out after %s s while %s at %s%s: %s" % (_seconds(self.timeout), what, host, tries, reason), "timeout"
        if isinstance(exc, requests.exceptions.ProxyError) or any(isinstance(cause, Urllib3ProxyError) for cause in causes):
            return "Proxy error while %s at %s: %s. Check HTTPS_PROXY and NO_PROXY." % (what, host, reason), "proxy"
        if any(isinstance(cause, http.client.HTTPException) and not isinstance(cause, http.client.RemoteDisconnected)
               for cause in causes):
            # It answered, but not in HTTP (a status line, a header line or too many headers that http.client
            # refused): a host that answers is reachable. A connection closed without a word is not an answer.
            return ("%s answered while %s%s, but not in HTTP: %s" % (host, what, tries, reason)), "unexpected_answer"
        if sent and not _may_have_been_sent(exc):
            # The last try could not connect, an earlier one was sent and then cut off.
            return ("Could not reach %s while %s%s: %s; an earlier try was sent before its connection broke"
                    % (host, what, tries, reason), "unreachable")
        return "Could not reach %s while %s%s: %s" % (host, what, tries, reason), "unreachable"


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

    A 429 was refused before any work, and a try that could not connect sent nothing; a gateway's 502/503/504, or a
    try whose request was written whole and then got no answer (a timeout, a dropped connection), may have come
    after the server did the work. Every try but the last that was written and did not answer with a status is such.
    """
    retries = getattr(getattr(response, "raw", None), "retries", None)
    answered = [getattr(entry, "status", None) for entry in getattr(retries, "history", None) or ()]
    cut_off = _EXCHANGE.written_tries - 1 - sum(1 for status in answered if status is not None)
    return cut_off > 0 or any(status in RETRY_STATUSES and status != 429 for status in answered)


def _may_have_been_sent(exc):
    """False for failures that stop a request before it leaves: no connection, TLS, proxy, a connection not made in
    time (NotConnected)."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    return not any(isinstance(cause, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError, Urllib3ProxyError,
                                      Urllib3SSLError, ssl.SSLError, NotConnected)) for cause in _causes(exc))


def _timed_out(causes):
    """Whether a chain of causes (_causes) says that time ran out: a socket timeout (NotConnected and the deadline's
    own among them), or requests' or urllib3's timeout. urllib3's NewConnectionError is a ConnectTimeoutError by
    inheritance only: a refused connection did not time out."""
    return any(isinstance(cause, (socket.timeout, requests.exceptions.Timeout, ReadTimeoutError, ConnectTimeoutError))
               and not isinstance(cause, NewConnectionError) for cause in causes)


def _plain_http_to_loopback(url):
    parts = urlsplit(url)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")


def _seconds(value):
    return ("%g" % value) if isinstance(value, float) else str(value)


def _causes(exc):
    """The chain of a requests/urllib3 error, outermost first, through ``reason``, an exception among its arguments,
    the exception an error was raised from (urllib3 2 raises a timeout of connecting as a ReadTimeoutError from it),
    or else the socket timeout it was raised while handling."""
    chain = [exc]
    while len(chain) < 20:
        inner = getattr(chain[-1], "reason", None)
        if not isinstance(inner, BaseException):
            # urllib3's ProtocolError("Connection aborted.", BadStatusLine(...)) holds its cause second.
            inner = next((arg for arg in getattr(chain[-1], "args", ()) if isinstance(arg, BaseException)),
                         chain[-1].__cause__)
        if inner is None and isinstance(chain[-1].__context__, socket.timeout):
            # urllib3 1.26 raises its ReadTimeoutError while handling a socket's timeout (NotConnected), not from it.
            inner = chain[-1].__context__
        if inner is None or any(inner is seen for seen in chain):
            break
        chain.append(inner)
    return chain


def _root_cause(exc, redact):
    """The innermost reason of a requests/urllib3 error, in one line, masked before it is cut (it may quote what the
    server sent: a status line, a header)."""
    exc = _causes(exc)[-1]
    text = (str(exc) or type(exc).__name__)[:MAX_CAUSE_READ]
    # urllib3 repeats the connection object's repr: keep what a person needs.
    return redact.shown(_SPACES.sub(" ", _CONNECTION_NAME.sub("", text)).strip(), MAX_CAUSE_LENGTH)
