# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a distributable: Galaxy metadata, execution environment, rendered docs, changelog.

The tarball's content is checked in test_collection.py; here the rest of what
ships with it or is made from it, each with the tool that makes it:
ansible-builder (build context only: there is no container engine here),
antsibull-docs and antsibull-changelog.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from reltio_world import ROOT

COLLECTIONS = ROOT / ".build" / "collections"
REQUIRED_TAGS = {"reltio", "databricks", "mdm", "zerocopy"}


def tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def run(args, cwd=None, env=None):
    full_env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    full_env.update(env or {})
    completed = subprocess.run(args, cwd=str(cwd) if cwd else None, env=full_env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, "%s failed:\n%s%s" % (" ".join(map(str, args)), completed.stdout, completed.stderr)
    return completed.stdout


def read_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def modules():
    return sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")


def module_documentation(name):
    """The DOCUMENTATION of a module file, read without importing it."""
    tree = ast.parse((ROOT / "plugins" / "modules" / (name + ".py")).read_text(encoding="utf-8"))
    return next(node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION")


def roles():
    return sorted(path.parent.parent.name for path in (ROOT / "roles").glob("*/meta/argument_specs.yml"))


def copy_work_tree(dest):
    """The files git sees in the work tree, copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=str(ROOT),
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in listed:
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


class TestGalaxyMetadata:
    def test_galaxy_yml(self, built_collection):
        galaxy = read_yaml(ROOT / "galaxy.yml")
        assert REQUIRED_TAGS <= set(galaxy["tags"])
        assert galaxy["dependencies"] == {}
        for key in ("repository", "documentation", "issues", "homepage"):
            assert re.fullmatch(r"https://github\.com/reltio/[\w.-]+(/\S*)?", galaxy[key]), key
        with tarfile.open(built_collection.tarball) as archive:
            manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
        assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("reltio", "platform", galaxy["version"])
        assert manifest["dependencies"] == {} and REQUIRED_TAGS <= set(manifest["tags"])
        assert (manifest["repository"], manifest["documentation"], manifest["issues"]) == \
            (galaxy["repository"], galaxy["documentation"], galaxy["issues"])

    def test_runtime_yml_declares_the_ansible_versions_and_groups_every_module_of_reltio_options(self):
        """The group is for module_defaults of the Reltio options: it holds every module that takes them (its documentation
        extends reltio.platform.execution), and no other - connection_health_report_files, the report task of the role
        connection_health, would refuse them."""
        runtime = read_yaml(ROOT / "meta" / "runtime.yml")
        assert runtime["requires_ansible"] == ">=2.16.0"
        takes_reltio_options = [module for module in modules() if "reltio.platform.execution" in yaml.safe_load(
            module_documentation(module)).get("extends_documentation_fragment", [])]
        assert sorted(runtime["action_groups"]["reltio"]) == takes_reltio_options
        assert "connection_health_report_files" in modules() and "connection_health_report_files" not in takes_reltio_options


class TestGalaxyImport:
    """Galaxy's importer lints the tarball without awx.awx, which examples/awx/ uses: the shipped
    .config/ansible-lint.yml mocks those modules. `make galaxy-import` (part of `make test`) runs the importer."""

    def test_ansible_lint_mocks_exactly_the_awx_modules_of_the_examples(self, built_collection):
        used = set()
        for path in (ROOT / "examples" / "awx").glob("*.yml"):
            used.update(re.findall(r"^\s*(awx\.awx\.\w+):", path.read_text(), re.MULTILINE))
        assert used, "examples/awx/ uses no awx.awx module"
        assert sorted(read_yaml(ROOT / ".config" / "ansible-lint.yml")["mock_modules"]) == sorted(used)
        with tarfile.open(built_collection.tarball) as archive:
            assert ".config/ansible-lint.yml" in archive.getnames()

    def test_make_test_runs_the_importer_and_fails_on_its_warnings(self):
        makefile = (ROOT / "Makefile").read_text()
        assert re.search(r"^test:.*\n\t\$\(MAKE\) .* galaxy-import\b", makefile, re.MULTILINE)
        assert "python -m galaxy_importer.main" in makefile and "^(WARNING|ERROR|CRITICAL):" in makefile


class TestExecutionEnvironment:
    def test_collection_declares_its_python_requirements_in_builder_format_v3(self):
        from ansible_builder.ee_schema import validate_schema  # pylint: disable=import-outside-toplevel

        definition = read_yaml(ROOT / "meta" / "execution-environment.yml")
        validate_schema(definition)
        assert definition["version"] == 3
        assert definition["dependencies"] == {"python": "requirements.txt"}
        lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
        assert [line for line in lines if line.startswith("requests")] == ["requests>=2.25"]

    def test_ansible_builder_creates_the_example(self, tmp_path):
        example = ROOT / "examples" / "ee"
        run([tool("ansible-builder"), "create", "-f", str(example / "execution-environment.yml"), "-c", str(tmp_path / "context"),
             "--output-filename", "Containerfile"])
        containerfile = (tmp_path / "context" / "Containerfile").read_text()
        assert 'ARG EE_BASE_IMAGE="%s"' % read_yaml(example / "execution-environment.yml")["images"]["base_image"]["name"] in containerfile
        assert re.search(r"ansible-galaxy collection install .*-r requirements.yml", containerfile)
        # The builder stage reads every installed collection's meta/execution-environment.yml.
        assert "introspect.py introspect" in containerfile and "/output/scripts/assemble" in containerfile
        galaxy = read_yaml(tmp_path / "context" / "_build" / "requirements.yml")
        assert galaxy["collections"][0]["name"] == "reltio.platform"

    def test_an_ee_built_from_the_tarball_gets_requests(self, tmp_path, built_collection):
        """The tarball variant documented in examples/ee/requirements.yml, then the build's galaxy and
        builder stages as the Containerfile runs them (ansible-galaxy in /build, introspect.py)."""
        example = ROOT / "examples" / "ee"
        additional = "additional_build_files:\n  - src: {0}\n    dest: galaxy\n".format(built_collection.tarball.name)
        entry = "- name: galaxy/{0}\n  type: file\n".format(built_collection.tarball.name)
        comments = "\n".join(line[4:] for line in (example / "requirements.yml").read_text().splitlines() if line.startswith("#   "))
        assert additional.strip() in comments and entry.strip() in comments

        work = tmp_path / "ee"
        work.mkdir()
        shutil.copy(built_collection.tarball, work)
        (work / "execution-environment.yml").write_text((example / "execution-environment.yml").read_text() + additional)
        (work / "requirements.yml").write_text("---\ncollections:\n" + "".join("  " + line + "\n" for line in entry.splitlines()))
        run([tool("ansible-builder"), "create", "--output-filename", "Containerfile"], cwd=work)
        build = work / "context" / "_build"
        assert (build / "galaxy" / built_collection.tarball.name).is_file()

        installed = tmp_path / "usr-share-ansible-collections"
        run([tool("ansible-galaxy"), "collection", "install", "-r", "requirements.yml", "--collections-path", str(installed)],
            cwd=build, env={"ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_HOME": str(tmp_path / "home")})
        assert (installed / "ansible_collections" / "reltio" / "platform" / "meta" / "execution-environment.yml").is_file()
        output = run([sys.executable, str(build / "scripts" / "introspect.py"), "introspect",
                      "--write-pip", str(tmp_path / "requirements.txt"), str(installed)])
        assert read_yaml(tmp_path / "requirements.txt") is not None
        pip = [line.strip() for line in (tmp_path / "requirements.txt").read_text().splitlines() if line.strip()]
        assert pip == ["requests>=2.25  # from collection reltio.platform"], output


class TestDocs:
    def test_make_docs_renders_every_module_and_role_into_a_site_that_stays_on_itself(self, tmp_path):
        """`make docs`, into a temporary directory, once: antsibull-docs renders a page for every module and role,
        and (issue 26) the site's home link (the logo) leads to its own index, not to "/", and its "Running in AWX"
        button opens the local guide, not its source on GitHub."""
        site = tmp_path / "site"
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS))
        subprocess.run(["make", "--no-print-directory", "docs", "DOCSITE=%s" % site], cwd=str(ROOT), env=env, check=True,
                       capture_output=True, text=True)
        makefile = (ROOT / "Makefile").read_text()
        assert "antsibull-docs collection --use-current --squash-hierarchy --fail-on-error" in makefile
        assert "--dest-dir $(DOCSITE)/rst reltio.platform" in makefile
        dest = site / "rst"
        assert roles(), "the collection has no role with meta/argument_specs.yml"
        pages = set(path.name for path in dest.glob("*.rst"))
        assert "index.rst" in pages
        assert sorted(page for page in pages if page.endswith(("_module.rst", "_role.rst"))) == \
            sorted(["%s_module.rst" % name for name in modules()] + ["%s_role.rst" % name for name in roles()])
        page = (dest / "reltio_databricks_connection_module.rst").read_text()
        for option in ("platform_url", "connection_name", "client_secret", "update_secret", "test_connection"):
            assert option in page
        assert r":ansenvvar:`DATABRICKS\_CLIENT\_SECRET`" in page

        html = site / "build" / "html"
        for page, home in (("reltio_databricks_connection_module.html", "index.html"),
                           ("docsite/awx_guide.html", "../index.html"), ("index.html", "#")):
            assert 'class="DocSite-nav" href="%s"' % home in (html / page).read_text(), page
        index = (html / "index.html").read_text()
        (button,) = re.findall(r'<a[^>]*href="([^"]*)"[^>]*>Running in AWX', index)
        assert button == "docsite/awx_guide.html" and (html / button).is_file()

    def test_docs_readme_names_the_build_command(self):
        text = (ROOT / "docs" / "README.md").read_text()
        assert "make docs" in text and "antsibull-docs collection --use-current" in text


class TestChangelog:
    def test_the_changelog_is_released_for_the_version_of_galaxy_yml(self, tmp_path):
        """The committed CHANGELOG.rst is what changelogs/changelog.yaml makes, and holds the release of galaxy.yml."""
        version = read_yaml(ROOT / "galaxy.yml")["version"]
        assert version in read_yaml(ROOT / "changelogs" / "changelog.yaml")["releases"]
        tree = copy_work_tree(tmp_path / "ansible_collections" / "reltio" / "platform")
        run([tool("antsibull-changelog"), "generate"], cwd=tree, env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path)})
        assert (tree / "CHANGELOG.rst").read_text() == (ROOT / "CHANGELOG.rst").read_text(), "run make changelog"
        assert "v%s\n" % version in (ROOT / "CHANGELOG.rst").read_text()

    def test_release_generates_changelog_rst_from_every_fragment(self, tmp_path):
        """`make changelog` at the next release, on a copy of the work tree: the fragments merged since the last
        release, and one of this test, land in CHANGELOG.rst."""
        tree = copy_work_tree(tmp_path / "ansible_collections" / "reltio" / "platform")
        (tree / "changelogs" / "fragments" / "a-test-entry.yml").write_text(
            "---\nbugfixes:\n  - reltio_token - an entry of the changelog test.\n")
        released = read_yaml(tree / "galaxy.yml")["version"]
        major, minor, dummy_patch = released.split(".")
        # The next minor release: the fragments hold minor changes, and new plugins say the version that adds them.
        version = "%s.%d.0" % (major, int(minor) + 1)
        galaxy = (tree / "galaxy.yml").read_text()
        (tree / "galaxy.yml").write_text(galaxy.replace("\nversion: %s\n" % released, "\nversion: %s\n" % version))
        fragments = sorted((tree / "changelogs" / "fragments").glob("*.yml"))
        config = read_yaml(tree / "changelogs" / "config.yaml")
        sections = set(name for name, _title in config["sections"]) | {config["prelude_section_name"]}
        entries = []
        for fragment in fragments:
            for section, value in read_yaml(fragment).items():
                assert section in sections | {config["trivial_section_name"]}, (fragment.name, section)
                if section in sections:  # trivial changes stay out of the changelog
                    entries.extend([value] if isinstance(value, str) else value)
        assert entries
        run([tool("antsibull-changelog"), "release"], cwd=tree, env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path)})
        run([tool("antsibull-changelog"), "lint"], cwd=tree)
        changelog = (tree / "CHANGELOG.rst").read_text()
        assert "v%s" % version in changelog and "v%s" % released in changelog
        flat = " ".join(changelog.split())
        for entry in entries:
            words = " ".join(entry.split())
            assert words[:60] in flat, words
        for name in modules():
            assert "reltio.platform.%s - " % name in changelog
        assert list((tree / "changelogs" / "fragments").glob("*.yml")) == []
        assert version in read_yaml(tree / "changelogs" / "changelog.yaml")["releases"]


@pytest.fixture(autouse=True)
def _tools():
    for name in ("ansible-builder", "antsibull-docs", "antsibull-changelog", "ansible-galaxy"):
        assert Path(tool(name)).exists(), "%s is not installed in %s" % (name, os.path.dirname(sys.executable))
