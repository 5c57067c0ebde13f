"""The work behind the training stages: data → model → trained model, metrics and outputs.

Every training stage is one procedure, :func:`run_recipe`: seed, read and encode the splits,
build the model, train it with the one loop (kdre.training.loop), score the dev-selected model,
save it. What makes a stage's model different is a :class:`ModelRecipe` (the C-GCN baseline
below, the teacher in kdre.training.teacher, the student in kdre.training.student): a new model
or teacher encoder is a new recipe in a new file, not a copy of this procedure.

Stage commands call these with typed configs; nothing here knows about DVC or the CLI.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from kdre.config import Params, TrainConfig
from kdre.cpu import cpu_info, device_info, pin_cpu_isa, resolve_device
from kdre.data.datasets import dataset_spec
from kdre.data.datasets.base import DatasetSpec
from kdre.data.encode import Encoded, encode
from kdre.data.schema import SPLITS, read_split
from kdre.data.vocab import Vocab, build_vocab, with_pretrained_words
from kdre.errors import InputError
from kdre.evaluation import scoring
from kdre.features.vectors import (
    CONTEXTUAL_DIR,
    VECTORS_FILE,
    attach_contextual,
    init_matrix,
    load_table,
)
from kdre.models.baseline import Baseline
from kdre.models.files import save_model
from kdre.models.heads import FINAL
from kdre.models.inference import predict_logits
from kdre.provenance import run_record
from kdre.training.loop import (
    Optimization,
    reference_sgd,
    seed_everything,
    train_model,
)


@dataclass
class Prepared:
    spec: DatasetSpec
    vocab: Vocab
    splits: dict[str, Encoded]


def prepare(
    params: Params,
    parsed_dir: Path | str,
    vocab: Vocab | None = None,
    embeddings_dir: Path | str | None = None,
) -> Prepared:
    """Read the parsed splits and encode them with ``vocab`` (built from train when None, and
    with ``embeddings.extend_vocab`` widened by the other splits' words that have a vector in
    the embed stage's table); with ``embeddings.contextual`` set, attach the cached vectors."""
    spec = dataset_spec(params.dataset.name, parsed_dir)
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
        raise InputError(f"the model's label set is not the label set of this {spec.name} data")
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

    def evaluate(logits: np.ndarray) -> scoring.Score:
        pred = {rid: vocab.labels[y] for rid, y in zip(data.ids, logits.argmax(-1), strict=True)}
        return scoring.score_with(spec, pred, gold)

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


def score_splits(model: nn.Module, prep: Prepared, batch_size: int, leaky: bool = False) -> dict:
    """Official dev and test scores of the selected model; ``*_leaky`` keys when the model
    saw the gold label (Teacher-R), so such figures can never pass for results."""
    device = next(model.parameters()).device
    out = {}
    for split in ("dev", "test"):
        logits = predict_logits(model, prep.splits[split], batch_size, device)[FINAL]
        score = evaluator(prep.spec, prep.vocab, prep.splits[split])(logits)
        out[f"{split}_leaky" if leaky else split] = summary(score)
    return out


class ModelRecipe:
    """What makes one training stage's model; :func:`run_recipe` calls the hooks in order.

    The defaults are the C-GCN baseline's: vocabulary from train, word vectors from the embed
    stage, the reference SGD schedule, nothing attached, nothing written beside the model."""

    name = "model"
    leaky = False  # True when the model reads the gold label (Teacher-R): scores are *_leaky
    # The params the recipe's stage declares in dvc.yaml (its `params:` list, checked by
    # tests/test_dvc_deps.py): the model file records these and no others (kdre.provenance).
    reads: tuple[str, ...] = (
        "seed",
        "parse.spacy_model",
        "parse.reparse",
        "dataset.name",
        "embeddings",
        "model",
        "train",
    )

    def load(self, params: Params) -> Vocab | None:
        """Read what the model starts from (e.g. a trained baseline); its vocabulary, if the
        splits must be encoded with it."""
        return None

    def attach(self, params: Params, prep: Prepared) -> None:
        """Put per-example inputs beside the encoded splits (G(p), soft labels, cached logits)."""

    def wants_word_vectors(self, params: Params) -> bool:
        return True

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        raise NotImplementedError

    def optimization(self, params: Params) -> Optimization:
        return reference_sgd(params.train)

    def sampler(self, params: Params, prep: Prepared):
        """The rows of train each epoch trains on, drawn per epoch (``rng → rows``); None:
        all of them (every recipe but a student with a transfer set)."""
        return None

    def train_config(self, params: Params) -> TrainConfig:
        """Epochs, batch size and early stopping of the loop: train.* (the C-GCN recipe)."""
        return params.train

    def finish(self, params: Params, model: nn.Module, prep: Prepared, metrics: dict) -> dict:
        """After training and scoring (model selected on dev): write further outputs, add
        metrics; return what the model file records beside the weights."""
        return {}


def run_recipe(
    params: Params,
    recipe: ModelRecipe,
    parsed_dir: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
) -> tuple[dict, list[dict]]:
    """Train, score and save the recipe's model; returns (metrics, per-epoch history).

    ``embeddings_dir``: the embed stage's output (word-vector table, contextual vectors),
    unused with random vectors."""
    start = time.perf_counter()
    cores = os.cpu_count() or 1
    if params.train.threads > cores:
        print(
            f"kdre: warning: train.threads is {params.train.threads}, but this machine has "
            f"{cores} cores: expect the training to run slowly",
            file=sys.stderr,
        )
    device = resolve_device(params.train.device)
    pin_cpu_isa(params.train.cpu_isa)
    torch.set_num_threads(params.train.threads)
    seed_everything(params.seed)
    vocab = recipe.load(params)
    prep = prepare(params, parsed_dir, vocab, embeddings_dir)
    recipe.attach(params, prep)
    vectors, coverage = (
        word_vectors(params, prep.vocab, embeddings_dir)
        if recipe.wants_word_vectors(params)
        else (None, None)
    )
    model = recipe.build(params, prep, vectors)
    result = train_model(
        model,
        prep.splits["train"],
        prep.splits["dev"],
        recipe.train_config(params),
        evaluator(prep.spec, prep.vocab, prep.splits["dev"]),
        params.seed,
        params.model.word_dropout,
        device,
        progress,
        recipe.name,
        recipe.optimization(params),
        recipe.sampler(params, prep),
    )
    metrics = {
        **run_record(params),
        "threads": params.train.threads,
        **cpu_info(params.train.cpu_isa),
        **device_info(device),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "train_seconds": round(result.train_seconds, 1),
        "train_sentences_per_s": round(result.sentences_per_s, 1),
    }
    metrics.update(score_splits(model, prep, params.train.batch_size * 2, recipe.leaky))
    if coverage is not None:
        metrics["embedding_coverage"] = round(coverage, 4)
    extra = recipe.finish(params, model, prep, metrics)
    save_model(
        model_path,
        model.cpu(),
        prep.vocab,
        params.model,
        prep.spec.name,
        {**extra, **parser_of(params), **run_record(params, recipe.reads)},
    )
    metrics["wall_seconds"] = round(time.perf_counter() - start, 1)
    return metrics, result.history


class BaselineRecipe(ModelRecipe):
    """The plain C-GCN: the paper's C-GCN row."""

    name = "baseline"

    def build(self, params: Params, prep: Prepared, vectors: torch.Tensor | None) -> nn.Module:
        return Baseline(params.model, *prep.vocab.sizes, params.train.pooling_l2, vectors)


def run_baseline(
    params: Params,
    parsed_dir: Path | str,
    model_path: Path | str,
    progress: bool = True,
    embeddings_dir: Path | str | None = None,
) -> tuple[dict, list[dict]]:
    """Train the plain C-GCN; returns (metrics, history)."""
    return run_recipe(params, BaselineRecipe(), parsed_dir, model_path, progress, embeddings_dir)
