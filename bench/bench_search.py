"""Build time from scratch and warm query latency per retriever; prints figures, asserts nothing.

    python -m bench.bench_search [--questions eval/questions.jsonl] [--repeat 3]

Build phases are timed in a temporary folder (model conversion into an empty model cache,
embedding with an empty embedding cache, FAISS + BM25). Query latency is measured on the
gold questions after one warm-up pass; ratios are against BM25 measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from kb.settings import Settings


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-build", action="store_true", help="only measure query latency on the project index")
    args = ap.parse_args()

    base = Settings.load()
    if not args.skip_build:
        from kb import embedding, index as index_mod
        from kb.engine import _LazyEmbedder

        tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
        try:
            s = base.replace(index_dir=tmp / "index", model_cache_dir=tmp / "models")
            t0 = time.perf_counter()
            embedding.ensure_default_model(s.model_cache_dir, show_progress=False)
            t_convert = time.perf_counter() - t0
            lazy = _LazyEmbedder(s)
            t0 = time.perf_counter()
            lazy.get()
            t_load = time.perf_counter() - t0
            t0 = time.perf_counter()
            data = index_mod.build(s, lazy)
            t_build = time.perf_counter() - t0
            t0 = time.perf_counter()
            index_mod.build(s, lazy)  # everything cached: what a rebuild after a small change costs
            t_rebuild = time.perf_counter() - t0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        n = len(data.passages)
        print(f"build from scratch ({n} passages, {len(data.docs)} documents):")
        print(f"  model conversion + verification  {t_convert:7.1f} s")
        print(f"  model load                       {t_load:7.1f} s")
        print(f"  parse + embed + index            {t_build:7.1f} s  ({n / t_build:.1f} passages/s)")
        print(f"  rebuild, embeddings cached       {t_rebuild:7.1f} s  ({t_build / t_rebuild:.1f}x faster than from scratch)")
        print(f"  total                            {t_convert + t_load + t_build:7.1f} s")

    from kb.engine import Engine

    eng = Engine.open(base)
    questions = [json.loads(l)["question"] for l in Path(args.questions).read_text(encoding="utf-8").splitlines() if l.strip()]
    eng.search(questions[0], mode="dense")  # load the model outside the timings
    lat = {}
    for mode in ("bm25", "dense", "hybrid"):
        for q in questions:  # warm-up
            eng.search(q, top_k=10, mode=mode)
        times = []
        for _ in range(args.repeat):
            for q in questions:
                t0 = time.perf_counter()
                eng.search(q, top_k=10, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
        lat[mode] = times
    base_p50 = statistics.median(lat["bm25"])
    print(f"\nwarm query latency, top-10, {len(questions)} questions x {args.repeat}:")
    print(f"  {'retriever':<8} {'p50 ms':>8} {'p95 ms':>8} {'p50 / bm25':>11}")
    for mode, times in lat.items():
        print(f"  {mode:<8} {statistics.median(times):8.1f} {pct(times, 95):8.1f} {statistics.median(times) / base_p50:10.1f}x")
    t0 = time.perf_counter()
    for q in questions[:30]:
        eng.ask(q)
    print(f"  ask (hybrid + answer), mean of 30: {(time.perf_counter() - t0) / 30 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
