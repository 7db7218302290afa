# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Reltio API: routing, the OAuth token endpoint and the Databricks connection operations."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote

from .wire import ApiError, ApiRequest, Reply, Route, api_error, basic_credentials, internal_error_reply, json_object, json_reply

API_PREFIX = ['', 'reltio', 'api', 'tenants']


def route_path(raw_path: str) -> Route:
    """Split the raw path on "/" first, then percent-decode each segment."""
    segments = [unquote(segment) for segment in raw_path.split('/')]
    if segments == ['', 'oauth', 'token']:
        return Route('token')
    if len(segments) < 6 or segments[:4] != API_PREFIX or segments[5] != 'interactions':
        return Route('other')
    tenant, rest = segments[4], segments[6:]
    if rest == ['database-configs', 'databricks', 'oauth', 'credentials']:
        return Route('create', tenant, protected=True)
    if len(rest) == 5 and rest[0] == 'database-configs' and rest[2:] == ['databricks', 'oauth', 'credentials']:
        return Route('credentials', tenant, rest[1], protected=True)
    if len(rest) == 3 and rest[0] == 'database-configs' and rest[2] == 'test':
        return Route('test', tenant, rest[1], protected=True)
    return Route('other', tenant, protected=True)


def require_post(request: ApiRequest) -> None:
    """Raise 405 unless the request is a POST."""
    if request.method != 'POST':
        raise api_error(405, f'Method {request.method} is not allowed for {request.raw_path}', headers={'Allow': 'POST'})


def token_reply(state, request: ApiRequest) -> Reply:
    """Answer the OAuth client-credentials token endpoint."""
    credentials = basic_credentials(request.headers.get('Authorization'))
    if credentials is None or not state.client_matches(*credentials):
        raise ApiError(json_reply(401, {'error': 'invalid_client', 'error_description': 'Bad client credentials'},
                                  {'WWW-Authenticate': 'Basic realm="reltio-emulator"'}))
    form = parse_qs(request.body.decode('utf-8', 'replace'), keep_blank_values=True)
    grant_type = form.get('grant_type', [''])[0]
    if grant_type != 'client_credentials':
        raise ApiError(json_reply(400, {'error': 'unsupported_grant_type',
                                        'error_description': f'Unsupported grant type: {grant_type or "(none)"}'}))
    return json_reply(200, state.issue_token())


OPERATIONS = {
    'create': lambda state, request: state.create_connection(request.route.tenant, json_object(request.body)),
    'credentials': lambda state, request: state.store_credentials(
        request.route.tenant, request.route.connection_name, json_object(request.body)),
    'test': lambda state, request: state.test_connection(request.route.tenant, request.route.connection_name),
}


def perform(state, request: ApiRequest) -> Reply:
    """Run the real operation of an API request; errors come back as replies."""
    try:
        route = request.route
        if route.endpoint == 'token':
            require_post(request)
            return token_reply(state, request)
        if route.protected:
            state.authorize(request.headers.get('Authorization'))
            state.check_tenant(route.tenant)
        operation = OPERATIONS.get(route.endpoint)
        if operation is None:
            raise api_error(404, f'No endpoint at {request.raw_path}')
        require_post(request)
        return json_reply(200, operation(state, request))
    except ApiError as err:
        return err.reply
    except Exception as exc:  # pylint: disable=broad-except
        # A bug must become a 500 answer, never a dropped connection.
        return internal_error_reply(exc)
