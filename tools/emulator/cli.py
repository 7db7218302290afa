# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line: ``python tools/reltio_emulator.py --help`` (or ``python -m emulator`` with tools/ on the path)."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from .server import ReltioEmulator, is_loopback_name
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_TTL, EmulatorConfig, write_atomic


class StopRequested(Exception):
    """Raised by the SIGTERM/SIGINT handler to leave the main loop."""


def _request_stop(signum, frame):
    raise StopRequested(signum)


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog='reltio_emulator.py', description='Local emulator of the Reltio API (tests, demo, benchmarks).',
        epilog='The control API under /_emulator/ is described in tools/emulator/__init__.py.')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind, of both listeners (default: %(default)s)')
    parser.add_argument('--port', type=int, default=0, help='port to bind; 0 lets the OS pick (default: %(default)s)')
    parser.add_argument('--port-file', help='write the bound port number to this file')
    parser.add_argument('--tls-cert', help='PEM certificate: serve HTTPS')
    parser.add_argument('--tls-key', help='PEM private key for --tls-cert')
    parser.add_argument('--client-id', default=DEFAULT_CLIENT_ID, help='OAuth client id (default: %(default)s)')
    parser.add_argument('--client-secret', default=DEFAULT_CLIENT_SECRET, help='OAuth client secret')
    parser.add_argument('--token', action='append', default=[], help='static access token, always valid (repeatable)')
    parser.add_argument('--token-ttl', type=int, default=DEFAULT_TOKEN_TTL, help='lifetime of issued tokens in seconds')
    parser.add_argument('--tenant', action='append', help='known tenant (repeatable); others get 404. Default: any tenant')
    parser.add_argument('--state-file', help='JSON file the connections are loaded from and saved to')
    parser.add_argument('--quiet', action='store_true', help='no per-request lines on stderr')
    parser.add_argument('--chaos-seed', help='turn on seeded random faults with this seed (see POST /_emulator/chaos)')
    parser.add_argument('--chaos-rate', type=float, default=0.3, help='share of API requests that get a fault (default: %(default)s)')
    parser.add_argument('--chaos-delay', type=float, default=1.5, help='seconds a "slow" fault waits (default: %(default)s)')
    workspace = parser.add_argument_group(
        'Databricks workspace', 'A second listener, over HTTPS, serving a Databricks workspace from the same state: '
        'POST /oidc/v1/token and GET /api/2.0/sql/warehouses/{id}. Its service principals and warehouses are set '
        'with POST /_emulator/databricks.')
    workspace.add_argument('--workspace-tls-cert', metavar='PEM', help='PEM certificate: serve the workspace over HTTPS')
    workspace.add_argument('--workspace-tls-key', metavar='PEM', help='PEM private key for --workspace-tls-cert')
    workspace.add_argument('--workspace-port', type=int, default=0, metavar='PORT',
                           help='port of the workspace listener; 0 lets the OS pick (default: %(default)s)')
    workspace.add_argument('--workspace-port-file', metavar='FILE',
                           help='write the workspace port number to this file (written before --port-file)')
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGTERM or SIGINT."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key must be given together')
    if bool(args.workspace_tls_cert) != bool(args.workspace_tls_key):
        parser.error('--workspace-tls-cert and --workspace-tls-key must be given together')
    if not args.workspace_tls_cert and (args.workspace_port or args.workspace_port_file):
        parser.error('--workspace-port and --workspace-port-file need --workspace-tls-cert and --workspace-tls-key')
    if args.token_ttl < 0:
        parser.error('--token-ttl must not be negative')
    if not 0 <= args.chaos_rate <= 1 or args.chaos_delay < 0:
        parser.error('--chaos-rate must be between 0 and 1, --chaos-delay not negative')
    if not is_loopback_name(args.host):
        print(f'reltio_emulator: warning: --host {args.host} is not a loopback address: whoever reaches it reaches the'
              ' emulator, and its control API (/_emulator/, no authentication) answers any client that says a loopback'
              ' Host', file=sys.stderr)
    config = EmulatorConfig(client_id=args.client_id, client_secret=args.client_secret, token_ttl=args.token_ttl,
                            tenants=args.tenant, tokens=args.token)
    try:
        emulator = ReltioEmulator(args.host, args.port, config=config, state_file=args.state_file,
                                  tls_cert=args.tls_cert, tls_key=args.tls_key, quiet=args.quiet,
                                  workspace_tls_cert=args.workspace_tls_cert, workspace_tls_key=args.workspace_tls_key,
                                  workspace_port=args.workspace_port)
    except (OSError, ValueError) as err:
        print(f'reltio_emulator: cannot start: {err}', file=sys.stderr)
        return 1
    try:
        signal.signal(signal.SIGTERM, _request_stop)
        signal.signal(signal.SIGINT, _request_stop)
        if args.chaos_seed is not None:
            emulator.state.set_chaos({'seed': args.chaos_seed, 'rate': args.chaos_rate, 'delay': args.chaos_delay})
        emulator.start()
        # The workspace port first: whoever waits for --port-file then finds both.
        if args.workspace_port_file:
            write_atomic(args.workspace_port_file, f'{emulator.workspace_port}\n')
        if args.port_file:
            write_atomic(args.port_file, f'{emulator.port}\n')
        print(f'Reltio emulator listening on {emulator.url}', flush=True)
        if emulator.workspace_url:
            print(f'Databricks workspace listening on {emulator.workspace_url}', flush=True)
        while True:
            time.sleep(3600)
    except (StopRequested, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        emulator.stop()
    return 0
