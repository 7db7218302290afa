# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Everything that reads a server's text is linear in time and bounded in memory, after the answer has arrived.

Each adversarial body, at the size cap of an answer (MAX_ANSWER_BYTES), goes through every entry point that parses
or masks what a server sent: each kind of answer of the Reltio adapter (an error status, a 2xx that is not JSON, a 2xx
without what it should hold, the token endpoint's error and success) and of the Databricks adapter (token, warehouse),
and the transport's description of an error that quotes a server's status line. benchmarks/server_text.py prints the
same figures.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import json
import string
import threading
import time
import tracemalloc

import pytest
import requests

from ansible_collections.reltio.platform.plugins.module_utils.client import ReltioClient
from ansible_collections.reltio.platform.plugins.module_utils.databricks_workspace import DatabricksWorkspace
from ansible_collections.reltio.platform.plugins.module_utils.errors import ReltioError
from ansible_collections.reltio.platform.plugins.module_utils.http_api import MAX_JSON_STRUCTURE
from ansible_collections.reltio.platform.plugins.module_utils.redaction import Redactor
from ansible_collections.reltio.platform.plugins.module_utils.transport import MAX_ANSWER_BYTES

from ..fakes import FakeResponse, FakeSession

TOKEN = "tok-Reltio-4f2a9c1e7b3d5a8f"
RELTIO_SECRET = "reltio-Secret-8c2e4a6b"
DBX_SECRET = "dose-Qm9Zk3Xy7Wv2Rt5Lp=="
SECRETS = (TOKEN, RELTIO_SECRET, DBX_SECRET)
# CPU seconds and bytes of memory one entry point may take for one body at the cap, with room for a slow machine:
# memory a small multiple of the cap (the body, its text, and what parsing JSON of MAX_JSON_STRUCTURE values makes).
CPU_BOUND = 1.5
MEMORY_BOUND = 6 * MAX_ANSWER_BYTES


def at_cap(unit):
    return (unit * (MAX_ANSWER_BYTES // len(unit) + 1))[:MAX_ANSWER_BYTES]


PIECES = "".join(secret[start:start + 8] for secret in SECRETS for start in range(len(secret) - 7))
# Runs that an escape, a tag, a base64 or hex spelling, or a secret's piece starts in, again and again.
RUNS = {
    "tags": at_cap(b"<"),
    "percent": at_cap(b"%41"),
    "percent-alone": at_cap(b"%"),
    "entities": at_cap(b"&#"),
    "json-escapes": at_cap(b"\\u"),
    "padding": at_cap(b"="),
    "base64": at_cap((string.ascii_letters + string.digits + "+/").encode()),
    "hex": at_cap(b"0123456789abcdef"),
    "pieces": at_cap(PIECES.encode()),
    "connection-words": at_cap(b"Connection"),
}


def json_of(run):
    """A JSON answer of 64 KiB strings of ``run``, at the cap, its first string in each message field."""
    text = run[:65536].decode("latin-1")
    body = {"errorMessage": text, "message": text, "error_description": text, "result": {"message": text}}
    body["strings"] = [text] * (MAX_ANSWER_BYTES // 65536 - 6)
    return json.dumps(body).encode("utf-8")


def json_array_of(item):
    """A JSON array of ``item`` (bytes) again and again, at the cap."""
    return b"[" + b",".join([item] * ((MAX_ANSWER_BYTES - 2) // (len(item) + 1))) + b"]"


def json_at_the_structure_bound():
    """The JSON that load_json still parses that holds the most: MAX_JSON_STRUCTURE openings, its strings as long
    as the cap allows, each a key or a value of its own object."""
    items = MAX_JSON_STRUCTURE // 3
    text = "x" * ((MAX_ANSWER_BYTES - 20 * items) // (2 * items))
    return ("[" + ",".join(['{"%s%d":"%s"}' % (text, number, text) for number in range(items)]) + "]").encode()


# Issue 25: JSON whose parsing costs 30 times its size in memory (a dict or a list per 3 bytes).
STRUCTURES = {
    "json-empty-objects": json_array_of(b"{}"),
    "json-empty-arrays": json_array_of(b"[]"),
    "json-nested": json_array_of(b"[{}]"),
    "json-short-strings": json_array_of(b'"ab"'),
    "json-numbers": json_array_of(b"0.5"),
    "json-wide-object": b"{" + b",".join(b'"%x":{}' % number for number in range(MAX_ANSWER_BYTES // 12)) + b"}",
    "json-at-the-structure-bound": json_at_the_structure_bound(),
}
BODIES = dict(RUNS, **dict(("json-" + name, json_of(run)) for name, run in RUNS.items()))
BODIES.update(STRUCTURES)


def reltio(*answers):
    client = ReltioClient("https://test.reltio.com", "tenant", access_token=TOKEN, client_id="reltio-id",
                          client_secret=RELTIO_SECRET, auth_url="https://auth.example.com/oauth/token", retries=0,
                          session=FakeSession(*answers))
    client.redact.add(DBX_SECRET)
    return client


def databricks(*answers):
    return DatabricksWorkspace("https://dbc-1.cloud.databricks.com", "dbx-client", DBX_SECRET, Redactor(SECRETS),
                               retries=0, session=FakeSession(*answers))


def entry_points(body):
    """Each way a body reaches the collection's parsing and masking, as (name, call)."""
    def answer(status):
        return FakeResponse(status, content=body, reason="Reason", headers={"Content-Type": "text/html; charset=utf-8"})

    return [
        ("reltio error status", lambda: reltio(answer(500)).create_connection("c", "https://w", "wh", "id", DBX_SECRET)),
        ("reltio 400", lambda: reltio(answer(400)).create_connection("c", "https://w", "wh", "id", DBX_SECRET)),
        ("reltio 2xx", lambda: reltio(answer(200)).create_connection("c", "https://w", "wh", "id", DBX_SECRET)),
        ("reltio test", lambda: reltio(answer(200)).test_connection("c")),
        ("token error", lambda: reltio(answer(500)).fetch_token()),
        ("token 2xx", lambda: reltio(answer(200)).fetch_token()),
        ("databricks token", lambda: databricks(answer(400)).fetch_token()),
        ("databricks warehouse", lambda: databricks(answer(500)).warehouse("wh", "dbx-token-0123456789")),
        ("status line", lambda: reltio(requests.exceptions.ConnectionError(http.client.BadStatusLine(
            body[:65536].decode("latin-1")))).test_connection("c")),
    ]


def measured(call):
    """(CPU seconds, peak bytes allocated) of ``call``, run aside so that a run of hours fails instead of hanging."""
    outcome = []

    def run():
        tracemalloc.start()
        started = time.thread_time()
        try:
            call()
        except ReltioError as exc:
            outcome.append(exc.msg)
        outcome[:0] = [time.thread_time() - started, tracemalloc.get_traced_memory()[1]]
        tracemalloc.stop()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "still running after 30 s"
    return outcome


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_entry_point_is_linear_and_bounded_on_an_adversarial_body_at_the_cap(name):
    for entry, call in entry_points(BODIES[name]):
        outcome = measured(call)
        cpu, peak = outcome[:2]
        assert cpu < CPU_BOUND, (entry, cpu)
        assert peak < MEMORY_BOUND, (entry, peak)
        for message in outcome[2:]:
            assert len(message) < 2000, (entry, len(message))
            for secret in SECRETS:
                assert secret not in message
