# The two promises of the README: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
SANITY_TREE := $(BUILD)/sanity/ansible_collections/reltio/platform
PYTEST_ARGS ?=

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)

.PHONY: venv demo test sanity lint units integration pytest collection-link clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The work tree, seen by Ansible as the installed collection reltio.platform.
collection-link:
	@mkdir -p $(COLLECTIONS)/ansible_collections/reltio
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/reltio/platform

demo: venv
	$(BIN)/python tools/demo.py

test: venv collection-link sanity lint pytest

# ansible-test needs a real (not symlinked) path ending in ansible_collections/reltio/platform,
# in a git tree of its own (this one ignores .build/),
# and a get-pip script it cannot download here: tools/get_pip_standin.py takes its place.
sanity: venv
	$(BIN)/python tools/prepare_ansible_test.py
	rm -rf $(SANITY_TREE) && mkdir -p $(SANITY_TREE)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(SANITY_TREE)
	cd $(SANITY_TREE) && git init -q && git add -A
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --local --python 3.11 --color no

lint: venv
	$(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-changelog lint

pytest: venv collection-link
	$(BIN)/python -m pytest tests/unit tests/integration $(PYTEST_ARGS)

units: venv collection-link
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

integration: venv collection-link
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

clean:
	rm -rf $(BUILD) .pytest_cache
