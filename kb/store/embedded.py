"""The default store, inside the process: FAISS for dense vectors and bm25s over jieba tokens.

Files of a build: `dense.faiss` and the bm25s folder `bm25/` (with the mined corpus terms, `terms.tsv`)
next to passages.json.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import IndexCorrupt
from ..types import Passage
from .base import Filters, Retrieved, Store


def _bm25s():
    """bm25s, with its logger kept at WARNING: it sets itself to DEBUG, and once a caller configures logging
    its 「Building index from tokens」 reaches the console (the console stays quiet otherwise)."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


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
    def build(cls, texts: list[str], tokenized: list[list[str]] | None = None, mine: bool = True) -> "Bm25Index":
        """tokenized: already tokenized texts (the scale benchmark tokenizes sentences once and recombines;
        no terms are mined then, as the tokens are already cut)."""
        bm25s = _bm25s()

        from .. import lexicon
        from ..search import tokenize

        terms = []
        if tokenized is None:
            terms = lexicon.mine_terms(texts) if mine and lexicon.config()["mining"]["enabled"] else []
            lexicon.register_terms(t for t, _c in terms)
        model = bm25s.BM25()
        tokens = tokenized if tokenized is not None else [tokenize(t) for t in texts]
        model.index([t or ["<empty>"] for t in tokens], show_progress=False)
        return cls(model, terms)

    def save(self, folder: Path) -> None:
        from .. import lexicon

        self.model.save(str(folder), show_progress=False)
        lexicon.save_terms(self.terms, Path(folder) / self.TERMS)

    @classmethod
    def load(cls, folder: Path) -> "Bm25Index":
        bm25s = _bm25s()

        from .. import lexicon

        terms = lexicon.read_terms(Path(folder) / cls.TERMS)
        lexicon.register_terms(t for t, _c in terms)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), terms)

    @property
    def size(self) -> int:
        return int(self.model.scores["num_docs"])

    def df_share(self, token: str) -> float:
        """Share of passages a token occurs in (0 when it is not in the index)."""
        tid = self.model.vocab_dict.get(token) if getattr(self.model, "vocab_dict", None) else None
        indptr = self.model.scores["indptr"]
        if tid is None or tid + 1 >= len(indptr):  # bm25s's vocabulary also holds "" with no column
            return 0.0
        return float(indptr[tid + 1] - indptr[tid]) / max(1, self.model.scores["num_docs"])

    def scores(self, query: str) -> np.ndarray:
        from ..search import tokenize

        return self.weighted_scores({t: float(c) for t, c in Counter(tokenize(query)).items()})

    def scores_for_tokens(self, tokens: list[str]) -> np.ndarray:
        """Unweighted scores of known tokens in one bm25s call (the scale benchmark's query path)."""
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(tokens), dtype=np.float32)

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """Sum over tokens of weight x BM25 score. bm25s has no query-term weights (its weight_mask
        weighs documents), so tokens of equal weight are scored together and the sums weighted."""
        total = np.zeros(self.size, dtype=np.float32)
        groups: dict[float, list[str]] = {}
        for t, w in weights.items():
            if w > 0 and (self.vocab is None or t in self.vocab):
                groups.setdefault(w, []).append(t)
        for w, tokens in groups.items():
            total += w * np.asarray(self.model.get_scores(tokens), dtype=np.float32)
        return total


class DenseIndex:
    """Inner product on L2-normalised vectors = cosine. Exact (flat) by default; HNSW/IVF for large corpora."""

    # HNSW: 32 links per node, efConstruction 80. efSearch from bench/bench_scale.py (bench/results/): recall@10
    # against exact search at efSearch 16 (faiss's default) / 64 / 256 / 512 was 0.63 / 0.87 / 0.976 / 0.99 on
    # 100k synthetic passages and 0.34 / 0.66 / 0.89 / 0.95 on 1M, where 512 still took 1.1 ms of CPU per
    # query against 51 ms for exact search. A query's embedding costs 30-45 ms, so 512 is nearly free.
    # IVF probes a quarter of sqrt(N) lists (at most 256 lists).
    HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 512

    def __init__(self, index):
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> "DenseIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, cls.HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = cls.HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = cls.HNSW_EF_SEARCH
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
            # each index family takes its own parameter type; IVF keeps its nprobe, HNSW its efSearch
            params = (faiss.SearchParametersIVF(sel=sel, nprobe=ivf.nprobe) if ivf is not None
                      else faiss.SearchParametersHNSW(sel=sel, efSearch=self.index.hnsw.efSearch)
                      if isinstance(self.index, faiss.IndexHNSW) else faiss.SearchParameters(sel=sel))
        k = min(k, self.index.ntotal)
        scores, ids = self.index.search(qvec.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def top_from_scores(scores: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
    idx = allowed if allowed is not None else np.arange(len(scores))
    sub = scores[idx]
    if len(sub) > 4 * k:  # partial selection first: a full sort of a million scores costs ~100 ms
        part = np.argpartition(-sub, k)[:k]
        order = part[np.argsort(-sub[part], kind="stable")]
    else:
        order = np.argsort(-sub, kind="stable")[:k]
    return [(int(idx[i]), float(sub[i])) for i in order if sub[i] > 0]


class EmbeddedStore(Store):
    name = "embedded"

    def __init__(self, faiss_index: str = "flat"):
        self.faiss_index = faiss_index
        self.passages: list[Passage] = []
        self.bm25: Bm25Index | None = None
        self.dense: DenseIndex | None = None

    def build(self, folder: Path, passages: list[Passage], texts: list[str], vectors: np.ndarray) -> dict:
        self.passages = passages
        self.dense = DenseIndex.build(vectors, self.faiss_index)
        self.bm25 = Bm25Index.build(texts)
        self.dense.save(folder / "dense.faiss")
        self.bm25.save(folder / "bm25")
        return {"name": self.name}

    def load(self, folder: Path, passages: list[Passage], manifest: dict) -> None:
        try:
            self.dense = DenseIndex.load(folder / "dense.faiss")
        except Exception as exc:  # faiss raises RuntimeError with its C++ message
            msg = str(exc).strip()
            raise IndexCorrupt(folder / "dense.faiss", msg.splitlines()[-1] if msg else type(exc).__name__) from exc
        try:
            self.bm25 = Bm25Index.load(folder / "bm25")
        except Exception as exc:
            raise IndexCorrupt(folder / "bm25", f"{type(exc).__name__}: {exc}") from exc
        if self.dense.index.ntotal != len(passages) or self.bm25.size != len(passages):
            raise IndexCorrupt(folder, "vector, BM25 and passage counts disagree")
        self.passages = passages

    def allowed(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        return np.asarray([i for i, p in enumerate(self.passages) if filters.admits(p)], dtype=np.int64)

    def retrieve(self, query, qvec, modes, depth, filters, weights=None) -> Retrieved:
        allowed = self.allowed(filters)
        out = Retrieved()
        if allowed is not None and len(allowed) == 0:
            return out
        if "bm25" in modes:
            scores = self.bm25.weighted_scores(weights) if weights is not None else self.bm25.scores(query)
            out.ranked["bm25"] = top_from_scores(scores, depth, allowed)
        if "dense" in modes:
            out.ranked["dense"] = self.dense.search(qvec, depth, allowed)
        return out

    def describe(self) -> dict:
        return {"name": self.name, "faiss_index": self.faiss_index}
