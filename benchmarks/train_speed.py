"""Training sentences/s of the C-GCN baseline in the pipeline's own configuration, optionally as
an A/B against another commit in one run.

Usage:
    python benchmarks/train_speed.py [--params params.yaml] [--epochs 3]
    python benchmarks/train_speed.py --against REV [--against-params FILE] [--epochs 4]

Each side is a worker process holding its own code (this tree, or a git worktree of REV),
the params (its threads, ISA, sizes: the configuration `dvc repro` runs) and SemEval train
from this tree's data/parsed and data/embeddings (run `dvc repro parse embed` first). The
driver alternates epochs between the sides (A, B, A, B, …), so both see the same machine load;
each epoch runs the side's own training loop (`kdre.training.loop.train_model`, one epoch, the
training time without the dev pass). Absolute rates here drift ±50 % between days: claim speed
only as the ratio printed by one invocation. The first epoch of each side is warm-up and left
out. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def worker(tree: Path, params_path: Path, data: Path) -> None:
    """Serve epochs: read a line per epoch on stdin, answer one JSON line on stdout."""
    sys.path.insert(0, str(tree / "src"))
    # An editable install maps every kdre module to the checkout it was made from: a module
    # the other commit lacks would silently come from this one. Only the tree's own src counts.
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    if (tree / "src/kdre/cpu.py").exists():
        from kdre.cpu import isa_from_params_file, set_isa_environment

        set_isa_environment(isa_from_params_file(str(params_path)))
    # else a commit from before train.cpu_isa: the host's native kernels
    import dataclasses

    import torch

    import kdre
    from kdre.config import load_params
    from kdre.models.baseline import Baseline
    from kdre.training.loop import seed_everything, train_model
    from kdre.training.recipe import evaluator, prepare, word_vectors

    if not Path(kdre.__file__).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"worker for {tree} imported kdre from {kdre.__file__}")

    params = load_params(params_path)
    torch.set_num_threads(params.train.threads)
    seed_everything(params.seed)
    prep = prepare(params, data / "parsed", embeddings_dir=data / "embeddings")
    vectors, _ = word_vectors(params, prep.vocab, data / "embeddings")
    model = Baseline(params.model, *prep.vocab.sizes, params.train.pooling_l2, vectors)
    cfg = dataclasses.replace(params.train, epochs=1)
    evaluate = evaluator(prep.spec, prep.vocab, prep.splits["dev"])
    capability = torch.backends.cpu.get_cpu_capability()
    for _ in sys.stdin:
        result = train_model(
            model,
            prep.splits["train"],
            prep.splits["dev"],
            cfg,
            evaluate,
            params.seed,
            params.model.word_dropout,
            torch.device("cpu"),
            False,
        )
        answer = {
            "seconds": result.train_seconds,
            "sentences": len(prep.splits["train"]),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "aten_capability": capability,
            "threads": params.train.threads,
        }
        print(json.dumps(answer), flush=True)


def _keys_like(values: dict, shape: dict) -> dict:
    """``values`` restricted to the keys ``shape`` has (recursively): params for an older
    commit, whose loader refuses keys it does not know."""
    out = {}
    for key, value in values.items():
        if key not in shape:
            continue
        if isinstance(value, dict) and isinstance(shape[key], dict):
            out[key] = _keys_like(value, shape[key])
        else:
            out[key] = value
    return out


def _start(tree: Path, params_path: Path) -> subprocess.Popen:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree)]
    cmd += ["--params", str(params_path), "--data", str(ROOT / "data")]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _epoch(proc: subprocess.Popen) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("epoch\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"a benchmark worker died (exit {proc.wait()})")
    return json.loads(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--params", type=Path, default=ROOT / "params.yaml", help="side A's params")
    ap.add_argument("--epochs", type=int, default=3, help="epochs per side, warm-up included")
    ap.add_argument("--against", metavar="REV", help="side B: this commit, in a git worktree")
    ap.add_argument(
        "--against-params",
        type=Path,
        help="side B's params (default: A's, without the keys REV's params.yaml lacks)",
    )
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, default=ROOT / "data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.params, args.data)
        return
    if args.epochs < 2:
        raise SystemExit("--epochs must be at least 2 (the first is warm-up)")
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"A": _start(ROOT, args.params.resolve())}
        labels = {"A": "workspace"}
        if args.against or args.against_params:
            rev = args.against or "HEAD"
            tree = Path(tmp) / "tree"
            if args.against:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev],
                    check=True,
                )
            else:
                tree = ROOT
            b_params = args.against_params
            if b_params is None:
                shape = yaml.safe_load(
                    subprocess.run(
                        ["git", "-C", str(ROOT), "show", f"{rev}:params.yaml"],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                )
                mine = yaml.safe_load(args.params.read_text(encoding="utf-8"))
                b_params = Path(tmp) / "params_b.yaml"
                b_params.write_text(yaml.safe_dump(_keys_like(mine, shape)), encoding="utf-8")
            sides["B"] = _start(tree, b_params.resolve())
            labels["B"] = args.against or "workspace"
            labels["B"] += f" ({args.against_params})" if args.against_params else ""
        try:
            epochs: dict[str, list[dict]] = {side: [] for side in sides}
            for _ in range(args.epochs):
                for side, proc in sides.items():
                    epochs[side].append(_epoch(proc))
                    print(f"{side} epoch: {epochs[side][-1]['seconds']:.1f} s", file=sys.stderr)
        finally:
            for proc in sides.values():
                proc.kill()
            if args.against:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )
    report: dict = {"epochs_per_side": args.epochs, "warm_up_left_out": 1}
    rates = {}
    for side, runs in epochs.items():
        steady = [r["sentences"] / r["seconds"] for r in runs[1:]]
        rates[side] = statistics.median(steady)
        report[side] = {
            "code": labels[side],
            "sentences_per_s": round(rates[side], 1),
            "per_epoch": [round(x, 1) for x in steady],
            **{k: runs[-1][k] for k in ("peak_rss_mib", "aten_capability", "threads")},
        }
    if "B" in rates:
        report["ratio_A_over_B"] = round(rates["A"] / rates["B"], 3)
    report["host_cpus"] = os.cpu_count()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
