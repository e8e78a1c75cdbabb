"""Parameter sweeps: retrieval metrics per chunk_size/overlap pair or per bm25/dense fusion weights.

Chunk sweeps build each index in its own temporary folder (the project's index/ is untouched). The
embedding cache of the project's index is copied in first: it is keyed by passage text, so passages
that come out the same under another chunk size are not embedded again.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from eval.report import table
from eval.run import evaluate_retrieval, golds_for

KS = (1, 5, 10)


def _row(label, mode, r, extra) -> list:
    o = r["overall"]
    return [label, mode] + [o[f"recall@{k}"] for k in KS] + [o["mrr"], o["ndcg@10"]] + extra


def sweep_chunk(settings, rows, grid, retrievers, quiet=False):
    from kb.engine import Engine

    header = ["chunk_size:overlap", "retriever"] + [f"R@{k}" for k in KS] + ["MRR", "nDCG@10", "passages",
                                                                               "mean chars", "build s"]
    out = []
    for size, overlap in grid:
        label = f"{size}:{overlap}" + (" (current)" if (size, overlap) == (settings.chunk_size, settings.chunk_overlap) else "")
        with tempfile.TemporaryDirectory(prefix="kb-sweep-") as tmp:
            index_dir = Path(tmp) / "index"
            cache = Path(settings.index_dir) / "embed_cache"
            if cache.is_dir():
                shutil.copytree(cache, index_dir / "embed_cache")
            t0 = time.perf_counter()
            eng = Engine.open(settings.replace(chunk_size=size, chunk_overlap=overlap, index_dir=index_dir))
            built = time.perf_counter() - t0
            res, _ = evaluate_retrieval(eng, rows, golds_for(eng, rows), retrievers, quiet)
            n = len(eng.passages)
            mean = sum(len(p.text) for p in eng.passages) / n if n else 0
            for mode in retrievers:
                out.append(_row(label, mode, res[mode], [n, f"{mean:.0f}", f"{built:.0f}"]))
            del eng
        print(f"chunk {size}:{overlap} done", file=sys.stderr)
    return header, out


def sweep_fusion(settings, rows, grid, quiet=False):
    """Hybrid only: the weights do not change bm25 or dense alone. Same index, so nothing is rebuilt."""
    from kb.engine import Engine

    header = ["bm25:dense weight", "retriever"] + [f"R@{k}" for k in KS] + ["MRR", "nDCG@10"]
    out = []
    for b, d in grid:
        eng = Engine.open(settings.replace(bm25_weight=b, dense_weight=d))
        res, _ = evaluate_retrieval(eng, rows, golds_for(eng, rows), ["hybrid"], quiet)
        current = (b, d) == (settings.bm25_weight, settings.dense_weight)
        out.append(_row(f"{b:g}:{d:g}" + (" (current)" if current else ""), "hybrid", res["hybrid"], []))
    return header, out


def run_sweep(kind, settings, rows, grid, retrievers, out_dir, quiet=False) -> int:
    if kind == "chunk":
        header, body = sweep_chunk(settings, rows, grid, retrievers, quiet)
        note = ("Larger passages find more evidence by being larger: read recall together with mean chars "
                "(what a user has to read, and what the answer module has to pick from).")
    else:
        header, body = sweep_fusion(settings, rows, grid, quiet)
        note = "Reciprocal rank fusion weights; 1:0 and 0:1 are bm25 and dense alone inside the fusion."
    n = sum(r.get("type") != "unanswerable" for r in rows)
    text = (f"# Sweep: {kind}\n\n{n} answerable questions, retrieval only (hit rule: eval/README.md). {note}\n\n"
            + table(header, body) + "\n")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"sweep_{kind}.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {path}")
    return 0
