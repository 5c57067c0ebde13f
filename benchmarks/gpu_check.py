"""Every training path of kdre on CUDA, checked in a few minutes: the C-GCN baseline, the C-GCN
Teacher-R, the transformer teacher and the student, each on the pipeline's own data and params
with ``train.device: cuda``, plus the BiLSTM's CUDA path against its CPU path on the same
weights. Fails (exit 1) when a run leaves the GPU, warns about cuDNN weights, or ends with an
F1 below a floor far under what the schedule reaches on CPU.

It needs only torch, transformers, pandas, pyarrow, typer, yaml and tqdm beside kdre's own
``src`` (no spaCy, no DVC), and the pipeline's outputs ``data/parsed``, ``data/types``,
``data/graph`` and ``data/embeddings`` (run ``dvc repro embed graph`` first). MiniLM's fp32
weights are too large to carry to a lent GPU machine, so ``pack`` writes its first
``--layers`` layers in fp16, and ``run`` upcasts them to fp32 before use.

Usage:
    python benchmarks/gpu_check.py pack [--layers 6] [--out .gpu/minilm]      # here
    python benchmarks/gpu_check.py run [--minilm .gpu/minilm] [--out FILE]   # on the GPU
Prints, and writes to --out, one JSON object: per model the device, the GPU, CUDA and cuDNN
versions, dev/test F1 (official SemEval macro-F1), training seconds and sentences/s.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

# Dev F1 a run must reach (official macro-F1, %). On CPU the same schedules reach: C-GCN 30
# epochs ≈ 78, the student ≈ 80, Teacher-R (leaky, dev_leaky) ≈ 90, MiniLM 2 epochs ≈ 82.
FLOORS = {"baseline": 65.0, "teacher_r": 75.0, "student": 70.0, "transformer_teacher": 60.0}


def pack(layers: int, out: Path) -> None:
    """MiniLM's tokenizer, its config cut to ``layers`` layers and those weights in fp16."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from kdre.features import huggingface as minilm

    src = minilm.model_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(src / name, out / name)
    config = json.loads((src / "config.json").read_text())
    config["num_hidden_layers"] = min(layers, config["num_hidden_layers"])
    (out / "config.json").write_text(json.dumps(config, indent=1))
    weights = {
        key: value.to(torch.float16).contiguous()
        for key, value in load_file(src / "model.safetensors").items()
        if ".layer." not in key or int(key.split(".layer.")[1].split(".")[0]) < layers
    }
    save_file(weights, out / "model.fp16.safetensors")
    size = (out / "model.fp16.safetensors").stat().st_size / 2**20
    print(f"packed {len(weights)} tensors, {config['num_hidden_layers']} layers, {size:.1f} MiB")


def upcast(folder: Path, dest: Path) -> Path:
    """A loadable fp32 Hugging Face folder from what :func:`pack` wrote."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.name != "model.fp16.safetensors":
            shutil.copyfile(path, dest / path.name)
    weights = {
        k: v.to(torch.float32) for k, v in load_file(folder / "model.fp16.safetensors").items()
    }
    save_file(weights, dest / "model.safetensors")
    return dest


def lstm_paths_agree() -> dict:
    """The BiLSTM's CUDA path (the module over a packed sequence) equals its CPU path (one
    fused LSTM per direction over padded input) on the same weights and inputs: to float32
    rounding with TF32 off, and within TF32's rounding (cuDNN's default on Ampere and later,
    which the training keeps) with it on."""
    import torch
    from torch import nn

    from kdre.models.encoders.layers import bidirectional_lstm

    torch.manual_seed(0)
    rnn = nn.LSTM(12, 8, 2, batch_first=True, bidirectional=True).eval()
    lengths = torch.tensor([7, 3, 5, 1])
    x = torch.randn(4, 7, 12)
    mask = torch.arange(7)[None, :] < lengths[:, None]
    with torch.no_grad():
        cpu = bidirectional_lstm(rnn, x, mask, lengths)
    rnn.cuda()
    result: dict = {}
    default_tf32 = torch.backends.cudnn.allow_tf32
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        warnings.simplefilter("always")
        for tf32 in (False, True):
            torch.backends.cudnn.allow_tf32 = tf32
            gpu = bidirectional_lstm(rnn, x.cuda(), mask.cuda(), lengths).cpu()
            result[f"max_abs_diff_tf32_{'on' if tf32 else 'off'}"] = float((cpu - gpu).abs().max())
    torch.backends.cudnn.allow_tf32 = default_tf32
    result["warnings"] = [str(w.message) for w in caught]
    return result


def subset(data: Path, work: Path, limit: int) -> Path:
    """The first ``limit`` rows of every split of every data folder (for a quick smoke run);
    the schema metadata (label set, typer) is kept."""
    import shutil

    import pyarrow.parquet as pq

    out = work / "data"
    shutil.copytree(data, out, ignore=shutil.ignore_patterns("raw"))
    for path in [*(out / "parsed").glob("*.parquet"), *(out / "types").glob("*.parquet")]:
        table = pq.read_table(path)
        pq.write_table(table.slice(0, limit), path)
    return out


def run(
    minilm_packed: Path | None,
    epochs: int,
    transformer_epochs: int,
    device: str = "cuda",
    limit: int = 0,
) -> dict:
    import torch

    from kdre.config import load_params
    from kdre.training.recipe import run_baseline
    from kdre.training.student import run_student
    from kdre.training.teachers import run_teacher

    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu_check: torch sees no CUDA device")
    base = load_params(ROOT / "params.yaml")
    # The host's own CPU kernels (caps matter for CPU reproducibility only), the GPU, the
    # default schedule cut to `epochs` for the C-GCN models.
    train = dataclasses.replace(base.train, device=device, cpu_isa="native", epochs=epochs)
    base = dataclasses.replace(base, train=train)
    work = Path(tempfile.mkdtemp(prefix="kdre-gpu-"))
    data = subset(ROOT / "data", work, limit) if limit else ROOT / "data"
    result: dict = {"torch": torch.__version__, "runs": {}}
    if device == "cuda":
        result["lstm_paths"] = lstm_paths_agree()

    def record(name: str, fn, key: str = "dev") -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            try:
                metrics, _ = fn()
            except Exception as err:  # noqa: BLE001 - recorded, and the check fails on it
                result["runs"][name] = {"error": "".join(traceback.format_exception(err)[-6:])}
                print(result["runs"][name]["error"], flush=True)
                return
            wall = time.perf_counter() - start
        keep = ("device", "gpu", "cuda", "cudnn", "best_epoch", "epochs_run")
        result["runs"][name] = {
            **{k: metrics.get(k) for k in keep},
            "dev_f1": round(metrics[key]["f1"], 2),
            "dev_key": key,
            "test_f1": round(metrics[key.replace("dev", "test")]["f1"], 2),
            "train_seconds": metrics["train_seconds"],
            "train_sentences_per_s": metrics["train_sentences_per_s"],
            "wall_seconds": round(wall, 1),
            "cudnn_warnings": sorted(
                {str(w.message)[:160] for w in caught if "contiguous" in str(w.message)}
            ),
        }
        print(json.dumps({name: result["runs"][name]}), flush=True)

    record(
        "baseline",
        lambda: run_baseline(
            base, data / "parsed", work / "baseline.pt", False, data / "embeddings"
        ),
    )
    teacher_r = dataclasses.replace(base, gamma="relation")
    record(
        "teacher_r",
        lambda: run_teacher(
            teacher_r,
            data / "types",
            data / "graph/graph.parquet",
            work / "baseline.pt",
            work / "teacher.pt",
            work / "soft.parquet",
            False,
            data / "embeddings",
        ),
        key="dev_leaky",
    )
    record(
        "student",
        lambda: run_student(
            base,
            data / "parsed",
            work / "soft.parquet",
            work / "student.pt",
            False,
            data / "embeddings",
        ),
    )
    if minilm_packed is not None:
        folder = upcast(minilm_packed, work / "minilm")
        transformer = dataclasses.replace(
            base.teacher.transformer, model=str(folder), epochs=transformer_epochs
        )
        # Teacher-V over the transformer (the #19 cell): γ_v, typed markers, TSD.
        cfg = dataclasses.replace(
            base,
            gamma="vector",
            teacher=dataclasses.replace(
                base.teacher, encoder="transformer", transformer=transformer
            ),
        )
        record(
            "transformer_teacher",
            lambda: run_teacher(
                cfg,
                data / "types",
                data / "graph/graph.parquet",
                work / "baseline.pt",
                work / "transformer.pt",
                work / "soft_tf.parquet",
                False,
                data / "embeddings",
            ),
        )
    return result


def failures(result: dict, floors: bool = True) -> list[str]:
    problems = []
    lstm = result.get("lstm_paths", {"warnings": []})
    for key, bound in (("max_abs_diff_tf32_off", 1e-5), ("max_abs_diff_tf32_on", 1e-3)):
        if key in lstm and not lstm[key] < bound:
            problems.append(f"BiLSTM CUDA path differs from the CPU path: {key} {lstm[key]}")
    if lstm["warnings"]:
        problems.append(f"BiLSTM CUDA path warned: {lstm['warnings']}")
    for name, run_ in result["runs"].items():
        if "error" in run_:
            problems.append(f"{name} failed: {run_['error'].strip().splitlines()[-1]}")
            continue
        if run_["device"] != result["device"]:
            problems.append(f"{name} ran on {run_['device']}")
        if floors and not run_["dev_f1"] >= FLOORS[name]:
            problems.append(f"{name}: dev F1 {run_['dev_f1']} below {FLOORS[name]}")
        if run_["cudnn_warnings"]:
            problems.append(f"{name}: {run_['cudnn_warnings']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="write MiniLM's first layers in fp16 (here)")
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--out", type=Path, default=ROOT / ".gpu/minilm")
    r = sub.add_parser("run", help="train every model kind on CUDA (on the GPU machine)")
    r.add_argument("--minilm", type=Path, default=ROOT / ".gpu/minilm")
    r.add_argument("--no-transformer", action="store_true")
    r.add_argument("--epochs", type=int, default=30, help="C-GCN epochs (default run: 50)")
    r.add_argument("--transformer-epochs", type=int, default=2)
    r.add_argument("--out", type=Path)
    r.add_argument("--device", default="cuda", help="cpu: a smoke run of this script itself")
    r.add_argument("--limit", type=int, default=0, help="first N rows of each split (smoke)")
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.layers, args.out)
        return 0
    minilm_packed = None if args.no_transformer else args.minilm
    result = run(minilm_packed, args.epochs, args.transformer_epochs, args.device, args.limit)
    result["device"] = args.device
    result["failures"] = failures(result, floors=not args.limit)  # no floors on a subset
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
