# handbook-build: `make` builds every edition of the sample book, `make test` runs the tests.
# Both create the virtualenv and install what is missing, system packages included (as root on
# Debian/Ubuntu; elsewhere one message names the exact command to run).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ACE_STAMP := .tools/ace/.installed
HANDBOOK_SOURCE ?= $(abspath ../shared/corpus/peeragogy-handbook-v3)
export HANDBOOK_SOURCE

.PHONY: all book handbook test test-fast test-fresh lint typecheck check bench clean system-deps distclean golden ace diagnostics-doc

all: book

$(STAMP): pyproject.toml
	@bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Ace by DAISY, the EPUB accessibility checker (npm + Debian chromium), where npm exists.
$(ACE_STAMP): scripts/install-ace.sh
	@bash scripts/install-ace.sh

ace: $(ACE_STAMP)

system-deps:
	@bash scripts/system-deps.sh

book: $(STAMP)
	$(BIN)/handbook-build build manuscript/book.toml -o build

handbook: $(STAMP)
	$(BIN)/handbook-build build editions/peeragogy-v3/book.toml -o build/handbook

test: $(STAMP) $(ACE_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy --strict src
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -q

# After a reviewed, intended change to the pages: rebuild the specimen and rewrite the golden
# page images in tests/golden/ (then look at them, `git diff --stat tests/golden`, and commit).
golden: $(STAMP)
	GOLDEN_UPDATE=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_golden_pages.py -k golden_image
	$(BIN)/pytest -q -p no:cacheprovider tests/test_golden_pages.py

# The suite without the real-handbook and slow tests (markers in pyproject.toml): minutes less.
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -q -m "not handbook and not slow"

# Fresh-machine truth: every system package the suite relies on is in scripts/system-deps.sh.
test-fresh: $(STAMP)
	$(BIN)/pytest -q tests/test_system_deps.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

check: $(STAMP)
	$(BIN)/handbook-build check manuscript/book.toml

# docs/diagnostics.md is generated from the catalogue of codes (a test compares the two).
diagnostics-doc: $(STAMP)
	$(BIN)/python -m handbook_build.diagnostic_codes > docs/diagnostics.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV) src/*.egg-info .tools
