"""What every passage store does: keep the indexes of one build and answer retrieval requests.

A store receives the passages of a build in order (position i = passage i in passages.json) with their
index texts and vectors, and returns ranked (passage position, score) lists. Query expansion, query
embedding, fusion weights and turning positions into Hits stay in kb/search.py, so both stores see the
same query and rank alike.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..types import Passage


@dataclass
class Filters:
    """doc: one id or several; region: substring of the passage's region (珠海 matches 广东省珠海市); level: exact."""

    doc: str | list[str] | None = None
    region: str | None = None
    level: str | None = None

    def __bool__(self) -> bool:
        return bool(self.doc or self.region or self.level)

    @property
    def docs(self) -> set[str]:
        return {self.doc} if isinstance(self.doc, str) else set(self.doc or [])

    def admits(self, p: Passage) -> bool:
        return ((not self.docs or p.doc_id in self.docs) and (not self.region or self.region in p.region)
                and (not self.level or p.level == self.level))


@dataclass
class Retrieved:
    """Per-retriever ranked lists; `fused` is set when the store fused them itself (else kb/search fuses)."""

    ranked: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    fused: list[tuple[int, float]] | None = None


class Store(ABC):
    name: str = ""

    def prepare(self) -> None:
        """Called before a build embeds anything: fail early (e.g. a server that cannot be reached)."""

    @abstractmethod
    def build(self, folder: Path, passages: list[Passage], texts: list[str], vectors: np.ndarray) -> dict:
        """Index one build (files under `folder` and/or an external service); returns facts for the manifest."""

    @abstractmethod
    def load(self, folder: Path, passages: list[Passage], manifest: dict) -> None:
        """Open the indexes of a saved build; raises IndexCorrupt naming what is wrong."""

    def check(self, manifest: dict) -> str | None:
        """Why the store's side of a saved build no longer matches it (None when it does)."""
        return None

    @abstractmethod
    def retrieve(self, query: str, qvec: np.ndarray | None, modes: tuple[str, ...], depth: int,
                 filters: Filters, weights: dict[str, float] | None = None) -> Retrieved:
        """Top `depth` passages per retriever in `modes` ("bm25", "dense") among those `filters` admits.
        weights: the weighted BM25 query (token -> weight, kb.query.weighted_query); without it the
        store's BM25 searches the tokens of `query`, each occurrence weighing 1."""

    # BM25 statistics the query side reads (mined `terms`, `df_share`): an object with both, set by
    # build/load. kb.query.weighted_query keeps expansions to words the documents use through df_share.
    bm25 = None

    def df_share(self, token: str) -> float:
        """Share of passages a BM25 token occurs in (0 when none or unknown)."""
        return self.bm25.df_share(token) if self.bm25 is not None else 0.0

    def describe(self) -> dict:
        """For `stats --json`: at least {"name"}."""
        return {"name": self.name}

    def close(self) -> None:
        pass
