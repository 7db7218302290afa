# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of task arguments that run before any request, shared by every module.

An ArgumentCheck collects every problem, each naming its option (and its
environment variable), and raises them together in one ValidationError.
Secret values are never repeated, nor passwords inside URLs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import math
import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible.module_utils.errors import ArgumentTypeError, RequiredError, UnsupportedError

from ansible_collections.reltio.platform.plugins.module_utils.arguments import (
    AUTH_OPTIONS,
    CONNECTION_OPTIONS,
    DATABRICKS_CONNECTION_OPTIONS,
)
from ansible_collections.reltio.platform.plugins.module_utils.errors import ValidationError
from ansible_collections.reltio.platform.plugins.module_utils.http_api import MAX_TOKEN_LENGTH, is_loopback

# ansible-core hides every occurrence of a no_log value in every message and result: a shorter secret would star out
# ordinary words ("Invalid argumen****"), and says nothing a guess would not.
MIN_SECRET_LENGTH = 8
# What AnsibleModule shows for the value of a no_log option.
HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def shown_url(url):
    """A URL as it may be shown in a message: without any user name or password.

    A password may hold '/', '?' or '#', and the URL may lack its '//': everything
    after the scheme up to the last '@' goes.
    """
    if "@" not in url:
        return url
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:/*", url)
    prefix = match.group(0) if match else ""
    return prefix + "***@" + url.rsplit("@", 1)[1]


def url_problem(value, allow_loopback_http):
    """Why ``value`` is not an absolute https URL with a host, or None."""
    if any(char.isspace() for char in value) or _CONTROL.search(value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError as exc:
        # The parser's words may quote a piece of a password.
        return "is not a valid URL" if "@" in value else "is not a valid URL (%s)" % exc
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https URL with a host, such as https://example.com"
    if parts.scheme == "http" and not (allow_loopback_http and is_loopback(host)):
        if allow_loopback_http:
            return "must use https (plain http is accepted only for a loopback address such as 127.0.0.1, or localhost)"
        return "must use https"
    if parts.username or parts.password:
        return "must not contain a user name or password"
    return None


def name_problem(value):
    """Why ``value`` cannot be a path segment of a Reltio URL (tenant id, connection name), or None."""
    if _CONTROL.search(value):
        return "must not contain control characters"
    if value.strip(".") == "":
        return "must not be made of dots only"
    return None


def environment_variable(name):
    """The environment variable option ``name`` falls back to, or None."""
    option = CONNECTION_OPTIONS.get(name) or DATABRICKS_CONNECTION_OPTIONS.get(name) or {}
    return option.get("env")


class ArgumentCheck:
    """Collects the problems of one task's arguments.

    ``names`` (option: name) names an option as its caller knows it: a role gives its variables'. ``environment``
    lists the options whose environment variable is a remedy worth saying (all of them when None): a role reads only
    some of them.
    """

    def __init__(self, params, names=None, environment=None):
        self.params = params
        self.problems = []
        self.names = names or {}
        self.environment = environment

    def shown(self, name):
        return self.names.get(name, name)

    def _env_hint(self, name):
        variable = environment_variable(name)
        if variable and (self.environment is None or name in self.environment):
            return " or the %s environment variable" % variable
        return ""

    def require(self, name, why=""):
        if blank(self.params.get(name)):
            self.problems.append("%s is required%s and must not be blank: set it%s" % (self.shown(name), why, self._env_hint(name)))
            return False
        return True

    def header_value(self, name, basic_auth=False):
        """A credential sent in an HTTP header must be Latin-1, and without line breaks unless HTTP Basic encodes it;
        its value is never shown (not even the character that is wrong, nor where it is)."""
        value = self.params.get(name)
        if not isinstance(value, str) or not value:
            return
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            if basic_auth:
                self.problems.append("%s holds characters that HTTP Basic authentication cannot carry (only Latin-1 can),"
                                     " and the preflight sends it so" % self.shown(name))
            else:
                self.problems.append("%s holds characters that cannot be sent in an HTTP header (only Latin-1 can)"
                                     % self.shown(name))
            return
        if not basic_auth and _CONTROL.search(value):
            self.problems.append("%s holds control characters (such as a line break) that cannot be sent in an HTTP header"
                                 % self.shown(name))

    def secret(self, name):
        """A secret long enough to be masked in messages without starring out ordinary words, and not longer than a
        token can be (MAX_TOKEN_LENGTH: masking work grows with a secret's length)."""
        value = self.params.get(name)
        if isinstance(value, str) and len(value) > MAX_TOKEN_LENGTH:
            self.problems.append("%s is longer than %d characters (real Reltio and Databricks secrets and tokens are under"
                                 " 4 KiB); its value is not shown" % (self.shown(name), MAX_TOKEN_LENGTH))
            return
        if isinstance(value, str) and value.strip() and len(value) < MIN_SECRET_LENGTH:
            self.problems.append("%s is shorter than %d characters: Ansible hides every occurrence of a secret's value in"
                                 " every message, so a short one would hide ordinary letters and words (set the real"
                                 " secret)" % (self.shown(name), MIN_SECRET_LENGTH))

    def url(self, name, allow_loopback_http=True):
        if self.require(name):
            problem = url_problem(self.params[name], allow_loopback_http)
            if problem:
                self.problems.append("%s %s, got '%s'" % (self.shown(name), problem, shown_url(self.params[name])))

    def name(self, name):
        if self.require(name):
            problem = name_problem(self.params[name])
            if problem:
                self.problems.append("%s %s" % (self.shown(name), problem))

    def tenant(self):
        self.url("platform_url")
        self.name("tenant_id")

    def auth(self):
        """A usable auth_url, and an access token or Reltio client credentials."""
        self.url("auth_url")
        for name in ("access_token", "reltio_client_id", "reltio_client_secret"):
            self.header_value(name)
            self.secret(name)
        if not blank(self.params.get("access_token")):
            return
        has_id = not blank(self.params.get("reltio_client_id"))
        has_secret = not blank(self.params.get("reltio_client_secret"))
        token, client_id, client_secret = (self.shown(name) for name in ("access_token", "reltio_client_id", "reltio_client_secret"))
        if not (has_id or has_secret):
            variables = [environment_variable(name) for name in ("access_token", "reltio_client_id", "reltio_client_secret")
                         if self._env_hint(name)]
            self.problems.append("%s is required, or %s and %s: set them%s" % (
                token, client_id, client_secret,
                " or the %s and %s environment variables" % (", ".join(variables[:-1]), variables[-1]) if len(variables) > 1 else ""))
        elif not has_id:
            self.problems.append("%s is required with %s: set it%s" % (client_id, client_secret, self._env_hint("reltio_client_id")))
        elif not has_secret:
            self.problems.append("%s is required with %s: set it%s" % (client_secret, client_id, self._env_hint("reltio_client_secret")))

    def client_credentials(self):
        """Reltio client credentials and a usable auth_url, for fetching a token."""
        for name in ("reltio_client_id", "reltio_client_secret"):
            if self.require(name, " to fetch a token"):
                self.header_value(name)
                self.secret(name)
        self.url("auth_url")

    def databricks_credentials(self, why=""):
        """The service principal's client id and secret; Latin-1 when the preflight sends them with HTTP Basic.
        ``why`` says when they are required (reltio_databricks_connection_info needs them for its preflight only)."""
        for name in ("client_id", "client_secret"):
            if self.require(name, why) and self.params.get("preflight"):
                self.header_value(name, basic_auth=True)
        self.secret("client_secret")

    def http(self):
        for name in ("timeout", "retries"):
            value, (lowest, highest) = self.params.get(name), AUTH_OPTIONS[name]["bounds"]
            if value is not None and not (math.isfinite(value) and lowest <= value <= highest):
                self.problems.append("%s must be from %s to %s, got %s" % (self.shown(name), lowest, highest, value))
        ca_path = self.params.get("ca_path")
        if ca_path:
            why = "is a directory" if os.path.isdir(ca_path) else None if os.path.isfile(ca_path) else "does not exist"
            if why:
                self.problems.append("%s must be a readable PEM file, got '%s' which %s" % (self.shown("ca_path"), ca_path, why))

    def done(self):
        if self.problems:
            raise ValidationError(self.problems)


def hidden_values(spec, params):
    """The values ansible-core is to hide in every message and result: those of the no_log options, but blank ones
    (they hide nothing, and would star out every space) and shorter ones than MIN_SECRET_LENGTH, which the checks
    refuse with a message they would star out. Such a value is never sent, and shown_arguments hides it by name."""
    return set(str(params[name]) for name, entry in spec.items()
               if entry.get("no_log") and params.get(name) is not None and len(str(params[name]).strip()) >= MIN_SECRET_LENGTH)


def shown_arguments(spec, params):
    """The task's arguments as its result's ``invocation`` shows them: each no_log option's value hidden by name
    (but a blank one, which hides nothing)."""
    return dict((name, HIDDEN if spec.get(name, {}).get("no_log") and value is not None and str(value).strip() else value)
                for name, value in params.items())


def _kind(value):
    if isinstance(value, Mapping):
        return "dictionary"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    return None


def structured_value_error(spec, args):
    """A ValidationError naming each text option (type str or path) given a list or a dictionary, or None.

    For the task's arguments as given, before AnsibleModule or ArgumentSpecValidator turn such a value into its
    Python repr, which would be sent (and stored in Reltio as a secret): a hashi_vault lookup without its ``:key``,
    a ``query()``. The option and the type are named, never the value.
    """
    problems = []
    for name, entry in sorted(spec.items()):
        if entry.get("type", "str") not in ("str", "path"):
            continue
        for given in (name,) + tuple(entry.get("aliases") or ()):
            kind = _kind(args.get(given))
            if kind:
                problems.append("%s must be a string, got a %s whose value is not shown (a lookup that returns several"
                                " values, such as hashi_vault without its ':key', must name the one to use)" % (given, kind))
    return ValidationError(problems) if problems else None


_PYTHON_TYPES = {"str": str, "path": str, "bool": bool, "int": int, "float": (int, float)}
_TYPE_WORDS = {"str": "string", "path": "path", "bool": "boolean", "int": "whole number", "float": "number"}


def argument_problems(module_name, spec, validation, validate):
    """Every problem of a task's arguments in one ValidationError, for a failed argument spec validation.

    AnsibleModule (and ArgumentSpecValidator) name the first kind of problem only: the missing required
    options without their environment variables, or an unknown option without the one it most likely
    meant. This names each unknown option with the closest valid one, each value of a wrong type, and
    then whatever ``validate`` finds in the rest (every missing option with its variable).
    """
    problems = []
    known = sorted(set(spec) | set(alias for entry in spec.values() for alias in entry.get("aliases") or ()))
    for unknown in sorted(name[0] if isinstance(name, tuple) else name for name in validation.unsupported_parameters):
        close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
        problems.append("%s is not an option of %s%s" % (unknown, module_name, " (did you mean %s?)" % close[0] if close else ""))
    for error in validation.errors:
        # Type errors are named below, the same way whoever parsed the value (the words of ansible-core differ).
        if not isinstance(error, (RequiredError, UnsupportedError, ArgumentTypeError)):
            problems.append(error.msg if hasattr(error, "msg") else str(error))
    params = dict(validation.validated_parameters)
    for name, entry in sorted(spec.items()):
        wanted = _PYTHON_TYPES.get(entry.get("type", "str"))
        if wanted and params.get(name) is not None and not isinstance(params[name], wanted):
            problems.append("%s must be a %s (its value is not shown)" % (name, _TYPE_WORDS.get(entry.get("type"), entry.get("type"))))
            params[name] = None
    try:
        validate(params)
    except ValidationError as exc:
        problems.extend(exc.problems)
    return ValidationError(problems or ["the arguments do not match the module's argument spec"])
