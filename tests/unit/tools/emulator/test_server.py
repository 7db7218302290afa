# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.server: the HTTP machinery (keep-alive, one write, hang-ups, errors, TLS)."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
import struct
import subprocess
import urllib.request

import pytest
from emulator import ReltioEmulator, ReltioRequestHandler

from .helpers import CREATE_PATH, BEARER, connection_body, open_raw, wait_idle


def test_unexpected_error_answers_500_and_server_survives(client, server, monkeypatch):
    def explode(tenant, name):
        raise RuntimeError('boom')

    monkeypatch.setattr(server.state, 'test_connection', explode)
    answer = client.run_test()
    assert answer.status == 500
    assert answer.json()['errorMessage'] == 'Internal emulator error'
    assert client.control('GET', 'health') == {'ok': True}


def test_keep_alive_reuses_one_connection(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request('GET', '/_emulator/health')
        first = connection.getresponse()
        assert first.read() == b'{"ok": true}'
        sock = connection.sock
        connection.request('POST', '/_emulator/reset')
        assert connection.getresponse().status == 200
        assert connection.sock is sock
    finally:
        connection.close()


@pytest.mark.parametrize('rule', [
    {'endpoint': 'create', 'status': 500, 'body': 'huge', 'size': 64 * 1024 * 1024},
    {'endpoint': 'create', 'status': 500, 'body': 'huge', 'size': 1024 * 1024, 'trickle': 0.05},
    {'endpoint': 'create', 'status': 200, 'header_drip': 0.05, 'header_count': 40},
])
def test_client_hanging_up_mid_answer_is_quiet(server, client, capfd, rule):
    client.add_faults(rule)
    sock = open_raw(server, CREATE_PATH, json.dumps(connection_body()).encode(), BEARER)
    with sock:
        assert sock.recv(4096).startswith(b'HTTP/1.1 ')
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    wait_idle(client)
    assert client.create('conn-2').status == 200
    assert 'Traceback' not in capfd.readouterr().err


def test_answers_go_out_in_one_write_without_nagle(client, monkeypatch):
    assert ReltioRequestHandler.disable_nagle_algorithm is True
    writes, nodelay = [], []
    original_setup = ReltioRequestHandler.setup

    def recording_setup(handler):
        original_setup(handler)
        nodelay.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        write = handler.wfile.write
        handler.wfile.write = lambda data: (writes.append(bytes(data)), write(data))[1]

    monkeypatch.setattr(ReltioRequestHandler, 'setup', recording_setup)
    answer = client.create()
    assert answer.status == 200 and len(writes) == 1
    assert writes[0].startswith(b'HTTP/1.1 200 ') and writes[0].endswith(b'\r\n\r\n' + answer.body)
    writes.clear()
    assert client.control('GET', 'health') == {'ok': True}
    assert len(writes) == 1 and writes[0].endswith(b'\r\n\r\n{"ok": true}')
    assert nodelay and all(nodelay)


@pytest.mark.skipif(shutil.which('openssl') is None, reason='needs the openssl command to make a certificate')
def test_tls_serves_https(tmp_path):
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', str(key), '-out', str(cert), '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
    with ReltioEmulator(tls_cert=str(cert), tls_key=str(key)) as server:
        assert server.url.startswith('https://127.0.0.1:')
        context = ssl.create_default_context(cafile=str(cert))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
        with opener.open(server.url + '/_emulator/health', timeout=5) as answer:
            assert json.load(answer) == {'ok': True}
