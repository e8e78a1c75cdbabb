"""The facade the CLI, the app and the evaluation call: open the index, search, ask."""
from __future__ import annotations

import logging
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from . import index as index_mod
from .errors import FilterError, QueryError
from .ingest import SUPPORTED, IngestError, content_hash, read_text
from .search import Searcher
from .settings import Settings
from .types import Answer, DocMeta, Hit, Passage, Section

log = logging.getLogger(__name__)


class _LazyEmbedder:
    """Loads the embedding model on first use, so BM25-only work never pays for it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._e = None
        self._local = threading.local()  # per thread: the query vectors of the answer being built

    def get(self):
        if self._e is None:
            from .embedding import load_embedder

            self._e = load_embedder(self.settings)
        return self._e

    @contextmanager
    def remembering(self):
        """While answering one question, a text searched again (per document, by the gate) is not
        encoded again. Scoped to the answer, so search latency figures elsewhere stay honest."""
        outer = getattr(self._local, "cache", None)
        self._local.cache = {} if outer is None else outer
        try:
            yield
        finally:
            self._local.cache = outer

    def prefetch(self, texts):
        """Encode in one batch the texts this answer is about to search (a batch of two costs about 1.5
        times one on CPU, bench/bench_answer.py), so the searches that follow find them remembered."""
        cache = getattr(self._local, "cache", None)
        todo = list(dict.fromkeys(t for t in texts if cache is not None and t not in cache))
        if len(todo) > 1:
            for text, vec in zip(todo, self.get().encode_queries(todo)):
                cache[text] = vec[None, :]

    def encode_queries(self, texts):
        cache = getattr(self._local, "cache", None)
        if cache is None or len(texts) != 1:
            return self.get().encode_queries(texts)
        if texts[0] not in cache:
            cache[texts[0]] = self.get().encode_queries(texts)
        return cache[texts[0]]

    def encode_documents(self, texts, show_progress=True, progress=None):
        return self.get().encode_documents(texts, show_progress=show_progress, progress=progress)

    @property
    def model_id(self):
        return self.get().model_id


class Engine:
    def __init__(self, settings: Settings, data: index_mod.IndexData, embedder: _LazyEmbedder):
        self.settings = settings
        self.embedder = embedder
        self._lock = threading.Lock()
        self._use(data)

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, settings: Settings | None = None, progress=None, rebuild: bool = False) -> "Engine":
        """Load index/; build it when missing, stale or asked to. A corrupt index raises IndexCorrupt."""
        settings = settings or Settings.load()
        embedder = _LazyEmbedder(settings)
        if rebuild or index_mod.staleness(settings):
            with index_mod.build_lock(settings):
                reason = "rebuild requested" if rebuild else index_mod.staleness(settings)
                if reason:
                    log.info("building the index: %s", reason)
                    return cls(settings, index_mod.build(settings, embedder, progress), embedder)
        return cls(settings, index_mod.load(settings), embedder)

    def _use(self, data: index_mod.IndexData) -> None:
        self.data = data
        self._docs = {d.meta.doc_id: d for d in data.docs}
        self.searcher = Searcher(data.passages, data.store, self.embedder,
                                 self.settings.bm25_weight, self.settings.dense_weight, self.settings.rrf_k,
                                 self.settings.sentence_weight)
        self._targets = None  # derived from the index; computed on first use
        self._tasks = None
        self._derived: dict[str, object] = {}  # other values derived from this index (see derived())

    def refresh(self, progress=None) -> str | None:
        """Rebuild when corpus/ or the settings changed; returns the reason, or None if up to date."""
        with self._lock, index_mod.build_lock(self.settings):
            reason = index_mod.staleness(self.settings)
            if reason:
                self._use(index_mod.build(self.settings, self.embedder, progress))
            elif index_mod.current_folder(self.settings) != self.data.folder:
                self._use(index_mod.load(self.settings))  # another process rebuilt it
        return reason

    # ------------------------------------------------------------ what is indexed

    @property
    def documents(self) -> list[DocMeta]:
        return [d.meta for d in self.data.docs]

    @property
    def passages(self) -> list[Passage]:
        return self.data.passages

    @property
    def warnings(self) -> list[str]:
        return self.data.warnings

    def doc_text(self, doc_id: str) -> str:
        return self._doc(doc_id).text

    def raw_span(self, doc_id: str, start: int, end: int) -> tuple[int, int]:
        """Where a cleaned-text span stands in the original file's text."""
        offs = self._doc(doc_id).offsets
        return (offs[start], offs[end - 1] + 1) if end > start else (offs[start], offs[start])

    def sections(self, doc_id: str) -> Section:
        return self._doc(doc_id).root

    def _doc(self, doc_id: str):
        if doc_id not in self._docs:
            raise FilterError(f"没有编号为 {doc_id!r} 的文件；现有文件：{', '.join(sorted(self._docs))}")
        return self._docs[doc_id]

    @property
    def tasks(self) -> list[dict]:
        """Every task with a responsibility clause, from the same parsed clauses the answers use."""
        if self._tasks is not None:
            return self._tasks
        from .tasks import build_tasks

        out = []
        for d in self.data.docs:
            for t in build_tasks(d.text, d.root, d.clauses):
                out.append({
                    "doc_id": d.meta.doc_id, "title": d.meta.title, "region": d.meta.region,
                    "section": " > ".join(t.path), "heading": t.path[-1] if t.path else t.heading,
                    "path": t.path, "text": t.text, "lead": t.lead, "partners": t.partners,
                    "deadline": t.deadline, "clause": t.clause, "start": t.start, "end": t.end,
                })
        self._tasks = out
        return out

    @property
    def targets(self):
        if self._targets is None:
            from .targets import extract_targets

            self._targets = [t for d in self.data.docs for t in extract_targets(d.meta.doc_id, d.text, d.root)]
        return self._targets

    def derived(self, name: str, build):
        """A value computed once from the current index (build() on first use), dropped when the index
        is replaced: the answer layer keeps its vocabulary and task maps here, not in module globals."""
        # No lock: two threads racing on first use both compute the same value, and one is kept.
        if name not in self._derived:
            self._derived[name] = build()
        return self._derived[name]

    def sentence_vectors(self, texts: list[str]):
        """Vectors of evidence sentences, through the embedder's cache (keyed by text hash and model id,
        the same cache as passage vectors), so each sentence is encoded once, ever."""
        return self.embedder.encode_documents(list(texts), show_progress=False)

    def question_vector(self, text: str):
        return self.embedder.encode_queries([text])[0]

    def dense_text(self, text: str) -> str:
        """What a search embeds for this text (the store's document frequencies decide the expansion)."""
        from .query import dense_query

        return dense_query(text, self.searcher.store.df_share)

    def prefetch(self, searches, vectors=()) -> None:
        """Encode in one batch what the searches about to run embed, plus other query vectors (inside
        `remembering`; outside it nothing is kept and this does nothing)."""
        self.embedder.prefetch([self.dense_text(t) for t in searches] + list(vectors))

    def stats(self) -> dict:
        folder = self.data.folder
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        m = self.data.manifest
        return {"documents": len(self.data.docs), "passages": len(self.data.passages), "model": m.get("model_id"),
                "dim": m.get("dim"), "index_bytes": size, "index_folder": str(folder), "built_at": m.get("built_at"),
                "chunk_size": m["shape"]["chunk_size"], "chunk_overlap": m["shape"]["chunk_overlap"],
                "faiss_index": m["shape"]["faiss_index"], "store": self.data.store.name,
                "store_info": self.data.store.describe(),
                "warnings": self.data.warnings}

    # ------------------------------------------------------------ querying

    def check_query(self, query: str) -> str:
        if query is None or not str(query).strip():
            raise QueryError("问题是空的，请输入一个问题，例如：老年人助餐服务由哪些部门负责？")
        query = " ".join(str(query).split())
        limit = self.settings.max_query_chars
        if len(query) > limit:
            log.warning("问题有 %d 个字，只使用前 %d 个字", len(query), limit)
            query = query[:limit]
        return query

    def check_filters(self, doc=None, region=None, level=None) -> None:
        docs = sorted(self._docs)
        for d in ([doc] if isinstance(doc, str) else (doc or [])):
            if d not in self._docs:
                raise FilterError(f"没有编号为 {d!r} 的文件；--doc 可用的值：{', '.join(docs)}")
        regions = sorted({m.region for m in self.documents if m.region})
        if region and not any(region in r for r in regions):
            raise FilterError(f"没有地区 {region!r} 的文件；--region 可用的值：{', '.join(regions)}")
        levels = sorted({m.level for m in self.documents if m.level})
        if level and level not in levels:
            raise FilterError(f"没有级别 {level!r} 的文件；--level 可用的值：{', '.join(levels)}")

    def search(self, query: str, top_k: int = 10, mode: str = "hybrid", doc=None, region=None, level=None,
               dense_as: str | None = None) -> list[Hit]:
        query = self.check_query(query)
        self.check_filters(doc, region, level)
        if top_k < 1:
            raise QueryError("--top-k 至少为 1")
        return self.searcher.search(query, top_k=top_k, mode=mode, doc=doc, region=region, level=level,
                                    dense_as=dense_as and self.check_query(dense_as))

    def ask(self, question: str, history: list[str] | None = None, doc=None, region=None, level=None) -> Answer:
        from .answer import answer

        question = self.check_query(question)
        self.check_filters(doc, region, level)
        with self.embedder.remembering():
            return answer(self, question, history=history, doc=doc, region=region, level=level)

    # ------------------------------------------------------------ adding documents

    def add_documents(self, paths: list[str | Path], progress=None) -> tuple[list[str], list[str]]:
        """Copy files into corpus/ under safe names and re-index (only new passages are embedded).

        Returns (doc ids added, warnings). A file whose content is already indexed is not added.
        """
        corpus = self.settings.corpus_dir
        known = {d.meta.content_hash: d.meta.doc_id for d in self.data.docs}
        added, warnings = [], []
        for src in map(Path, paths):
            suffix = src.suffix.lower()
            if suffix not in SUPPORTED:
                warnings.append(f"{src.name}: unsupported type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED))}")
                continue
            if src.stat().st_size > self.settings.max_upload_mb * 1024 * 1024:
                warnings.append(f"{src.name}: larger than {self.settings.max_upload_mb} MB")
                continue
            try:
                h = content_hash(read_text(src))
            except IngestError as exc:
                warnings.append(str(exc))
                continue
            if h in known:
                warnings.append(f"{src.name}: same content as the indexed document {known[h]}; not added again")
                continue
            stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", src.stem).strip("_.")[:80] or "document"
            dest, n = corpus / f"{stem}{suffix}", 1
            while dest.exists():
                n += 1
                dest = corpus / f"{stem}-{n}{suffix}"
            shutil.copyfile(src, dest)
            known[h] = dest.stem
            added.append(dest.stem)
        if added:
            self.refresh(progress)
        return added, warnings
