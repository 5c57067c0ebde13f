"""Self-contained model files: weights + config + vocab (+ G(p) table for a teacher)."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from kdre import __version__
from kdre.atomic import atomic_path
from kdre.config import ModelConfig, StudentConfig, TeacherConfig, build
from kdre.data.vocab import Vocab
from kdre.errors import InputError
from kdre.knowledge.graph import PatternTable
from kdre.models.baseline import Baseline
from kdre.models.student import Student
from kdre.models.teacher import Teacher
from kdre.models.transformer_teacher import TransformerTeacher, rebuild

FORMAT = "kdre-model"
FORMAT_VERSION = 1


def save_model(
    path: Path | str,
    model: Baseline,
    vocab: Vocab,
    model_cfg: ModelConfig,
    dataset: str,
    extra: dict | None = None,
) -> None:
    """Write atomically (temp file, then rename); never a model with non-finite weights."""
    path = Path(path)
    bad = next((k for k, v in model.state_dict().items() if not torch.isfinite(v).all()), None)
    if bad is not None:
        raise InputError(f"the trained weights are not finite (first: {bad}): not saved", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kdre_version": __version__,
        "kind": model.kind,
        "dataset": dataset,
        "model_config": asdict(model_cfg),
        "vocab": vocab.to_dict(),
        "pooling_l2": model.pooling_l2_weight,
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
        **(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _baseline(payload: dict, cfg: ModelConfig, vocab: Vocab) -> Baseline:
    return Baseline(cfg, *vocab.sizes, pooling_l2_weight=payload["pooling_l2"])


def _teacher(payload: dict, cfg: ModelConfig, vocab: Vocab) -> Baseline:
    t = payload["teacher"]
    return Teacher(
        cfg,
        build(TeacherConfig, t["config"], "teacher", "model file", tolerant=True),
        t["gamma"],
        t["gamma_scalar"],
        *vocab.sizes,
        na_id=vocab.na_id,
        pooling_l2_weight=payload["pooling_l2"],
    )


def _transformer_teacher(payload: dict, cfg: ModelConfig, vocab: Vocab) -> Baseline:
    return rebuild(payload, len(vocab.labels), vocab.na_id)


def _student(payload: dict, cfg: ModelConfig, vocab: Vocab) -> Baseline:
    scfg = build(
        StudentConfig, payload["student"]["config"], "student", "model file", tolerant=True
    )
    return Student(cfg, scfg, *vocab.sizes, pooling_l2_weight=payload["pooling_l2"])


# The registry of model kinds: a model file names its class's ``kind``, and this builds the
# module its weights load into. A new model is a class with a new ``kind`` and one entry here.
KINDS: dict[str, Callable[[dict, ModelConfig, Vocab], Baseline]] = {
    Baseline.kind: _baseline,
    Teacher.kind: _teacher,
    TransformerTeacher.kind: _transformer_teacher,
    Student.kind: _student,
}


def build_from_payload(payload: dict, vocab: Vocab) -> Baseline:
    cfg = build(ModelConfig, payload["model_config"], "model", "model file", tolerant=True)
    builder = KINDS.get(payload["kind"])
    if builder is None:
        raise InputError(f"unknown model kind {payload['kind']!r} (known: {sorted(KINDS)})")
    return builder(payload, cfg, vocab)


def load_model(path: Path | str) -> tuple[Baseline, Vocab, dict]:
    """Load any kdre model file; refuses files of another format or version."""
    path = Path(path)
    if not path.exists():
        raise InputError("model file not found", path)
    if not path.is_file():
        raise InputError("not a file (a kdre model file is one .pt file)", path)
    try:
        # weights_only: the unpickler builds tensors and plain containers only, so a crafted
        # file cannot run code while it loads (a kdre payload needs nothing else).
        with warnings.catch_warnings():
            # torch warns about the pickle protocol before refusing a raw pickle: the refusal
            # below is the one line the user sees
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "global" not in str(err).lower():  # not a pickle of objects at all: bytes, parquet…
            raise InputError("not a kdre model file (not a torch file)", path) from None
        raise InputError(
            "refused: the file holds objects other than tensors and plain data, which could run "
            "code when loaded (kdre loads with torch.load(weights_only=True))",
            path,
        ) from None
    except Exception as err:  # noqa: BLE001 - any failure to read it is one line, not a traceback
        raise InputError(
            f"not a kdre model file (unreadable: {type(err).__name__})", path
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError("not a kdre model file", path)
    if payload.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"model file format {payload.get('format_version')} is not supported "
            f"(this kdre reads format {FORMAT_VERSION})",
            path,
        )
    state = payload.get("state_dict")
    if isinstance(state, dict):
        bad = [k for k, v in state.items() if torch.is_tensor(v) and not torch.isfinite(v).all()]
        if bad:
            raise InputError(f"the model's weights are not finite (first: {bad[0]})", path)
    try:
        vocab = Vocab.from_dict(payload["vocab"])
        model = build_from_payload(payload, vocab)
        model.load_state_dict(payload["state_dict"])
    except InputError as err:
        raise InputError(err.problem, path) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as err:
        # a kdre payload whose parts do not fit together (edited, truncated, another build)
        detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise InputError(
            f"a kdre model file whose parts do not fit ({type(err).__name__}: {detail[:160]})",
            path,
        ) from None
    model.eval()
    return model, vocab, payload


def pattern_table_of(payload: dict) -> PatternTable | None:
    data = payload.get("teacher", {}).get("pattern_table")
    return None if data is None else PatternTable.from_dict(data)
