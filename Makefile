# The two set-up commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
PYTHON ?= python3
# pip on these machines warns about every missing local index folder; keep errors, drop that noise.
QUIET_PIP := { grep -v '^WARNING: Location' || true; }
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PULSELAKE_LAKE ?= $(CURDIR)/data_lake
UI_PORT ?= 3000

.PHONY: run test ui bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: this version has a local CPU wheel; an unpinned torch pulls CUDA builds.
	$(BIN)/pip install --quiet torch==2.13.0 2>&1 | $(QUIET_PIP)
	$(BIN)/pip install --quiet -e '.[dev,train]' 2>&1 | $(QUIET_PIP)
	$(BIN)/python -c "import dagster, polars, pandera, torch"
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/pulselake run
	@echo "Tables are in $(PULSELAKE_LAKE)/ (one <asset>.parquet each); runs are in $(DAGSTER_HOME) (make ui to browse)."

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

bench: $(STAMP)
	$(BIN)/python bench/simulator_realism.py
	$(BIN)/python bench/ingest_fitrec.py
	$(BIN)/python bench/ingest_apple.py
	$(BIN)/python bench/apple_alignment.py
	$(BIN)/python bench/gate.py
	$(BIN)/python bench/artifact_detectors.py
	$(BIN)/python bench/features.py
	$(BIN)/python bench/train_throughput.py
	$(BIN)/python bench/evaluate.py
