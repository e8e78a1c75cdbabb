"""File loaders by type, encoding detection, the corpus manifest -> Document."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import unicodedata
from pathlib import Path

from .types import DocMeta, Document

log = logging.getLogger(__name__)

SUPPORTED = {".txt", ".md", ".docx", ".pdf", ".html", ".htm"}
MANIFEST = "manifest.json"
# Files in corpus/ that are about the corpus, not part of it.
NOT_DOCUMENTS = {MANIFEST, "README.md"}


class IngestError(Exception):
    """A file that cannot be read as a document; the message names it and says why."""


def decode_bytes(data: bytes, name: str = "") -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312), then a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: cannot detect the text encoding (not UTF-8, GBK/GB18030 or another known one)")
    return str(best)


def _read_docx(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:  # tables come after the body: their rows read as lines
        for row in table.rows:
            parts.append(" ".join(c.text.strip() for c in row.cells))
    return "\n".join(parts)


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


def _read_html(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_bytes(data), "lxml")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "iframe"]):
        tag.decompose()
    return soup.get_text("\n")


def read_text(path: Path) -> str:
    """The text of one file, by its type; raises IngestError with a reason users can act on."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"{path.name}: unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED))}")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{path.name}: the file is empty")
    try:
        if suffix == ".docx":
            text = _read_docx(data)
        elif suffix == ".pdf":
            text = _read_pdf(data)
        elif suffix in (".html", ".htm"):
            text = _read_html(data)
        else:
            text = decode_bytes(data, path.name)
    except IngestError:
        raise
    except Exception as exc:  # broken zip/PDF structure etc.: the library's own words help most
        raise IngestError(f"{path.name}: cannot be read as {suffix} ({type(exc).__name__}: {exc})") from exc
    text = unicodedata.normalize("NFC", text)
    if not any("\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in text):
        raise IngestError(f"{path.name}: no text could be extracted (a scanned PDF needs OCR first)")
    if text.count("\ufffd") > max(20, len(text) // 100):
        raise IngestError(f"{path.name}: the text is garbled (many undecodable characters)")
    return text


def content_hash(text: str) -> str:
    """Hash of the text with all whitespace removed, so re-encoded or re-wrapped copies match."""
    return hashlib.sha256("".join(text.split()).encode("utf-8")).hexdigest()


def read_manifest(corpus_dir: Path) -> dict:
    path = corpus_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        log.warning("corpus manifest %s is unreadable (%s); metadata will be inferred", path, exc)
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and p.name not in NOT_DOCUMENTS and not p.name.startswith((".", "~$"))
    )


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """Every readable document in corpus/, each once; plus warnings for what was skipped."""
    manifest = read_manifest(corpus_dir)
    docs: list[Document] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    ids: set[str] = set()
    # Files the manifest describes come first, so a later copy never displaces the described original.
    for path in sorted(corpus_files(corpus_dir), key=lambda p: (p.name not in manifest, p.name)):
        try:
            text = read_text(path)
        except IngestError as exc:
            warnings.append(f"skipped {exc}")
            continue
        except OSError as exc:
            warnings.append(f"skipped {path.name}: {exc.strerror or exc}")
            continue
        h = content_hash(text)
        if h in seen:
            warnings.append(f"skipped {path.name}: same content as {seen[h]} (indexed once)")
            continue
        seen[h] = path.name
        entry = manifest.get(path.name, {})
        doc_id = path.stem if path.stem not in ids else f"{path.stem}-{path.suffix.lstrip('.').lower()}"
        ids.add(doc_id)
        meta = DocMeta(
            doc_id=doc_id,
            title=entry.get("title", ""),
            issuer=entry.get("issuer", ""),
            region=entry.get("region", ""),
            level=entry.get("level", ""),
            date=entry.get("date", ""),
            doc_number=entry.get("doc_number", ""),
            source_file=entry.get("source_file", path.name),
            content_hash=h,
        )
        docs.append(Document(meta=meta, raw_text=text, path=str(path)))
    for w in warnings:
        log.warning(w)
    return docs, warnings
