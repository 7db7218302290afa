# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Remove secrets from text before anybody sees it.

A server may echo a secret back in another spelling: JSON-escaped, URL-encoded,
HTML-escaped, or inside an HTTP Basic header. Each spelling is removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import html
import json

from urllib.parse import quote, quote_plus

MASK = "********"


def _plain_spellings(secret):
    yield secret
    yield json.dumps(secret)[1:-1]
    yield json.dumps(secret, ensure_ascii=False)[1:-1]
    yield quote(secret, safe="")
    yield quote_plus(secret, safe="")


def _spellings(secret):
    """Each spelling, also as an HTML page (a gateway's error page) that echoes the request would write it."""
    for spelling in _plain_spellings(secret):
        yield spelling
        yield html.escape(spelling, quote=True)
        yield html.escape(spelling, quote=False)
        yield html.escape(spelling, quote=True).replace("&#x27;", "&#39;")


class Redactor:
    """Knows the secrets of one task and masks every spelling of them."""

    def __init__(self, secrets=()):
        self._secrets = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if secret:
            self._secrets.update(s for s in _spellings(secret) if s)

    def add_basic_auth(self, user, password):
        """Also mask the Basic header value made from a client id and secret."""
        if user and password:
            token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
            self._secrets.add(token)

    def __call__(self, value):
        """Return ``value`` with every secret masked; dicts and lists are walked."""
        if isinstance(value, dict):
            return dict((key, self(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [self(item) for item in value]
        if not isinstance(value, str) or not self._secrets:
            return value
        # Longest first, so that a secret inside another is not half masked.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
        return value
