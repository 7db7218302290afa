# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the emulator's tests: one emulator per test module, reset before each test."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trustme
from emulator import EmulatorConfig, ReltioEmulator

from .helpers import STATIC_TOKEN, Client, WorkspaceClient


@pytest.fixture(scope='module')
def server():
    emulator = ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN])).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def client(server):
    api_client = Client(server.url)
    api_client.control('POST', 'reset')
    return api_client


@pytest.fixture(scope='session')
def pki(tmp_path_factory):
    """The tests' CA (its PEM file ``ca_file``) and ``issue(host)``: (certificate file, key file) for ``host``."""
    base = tmp_path_factory.mktemp('pki')
    authority = trustme.CA()
    ca_file = base / 'ca.pem'
    authority.cert_pem.write_to_path(str(ca_file))

    def issue(host):
        cert = authority.issue_cert(host)
        cert_file, key_file = base / f'{host}.crt', base / f'{host}.key'
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        cert.private_key_pem.write_to_path(str(key_file))
        return str(cert_file), str(key_file)

    return SimpleNamespace(ca_file=str(ca_file), issue=issue)


@pytest.fixture(scope='module')
def dbx_server(pki):
    """An emulator that also serves a Databricks workspace over https."""
    cert, key = pki.issue('127.0.0.1')
    emulator = ReltioEmulator(config=EmulatorConfig(tokens=[STATIC_TOKEN]), workspace_tls_cert=cert, workspace_tls_key=key).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def dbx(dbx_server, pki):
    """After a reset: ``reltio`` (a Client of the Reltio listener and the control API) and ``workspace``."""
    reltio = Client(dbx_server.url)
    reltio.control('POST', 'reset')
    return SimpleNamespace(server=dbx_server, reltio=reltio, workspace=WorkspaceClient(dbx_server.workspace_url, pki.ca_file))
