"""Answer latency against hybrid search latency, measured in the same run on the same questions;
prints figures, asserts nothing.

    python bench/bench_answer.py [--questions eval/questions.jsonl eval/dev_v2.jsonl] [--repeat 2]

Each question is searched (hybrid, top-10, as the CLI does) and asked (Engine.ask: retrieval plan,
strategies, the gate) after one warm-up pass over all questions (the model, the vocabulary and the
sentence vectors are loaded then, as in a running app). The two are interleaved per question so that
load on the machine affects both alike. Issue 8 asks for answer p50 within 2x of search p50.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", nargs="+",
                    default=[str(ROOT / "eval" / "questions.jsonl"), str(ROOT / "eval" / "dev_v2.jsonl")])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from kb.engine import Engine

    eng = Engine.open()
    questions = [json.loads(line)["question"] for path in args.questions
                 for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    t0 = time.perf_counter()
    for q in questions:  # warm-up: model, vocabulary, sentence vectors, jieba
        eng.search(q, top_k=10)
        eng.ask(q)
    warm = time.perf_counter() - t0
    search, ask = [], []
    by_type = defaultdict(list)
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            eng.search(q, top_k=10)
            search.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            a = eng.ask(q)
            ms = (time.perf_counter() - t0) * 1000
            ask.append(ms)
            by_type[a.qtype].append(ms)
    s50, a50 = statistics.median(search), statistics.median(ask)
    print(f"{len(questions)} questions x {args.repeat}, warm-up pass {warm:.1f} s")
    print(f"  {'':<16} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    print(f"  {'hybrid search':<16} {s50:8.1f} {pct(search, 95):8.1f} {statistics.mean(search):8.1f}")
    print(f"  {'ask (answer)':<16} {a50:8.1f} {pct(ask, 95):8.1f} {statistics.mean(ask):8.1f}")
    print(f"  answer / search p50: {a50 / s50:.2f}x   (mean: {statistics.mean(ask) / statistics.mean(search):.2f}x)")
    print("  ask p50 by answer type:")
    for t, xs in sorted(by_type.items(), key=lambda x: -len(x[1])):
        print(f"    {t:<15} n={len(xs):4d}  p50 {statistics.median(xs):7.1f} ms  ({statistics.median(xs) / s50:.2f}x search)")


if __name__ == "__main__":
    main()
