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


# The echoes of the target path, one of each route of a server's text to the message: a JSON error's message, a text
# body's excerpt. Masking is the same code on both paths: every secret is echoed both ways on the controller path,
# where a task costs a tenth of a module execution (half a CPU-second).
ECHOES_ON_TARGET = (("json", "unicode"), ("text", "quotes"))


def test_secrets_in_odd_places_reach_reltio_unchanged_and_are_never_printed(ansible, emulator, tenant, execution):
    """Five facets, a task (or two) and a tenant each, in one play at -vvvv (one run, not one a facet):

    - hostile secrets (metacharacters of every kind) reach Reltio unchanged;
    - each is echoed by the server in a JSON 400 and in a text 500, and masked (on the target path, ECHOES_ON_TARGET);
    - one echoed in an HTML page is masked whole;
    - secrets from the environment (AWX's way), full of metacharacters, are used and not printed;
    - secrets equal to parts of the URL (the tenant id, the connection name) are used and not printed.
    """
    register(ansible, HOSTILE)
    # From the environment: the access token and the Databricks secret; this facet's task takes all else from there too.
    env_token, env_secret, env_tenant = "rlt-" + HOSTILE["jinja"] + HOSTILE["regex"], HOSTILE["shell"] + HOSTILE["unicode"], tenant + "env"
    # Equal to parts of the URL: the Databricks secret is the tenant id (a path segment of every request); the access
    # token is the connection name (a path segment of the credentials and test requests).
    url_tenant, url_name = "urlPartTenant7Qx", "urlPartName4Kw"
    register(ansible, {"equal to the tenant id": url_tenant, "equal to the connection name": url_name})
    emulator.configure(tokens=[RELTIO_TOKEN, env_token, url_name])

    reach = [create(emulator, label, tenant + label, label, update_secret="always") for label in HOSTILE]

    answers = {"json": 400, "text": 500}
    echoed = [(body, label) for body in answers for label in HOSTILE
              if execution == "controller" or (body, label) in ECHOES_ON_TARGET]
    for body, label in echoed:
        emulator.faults({"endpoint": "create", "tenant": tenant + body + label, "status": answers[body], "body": body,
                         "echo": True, "message": "Rejected request"})
    echoes = [create(emulator, body + label, tenant + body + label, label) for body, label in echoed]

    # Storing credentials sends a short body, so the page's excerpt reaches the secret. The first task creates the
    # connection (no credentials request); the second stores them and gets the page.
    store = create(emulator, "html", tenant + "html", "quotes", client_id="c", update_secret="always")
    emulator.faults({"endpoint": "credentials", "tenant": tenant + "html", "status": 500, "body": "html", "echo": True,
                     "message": "No"})
    html_page = [dict(store, name="create for html"), store]

    emulator.faults({"endpoint": "test", "tenant": env_tenant, "status": 502, "body": "text", "echo": True,
                     "message": "proxy saw", "count": -1})
    from_env = [{"name": "from the environment", MODULE: {"connection_name": "x", "test_connection": True, "retries": 1},
                 "ignore_errors": True}]

    url_task = {"name": "url parts", MODULE: {
        "platform_url": emulator.url, "tenant_id": url_tenant, "access_token": url_name, "connection_name": url_name,
        "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID, "client_id": DATABRICKS_CLIENT_ID,
        "client_secret": url_tenant, "update_secret": "always", "test_connection": True}}
    # The same task twice: the first creates, the second stores the secret again.
    url_parts = [url_task, dict(url_task, name="url parts again")]

    env = ansible.reltio_env(env_tenant)
    env.update(ansible.databricks_env(), RELTIO_ACCESS_TOKEN=env_token, DATABRICKS_CLIENT_SECRET=env_secret)
    run = ansible.playbook(yaml_play(ansible, reach + echoes + html_page + from_env + url_parts, HOSTILE), "-vvvv", env=env)
    assert set(run.failed_messages()) == set(
        [task["name"] for task in echoes] + ["html", "from the environment"]), run.output

    for label, secret in HOSTILE.items():
        assert run.task(label)["created"] is True
        assert emulator.connections(tenant + label)["conn"]["clientSecretSha256"] == sha256(secret)

    for body, label in echoed:
        result = run.task(body + label)
        assert "Rejected request" in result["msg"] and "HTTP %d" % answers[body] in result["msg"]
        if body == "json":
            # The whole echo, the secret masked (a text body is cut to an excerpt before the secret).
            assert '"clientSecret": "********"' in result["msg"], result["msg"]
    echo_tenants = set(tenant + body + label for body, label in echoed)
    assert len([entry for entry in emulator.requests("create") if entry["tenant"] in echo_tenants]) == len(echoed)

    assert run.task("create for html")["created"] is True, run.output
    msg = run.task("html")["msg"]
    assert "HTTP 500" in msg
    # Masked whole: the leak scan finds only a whole spelling, so a mask that covers the middle of the secret and
    # leaves its HTML-escaped ends (dbx-\&quot;double\&quot;, &lt;/p&gt;) in clear would pass it.
    assert "&quot;clientSecret&quot;: &quot;********&quot;}" in msg, msg
    assert "double" not in msg and "&lt;/p&gt;" not in msg, msg

    result = run.task("from the environment")
    assert result["created"] is True and "HTTP 502" in result["msg"]
    assert emulator.connections(env_tenant)["x"]["clientSecretSha256"] == sha256(env_secret)
    # Both secrets came from the environment: the fixture's scan looks for them without being told.
    assert {env_token, env_secret} <= set(ansible.secrets.values())

    again = run.task("url parts again")
    assert again["secret_updated"] is True and again["test"]["connected"] is True
    assert list(emulator.connections(url_tenant)) == [url_name]
    assert [(entry["endpoint"], entry["status"]) for entry in emulator.requests() if entry["tenant"] == url_tenant] == [
        ("create", 200), ("test", 200), ("create", 400), ("credentials", 200), ("test", 200)]
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
