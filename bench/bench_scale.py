"""How far the embedded store goes: a synthetic corpus of N passages made from the real one.

    python bench/bench_scale.py --passages 100000 [--json] [--milvus] [--queries 100] [--out bench/results]
    nice -n 19 python bench/bench_scale.py --passages 1000000 --repeat 1 [--parts flat,ivf,hnsw]
    python bench/bench_scale.py --plot            # bench/scale_latency.png, bench/scale_memory.png from bench/results/

Embedding a million passages on two cores takes days (~25 passages/s), so the corpus is synthetic but
built from real material:
- text: each synthetic passage takes the title and section of a random real passage and 2-6 sentences
  drawn from real passages (half from the same document). Sentences are tokenized once with the
  product's tokenizer (kb.search.tokenize) and passages get the concatenation, which is what tokenizing
  the joined text gives except at sentence joins; the cost of tokenizing N passages for real is
  measured on a sample and reported as `tokenize_s_estimated`.
- vectors: a random convex mix (Dirichlet weights) of 3 real passage vectors plus Gaussian noise,
  renormalised. The noise keeps synthetic neighbours from being exact duplicates; `vectors` in the
  output reports the nearest-neighbour cosines that result, next to the real corpus's.
Queries are the gold questions (eval/questions.jsonl) as the product runs them: expanded, embedded
once with the real model, BM25 on their tokens.

Measured per N: build time and resident memory of BM25 (bm25s), exact dense search (FAISS flat),
HNSW and IVF; query p50/p95 on one thread; recall@10 of the approximate indexes against exact search
(HNSW at several efSearch values); with --milvus, the Milvus store through Milvus Lite (insert, BM25 +
dense + hybrid latency). Asserts nothing; prints figures and writes bench/results/scale_<N>.json, after each
stage too ("partial": true until the run ends). --parts leaves out stages: without bm25 the per-passage
token lists (a Python loop, minutes at 1M) are not built at all.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
SENT_END = re.compile(r"(?<=[。；！？;!?\n])")
HNSW_EF = (16, 32, 64, 128, 256, 512)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def index_mb(dense) -> float:
    """Size of a FAISS index as serialized (= its memory, give or take): RSS deltas are blurred by the
    allocator reusing memory freed earlier in the run."""
    import faiss

    return round(faiss.serialize_index(dense.index).nbytes / 1e6, 1)


def bm25_mb(bm25) -> float:
    return round(sum(getattr(a, "nbytes", 0) for a in bm25.model.scores.values()) / 1e6, 1)


def pct(times: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(times), q)), 3)


CPU_MS: dict[int, list[float]] = {}  # id(times list) -> the same queries' CPU time (see timed)


def timed(fn, queries, repeat: int = 1) -> tuple[list[float], list]:
    """Wall-clock ms per query; the calling thread's CPU ms are kept too (cpu_p50 in the output), because on a
    machine shared with other jobs the wall clock includes waiting for a core."""
    out, times, cpu = [], [], []
    fn(queries[0])  # warm-up
    for _ in range(repeat):
        for q in queries:
            t, c = time.perf_counter(), time.thread_time()
            r = fn(q)
            cpu.append((time.thread_time() - c) * 1000)
            times.append((time.perf_counter() - t) * 1000)
            if len(out) < len(queries):
                out.append(r)
    CPU_MS[id(times)] = cpu
    return times, out


def lat(times: list[float]) -> dict:
    cpu = CPU_MS.get(id(times), [])
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
            **({"cpu_p50_ms": pct(cpu, 50), "cpu_p95_ms": pct(cpu, 95)} if cpu else {})}


# ---------------------------------------------------------------- the synthetic corpus

def real_material():
    """The project's index: passages, their vectors (exact flat index), per-passage sentences and tokens."""
    from kb.engine import Engine
    from kb.search import tokenize
    from kb.settings import Settings

    eng = Engine.open(Settings.load(store="embedded", faiss_index="flat"))
    passages = eng.passages
    vecs = eng.data.dense.index.reconstruct_n(0, eng.data.dense.index.ntotal).astype(np.float32)
    sents, sent_tokens, head_tokens = [], [], []
    for p in passages:
        ss = [s for s in SENT_END.split(p.text) if s.strip()]
        sents.append(ss)
        sent_tokens.append([tokenize(s) for s in ss])
        head_tokens.append(tokenize(f"{p.title} {p.section}"))
    return eng, passages, vecs, sents, sent_tokens, head_tokens


def synthesize(n: int, passages, vecs, sents, sent_tokens, head_tokens, seed: int = 0, keep_text: bool = False,
               tokens: bool = True):
    """Token-id lists, vocabulary, vectors (and texts when asked) of n synthetic passages."""
    rng = np.random.default_rng(seed)
    m, dim = vecs.shape
    by_doc: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        by_doc.setdefault(p.doc_id, []).append(i)
    vocab: dict[str, int] = {}

    def ids(tokens):
        return [vocab.setdefault(t, len(vocab)) for t in tokens]

    sent_ids = [[ids(t) for t in st] for st in sent_tokens]
    head_ids = [ids(t) for t in head_tokens]
    base = rng.integers(0, m, n)
    k = rng.integers(2, 7, n)
    corpus_ids, texts, meta = [], [], []
    for j in range(n if tokens or keep_text else 0):
        b = int(base[j])
        same = by_doc[passages[b].doc_id]
        toks = list(head_ids[b])
        parts = [f"{passages[b].title} {passages[b].section}\n"] if keep_text else None
        for s in range(int(k[j])):
            src = same[rng.integers(len(same))] if s % 2 == 0 else int(rng.integers(m))
            if not sent_ids[src]:
                continue
            t = int(rng.integers(len(sent_ids[src])))
            toks += sent_ids[src][t]
            if keep_text:
                parts.append(sents[src][t])
        corpus_ids.append(toks or [vocab.setdefault("<empty>", len(vocab))])
        if keep_text:
            texts.append("".join(parts))
            meta.append((passages[b].doc_id, passages[b].region, passages[b].level))
    # vectors: convex mix of the base passage and two random ones, plus noise, renormalised
    out = np.empty((n, dim), np.float32)
    # per-coordinate sd 0.008 (noise norm ~0.16): synthetic nearest-neighbour cosines then sit near the real
    # corpus's (median ~0.97; see "vectors" in the output). 0.04 made every neighbour a stranger (median 0.67).
    noise_scale = 0.008
    for s in range(0, n, 50_000):
        e = min(n, s + 50_000)
        w = rng.dirichlet([3.0, 1.0, 1.0], e - s).astype(np.float32)
        idx = np.stack([base[s:e], rng.integers(0, m, e - s), rng.integers(0, m, e - s)], axis=1)
        v = np.einsum("nk,nkd->nd", w, vecs[idx]) + rng.normal(0, noise_scale, (e - s, dim)).astype(np.float32)
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return corpus_ids, vocab, out, texts, meta


def nn_cosines(vecs: np.ndarray, sample: int = 200, seed: int = 1) -> dict:
    import faiss

    rng = np.random.default_rng(seed)
    q = vecs[rng.choice(len(vecs), min(sample, len(vecs)), replace=False)]
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(vecs)
    d, _ = index.search(q, 2)
    return {"nn_cosine_p10": round(float(np.percentile(d[:, 1], 10)), 4),
            "nn_cosine_median": round(float(np.median(d[:, 1])), 4),
            "nn_cosine_p90": round(float(np.percentile(d[:, 1], 90)), 4)}


# ---------------------------------------------------------------- the measurement

def passage_metadata_cost(passages, n: int = 20_000) -> dict:
    """What every process holds besides the indexes, whichever store: passages.json parsed into Passage
    objects (text shown to users, offsets, units). Measured on n copies of the real passages."""
    import gc as _gc

    from kb.types import Passage

    rows = [p.to_dict() for p in passages]
    data = json.dumps([rows[i % len(rows)] | {"pid": f"x{i}"} for i in range(n)], ensure_ascii=False)
    _gc.collect()
    r = rss_mb()
    t = time.perf_counter()
    objs = [Passage.from_dict(d) for d in json.loads(data)]
    load_s = time.perf_counter() - t
    mb = rss_mb() - r
    out = {"json_bytes_per_passage": round(len(data.encode("utf-8")) / n), "rss_mb_per_100k": round(mb * 100_000 / n, 1),
           "load_s_per_100k": round(load_s * 100_000 / n, 2)}
    del objs, data
    return out


def gold_queries(eng, limit: int):
    from kb.query import expand

    rows = [json.loads(l) for l in (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    texts = [expand(r["question"]) for r in rows][:limit]
    qvecs = eng.embedder.encode_queries(texts)
    return texts, qvecs


PARTS = ("bm25", "flat", "ivf", "hnsw")


def run(n: int, n_queries: int, repeat: int, milvus: bool, milvus_max: int, seed: int, save=lambda out: None,
        parts=PARTS) -> dict:
    t0 = time.perf_counter()
    eng, passages, vecs, sents, sent_tokens, head_tokens = real_material()
    qtexts, qvecs = gold_queries(eng, n_queries)
    qvecs = np.ascontiguousarray(qvecs, dtype=np.float32)
    real_nn = nn_cosines(vecs)
    gc.collect()
    keep_text = milvus and n <= milvus_max
    t = time.perf_counter()
    corpus_ids, vocab, X, texts, meta = synthesize(n, passages, vecs, sents, sent_tokens, head_tokens, seed, keep_text,
                                                   tokens="bm25" in parts)
    t_synth = time.perf_counter() - t
    out: dict = {"passages": n, "dim": int(X.shape[1]), "queries": len(qtexts), "repeat": repeat,
                 "cores": os.cpu_count(), "load_average_start": round(os.getloadavg()[0], 2),
                 "real_passages": len(passages),
                 "vectors": {"synthetic": nn_cosines(X, sample=200 if n <= 200_000 else 50), "real": real_nn},
                 "synthesis_s": round(t_synth, 1), "passage_metadata": passage_metadata_cost(passages),
                 "parts": list(parts)}
    if "bm25" in parts:
        bm25_part(out, n, passages, corpus_ids, vocab, qtexts, repeat)
        del corpus_ids
        gc.collect()
        save(out)
    dense_parts(out, n, X, qvecs, repeat, parts, save)
    out["rss_mb_process"] = round(rss_mb(), 1)
    if keep_text:
        out["milvus"] = run_milvus(texts, meta, X, qtexts, qvecs, out.pop("_exact_ids"), repeat)
    elif milvus:
        out["milvus"] = {"skipped": f"Milvus Lite is run up to --milvus-max {milvus_max} passages"}
    out.pop("_exact_ids", None)
    out["total_s"] = round(time.perf_counter() - t0, 1)
    return out


def bm25_part(out, n, passages, corpus_ids, vocab, qtexts, repeat) -> None:
    from kb.search import tokenize
    from kb.store.embedded import Bm25Index, top_from_scores

    tokens_per_passage = float(np.mean([len(c) for c in corpus_ids[:10000]]))

    # tokenizing for real, measured on a sample of joined synthetic texts
    sample = [p.index_text() for p in passages] * 3
    t = time.perf_counter()
    for s in sample:
        tokenize(s)
    per = (time.perf_counter() - t) / len(sample)
    out["tokenize_s_estimated"] = round(per * n, 1)
    out["tokens_per_passage"] = round(tokens_per_passage, 1)

    # BM25
    import bm25s
    from bm25s.tokenization import Tokenized

    gc.collect()
    r = rss_mb()
    t = time.perf_counter()
    model = bm25s.BM25()
    model.index(Tokenized(ids=corpus_ids, vocab=vocab), show_progress=False)
    bm25 = Bm25Index(model)
    t_bm25 = time.perf_counter() - t
    gc.collect()
    bm25_rss = rss_mb() - r
    qtok = [[t for t in tokenize(q) if t in bm25.vocab] for q in qtexts]
    times, _ = timed(lambda toks: top_from_scores(bm25.scores_for_tokens(toks), 50, None), qtok, repeat)
    out["bm25"] = {"build_s": round(t_bm25, 2), "rss_mb": round(bm25_rss, 1), "index_mb": bm25_mb(bm25), **lat(times),
                   "vocab": len(vocab)}
    print(f"[{n}] bm25 built in {t_bm25:.1f}s, +{bm25_rss:.0f} MB, p50 {out['bm25']['p50_ms']} ms", file=sys.stderr)
    del bm25, model


def dense_parts(out, n, X, qvecs, repeat, parts, save) -> None:
    import faiss

    from kb.store.embedded import DenseIndex

    # exact dense (FAISS flat): always, it is what the approximate indexes are measured against
    faiss.omp_set_num_threads(2)  # building uses both cores; queries run on one (a server's request)
    r = rss_mb()
    t = time.perf_counter()
    flat = DenseIndex.build(X, "flat")
    t_flat = time.perf_counter() - t
    flat_mb = rss_mb() - r
    faiss.omp_set_num_threads(1)
    times_exact, res_exact = timed(lambda q: flat.search(q, 10, None), list(qvecs), repeat)
    exact_ids = [[i for i, _ in r] for r in res_exact]
    exact_p50 = pct(times_exact, 50)
    out["_exact_ids"] = exact_ids
    out["dense_exact"] = {"index": "flat", "build_s": round(t_flat, 2), "rss_mb": round(flat_mb, 1),
                          "index_mb": index_mb(flat), **lat(times_exact)}
    print(f"[{n}] flat p50 {exact_p50} ms", file=sys.stderr)

    def cpu_speedup(times) -> float | None:
        a, b = CPU_MS.get(id(times_exact)), CPU_MS.get(id(times))
        return round(pct(a, 50) / max(pct(b, 50), 1e-6), 1) if a and b else None

    def recall(results) -> float:
        return round(float(np.mean([len(set(i for i, _ in r) & set(e)) / max(1, len(e))
                                    for r, e in zip(results, exact_ids)])), 4)

    save({k: v for k, v in out.items() if k != "_exact_ids"})
    if "ivf" in parts:
        ivf_part(out, X, qvecs, repeat, exact_p50, cpu_speedup, recall)
        save({k: v for k, v in out.items() if k != "_exact_ids"})
    if "hnsw" in parts:
        hnsw_part(out, n, X, qvecs, repeat, exact_p50, cpu_speedup, recall)
    out["rss_mb_embedded_store"] = round(out.get("bm25", {}).get("rss_mb", 0) + flat_mb, 1)


def ivf_part(out, X, qvecs, repeat, exact_p50, cpu_speedup, recall) -> None:
    """IVF, with the product's parameters (kb/store/embedded.py)."""
    import faiss

    from kb.store.embedded import DenseIndex

    faiss.omp_set_num_threads(2)
    r = rss_mb()
    t = time.perf_counter()
    ivf = DenseIndex.build(X, "ivf")
    t_ivf = time.perf_counter() - t
    ivf_mb = rss_mb() - r
    faiss.omp_set_num_threads(1)
    tt, rr = timed(lambda q: ivf.search(q, 10, None), list(qvecs), repeat)
    out["dense_ivf"] = {"nlist": int(ivf.index.nlist), "nprobe": int(ivf.index.nprobe), "build_s": round(t_ivf, 1),
                        "rss_mb": round(ivf_mb, 1), "index_mb": index_mb(ivf), "recall@10_vs_exact": recall(rr), **lat(tt),
                        "speedup_vs_exact": round(exact_p50 / max(pct(tt, 50), 1e-6), 1),
                        "cpu_speedup_vs_exact": cpu_speedup(tt)}
    del ivf
    gc.collect()


def hnsw_part(out, n, X, qvecs, repeat, exact_p50, cpu_speedup, recall) -> None:
    import faiss

    from kb.store.embedded import DenseIndex

    faiss.omp_set_num_threads(2)
    gc.collect()
    r = rss_mb()
    t = time.perf_counter()
    hnsw = DenseIndex.build(X, "hnsw")
    t_hnsw = time.perf_counter() - t
    hnsw_mb = rss_mb() - r
    faiss.omp_set_num_threads(1)
    sweep = {}
    for ef in HNSW_EF:
        hnsw.index.hnsw.efSearch = ef
        tt, rr = timed(lambda q: hnsw.search(q, 10, None), list(qvecs), repeat)
        sweep[str(ef)] = {"recall@10_vs_exact": recall(rr), **lat(tt),
                          "speedup_vs_exact": round(exact_p50 / max(pct(tt, 50), 1e-6), 1),
                          "cpu_speedup_vs_exact": cpu_speedup(tt)}
    ef = DenseIndex.HNSW_EF_SEARCH
    hnsw.index.hnsw.efSearch = ef
    out["dense_hnsw"] = {"M": DenseIndex.HNSW_M, "efConstruction": DenseIndex.HNSW_EF_CONSTRUCTION, "efSearch": ef,
                         "build_s": round(t_hnsw, 1), "rss_mb": round(hnsw_mb, 1), "index_mb": index_mb(hnsw),
                         **sweep[str(ef)], "ef_sweep": sweep}
    print(f"[{n}] hnsw built in {t_hnsw:.1f}s: {sweep}", file=sys.stderr)
    del hnsw
    gc.collect()

    # the required summary: the approximate index the product offers for large corpora (HNSW)
    h = out["dense_hnsw"]
    out["dense"] = {"index": f"hnsw M={h['M']} efConstruction={h['efConstruction']} efSearch={h['efSearch']}",
                    "recall@10_vs_exact": h["recall@10_vs_exact"], "speedup_vs_exact": h["speedup_vs_exact"],
                    "cpu_speedup_vs_exact": h.get("cpu_speedup_vs_exact"),
                    "p50_ms": h["p50_ms"], "p95_ms": h["p95_ms"], "cpu_p50_ms": h.get("cpu_p50_ms"),
                    "rss_mb": h["rss_mb"], "exact_p50_ms": exact_p50, "exact_cpu_p50_ms": out["dense_exact"].get("cpu_p50_ms"),
                    "exact_rss_mb": out["dense_exact"]["rss_mb"]}


def run_milvus(texts, meta, X, qtexts, qvecs, exact_ids, repeat) -> dict:
    """The Milvus store's own code (kb/store/milvus.py) on the synthetic corpus, through Milvus Lite."""
    from kb.settings import Settings
    from kb.store.base import Filters
    from kb.store.milvus import MilvusStore
    from kb.types import Passage

    tmp = Path(tempfile.mkdtemp(prefix="kb-scale-milvus-"))
    s = Settings.load(index_dir=tmp, store="milvus", milvus_uri=str(tmp / "scale.db"), milvus_collection="scale")
    store = MilvusStore(s)
    ps = [Passage(pid=f"s{j}", doc_id=d, title="", section_path=[], text=t, start=0, end=len(t), region=rg, level=lv)
          for j, (t, (d, rg, lv)) in enumerate(zip(texts, meta))]
    r = rss_mb()
    t = time.perf_counter()
    store.build(tmp, ps, texts, X)
    t_build = time.perf_counter() - t
    out = {"uri": "Milvus Lite (file)", "build_s": round(t_build, 1), "rss_mb": round(rss_mb() - r, 1)}
    none = Filters()
    qtexts, qvecs, exact_ids = qtexts[:50], qvecs[:50], exact_ids[:50]  # Lite's hybrid_search is slow (pure Python)
    repeat = 1
    for mode, modes in (("bm25", ("bm25",)), ("dense", ("dense",)), ("hybrid", ("bm25", "dense"))):
        pairs = list(zip(qtexts, qvecs))
        tt, rr = timed(lambda qv: store.retrieve(qv[0], qv[1], modes, 50, none), pairs, repeat)
        out[mode] = lat(tt)  # CPU time here is the client's only; Lite's server runs in other threads
        if mode == "dense":
            out[mode]["recall@10_vs_exact"] = round(float(np.mean(
                [len({i for i, _ in g.ranked["dense"][:10]} & set(e)) / max(1, len(e)) for g, e in zip(rr, exact_ids)])), 4)
    print(f"[{len(texts)}] milvus: {out}", file=sys.stderr)
    return out


# ---------------------------------------------------------------- plots

def plot() -> list[Path]:
    """Latency (CPU per query: the machine was shared, see the module doc) and memory against N; a partial
    run (e.g. a 1M run stopped before HNSW) contributes the series it has."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted((json.loads(p.read_text()) for p in RESULTS.glob("scale_*.json")), key=lambda r: r["passages"])
    if not runs:
        raise SystemExit(f"no results in {RESULTS}; run with --passages N first")

    def series(key, field):
        pts = [(r["passages"], r[key][field]) for r in runs if field in r.get(key, {}) and r[key][field] is not None]
        return [a for a, _ in pts], [max(b, 1e-3) for _, b in pts]

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, field, title in ((axes[0], "cpu_p50_ms", "CPU per query, p50"), (axes[1], "p50_ms", "wall clock per query, p50 (busy machine)")):
        for label, key in (("BM25 (bm25s)", "bm25"), ("dense exact (flat)", "dense_exact"),
                           ("dense HNSW efSearch 512", "dense"), ("dense IVF", "dense_ivf")):
            x, y = series(key, field)
            if x:
                ax.plot(x, y, marker="o", label=label)
        mil = [(r["passages"], r["milvus"]["hybrid"][field]) for r in runs if field in r.get("milvus", {}).get("hybrid", {})]
        if mil and field == "p50_ms":
            ax.plot([a for a, _ in mil], [b for _, b in mil], marker="s", linestyle="--", label="Milvus Lite hybrid")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages")
        ax.set_ylabel("ms")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Query latency against corpus size (one thread, 2 shared cores)")
    fig.tight_layout()
    lat = ROOT / "bench" / "scale_latency.png"
    fig.savefig(lat, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (label, key, field), style in zip(
            (("BM25 index", "bm25", "index_mb"), ("dense flat", "dense_exact", "index_mb"),
             ("dense HNSW", "dense_hnsw", "index_mb"), ("dense IVF (same size as flat)", "dense_ivf", "index_mb")),
            ({"marker": "o"}, {"marker": "s", "markersize": 9}, {"marker": "o"}, {"marker": "x", "linestyle": "--"})):
        x, y = series(key, field)
        if x:
            ax.plot(x, y, label=label, **style)
    pm = [(r["passages"], r["passage_metadata"]["rss_mb_per_100k"] * r["passages"] / 100_000) for r in runs if "passage_metadata" in r]
    if pm:
        ax.plot([a for a, _ in pm], [b for _, b in pm], marker="^", linestyle=":", label="passage list in memory (any store)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages")
    ax.set_ylabel("MB")
    ax.set_title("Memory against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    mem = ROOT / "bench" / "scale_memory.png"
    fig.savefig(mem, dpi=110)
    plt.close(fig)
    return [lat, mem]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=100, help="gold questions used as queries")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--milvus", action="store_true", help="also the Milvus store through Milvus Lite")
    ap.add_argument("--milvus-max", type=int, default=20_000, help="largest N for Milvus Lite (pure Python)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset of bm25,flat,ivf,hnsw (flat always runs)")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON object")
    ap.add_argument("--out", default=str(RESULTS), help="folder for scale_<N>.json ('' = do not write)")
    ap.add_argument("--plot", action="store_true", help="only draw the PNGs from the results folder")
    args = ap.parse_args()
    if args.plot:
        print("wrote " + ", ".join(map(str, plot())))
        return
    def save(out: dict, final: bool = False) -> None:
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / f"scale_{args.passages}.json").write_text(
                json.dumps(out | ({} if final else {"partial": True}), indent=1, ensure_ascii=False) + "\n")

    parts = tuple(p for p in args.parts.split(",") if p in PARTS)
    res = run(args.passages, args.queries, args.repeat, args.milvus, args.milvus_max, args.seed, save, parts)
    save(res, final=True)
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        print(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
