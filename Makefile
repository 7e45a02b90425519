# pillars — `make` builds the binary and the dataset; `make test` runs every test.
CARGO   ?= cargo
BIN     := target/release/pillars
SOURCES ?= ../shared/sources
SRC     := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
INPUTS  := $(wildcard raw/*.toml) $(shell find schema -type f)

.PHONY: all dataset test test-rust test-tools lint check verify clean venv

all: dataset

$(BIN): $(SRC)
	$(CARGO) build --release --locked

# output/ (and docs/CODEBOOK.md, the README sources table) is rebuilt only when an input or
# the binary changed.
dataset: output/manifest.json
output/manifest.json: $(BIN) $(INPUTS)
	$(BIN) build
	$(BIN) codebook --quiet

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

test-rust:
	$(CARGO) test --release --locked

check: $(BIN)
	$(BIN) check

# Every number and year of raw/ must be in its document (skipped when SOURCES is absent).
verify: $(BIN)
	@if [ -d "$(SOURCES)" ]; then \
		$(BIN) verify --sources "$(SOURCES)"; \
	else \
		echo "verify: SKIPPED - source documents folder $(SOURCES) not found (set SOURCES=DIR)"; \
	fi

test: lint test-rust check verify test-tools

# Python tools (pandas, polars, DuckDB, frictionless, openpyxl) in a local virtual environment.
VENV := .venv
PY   := $(VENV)/bin/python
venv: $(VENV)/.installed $(VENV)-cff/.installed
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@
# cffconvert pins jsonschema<4, which frictionless cannot use: a separate environment.
$(VENV)-cff/.installed: requirements-cff.txt
	python3 -m venv $(VENV)-cff
	$(VENV)-cff/bin/pip install --quiet -r requirements-cff.txt
	touch $@

# The tools our users open the data with (pandas, polars, DuckDB, LibreOffice, openpyxl, the
# Frictionless validator), plus actionlint on the workflow and cffconvert on CITATION.cff.
# A test that cannot run here (no LibreOffice) is skipped with its reason printed (-rs).
test-tools: venv dataset
	$(VENV)/bin/frictionless validate output/datapackage.json
	$(VENV)/bin/python -m pytest -rs tests/python

clean:
	$(CARGO) clean
