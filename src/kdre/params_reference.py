"""The params.yaml reference (docs/params.md), generated so that it cannot drift.

Defaults come from the config dataclasses themselves (``Params()``, which equal params.yaml:
``tests/test_core.py``); every key of the config must have a line here and no other key may
(``tests/test_params_reference.py``), and each allowed-value list and range written here is
checked against what ``kdre.config`` accepts and refuses. What this module adds is the one-line
meaning of each key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kdre.config import (
    ANNEAL_DIRECTIONS,
    DATASETS,
    GAMMAS,
    TEACHER_BASES,
    TEACHER_ENCODERS,
    TYPE_SOURCES,
    Params,
)
from kdre.cpu import CPU_ISAS


@dataclass(frozen=True)
class Range:
    """A numeric range; ``None`` for an open end."""

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def __str__(self) -> str:
        low, high = _number(self.low), _number(self.high)
        if self.high is None:
            return f"{'≥' if self.low_inclusive else '>'} {low}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"{left}{low}, {high}{right}"


def _number(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Key:
    meaning: str
    choices: tuple[str, ...] = ()
    range: Range | None = None


AT_LEAST_1 = Range(1)
AT_LEAST_0 = Range(0)
POSITIVE = Range(0, low_inclusive=False)
DROPOUT = Range(0, 1, high_inclusive=False)
UNIT = Range(0, 1)

KEYS: dict[str, Key] = {
    "seed": Key(
        "seeds the dev split and all training (same params and seed → same metrics on one host)",
        range=Range(0, 2**32, high_inclusive=False),
    ),
    "gamma": Key(
        "teacher fusion γ: scalar (γ_s fixed), vector (γ_v trained), relation (γ_r = Γ[gold], "
        "trained; reads the gold label, so its scores are leaky)",
        choices=GAMMAS,
    ),
    "gamma_scalar": Key("γ_s; also the initial value of γ_v", range=AT_LEAST_0),
    "dataset.name": Key(
        "semeval, tacred (LDC, not shipped) or custom (any TACRED-format corpus)",
        choices=DATASETS,
    ),
    "dataset.semeval_dir": Key("the SemEval release folder (put there by `make data`)"),
    "dataset.tacred_dir": Key("folder with TACRED's train.json, dev.json, test.json"),
    "dataset.custom_dir": Key("custom: folder with train.json, dev.json, test.json"),
    "dataset.na_label": Key("custom: the label that means no relation (non-empty)"),
    "dataset.dev_size": Key(
        "SemEval: examples held out of TRAIN_FILE as dev, stratified by label", range=AT_LEAST_1
    ),
    "dataset.semeval_directions": Key(
        "SemEval only. false: the C-GCN/AGGCN line's protocol (10 labels, lineage figure)"
    ),
    "parse.spacy_model": Key("an installed spaCy v3.8 pipeline with tagger, parser and NER"),
    "parse.batch_size": Key("spaCy nlp.pipe batch size", range=AT_LEAST_1),
    "parse.n_process": Key("spaCy worker processes", range=AT_LEAST_1),
    "parse.reparse": Key("TACRED: replace the Stanford annotations by spaCy's"),
    "parse.limit": Key(
        "keep the first N examples of each split (0 = all; smoke runs)", range=AT_LEAST_0
    ),
    "types.source": Key(
        "entity types of the teacher's patterns: ner (the parse stage's), wordnet (WordNet 3.0 "
        "noun supersense), clusters (k-means over GloVe vectors of the heads)",
        choices=TYPE_SOURCES,
    ),
    "types.clusters": Key("K for types.source clusters", range=Range(2)),
    "graph.na_prob": Key("C, the value put at G(p)[NA]", range=UNIT),
    "embeddings.source": Key(
        "word vectors: random, glove-6b-50d (wheel), file (a GloVe/word2vec text file at "
        "embeddings.path), minilm-static (MiniLM's input table, 384-d)",
        choices=("random", "glove-6b-50d", "file", "minilm-static"),
    ),
    "embeddings.path": Key("the text file for source: file"),
    "embeddings.rescale": Key("scale pretrained values to the std of U(−1, 1)"),
    "embeddings.contextual": Key(
        "minilm: frozen all-MiniLM-L6-v2 token vectors beside the embeddings (beyond the paper)",
        choices=("none", "minilm"),
    ),
    "embeddings.extend_vocab": Key(
        "add the dev/test words that have a pretrained vector to the vocabulary (no label read)"
    ),
    "model.emb_dim": Key("word embedding width", range=AT_LEAST_1),
    "model.pos_dim": Key("POS tag embedding width (0: none)", range=AT_LEAST_0),
    "model.ner_dim": Key("NER tag embedding width (0: none)", range=AT_LEAST_0),
    "model.rnn_hidden": Key("BiLSTM hidden size per direction", range=AT_LEAST_1),
    "model.rnn_layers": Key("BiLSTM layers", range=AT_LEAST_1),
    "model.hidden_dim": Key("GCN and MLP width", range=AT_LEAST_1),
    "model.gcn_layers": Key("GCN layers", range=AT_LEAST_1),
    "model.mlp_layers": Key("MLP layers after pooling", range=AT_LEAST_1),
    "model.prune_k": Key("keep tree tokens within K steps of the shortest dependency path"),
    "model.input_dropout": Key("dropout on the input embeddings", range=DROPOUT),
    "model.rnn_dropout": Key("dropout on the BiLSTM output", range=DROPOUT),
    "model.gcn_dropout": Key("dropout between GCN layers", range=DROPOUT),
    "model.word_dropout": Key("share of words replaced by UNK in training", range=DROPOUT),
    "model.lower": Key("lower-case words"),
    "model.min_freq": Key("train words rarer than this become UNK", range=AT_LEAST_1),
    "model.entity_masking": Key(
        "replace entity words by SUBJ-/OBJ-<type> (needs types.source ner)"
    ),
    "model.ctx_dim": Key("set from embeddings.contextual by the loader; never by hand"),
    "train.epochs": Key("training epochs of the C-GCN models", range=AT_LEAST_1),
    "train.batch_size": Key("examples per batch", range=AT_LEAST_1),
    "train.lr": Key("SGD learning rate", range=POSITIVE),
    "train.lr_decay": Key(
        "×lr_decay after an epoch whose dev F1 does not beat the previous one",
        range=Range(0, 1, low_inclusive=False),
    ),
    "train.decay_after": Key("epochs before the decay may start", range=AT_LEAST_0),
    "train.max_grad_norm": Key("gradient-norm clipping", range=POSITIVE),
    "train.pooling_l2": Key("L2 weight on the pooled sentence vector", range=AT_LEAST_0),
    "train.early_stop": Key(
        "stop after N epochs without a new best dev F1 (0 = never)", range=AT_LEAST_0
    ),
    "train.threads": Key(
        "torch threads (changes results in the last digits: a tracked param)", range=AT_LEAST_1
    ),
    "train.device": Key("auto (CUDA when present), cpu or cuda", choices=("auto", "cpu", "cuda")),
    "train.cpu_isa": Key(
        "widest instruction set torch's CPU kernels may use: avx2 (capped, MKL strict CNR) or "
        "native (the host's best; faster, host-dependent)",
        choices=tuple(CPU_ISAS),
    ),
    "teacher.tsd": Key("top-score-difference loss on the softmax output"),
    "teacher.tsd_k": Key(
        "K of TSD (also ≤ the number of labels, checked at training)", range=Range(2)
    ),
    "teacher.type_constraints": Key("false: the teacher drops γ ⊙ G(p) (−TC)"),
    "teacher.base": Key(
        "the teacher's C-GCN: scratch, frozen or finetune (from models/baseline.pt); auto = frozen",
        choices=TEACHER_BASES,
    ),
    "teacher.base_dropout_passes": Key(
        "a frozen base's train logits: N cached passes with dropout on (0: eval mode)",
        range=AT_LEAST_0,
    ),
    "teacher.gamma_lr": Key(
        "Adam rate of γ over a frozen base (0: the train.* schedule)", range=AT_LEAST_0
    ),
    "teacher.encoder": Key(
        "cgcn (the paper's) or transformer (a Hugging Face encoder with entity markers)",
        choices=TEACHER_ENCODERS,
    ),
    "teacher.transformer.model": Key("minilm (the bundled all-MiniLM-L6-v2) or a local HF folder"),
    "teacher.transformer.lr": Key("AdamW learning rate", range=POSITIVE),
    "teacher.transformer.epochs": Key("fine-tuning epochs", range=AT_LEAST_1),
    "teacher.transformer.warmup": Key(
        "share of steps with linear warm-up (then linear decay)", range=DROPOUT
    ),
    "teacher.transformer.batch_size": Key("examples per batch", range=AT_LEAST_1),
    "teacher.transformer.accumulate": Key("batches per optimiser step", range=AT_LEAST_1),
    "teacher.transformer.max_length": Key(
        "word pieces per example, markers included", range=Range(8)
    ),
    "teacher.transformer.typed_markers": Key("the entity type's words after each opening marker"),
    "teacher.transformer.dropout": Key("the encoder's dropout", range=DROPOUT),
    "teacher.transformer.weight_decay": Key("AdamW weight decay", range=AT_LEAST_0),
    "student.kd": Key(
        "false: λ_kd = 0, the loss is the gold term alone and no soft label is read (−KD)"
    ),
    "student.hint": Key("false: no hint term (−HT)"),
    "student.maa": Key("false: no multi-aspect attention branch (−MAA)"),
    "student.anneal": Key("teacher annealing: λ_kd moves linearly over the epochs"),
    "student.anneal_direction": Key(
        "teacher_first: λ_kd from lambda_kd to 0 (Clark et al. 2019); gold_first: 0 to lambda_kd",
        choices=ANNEAL_DIRECTIONS,
    ),
    "student.lambda_kd": Key("the largest teacher weight λ_kd", range=UNIT),
    "student.lambda_ht": Key("hint weight λ_ht", range=AT_LEAST_0),
    "student.temperature": Key(
        "KD temperature τ (L_KD and the hint terms carry τ²)", range=POSITIVE
    ),
    "student.pos_dim": Key("MAA position embedding width", range=AT_LEAST_1),
    "student.ner_dim": Key("MAA NER embedding width", range=AT_LEAST_1),
    "student.attn_dim": Key("MAA attention width", range=AT_LEAST_1),
    "student.max_position": Key("relative offsets clipped to ±max_position", range=AT_LEAST_1),
    "evaluate.bootstrap_samples": Key(
        "resamples of the paired bootstrap test (student vs baseline)", range=Range(100)
    ),
}


def leaf_defaults(obj: object = None, prefix: str = "") -> dict[str, object]:
    """Every leaf key of the configuration, dotted, with its default."""
    obj = Params() if obj is None else obj
    out: dict[str, object] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out.update(leaf_defaults(value, f"{key}."))
        else:
            out[key] = value
    return out


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"`{value}`" if value else "`''`"
    return _number(value) if isinstance(value, float) else str(value)


def markdown() -> str:
    """docs/params.md: one table row per key."""
    rows = [
        "# params.yaml reference",
        "",
        "Generated by `kdre params-reference` from the configuration code (`src/kdre/config.py`,",
        "`src/kdre/params_reference.py`); `tests/test_params_reference.py` fails when this file",
        "differs from what the command writes. Do not edit by hand.",
        "",
        "A bad value fails before any work, naming the key and what is allowed. Set a key for",
        "one experiment with `dvc exp run -S key=value` (the key path exactly as below).",
        "",
        "| key | default | allowed | meaning |",
        "|---|---|---|---|",
    ]
    for key, default in leaf_defaults().items():
        spec = KEYS[key]
        if spec.choices:
            allowed = ", ".join(f"`{c}`" for c in spec.choices)
        elif spec.range is not None:
            allowed = str(spec.range)
        else:
            allowed = type(default).__name__
        rows.append(f"| `{key}` | {_show(default)} | {allowed} | {spec.meaning} |")
    return "\n".join(rows) + "\n"
