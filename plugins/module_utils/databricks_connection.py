# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the reltio_databricks_connection task does, whoever runs it.

``validate`` checks the arguments before any request; ``run`` takes the
changed/ok decision with a ReltioClient handed in, so tests can hand in a mock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import re
from urllib.parse import urlsplit

from ansible_collections.reltio.platform.plugins.module_utils.arguments import CONNECTION_OPTIONS, DATABRICKS_CONNECTION_OPTIONS
from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.errors import (
    ConnectionExistsError,
    ConnectionTestFailed,
    ReltioError,
    ValidationError,
)

SECRET_PLACEHOLDER = "<hidden>"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _env_hint(name):
    option = CONNECTION_OPTIONS.get(name) or DATABRICKS_CONNECTION_OPTIONS.get(name) or {}
    return " or the %s environment variable" % option["env"] if "env" in option else ""


def _is_loopback(host):
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(value, allow_loopback_http):
    """Why ``value`` is not an absolute https URL with a host, or None."""
    if any(char.isspace() for char in value) or _CONTROL.search(value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError as exc:
        return "is not a valid URL (%s)" % exc
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https URL with a host, such as https://example.com"
    if parts.scheme == "http" and not (allow_loopback_http and _is_loopback(host)):
        if allow_loopback_http:
            return "must use https (plain http is accepted only for a loopback host such as 127.0.0.1)"
        return "must use https"
    if parts.username or parts.password:
        return "must not contain a user name or password"
    return None


def _shown(url):
    """A URL as it may be shown in a message: without any user name or password."""
    return re.sub(r"//[^/?#]*@", "//***@", url)


def _name_problem(value):
    if _CONTROL.search(value):
        return "must not contain control characters"
    if value.strip(".") == "":
        return "must not be made of dots only"
    return None


def validate(params):
    """Check the task arguments before any request. Raises ValidationError naming every bad option."""
    problems = []

    def require(name):
        if _blank(params.get(name)):
            problems.append("%s is required and must not be blank: set it%s" % (name, _env_hint(name)))
            return False
        return True

    for name in ("platform_url", "auth_url"):
        if require(name):
            problem = _url_problem(params[name], allow_loopback_http=True)
            if problem:
                problems.append("%s %s, got '%s'" % (name, problem, _shown(params[name])))
    for name in ("tenant_id", "connection_name"):
        if require(name):
            problem = _name_problem(params[name])
            if problem:
                problems.append("%s %s" % (name, problem))

    if _blank(params.get("access_token")):
        has_id = not _blank(params.get("reltio_client_id"))
        has_secret = not _blank(params.get("reltio_client_secret"))
        if not (has_id or has_secret):
            problems.append("access_token is required, or reltio_client_id and reltio_client_secret: set them"
                            " or the RELTIO_ACCESS_TOKEN, RELTIO_CLIENT_ID and RELTIO_CLIENT_SECRET environment variables")
        elif not has_id:
            problems.append("reltio_client_id is required with reltio_client_secret: set it%s" % _env_hint("reltio_client_id"))
        elif not has_secret:
            problems.append("reltio_client_secret is required with reltio_client_id: set it%s" % _env_hint("reltio_client_secret"))

    if require("workspace_url"):
        problem = _url_problem(params["workspace_url"], allow_loopback_http=False)
        if problem:
            problems.append("workspace_url %s, got '%s'" % (problem, _shown(params["workspace_url"])))
    for name in ("warehouse_id", "client_id", "client_secret"):
        require(name)

    if params.get("timeout") is not None and params["timeout"] <= 0:
        problems.append("timeout must be a number of seconds greater than 0, got %s" % params["timeout"])
    if params.get("retries") is not None and not 0 <= params["retries"] <= 10:
        problems.append("retries must be between 0 and 10, got %s" % params["retries"])
    if params.get("ca_path") and not os.path.isfile(params["ca_path"]):
        problems.append("ca_path must be a readable PEM file, got '%s' which does not exist" % params["ca_path"])

    if problems:
        raise ValidationError("Invalid arguments: %s." % "; ".join(problems))


def _wanted(params):
    """The connection as the task wants it, for diff mode, secret hidden."""
    return {
        "connection_name": params["connection_name"],
        "workspace_url": params["workspace_url"],
        "warehouse_id": params["warehouse_id"],
        "client_id": params["client_id"],
        "client_secret": SECRET_PLACEHOLDER,
    }


def run(params, client, check_mode=False, diff=False, warn=None):
    """Create the connection unless it exists, then rotate the secret and test as asked.

    Returns the task result. Raises ReltioError; its ``result`` then says what was already done.
    """
    warn = warn or (lambda message: None)
    name = params["connection_name"]
    result = {"changed": False, "created": False, "secret_updated": False, "connection": None, "test": None}
    if not params.get("validate_certs", True):
        warn("validate_certs is false: the TLS certificates of Reltio are not checked.")

    if check_mode:
        # No read exists, so the only honest prediction without writing is "would create".
        client.ensure_token()
        result.update(changed=True, msg="Check mode: connection '%s' would be created unless it already exists;"
                                        " nothing was sent to Reltio." % name)
        if diff:
            result["diff"] = {"before": {}, "after": _wanted(params)}
        return result

    try:
        try:
            result["connection"] = client.create_connection(
                name, params["workspace_url"], params["warehouse_id"], params["client_id"], params["client_secret"])
            result.update(changed=True, created=True)
            msg = "Connection '%s' created in tenant '%s'." % (name, client.tenant_id)
        except ConnectionExistsError as exc:
            result["connection"] = {"connection_id": None, "connection_name": name, "status": None,
                                    "message": exc.msg, "timestamp": None}
            if exc.after_retry:
                # The first try was cut off, yet it created the connection.
                result.update(changed=True, created=True)
                msg = "Connection '%s' created in tenant '%s' (confirmed on a retry)." % (name, client.tenant_id)
            else:
                msg = "Connection '%s' already exists in tenant '%s'." % (name, client.tenant_id)
                warn("Connection '%s' already exists. Reltio offers no way to read it, so workspace_url and"
                     " warehouse_id were not compared with what is stored." % name)
        if diff and result["created"]:
            result["diff"] = {"before": {}, "after": _wanted(params)}

        if params.get("update_secret") == "always" and not result["created"]:
            client.store_credentials(name, params["client_id"], params["client_secret"])
            result.update(changed=True, secret_updated=True)
            msg += " Its OAuth credentials were stored again."
            if diff:
                result["diff"] = {"before": {"connection_name": name, "client_secret": SECRET_PLACEHOLDER},
                                  "after": {"connection_name": name, "client_id": params["client_id"],
                                            "client_secret": SECRET_PLACEHOLDER + " (new)"}}

        if params.get("test_connection"):
            result["test"] = client.test_connection(name)
            if not result["test"]["connected"]:
                raise ConnectionTestFailed("%s The connection test failed: %s"
                                           % (msg, result["test"]["message"] or "Reltio gave no reason"))
            msg += " Connection test passed."
    except ReltioError as exc:
        exc.result = dict(result, **exc.result)
        raise
    result["msg"] = msg
    return result


def execute(params, check_mode=False, diff=False, warn=None):
    """Validate, build the client and run: the whole task, for the module and any other caller."""
    validate(params)
    return run(params, ReltioClient.from_params(params), check_mode=check_mode, diff=diff, warn=warn)
