# pillars — `make` builds the binary and the dataset; `make test` runs every test.
CARGO   ?= cargo
BIN     := target/release/pillars
SOURCES ?= ../shared/sources
SRC     := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
INPUTS  := $(wildcard raw/*.toml) $(shell find schema -type f)

.PHONY: all dataset site test test-rust test-tools lint check verify clean venv fuzz

all: dataset

$(BIN): $(SRC)
	$(CARGO) build --release --locked

# output/ (and docs/CODEBOOK.md, the README sources table) is rebuilt only when an input or
# the binary changed.
dataset: output/manifest.json site/manifest.json
output/manifest.json: $(BIN) $(INPUTS) $(wildcard releases.json)
	$(BIN) build
	$(BIN) codebook --quiet

# The static site (git-ignored; the scheduled workflow publishes it to GitHub Pages).
site: site/manifest.json
site/manifest.json: $(BIN) $(INPUTS) $(wildcard releases.json)
	$(BIN) site --quiet

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

test-rust:
	$(CARGO) test --profile testing --locked

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

# Fuzzing with cargo-fuzz (`cargo install cargo-fuzz`); not part of `make test`. Each target
# runs FUZZ_SECONDS; the parser starts from raw/ and every file of the error corpus.
# RUSTC_BOOTSTRAP lets cargo-fuzz's nightly flags work on the stable toolchain. See docs/FUZZING.md.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := parse_extraction normalise_date normalise_amount schema_loader csv_guard
fuzz:
	mkdir -p $(addprefix fuzz/corpus/,$(FUZZ_TARGETS))
	for f in raw/*.toml tests/fixtures/*/raw/*.toml tests/bad/*/raw/*.toml; do \
	  cp "$$f" "fuzz/corpus/parse_extraction/seed-$$(echo $$f | tr / _)"; done
	# schema_loader: the first byte picks the file (0 mod 4: vocabularies.json, else a table).
	for f in schema/tables/*.json tests/bad/*/schema/tables/*.json; do \
	  { printf '\001'; cat "$$f"; } > "fuzz/corpus/schema_loader/seed-$$(echo $$f | tr / _)"; done
	{ printf '\000'; cat schema/vocabularies.json; } > fuzz/corpus/schema_loader/seed-vocabularies
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 || exit 1; \
	done

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
# Frictionless validator), plus a schema check of the workflow (check-jsonschema; actionlint
# does not install from the reachable registries) and cffconvert on CITATION.cff.
# A test that cannot run here (no LibreOffice) is skipped with its reason printed (-rs).
test-tools: venv dataset
	$(VENV)/bin/frictionless validate output/datapackage.json
	$(VENV)/bin/python -m pytest -rs tests/python

clean:
	$(CARGO) clean

# Benchmarks: the columnar-core targets, pillars build at 10k/100k/1M synthetic records (1M in
# 200 and in 5000 files) side by side with frictionless, pandas+pyarrow and polars, and the real
# dataset; writes docs/BENCHMARKS.md. Knobs: bench/run.py. Scratch: target/bench/.
.PHONY: bench
bench: $(BIN) venv
	$(PY) bench/run.py
