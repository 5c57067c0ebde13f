from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kdre.cpu import DEFAULT_CPU_ISA, set_isa_environment

# Before any test imports torch: the caps of train.cpu_isa work only if set before torch's first
# kernel (kdre.cpu), and the training code checks that they took effect.
set_isa_environment(DEFAULT_CPU_ISA)

REPO = Path(__file__).resolve().parent.parent
# developer tooling the tests use (scripts/codemap.py: the project's imports, read statically)
sys.path.insert(0, str(REPO / "scripts"))
SEMEVAL_DIR = REPO / "data/raw/semeval2010_task8/SemEval2010_task8_all_data"
TRAIN = SEMEVAL_DIR / "SemEval2010_task8_training/TRAIN_FILE.TXT"
TEST = SEMEVAL_DIR / "SemEval2010_task8_testing_keys/TEST_FILE_FULL.TXT"
SCORER_DIR = SEMEVAL_DIR / "SemEval2010_task8_scorer-v1.2"
PERL_SCORER = SCORER_DIR / "semeval2010_task8_scorer-v1.2.pl"


def require_semeval() -> None:
    """Skip (or, with KDRE_REQUIRE_SEMEVAL set, as CI does, fail) a test that needs the
    SemEval release when `make data` has not put it in data/raw."""
    if SEMEVAL_DIR.is_dir():
        return
    reason = (
        "the SemEval-2010 Task 8 release is not in data/raw: run `make data SEMEVAL=...` "
        "(see docs/data.md)"
    )
    if os.environ.get("KDRE_REQUIRE_SEMEVAL"):
        pytest.fail(reason)
    pytest.skip(reason)


def pytest_runtest_setup(item) -> None:
    if item.get_closest_marker("semeval"):
        require_semeval()


@pytest.fixture(scope="session")
def nlp():
    from kdre.config import DEFAULT_SPACY_MODEL
    from kdre.data.parsing import load_pipeline

    return load_pipeline(DEFAULT_SPACY_MODEL)


def write_records(path: Path, records: list[tuple[str, str]], crlf: bool = True) -> Path:
    """Write SemEval-format records (sentence line, label) to ``path``."""
    nl = "\r\n" if crlf else "\n"
    text = "".join(f"{line}{nl}{label}{nl}Comment:{nl}{nl}" for line, label in records)
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Tests share the machine with other work: one torch thread avoids OpenMP spin-waiting."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_parsed(tmp_path_factory) -> Path:
    """The first 40 examples of each SemEval split, parsed, written as the parse stage does."""
    from kdre.config import DatasetConfig, ParseConfig
    from kdre.data import corpus, schema

    require_semeval()
    out = tmp_path_factory.mktemp("parsed")
    tables = corpus.parse_semeval(
        DatasetConfig(semeval_dir=str(SEMEVAL_DIR), dev_size=500), ParseConfig(limit=40), 1, False
    )
    schema.write_splits(tables, out)
    return out


def tiny_params(**overrides):
    """A tiny model and a short schedule, for logic tests."""
    import dataclasses

    from kdre.config import (
        EmbeddingsConfig,
        ModelConfig,
        Params,
        TeacherConfig,
        TrainConfig,
        TypesConfig,
    )

    model = ModelConfig(
        emb_dim=16, pos_dim=4, ner_dim=4, rnn_hidden=8, hidden_dim=8, entity_masking=True
    )
    train = TrainConfig(epochs=2, batch_size=8, threads=1, device="cpu")
    embeddings = EmbeddingsConfig(source="random", extend_vocab=False)
    # γ_s, the parse stage's types and a teacher from scratch: it needs no trained baseline
    params = Params(
        model=model,
        train=train,
        embeddings=embeddings,
        gamma="scalar",
        types=TypesConfig(source="ner"),
        teacher=TeacherConfig(base="scratch"),
    )
    return dataclasses.replace(params, **overrides)
