"""`kdre extract` throughput: spaCy's own `nlp.pipe`, the local engine, Ray with 1 and 2
workers, on the same real text, in one run (timings on a shared machine are only comparable
as ratios measured side by side).

Usage: python benchmarks/extract_speed.py MODEL [--repeat 2] [--copies 2] [--kbp37 DIR]
Corpus: the SemEval sentences (train + test, 10,717) with markers stripped, --copies times
(2: 21,434 sentences), plus KBP37's sentences when --kbp37 names its folder; JSONL shards of
2,000. Each configuration runs --repeat times in turn (spaCy, local, ray-1, ray-2, spaCy, ...)
and the medians are reported; peak memory is the largest summed RSS of this process and its
descendants (Ray's workers included), sampled every 0.2 s. Then one pass of the local engine's
workers over --step-shards shards spread over the corpus, timed by step, gives the share of
parsing, candidates and scoring. Prints a JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import make_corpus  # noqa: E402
import psutil  # noqa: E402  (installed with the ray extra)


class PeakMemory:
    """Largest summed RSS of this process and all its descendants while the block runs."""

    def __enter__(self) -> PeakMemory:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--kbp37", type=Path, default=None)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--limit", type=int, default=0, help="first N sentences only (a smoke run)")
    ap.add_argument(
        "--step-shards", type=int, default=3, help="shards timed by step, spread over the corpus"
    )
    args = ap.parse_args()

    import torch

    from kdre.data.parsing import load_pipeline
    from kdre.serving.extract import extract
    from kdre.serving.extract.documents import find_shards
    from kdre.serving.extract.engines import Settings
    from kdre.serving.extract.workers import ParseWorker, ScoreWorker, document_chunks
    from kdre.serving.extractor import RelationExtractor

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="kdre-extract-bench-"))
    corpus = work / "corpus"
    argv = [str(corpus), "--shard-size", "2000", "--repeat", str(args.copies)]
    if args.kbp37:
        argv += ["--kbp37", str(args.kbp37)]
    if args.limit:
        argv += ["--limit", str(args.limit)]
    make_corpus.main(argv)
    texts = [
        json.loads(line)["text"]
        for path in sorted(corpus.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    spacy_model = RelationExtractor(args.model).spacy_model

    def spacy_alone() -> dict:
        nlp = load_pipeline(spacy_model)
        start = time.perf_counter()
        sentences = sum(len(list(doc.sents)) for doc in nlp.pipe(texts, batch_size=args.batch_size))
        return {"seconds": time.perf_counter() - start, "sentences": sentences}

    def run(engine: str, workers: int = 1) -> dict:
        out = work / f"out-{engine}-{workers}"
        shutil.rmtree(out, ignore_errors=True)
        s = extract(
            corpus, out, args.model, engine=engine, workers=workers, chunk_size=args.batch_size
        )
        return {
            "seconds": s.seconds,
            "sentences": s.this_run.sentences,
            "relations": s.total.relations,
            "pairs": s.total.pairs,
            "errors": s.total.errors,
        }

    configs = {
        "spacy": spacy_alone,
        "local": lambda: run("local"),
        "ray-1": lambda: run("ray", 1),
        "ray-2": lambda: run("ray", 2),
    }
    results: dict[str, list[dict]] = {name: [] for name in configs}
    for _ in range(args.repeat):
        for name, fn in configs.items():
            with PeakMemory() as mem:
                result = fn()
            result["peak_rss_mb"] = round(mem.peak / 2**20)
            results[name].append(result)
            print(name, result, file=sys.stderr, flush=True)

    def rate(name: str) -> float:
        return statistics.median(r["sentences"] / r["seconds"] for r in results[name])

    # One pass of the local engine's steps, each timed: where the time goes.
    settings = Settings(
        model=args.model, model_sha256="-", spacy_model=spacy_model, chunk_size=args.batch_size
    )
    parse = ParseWorker(**settings.parse_kwargs())
    score = ScoreWorker(**settings.score_kwargs())
    steps = {"spacy": 0.0, "candidates": 0.0, "scoring": 0.0}
    # Shards spread evenly over the corpus (SemEval's sentences come first, KBP37's after,
    # and they differ: KBP37's news sentences hold many more entities, so many more pairs).
    shards = find_shards(corpus)
    stride = max(1, len(shards) // max(1, args.step_shards))
    picked = list(enumerate(shards))[::stride][: args.step_shards]
    for sid, shard in picked:
        for chunk in document_chunks(sid, shard, args.batch_size):
            docs_texts = [t for t in chunk["text"].to_pylist() if t]
            t0 = time.perf_counter()
            parse._parse(docs_texts)
            t1 = time.perf_counter()
            parsed = parse(chunk)  # spaCy again, then the candidates and examples
            t2 = time.perf_counter()
            score(parsed)
            t3 = time.perf_counter()
            steps["spacy"] += t1 - t0
            steps["candidates"] += max((t2 - t1) - (t1 - t0), 0.0)
            steps["scoring"] += t3 - t2
    total = sum(steps.values())
    first = results["local"][0]
    summary = {
        "sentences": first["sentences"],
        "documents": len(texts),
        "sentences_per_s": {name: round(rate(name), 1) for name in configs},
        "ratio_local_to_spacy": round(rate("local") / rate("spacy"), 3),
        "ratio_ray1_to_local": round(rate("ray-1") / rate("local"), 3),
        "ratio_ray2_to_local": round(rate("ray-2") / rate("local"), 3),
        "peak_rss_mb": {n: max(r["peak_rss_mb"] for r in rs) for n, rs in results.items()},
        "time_share": {k: round(v / total, 3) for k, v in steps.items()},
        "time_share_shards": [shard.name for _, shard in picked],
        "pairs_per_sentence": round(first["pairs"] / max(1, first["sentences"]), 2),
        "runs": results,
        "cpus": psutil.cpu_count(),
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
