# pillars — `make` builds the binary and the dataset; `make test` runs every test.
CARGO   ?= cargo
BIN     := target/release/pillars
SOURCES ?= ../shared/sources
SRC     := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
INPUTS  := $(wildcard raw/*.toml) $(shell find schema -type f)

.PHONY: all dataset test test-rust lint check verify clean venv

all: dataset

$(BIN): $(SRC)
	$(CARGO) build --release --locked

# output/ is rebuilt only when an input or the binary changed.
dataset: output/manifest.json
output/manifest.json: $(BIN) $(INPUTS)
	$(BIN) build

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

test: lint test-rust check verify

# Python tools (pandas, polars, DuckDB, frictionless, openpyxl) in a local virtual environment.
VENV := .venv
PY   := $(VENV)/bin/python
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

clean:
	$(CARGO) clean

# Benchmarks (issue 6): pillars build at 10k/100k/1M synthetic records side by side with
# frictionless, pandas+pyarrow and polars; writes docs/BENCHMARKS.md. Scratch: target/bench/.
.PHONY: bench
bench: $(BIN) venv
	$(PY) bench/run.py
