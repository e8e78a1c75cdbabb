"""Retrieval: jieba + BM25 (bm25s), dense (FAISS), reciprocal rank fusion, metadata filters.

Tokenizing, scoring and selection are kept apart: `tokenize` is the one function both the index
and the queries go through; each retriever returns (passage index, score) lists over the allowed
passages; `fuse` combines ranks.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import lexicon
from .query import dense_query, weighted_query
from .types import Hit, Passage

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent / "data"
PUNCT = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.load_userdict(str(DATA / "userdict.txt"))
    return jieba


@lru_cache(maxsize=1)
def _bm25_jieba():
    """BM25's own jieba: the shipped dictionaries plus the corpus terms mined at index time
    (lexicon.register_terms). Kept apart from `_jieba()`, which the answer side's precise-mode
    word lists use: a mined compound (专职调解员) must not hide its parts there (专职人民调解员)."""
    import jieba

    _jieba()  # log level set once
    tok = jieba.Tokenizer()
    tok.initialize()
    tok.load_userdict(str(DATA / "userdict.txt"))
    return tok


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w.strip() for w in (DATA / "stopwords.txt").read_text(encoding="utf-8").split() if w.strip())


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (compounds plus their parts), without stop words and punctuation."""
    stop = stopwords()
    return [t for t in _bm25_jieba().cut_for_search(text.lower()) if t.strip() and t not in stop and not PUNCT.match(t)]


class Bm25Index:
    """bm25s over jieba tokens. The corpus's own multi-word terms (lexicon.mine_terms) are mined when the
    index is built, made jieba words before tokenizing, and saved beside it (terms.tsv) so queries
    against a loaded index are cut the same way."""

    TERMS = "terms.tsv"

    def __init__(self, model, terms: list[tuple[str, int]] | None = None):
        self.model = model
        self.terms = terms or []
        self.vocab = set(model.vocab_dict) if getattr(model, "vocab_dict", None) else None

    @classmethod
    def build(cls, texts: list[str], mine: bool = True) -> "Bm25Index":
        import bm25s

        terms = lexicon.mine_terms(texts) if mine and lexicon.config()["mining"]["enabled"] else []
        lexicon.register_terms(t for t, _c in terms)
        model = bm25s.BM25()
        model.index([tokenize(t) or ["<empty>"] for t in texts], show_progress=False)
        return cls(model, terms)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder), show_progress=False)
        lexicon.save_terms(self.terms, Path(folder) / self.TERMS)

    @classmethod
    def load(cls, folder: Path) -> "Bm25Index":
        import bm25s

        terms = lexicon.read_terms(Path(folder) / cls.TERMS)
        lexicon.register_terms(t for t, _c in terms)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), terms)

    def df_share(self, token: str) -> float:
        """Share of passages a token occurs in (0 when it is not in the index)."""
        tid = self.model.vocab_dict.get(token) if getattr(self.model, "vocab_dict", None) else None
        if tid is None:
            return 0.0
        indptr = self.model.scores["indptr"]
        return float(indptr[tid + 1] - indptr[tid]) / max(1, self.model.scores["num_docs"])

    def scores(self, query: str) -> np.ndarray:
        return self.weighted_scores({t: float(c) for t, c in Counter(tokenize(query)).items()})

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """Sum over tokens of weight x BM25 score. bm25s has no query-term weights (its weight_mask
        weighs documents), so tokens of equal weight are scored together and the sums weighted."""
        n = self.model.scores["num_docs"]
        total = np.zeros(n, dtype=np.float32)
        groups: dict[float, list[str]] = {}
        for t, w in weights.items():
            if w > 0 and (self.vocab is None or t in self.vocab):
                groups.setdefault(w, []).append(t)
        for w, tokens in groups.items():
            total += w * np.asarray(self.model.get_scores(tokens), dtype=np.float32)
        return total


class DenseIndex:
    """Inner product on L2-normalised vectors = cosine. Exact (flat) by default; HNSW/IVF for large corpora."""

    def __init__(self, index):
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> "DenseIndex":
        import faiss

        dim = vectors.shape[1]
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        elif kind == "ivf":
            nlist = max(1, min(256, int(np.sqrt(len(vectors)))))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
            index.nprobe = max(1, nlist // 4)
        elif kind == "flat":
            index = faiss.IndexFlatIP(dim)
        else:
            raise ValueError(f"unknown faiss_index {kind!r}; choose flat, hnsw or ivf")
        index.add(vectors)
        return cls(index)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(path)))

    def search(self, qvec: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import faiss

        params = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
            ivf = faiss.try_extract_index_ivf(self.index)
            # each index family takes its own parameter type; IVF keeps its nprobe
            params = (faiss.SearchParametersIVF(sel=sel, nprobe=ivf.nprobe) if ivf is not None
                      else faiss.SearchParametersHNSW(sel=sel) if isinstance(self.index, faiss.IndexHNSW)
                      else faiss.SearchParameters(sel=sel))
        k = min(k, self.index.ntotal)
        scores, ids = self.index.search(qvec.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def top_from_scores(scores: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
    idx = allowed if allowed is not None else np.arange(len(scores))
    sub = scores[idx]
    order = np.argsort(-sub, kind="stable")[:k]
    return [(int(idx[i]), float(sub[i])) for i in order if sub[i] > 0]


def fuse(ranked: dict[str, list[tuple[int, float]]], weights: dict[str, float], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the retrievers that returned the item."""
    total: dict[int, float] = {}
    for name, items in ranked.items():
        w = weights.get(name, 1.0)
        for rank, (i, _s) in enumerate(items, 1):
            total[i] = total.get(i, 0.0) + w / (k + rank)
    return sorted(total.items(), key=lambda x: -x[1])


class Searcher:
    MODES = ("bm25", "dense", "hybrid")

    def __init__(self, passages: list[Passage], bm25: Bm25Index, dense: DenseIndex, embedder,
                 bm25_weight: float = 1.0, dense_weight: float = 1.0, rrf_k: int = 60):
        self.passages = passages
        self.bm25 = bm25
        self.dense = dense
        self.embedder = embedder
        self.weights = {"bm25": bm25_weight, "dense": dense_weight}
        self.rrf_k = rrf_k

    def allowed(self, doc=None, region=None, level=None) -> np.ndarray | None:
        if not (doc or region or level):
            return None
        docs = {doc} if isinstance(doc, str) else set(doc or [])
        keep = [
            i for i, p in enumerate(self.passages)
            if (not docs or p.doc_id in docs) and (not region or region in p.region) and (not level or p.level == level)
        ]
        return np.asarray(keep, dtype=np.int64)

    def search(self, query: str, top_k: int = 10, mode: str = "hybrid", doc=None, region=None, level=None) -> list[Hit]:
        if mode not in self.MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(self.MODES)}")
        allowed = self.allowed(doc, region, level)
        if allowed is not None and len(allowed) == 0:
            return []
        depth = max(50, top_k * 5)  # fusion looks deeper than what is shown
        ranked: dict[str, list[tuple[int, float]]] = {}
        if mode in ("bm25", "hybrid"):
            weights = weighted_query(query, self.bm25.df_share)
            ranked["bm25"] = top_from_scores(self.bm25.weighted_scores(weights), depth, allowed)
        if mode in ("dense", "hybrid"):
            qvec = self.embedder.encode_queries([dense_query(query, self.bm25.df_share)])[0]
            ranked["dense"] = self.dense.search(qvec, depth, allowed)
        fused = fuse(ranked, self.weights, self.rrf_k) if mode == "hybrid" else ranked[mode]
        info = {name: {i: (r, s) for r, (i, s) in enumerate(items, 1)} for name, items in ranked.items()}
        hits = []
        for rank, (i, score) in enumerate(fused[:top_k], 1):
            b = info.get("bm25", {}).get(i, (None, None))
            d = info.get("dense", {}).get(i, (None, None))
            hits.append(Hit(passage=self.passages[i], score=float(score), rank=rank,
                            bm25_rank=b[0], bm25_score=b[1], dense_rank=d[0], dense_score=d[1]))
        return hits
