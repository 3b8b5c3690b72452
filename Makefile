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

.PHONY: run test ui bench chromium

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
	@echo "Tables are in $(PULSELAKE_LAKE)/ (<asset>.parquet, or <asset>/<partition>.parquet); runs are in $(DAGSTER_HOME) (make ui to browse)."

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# tests/test_ui_browser.py drives the system Chromium (never a Playwright download). On Debian,
# install it when missing, as root or with passwordless sudo; if that fails the test is skipped.
chromium:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then exit 0; fi; \
	skip="tests/test_ui_browser.py will be skipped"; \
	if ! command -v apt-get >/dev/null; then echo "No chromium on PATH: $$skip"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "No chromium on PATH and no root for apt-get: $$skip"; exit 0; fi; \
	install="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"; \
	echo "Installing chromium for the browser test (apt-get install chromium)"; \
	$$install >/dev/null 2>&1 || { $$sudo apt-get update -qq >/dev/null 2>&1 && \
		$$install >/dev/null 2>&1; } || echo "apt-get install chromium failed: $$skip"

ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/pulselake register
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
