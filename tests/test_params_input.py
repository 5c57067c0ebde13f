"""params.yaml as a person writes it (issue Hardening, items 5 and 9): what they mean is
accepted, what makes no sense is one line naming the key, never a traceback (the one-line
refusals themselves are rows of tests/test_schema_config.py::test_params_errors)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

from kdre.config import load_params
from kdre.cpu import isa_from_params_file
from kdre.errors import InputError


def _load(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return load_params(path)


def test_exponent_notation_is_the_number_it_looks_like(tmp_path):
    assert _load(tmp_path, "train:\n  lr: 1e-3\n").train.lr == pytest.approx(0.001)
    with pytest.raises(InputError, match="train.lr must be float, got 'fast'"):
        _load(tmp_path, "train:\n  lr: fast\n")


def test_yaml_merge_keys_merge_and_a_duplicate_key_is_still_refused(tmp_path):
    merged = _load(tmp_path, "model:\n  <<: {emb_dim: 32, rnn_hidden: 16}\n  rnn_hidden: 8\n")
    assert merged.model.emb_dim == 32 and merged.model.rnn_hidden == 8
    with pytest.raises(InputError, match="key 'epochs' given twice"):
        _load(tmp_path, "train:\n  epochs: 3\n  epochs: 4\n")


def test_a_list_for_cpu_isa_is_no_traceback_in_a_stage_command(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  cpu_isa: [avx2]\n")
    assert isa_from_params_file(str(path)) == "avx2"  # the stage's loader then names the key
    result = subprocess.run(
        [sys.executable, "-m", "stages.cli", "graph", "--params", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "train.cpu_isa must be str" in result.stderr
