# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets in odd places: full of metacharacters, echoed by the server, equal to part of the URL.

Each test registers its secrets with the ``ansible`` fixture, whose scan then looks for
them (as is, and JSON-, URL- and HTML-escaped) in everything Ansible printed at -vvvv.
"""

from __future__ import annotations

import hashlib
import json

from reltio_world import DATABRICKS_CLIENT_ID, RELTIO_TOKEN, WAREHOUSE_ID, WORKSPACE_URL

MODULE = "reltio.platform.reltio_databricks_connection"
# Regex, Jinja, shell, format and quoting metacharacters, unicode, inner spaces.
HOSTILE = {
    "jinja": "dbx-{{ lookup('env', 'HOME') }}-{% raw %}-{#c#}",
    "regex": "dbx-.*+?^$()[]{}|\\1-\\d+",
    "quotes": "dbx-\"double\"-'single'-`back`-\\-</p>",
    "shell": "dbx-$(whoami);&&|>/dev/null $HOME %PATH%",
    "format": "dbx-%s%d%(name)s{0}{name}",
    "unicode": "dbx-\u00fcn\u00efc\u00f8d\u00e9-\u20ac-\u540d\u524d-\U0001f511",
    "spaces": "dbx with  inner   spaces",
}


def yaml_string(value):
    """A YAML double-quoted scalar of ``value``: JSON's escapes, with characters YAML would fold kept escaped."""
    text = json.dumps(value, ensure_ascii=False)
    for char in ("\u0085", "\u2028", "\u2029", "\ufeff"):
        text = text.replace(char, "\\u%04x" % ord(char))
    return text


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def yaml_play(ansible, tasks, secrets):
    """A YAML playbook whose secrets are !unsafe variables of a vars file (as a vault file would hold them).

    Not in the play itself: ansible-core 2.19 shows the lines above a failed task, vars included.
    """
    vars_file = ansible.workdir / "secrets.yml"
    vars_file.write_text("".join("%s: !unsafe %s\n" % (name, yaml_string(value)) for name, value in secrets.items()))
    lines = ["- name: Secrets in odd places", "  hosts: localhost", "  gather_facts: false", "  vars_files:",
             "    - %s" % json.dumps(str(vars_file))]
    lines.append("  tasks:")
    for task in tasks:
        lines.append("    - %s" % json.dumps(task))
    return "\n".join(lines) + "\n"


def create(emulator, name, tenant, secret_var, **extra):
    args = {"platform_url": emulator.url, "tenant_id": tenant, "access_token": RELTIO_TOKEN, "connection_name": "conn",
            "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID, "client_id": DATABRICKS_CLIENT_ID,
            "client_secret": "{{ %s }}" % secret_var}
    args.update(extra)
    return {"name": name, MODULE: args, "ignore_errors": True}


def register(ansible, secrets):
    for label, secret in secrets.items():
        ansible.add_secret("hostile secret (%s)" % label, secret)


def test_hostile_secrets_reach_reltio_unchanged_and_are_never_printed(ansible, emulator, tenant):
    register(ansible, HOSTILE)
    tasks = [create(emulator, label, tenant + label, label, update_secret="always") for label in HOSTILE]
    run = ansible.playbook(yaml_play(ansible, tasks, HOSTILE), "-vvvv")
    assert run.rc == 0, run.output
    for label, secret in HOSTILE.items():
        assert run.task(label)["created"] is True
        assert emulator.connections(tenant + label)["conn"]["clientSecretSha256"] == sha256(secret)


def test_hostile_secrets_echoed_by_the_server_are_masked(ansible, emulator, tenant):
    """Each secret echoed in a JSON 400 and in a text 500, a task and a tenant each, in one play."""
    register(ansible, HOSTILE)
    answers = {"json": 400, "text": 500}
    for body, status in answers.items():
        for label in HOSTILE:
            emulator.faults({"endpoint": "create", "tenant": tenant + body + label, "status": status, "body": body,
                             "echo": True, "message": "Rejected request"})
    tasks = [create(emulator, body + label, tenant + body + label, label) for body in answers for label in HOSTILE]
    run = ansible.playbook(yaml_play(ansible, tasks, HOSTILE), "-vvvv")
    for body, status in answers.items():
        for label in HOSTILE:
            result = run.task(body + label)
            assert "Rejected request" in result["msg"] and "HTTP %d" % status in result["msg"]
            if body == "json":
                # The whole echo, the secret masked (a text body is cut to an excerpt before the secret).
                assert '"clientSecret": "********"' in result["msg"], result["msg"]
    assert len(emulator.requests("create")) == len(HOSTILE) * len(answers)


def test_secrets_from_the_environment_with_metacharacters(ansible, emulator, tenant):
    token = "rlt-" + HOSTILE["jinja"] + HOSTILE["regex"]
    emulator.configure(tokens=[token])
    env = ansible.reltio_env(tenant)
    env.update(ansible.databricks_env(), RELTIO_ACCESS_TOKEN=token, DATABRICKS_CLIENT_SECRET=HOSTILE["shell"] + HOSTILE["unicode"])
    emulator.faults({"endpoint": "test", "status": 502, "body": "text", "echo": True, "message": "proxy saw", "count": -1})
    run = ansible.adhoc("connection_name=x test_connection=true retries=1", "-vvvv", env=env)
    result = run.task()
    assert run.rc != 0 and result["created"] is True and "HTTP 502" in result["msg"]
    stored = emulator.connections(tenant)["x"]
    assert stored["clientSecretSha256"] == sha256(HOSTILE["shell"] + HOSTILE["unicode"])
    # Both secrets came from the environment: the fixture's scan looks for them without being told.
    assert {token, HOSTILE["shell"] + HOSTILE["unicode"]} <= set(ansible.secrets.values())


def test_secrets_equal_to_parts_of_the_url_are_used_and_never_printed(ansible, emulator):
    # The Databricks secret is the tenant id (a path segment of every request); the access token is the
    # connection name (a path segment of the credentials and test requests).
    tenant, name = "urlPartTenant7Qx", "urlPartName4Kw"
    register(ansible, {"equal to the tenant id": tenant, "equal to the connection name": name})
    emulator.configure(tokens=[name])
    task = {"name": "create", MODULE: {
        "platform_url": emulator.url, "tenant_id": tenant, "access_token": name, "connection_name": name,
        "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID, "client_id": DATABRICKS_CLIENT_ID,
        "client_secret": tenant, "update_secret": "always", "test_connection": True}}
    # The same task twice: the first creates, the second stores the secret again.
    run = ansible.playbook(json.dumps([{"name": "url parts", "hosts": "localhost", "gather_facts": False,
                                        "tasks": [task, dict(task, name="again")]}]), "-vvvv")
    assert run.rc == 0, run.output
    assert run.task("again")["secret_updated"] is True and run.task("again")["test"]["connected"] is True
    assert list(emulator.connections(tenant)) == [name]
    assert [(entry["endpoint"], entry["tenant"], entry["status"]) for entry in emulator.requests()] == [
        ("create", tenant, 200), ("test", tenant, 200), ("create", tenant, 400), ("credentials", tenant, 200), ("test", tenant, 200)]
    assert not ansible.take_leaks()


def test_a_secret_echoed_in_an_html_page_is_masked(ansible, emulator, tenant):
    secrets = {"quotes": HOSTILE["quotes"]}
    register(ansible, secrets)
    # Storing credentials sends a short body, so the page's excerpt reaches the secret.
    # The first task creates the connection (no credentials request); the second stores them and gets the page.
    store = create(emulator, "quotes", tenant, "quotes", client_id="c", update_secret="always")
    emulator.faults({"endpoint": "credentials", "tenant": tenant, "status": 500, "body": "html", "echo": True, "message": "No"})
    run = ansible.playbook(yaml_play(ansible, [dict(store, name="create"), store], secrets))
    assert not run.task("create").get("failed") and run.task("create")["created"] is True, run.output
    msg = run.task("quotes")["msg"]
    assert "HTTP 500" in msg
    # Masked whole: the leak scan finds only a whole spelling, so a mask that covers the middle of the secret and
    # leaves its HTML-escaped ends (dbx-\&quot;double\&quot;, &lt;/p&gt;) in clear would pass it.
    assert "&quot;clientSecret&quot;: &quot;********&quot;}" in msg, msg
    assert "double" not in msg and "&lt;/p&gt;" not in msg, msg
    assert not ansible.take_leaks()


def test_a_header_value_that_cannot_be_sent_fails_clearly_and_a_token_with_a_line_break_is_not_printed(
        ansible, emulator, tenant):
    """Three cases, a task and a tenant each (its credentials in its environment), in one play. (The leak scan looks for
    every 8-letter ASCII run of the pasted credential: no name of this test or its play holds "credential".)"""
    pasted = "pasted-\u201ccredential\u201d"
    broken = "rlt-token-from-a-file\nsecond-line"
    for label, value in (("pasted credential", pasted), ("token with a line break", broken)):
        ansible.add_secret(label, value)
    cases = {"RELTIO_ACCESS_TOKEN": dict(ansible.reltio_env(tenant + "token"), RELTIO_ACCESS_TOKEN=pasted),
             "RELTIO_CLIENT_SECRET": dict(ansible.reltio_env(tenant + "client", auth="client"), RELTIO_CLIENT_SECRET=pasted),
             "line break": dict(ansible.reltio_env(tenant + "break"), RELTIO_ACCESS_TOKEN=broken)}
    tasks = [{"name": name, MODULE: {"connection_name": "x"}, "environment": environment, "ignore_errors": True}
             for name, environment in cases.items()]
    run = ansible.playbook(json.dumps([{"name": "header values", "hosts": "localhost", "gather_facts": False,
                                        "tasks": tasks}]), env=ansible.databricks_env())
    assert set(run.failed_messages()) == set(cases), run.output
    for variable, option in (("RELTIO_ACCESS_TOKEN", "access_token"), ("RELTIO_CLIENT_SECRET", "reltio_client_secret")):
        msg = run.task(variable)["msg"]
        assert option in msg, msg
        assert "Task failed: " not in msg
    assert "UnicodeEncodeError" not in run.output
    assert not ansible.take_leaks()
