"""The work behind the training stages: data → model → trained model, metrics and outputs.

Stage commands call these with typed configs; nothing here knows about DVC or the CLI.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from kdre import SETUP_VERSION, scoring
from kdre.checkpoint import load_model, save_model
from kdre.config import Params
from kdre.cpu import cpu_info, pin_cpu_isa
from kdre.data import Encoded, encode
from kdre.datasets import get_spec
from kdre.datasets.base import DatasetSpec
from kdre.embeddings import (
    CONTEXTUAL_DIR,
    VECTORS_FILE,
    init_matrix,
    load_contextual,
    load_table,
)
from kdre.errors import InputError
from kdre.graph import PatternTable
from kdre.models.baseline import Baseline
from kdre.models.teacher import PATTERN_KEY, Teacher
from kdre.schema import SPLITS, read_split
from kdre.training import TrainResult, predict_logits, resolve_device, seed_everything, train_model
from kdre.vocab import Vocab, build_vocab, with_pretrained_words


@dataclass
class Prepared:
    spec: DatasetSpec
    vocab: Vocab
    splits: dict[str, Encoded]


def attach_contextual(data: Encoded, path: Path | str) -> None:
    """Give each example its cached contextual vectors, checked token for token."""
    table = load_contextual(path)
    ctx = []
    for rid, length in zip(data.ids, data.lengths, strict=True):
        vectors = table.get(rid)
        if vectors is None or len(vectors) != length:
            found = "no vectors" if vectors is None else f"{len(vectors)} vectors"
            raise InputError(
                f"contextual cache does not match the parsed split ({found} for {length} "
                "tokens); rerun the embed stage",
                path,
                record=rid,
            )
        ctx.append(vectors)
    data.ctx = ctx


def prepare(
    params: Params,
    parsed_dir: Path | str,
    vocab: Vocab | None = None,
    embeddings_dir: Path | str | None = None,
) -> Prepared:
    """Read the parsed splits and encode them with ``vocab`` (built from train when None, and
    with ``embeddings.extend_vocab`` widened by the other splits' words that have a vector in
    the embed stage's table); with ``embeddings.contextual`` set, attach the cached vectors."""
    spec = get_spec(params.dataset.name)
    frames = {s: read_split(Path(parsed_dir) / f"{s}.parquet") for s in SPLITS}
    if vocab is None:
        vocab = build_vocab(
            frames["train"],
            list(spec.labels),
            spec.na_label,
            params.model.min_freq,
            params.model.lower,
            params.model.entity_masking,
        )
        if params.embeddings.extend_vocab and params.embeddings.source != "random":
            if embeddings_dir is None:
                raise InputError("embeddings.extend_vocab is set: pass the embed stage's folder")
            known = set(load_table(Path(embeddings_dir) / VECTORS_FILE).words)
            vocab = with_pretrained_words(
                vocab,
                (tok for s in SPLITS if s != "train" for tok in frames[s]["tokens"]),
                lambda w: w in known or w.lower() in known,
            )
    elif vocab.labels != list(spec.labels):
        raise InputError(f"the model's label set is not the {spec.name} label set")
    splits = {
        s: encode(df, vocab, params.model.prune_k, str(Path(parsed_dir) / f"{s}.parquet"))
        for s, df in frames.items()
    }
    if params.embeddings.contextual != "none":
        if embeddings_dir is None:
            raise InputError("embeddings.contextual is set: pass the embed stage's folder")
        for s, data in splits.items():
            attach_contextual(data, Path(embeddings_dir) / CONTEXTUAL_DIR / f"{s}.parquet")
    return Prepared(spec, vocab, splits)


def evaluator(spec: DatasetSpec, vocab: Vocab, data: Encoded):
    """logits → official score of the dataset, against the split's gold labels."""
    gold = {rid: vocab.labels[y] for rid, y in zip(data.ids, data.labels, strict=True)}
    score_fn = scoring.semeval_score if spec.scorer == "semeval" else scoring.tacred_score

    def evaluate(logits: np.ndarray) -> scoring.Score:
        pred = {rid: vocab.labels[y] for rid, y in zip(data.ids, logits.argmax(-1), strict=True)}
        return score_fn(pred, gold)

    return evaluate


def word_vectors(
    params: Params, vocab: Vocab, embeddings_dir: Path | str | None
) -> tuple[torch.Tensor | None, float | None]:
    """Initial word embeddings from the embed stage's table; None for random init."""
    if params.embeddings.source == "random":
        return None, None
    if embeddings_dir is None:
        raise InputError(
            f"embeddings.source is {params.embeddings.source!r}: pass the embed stage's folder"
        )
    table_path = Path(embeddings_dir) / VECTORS_FILE
    table = load_table(table_path)
    if table.source != params.embeddings.source:
        raise InputError(
            f"the word-vector table was built from {table.source!r}, but embeddings.source is "
            f"{params.embeddings.source!r}; rerun the embed stage",
            table_path,
        )
    cfg = params.embeddings
    return init_matrix(table, vocab, params.model.emb_dim, params.seed, cfg.rescale)


def parser_of(params: Params) -> dict:
    """The spaCy pipeline the training text went through, saved in the model file so that
    `kdre predict` parses new text the same way; None when TACRED keeps Stanford's annotations."""
    used = params.dataset.name == "semeval" or params.parse.reparse
    return {"spacy_model": params.parse.spacy_model if used else None}


def summary(score: scoring.Score) -> dict:
    return {"f1": score.f1, "precision": score.precision, "recall": score.recall}


def score_splits(model: Baseline, prep: Prepared, batch_size: int, leaky: bool = False) -> dict:
    """Official dev and test scores of the selected model; ``*_leaky`` keys when the model
    saw the gold label (Teacher-R), so such figures can never pass for results."""
    device = next(model.parameters()).device
    out = {}
    for split in ("dev", "test"):
        logits = predict_logits(model, prep.splits[split], batch_size, device)["final"]
        score = evaluator(prep.spec, prep.vocab, prep.splits[split])(logits)
        out[f"{split}_leaky" if leaky else split] = summary(score)
    return out


def train_and_report(
    params: Params, model: Baseline, prep: Prepared, progress: bool, name: str
) -> tuple[TrainResult, dict]:
    device = resolve_device(params.train.device)
    pin_cpu_isa(params.train.cpu_isa)
    torch.set_num_threads(params.train.threads)
    result = train_model(
        model,
        prep.splits["train"],
        prep.splits["dev"],
        params.train,
        evaluator(prep.spec, prep.vocab, prep.splits["dev"]),
        params.seed,
        params.model.word_dropout,
        device,
        progress,
        name,
    )
    metrics = {
        "setup_version": SETUP_VERSION,
        "threads": params.train.threads,
        **cpu_info(params.train.cpu_isa),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "train_seconds": round(result.train_seconds, 1),
        "train_sentences_per_s": round(result.sentences_per_s, 1),
    }
    return result, metrics


def run_baseline(
    params: Params,
    parsed_dir: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
):
    """Train the plain C-GCN; returns (metrics, history). ``embeddings_dir``: the embed
    stage's output (word-vector table, contextual vectors), unused with random vectors."""
    start = time.perf_counter()
    seed_everything(params.seed)
    prep = prepare(params, parsed_dir, embeddings_dir=embeddings_dir)
    vectors, coverage = word_vectors(params, prep.vocab, embeddings_dir)
    model = Baseline(
        params.model,
        *prep.vocab.sizes,
        params.train.pooling_l2,
        vectors,
    )
    result, metrics = train_and_report(params, model, prep, progress, "baseline")
    metrics.update(score_splits(model, prep, params.train.batch_size * 2))
    if coverage is not None:
        metrics["embedding_coverage"] = round(coverage, 4)
    save_model(model_path, model.cpu(), prep.vocab, params.model, prep.spec.name, parser_of(params))
    metrics["wall_seconds"] = round(time.perf_counter() - start, 1)
    return metrics, result.history


def run_teacher(
    params: Params,
    parsed_dir: Path | str,
    graph_path: Path | str,
    baseline_path: Path | str,
    model_path: Path | str,
    soft_labels_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
):
    """Train a teacher (γ = params.gamma), write its model and the soft labels of train."""
    start = time.perf_counter()
    seed_everything(params.seed)
    tcfg = params.teacher
    base_mode = tcfg.resolved_base(params.gamma)
    base = None
    vocab = None
    if base_mode != "scratch":
        base, vocab, payload = load_model(baseline_path)
        if payload["model_config"] != asdict(params.model):
            raise InputError(
                "teacher.base needs the baseline trained with the same `model` params; "
                "rerun the baseline stage",
                baseline_path,
            )
    prep = prepare(params, parsed_dir, vocab, embeddings_dir)
    graph = pd.read_parquet(graph_path)
    table = PatternTable(graph, prep.vocab.labels, prep.spec.na_label, params.graph.na_prob)
    for data in prep.splits.values():
        data.extra[PATTERN_KEY] = table.lookup(data.subj_types, data.obj_types)
    vectors, coverage = (
        (None, None) if base is not None else word_vectors(params, prep.vocab, embeddings_dir)
    )
    model = Teacher(
        params.model,
        tcfg,
        params.gamma,
        params.gamma_scalar,
        *prep.vocab.sizes,
        prep.vocab.na_id,
        params.train.pooling_l2,
        vectors,
    )
    if base is not None:
        model.encoder.load_state_dict(base.encoder.state_dict())
        model.classifier.load_state_dict(base.classifier.state_dict())
        if base_mode == "frozen":
            for p in (*model.encoder.parameters(), *model.classifier.parameters()):
                p.requires_grad_(False)
    if base_mode == "frozen" and (params.gamma == "scalar" or not tcfg.type_constraints):
        raise InputError(
            "a frozen base with gamma=scalar has nothing to train; use vector or relation"
        )
    result, metrics = train_and_report(params, model, prep, progress, f"teacher-{params.gamma}")
    metrics["base_frozen"] = base_mode == "frozen"
    leaky = params.gamma == "relation" and tcfg.type_constraints
    metrics.update(score_splits(model, prep, params.train.batch_size * 2, leaky))
    if leaky:
        metrics["note"] = "gamma=relation uses the gold label: dev/test scores leak, never results"
    if coverage is not None:
        metrics["embedding_coverage"] = round(coverage, 4)
    if params.gamma == "vector":
        metrics["gamma_v_mean"] = float(model.gamma.gamma_v.detach().mean())
    device = next(model.parameters()).device
    train_logits = predict_logits(model, prep.splits["train"], params.train.batch_size * 2, device)
    write_soft_labels(soft_labels_path, prep.splits["train"], prep.vocab, train_logits)
    teacher_meta = {
        "teacher": {
            "config": asdict(tcfg),
            "gamma": params.gamma,
            "gamma_scalar": params.gamma_scalar,
            "pattern_table": table.to_dict(),
        }
    }
    save_model(
        model_path,
        model.cpu(),
        prep.vocab,
        params.model,
        prep.spec.name,
        {**teacher_meta, **parser_of(params)},
    )
    metrics["wall_seconds"] = round(time.perf_counter() - start, 1)
    return metrics, result.history


def write_soft_labels(
    path: Path | str, data: Encoded, vocab: Vocab, logits: dict[str, np.ndarray]
) -> None:
    """Final, local and global logits per training example, keyed by id; label order in metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {
        "id": pa.array(data.ids, pa.string()),
        "relation": pa.array([vocab.labels[y] for y in data.labels], pa.string()),
    }
    for key in ("final", "local", "global"):
        if key in logits:
            columns[key] = pa.array(list(logits[key]), pa.list_(pa.float32()))
    table = pa.table(columns).replace_schema_metadata(
        {"labels": "\t".join(vocab.labels), "vocab_size": str(len(vocab.words))}
    )
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(table, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
