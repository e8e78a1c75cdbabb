"""Retrieval: jieba tokens, reciprocal rank fusion, and the Searcher that asks the store (kb/store/).

Tokenizing, scoring and selection are kept apart: `tokenize` is the one function the embedded BM25
index and its queries go through (the Milvus store gets the same user dictionary, mined corpus terms and
stop words in its analyzer); the store returns (passage index, score) lists per retriever over the allowed passages;
`fuse` combines ranks unless the store fused them itself.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np


from .query import dense_query, weighted_query
from .store.base import Filters
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
def user_words() -> frozenset[str]:
    """The words of kb/data/userdict.txt (one per line, optionally with frequency and tag)."""
    lines = (DATA / "userdict.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(ln.split()[0] for ln in lines if ln.strip() and not ln.startswith("#"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w.strip() for w in (DATA / "stopwords.txt").read_text(encoding="utf-8").split() if w.strip())


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (compounds plus their parts), without stop words and punctuation."""
    stop = stopwords()
    return [t for t in _bm25_jieba().cut_for_search(text.lower()) if t.strip() and t not in stop and not PUNCT.match(t)]


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

    def __init__(self, passages: list[Passage], store, embedder,
                 bm25_weight: float = 1.0, dense_weight: float = 1.0, rrf_k: int = 60, sentence_weight: float = 0.0):
        self.passages = passages
        self.store = store
        self.embedder = embedder
        self.weights = {"bm25": bm25_weight, "dense": dense_weight, "sentence": sentence_weight}
        self.rrf_k = rrf_k
        self._sentences = None  # (sentence vectors, passage of each sentence), built on first use

    def sentence_ranking(self, qvec, depth: int, filters) -> list[tuple[int, float]]:
        """Passages ranked by their closest sentence to the question (max over sentences): a passage holds
        several topics, and a paraphrased question meets the one sentence it asks about better than the
        passage's average."""
        if self._sentences is None:
            from .evidence import sentence_spans  # evidence reads this module's tokenizer

            owner, texts = [], []
            for i, p in enumerate(self.passages):
                for a, e in sentence_spans(p.text):
                    owner.append(i)
                    texts.append(p.text[a:e])
            mat = np.asarray(self.embedder.encode_documents(texts, show_progress=False), dtype=np.float32) \
                if texts else np.zeros((0, 1), np.float32)
            self._sentences = (mat, np.asarray(owner, dtype=np.int64))
        mat, owner = self._sentences
        if not len(owner):
            return []
        best = np.full(len(self.passages), -np.inf, dtype=np.float32)
        np.maximum.at(best, owner, mat @ np.asarray(qvec, dtype=np.float32))
        out = []
        for i in np.argsort(-best):
            if len(out) >= depth or best[i] == -np.inf:
                break
            if not filters or filters.admits(self.passages[int(i)]):
                out.append((int(i), float(best[i])))
        return out

    @property
    def bm25(self):
        """The store's BM25 statistics (mined `terms`, `df_share`), which the lexicon and answer side read."""
        return self.store.bm25

    def search(self, query: str, top_k: int = 10, mode: str = "hybrid", doc=None, region=None, level=None,
               dense_as: str | None = None) -> list[Hit]:
        """dense_as: embed this text instead of the query (a narrowed query whose keywords differ but
        whose meaning is the question's, so its vector is already at hand)."""
        if mode not in self.MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(self.MODES)}")
        depth = max(50, top_k * 5)  # fusion looks deeper than what is shown
        modes = ("bm25", "dense") if mode == "hybrid" else (mode,)
        df_share = self.store.df_share  # the store's document frequencies keep expansion to the documents' words
        weights = weighted_query(query, df_share) if "bm25" in modes else None
        qvec = self.embedder.encode_queries([dense_query(dense_as or query, df_share)])[0] if "dense" in modes else None
        got = self.store.retrieve(query, qvec, modes, depth, Filters(doc, region, level), weights)
        ranked = got.ranked
        if mode == "hybrid" and self.weights["sentence"] and got.fused is None and qvec is not None:
            ranked["sentence"] = self.sentence_ranking(qvec, depth, Filters(doc, region, level))
        if not any(ranked.values()):
            return []
        if mode != "hybrid":
            fused = ranked[mode]
        else:
            fused = got.fused if got.fused is not None else fuse(ranked, self.weights, self.rrf_k)
        info = {name: {i: (r, s) for r, (i, s) in enumerate(items, 1)} for name, items in ranked.items()}
        hits = []
        for rank, (i, score) in enumerate(fused[:top_k], 1):
            b = info.get("bm25", {}).get(i, (None, None))
            d = info.get("dense", {}).get(i, (None, None))
            hits.append(Hit(passage=self.passages[i], score=float(score), rank=rank,
                            bm25_rank=b[0], bm25_score=b[1], dense_rank=d[0], dense_score=d[1],
                            sentence_rank=info.get("sentence", {}).get(i, (None, None))[0]))
        return hits


# The embedded store's indexes, importable from here as before the store package existed.
from .store.embedded import Bm25Index, DenseIndex, top_from_scores  # noqa: E402,F401
