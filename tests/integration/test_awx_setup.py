# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX setup: the credential types of extensions/awx/ and the playbooks of examples/awx/.

The credential types are checked against the module's option table (same names,
environment variables and secrecy) and against AWX's own validation rules, which
a small AWX API on 127.0.0.1 applies when examples/awx/register_credential_types.yml
registers them with awx.awx.credential_type (from the `ansible` package in .venv-awx).
examples/awx/create_job_template.yml is checked against awx.awx's documented options
and AWX's rules for surveys.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from reltio_world import ROOT

from ansible_collections.reltio.platform.plugins.module_utils import arguments

CREDENTIAL_TYPES = ROOT / "extensions" / "awx" / "credential_types"
REGISTER_PLAYBOOK = "examples/awx/register_credential_types.yml"
JOB_TEMPLATE_PLAYBOOK = "examples/awx/create_job_template.yml"
AWX_VENV_BIN = ROOT / ".venv-awx" / "bin"
AWX_COLLECTIONS = ROOT / ".build" / "awx-collections"
AWX_TOKEN = "awx-oauth-token-Z8yQ3mK5wR1t"

# What AWX checks when a credential type is saved: the JSON schemas of CredentialTypeInputField and
# CredentialTypeInjectorField (awx/main/fields.py), the env variables it refuses, the kinds it allows.
INPUTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "required": {"type": "array", "items": {"type": "string"}},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["string", "boolean"]},
                    "format": {"enum": ["ssh_private_key", "url"]},
                    "choices": {"type": "array", "minItems": 1, "items": {"type": "string"}, "uniqueItems": True},
                    "id": {"type": "string", "pattern": "^[a-zA-Z_]+[a-zA-Z0-9_]*$"},
                    "label": {"type": "string"},
                    "help_text": {"type": "string"},
                    "multiline": {"type": "boolean"},
                    "secret": {"type": "boolean"},
                    "ask_at_runtime": {"type": "boolean"},
                    "default": {},
                },
                "additionalProperties": False,
                "required": ["id", "label"],
            },
        },
    },
}
INJECTORS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "file": {"type": "object", "patternProperties": {r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$": {"type": "string"}},
                 "additionalProperties": False},
        "env": {"type": "object", "patternProperties": {"^[a-zA-Z_]+[a-zA-Z0-9_]*$": {"type": "string", "pattern": "^[\x00-\x7F]*$"}},
                "additionalProperties": False},
        "extra_vars": {"type": "object", "patternProperties": {"^[a-zA-Z_]+[a-zA-Z0-9_]*$": {"type": "string"}},
                       "additionalProperties": False},
    },
}
ENV_BLOCKLIST = {
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE", "CALLBACK_CONNECTION",
    "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
}
CUSTOM_KINDS = ("cloud", "net")


def awx_problems(body):
    """What AWX would refuse in a credential type (``[]`` if it saves it), normalising it as AWX does."""
    problems = []
    if not body.get("name"):
        problems.append("name: this field may not be blank")
    if body.get("kind") not in CUSTOM_KINDS:
        problems.append("kind: must be one of %s for a custom credential type" % (CUSTOM_KINDS,))
    inputs, injectors = body.get("inputs") or {}, body.get("injectors") or {}
    for label, value, schema in (("inputs", inputs, INPUTS_SCHEMA), ("injectors", injectors, INJECTORS_SCHEMA)):
        problems.extend("%s: %s" % (label, error.message) for error in jsonschema.Draft4Validator(schema).iter_errors(value))
    if problems:
        return problems
    ids = set()
    for field in inputs.get("fields", []):
        if field["id"] == "tower" or field["id"] in ids:
            problems.append("inputs: field id %s is reserved or not unique" % field["id"])
        ids.add(field["id"])
        field.setdefault("type", "string")
        if "default" in field and not isinstance(field["default"], {"string": str, "boolean": bool}[field["type"]]):
            problems.append("inputs: default of %s is not a %s" % (field["id"], field["type"]))
        for key in ("choices", "multiline", "format", "secret"):
            if key in field and field["type"] != "string":
                problems.append("inputs: %s not allowed for %s type (%s)" % (key, field["type"], field["id"]))
    namespace = dict((field_id, "EXAMPLE") for field_id in ids)
    for kind, injector in injectors.items():
        for key, template in injector.items():
            if kind == "env" and (key.startswith("ANSIBLE_") or key in ENV_BLOCKLIST):
                problems.append("injectors: environment variable %s is not allowed in credentials" % key)
            try:
                ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)
            except (UndefinedError, SecurityError, TemplateSyntaxError) as exc:
                problems.append("injectors: %s uses an undefined field or bad template (%s)" % (key, exc))
    return problems


def load(name):
    with open(CREDENTIAL_TYPES / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def reltio_api():
    return load("reltio_api.yml")


def databricks_service_principal():
    return load("databricks_service_principal.yml")


class TestDefinitions:
    def test_exactly_two_credential_types_in_one_place(self):
        assert sorted(path.name for path in CREDENTIAL_TYPES.iterdir()) == ["databricks_service_principal.yml", "reltio_api.yml"]
        assert reltio_api()["name"] == "Reltio API"
        assert databricks_service_principal()["name"] == "Databricks service principal"

    @pytest.mark.parametrize("name", ["reltio_api.yml", "databricks_service_principal.yml"])
    def test_awx_accepts_it(self, name):
        definition = load(name)
        assert set(definition) == {"name", "description", "kind", "inputs", "injectors"}
        assert awx_problems(copy.deepcopy(definition)) == []

    @pytest.mark.parametrize("breakage, expected", [
        (lambda d: d["injectors"]["env"].update(RELTIO_X="{{ no_such_field }}"), "undefined"),
        (lambda d: d["injectors"]["env"].update(ANSIBLE_CONFIG="{{ tenant_id }}"), "ANSIBLE_CONFIG is not allowed"),
        (lambda d: d["inputs"]["fields"].append({"id": "flag", "label": "Flag", "type": "boolean", "secret": True}), "secret not allowed"),
        (lambda d: d["inputs"]["fields"][0].update(placeholder="x"), "Additional properties"),
        (lambda d: d.update(kind="ssh"), "kind"),
    ])
    def test_the_awx_rules_catch_a_broken_definition(self, breakage, expected):
        definition = reltio_api()
        breakage(definition)
        assert expected in " ".join(awx_problems(definition))

    @pytest.mark.parametrize("loader, tables", [
        (reltio_api, (arguments.TENANT_OPTIONS, arguments.AUTH_OPTIONS)),
        (databricks_service_principal, (arguments.DATABRICKS_CONNECTION_OPTIONS,)),
    ])
    def test_injects_the_environment_variables_the_module_reads(self, loader, tables):
        """Each field is the option of the same name, injected as its env fallback, secret where the option is no_log."""
        definition = loader()
        options = dict((name, option) for table in tables for name, option in table.items() if "env" in option)
        fields = dict((field["id"], field) for field in definition["inputs"]["fields"])
        assert set(fields) == set(options)
        env = definition["injectors"]["env"]
        assert set(env) == set(option["env"] for option in options.values())
        for name, option in options.items():
            assert re.fullmatch(r"\{\{ %s( \| .*)? \}\}" % name, env[option["env"]]), (name, env[option["env"]])
            assert fields[name].get("secret", False) is bool(option.get("no_log")), name
            assert fields[name]["type"] == "string"
        required = [name for name, option in options.items() if option.get("required")]
        assert set(definition["inputs"].get("required", [])) >= set(required)
        assert set(definition["inputs"].get("required", [])) <= set(fields)

    def test_every_secret_option_is_a_secret_field(self):
        fields = reltio_api()["inputs"]["fields"] + databricks_service_principal()["inputs"]["fields"]
        secret_fields = set(field["id"] for field in fields if field.get("secret"))
        assert secret_fields == set(arguments.SECRET_OPTIONS) & set(field["id"] for field in fields)
        assert secret_fields == {"access_token", "reltio_client_id", "reltio_client_secret", "client_secret"}

    def test_auth_url_falls_back_to_the_module_default(self):
        template = reltio_api()["injectors"]["env"]["RELTIO_AUTH_URL"]
        sandbox = ImmutableSandboxedEnvironment()
        assert sandbox.from_string(template).render() == arguments.DEFAULT_AUTH_URL
        assert sandbox.from_string(template).render(auth_url="http://127.0.0.1:1/oauth/token") == "http://127.0.0.1:1/oauth/token"


class FakeAwx(ThreadingHTTPServer):
    """AWX's /api/v2/credential_types/ as awx.awx.credential_type uses it, with AWX's validation."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _AwxHandler)
        self.types = {}
        self.log = []
        self.lock = threading.Lock()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def by_name(self, name):
        (found,) = [item for item in self.types.values() if item["name"] == name]
        return found


class _AwxHandler(BaseHTTPRequestHandler):
    server: FakeAwx
    COLLECTION = "/api/v2/credential_types/"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-API-Product-Name", "AWX")
        self.send_header("X-API-Product-Version", "24.6.1")
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method):
        parts = urlsplit(self.path)
        body = None
        if method in ("POST", "PATCH"):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        with self.server.lock:
            self.server.log.append({"method": method, "path": parts.path, "query": parts.query, "body": body})
            if self.headers.get("Authorization") != "Bearer " + AWX_TOKEN:
                return self._send(401, {"detail": "Authentication credentials were not provided."})
            match = re.fullmatch(re.escape(self.COLLECTION) + r"(?:(\d+)/)?", parts.path)
            if not match:
                return self._send(404, {"detail": "Not found."})
            item_id = int(match.group(1)) if match.group(1) else None
            if method == "GET" and item_id is None:
                query = parse_qs(parts.query)
                results = [item for item in self.server.types.values()
                           if all(str(item.get(key)) == values[0] for key, values in query.items())]
                return self._send(200, {"count": len(results), "next": None, "previous": None, "results": results})
            if method == "POST" and item_id is None:
                return self._save(None, body)
            if method == "PATCH" and item_id in self.server.types:
                return self._save(item_id, body)
            return self._send(405 if item_id is None else 404, {"detail": "Not allowed."})

    def _save(self, item_id, body):
        if item_id:
            item = dict(self.server.types[item_id])
        else:
            item = {"id": len(self.server.types) + 1, "type": "credential_type", "managed": False, "description": "", "related": {}}
        item.update(copy.deepcopy(body))
        item["url"] = "%s%d/" % (self.COLLECTION, item["id"])
        if item.get("managed"):
            return self._send(400, {"managed": ["Managed credential types cannot be created or changed."]})
        if any(other["name"] == item["name"] and other["id"] != item["id"] for other in self.server.types.values()):
            return self._send(400, {"__all__": ["Credential type with this Name and Kind already exists."]})
        problems = awx_problems(item)
        if problems:
            return self._send(400, {"detail": problems})
        self.server.types[item["id"]] = item
        return self._send(200 if item_id else 201, item)

    def do_GET(self):  # noqa: N802
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")

    def do_PATCH(self):  # noqa: N802
        self._handle("PATCH")


@pytest.fixture
def awx():
    server = FakeAwx()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def execution():
    """The registration playbook runs no Reltio task: one path is enough."""
    return "controller"


@pytest.fixture(scope="module")
def awx_collection():
    """The awx.awx collection of .venv-awx (made by `make awx-collection`)."""
    if not (AWX_COLLECTIONS / "ansible_collections" / "awx" / "awx" / "plugins" / "modules" / "credential_type.py").is_file():
        pytest.fail("awx.awx is missing from %s: run `make awx-collection` (make test does)" % AWX_COLLECTIONS, pytrace=False)
    return AWX_COLLECTIONS


def item_changes(run):
    """``changed`` of each loop item of the registration task, in the order of the play's list."""
    return [item["changed"] for item in run.task(action="credential_type")["results"]]


def writes(awx):
    return [entry for entry in awx.log if entry["method"] in ("POST", "PATCH")]


class TestRegistrationPlaybook:
    def test_syntax_check_needs_and_finds_awx_awx(self, ansible, awx_collection):
        playbooks = [str(ROOT / playbook) for playbook in (REGISTER_PLAYBOOK, JOB_TEMPLATE_PLAYBOOK)]
        # With awx.awx both pass in one run; without it, a run stops at the first playbook it cannot load: one run each.
        with_awx = ansible.run([str(AWX_VENV_BIN / "ansible-playbook"), "--syntax-check"] + playbooks,
                               env={"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections")})
        assert with_awx.rc == 0, with_awx.output
        for playbook in playbooks:
            without_awx = ansible.run(["ansible-playbook", "--syntax-check", playbook],
                                      env={"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections")})
            assert without_awx.rc != 0
            assert re.search(r"couldn't resolve module/action 'awx\.awx\.\w+'", without_awx.output), without_awx.output

    def test_registers_both_types_then_changes_nothing(self, ansible, awx, awx_collection, built_collection):
        """Run from the installed tarball, as users get it, with the controller given as awx.awx reads it."""
        ansible.add_secret("AWX token", AWX_TOKEN)
        installed = built_collection.collections_path / "ansible_collections" / "reltio" / "platform"
        env = {"ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (built_collection.collections_path, awx_collection),
               "CONTROLLER_HOST": awx.url, "CONTROLLER_OAUTH_TOKEN": AWX_TOKEN}
        command = ["ansible-playbook", str(installed / REGISTER_PLAYBOOK)]

        first = ansible.run(command, env=env)
        assert first.rc == 0, first.output
        assert item_changes(first) == [True, True]
        assert [entry["method"] for entry in writes(awx)] == ["POST", "POST"]
        for definition in (reltio_api(), databricks_service_principal()):
            stored = awx.by_name(definition["name"])
            # The {{ ... }} of the injectors reach AWX as written: the play does not render them.
            assert stored["injectors"] == definition["injectors"]
            assert stored["inputs"] == definition["inputs"]
            assert (stored["kind"], stored["description"], stored["managed"]) == (definition["kind"], definition["description"], False)

        second = ansible.run(command, env=env)
        assert second.rc == 0, second.output
        assert item_changes(second) == [False, False] and second.recap()["changed"] == 0
        assert len(writes(awx)) == 2

        # A type registered by an older version of the collection is updated in place.
        stale = awx.by_name("Reltio API")
        stale["injectors"]["env"].pop("RELTIO_AUTH_URL")
        stale["inputs"]["fields"][0]["help_text"] = "old text"
        third = ansible.run(command, env=env)
        assert third.rc == 0, third.output
        assert item_changes(third) == [True, False]
        assert [entry["method"] for entry in writes(awx)][2:] == ["PATCH"]
        assert writes(awx)[2]["path"] == stale["url"]
        assert awx.by_name("Reltio API")["injectors"] == reltio_api()["injectors"]
        assert awx.by_name("Reltio API")["inputs"] == reltio_api()["inputs"]

    def test_refused_token_fails_the_play(self, ansible, awx, awx_collection):
        ansible.add_secret("wrong AWX token", "awx-wrong-token-Q4pL9xV2")
        run = ansible.run(["ansible-playbook", str(ROOT / REGISTER_PLAYBOOK)],
                          env={"ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (ROOT / ".build" / "collections", awx_collection),
                               "CONTROLLER_HOST": awx.url, "CONTROLLER_OAUTH_TOKEN": "awx-wrong-token-Q4pL9xV2"})
        assert run.rc != 0
        assert "Invalid authentication credentials" in run.output
        assert awx.types == {}


# AWX's checks of a job template's survey (JobTemplateSurveySpec._validate_spec_data) and of an answer.
SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                "integer": int, "float": (float, int)}


def survey_problems(survey):
    problems = []
    for key, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(survey.get(key), kind):
            problems.append("%s is missing or not a %s" % (key, kind.__name__))
    if problems or not survey["spec"]:
        return problems or ["spec has no question"]
    variables = set()
    for index, question in enumerate(survey["spec"]):
        for key, kind in (("type", str), ("question_name", str), ("variable", str), ("required", bool)):
            if not isinstance(question.get(key), kind):
                problems.append("question %d: %s is missing or not a %s" % (index, key, kind.__name__))
        if question.get("variable") in variables:
            problems.append("question %d: variable %s is used twice" % (index, question["variable"]))
        variables.add(question.get("variable"))
        if question.get("type") not in SURVEY_TYPES:
            problems.append("question %d: type %r is not a survey type" % (index, question.get("type")))
        elif question.get("default", "") != "" and not isinstance(question["default"], SURVEY_TYPES[question["type"]]):
            problems.append("question %d: default is not of type %s" % (index, question["type"]))
        for key in ("min", "max"):
            if question.get(key) is not None and not isinstance(question[key], int):
                problems.append("question %d: %s is not an integer" % (index, key))
    return problems


def job_template_tasks():
    with open(ROOT / JOB_TEMPLATE_PLAYBOOK, encoding="utf-8") as handle:
        (play,) = yaml.safe_load(handle)
    return play["tasks"]


def survey():
    (task,) = [task for task in job_template_tasks() if "awx.awx.job_template" in task]
    return task["awx.awx.job_template"]["survey_spec"]


def survey_extra_vars(answer):
    """The extra vars of a job launched with ``answer`` to the survey: AWX checks it, then passes it on alone."""
    (question,) = survey()["spec"]
    assert question["min"] <= len(answer) <= question["max"]
    return {question["variable"]: answer}


class TestJobTemplatePlaybook:
    def test_every_option_is_one_awx_awx_documents(self, ansible, awx_collection):
        tasks = job_template_tasks()
        modules = sorted(set(key for task in tasks for key in task if key.startswith("awx.awx.")))
        assert modules == ["awx.awx.credential", "awx.awx.execution_environment", "awx.awx.job_template", "awx.awx.project"]
        run = ansible.run(["ansible-doc", "--json"] + modules, env={"ANSIBLE_COLLECTIONS_PATH": str(awx_collection)})
        assert run.rc == 0, run.output
        docs = json.loads(run.stdout)
        for task in tasks:
            (module,) = [key for key in task if key.startswith("awx.awx.")]
            options = docs[module]["doc"]["options"]
            names = set(options) | set(alias for option in options.values() for alias in option.get("aliases", []))
            assert set(task[module]) <= names, (task["name"], set(task[module]) - names)
            for name, value in task[module].items():
                if name in options and "choices" in options[name] and "{{" not in str(value):
                    assert value in options[name]["choices"], (task["name"], name)

    def test_the_credentials_use_the_registered_types_and_their_fields(self):
        types = dict((load(name)["name"], load(name)) for name in ("reltio_api.yml", "databricks_service_principal.yml"))
        credentials = [task["awx.awx.credential"] for task in job_template_tasks() if "awx.awx.credential" in task]
        assert sorted(credential["credential_type"] for credential in credentials) == sorted(types)
        for credential in credentials:
            definition = types[credential["credential_type"]]
            fields = dict((field["id"], field) for field in definition["inputs"]["fields"])
            assert set(credential["inputs"]) <= set(fields)
            assert set(definition["inputs"]["required"]) <= set(credential["inputs"])
            for name, value in credential["inputs"].items():
                # Secrets come from Ansible Vault variables, never written in the playbook.
                assert value.startswith("{{ vault_") is bool(fields[name].get("secret")), name
        (template,) = [task["awx.awx.job_template"] for task in job_template_tasks() if "awx.awx.job_template" in task]
        assert sorted(template["credentials"]) == sorted(credential["name"] for credential in credentials)

    def test_the_survey_asks_for_connection_name_only(self):
        assert survey_problems(survey()) == []
        (question,) = survey()["spec"]
        assert (question["variable"], question["type"], question["required"]) == ("connection_name", "text", True)
        assert survey_extra_vars(question["default"]) == {"connection_name": question["default"]}

    @pytest.mark.parametrize("breakage, expected", [
        (lambda s: s["spec"][0].pop("required"), "required is missing"),
        (lambda s: s["spec"][0].update(type="string"), "not a survey type"),
        (lambda s: s["spec"][0].update(default=5), "default is not of type text"),
        (lambda s: s["spec"].append(dict(s["spec"][0])), "used twice"),
        (lambda s: s.pop("description"), "description is missing"),
    ])
    def test_the_awx_survey_rules_catch_a_broken_survey(self, breakage, expected):
        broken = copy.deepcopy(survey())
        breakage(broken)
        assert expected in " ".join(survey_problems(broken))
