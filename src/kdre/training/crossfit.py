"""Cross-fitted teachers (``teacher.folds`` = K > 1): soft labels from teachers that did not
see the example they label.

A teacher labelling its own training examples is right and sure on nearly all of them (a frozen
C-GCN base on ~94 % of train, the MiniLM teacher on 97 %), so its soft label there says little
that the gold label does not, and nothing like what it says on unseen text. With K folds of
train (stratified by relation, seeded by ``seed``), teacher k is trained without fold k — for a
C-GCN teacher over a frozen or fine-tuned base, that base is a C-GCN trained without fold k
too — and labels fold k only. Every training example then gets the soft label of a teacher
that never saw it, the way the teacher labels test data.

Each fold's teacher is a whole ordinary teacher run over a folder of splits where train is
train without fold k, dev is dev (selection) and *test is fold k*: the fold's words thus enter
its vocabulary exactly as test words enter a full run's (``embeddings.extend_vocab``), and its
test score is its out-of-fold score. The stage's model file stays the teacher trained on all of
train (what ``evaluate`` and ``kdre predict`` use); only the soft labels come from the folds.
G(p) is the graph stage's (all of train): with ``teacher.leave_one_out`` the fold's examples
get the leave-one-out G(p), as the full teacher's training examples do.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from kdre.config import Params
from kdre.data.augment import source_of
from kdre.data.datasets import dataset_spec
from kdre.data.schema import read_split
from kdre.data.splits import stratified_folds
from kdre.errors import InputError
from kdre.models.files import load_model
from kdre.training.labelling import label_rows, own_counts
from kdre.training.soft_labels import confidence, write_soft_label_rows

# How one fold's models are trained (kdre.training.teachers passes the stage's own):
# (params, parsed dir, model path) → metrics, and
# (params, parsed dir, baseline path, model path, soft-labels path) → metrics.
BaseRunner = Callable[[Params, Path, Path], dict]
TeacherRunner = Callable[[Params, Path, Path, Path, Path], dict]


def fold_folder(
    parsed_dir: Path, train: pd.DataFrame, folds: np.ndarray, k: int, out: Path
) -> Path:
    """Splits for fold k: train without fold k, the same dev, fold k as test; every other file
    of the parsed folder (the typer state) copied beside them."""
    out.mkdir(parents=True, exist_ok=True)
    for item in Path(parsed_dir).iterdir():
        if item.is_file() and item.name not in ("train.parquet", "test.parquet"):
            shutil.copy2(item, out / item.name)
    train[folds != k].reset_index(drop=True).to_parquet(out / "train.parquet", index=False)
    train[folds == k].reset_index(drop=True).to_parquet(out / "test.parquet", index=False)
    return out


def run_crossfit(
    params: Params,
    parsed_dir: Path | str,
    graph_path: Path | str,
    soft_labels_path: Path | str,
    workdir: Path | str,
    train_base: BaseRunner | None,
    train_teacher: TeacherRunner,
    progress: bool = True,
    transfer: pd.DataFrame | None = None,
) -> tuple[dict, dict[str, np.ndarray] | None]:
    """Train K fold teachers and write the soft labels of train, each example's from the
    teacher that did not see it; returns the metrics of the cross-fit (per-fold dev F1, how
    often the out-of-fold labels are right and sure, seconds) and, given the typed
    ``transfer`` set, its logits: each copy labelled by the teacher of its source's fold,
    which saw neither.

    ``train_base``: trains fold k's C-GCN base (None when the teacher has none, e.g. a
    transformer teacher or ``teacher.base: scratch``)."""
    if params.embeddings.contextual != "none":
        raise InputError(
            "teacher.folds > 1 with embeddings.contextual is not supported: the contextual "
            "vectors are cached per split, and a fold's held-out examples are train's"
        )
    parsed_dir, workdir = Path(parsed_dir), Path(workdir)
    start = time.perf_counter()
    k_folds = params.teacher.folds
    train = read_split(parsed_dir / "train.parquet")
    if k_folds > len(train):
        raise InputError(f"teacher.folds is {k_folds}, but train has {len(train)} examples")
    na = dataset_spec(params.dataset.name, parsed_dir).na_label
    loo = params.teacher.leave_one_out
    graph = pd.read_parquet(graph_path)
    folds = stratified_folds(list(train["relation"]), k_folds, params.seed)
    fold_of = dict(zip(train["id"].astype(str), folds, strict=True))
    transfer_folds = None
    if transfer is not None:
        transfer_folds = np.array([fold_of[source_of(str(r))] for r in transfer["id"]])
    labels = None
    rows_logits: dict[str, list] = {}
    transfer_logits: dict[str, list] = {}
    fold_dev: list[float] = []
    for k in range(k_folds):
        if progress:
            held_out = int((folds == k).sum())
            print(f"kdre: teacher fold {k + 1}/{k_folds}, without {held_out} training examples")
        folder = fold_folder(parsed_dir, train, folds, k, workdir / f"fold{k}")
        base = folder / "baseline.pt"
        if train_base is not None:
            train_base(params, folder, base)
        model = folder / "teacher.pt"
        metrics = train_teacher(params, folder, base, model, folder / "soft.parquet")
        fold_dev.append(metrics.get("dev", metrics.get("dev_leaky", {})).get("f1", float("nan")))
        held = train[folds == k].reset_index(drop=True)
        leave = own_counts(held, train, na) if loo else None
        out = label_rows(params, model, held, graph, str(folder / "test.parquet"), leave)
        _place(rows_logits, len(train), np.flatnonzero(folds == k), out)
        if transfer is not None and transfer_folds is not None and (transfer_folds == k).any():
            copies = transfer[transfer_folds == k].reset_index(drop=True)
            leave = own_counts(copies, train, na) if loo else None
            out = label_rows(params, model, copies, graph, "the transfer set", leave)
            _place(transfer_logits, len(transfer), np.flatnonzero(transfer_folds == k), out)
        if labels is None:
            labels = load_model(model)[1].labels
    assert labels is not None
    logits = {key: np.stack(values) for key, values in rows_logits.items()}
    write_soft_label_rows(
        soft_labels_path,
        list(train["id"].astype(str)),
        list(train["relation"].astype(str)),
        labels,
        logits,
        {"folds": str(k_folds)},
    )
    index = {label: i for i, label in enumerate(labels)}
    gold = np.array([index[r] for r in train["relation"]])
    metrics = {
        "folds": k_folds,
        "fold_dev_f1": [round(f, 4) for f in fold_dev],
        **confidence(logits["final"], gold, "out_of_fold"),
        "seconds": round(time.perf_counter() - start, 1),
    }
    if transfer is None or not len(transfer):
        return metrics, None
    return metrics, {key: np.stack(values) for key, values in transfer_logits.items()}


def _place(into: dict[str, list], n: int, rows: np.ndarray, logits: dict[str, np.ndarray]) -> None:
    """Put one fold's logits (each column the teacher wrote) at their rows of ``n``."""
    for key, values in logits.items():
        column = into.setdefault(key, [None] * n)
        for row, value in zip(rows, values, strict=True):
            column[row] = value
