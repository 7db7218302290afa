# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Transport.send against real servers on 127.0.0.1 (loopback.py), and against fakes for the errors of requests.

Bounds are asserted as bounds, not benchmarks: a try that the implementation failed to cut off runs
for the whole 10 to 20 s of its server script, far beyond them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import http.client
import importlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
import warnings
import zlib

import pytest
import requests
import urllib3
import yaml
from urllib3.exceptions import InsecureRequestWarning

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.reltio.platform.plugins.module_utils import transport
from ansible_collections.reltio.platform.plugins.module_utils.errors import TransportError
from ansible_collections.reltio.platform.plugins.module_utils.redaction import MASK, Redactor
from ansible_collections.reltio.platform.plugins.module_utils.http_api import MAX_HEADER_SHOWN, MAX_REASON_LENGTH, Call, read_token
from ansible_collections.reltio.platform.plugins.module_utils.transport import (
    MAX_ANSWER_BYTES,
    MAX_CAUSE_LENGTH,
    MAX_RETRY_AFTER,
    BoundedRetry,
    Transport,
    new_session,
)

from ..fakes import FakeResponse, FakeSession
from ..loopback import HttpServer, RawServer, Reply, tls_files

ROOT = pathlib.Path(__file__).resolve().parents[4]
CHANGES = "The connection may have been created all the same."
READ = Call("testing connection 'c'")
CREATE = Call("creating connection 'c'", advice_if_done=CHANGES)
SECRET = "dbx-Secret-value-42"
# How long a try may take in the tests of the time bounds (timeout=1): the servers would take 10 to 20 s.
BOUND = 6


def make_transport(retries=0, timeout=5, verify=True, secrets=(SECRET,)):
    """A Transport on a real session; the proxy variables of this machine are not read."""
    session = new_session(retries)
    session.trust_env = False
    return Transport(session, Redactor(secrets), timeout=timeout, retries=retries, verify=verify)


def json_reply(status, body, **kwargs):
    return Reply(status, json.dumps(body), headers={"Content-Type": "application/json"}, **kwargs)


def free_port():
    """A port on 127.0.0.1 where nobody listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_new_session_retries():
    session = new_session(4)
    for prefix in ("https://", "http://"):
        retry = session.get_adapter(prefix + "test.reltio.com").max_retries
        assert isinstance(retry, BoundedRetry)
        assert retry.total == 4
        assert retry.connect == 4 and retry.read == 4 and retry.status == 4
        assert set(retry.status_forcelist) == {429, 502, 503, 504}
        assert retry.allowed_methods is None
        assert retry.is_retry("POST", 503)
        assert not retry.is_retry("POST", 500)
        assert retry.raise_on_status is False
        assert retry.redirect == 0
    assert new_session(0).get_adapter("https://x").max_retries.total == 0


def test_user_agent_and_encodings_reach_the_server():
    with HttpServer(json_reply(200, {})) as server:
        make_transport().send("GET", server.url + "/", READ)
    headers = server.requests[0].headers
    assert headers["User-Agent"] == transport.USER_AGENT
    assert headers["User-Agent"].startswith("reltio.platform/%s " % transport.COLLECTION_VERSION)
    assert "ansible-core/%s" % ANSIBLE_VERSION in headers["User-Agent"]
    assert headers["Accept-Encoding"] == "gzip, deflate"


def test_collection_version_matches_galaxy_yml():
    with open(str(ROOT / "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert transport.COLLECTION_VERSION == str(galaxy["version"])


def test_send_passes_the_bounds_and_no_redirects_to_requests():
    session = FakeSession(FakeResponse(200, {"a": 1}))
    answer = Transport(session, Redactor(), timeout=12.5, retries=3, verify="/etc/ca.pem").send(
        "POST", "https://test.reltio.com/x", READ, json={"k": "v"})
    call = session.calls[0]
    assert (call.method, call.url) == ("POST", "https://test.reltio.com/x")
    assert call.kwargs == {"timeout": 12.5, "verify": "/etc/ca.pem", "stream": True, "allow_redirects": False,
                           "json": {"k": "v"}}
    assert answer.json() == {"a": 1}


def test_the_response_is_closed_after_reading():
    response = FakeResponse(200, {"a": 1})
    Transport(FakeSession(response), Redactor(), timeout=5, retries=0).send("GET", "https://x", READ)
    assert response.closed


def test_an_answer_is_kept_as_received_and_parsed_once():
    """Nothing of a body is masked nor shown whole: the adapters read it, and show short fields through Redactor.shown."""
    with HttpServer(json_reply(400, {"errorMessage": "bad secret %s" % SECRET})) as server:
        answer = make_transport().send("POST", server.url + "/", READ)
    assert answer.json() == {"errorMessage": "bad secret %s" % SECRET}
    assert answer.json() is answer.json()
    assert answer.status == 400
    assert answer.status_text == "400 Bad Request"


def test_a_token_is_read_from_the_parsed_answer_and_masked_from_then_on():
    redact = Redactor()
    with HttpServer(json_reply(200, {"access_token": "tok-New-0123456789", "echo": SECRET})) as server:
        answer = make_transport().send("POST", server.url + "/token", Call("requesting a token"))
    assert read_token(answer, redact) == ({"access_token": "tok-New-0123456789", "echo": SECRET}, "tok-New-0123456789")
    assert redact("said tok-New-0123456789") == "said %s" % MASK
    with HttpServer(Reply(200, "access_token=tok-New-0123456789")) as server:
        answer = make_transport().send("POST", server.url + "/", Call("requesting a token"))
    assert read_token(answer, Redactor()) == (None, None)


def test_reason_and_location_are_cut_and_no_other_header_is_kept():
    reply = Reply(302, b"", reason="Found " + "r" * 5000,
                  headers={"Location": "https://elsewhere.example.com/x?secret=%s" % SECRET, "X-Echo": SECRET})
    with HttpServer(reply) as server:
        answer = make_transport().send("POST", server.url + "/", READ)
    assert answer.status_text == "302 Found " + "r" * (MAX_REASON_LENGTH - 9) + "..."
    assert answer.location_host == "elsewhere.example.com"
    assert SECRET not in answer.headers["Location"] and MASK in answer.headers["Location"]
    assert sorted(answer.headers) == ["Content-Type", "Location"]


def test_a_secret_across_the_cut_of_a_reason_phrase_or_a_location_is_masked_whole():
    """A hostile review: the reason phrase and the Location were cut before they were masked, showing a secret's
    first characters."""
    reply = Reply(302, b"", reason="A" * (MAX_REASON_LENGTH - 10) + SECRET,
                  headers={"Location": "https://" + "h" * (MAX_HEADER_SHOWN - 20) + SECRET + ".example.com/"})
    with HttpServer(reply) as server:
        answer = make_transport().send("POST", server.url + "/", READ)
    for shown in (answer.status_text, answer.headers["Location"], answer.location_host):
        assert SECRET[:6] not in shown, shown


@pytest.mark.parametrize("shift", range(0, 12))
def test_a_secret_across_the_cut_of_an_error_s_cause_is_masked_whole(shift):
    """Wherever the cut falls in the secret, no piece of it is left: the cause is masked before it is cut."""
    def status_line_echo(connection, stop):  # pylint: disable=unused-argument
        # The cause reads "HTTP/1.1 2x0 " (13 characters), then the padding: the cut at MAX_CAUSE_LENGTH falls 5 to 16
        # characters into the secret.
        padding = "A" * (MAX_CAUSE_LENGTH - 29 + shift)
        connection.sendall(("HTTP/1.1 2x0 " + padding + SECRET + "\r\n\r\n").encode())

    with RawServer(status_line_echo) as server:
        with pytest.raises(TransportError) as info:
            make_transport().send("POST", server.url + "/", READ)
    assert "2x0 AAAA" in info.value.msg and SECRET[:4] not in info.value.msg, info.value.msg


@pytest.mark.parametrize("content_type, encoding", [
    ("text/plain; charset=ISO-8859-1", "latin-1"),
    ('application/json; charset="windows-1252"', "cp1252"),
    ("application/json;charset=utf-16", "utf-16"),
    ("application/json", "utf-8"),
])
def test_the_body_is_read_in_the_charset_of_its_content_type(content_type, encoding):
    text = '{"errorMessage": "Gr\u00fc\u00dfe, %s"}' % SECRET
    with HttpServer(Reply(400, text.encode(encoding), headers={"Content-Type": content_type})) as server:
        answer = make_transport().send("POST", server.url + "/", READ)
    assert answer.json() == {"errorMessage": "Gr\u00fc\u00dfe, %s" % SECRET}


def test_a_503_is_retried_with_the_same_request_and_the_answer_says_so():
    with HttpServer(json_reply(503, {"errorMessage": "busy"}), json_reply(200, {"ok": True})) as server:
        answer = make_transport(retries=2).send("POST", server.url + "/create", CREATE, json={"name": "c"})
    assert answer.status == 200
    assert answer.retried_after_possible_commit is True
    assert [(request.method, request.path, request.body) for request in server.requests] == [
        ("POST", "/create", b'{"name": "c"}')] * 2


def test_a_429_is_retried_and_was_refused_before_any_work():
    with HttpServer(json_reply(429, {"errorMessage": "slow down"}), json_reply(200, {})) as server:
        answer = make_transport(retries=1).send("POST", server.url + "/", CREATE)
    assert answer.status == 200
    assert len(server.requests) == 2
    assert answer.retried_after_possible_commit is False


def test_a_413_that_says_retry_after_is_not_retried():
    """Only 429, 502, 503 and 504 are retried (the reliability guide): urllib3 alone would retry a 413 with
    Retry-After, and a later "already exists" would then read as a creation confirmed on a retry."""
    reply = Reply(413, json.dumps({"errorMessage": "too large"}), headers={"Retry-After": "0", "Content-Type": "application/json"})
    with HttpServer(reply, json_reply(400, {"errorMessage": "exists"})) as server:
        answer = make_transport(retries=3).send("POST", server.url + "/", CREATE)
    assert answer.status == 413
    assert len(server.requests) == 1
    assert answer.retried_after_possible_commit is False


def test_a_try_sent_then_cut_off_is_a_possible_commit_though_later_tries_are_refused():
    """Issue 25: only the last try's exception was read, and a refused connection says nothing was sent."""
    def drop_and_go_away(connection, stop):  # pylint: disable=unused-argument
        server.stop_listening()

    with RawServer(drop_and_go_away) as server:
        with pytest.raises(TransportError) as info:
            make_transport(retries=2).send("POST", server.url + "/", CREATE, json={"name": "c"})
    assert len(server.requests) == 1
    assert info.value.request_sent is True
    assert info.value.may_exist is True
    assert info.value.msg.startswith("Could not reach %s while creating connection 'c' (tried 3 times, " % server.host)
    assert "an earlier try was sent before its connection broke" in info.value.msg
    assert info.value.msg.endswith(CHANGES)


def test_a_tls_error_while_the_answer_is_awaited_came_after_the_request_was_sent(tmp_path):
    """The handshake and the certificate were fine; the request was written; then the TLS stream broke."""
    def break_tls(connection, stop):  # pylint: disable=unused-argument
        # Bytes that are no TLS record, on the TCP connection under the TLS one.
        with socket.socket(fileno=os.dup(connection.fileno())) as plain:
            plain.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)

    context, ca_path = tls_files(tmp_path)
    with RawServer(break_tls, tls=context) as server:
        with pytest.raises(TransportError) as info:
            make_transport(verify=ca_path).send("POST", server.url + "/", CREATE, json={"name": "c"})
    assert len(server.requests) == 1
    assert info.value.request_sent is True
    assert info.value.may_exist is True
    assert info.value.msg.startswith("TLS error while creating connection 'c' at %s, after the request was sent: "
                                     % server.host), info.value.msg
    assert "ca_path" not in info.value.msg
    assert info.value.msg.endswith(CHANGES)


def test_a_dropped_connection_is_retried_and_may_have_been_carried_out():
    def drop_then_answer(connection, stop):  # pylint: disable=unused-argument
        if len(server.requests) > 1:
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    with RawServer(drop_then_answer) as server:
        answer = make_transport(retries=1).send("POST", server.url + "/", CREATE)
    assert answer.status == 200
    assert len(server.requests) == 2
    assert answer.retried_after_possible_commit is True


@pytest.mark.parametrize("status, retries, tries", [(500, 3, 1), (503, 0, 1), (404, 2, 1)])
def test_no_retry(status, retries, tries):
    with HttpServer(json_reply(status, {}), json_reply(200, {})) as server:
        answer = make_transport(retries=retries).send("POST", server.url + "/", CREATE)
    assert answer.status == status
    assert len(server.requests) == tries
    assert answer.retried_after_possible_commit is False


@pytest.mark.parametrize("header, expected", [
    ("3600", MAX_RETRY_AFTER),
    ("61", MAX_RETRY_AFTER),
    ("5", 5),
    ("0", 0),
    ("Fri, 31 Dec 2100 23:59:59 GMT", MAX_RETRY_AFTER),
    ("soon", None),
])
def test_bounded_retry_caps_retry_after(header, expected):
    # A real urllib3 answer: urllib3 1.26 (RHEL 9) reads it with getheader(), 2 with headers.get().
    answer = urllib3.HTTPResponse(body=b"", headers={"Retry-After": header}, status=503)
    assert BoundedRetry(total=3).get_retry_after(answer) == expected


def test_bounded_retry_without_header():
    assert BoundedRetry(total=3).get_retry_after(urllib3.HTTPResponse(body=b"", headers={}, status=503)) is None


def test_bounded_retry_stays_bounded_after_increment():
    retry = BoundedRetry(total=3, status_forcelist=(503,), allowed_methods=None, raise_on_status=False)
    response = urllib3.HTTPResponse(status=503, headers={"Retry-After": "9999"})
    retry = retry.increment(method="POST", url="/x", response=response)
    assert isinstance(retry, BoundedRetry)
    assert retry.get_retry_after(response) == MAX_RETRY_AFTER
    assert len(retry.history) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(status):
    with HttpServer(json_reply(200, {})) as other:
        with HttpServer(Reply(status, b"", headers={"Location": other.url + "/elsewhere"})) as server:
            answer = make_transport(retries=2).send("POST", server.url + "/x", CREATE, json={"clientSecret": SECRET})
    assert answer.status == status
    assert answer.location_host == other.host
    assert len(server.requests) == 1
    assert other.requests == []


def test_no_cookie_is_kept_between_requests_of_a_session():
    set_cookie = {"Set-Cookie": "reltio_session=0123456789abcdef; Path=/; HttpOnly"}
    with HttpServer(*[Reply(200, b"{}", headers=set_cookie) for dummy in range(4)]) as server:
        ours = make_transport()
        ours.send("GET", server.url + "/one", READ)
        ours.send("GET", server.url + "/two", READ)
        # The same two requests on a plain session: the server's cookie comes back, so the server can tell.
        plain = requests.Session()
        plain.trust_env = False
        plain.get(server.url + "/one", timeout=5)
        plain.get(server.url + "/two", timeout=5)
    cookies = [request.headers.get("Cookie") for request in server.requests]
    assert cookies == [None, None, None, "reltio_session=0123456789abcdef"]
    assert len(ours.session.cookies) == 0


def test_no_insecure_request_warning_with_validate_certs_off(tmp_path):
    context, dummy = tls_files(tmp_path)
    with HttpServer(json_reply(200, {"ok": True}), json_reply(200, {}), tls=context) as server:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answer = make_transport(verify=False).send("GET", server.url + "/", READ)
            ours = list(caught)
            # The same request by plain requests warns: the recording would have seen ours.
            plain = requests.Session()
            plain.trust_env = False
            plain.get(server.url + "/", verify=False, timeout=5)
    assert answer.json() == {"ok": True}
    assert not [warning for warning in ours if issubclass(warning.category, InsecureRequestWarning)]
    assert [warning for warning in caught[len(ours):] if issubclass(warning.category, InsecureRequestWarning)]


def test_a_private_ca_is_trusted_through_verify(tmp_path):
    context, ca_path = tls_files(tmp_path)
    with HttpServer(json_reply(200, {"ok": True}), tls=context) as server:
        assert make_transport(verify=ca_path).send("GET", server.url + "/", READ).json() == {"ok": True}


def test_an_untrusted_certificate_fails_before_the_request_leaves(tmp_path):
    context, dummy = tls_files(tmp_path)
    with HttpServer(json_reply(200, {}), tls=context) as server:
        with pytest.raises(TransportError) as info:
            make_transport(verify=True).send("POST", server.url + "/", CREATE)
    assert info.value.msg.startswith("TLS error while creating connection 'c' at %s: " % server.host)
    assert "certificate verify failed" in info.value.msg
    assert "ca_path" in info.value.msg
    assert info.value.request_sent is False
    assert info.value.may_exist is False
    assert server.requests == []


def drip_headers(connection, stop):
    """The status line, then a header every 0.5 s for 20 s: each read of the client gets a byte in time."""
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    for number in range(40):
        if stop.wait(0.5):
            return
        connection.sendall(b"X-Drip-%d: %d\r\n" % (number, number))
    connection.sendall(b"Content-Length: 2\r\n\r\n{}")


@pytest.mark.parametrize("tls", [False, True])
def test_headers_that_drip_are_cut_off_at_the_timeout(tmp_path, tls):
    context, ca_path = tls_files(tmp_path) if tls else (None, True)
    with RawServer(drip_headers, tls=context) as server:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            make_transport(timeout=1, verify=ca_path).send("POST", server.url + "/", CREATE, json={})
        elapsed = time.monotonic() - started
    assert info.value.msg.startswith("Timed out after 1 s while creating connection 'c' at %s" % server.host)
    assert info.value.request_sent is True
    assert info.value.may_exist is True
    assert info.value.msg.endswith(CHANGES)
    assert elapsed < BOUND
    assert len(server.requests) == 1


def test_one_try_takes_one_timeout_the_tls_handshake_included(tmp_path):
    """Issue 25: the handshake had a timeout of its own (each read), and the answer's deadline started after it, so a
    server slow in both held a try for up to twice the timeout. Here each half takes 0.8 of a 1 s timeout."""
    context, ca_path = tls_files(tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    served = threading.Event()

    def slow_handshake_then_slow_answer():
        connection, dummy = listener.accept()
        try:
            time.sleep(0.8)
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(65536)
                time.sleep(0.8)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except OSError:
            pass
        finally:
            served.set()

    threading.Thread(target=slow_handshake_then_slow_answer, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(TransportError) as info:
            make_transport(timeout=1, verify=ca_path).send("GET", "https://127.0.0.1:%d/" % port, READ)
        elapsed = time.monotonic() - started
    finally:
        served.wait(5)
        listener.close()
    assert info.value.msg.startswith("Timed out after 1 s while testing connection 'c' at 127.0.0.1:%d" % port)
    assert elapsed < 1.5


def test_a_body_that_trickles_is_cut_off_at_the_timeout():
    def trickle(connection, stop):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
        for dummy in range(40):
            if stop.wait(0.3):
                return
            connection.sendall(b" ")

    with RawServer(trickle) as server:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            make_transport(timeout=1).send("POST", server.url + "/", CREATE)
        elapsed = time.monotonic() - started
    assert info.value.msg == ("Timed out after 1 s while creating connection 'c' at %s: the answer was still arriving. %s"
                              % (server.host, CHANGES))
    assert info.value.may_exist is True
    assert elapsed < BOUND


def test_a_chunk_size_line_that_trickles_is_cut_off_at_the_timeout():
    def trickle(connection, stop):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for dummy in range(60):
            if stop.wait(0.3):
                return
            connection.sendall(b"0")

    with RawServer(trickle) as server:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            make_transport(timeout=1).send("GET", server.url + "/", READ)
        elapsed = time.monotonic() - started
    assert info.value.msg.startswith("Timed out after 1 s while testing connection 'c' at %s" % server.host)
    assert elapsed < BOUND


@pytest.mark.parametrize("status, may_exist", [(200, True), (400, False)])
def test_a_body_larger_than_the_bound_is_not_read(status, may_exist):
    with HttpServer(Reply(status, b"x" * (5 * 1000 * 1000))) as server:
        with pytest.raises(TransportError) as info:
            make_transport().send("POST", server.url + "/", CREATE)
    assert info.value.msg.startswith("%s answered HTTP %d while creating connection 'c' with a body of more than 4 MB;"
                                     " it was not read" % (server.host, status))
    assert info.value.status == status
    assert info.value.may_exist is may_exist


def test_a_body_without_a_length_is_bounded_too():
    with HttpServer(Reply(200, b"y" * (MAX_ANSWER_BYTES + 1), content_length=False)) as server:
        with pytest.raises(TransportError) as info:
            make_transport().send("GET", server.url + "/", READ)
    assert "with a body of more than 4 MB; it was not read" in info.value.msg


def test_a_body_of_the_bound_is_read():
    with HttpServer(Reply(200, b"z" * MAX_ANSWER_BYTES)) as server:
        assert len(make_transport().send("GET", server.url + "/", READ).text) == MAX_ANSWER_BYTES


def zeros_gzipped(size):
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    megabyte = b"\0" * (1024 * 1024)
    return b"".join([compressor.compress(megabyte) for dummy in range(size // len(megabyte))] + [compressor.flush()])


def test_a_small_gzip_body_that_inflates_beyond_the_bound_is_not_inflated(monkeypatch):
    bomb = zeros_gzipped(64 * 1024 * 1024)
    assert len(bomb) < MAX_ANSWER_BYTES // 16
    inflated = []
    decompress = transport._Inflater.decompress  # pylint: disable=protected-access

    def counting(self, data, limit):
        out = decompress(self, data, limit)
        inflated.append(len(out))
        return out

    monkeypatch.setattr(transport._Inflater, "decompress", counting)  # pylint: disable=protected-access
    with HttpServer(Reply(200, bomb, headers={"Content-Encoding": "gzip"})) as server:
        with pytest.raises(TransportError) as info:
            make_transport().send("GET", server.url + "/", READ)
    assert info.value.msg == ("%s answered HTTP 200 while testing connection 'c' with a body of more than 4 MB;"
                              " it was not read" % server.host)
    assert MAX_ANSWER_BYTES < sum(inflated) <= MAX_ANSWER_BYTES + 1


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("GZIP ", gzip.compress),
    ("identity", lambda body: body),
])
def test_an_encoded_body_is_decoded(encoding, encode):
    body = json.dumps({"errorMessage": "secret %s" % SECRET, "n": list(range(2000))}).encode("utf-8")
    with HttpServer(Reply(200, encode(body), headers={"Content-Encoding": encoding})) as server:
        answer = make_transport().send("GET", server.url + "/", READ)
    assert answer.json() == {"errorMessage": "secret %s" % SECRET, "n": list(range(2000))}


def test_an_encoding_not_asked_for_is_refused():
    with HttpServer(Reply(502, b"\x1b\x03\x00", headers={"Content-Encoding": "br"})) as server:
        with pytest.raises(TransportError) as info:
            make_transport().send("POST", server.url + "/", CREATE)
    assert info.value.msg.startswith("%s answered HTTP 502 while creating connection 'c' with a body in the br encoding,"
                                     " which was not asked for" % server.host)
    assert info.value.status == 502
    assert info.value.may_exist is True


def _refused():
    conn = urllib3.connection.HTTPSConnection("test.reltio.com")
    reason = urllib3.exceptions.NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "https://test.reltio.com/x", reason))


def fake_send(exc, call=READ, retries=3, secrets=()):
    ours = Transport(FakeSession(exc), Redactor(secrets), timeout=12.5, retries=retries)
    with pytest.raises(TransportError) as info:
        ours.send("POST", "https://user:pw@test.reltio.com/x", call)
    return info.value


@pytest.mark.parametrize("exc, start, sent", [
    (requests.exceptions.ConnectTimeout("connect timed out"), "Timed out", False),
    (requests.exceptions.ReadTimeout("Read timed out. (read timeout=12.5)"), "Timed out", True),
    (requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "TLS error", False),
    (requests.exceptions.ConnectionError("Connection reset by peer"), "Could not reach", True),
    (_refused(), "Could not reach", False),
    (requests.exceptions.ProxyError("Cannot connect to proxy"), "Proxy error", False),
    (urllib3.exceptions.ProtocolError("Connection aborted."), "Could not reach", True),
])
def test_errors_of_requests_and_urllib3(exc, start, sent):
    error = fake_send(exc)
    msg = error.msg
    assert msg.startswith(start)
    assert "test.reltio.com" in msg and "pw@" not in msg
    assert "Traceback" not in msg and "<urllib3" not in msg and "\n" not in msg
    assert error.status is None
    assert error.request_sent is sent
    assert error.may_exist is False


# Words a server controls (a status line, a header, a certificate's name) that name a timeout or a TLS failure.
SERVER_WORDS = "HTTP/1.1 504 timed out Timeout SSLError CERTIFICATE_VERIFY_FAILED WRONG_VERSION_NUMBER"


@pytest.mark.parametrize("exc", [
    requests.exceptions.ConnectionError(http.client.BadStatusLine(SERVER_WORDS)),
    requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.",
                                                                         http.client.BadStatusLine(SERVER_WORDS))),
    requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.LineTooLong(SERVER_WORDS)))),
])
def test_the_words_of_a_server_never_decide_the_reason(exc):
    """Issue 25: "timed out" or "SSLError" in what a server sent made a timeout or a TLS error of it. Only the types
    of the error and its causes decide; http.client refusing what came back means the server answered."""
    error = fake_send(exc, call=CREATE, retries=0)
    assert error.reason_code == "unexpected_answer", error.msg
    assert error.msg.startswith("test.reltio.com answered while creating connection 'c', but not in HTTP: "), error.msg
    assert error.request_sent is True and error.may_exist is True and error.msg.endswith(CHANGES)


@pytest.mark.parametrize("exc, reason_code", [
    (requests.exceptions.ConnectionError("Connection reset: " + SERVER_WORDS), "unreachable"),
    (urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, SERVER_WORDS)), "unreachable"),
    (urllib3.exceptions.ProtocolError("Connection aborted.", http.client.RemoteDisconnected(SERVER_WORDS)), "unreachable"),
    (requests.exceptions.ReadTimeout("Read timed out."), "timeout"),
    (requests.exceptions.ConnectionError(urllib3.exceptions.ReadTimeoutError(None, "/", "no words")), "timeout"),
    (requests.exceptions.ConnectionError(transport.NotConnected("no words")), "timeout"),
    (requests.exceptions.SSLError("no words"), "tls"),
    (requests.exceptions.ConnectionError(urllib3.exceptions.SSLError("no words")), "tls"),
    (requests.exceptions.ProxyError("no words"), "proxy"),
    (_refused(), "unreachable"),
])
def test_the_reason_code_comes_from_the_types_of_the_error_and_its_causes(exc, reason_code):
    assert fake_send(exc).reason_code == reason_code


@pytest.mark.parametrize("answer", [
    b"timed out SSLError CERTIFICATE_VERIFY_FAILED\r\n\r\n",
    b"HTTP/1.1 2x0 timed out\r\n\r\n",
    b"HTTP/9.9 200 OK\r\n\r\n",
    b"HTTP/1.1 200 " + b"x" * 70000 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Timeout-%d: timed out\r\n" % number for number in range(120)) + b"\r\n",
], ids=["no status line", "bad status", "unknown version", "status line too long", "too many headers"])
def test_a_server_that_answers_what_is_not_http_was_reached(answer):
    """Issue 25: a server that answered is reachable: unexpected_answer, and a create sent to it may have been done."""
    def script(connection, stop):  # pylint: disable=unused-argument
        connection.sendall(answer)

    with RawServer(script) as server:
        with pytest.raises(TransportError) as info:
            make_transport(retries=1).send("POST", server.url + "/", CREATE, json={"name": "c"})
    error = info.value
    assert error.reason_code == "unexpected_answer", error.msg
    assert error.msg.startswith("%s answered while creating connection 'c' (tried 2 times, " % server.host), error.msg
    assert "but not in HTTP: " in error.msg and len(error.msg) < 600
    assert error.request_sent is True and error.may_exist is True and error.msg.endswith(CHANGES)
    assert len(server.requests) == 2


@pytest.mark.parametrize("status, head, body, may_exist", [
    (200, b"Content-Length: 100\r\n", b'{"successful": true', True),
    (200, b"Transfer-Encoding: chunked\r\n", b"zz timed out\r\n", True),
    (201, b"Transfer-Encoding: chunked\r\n", b"10\r\nSSLError", True),
    (400, b"Content-Length: 100\r\n", b'{"errorMessage": "timed', False),
])
def test_a_body_that_breaks_off_after_the_status_is_an_unexpected_answer(status, head, body, may_exist):
    """Issue 25: reported "could not reach" before, though the server had answered with a status."""
    def script(connection, stop):  # pylint: disable=unused-argument
        connection.sendall(b"HTTP/1.1 %d Whatever\r\nContent-Type: application/json\r\n%s\r\n%s" % (status, head, body))

    with RawServer(script) as server:
        with pytest.raises(TransportError) as info:
            make_transport(retries=2).send("POST", server.url + "/", CREATE, json={"name": "c"})
    error = info.value
    assert error.reason_code == "unexpected_answer", error.msg
    assert error.msg.startswith("%s answered HTTP %d while creating connection 'c', but its body broke off: "
                                % (server.host, status)), error.msg
    assert error.status == status
    assert error.may_exist is may_exist and error.msg.endswith(CHANGES) is may_exist
    assert len(server.requests) == 1


def test_a_tls_handshake_that_never_comes_is_a_timeout_and_nothing_was_sent(tmp_path):
    """The TLS handshake's own timeout, or the deadline's, before any request: NotConnected says nothing was sent."""
    context, ca_path = tls_files(tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        with pytest.raises(TransportError) as info:
            make_transport(timeout=1, verify=ca_path).send("POST", "https://127.0.0.1:%d/" % port, CREATE)
    finally:
        listener.close()
    assert context is not None
    assert info.value.reason_code == "timeout", info.value.msg
    assert info.value.request_sent is False and info.value.may_exist is False


def test_an_unreachable_host_is_named_with_the_option_that_set_it():
    msg = fake_send(_refused(), call=Call("requesting a token", option="auth_url"), retries=0).msg
    assert msg == ("Could not reach test.reltio.com (from auth_url) while requesting a token: Failed to establish a new"
                   " connection: [Errno 111] Connection refused")


def test_error_details():
    msg = fake_send(requests.exceptions.ReadTimeout("Read timed out."), retries=2).msg
    assert msg == ("Timed out after 12.5 s while testing connection 'c' at test.reltio.com (tried 3 times, 0.0 s in all):"
                   " Read timed out.")
    msg = fake_send(_refused(), retries=0).msg
    assert "tried" not in msg
    assert msg == ("Could not reach test.reltio.com while testing connection 'c': Failed to establish a new connection:"
                   " [Errno 111] Connection refused")
    msg = fake_send(requests.exceptions.SSLError("certificate verify failed")).msg
    assert "set ca_path to its CA bundle" in msg and "validate_certs: false" in msg
    assert "Check HTTPS_PROXY and NO_PROXY" in fake_send(requests.exceptions.ProxyError("refused")).msg


@pytest.mark.parametrize("exc, may_exist", [
    (requests.exceptions.ReadTimeout("Read timed out."), True),
    (requests.exceptions.ConnectionError("Connection reset by peer"), True),
    (_refused(), False),
    (requests.exceptions.ConnectTimeout("connect timed out"), False),
    (requests.exceptions.SSLError("certificate verify failed"), False),
])
def test_a_request_that_changes_things_may_have_been_carried_out_once_sent(exc, may_exist):
    error = fake_send(exc, call=CREATE)
    assert error.may_exist is may_exist
    assert error.msg.endswith(CHANGES) is may_exist
    assert fake_send(exc, call=READ).may_exist is False


def test_errors_are_redacted():
    error = fake_send(requests.exceptions.ConnectionError("refused for token %s" % SECRET), secrets=(SECRET,))
    assert SECRET not in error.msg
    assert MASK in error.msg


def test_a_refused_connection_to_a_real_port():
    port = free_port()
    with pytest.raises(TransportError) as info:
        make_transport(retries=1).send("POST", "http://127.0.0.1:%d/x" % port, CREATE)
    assert info.value.msg.startswith("Could not reach 127.0.0.1:%d while creating connection 'c' (tried 2 times, " % port)
    assert "refused" in info.value.msg.lower()
    assert info.value.request_sent is False
    assert info.value.may_exist is False


def test_a_netrc_login_is_never_sent(tmp_path, monkeypatch):
    # requests' own sessions send a matching (or `default`) login of ~/.netrc as Basic auth with a request that
    # has no `auth=` of its own, even over a header set by hand. The collection's calls all pass `auth=`; this
    # keeps any other from taking the netrc login.
    netrc = tmp_path / ".netrc"
    netrc.write_text("default login netrc-user password netrc-password-123\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    sender = Transport(new_session(0), Redactor(), timeout=5, retries=0)
    with HttpServer(json_reply(200, {}), json_reply(200, {})) as server:
        sender.send("GET", server.url + "/", READ, headers={"Authorization": "Bearer task-token"})
        sender.send("GET", server.url + "/", READ)
    assert server.requests[0].headers["Authorization"] == "Bearer task-token"
    assert server.requests[1].headers["Authorization"] is None


def test_a_ca_bundle_of_the_environment_is_used_when_certificates_are_verified(tmp_path, monkeypatch):
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "bundle.pem"))
    session = transport.new_session(0)
    settings = session.merge_environment_settings("https://reltio.example/x", {}, True, True, None)
    assert settings["verify"] == str(tmp_path / "bundle.pem")
    assert session.merge_environment_settings("https://reltio.example/y", {}, True, False, None)["verify"] is False
    assert session.merge_environment_settings("https://reltio.example/z", {}, True, "/ca.pem", None)["verify"] == "/ca.pem"


def test_the_proxy_environment_is_honoured_but_not_for_plain_http_to_loopback(monkeypatch):
    via_proxy = json_reply(200, {"via": "proxy"})
    with HttpServer(json_reply(200, {})) as target, HttpServer(via_proxy) as proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        sender = Transport(new_session(0), Redactor(), timeout=5, retries=0)
        # The emulator's kind of URL: straight there, so no proxy sees its token in clear text.
        assert json.loads(sender.send("GET", target.url + "/direct", READ).text) == {}
        assert json.loads(sender.send("GET", "http://reltio.invalid/proxied", READ).text) == {"via": "proxy"}
    assert [request.path for request in target.requests] == ["/direct"]
    assert [request.path for request in proxy.requests] == ["http://reltio.invalid/proxied"]


def test_no_timer_outlives_its_exchange():
    def timers():
        return set(thread for thread in threading.enumerate() if isinstance(thread, threading.Timer) and thread.is_alive())

    before = timers()
    with HttpServer(json_reply(200, {"a": 1}), json_reply(200, {"b": 2})) as server:
        sender = make_transport()
        sender.send("POST", server.url + "/a", CREATE, json={"x": 1})
        sender.send("GET", server.url + "/b", READ)
    time.sleep(0.05)
    assert timers() - before == set()


def test_a_proxy_that_dribbles_its_answer_to_connect_is_cut_off_and_nothing_was_sent(monkeypatch):
    def proxy_dribbles(connection, stop):
        connection.sendall(b"HTTP/1.1 200 Connection established\r\n")
        for number in range(40):
            if stop.wait(0.5):
                return
            connection.sendall(b"X-Drip-%d: %d\r\n" % (number, number))

    with RawServer(proxy_dribbles) as proxy:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            Transport(new_session(0), Redactor(), timeout=1, retries=0).send("POST", "https://reltio.invalid/x", CREATE)
    assert time.monotonic() - started < BOUND
    assert "the connection was not made within 1 s" in info.value.msg
    assert info.value.request_sent is False and info.value.may_exist is False


def test_the_whole_answer_of_one_try_is_bounded_not_each_read():
    # Every piece arrives well within the timeout of a read; the answer as a whole does not.
    def steady(connection, stop):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        for number in range(30):
            if stop.wait(0.2):
                return
            connection.sendall(b"X-Steady-%d: %d\r\n" % (number, number))
        connection.sendall(b"Content-Length: 2\r\n\r\n{}")

    with RawServer(steady) as server:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            make_transport(timeout=1).send("GET", server.url + "/", READ)
    assert info.value.msg.startswith("Timed out after 1 s while testing connection 'c' at %s" % server.host)
    assert time.monotonic() - started < 3


@pytest.mark.rhel9_libraries
def test_the_bounds_hold_with_the_requests_and_urllib3_of_rhel9(rhel9_libraries):
    """This file's tests of the bounds (the one shim, _AnswerDeadline), again with requests 2.25.1 and urllib3 1.26.5."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-m", "not rhel9_libraries", "-k",
         "drip or trickle or whole_answer or larger_than or without_a_length or closes or proxy or timer or refused"
         " or redirect or gzip or unreachable or error_details or errors_of or connect or libraries_are"
         " or words or not_http or breaks_off or handshake_that or types_of"],
        capture_output=True, text=True, timeout=600, check=False, cwd=str(ROOT),
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(rhel9_libraries)] + sys.path), RELTIO_EXPECT_URLLIB3="1.26.5"))
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert " passed" in completed.stdout and " failed" not in completed.stdout


def test_the_libraries_are_the_ones_expected():
    """The run above must test what it says: with RELTIO_EXPECT_URLLIB3 set, that urllib3 is the one imported."""
    expected = os.environ.get("RELTIO_EXPECT_URLLIB3")
    if expected:
        assert urllib3.__version__ == expected


def test_an_answer_that_closes_the_connection_is_read_whole():
    # http.client closes the connection of such an answer before its body is read: the reader must keep the
    # socket open until it is done, as socket.makefile does.
    def close_after(connection, stop):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        connection.sendall(b'{"status": "' + b"x" * 100000 + b'"}')

    with RawServer(close_after) as server:
        answer = make_transport(timeout=5).send("GET", server.url + "/", READ)
    assert answer.json() == {"status": "x" * 100000}


@pytest.mark.parametrize("module", ["reltio_token", "reltio_databricks_connection", "reltio_databricks_connection_info"])
def test_every_key_of_a_failure_without_an_answer_is_a_documented_return_value(module):
    """The result of a request that got no answer holds ``option`` (the role connection_health's advice reads it):
    each module's RETURN must say so, and so must the info module's entries of ``connections``."""
    documented = yaml.safe_load(importlib.import_module("ansible_collections.reltio.platform.plugins.modules." + module).RETURN)
    call = Call("creating connection 'c'", advice_if_done="It may exist.", option="platform_url")
    returned = set(fake_send(_refused(), call=call, retries=0).fail_kwargs()) - {"msg", "failed"}
    assert "option" in returned and returned <= set(documented), returned - set(documented)
    if "connections" in documented:
        assert "RV(option)" in " ".join(documented["connections"]["description"])
