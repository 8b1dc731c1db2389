# One entry point per task. Every target installs what it needs into .venv / node_modules when missing,
# so a fresh clone needs nothing but Python 3.11+, Node 20+ and npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.tuneline-installed
LINT_STAMP := $(VENV)/.tuneline-lint-installed
NODE_STAMP := node_modules/.tuneline-installed
CDK := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 npx --no-install cdk
PYTEST_WORKERS ?= 2

.PHONY: help setup demo test test-fast test-unit test-infra test-workflow lint synth bench deploy destroy clean

$(VENV_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Tools only `make lint` needs install on its first run, so `make setup` (and a newcomer's `make demo`) stays quick.
$(LINT_STAMP): $(VENV_STAMP) requirements-lint.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

help:  ## list these targets
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV_STAMP) $(NODE_STAMP)  ## install what the demo and the tests need into .venv and node_modules

demo: $(VENV_STAMP) $(NODE_STAMP)  ## deploy the real template into the local emulator and run a job end to end
	$(PY) -m local.demo

test: $(VENV_STAMP)  ## every test: unit, CLI, template (cdk-nag, cfn-lint) and workflow
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

test-fast: $(VENV_STAMP)  ## unit and CLI tests only (about a minute): the quick check while you work
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests/unit tests/cli

test-unit: test-fast  ## the same as test-fast (its old name)

test-infra: $(VENV_STAMP)  ## template tests: cdk-nag, cfn-lint and the synthesized resources
	$(PY) -m pytest -q tests/infra

test-workflow: $(VENV_STAMP)  ## workflow tests: the template deployed into the local emulator and run
	$(PY) -m pytest -q tests/workflow

lint: $(LINT_STAMP)  ## ruff (check + format), mypy, and the import rules of [tool.importlinter] in pyproject.toml
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy lambda/tuneline stacks local app.py
	$(VENV)/bin/lint-imports

synth: $(VENV_STAMP) $(NODE_STAMP)  ## synthesize offline (cdk-nag runs in every synth), then cfn-lint the templates
	source $(VENV)/bin/activate && $(CDK) synth --quiet
	$(VENV)/bin/cfn-lint cdk.out/*.template.json

bench: $(VENV_STAMP)  ## performance targets (not part of make test): validator, synth at 100 profiles
	$(PY) -m bench
	$(PY) -m bench.synth

deploy: $(VENV_STAMP) $(NODE_STAMP)  ## deploy to the AWS account of your current credentials
	source $(VENV)/bin/activate && $(CDK) deploy --all

destroy: $(VENV_STAMP) $(NODE_STAMP)  ## delete the deployed stacks
	source $(VENV)/bin/activate && $(CDK) destroy --all

clean:  ## remove build output and tool caches (not .venv or node_modules)
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .demo
