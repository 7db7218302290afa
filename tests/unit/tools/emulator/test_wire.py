# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of emulator.wire: error shapes, credentials and workspace URLs."""

from __future__ import annotations

import base64

import pytest
from emulator import wire


def _basic(text: str) -> str:
    return 'Basic ' + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize('header, expected', [
    (_basic('id:secret'), ('id', 'secret')), (_basic('id:se:cret'), ('id', 'se:cret')), (_basic('id:'), ('id', '')),
    ('basic ' + base64.b64encode(b'a:b').decode(), ('a', 'b')), (_basic('no-colon'), None), ('Basic not-base64!', None),
    ('Bearer x', None), ('Basic', None), (None, None), ('', None),
])
def test_basic_credentials(header, expected):
    assert wire.basic_credentials(header) == expected


@pytest.mark.parametrize('header, expected', [
    ('Bearer abc', 'abc'), ('bearer  abc ', 'abc'), ('Bearer', None), ('Bearer ', None), ('Basic abc', None), (None, None),
])
def test_bearer_token(header, expected):
    assert wire.bearer_token(header) == expected


@pytest.mark.parametrize('url, expected', [
    ('https://adb-1.2.azuredatabricks.net', ('adb-1.2.azuredatabricks.net', 443)),
    ('https://LocalHost:8443/x', ('localhost', 8443)), ('https://[::1]:9/', ('::1', 9)),
    ('http://127.0.0.1:8443', None), ('https://', None), ('https://host:99999', None), ('https://a b', None),
])
def test_workspace_address(url, expected):
    assert wire.workspace_address(url) == expected


@pytest.mark.parametrize('status, code', [
    (400, 'INVALID_PARAMETER_VALUE'), (401, 'UNAUTHENTICATED'), (403, 'PERMISSION_DENIED'), (404, 'RESOURCE_DOES_NOT_EXIST'),
    (429, 'REQUEST_LIMIT_EXCEEDED'), (500, 'INTERNAL_ERROR'), (502, 'INTERNAL_ERROR'), (503, 'TEMPORARILY_UNAVAILABLE'),
    (504, 'DEADLINE_EXCEEDED'),
])
def test_databricks_error_codes(status, code):
    assert wire.databricks_error_body(status, 'm') == {'error_code': code, 'message': 'm'}


def test_databricks_error_code_may_be_given_or_an_integer():
    assert wire.databricks_error_body(404, 'm', 404) == {'error_code': 404, 'message': 'm'}
    assert wire.databricks_error_body(400, 'm', 'INVALID_STATE') == {'error_code': 'INVALID_STATE', 'message': 'm'}


@pytest.mark.parametrize('status, error', [
    (400, 'invalid_request'), (401, 'invalid_client'), (403, 'access_denied'), (404, 'invalid_request'),
    (429, 'temporarily_unavailable'), (500, 'server_error'), (503, 'temporarily_unavailable'),
])
def test_oauth_error_codes(status, error):
    assert wire.oauth_error_code(status) == error


def test_native_error_body_is_the_shape_of_the_server_asked():
    assert wire.native_error_body('create', 503, 'm') == wire.reltio_error_body(503, 'm')
    assert wire.native_error_body('token', 503, 'm') == wire.reltio_error_body(503, 'm')
    assert wire.native_error_body('warehouse', 503, 'm') == {'error_code': 'TEMPORARILY_UNAVAILABLE', 'message': 'm'}
    assert wire.native_error_body('dbx_token', 401, 'm') == {'error': 'invalid_client', 'error_description': 'm'}
