# The two promises of the README: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
# A pyenv shim runs a pythonX.Y only when pyenv selects that version: PYENV_VERSION picks it, as for the matrix lines
# below (make demo PYTHON=python3.12 under pyenv). Set only for a name like python3.12, and only when not set already.
PYENV_OF = $(filter 3.%,$(patsubst python%,%,$(notdir $(1))))
WITH_PYENV = $(if $(call PYENV_OF,$(1)),PYENV_VERSION=$${PYENV_VERSION:-$(call PYENV_OF,$(1))} )$(1)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
SANITY_TREE := $(BUILD)/sanity/ansible_collections/reltio/platform
PYTEST_ARGS ?=
# Three on the 2-core CI machine: a test that waits on a server's timeout or Retry-After holds its worker while the
# core is free, and merged cases wait in series; a third worker uses that core.
PYTEST_WORKERS ?= 3
# awx.awx (from the `ansible` package) lives in a venv of its own, used by lint and the AWX tests.
VENV_AWX := $(CURDIR)/.venv-awx
AWX_COLLECTIONS := $(BUILD)/awx-collections
# The other two lines of the support matrix (their smoke tests in `make test`, everything in `make test-matrix`):
# the newest ansible-core, on Python 3.13, and the floor meta/runtime.yml declares, ansible-core 2.16, on Python 3.11
# (PYENV_VERSION picks each when python3.13 or python3.11 is a pyenv shim).
PYTHON_MATRIX ?= python3.13
VENV_MATRIX := $(CURDIR)/.venv-313
PYTHON_FLOOR ?= python3.11
VENV_FLOOR := $(CURDIR)/.venv-216
# Galaxy's importer (galaxy-importer), in a venv of its own: it pins its own ansible-lint.
VENV_IMPORTER := $(CURDIR)/.venv-importer
GALAXY_IMPORT := $(BUILD)/galaxy-import

# pip compiles what it installs (.pyc): where PYTHONDONTWRITEBYTECODE is set, as on the CI machines, Python never
# writes them at import, and every ansible-playbook would compile ansible-core again (an empty play: 0.83 CPU-s
# without, 0.54 with). .venv-awx goes without (--no-compile): the ~100 collections of its `ansible` package
# are only read as files (awx.awx, for lint and the AWX tests), and compiling them was most of the time it took.
# .venv-216 and .venv-313 go without too: their runs (smoke-%, test-matrix-%) write the .pyc of what they import,
# once, under .build/pycache-216 and -313 (WRITE_PYC), about a quarter of their files (compiling all: 13 CPU-s a venv;
# the smoke run of one line with no .pyc at all: 34 CPU-s more).
PIP_INSTALL := -m pip install --quiet
# Installs into the venv whose python is its first argument, with .venv's pip (see $(VENV)/.pip).
PIP_INSTALL_INTO = $(BIN)/python -m pip --python $(1) install --quiet
WRITE_PYC = env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(BUILD)/pycache-$*

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)

.PHONY: venv demo test sanity lint units integration pytest soak collection-link bench clean venv-awx awx-collection venv-matrix test-matrix docs changelog \
  venv-importer galaxy-import test-matrix-216 test-matrix-313 smoke-216 smoke-313

venv: $(VENV)/.installed

# Every venv installs the exact packages of its lock (locks/, made by `make lock` from the requirements files): .venv
# gets the lock's pip first, then the rest; that pip installs the other venvs. `make demo` installs only
# requirements-demo.txt, at the versions of .venv's lock; `make test` installs the whole lock on top, in the same venv.
$(VENV)/.installed: locks/venv.txt $(VENV)/.pip
	$(BIN)/python $(PIP_INSTALL) -r locks/venv.txt
	touch $@ $(VENV)/.demo-installed

# .venv's pip, at the version of the lock. It also installs the other venvs (pip's --python), which are made without a
# pip of their own: making each with its bundled pip, then upgrading that, took half the CPU time of a venv.
$(VENV)/.pip: locks/venv.txt
	test -x $(BIN)/python || $(call WITH_PYENV,$(PYTHON)) -m venv $(VENV)
	$(BIN)/python $(PIP_INSTALL) -c locks/venv.txt pip
	touch $@

$(VENV)/.demo-installed: requirements.txt requirements-demo.txt locks/venv.txt $(VENV)/.pip
	$(BIN)/python $(PIP_INSTALL) -r requirements-demo.txt -c locks/venv.txt
	touch $@

# The least that runs one test (CONTRIBUTING.md): requirements-quick.txt at the versions of .venv's lock.
VENV_QUICK := $(CURDIR)/.venv-quick
.PHONY: venv-quick
venv-quick: $(VENV_QUICK)/.installed

$(VENV_QUICK)/.installed: requirements.txt requirements-demo.txt requirements-quick.txt locks/venv.txt
	test -x $(VENV_QUICK)/bin/python || $(call WITH_PYENV,$(PYTHON)) -m venv $(VENV_QUICK)
	$(VENV_QUICK)/bin/python $(PIP_INSTALL) -c locks/venv.txt pip
	$(VENV_QUICK)/bin/python $(PIP_INSTALL) -r requirements-quick.txt -c locks/venv.txt
	touch $@

# The work tree, seen by Ansible as the installed collection reltio.platform.
collection-link:
	@mkdir -p $(COLLECTIONS)/ansible_collections/reltio
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/reltio/platform

venv-awx: $(VENV_AWX)/.installed

$(VENV_AWX)/.installed: locks/venv-awx.txt $(VENV)/.pip
	test -x $(VENV_AWX)/bin/python || $(call WITH_PYENV,$(PYTHON)) -m venv --without-pip $(VENV_AWX)
	$(call PIP_INSTALL_INTO,$(VENV_AWX)/bin/python) --no-compile -r locks/venv-awx.txt
	touch $@

# awx.awx of .venv-awx, alone in a collections path for the tests, and in ansible-lint's project
# collections (.ansible/), so that `ansible-lint` resolves examples/awx/ also when run by hand.
awx-collection: venv-awx
	@awx=$$($(VENV_AWX)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections/awx; \
	  test -d $$awx/awx && for dir in $(AWX_COLLECTIONS) $(CURDIR)/.ansible/collections; do \
	    mkdir -p $$dir/ansible_collections && ln -sfn $$awx $$dir/ansible_collections/awx; done

venv-matrix: $(VENV_MATRIX)/.installed $(VENV_FLOOR)/.installed

# .venv-313: requirements-dev.txt, then the newest ansible-core (requirements-matrix.txt); .venv-216: requirements-dev.txt,
# then the latest 2.16.x (requirements-matrix-216.txt). Both as locked (locks/venv-313.txt, locks/venv-216.txt).
$(VENV_MATRIX)/.installed: locks/venv-313.txt $(VENV)/.pip
	test -x $(VENV_MATRIX)/bin/python || PYENV_VERSION=$${PYENV_VERSION:-3.13} $(PYTHON_MATRIX) -m venv --without-pip $(VENV_MATRIX)
	$(call PIP_INSTALL_INTO,$(VENV_MATRIX)/bin/python) --no-compile -r locks/venv-313.txt
	touch $@

$(VENV_FLOOR)/.installed: locks/venv-216.txt $(VENV)/.pip
	test -x $(VENV_FLOOR)/bin/python || PYENV_VERSION=$${PYENV_VERSION:-3.11} $(PYTHON_FLOOR) -m venv --without-pip $(VENV_FLOOR)
	$(call PIP_INSTALL_INTO,$(VENV_FLOOR)/bin/python) --no-compile -r locks/venv-216.txt
	touch $@

# The smoke tests (pytest -m smoke, pytest.ini names what they cover), on both paths, on one of the two other lines
# of the support matrix: its venv's ansible and Python first on PATH (the tests run ansible-playbook from PATH).
# `make test` runs both.
smoke-216 smoke-313: smoke-%: venv-matrix collection-link awx-collection python-libraries
	@echo "== $@: $$($(WRITE_PYC) $(CURDIR)/.venv-$*/bin/ansible --version | sed -n 1p), $$($(CURDIR)/.venv-$*/bin/python --version)"
	$(WRITE_PYC) PATH=$(CURDIR)/.venv-$*/bin:$$PATH $(CURDIR)/.venv-$*/bin/python -m pytest tests/integration -m smoke $(PYTEST_ARGS)

# By hand, not in `make test`: the unit and integration tests on the two other lines, side by side (test-matrix-216,
# test-matrix-313). What does not depend on the ansible-core line is left out: the emulator's own unit tests, the
# benchmark's smoke run, AWX job slicing (ansible-runner's, two jobs at once) and the hostile servers against the
# requests and urllib3 of RHEL 9 (a line of those libraries, not of ansible-core).
test-matrix: venv-matrix collection-link awx-collection
	$(MAKE) --no-print-directory -k -j2 --output-sync=target test-matrix-216 test-matrix-313

MATRIX_ONCE := --ignore=tests/unit/tools --ignore=tests/integration/test_benchmark_smoke.py \
  --ignore=tests/integration/test_slicing.py -m "not soak and not rhel9_libraries"

test-matrix-216 test-matrix-313: test-matrix-%: venv-matrix collection-link awx-collection python-libraries
	@echo "== $@: $$($(WRITE_PYC) $(CURDIR)/.venv-$*/bin/ansible --version | sed -n 1p), $$($(CURDIR)/.venv-$*/bin/python --version)"
	$(WRITE_PYC) PATH=$(CURDIR)/.venv-$*/bin:$$PATH $(CURDIR)/.venv-$*/bin/python -m pytest tests/unit tests/integration $(MATRIX_ONCE) $(PYTEST_ARGS)

# The locks of every venv above (locks/*.txt), resolved anew from the requirements files and locks/holds.txt in new
# venvs; prints what moved. Run it after changing a requirements file (a unit test fails on a stale lock), or to
# take newer releases once `make test-newest` has shown them to pass.
.PHONY: lock test-newest test-newest-311 test-newest-313
lock:
	$(PYTHON) tools/lock.py

# By hand, not in `make test`: the smoke tests and the AWX job tests on today's newest releases of everything
# requirements-dev.txt allows (no lock, no holds), on the main line (Python 3.11) and on the newest ansible-core (Python
# 3.13, requirements-matrix.txt too), each in a new venv under .build/; awx.awx stays that of .venv-awx's lock. Each first prints, on
# purpose, what differs from its lock and what ansible prints to stderr (a deprecation warning of a new release).
NEWEST := $(BUILD)/newest
NEWEST_TESTS := tests/integration -m "smoke or ansible_runner"
test-newest: collection-link awx-collection
	$(MAKE) --no-print-directory -k -j2 --output-sync=target test-newest-311 test-newest-313

test-newest-311: NEWEST_LOCK := venv
test-newest-313: NEWEST_LOCK := venv-313
test-newest-311 test-newest-313: test-newest-%: collection-link awx-collection python-libraries
	$(PYTHON) tools/lock.py --newest $(NEWEST_LOCK) $(NEWEST)-$*
	PATH=$(NEWEST)-$*/bin:$$PATH $(NEWEST)-$*/bin/python -m pytest $(NEWEST_TESTS) $(PYTEST_ARGS)

# The documentation site, into .build/docsite/build/html/: the module and role pages antsibull-docs renders from
# the plugins and argument specs, beside the guides of docs/docsite/rst/ (listed in docs/docsite/extra-docs.yml),
# built by Sphinx with warnings as errors. Offline but for PyPI: docs/docsite_offline.py points the links to
# docs.ansible.com at a local inventory of the labels the pages use, instead of downloading Ansible's.
DOCSITE := $(BUILD)/docsite
docs: venv collection-link
	rm -rf $(DOCSITE) && mkdir -p -m 755 $(DOCSITE)
	$(BIN)/antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
	  --no-add-antsibull-docs-version --title 'reltio.platform' --html-short-title 'reltio.platform' \
	  --project 'reltio.platform' --copyright 'Contributors to the reltio.platform collection' \
	  --dest-dir $(DOCSITE) reltio.platform
	$(BIN)/python docs/docsite_offline.py $(DOCSITE)
	rm -rf $(DOCSITE)/rst && mkdir -m 755 $(DOCSITE)/rst
	$(BIN)/antsibull-docs collection --use-current --squash-hierarchy --fail-on-error \
	  --no-add-antsibull-docs-version --dest-dir $(DOCSITE)/rst reltio.platform
	cp -R docs/docsite/rst/images $(DOCSITE)/rst/docsite/images
	$(BIN)/sphinx-build -M html $(DOCSITE)/rst $(DOCSITE)/build -c $(DOCSITE) -W --keep-going -q
	@echo "Built: $(DOCSITE)/build/html/index.html"

# At a release: turns changelogs/fragments/ into a release of changelogs/changelog.yaml and
# writes CHANGELOG.rst, for the version in galaxy.yml.
changelog: venv
	$(BIN)/antsibull-changelog release
	$(BIN)/antsibull-changelog lint

# The screenshot of the connection_health report in the Fleet health guide (docs/docsite/rst/images/), rendered whole by
# headless Chromium (Debian: apt-get install chromium) from a made-up fleet on the emulator, with the report it shows
# (images/connection-health.json, which tests/unit/tools/test_health_screenshot.py checks). Not part of `make test`.
.PHONY: health-screenshot
health-screenshot: venv collection-link
	$(BIN)/python tools/health_screenshot.py

demo: $(VENV)/.demo-installed
	$(BIN)/python tools/demo.py

# The README's one test command, and all that CI runs (.ci/run): sanity, lint, Galaxy's importer, pytest (every unit
# test, and every integration test on both paths, on the main line: ansible-core 2.19 with Python 3.11) and the smoke
# tests on the two other lines of the support matrix (smoke-216, smoke-313). Two jobs at a time (-j2): pytest, whose
# workers would fill the 2-core CI machine, and beside it the others one after the other, in what pytest leaves of
# the cores (sanity, mostly one core, first: the longest). Each prints its output when it ends; -k: a failing one
# does not stop the others, and fails this. What several of them need is made first (python-libraries): otherwise
# its two jobs take both slots, sanity and lint the next ones, and pytest, the longest, starts a minute late.
test: venv venv-awx venv-importer venv-matrix collection-link awx-collection python-libraries
	$(MAKE) --no-print-directory -k -j2 --output-sync=target pytest sanity lint galaxy-import smoke-216 smoke-313

# ansible-test needs a real (not symlinked) path ending in ansible_collections/reltio/platform,
# in a git tree of its own (this one ignores .build/),
# and a get-pip script it cannot download here: tools/get_pip_standin.py takes its place.
sanity: venv
	$(BIN)/python tools/prepare_ansible_test.py
	rm -rf $(SANITY_TREE) && mkdir -p $(SANITY_TREE)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(SANITY_TREE)
	cd $(SANITY_TREE) && git init -q && git add -A
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --local --python 3.11 --color no

# ansible-lint with a HOME of its own: it would otherwise install this collection into ~/.ansible/collections,
# where that copy, soon stale, would come first for every later run of ansible-lint on this machine.
lint: venv collection-link awx-collection
	rm -rf $(BUILD)/lint-home && mkdir -p $(BUILD)/lint-home
	HOME=$(BUILD)/lint-home ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS):$(AWX_COLLECTIONS) $(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(COLLECTIONS)/ansible_collections/reltio/platform

venv-importer: $(VENV_IMPORTER)/.installed

$(VENV_IMPORTER)/.installed: locks/venv-importer.txt $(VENV)/.pip
	test -x $(VENV_IMPORTER)/bin/python || $(call WITH_PYENV,$(PYTHON)) -m venv --without-pip $(VENV_IMPORTER)
	$(call PIP_INSTALL_INTO,$(VENV_IMPORTER)/bin/python) -r locks/venv-importer.txt
	touch $@

# What Galaxy and Automation Hub run on an upload: galaxy-importer on the tarball `ansible-galaxy collection build`
# makes, with Galaxy's settings (tools/galaxy-importer.cfg), offline, with nothing but its own venv on PATH and a
# HOME of its own (no collections of this machine). Its ansible-lint reads the tarball's .config/ansible-lint.yml.
# Fails on any WARNING or ERROR it reports (the importer itself exits 0 on those), as on a failed import.
galaxy-import: venv venv-importer
	rm -rf $(GALAXY_IMPORT) && mkdir -p $(GALAXY_IMPORT)/dist $(GALAXY_IMPORT)/home
	$(BIN)/ansible-galaxy collection build --output-path $(GALAXY_IMPORT)/dist $(CURDIR)
	set -o pipefail; cd $(GALAXY_IMPORT) && env -u ANSIBLE_COLLECTIONS_PATH HOME=$(GALAXY_IMPORT)/home \
	  GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/galaxy-importer.cfg PATH=$(VENV_IMPORTER)/bin:/usr/local/bin:/usr/bin:/bin \
	  $(VENV_IMPORTER)/bin/python -m galaxy_importer.main dist/reltio-platform-*.tar.gz | grep -v '^Loading ' | tee importer.log
	@if grep -qE '^(WARNING|ERROR|CRITICAL):' $(GALAXY_IMPORT)/importer.log \
	  || ! grep -qx 'Importer processing completed successfully' $(GALAXY_IMPORT)/importer.log; then \
	  echo "galaxy-importer: the import of the tarball is not clean (above; log: $(GALAXY_IMPORT)/importer.log)"; exit 1; fi

# Other releases of requests and urllib3, each in a folder the tests put on PYTHONPATH (tests/python_libraries.py):
# the exact packages of tests/libraries/<name>.txt, without their dependencies. Built here, so that no test installs.
LIBRARIES := $(BUILD)/libraries
.PHONY: python-libraries
python-libraries: $(LIBRARIES)/rhel9-requests/.complete $(LIBRARIES)/requests-2.31/.complete

$(LIBRARIES)/%/.complete: tests/libraries/%.txt $(VENV)/.demo-installed
	rm -rf $(@D) && $(BIN)/python $(PIP_INSTALL) --no-deps --target $(@D) -r $<
	cp $< $@

# PYTEST_WORKERS: pytest-xdist's workers (-n); 0 runs every test in pytest's own process (for -x or --pdb, say).
pytest: venv collection-link awx-collection python-libraries
	$(BIN)/python -m pytest tests/unit tests/integration -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

units: venv collection-link python-libraries
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

integration: venv collection-link awx-collection python-libraries
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

# The long fault-injection run: 500+ tasks of 24 tenants against the emulator's seeded random faults
# (`make test` runs one short round). Prints runs, tasks, requests, faults, duplicates, lost, leaks.
soak: venv collection-link
	$(BIN)/python -m pytest tests/integration/test_faults.py -m soak $(PYTEST_ARGS)

# Figures of speed against uri, ping and set_fact, measured in one run (about 10 minutes on 2 cores);
# writes benchmarks/results.md.
bench: venv collection-link
	$(BIN)/python benchmarks/bench.py

# Thousands of tenants in one run, in each pattern a user can choose, loopback and with a 150 ms round trip
# (about 20 minutes on 2 cores); writes benchmarks/scale-results.md. SCALE_ARGS='--case lanes:linear:50:10000:0.15'
# runs one case (pattern:strategy:forks-or-lanes:tenants:delay).
.PHONY: bench-scale
SCALE_ARGS ?=
bench-scale: venv collection-link
	$(BIN)/python benchmarks/scale.py $(SCALE_ARGS)

clean:
	rm -rf $(BUILD) .pytest_cache
