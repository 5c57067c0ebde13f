"""A tiny run of the C-GCN, Teacher-R, the student and the transformer teacher in a given source
tree, printing each model's per-epoch training loss and dev F1: run it on two trees (a commit's
worktree and the working tree) and diff the outputs to show a refactor is behaviour-neutral
before `dvc commit`.

Usage:
    git worktree add /tmp/before HEAD
    python benchmarks/tiny_identity.py /tmp/before > before.txt
    python benchmarks/tiny_identity.py . > after.txt && diff before.txt after.txt

Reads this checkout's pipeline outputs (`data/parsed`, `data/types`, `data/graph`,
`data/embeddings`: run `dvc repro embed graph` first), cut to the first ``--rows`` rows of each
split, with the tree's own params.yaml at ``--epochs`` epochs and 1 thread. Each run imports
only that tree's `src` (an editable install is bypassed), so the two sides cannot mix code.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path, help="the source tree to run (holds src/kdre)")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--transformer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the transformer teacher (MiniLM, one epoch; needs the [minilm] extra)",
    )
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree / "src"))
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    from kdre.cpu import isa_from_params_file, set_isa_environment

    set_isa_environment(isa_from_params_file(str(tree / "params.yaml")))
    import pyarrow.parquet as pq

    import kdre

    if not Path(kdre.__file__).resolve().is_relative_to(tree):
        raise SystemExit(f"imported kdre from {kdre.__file__}, not from {tree}")
    from kdre.config import load_params

    if (tree / "src/kdre/training").is_dir():  # the layered package (Layout issue)
        from kdre.training.recipe import run_baseline
        from kdre.training.student import run_student
        from kdre.training.teachers import run_teacher
    else:  # a tree from before it (flat modules)
        from kdre.distill import run_student
        from kdre.runs import run_baseline
        from kdre.teaching import run_teacher

    work = Path(tempfile.mkdtemp(prefix="kdre-identity-"))
    for sub in ("parsed", "types"):
        shutil.copytree(args.data / sub, work / sub)
        for path in (work / sub).glob("*.parquet"):
            pq.write_table(pq.read_table(path).slice(0, args.rows), path)
    shutil.copytree(args.data / "graph", work / "graph")
    shutil.copytree(args.data / "embeddings", work / "emb")
    params = load_params(tree / "params.yaml")
    train = dataclasses.replace(params.train, epochs=args.epochs, threads=1)
    params = dataclasses.replace(params, train=train)
    histories = {
        "baseline": run_baseline(params, work / "parsed", work / "b.pt", False, work / "emb")[1],
        "teacher": run_teacher(
            params,
            work / "types",
            work / "graph/graph.parquet",
            work / "b.pt",
            work / "t.pt",
            work / "soft.parquet",
            False,
            work / "emb",
        )[1],
        "student": run_student(
            params, work / "parsed", work / "soft.parquet", work / "s.pt", False, work / "emb"
        )[1],
    }
    if args.transformer:
        # the transformer teacher (MiniLM, one epoch): the teacher stage's other encoder
        teacher = dataclasses.replace(
            params.teacher,
            encoder="transformer",
            transformer=dataclasses.replace(params.teacher.transformer, epochs=1),
        )
        histories["transformer-teacher"] = run_teacher(
            dataclasses.replace(params, gamma="vector", teacher=teacher),
            work / "types",
            work / "graph/graph.parquet",
            work / "b.pt",
            work / "tt.pt",
            work / "soft-tt.parquet",
            False,
            work / "emb",
        )[1]
    for name, history in histories.items():
        rows = [(r["epoch"], round(r["train_loss"], 7), round(r["dev_f1"], 5)) for r in history]
        print(name, rows)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
