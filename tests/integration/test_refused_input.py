# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input gets a clear error naming the option, and nothing is sent (issues 18 and 20).

A list or a dict where a credential goes (a hashi_vault lookup without ``:key``), a secret too short to be
masked, credentials HTTP Basic cannot carry, a ca_path that is a directory, a ``*.localhost`` name for plain
http. Every test runs on both execution paths; the leak scan of the ``ansible`` fixture checks all output.
"""

from __future__ import annotations

import json

from reltio_world import DATABRICKS_CLIENT_ID, RELTIO_TOKEN, WAREHOUSE_ID, WORKSPACE_URL

MODULE = "reltio.platform.reltio_databricks_connection"
INFO_MODULE = "reltio.platform.reltio_databricks_connection_info"
LIST_SECRETS = ["dbx-list-secret-one-Qz81", "dbx-list-secret-two-Wm52"]


def refusals(ansible, cases, *flags, env=None, variables=None):
    """The failed message of each case ``(module, args, task environment)``: one task a case, all in one playbook (an
    ansible-playbook run a case cost a second of CPU, twice that as a module), its variables from a vars file (as a
    vault file or a lookup would give them)."""
    vars_file = ansible.workdir / "vars.json"
    vars_file.write_text(json.dumps(variables or {}))
    tasks = [{"name": "refused %d" % number, module: args, "environment": environment, "ignore_errors": True}
             for number, (module, args, environment) in enumerate(cases)]
    run = ansible.playbook(json.dumps([{"name": "refused input", "hosts": "localhost", "gather_facts": False,
                                        "vars_files": [str(vars_file)], "tasks": tasks}]), *flags, env=env)
    assert run.recap()["ignored"] == len(cases), run.output
    assert "time_t" not in run.output and "Traceback" not in run.output
    failed = run.failed_messages()
    return [failed["refused %d" % number] for number in range(len(cases))]


def base_args(emulator, tenant):
    return {"platform_url": emulator.url, "tenant_id": tenant, "access_token": RELTIO_TOKEN, "connection_name": "conn",
            "workspace_url": WORKSPACE_URL, "warehouse_id": WAREHOUSE_ID, "client_id": DATABRICKS_CLIENT_ID}


def test_a_list_or_dict_credential_is_refused_naming_the_type_and_nothing_is_sent(ansible, emulator, tenant):
    """Before issue 18 its Python repr was sent, and stored in Reltio as the secret."""
    for index, secret in enumerate(LIST_SECRETS):
        ansible.add_secret("list item %d" % index, secret)
    cases = [("client_secret", LIST_SECRETS, "list"),
             ("client_secret", {"client_secret": LIST_SECRETS[0], "client_id": LIST_SECRETS[1]}, "dictionary"),
             ("access_token", {"token": LIST_SECRETS[0]}, "dictionary")]
    tasks = [(MODULE, dict(base_args(emulator, tenant), **dict({"client_secret": "dbx-secret-Tq6Wn3Hs9Kd2Pv5Ya8"},
                                                               **{option: "{{ structured%d }}" % number})), {})
             for number, (option, dummy_value, dummy_kind) in enumerate(cases)]
    variables = dict(("structured%d" % number, value) for number, (dummy_option, value, dummy_kind) in enumerate(cases))
    for (option, dummy, kind), msg in zip(cases, refusals(ansible, tasks, "-vvvv", variables=variables)):
        assert "%s must be a string, got a %s whose value is not shown" % (option, kind) in msg, msg
    assert emulator.requests() == []


def test_each_bad_value_is_refused_with_a_message_naming_its_option_and_nothing_is_sent(ansible, emulator, tenant):
    """Every case a task, in one play: the Reltio values of the play are a token and client credentials (reltio_token
    needs these); bounds and values are checked before either is used. A task's message names every problem of its
    arguments, so a task holds bad values of several options (a module execution costs a second of CPU on the target
    path); two values of one option are two tasks. Not at -vvvv with the list test: ansible-core prints a module's
    environment there, and these cases give secrets in the task's environment.

    - Issue 20: RELTIO_ACCESS_TOKEN=t made ansible-core star out every t of every message.
    - Databricks credentials HTTP Basic cannot carry: before issue 18 the preflight failed with the character and its
      position in the secret; the info module's preflight did until issue 25.
    - A ca_path that is a directory says so.
    - Most resolvers send *.localhost to DNS, which may answer any address: the token would go there in clear.
    - Issue 25: timeout 1e10 crashed with "timestamp out of range for platform time_t" on both paths.
    - Issue 25: reltio_databricks_connection_info accepted a client_secret under 8 characters or over 16 KiB.
    """
    values = {"DATABRICKS_CLIENT_SECRET": "dbx-secret-\u20ac-\u540d-Tq6Wn3Hs", "DATABRICKS_CLIENT_ID": "dbx-client-\u20ac-\u540d-Wz3Kp8Rv"}
    # The client id is no secret: the result shows it.
    ansible.add_secret("non-Latin-1 client secret", values["DATABRICKS_CLIENT_SECRET"])
    short_secrets = ["Qz7-dbx", "L" * 16385]
    for number, secret in enumerate(short_secrets):
        ansible.add_secret("refused client secret #%d" % number, secret)
    url = emulator.url.replace("127.0.0.1", "emulator.localhost")
    latin1 = ["%s holds characters that HTTP Basic authentication cannot carry (only Latin-1 can)" % option
              for option in ("client_secret", "client_id")]
    cases = [
        (MODULE, "connection_name=x preflight=true ca_path=%s timeout=1e10" % ansible.workdir,
         dict(values, RELTIO_ACCESS_TOKEN="t"),
         ["access_token is shorter than 8 characters: Ansible hides every occurrence of a secret's value",
          "ca_path must be a readable PEM file, got '%s' which is a directory" % ansible.workdir,
          "timeout must be from 1 to 3600, got 10000000000.0"] + latin1),
        (MODULE, "connection_name=x timeout=0.5", {"RELTIO_PLATFORM_URL": url},
         ["platform_url must use https (plain http is accepted only for a loopback address such as 127.0.0.1, or"
          " localhost), got '%s'" % url, "timeout must be from 1 to 3600, got 0.5"]),
        (INFO_MODULE, "connection_name=x preflight=true timeout=86400", values,
         ["timeout must be from 1 to 3600, got 86400.0"] + latin1),
        ("reltio.platform.reltio_token", "connection_name=x retries=11", {}, ["retries must be from 0 to 10, got 11"]),
        (INFO_MODULE, "connection_name=x preflight=true", {"DATABRICKS_CLIENT_SECRET": short_secrets[0]},
         ["client_secret is shorter than 8 characters"]),
        (INFO_MODULE, "connection_name=x preflight=true", {"DATABRICKS_CLIENT_SECRET": short_secrets[1]},
         ["client_secret is longer than 16384 characters"]),
    ]
    env = dict(ansible.reltio_env(tenant), **ansible.databricks_env())
    env.update((name, value) for name, value in ansible.reltio_env(tenant, auth="client").items() if name.startswith("RELTIO_"))
    messages = refusals(ansible, [(module, args, environment) for module, args, environment, dummy in cases], env=env)
    for (module, args, dummy, expected), msg in zip(cases, messages):
        for words in expected:
            assert words in msg, (module, args, words, msg)
    # The one-letter token's message is not starred out.
    assert "*" not in messages[0]
    for msg in (messages[0], messages[2]):
        assert "position" not in msg and "\u20ac" not in msg, msg
    assert emulator.requests() == []
