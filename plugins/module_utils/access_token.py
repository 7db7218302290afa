# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the reltio_token task does: fetch one access token by the client credentials grant."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.reltio.platform.plugins.module_utils.client_cache import reltio_client
from ansible_collections.reltio.platform.plugins.module_utils.validation import ArgumentCheck


def validate(params):
    check = ArgumentCheck(params)
    check.client_credentials()
    check.http()
    check.done()


def run(params, client, check_mode=False, diff=False, warn=None):  # pylint: disable=unused-argument
    """Fetch a token. Reading a token changes nothing, so check mode fetches it too."""
    if not params.get("validate_certs", True) and warn:
        warn("validate_certs is false: the TLS certificates of Reltio are not checked.")
    token = client.fetch_token()
    return {
        "changed": False,
        "access_token": token["access_token"],
        "expires_in": token["expires_in"],
        "token_type": token["token_type"],
        "msg": "Fetched a Reltio access token valid for %s seconds." % (token["expires_in"] or "an unknown number of"),
    }


def execute(params, check_mode=False, diff=False, warn=None, cache=None):
    validate(params)
    return run(params, reltio_client(params, cache), check_mode=check_mode, diff=diff, warn=warn)
