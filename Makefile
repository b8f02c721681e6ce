# Two entry points (see README): `make book` builds the book, `make test` runs every test.
# Both create/refresh the local virtual environment .venv from requirements.txt + constraints.txt
# on first use. PRESET=smoke|cpu|paper picks the experiment preset of the book (default: cpu).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PRESET ?= cpu
export TQDM_DISABLE ?= 1

.PHONY: book test venv lint unit smoke-book browser browser-tests nbval notebooks clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# Data -> every experiment notebook (papermill) -> report notebooks -> jupyter-book build.
book: $(STAMP)
	$(PY) -m spap_lib book --preset $(PRESET)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: $(STAMP)
	$(VENV)/bin/pytest -q tests -m "not browser"

# The whole pipeline at the smoke preset, then the book: what the browser tests and nbval read.
smoke-book: $(STAMP)
	$(PY) -m spap_lib book --preset smoke

# Debian's chromium + chromium-driver for the browser tests of the book (tests/book); idempotent.
browser:
	bash scripts/install-browser.sh

browser-tests: $(STAMP) browser
	$(VENV)/bin/pytest -q -m browser tests/book

# Re-execute the committed notebooks (smoke defaults) and compare every output (strict, sanitised).
nbval: $(STAMP)
	$(VENV)/bin/pytest -q --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider

# Re-execute the committed notebooks at their defaults after a change that alters their outputs.
notebooks: smoke-book
	$(PY) -m scripts.refresh_notebooks

# The smoke book first: the fault suite's notebook rows need the FD-synth backbone it trains.
test: lint smoke-book unit browser-tests nbval

clean:
	rm -rf _build outputs book/generated
