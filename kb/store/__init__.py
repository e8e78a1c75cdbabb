"""Passage stores: where the dense vectors and the BM25 index of a build live (KB_STORE).

- ``embedded`` (default): FAISS + bm25s inside the process, files in the build folder.
- ``milvus``: a Milvus collection (dense vectors + Milvus's BM25 function with our jieba dictionary and
  stop words); ``KB_MILVUS_URI`` is a Milvus Lite file (default under index/) or ``http://host:19530``.
"""
from __future__ import annotations

from ..errors import KBError
from ..settings import Settings
from .base import Filters, Retrieved, Store

STORES = ("embedded", "milvus")


def make_store(settings: Settings) -> Store:
    kind = settings.store
    if kind == "embedded":
        from .embedded import EmbeddedStore

        return EmbeddedStore(settings.faiss_index)
    if kind == "milvus":
        from .milvus import MilvusStore

        return MilvusStore(settings)
    raise KBError(f"unknown store {kind!r}; KB_STORE must be one of {', '.join(STORES)}")


__all__ = ["Filters", "Retrieved", "Store", "STORES", "make_store"]
