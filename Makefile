# oms-pipeline. `make run` starts everything; `make test` runs the suite. See README.md.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export OMS_VAR_DIR ?= $(CURDIR)/var
export DAGSTER_HOME ?= $(CURDIR)/var/dagster
# A demo secret, so the sample deliveries can be signed; set your own in production.
export OMS_SHOPIFY_WEBHOOK_SECRET ?= demo-shopify-webhook-secret
API_PORT ?= 8000
UI_PORT ?= 3000
DELIVERIES ?=

.PHONY: install db run demo test lint format clean bench

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

db: install
	mkdir -p $(OMS_VAR_DIR) $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp oms_pipeline/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/oms load-config

run: db
	@echo "HTTP service: http://127.0.0.1:$(API_PORT)   Dagster UI: http://127.0.0.1:$(UI_PORT)"
	@$(BIN)/oms serve --port $(API_PORT) & api=$$!; \
	trap 'kill $$api 2>/dev/null' EXIT INT TERM; \
	$(BIN)/oms replay --url http://127.0.0.1:$(API_PORT) --wait 30 $(DELIVERIES); \
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

demo: db
	$(BIN)/oms demo $(if $(DELIVERIES),--deliveries $(DELIVERIES))

test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check oms_pipeline oms_pipeline_tests bench
	$(BIN)/ruff format --check oms_pipeline oms_pipeline_tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix oms_pipeline oms_pipeline_tests bench
	$(BIN)/ruff format oms_pipeline oms_pipeline_tests bench

clean:
	rm -rf $(OMS_VAR_DIR)

bench: install
	$(BIN)/python bench/bench_intake.py
