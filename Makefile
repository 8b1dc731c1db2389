# One entry point per task. Every target installs what it needs into .venv / node_modules when missing,
# so a fresh clone needs nothing but Python 3.11+, Node 20+ and npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.tuneline-installed
LINT_STAMP := $(VENV)/.tuneline-lint-installed
NODE_STAMP := node_modules/.tuneline-installed
# checkov pins an older AWS SDK than the Lambda asset's, so it lives in a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.tuneline-installed
# The template checkov scans: synthesized again only when the app's sources or cdk.json changed.
LINT_TEMPLATE := cdk.out/lint/Tuneline.template.json
CDK := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 npx --no-install cdk
PYTEST_WORKERS ?= 2
EMULATOR_PORT ?= 4566

.PHONY: help setup demo emulator browser test test-fast test-unit test-infra test-workflow lint synth bench deploy destroy clean

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

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(LINT_TEMPLATE): $(VENV_STAMP) app.py cdk.json $(shell find stacks lambda/tuneline -name '*.py')
	$(PY) -c 'import app; app.build_app(outdir="cdk.out/lint").synth()'

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

help:  ## list these targets
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV_STAMP) $(NODE_STAMP)  ## install what the demo and the tests need into .venv and node_modules

demo: $(VENV_STAMP) $(NODE_STAMP)  ## deploy the real template into the local emulator and run a job end to end
	$(PY) -m local.demo

emulator: $(VENV_STAMP) $(NODE_STAMP)  ## run the stack in the emulator on 127.0.0.1:$(EMULATOR_PORT) for awscli and tuneline; prints alerts
	$(PY) -m local.serve --port $(EMULATOR_PORT)

# The browser tests use Debian's chromium: installed here when missing and possible (root with apt-get);
# elsewhere they are skipped with a message saying how to install it.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium for the browser tests ..."; \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
	      || echo "Could not install chromium: the browser tests will be skipped."; \
	  else echo "No chromium: the browser tests will be skipped (sudo apt-get install chromium)."; fi; }

test: $(VENV_STAMP) browser  ## every test: unit, CLI, template (cdk-nag, cfn-lint), workflow and browser
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

test-fast: $(VENV_STAMP)  ## unit and CLI tests only (about a minute): the quick check while you work
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests/unit tests/cli

test-unit: test-fast  ## the same as test-fast (its old name)

test-infra: $(VENV_STAMP)  ## template tests: cdk-nag, cfn-lint and the synthesized resources
	$(PY) -m pytest -q tests/infra

test-workflow: $(VENV_STAMP)  ## workflow tests: the template deployed into the local emulator and run
	$(PY) -m pytest -q tests/workflow

lint: $(LINT_STAMP) $(CHECKOV_STAMP) $(LINT_TEMPLATE)  ## ruff, mypy, the import rules of [tool.importlinter] in pyproject.toml, checkov on the template
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy lambda/tuneline stacks local app.py
	$(VENV)/bin/lint-imports
	$(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --quiet --compact -f $(LINT_TEMPLATE)

synth: $(VENV_STAMP) $(NODE_STAMP)  ## synthesize offline (cdk-nag runs in every synth), cfn-lint the template, say what was made
	source $(VENV)/bin/activate && $(CDK) synth --quiet
	$(PY) -m stacks.synth_summary cdk.out

bench: $(VENV_STAMP)  ## performance targets (not part of make test): validator, synth at 100 profiles
	$(PY) -m bench
	$(PY) -m bench.synth

deploy: $(VENV_STAMP) $(NODE_STAMP)  ## deploy to the AWS account of your current credentials
	source $(VENV)/bin/activate && $(CDK) deploy --all

destroy: $(VENV_STAMP) $(NODE_STAMP)  ## delete the deployed stacks
	source $(VENV)/bin/activate && $(CDK) destroy --all

clean:  ## remove build output and tool caches (not .venv or node_modules)
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .demo
