# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Errors the user can see. Each renders its own ``fail_json`` arguments.

Messages are redacted by whoever raises them (the client knows the secrets),
so nothing here ever formats a secret. Every message is made printable here
(redaction.printable): no control character of a server's reaches a terminal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.reltio.platform.plugins.module_utils.redaction import printable
from ansible_collections.reltio.platform.plugins.module_utils.reasons import checked


class ReltioError(Exception):
    """Base of every error of the collection. ``reason_code`` (reasons.py) is decided where it is raised; each class
    has the code of its usual cause as a default."""

    REASON_CODE = "unexpected_answer"

    def __init__(self, msg, status=None, error_code=None, may_exist=False, reason_code=None):
        msg = printable(msg)
        super(ReltioError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.error_code = error_code
        self.may_exist = may_exist
        self.reason_code = checked(reason_code or self.REASON_CODE)
        # What the task had already done (for example ``changed``) when it failed.
        self.result = {}

    def fail_kwargs(self):
        kwargs = dict(self.result)
        kwargs["msg"] = self.msg
        kwargs["reason_code"] = self.reason_code
        if self.status is not None:
            kwargs["status"] = self.status
        if self.error_code is not None:
            kwargs["error_code"] = self.error_code
        if self.may_exist:
            kwargs["may_exist"] = True
        return kwargs


class ValidationError(ReltioError):
    """Bad task arguments, found before any request is sent. ``problems``: one sentence per bad option."""

    REASON_CODE = "bad_arguments"

    def __init__(self, problems):
        self.problems = list(problems)
        super(ValidationError, self).__init__("Invalid arguments: %s." % "; ".join(self.problems))


class AuthenticationError(ReltioError):
    """Reltio refused the access token or the client credentials."""

    REASON_CODE = "reltio_auth"


class CredentialsRefused(AuthenticationError):
    """The token endpoint refused the client credentials (HTTP 400, 401 or 403): it refuses them again at every
    request, and an auth server may lock out a client that keeps asking."""


class NotFoundError(ReltioError):
    """HTTP 404: the tenant, platform URL or connection does not exist (``reason_code`` says which). ``statement``:
    what is wrong, without the advice of ``msg`` (for a report that says what to do in a column of its own)."""

    REASON_CODE = "tenant_not_found"
    statement = None


class ApiError(ReltioError):
    """Reltio answered with an error status."""


class TransportError(ReltioError):
    """No usable HTTP answer: connection refused, timeout, TLS failure, an answer too large to read.

    ``request_sent`` is false when the request cannot have reached the server (no connection, TLS, proxy).
    """

    REASON_CODE = "unreachable"

    def __init__(self, msg, status=None, may_exist=False, request_sent=True, reason_code=None):
        super(TransportError, self).__init__(msg, status=status, may_exist=may_exist, reason_code=reason_code)
        self.request_sent = request_sent


class PreflightError(ReltioError):
    """The Databricks side refused what the task would store: the service principal or the warehouse."""

    REASON_CODE = "databricks_other"


class ConnectionTestFailed(ReltioError):
    """Reltio ran the connection test and Databricks did not accept it."""

    REASON_CODE = "databricks_other"
