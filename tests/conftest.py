from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEMEVAL_DIR = REPO / "data/raw/semeval2010_task8/SemEval2010_task8_all_data"
TRAIN = SEMEVAL_DIR / "SemEval2010_task8_training/TRAIN_FILE.TXT"
TEST = SEMEVAL_DIR / "SemEval2010_task8_testing_keys/TEST_FILE_FULL.TXT"
SCORER_DIR = SEMEVAL_DIR / "SemEval2010_task8_scorer-v1.2"
PERL_SCORER = SCORER_DIR / "semeval2010_task8_scorer-v1.2.pl"


@pytest.fixture(scope="session")
def nlp():
    from kdre.parsing import DEFAULT_MODEL, load_pipeline

    return load_pipeline(DEFAULT_MODEL)


def write_records(path: Path, records: list[tuple[str, str]], crlf: bool = True) -> Path:
    """Write SemEval-format records (sentence line, label) to ``path``."""
    nl = "\r\n" if crlf else "\n"
    text = "".join(f"{line}{nl}{label}{nl}Comment:{nl}{nl}" for line, label in records)
    path.write_bytes(text.encode("utf-8"))
    return path
