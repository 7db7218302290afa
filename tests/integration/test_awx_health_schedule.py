# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""examples/awx/schedule_health_check.yml: the nightly health check job template, its schedule and its notification.

Checked against awx.awx's documented options (from .venv-awx, `make awx-collection`), against what
create_job_template.yml creates (the credential, the project, the execution environment), and against AWX's rules for
a webhook notification and a schedule's rrule.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from reltio_world import ROOT

PLAYBOOK = ROOT / "examples" / "awx" / "schedule_health_check.yml"
JOB_TEMPLATE_PLAYBOOK = ROOT / "examples" / "awx" / "create_job_template.yml"
AWX_VENV_BIN = ROOT / ".venv-awx" / "bin"
AWX_COLLECTIONS = ROOT / ".build" / "awx-collections"
# AWX's webhook notification (awx/main/notifications/webhook_backend.py): its init parameters and the required ones.
WEBHOOK_PARAMETERS = {"url", "username", "password", "disable_ssl_verification", "headers", "http_method"}
WEBHOOK_REQUIRED = {"url", "headers"}
WEBHOOK_METHODS = {"POST", "PUT"}
# What AWX accepts as a schedule's rrule (awx/main/models/schedules.py): a DTSTART with a time zone, then one RRULE.
RRULE = re.compile(r"^DTSTART;TZID=[A-Za-z_/]+:\d{8}T\d{6} RRULE:(?:[A-Z]+=[A-Z0-9,+-]+;?)+$")


@pytest.fixture
def execution():
    """The playbook runs no Reltio task: one path is enough."""
    return "controller"


@pytest.fixture(scope="module")
def awx_collection():
    if not (AWX_COLLECTIONS / "ansible_collections" / "awx" / "awx" / "plugins" / "modules" / "schedule.py").is_file():
        pytest.fail("awx.awx is missing from %s: run `make awx-collection` (make test does)" % AWX_COLLECTIONS, pytrace=False)
    return AWX_COLLECTIONS


def plays(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def tasks_of(path):
    (play,) = plays(path)
    return play["tasks"], play["vars"]


def task(module, path=PLAYBOOK):
    (found,) = [entry[module] for entry in tasks_of(path)[0] if module in entry]
    return found


def rendered(value, variables):
    """``value`` with the play's own {{ variable }} references put in (the only templating these tasks use)."""
    return re.sub(r"\{\{ (\w+) \}\}", lambda match: str(variables[match.group(1)]), value)


def test_syntax_check_needs_and_finds_awx_awx(ansible, awx_collection):
    with_awx = ansible.run([str(AWX_VENV_BIN / "ansible-playbook"), "--syntax-check", str(PLAYBOOK)],
                           env={"ANSIBLE_COLLECTIONS_PATH": str(awx_collection)})
    assert with_awx.rc == 0, with_awx.output


def test_every_option_is_one_awx_awx_documents(ansible, awx_collection):
    tasks = tasks_of(PLAYBOOK)[0]
    modules = sorted(set(key for entry in tasks for key in entry if key.startswith("awx.awx.")))
    assert modules == ["awx.awx.job_template", "awx.awx.notification_template", "awx.awx.schedule"]
    run = ansible.run(["ansible-doc", "--json"] + modules, env={"ANSIBLE_COLLECTIONS_PATH": str(awx_collection)})
    assert run.rc == 0, run.output
    docs = json.loads(run.stdout)
    for entry in tasks:
        (module,) = [key for key in entry if key.startswith("awx.awx.")]
        options = docs[module]["doc"]["options"]
        assert set(entry[module]) <= set(options), (entry["name"], set(entry[module]) - set(options))
        for name, value in entry[module].items():
            if "choices" in options[name] and "{{" not in str(value):
                assert value in options[name]["choices"], (entry["name"], name)


def test_the_job_template_runs_the_health_playbook_with_what_create_job_template_made():
    _tasks, variables = tasks_of(PLAYBOOK)
    _other_tasks, other_variables = tasks_of(JOB_TEMPLATE_PLAYBOOK)
    template = task("awx.awx.job_template")
    assert (ROOT / "examples" / template["playbook"]).is_file()
    (health_play,) = plays(ROOT / "examples" / template["playbook"])
    assert [role["role"] for role in health_play["roles"]] == ["reltio.platform.connection_health"]
    made = task("awx.awx.job_template", JOB_TEMPLATE_PLAYBOOK)
    assert template["project"] == made["project"]
    assert rendered(template["execution_environment"], variables) == rendered(made["execution_environment"], other_variables)
    reltio_credentials = [entry["awx.awx.credential"]["name"] for entry in tasks_of(JOB_TEMPLATE_PLAYBOOK)[0]
                          if "awx.awx.credential" in entry and entry["awx.awx.credential"]["credential_type"] == "Reltio API"]
    assert template["credentials"] == reltio_credentials


def test_a_failed_job_notifies_and_the_schedule_launches_it_nightly():
    _tasks, variables = tasks_of(PLAYBOOK)
    notification = task("awx.awx.notification_template")
    template = task("awx.awx.job_template")
    schedule = task("awx.awx.schedule")
    assert template["notification_templates_error"] == [notification["name"]]
    assert "notification_templates_success" not in template
    configuration = notification["notification_configuration"]
    assert notification["notification_type"] == "webhook"
    assert WEBHOOK_REQUIRED <= set(configuration) <= WEBHOOK_PARAMETERS
    assert configuration["http_method"] in WEBHOOK_METHODS
    # AWX renders the message with the job's context: the play must hand it over unrendered, as valid JSON.
    body = notification["messages"]["error"]["body"]
    assert "{{ '{{' }} job.id {{ '}}' }}" in body
    # The number of newly failing connections, from the job's artifacts (the example playbook's set_stats).
    assert "{{ '{{' }} job.artifacts.connection_health.new_failures | default(" in body
    json.loads(body.replace("{{ '{{' }}", "{{").replace("{{ '}}' }}", "}}"))
    assert schedule["unified_job_template"] == template["name"]
    assert schedule["enabled"] is True
    rrule = rendered(schedule["rrule"], variables)
    assert RRULE.match(rrule), rrule
    assert "FREQ=DAILY" in rrule
