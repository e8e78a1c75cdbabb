"""Build, save (atomically), load and check the staleness of the index in `index/`.

Layout: each build writes a fresh folder `index/build-<time>-<pid>/` (manifest, documents,
passages, and the store's part: FAISS vectors and BM25 files for the embedded store, a synced
collection for Milvus, see kb/store/) and only then points `index/CURRENT` at it (temp file + rename).
A crash mid-build leaves a folder nothing points to, so a half-written index is never loaded.
Unchanged passages are not re-embedded: the embedder caches vectors by text hash and model id.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .chunking import chunk_document
from .clean import clean_text, infer_title
from .evidence import sentence_spans
from .errors import IndexCorrupt, KBError
from .ingest import MANIFEST, corpus_files, fill_metadata, load_corpus
from .settings import Settings
from .store import Store, make_store
from .structure import parse_document as parse_structure
from .types import DocMeta, Document, Passage, Responsibility, Section

log = logging.getLogger(__name__)
FORMAT_VERSION = 2  # 2: BM25 tokens include the corpus terms mined at build time (bm25/terms.tsv)
CURRENT = "CURRENT"


@dataclass
class ParsedDoc:
    meta: DocMeta
    text: str  # cleaned
    offsets: list[int]  # cleaned char -> raw char
    root: Section
    clauses: list[Responsibility]
    path: str = ""

    def to_dict(self) -> dict:
        return {"meta": self.meta.to_dict(), "text": self.text, "offsets": self.offsets,
                "root": asdict(self.root), "clauses": [asdict(c) for c in self.clauses], "path": self.path}

    @classmethod
    def from_dict(cls, d: dict) -> "ParsedDoc":
        return cls(meta=DocMeta(**d["meta"]), text=d["text"], offsets=d["offsets"], root=_section(d["root"]),
                   clauses=[Responsibility(**c) for c in d["clauses"]], path=d.get("path", ""))


def _section(d: dict) -> Section:
    d = dict(d)
    d["children"] = [_section(c) for c in d.get("children", [])]
    if d.get("responsibility"):
        d["responsibility"] = Responsibility(**d["responsibility"])
    return Section(**d)


def parse_document(doc: Document) -> ParsedDoc:
    ct = clean_text(doc.raw_text)
    root, clauses = parse_structure(ct.text)
    fill_metadata(doc)  # a document read without load_corpus (kb outline) gets its metadata here
    if not doc.meta.title:
        doc.meta.title = infer_title(ct.text)
    return ParsedDoc(meta=doc.meta, text=ct.text, offsets=ct.offsets, root=root, clauses=clauses, path=doc.path)


@dataclass
class IndexData:
    folder: Path
    manifest: dict
    docs: list[ParsedDoc]
    passages: list[Passage]
    store: Store
    warnings: list[str] = field(default_factory=list)

    # the embedded store's indexes (None with another store), as before the store package existed
    @property
    def dense(self):
        return getattr(self.store, "dense", None)

    @property
    def bm25(self):
        return getattr(self.store, "bm25", None)


# ---------------------------------------------------------------- staleness

def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_state(settings: Settings) -> dict[str, str]:
    """Every file in corpus/ (documents and the manifest) with the hash of its bytes."""
    folder = settings.corpus_dir
    if not folder.is_dir():
        return {}
    files = corpus_files(folder)
    if (folder / MANIFEST).is_file():
        files.append(folder / MANIFEST)
    return {p.name: file_hash(p) for p in files}


# The code and tables that turn documents into passages: when any of them changes (a new heading marker,
# a responsibility form, a cleaning pass), saved indexes hold passages the current code would not make, so
# their fingerprint is part of the index's shape and a change marks the index stale. Rebuilding re-embeds
# only passages whose text changed (embedding cache).
PARSER_SOURCES = ("ingest.py", "clean.py", "metadata.py", "structure.py", "responsibility.py", "tables.py",
                  "tasks.py", "targets.py", "chunking.py", "genre.py", "lexicon.py", "search.py", "store/*.py",
                  "data/*.toml")


def parser_fingerprint(here: Path | None = None) -> str:
    here = here or Path(__file__).parent
    h = hashlib.sha256()
    for pattern in PARSER_SOURCES:
        for path in sorted(here.glob(pattern)):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def shape(settings: Settings) -> dict:
    from .embedding import model_id_for  # the model id also names the conversion version of the default

    return {"format_version": FORMAT_VERSION, "parser": parser_fingerprint(),
            "model_id": model_id_for(settings.embed_model, settings.embed_quant), **settings.index_shape()}


def current_folder(settings: Settings) -> Path | None:
    pointer = settings.index_dir / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    folder = settings.index_dir / name
    return folder if name and folder.is_dir() else None


def staleness(settings: Settings) -> str | None:
    """Why the saved index does not match corpus/ and the settings, or None when it does."""
    folder = current_folder(settings)
    if folder is None:
        return "no index has been built yet"
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return "the index manifest is missing or unreadable"
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:  # damaged: same message as any corrupt file
        raise IndexCorrupt(path, type(exc).__name__) from exc
    if not isinstance(manifest, dict):
        raise IndexCorrupt(path, "unexpected content")
    if manifest.get("shape") != shape(settings):
        changed = [k for k, v in shape(settings).items() if manifest.get("shape", {}).get(k) != v]
        return f"settings changed: {', '.join(changed)}"
    old, new = manifest.get("files", {}), corpus_state(settings)
    if old != new:
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
        parts = [f"{label}: {', '.join(names)}" for label, names in
                 (("added", added), ("removed", removed), ("changed", changed)) if names]
        return "corpus changed (" + "; ".join(parts) + ")"
    try:
        return make_store(settings).check(manifest)
    except Exception as exc:  # the store cannot be reached or read: rebuilding is the way to find out more
        return f"the {settings.store} store cannot be checked ({type(exc).__name__}: {exc})"


# ---------------------------------------------------------------- build / save / load

@contextlib.contextmanager
def build_lock(settings: Settings):
    """One builder at a time per index folder (the app, the CLI and the evaluation may start together);
    whoever waited re-checks staleness, usually finding the index already built."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_json(path: Path, data) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def build(settings: Settings, embedder, progress=None) -> IndexData:
    """Read corpus/, parse, chunk, embed, index; save to a new folder and switch CURRENT to it."""
    report = progress or (lambda frac, desc: None)
    store = make_store(settings)
    store.prepare()
    report(0.0, "读取文档")
    documents, warnings = load_corpus(settings.corpus_dir)
    state = corpus_state(settings)
    docs = [parse_document(d) for d in documents]
    passages: list[Passage] = []
    for d in docs:
        passages += chunk_document(d.meta, d.text, d.root, d.clauses, settings.chunk_size, settings.chunk_overlap)
    if not passages:
        raise KBError(f"文件夹 {settings.corpus_dir} 中没有可读的文件（no readable documents）；请放入 .txt、.md、.docx、.pdf 或 .html 文件") from None
    report(0.1, f"向量化 {len(passages)} 个段落")
    texts = [p.index_text() for p in passages]
    vectors = np.asarray(embedder.encode_documents(
        texts, show_progress=True,
        progress=lambda done, total: report(0.1 + 0.75 * done / total, f"向量化 {done}/{total} 个新段落"),
    ), dtype=np.float32)
    # The answer layer scores and quotes sentences; their vectors go into the same embedding cache now,
    # so the first questions after a build do not pay for encoding them.
    sents = sorted({p.text[a:e] for p in passages for a, e in sentence_spans(p.text)})
    embedder.encode_documents(
        sents, show_progress=True,
        progress=lambda done, total: report(0.85 + 0.1 * done / total, f"向量化 {done}/{total} 个新证据句"))
    report(0.95, "建立索引")
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"build-{time.strftime('%Y%m%d-%H%M%S')}-", dir=settings.index_dir))
    _write_json(folder / "documents.json", [d.to_dict() for d in docs])
    _write_json(folder / "passages.json", [p.to_dict() for p in passages])
    store_info = store.build(folder, passages, texts, vectors)
    manifest = {
        "shape": shape(settings), "files": state, "model_id": embedder.model_id, "dim": int(vectors.shape[1]),
        "documents": len(docs), "passages": len(passages), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "warnings": warnings, "store": store_info,
    }
    _write_json(folder / "manifest.json", manifest)  # written last: its presence marks a complete build
    pointer_tmp = settings.index_dir / (CURRENT + f".{os.getpid()}.tmp")
    pointer_tmp.write_text(folder.name, encoding="utf-8")
    os.replace(pointer_tmp, settings.index_dir / CURRENT)
    _remove_old_builds(settings.index_dir, keep=folder.name)
    report(1.0, "完成")
    return IndexData(folder, manifest, docs, passages, store, warnings)


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    for p in index_dir.glob("build-*"):
        if p.is_dir() and p.name != keep:
            shutil.rmtree(p, ignore_errors=True)


def load(settings: Settings) -> IndexData:
    folder = current_folder(settings)
    if folder is None:
        raise FileNotFoundError(f"no index in {settings.index_dir}; run `python -m kb build`")

    def read_json(name):
        path = folder / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexCorrupt(path, type(exc).__name__ + (f": {exc}" if str(exc) else "")) from exc

    manifest = read_json("manifest.json")
    try:
        docs = [ParsedDoc.from_dict(d) for d in read_json("documents.json")]
    except (KeyError, TypeError) as exc:
        raise IndexCorrupt(folder / "documents.json", f"unexpected content: {exc}") from exc
    try:
        passages = [Passage.from_dict(p) for p in read_json("passages.json")]
    except (KeyError, TypeError) as exc:
        raise IndexCorrupt(folder / "passages.json", f"unexpected content: {exc}") from exc
    store = make_store(settings)
    store.load(folder, passages, manifest)
    return IndexData(folder, manifest, docs, passages, store, manifest.get("warnings", []))
