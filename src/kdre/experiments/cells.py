"""The run matrix: which (cell, seed) experiments the report needs, and which are still missing.

A cell is a set of param overrides (values as `dvc exp run -S` takes them); it is finished for
a seed when a run of the cell's setup holds it (kdre.experiments.runs decides the setup).
"""

from __future__ import annotations

import copy
from dataclasses import asdict

import yaml

from kdre.config import Params
from kdre.experiments.runs import SWEPT, VECTORS, Run, flatten, same_setup

# The report's cells: Student-R and the Knowledge issue's two controls first (what the matrix
# must show), then Teacher/Student for the other γ, then the paper's Table 4 ablations, each of
# Student-R. Values as `dvc exp run -S` takes them.
# - no-tc: the type term γ ⊙ G(p) dropped on the same frozen base, so the teacher is the C-GCN
#   itself: the self-distillation control (and −TC, changing only the type term).
# - types-ner: the same Teacher-R machinery over the parse stage's NER types, whose G(p) is a
#   near-constant prior on SemEval: the no-knowledge control.
CELLS: dict[str, dict[str, str]] = {
    "relation": {"gamma": "relation"},
    "no-tc": {"gamma": "relation", "teacher.type_constraints": "false"},
    "types-ner": {"gamma": "relation", "types.source": "ner"},
    "scalar": {"gamma": "scalar"},
    "vector": {"gamma": "vector"},
    "no-tsd": {"gamma": "relation", "teacher.tsd": "false"},
    "no-ht": {"gamma": "relation", "student.hint": "false"},
    "no-maa": {"gamma": "relation", "student.maa": "false"},
    "no-kd": {"gamma": "relation", "student.kd": "false"},
}


# Student-R from each type source (the default's cell is "relation"), for the types table;
# types-none (one constant type, G(p) the prior) is the no-knowledge control where the parse
# stage's NER types do carry knowledge (KBP37, whose setup takes types.source ner).
TYPES_CELLS: dict[str, dict[str, str]] = {
    f"types-{source}": {"gamma": "relation", "types.source": source}
    for source in ("wordnet", "clusters", "none")
}


# Student-R (with its C-GCN and Teacher-R) from each other word-vector source, for the report's
# word-vector table; not in the default matrix (each is three trainings per seed).
# minilm-static's table is 384-d, so the embedding must be that wide.
VECTOR_CELLS: dict[str, dict[str, str]] = {
    "vectors-random": {"gamma": "relation", "embeddings.source": "random"},
    "vectors-minilm-static": {
        "gamma": "relation",
        "embeddings.source": "minilm-static",
        "model.emb_dim": "384",
    },
    "vectors-minilm-contextual": {"gamma": "relation", "embeddings.contextual": "minilm"},
}


# The C-GCN alone (only the baseline stage runs): the Core issue's comparison of vocabulary
# layouts, chosen on dev: the vocabulary extended by the dev/test words that have a vector (the
# default) against train words only (the C-GCN reference's).
CGCN_CELLS: dict[str, dict[str, str]] = {
    "cgcn": {},
    "cgcn-train-vocab": {"embeddings.extend_vocab": "false"},
}


# The Comparable issue's lineage protocol (10 undirected labels, the lineage figure; see
# docs/scoring.md): Student-R with its own C-GCN and Teacher-R, for the table beside the
# paper's Table 3.
LINEAGE_CELLS: dict[str, dict[str, str]] = {
    "lineage": {"gamma": "relation", "dataset.semeval_directions": "false"},
}


# The Transformer issue's teachers (MiniLM fine-tuned, h_tea = F(h_transformer) + γ_v ⊙ G(p)),
# each distilled into the default student: with the type term, without it, and the plain
# fine-tuned MiniLM (no types anywhere: no type term, untyped markers; no TSD) that the typed
# teacher must beat on dev.
_TRANSFORMER = {"gamma": "vector", "teacher.encoder": "transformer"}


_NO_TC = {"teacher.type_constraints": "false"}


TRANSFORMER_CELLS: dict[str, dict[str, str]] = {
    "transformer": _TRANSFORMER,
    "transformer-no-tc": {**_TRANSFORMER, **_NO_TC},
    "transformer-plain": {
        **_TRANSFORMER,
        **_NO_TC,
        "teacher.tsd": "false",
        "teacher.transformer.typed_markers": "false",
    },
}


# The Transfer issue's mechanisms, each on Student-R alone (one thing changed against the
# "relation" cell): leave-one-out soft rules, 5 cross-fitted teachers, a transfer set of 4
# copies per sentence, and the self-distillation control on that transfer set (the teacher is
# the C-GCN itself). Not in the default matrix: each is its own setup (the report lists its
# runs apart until the defaults move). transformer-transfer gives the same transfer set to the
# fine-tuned MiniLM teacher (the transformer cell plus the transfer set: one thing changed
# against that cell), the setting of Tang et al. 2019: a teacher well above the student,
# labelling many more inputs than the labelled set, with no gold label in its fusion (γ_v).
# transformer-loo trains that MiniLM teacher over leave-one-out soft rules (one thing changed
# against the transformer cell): whether the typed teacher still loses to the plain one on dev
# once G(p) on train no longer counts the example's own label. transfer-self-soft is the
# transfer-self control at KD temperature 2 (one thing changed against it): the MiniLM teacher
# teaches soft labels (train entropy 0.86-0.93 nats, seeds 1-2) where the C-GCN's are near
# one-hot (0.32), and at τ = 2 the C-GCN's reach 1.01 (benchmarks/soft_label_shift.py on train,
# seed 1), so MiniLM's student against this one separates what the MiniLM knows from how soft
# it teaches. transformer-plain-transfer gives the transfer set to the plain fine-tuned MiniLM
# instead (the transformer-plain cell plus the transfer set): the teacher chosen on dev, 84.15
# against the typed teacher's 83.16 (seeds 1-3). transformer-transfer-long is
# transformer-transfer with twice the student's epochs (student.epochs 100; the C-GCN and the
# teacher unchanged): its students' best dev epochs were 41-50 of 50 (seeds 1-5), so the
# schedule may be short for train plus as many copies each epoch. transformer-transfer-steady
# keeps the transfer examples' teacher terms at full weight in every epoch
# (student.transfer_anneal false): with teacher_first annealing they weigh nothing in the last
# epochs, where those best dev epochs fell. transformer-transfer-8 doubles the transfer set
# (8 copies per sentence; the MiniLM teacher labels all of them): Tang et al. 2019 used ~20.
# transformer-transfer-8-x2 is transformer-transfer-8 with twice the copies drawn each epoch
# (student.transfer_ratio 2: 15,000 a SemEval epoch instead of 7,500), the knob that shows
# the student more of the teacher per epoch; 8 copies alone only vary them across epochs.
# Its C-GCN and teacher stages equal transformer-transfer-8's: where DVC's run cache holds
# that cell's run of the seed (same code), they are restored and only the student trains.
# Two cells ask whether the student follows its teacher more closely when taught otherwise:
# the students agree with their C-GCN (87-89 %) more than with their MiniLM teacher (81-83 %;
# benchmarks/fidelity.py). transformer-teacher-only is the transformer cell with λ_kd = 1 in
# every epoch (student.anneal false): the gold term's weight 1 − λ_kd is 0, where teacher
# annealing ends on the gold labels alone. transformer-mse matches the teacher's logits
# (student.kd_loss mse, Tang et al. 2019) instead of its softmax at τ = 1. Each changes only
# the student against the transformer cell: where DVC's run cache holds that cell's run of the
# seed (same code), its C-GCN and teacher are restored and only the student trains.
# transformer-transfer-mse is transformer-transfer with the same student change.
_TRANSFER_SET = {"transfer.copies": "4"}
TRANSFER_CELLS: dict[str, dict[str, str]] = {
    "loo": {"gamma": "relation", "teacher.leave_one_out": "true"},
    "folds": {"gamma": "relation", "teacher.folds": "5"},
    "transfer": {"gamma": "relation", **_TRANSFER_SET},
    "transfer-self": {"gamma": "relation", **_NO_TC, **_TRANSFER_SET},
    "transfer-self-soft": {
        "gamma": "relation",
        **_NO_TC,
        **_TRANSFER_SET,
        "student.temperature": "2.0",
    },
    "transformer-transfer": {**_TRANSFORMER, **_TRANSFER_SET},
    "transformer-loo": {**_TRANSFORMER, "teacher.leave_one_out": "true"},
    "transformer-plain-transfer": {**TRANSFORMER_CELLS["transformer-plain"], **_TRANSFER_SET},
    "transformer-transfer-long": {**_TRANSFORMER, **_TRANSFER_SET, "student.epochs": "100"},
    "transformer-transfer-steady": {
        **_TRANSFORMER,
        **_TRANSFER_SET,
        "student.transfer_anneal": "false",
    },
    "transformer-transfer-8": {**_TRANSFORMER, "transfer.copies": "8"},
    "transformer-transfer-8-x2": {
        **_TRANSFORMER,
        "transfer.copies": "8",
        "student.transfer_ratio": "2.0",
    },
    "transformer-teacher-only": {**_TRANSFORMER, "student.anneal": "false"},
    "transformer-mse": {**_TRANSFORMER, "student.kd_loss": "mse"},
    "transformer-transfer-mse": {**_TRANSFORMER, **_TRANSFER_SET, "student.kd_loss": "mse"},
}


# −TSD where the paper's mechanism applies: on a frozen base TSD only limits how far γ sharpens
# the base's output, so the default no-tsd cell measures another mechanism than the paper's;
# over a fine-tuned base the encoder trains under TSD too (the report tags these rows).
TSD_CELLS: dict[str, dict[str, str]] = {
    "finetune": {"gamma": "relation", "teacher.base": "finetune"},
    "finetune-no-tsd": {"gamma": "relation", "teacher.base": "finetune", "teacher.tsd": "false"},
}


ALL_CELLS = {
    **CELLS,
    **TYPES_CELLS,
    **VECTOR_CELLS,
    **CGCN_CELLS,
    **LINEAGE_CELLS,
    **TRANSFORMER_CELLS,
    **TRANSFER_CELLS,
    **TSD_CELLS,
}


# What each cell is, in a line: `kdre matrix --help` and its `--list-cells` table (committed
# as docs/cells.md) are built from it, so the cells' documentation cannot drift from CELLS.
ABOUT: dict[str, str] = {
    "relation": "Student-R with its C-GCN and Teacher-R (γ_r): the paper's method, the default",
    "no-tc": "the type term dropped on the same frozen base: the teacher is the C-GCN itself "
    "(the self-distillation control, and the −TC row)",
    "types-ner": "Teacher-R over spaCy's NER types, a near-constant prior on SemEval "
    "(the no-knowledge control)",
    "scalar": "Teacher-S and Student-S (a fixed γ_s)",
    "vector": "Teacher-V and Student-V (a trained γ_v)",
    "no-tsd": "Student-R without TSD in the teacher (−TSD; on a frozen base TSD only limits "
    "how far γ sharpens)",
    "no-ht": "Student-R without the hint terms (−HT)",
    "no-maa": "Student-R without the MAA branch (−MAA)",
    "no-kd": "the student without distillation (−KD)",
    "types-wordnet": "Student-R over WordNet noun supersenses",
    "types-clusters": "Student-R over word-vector clusters",
    "types-none": "Student-R over one constant type (G(p) is the prior: the no-knowledge "
    "control where NER types carry knowledge, e.g. KBP37)",
    "vectors-random": "Student-R with its C-GCN and Teacher-R from random word vectors",
    "vectors-minilm-static": "Student-R with its C-GCN and Teacher-R from MiniLM's static "
    "token table (384-d)",
    "vectors-minilm-contextual": "Student-R with its C-GCN and Teacher-R, MiniLM's contextual "
    "vectors beside GloVe",
    "cgcn": "the C-GCN alone (only the baseline stage runs)",
    "cgcn-train-vocab": "the C-GCN alone, its vocabulary the training words only",
    "lineage": "Student-R with its C-GCN and Teacher-R under the lineage protocol "
    "(10 undirected labels)",
    "transformer": "Student-V from a fine-tuned MiniLM teacher with the type term",
    "transformer-no-tc": "Student-V from the MiniLM teacher without the type term",
    "transformer-plain": "Student-V from the plain fine-tuned MiniLM (no type term, untyped "
    "markers, no TSD: no types anywhere)",
    "loo": "Student-R, its teacher over leave-one-out soft rules on train",
    "folds": "Student-R from 5 cross-fitted teachers",
    "transfer": "Student-R with a transfer set of 4 augmented copies per sentence",
    "transfer-self": "the transfer cell with the C-GCN itself as teacher (its "
    "self-distillation control)",
    "transfer-self-soft": "transfer-self at KD temperature 2 (as soft as the MiniLM teacher's "
    "labels)",
    "transformer-transfer": "the transformer cell with the 4-copy transfer set",
    "transformer-loo": "the transformer cell, its teacher over leave-one-out soft rules",
    "transformer-plain-transfer": "the transformer-plain cell with the 4-copy transfer set",
    "transformer-transfer-long": "transformer-transfer with 100 student epochs",
    "transformer-transfer-steady": "transformer-transfer, the copies' teacher terms not annealed",
    "transformer-transfer-8": "transformer-transfer with 8 copies per sentence",
    "transformer-transfer-8-x2": "transformer-transfer-8 drawing 2 copies per training "
    "example each epoch",
    "transformer-teacher-only": "the transformer cell with λ_kd = 1 in every epoch (not "
    "annealed): no gold term, the student learns from the teacher alone",
    "transformer-mse": "the transformer cell, the student matching the teacher's logits (MSE) "
    "instead of its softmax (KL)",
    "transformer-transfer-mse": "transformer-transfer, the student matching the teacher's "
    "logits (MSE) instead of its softmax (KL)",
    "finetune": "Student-R over a fine-tuned C-GCN base (the teacher's encoder trains)",
    "finetune-no-tsd": "finetune without TSD (−TSD where the paper's mechanism applies)",
}

# What `kdre matrix` runs when --cells is not given: the report's main tables.
DEFAULT_CELLS: tuple[str, ...] = tuple(CELLS)


def cells_markdown() -> str:
    """docs/cells.md: every cell of the matrix, its param overrides and what it is."""
    lines = [
        "# The run matrix's cells",
        "",
        "Generated by `kdre matrix --list-cells > docs/cells.md` from kdre.experiments.cells; "
        "a test fails when it differs from what the command writes. Do not edit by hand.",
        "",
        "Each cell is a set of param overrides, queued per seed as the DVC experiment "
        "`<cell>-s<seed>` (`dvc exp run -S key=value …`, with `seed` and `train.threads`). "
        f"`kdre matrix` without `--cells` runs the {len(DEFAULT_CELLS)} cells marked default; "
        "name the others with `--cells`.",
        "",
        "| cell | default | overrides | what it is |",
        "|---|---|---|---|",
    ]
    for name, overrides in ALL_CELLS.items():
        sets = " ".join(f"`{k}={v}`" for k, v in overrides.items()) or "–"
        default = "yes" if name in DEFAULT_CELLS else ""
        lines.append(f"| `{name}` | {default} | {sets} | {ABOUT[name]} |")
    return "\n".join(lines) + "\n"


def target_stage(cell: str) -> str:
    """The last stage a cell's experiment runs (and whose metrics mark it finished)."""
    return "baseline" if cell in CGCN_CELLS else "student"


def covers(
    run: Run,
    overrides: dict[str, str],
    seed: int,
    reference: dict | None = None,
    stage: str = "student",
) -> bool:
    """True when ``run`` ran with ``seed``, every override (a YAML value, as -S takes it) and,
    where the overrides do not set them, the ``reference``'s word vectors and swept keys (so a
    types-ner or −TSD run, γ_r too, never stands for the relation cell's Student-R).

    The run's side is what it recorded (:meth:`Run.resolved`). A run whose ``stage`` did not
    finish covers nothing."""
    if stage not in run.metrics:
        return False
    defaults = flatten(asdict(Params()))
    flat = run.resolved()
    own = {**defaults, **flatten(reference or {})}
    wanted = {}
    if reference is not None:
        wanted = {k: own.get(k) for k in (*VECTORS, *SWEPT) if k != "seed" and k in own}
    wanted |= {"seed": seed, **{k: yaml.safe_load(v) for k, v in overrides.items()}}
    return all(flat.get(k) == v for k, v in wanted.items())


def cell_reference(reference: dict, overrides: dict[str, str]) -> dict:
    """The reference params with the cell's overrides of keys that are neither swept nor word
    vectors applied: the setup the cell's runs belong to (the lineage cell's runs are of the
    reference setup under `dataset.semeval_directions: false`, as the report groups them)."""
    own = copy.deepcopy(reference)
    for key, value in overrides.items():
        if key in SWEPT or key in VECTORS:
            continue
        *path, last = key.split(".")
        node = own
        for part in path:  # a missing or null section means its defaults: start it empty
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = yaml.safe_load(value)
    return own


def missing(
    runs: list[Run], reference: dict, seeds: list[int], cells: dict[str, dict[str, str]]
) -> list[tuple[str, dict[str, str], int]]:
    """(cell, overrides, seed) not yet run in the cell's setup (:func:`cell_reference`), cell
    by cell, seeds inside (so that two jobs side by side rarely train the same seed's baseline
    at once)."""
    defaults = asdict(Params())
    todo = []
    for cell, overrides in cells.items():
        own = cell_reference(reference, overrides)
        same = [r for r in runs if same_setup(r, own, defaults, free=VECTORS)]
        todo += [
            (cell, overrides, seed)
            for seed in seeds
            if not any(covers(r, overrides, seed, own, target_stage(cell)) for r in same)
        ]
    return todo
