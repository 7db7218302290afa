# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control API under ``/_emulator/``: JSON, no authentication (see the package docstring)."""

from __future__ import annotations

from .wire import ApiError, Reply, error_reply, json_object, json_reply

CONTROL_PREFIX = '/_emulator/'

CONTROL_ACTIONS = {
    ('GET', 'health'): lambda state, body: {'ok': True},
    ('POST', 'reset'): lambda state, body: state.reset(),
    ('GET', 'state'): lambda state, body: state.snapshot(),
    ('GET', 'requests'): lambda state, body: {'requests': state.request_log()},
    ('GET', 'faults'): lambda state, body: state.list_faults(),
    ('POST', 'faults'): lambda state, body: state.add_faults(json_object(body)),
    ('DELETE', 'faults'): lambda state, body: state.clear_faults(),
    ('GET', 'chaos'): lambda state, body: state.chaos_view(),
    ('POST', 'chaos'): lambda state, body: state.set_chaos(json_object(body)),
    ('DELETE', 'chaos'): lambda state, body: state.clear_chaos(),
    ('GET', 'stats'): lambda state, body: state.stats(),
    ('GET', 'issued-tokens'): lambda state, body: state.issued_tokens(),
    ('GET', 'config'): lambda state, body: state.public_config(),
    ('POST', 'config'): lambda state, body: state.update_config(json_object(body)),
    ('GET', 'databricks'): lambda state, body: state.databricks.view(),
    ('POST', 'databricks'): lambda state, body: state.databricks.configure(json_object(body)),
    ('DELETE', 'databricks'): lambda state, body: state.databricks.clear(),
    ('POST', 'break'): lambda state, body: state.break_connection(json_object(body)),
}


def control_reply(state, method: str, raw_path: str, raw_body: bytes) -> Reply:
    """Answer a request to the unauthenticated ``/_emulator/`` control API."""
    name = raw_path[len(CONTROL_PREFIX):]
    actions = {action_method: action for (action_method, action_name), action in CONTROL_ACTIONS.items() if action_name == name}
    if not actions:
        return error_reply(404, f'No control endpoint at {raw_path}')
    action = actions.get(method)
    if action is None:
        return error_reply(405, f'Method {method} is not allowed for {raw_path}', headers={'Allow': ', '.join(sorted(actions))})
    try:
        return json_reply(200, action(state, raw_body))
    except ApiError as err:
        return err.reply
