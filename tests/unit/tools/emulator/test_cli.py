# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.cli: the command line, through the entry point tools/reltio_emulator.py."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys

import emulator
import pytest
from emulator import cli as cli_module
from emulator import main

from .helpers import EMULATOR_SCRIPT, WAREHOUSE_ID, Client, WorkspaceClient, assert_reltio_error


def test_cli_prints_url_writes_port_file_and_stops_on_sigterm(tmp_path):
    port_file = tmp_path / 'port'
    command = [sys.executable, str(EMULATOR_SCRIPT), '--port', '0', '--port-file', str(port_file), '--quiet',
               '--tenant', 'cli-tenant', '--token', 'cli-token', '--chaos-seed', 'cli-seed', '--chaos-rate', '0']
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline().strip()
            port = int(port_file.read_text())
            assert line == f'Reltio emulator listening on http://127.0.0.1:{port}'
            cli = Client(f'http://127.0.0.1:{port}')
            assert_reltio_error(cli.create(tenant='other', token='cli-token'), 404, 'Tenant other not found')
            assert cli.create(tenant='cli-tenant', token='cli-token').status == 200
            chaos = cli.control('GET', 'chaos')['chaos']
            assert (chaos['seed'], chaos['rate']) == ('cli-seed', 0)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
        assert process.stderr.read() == ''


def test_cli_serves_a_databricks_workspace(tmp_path, pki):
    cert, key = pki.issue('127.0.0.1')
    port_file, workspace_port_file = tmp_path / 'port', tmp_path / 'workspace-port'
    command = [sys.executable, str(EMULATOR_SCRIPT), '--port', '0', '--port-file', str(port_file), '--quiet',
               '--workspace-tls-cert', cert, '--workspace-tls-key', key, '--workspace-port', '0',
               '--workspace-port-file', str(workspace_port_file)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            first, second = process.stdout.readline().strip(), process.stdout.readline().strip()
            port, workspace_port = int(port_file.read_text()), int(workspace_port_file.read_text())
            assert first == f'Reltio emulator listening on http://127.0.0.1:{port}'
            assert second == f'Databricks workspace listening on https://127.0.0.1:{workspace_port}'
            control = Client(f'http://127.0.0.1:{port}')
            assert control.databricks()['workspace_url'] == f'https://127.0.0.1:{workspace_port}'
            workspace = WorkspaceClient(f'https://127.0.0.1:{workspace_port}', pki.ca_file)
            assert workspace.warehouse().json()['id'] == WAREHOUSE_ID
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
        assert process.stderr.read() == ''


@pytest.mark.parametrize('arguments, message', [
    (['--workspace-tls-cert', 'c.pem'], '--workspace-tls-cert and --workspace-tls-key must be given together'),
    (['--workspace-tls-key', 'k.pem'], '--workspace-tls-cert and --workspace-tls-key must be given together'),
    (['--workspace-port', '8443'], '--workspace-port and --workspace-port-file need --workspace-tls-cert'),
    (['--workspace-port-file', 'f'], '--workspace-port and --workspace-port-file need --workspace-tls-cert'),
])
def test_cli_refuses_incomplete_workspace_options(capsys, arguments, message):
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_cli_reports_a_certificate_it_cannot_load(tmp_path, capsys):
    missing = str(tmp_path / 'missing.pem')
    assert main(['--workspace-tls-cert', missing, '--workspace-tls-key', missing]) == 1
    assert capsys.readouterr().err.startswith('reltio_emulator: cannot start: ')


@pytest.mark.parametrize('host, warned', [('203.0.113.7', True), ('0.0.0.0', True), ('127.0.0.1', False),
                                          ('localhost', False), ('::1', False)])
def test_cli_warns_that_a_host_that_is_not_loopback_opens_the_control_api(capsys, monkeypatch, host, warned):
    """Issue 25. The emulator is not started: the warning comes before it binds."""
    def not_started(*args, **kwargs):
        raise OSError('not started')

    monkeypatch.setattr(cli_module, 'ReltioEmulator', not_started)
    assert main(['--host', host]) == 1
    err = capsys.readouterr().err
    assert ('warning: --host %s is not a loopback address' % host in err) is warned, err
    assert err.endswith('reltio_emulator: cannot start: not started\n')


def test_help_documents_the_workspace_options():
    completed = subprocess.run([sys.executable, str(EMULATOR_SCRIPT), '--help'], capture_output=True, text=True, check=True)
    for option in ('--port-file', '--token', '--workspace-tls-cert PEM', '--workspace-tls-key PEM', '--workspace-port PORT',
                   '--workspace-port-file FILE'):
        assert option in completed.stdout


def test_python_dash_m_emulator_is_the_same_command():
    completed = subprocess.run([sys.executable, '-m', 'emulator', '--help'], capture_output=True, text=True, check=True,
                               cwd=str(EMULATOR_SCRIPT.parent))
    assert completed.stdout.startswith('usage: reltio_emulator.py ')


def test_the_entry_point_loaded_by_its_path_exports_the_python_api():
    spec = importlib.util.spec_from_file_location('reltio_emulator_by_path', str(EMULATOR_SCRIPT))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.ReltioEmulator, module.EmulatorConfig, module.main, module.route_path) == (
        emulator.ReltioEmulator, emulator.EmulatorConfig, emulator.main, emulator.route_path)
