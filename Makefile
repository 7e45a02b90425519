# pillars — `make` builds the binary and the dataset; `make test` runs every test.
CARGO   ?= cargo
BIN     := target/release/pillars
SOURCES ?= ../shared/sources
SRC     := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
INPUTS  := $(wildcard raw/*.toml) $(shell find schema -type f)

.PHONY: all dataset test test-rust lint check verify clean venv fuzz

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

# Fuzzing with cargo-fuzz (`cargo install cargo-fuzz`); not part of `make test`. Each target
# runs FUZZ_SECONDS; the parser starts from raw/ and every file of the error corpus.
# RUSTC_BOOTSTRAP lets cargo-fuzz's nightly flags work on the stable toolchain. See docs/FUZZING.md.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := parse_extraction normalise_date normalise_amount
fuzz:
	mkdir -p $(addprefix fuzz/corpus/,$(FUZZ_TARGETS))
	for f in raw/*.toml tests/fixtures/*/raw/*.toml tests/bad/*/raw/*.toml; do \
	  cp "$$f" "fuzz/corpus/parse_extraction/seed-$$(echo $$f | tr / _)"; done
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 || exit 1; \
	done

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
