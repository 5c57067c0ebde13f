"""Run records: what one finished pipeline execution ran with and what it measured.

A run is its params (from its dvc.lock, or params.yaml where there is none), the metrics files
its stages wrote and its test predictions. Which runs belong to one setup, and which params
a run may differ in (the swept keys, the execution keys, the word vectors), are decided here;
the report (kdre.experiments.report) and the matrix's cells (kdre.experiments.cells)
both ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kdre import SETUP_VERSION
from kdre.config import reads_gold_label
from kdre.experiments.setups import CHANGED, SETUP_DEFAULTS, STUDENT_ONLY

# Params that may differ between runs of one report; any other difference is a different setup.
SWEPT = (
    "seed",
    "gamma",
    "teacher.tsd",
    "teacher.type_constraints",
    "teacher.base",
    "types.source",
    "teacher.encoder",
    "teacher.transformer.typed_markers",
    "student.hint",
    "student.maa",
    "student.kd",
)


# Where a run executed, not what it computed (threads change results only at float precision).
EXECUTION = ("train.threads", "train.device", "train.cpu_isa")


# The word vectors: runs that differ from the reference here (and in SWEPT) land in the table of
# word-vector sources, not in the main one (minilm-static's 384-d table needs model.emb_dim 384).
VECTORS = (
    "embeddings.source",
    "embeddings.path",
    "embeddings.contextual",
    "embeddings.extend_vocab",
    "model.emb_dim",
    "model.ctx_dim",  # derived from embeddings.contextual
)


@dataclass
class Run:
    """One pipeline execution: ``metrics`` maps a metrics file's stem to its JSON content."""

    name: str
    params: dict
    metrics: dict[str, dict]
    # model stem → its test predictions ("id<TAB>label" lines), where the run kept them
    predictions: dict[str, str] = field(default_factory=dict)

    def baseline_f1(self) -> tuple[float | None, float | None]:
        """(dev, test) F1 of the C-GCN this run trained or restored: the base every model of
        the run is compared with; None where the run recorded none."""
        base = self.metrics.get("baseline")
        if not isinstance(base, dict):
            return None, None
        return base.get("dev", {}).get("f1"), base.get("test", {}).get("f1")

    def resolved(self) -> dict:
        """Every key's value in this run, flattened, from recorded facts: the resolved
        configuration its metrics record (every training stage's since the Layout issue);
        else its params, each key they lack taking its value in the run's setup version
        (kdre.experiments.setups) — never today's defaults, which may have moved since."""
        flat = {**SETUP_DEFAULTS.get(setup_version(self), {}), **flatten(self.params)}
        for metrics in self.metrics.values():
            if isinstance(metrics, dict) and isinstance(metrics.get("config"), dict):
                flat.update(flatten(metrics["config"]))
        return flat

    def teacher_reads_gold(self) -> bool:
        """Whether this run's teacher read the gold label (Teacher-R), from the config it ran:
        its teacher's test predictions and scores are then no result."""
        flat = self.resolved()
        return reads_gold_label(flat["gamma"], flat["teacher.type_constraints"])


def flatten(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def unflatten(flat: dict) -> dict:
    tree: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def lock_params(lock: dict, stages: tuple[str, ...]) -> tuple[dict, list[str]]:
    """The params the given stages of a dvc.lock last ran with, and the keys they disagree on.

    This is what produced the metrics files, which params.yaml need not be: a workspace whose
    params.yaml was edited after `dvc repro` still holds the old metrics. Two stages that ran
    with different values of one key (e.g. `dvc repro baseline` after a seed change) mean the
    metrics files come from different setups: such a run is reported as stale."""
    merged: dict = {}
    conflicts: set[str] = set()
    for name in stages:
        stage = lock.get("stages", {}).get(name, {})
        flat = flatten(stage.get("params", {}).get("params.yaml", {}))
        for key, value in flat.items():
            if key in merged and merged[key] != value:
                conflicts.add(key)
            merged[key] = value
    return unflatten(merged), sorted(conflicts)


def fresh_stages(lock: dict) -> set[str]:
    """The stages of a dvc.lock whose inputs are the outputs its other stages record now.

    An experiment that ran only some stages (`dvc exp run baseline`) still commits the other
    stages' lock entries and metrics files from before: the teacher's entry then names a
    `models/baseline.pt` that is no longer there. Such a stage, and every stage downstream of
    it, is stale: its metrics belong to another run. A dep on a file inside another stage's
    output folder (the augment stage reads `data/types/train.parquet` of `data/types`) has no
    md5 to compare with the folder's: it is stale where the folder's stage is."""
    stages = lock.get("stages", {}) or {}
    produced = {
        out["path"]: (name, out.get("md5"))
        for name, stage in stages.items()
        for out in stage.get("outs", []) or []
    }

    def source_of(dep: dict) -> tuple[str, str | None] | None:
        """(stage, md5 to compare or None) of the stage whose output ``dep`` reads."""
        path = dep["path"]
        if path in produced:
            return produced[path]
        for out, (name, _) in produced.items():
            if path.startswith(out.rstrip("/") + "/"):
                return name, None
        return None

    stale: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, stage in stages.items():
            if name in stale:
                continue
            for dep in stage.get("deps", []) or []:
                source = source_of(dep)
                if source is None:
                    continue
                origin, md5 = source
                if origin in stale or (md5 is not None and md5 != dep.get("md5")):
                    stale.add(name)
                    changed = True
                    break
    return set(stages) - stale


# The paper's ablation tags and the switch that turns each part off.
ABLATIONS = (
    ("TSD", "teacher.tsd"),
    ("TC", "teacher.type_constraints"),
    ("HT", "student.hint"),
    ("MAA", "student.maa"),
    ("KD", "student.kd"),
)


def ablations(params: dict) -> list[str]:
    """The paper's ablation tags that a run switches off (TSD, TC, HT, MAA, KD)."""
    flat = flatten(params)
    off = []
    for tag, key in ABLATIONS:
        if flat.get(key) is False:
            off.append(tag)
    return off


def vectors_label(params: dict, defaults: dict | None = None) -> str:
    """What a run's words start from, e.g. "glove-6b-50d + minilm contextual (300-d)"."""
    flat = {**flatten(defaults or {}), **flatten(params)}
    label = str(flat.get("embeddings.source", "?"))
    if label == "file":
        label += f" {flat.get('embeddings.path', '')}"
    contextual = flat.get("embeddings.contextual", "none")
    if contextual not in (None, "none"):
        label += f" + {contextual} contextual"
    label = f"{label} ({flat.get('model.emb_dim', '?')}-d)"
    if flat.get("embeddings.extend_vocab") is False and flat.get("embeddings.source") != "random":
        label += ", train vocabulary"
    return label


def setup_version(run: Run) -> int:
    """The setup version (kdre.SETUP_VERSION) the run's training stages wrote; 1 without one.
    Stages of different versions in one run (a stage rerun after an upgrade) give the oldest."""
    versions = [
        int(m["setup_version"])
        for m in run.metrics.values()
        if isinstance(m, dict) and "setup_version" in m
    ]
    return min(versions) if versions else 1


def comparable_version(run: Run) -> int:
    """The newest setup version that computes what ``run`` computed: its own, carried forward
    over each later version whose change did not touch it (kdre.experiments.setups.CHANGED),
    e.g. a v2 run with the type term is a v3 run."""
    version = setup_version(run)
    config = run.resolved()
    while version < SETUP_VERSION and not CHANGED[version + 1](config):
        version += 1
    return version


def teacher_version(run: Run) -> int:
    """The newest setup version whose teacher computes what ``run``'s teacher computed: its
    comparable version, carried forward over versions that changed the student alone."""
    version = comparable_version(run)
    while version < SETUP_VERSION and version + 1 in STUDENT_ONLY:
        version += 1
    return version


def same_setup(
    run: Run,
    reference: dict,
    defaults: dict | None = None,
    free: tuple[str, ...] = (),
    any_version: bool = False,
) -> bool:
    """True when ``run`` is of this code's setup version (kdre.SETUP_VERSION) and differs from
    the reference params only in swept, execution or ``free`` keys.

    The run's side is what it recorded (:meth:`Run.resolved`). The reference is a params file
    of today, so a key it lacks means what `load_params` makes of it: its value in
    ``defaults`` (the typed config's defaults). Keys known to one side only are skipped."""
    if not any_version and comparable_version(run) != SETUP_VERSION:
        return False
    a, b = run.resolved(), {**flatten(defaults or {}), **flatten(reference)}
    keys = (set(a) & set(b)) - set(SWEPT) - set(EXECUTION) - set(free)
    return all(a.get(k) == b.get(k) for k in keys)
