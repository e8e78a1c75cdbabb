"""File loaders by type, encoding detection, the corpus manifest -> Document."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import unicodedata
from pathlib import Path

from .types import DocMeta, Document

log = logging.getLogger(__name__)

SUPPORTED = {".txt", ".md", ".docx", ".pdf", ".html", ".htm"}
MANIFEST = "manifest.json"
# Files in corpus/ that are about the corpus, not part of it.
NOT_DOCUMENTS = {MANIFEST, "README.md"}


class IngestError(Exception):
    """A file that cannot be read as a document; the message (in Chinese, for users) names it and says why."""


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
        raise IngestError(f"{name}：无法识别文本编码（不是 UTF-8、GBK/GB18030 或其他常见编码）")
    return str(best)


def table_row(cells: list[str]) -> str:
    """One table row as one line, `| cell | cell |`: the form the structure parser reads as a table row."""
    cells = [" ".join(c.replace("|", "｜").split()) for c in cells]
    return "| " + " | ".join(cells) + " |"


def _docx_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], []  # the <w:tc> elements themselves, held so that identity stays meaningful
        for cell in row.cells:  # a horizontally merged cell comes once per grid column: show it once
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            # vertically merged cells return the top cell, so its text is repeated on every row it spans
            inner = [p.text for p in cell.paragraphs] + ["；".join(_docx_rows(t)) for t in cell.tables]
            cells.append(" ".join(x.strip() for x in inner if x.strip()))
        if any(cells):
            rows.append(table_row(cells))
    return rows


def _read_docx(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    numbering = _DocxNumbering(d)
    parts: list[str] = []
    for block in d.iter_inner_content():  # paragraphs and tables in document order
        if hasattr(block, "rows"):
            parts.extend(_docx_rows(block))
        else:
            parts.append(numbering.label(block) + block.text)
    return "\n".join(parts)


CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 11 -> 十一, 23 -> 二十三 (as headings are numbered)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


class _DocxNumbering:
    """Word list numbering (numbering lives in list formatting, not in the text): render the label
    (`一、`, `（一）`, `1.`) a paragraph shows in Word, so headings numbered by a list keep their markers."""

    FORMATS = {
        "decimal": str,
        "chineseCounting": chinese_number, "chineseCountingThousand": chinese_number,
        "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
        "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
        "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
        "decimalFullWidth": lambda n: "".join(chr(ord(c) + 0xFEE0) for c in str(n)),
        "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26), "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26),
        "lowerRoman": lambda n: _roman(n).lower(), "upperRoman": lambda n: _roman(n),
    }

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (format, text, start)
        self.counters: dict[str, list[int]] = {}
        try:
            part = document.part.numbering_part
        except (NotImplementedError, KeyError, AttributeError):
            return
        root = part.element
        ns = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        w = lambda tag: f"{{{ns}}}{tag}"
        abstract = {}
        for a in root.iter(w("abstractNum")):
            lv = {}
            for lvl in a.iter(w("lvl")):
                fmt = lvl.find(w("numFmt"))
                txt = lvl.find(w("lvlText"))
                start = lvl.find(w("start"))
                lv[int(lvl.get(w("ilvl"), "0"))] = (
                    fmt.get(w("val")) if fmt is not None else "decimal",
                    txt.get(w("val")) if txt is not None else "",
                    int(start.get(w("val"))) if start is not None else 1,
                )
            abstract[a.get(w("abstractNumId"))] = lv
        for num in root.iter(w("num")):
            ref = num.find(w("abstractNumId"))
            if ref is not None:
                for ilvl, spec in abstract.get(ref.get(w("val")), {}).items():
                    self.levels[(num.get(w("numId")), ilvl)] = spec
        self.ns = ns

    def label(self, paragraph) -> str:
        if not self.levels:
            return ""
        ppr = paragraph._p.pPr
        num_pr = ppr.numPr if ppr is not None else None
        style = paragraph.style
        while (num_pr is None or num_pr.numId is None) and style is not None:  # numbering set by the style
            sppr = style.element.pPr
            num_pr = sppr.numPr if sppr is not None else None
            style = style.base_style
        if num_pr is None or num_pr.numId is None or num_pr.numId.val == 0:  # numId 0: numbering switched off
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
        if (num_id, ilvl) not in self.levels:
            return ""
        counters = self.counters.setdefault(num_id, [])
        while len(counters) <= ilvl:
            counters.append(0)
        del counters[ilvl + 1:]  # a higher level restarts the lower ones
        counters[ilvl] += 1
        fmt, text, _ = self.levels[(num_id, ilvl)]
        if fmt in ("none", "bullet") or not text:
            return ""

        def value(m):
            lv = int(m.group(1)) - 1
            f, _, start = self.levels.get((num_id, lv), ("decimal", "", 1))
            n = (counters[lv] if lv < len(counters) else 1) + start - 1
            return self.FORMATS.get(f, str)(n)

        return re.sub(r"%(\d)", value, text)


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                 (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + s, n - v
    return out


PAGE_BREAK = "\f"  # between PDF pages, so cleaning can find running headers and footers


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return PAGE_BREAK.join((page.extract_text() or "") for page in reader.pages)


# Elements whose text starts a new line; everything else is inline (a <span> or <a> mid-sentence).
HTML_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
               "article", "dd", "dt", "dl", "blockquote", "pre", "hr", "center", "form", "aside", "main", "body"}


def _fill_spanned(cells: list[str], pending: dict, col: int) -> int:
    """Repeat the cells of rows above whose rowspan still covers this row from column col on; returns
    the next free column."""
    while col in pending:
        text, left = pending.pop(col)
        cells.append(text)
        if left > 1:
            pending[col] = (text, left - 1)
        col += 1
    return col


def _html_table_rows(table) -> list[str]:
    """An HTML table as `| cell |` lines; rowspan cells repeat on the rows they span, colspan ones show once."""
    rows, pending = [], {}  # pending: column -> (text, rows left)
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells, col = [], 0
        for td in tr.find_all(["td", "th"], recursive=False):
            col = _fill_spanned(cells, pending, col)
            text = " ".join(td.get_text(" ").split())
            try:
                span_r, span_c = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
            except ValueError:
                span_r, span_c = 1, 1
            cells.append(text)
            if span_r > 1:
                for c in range(col, col + max(span_c, 1)):
                    pending[c] = (text, span_r - 1) if c == col else ("\0", span_r - 1)
            col += max(span_c, 1)
        _fill_spanned(cells, pending, col)
        cells = [c for c in cells if c != "\0"]
        if any(cells):
            rows.append(table_row(cells))
    return rows


def _link_heavy(el) -> bool:
    """Navigation menus and link lists: three or more links making up most of a short block's text."""
    links = el.find_all("a")
    if len(links) < 3:
        return False
    text = "".join(el.get_text("").split())
    if "附件" in text or "。" in text:  # a list of attachments, or prose with links, is content
        return False
    link_text = sum(len("".join(a.get_text("").split())) for a in links)
    return len(text) <= 300 and link_text >= 0.7 * max(len(text), 1)


def _read_html(data: bytes) -> str:
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(decode_bytes(data), "lxml")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "iframe", "head", "button", "select"]):
        tag.decompose()
    for el in soup.find_all(["div", "ul", "ol", "p", "span", "td"]):
        if not el.decomposed and not el.find("table") and _link_heavy(el):
            el.decompose()
    for node in soup.find_all(string=True):
        # a line break in the HTML source is whitespace, not a paragraph: paragraphs are the block elements
        if type(node) is NavigableString and "\n" in node and node.parent is not None and node.parent.name != "pre":
            node.replace_with(NavigableString(re.sub(r"[ \t\r]*\n\s*", "", str(node))))
    for table in soup.find_all("table"):
        if table.find_parent("table") is None and table.parent is not None:
            table.replace_with(NavigableString("\n" + "\n".join(_html_table_rows(table)) + "\n"))
    for el in soup.find_all(True):
        if el.name in HTML_BLOCKS:
            el.insert_before(NavigableString("\n"))
            el.insert_after(NavigableString("\n"))
    return soup.get_text("")


def read_text(path: Path) -> str:
    """The text of one file, by its type; raises IngestError with a reason users can act on."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"{path.name}：不支持的文件类型 {suffix or '（无扩展名）'}，支持 {', '.join(sorted(SUPPORTED))}")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{path.name}：文件是空的")
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
        raise IngestError(f"{path.name}：文件已损坏或不是有效的 {suffix} 文件，无法读取（{type(exc).__name__}: {exc}）") from exc
    text = unicodedata.normalize("NFC", text)
    if not any("\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in text):
        raise IngestError(f"{path.name}：没有提取到文字（扫描版 PDF 需要先做文字识别 OCR）")
    if text.count("\ufffd") > max(20, len(text) // 100):
        raise IngestError(f"{path.name}：文字是乱码（大量无法解码的字符）")
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


def describe(text: str, filename: str, entry: dict | None = None) -> dict:
    """A document's metadata: the manifest entry's values where it gives them, inferred from the text
    for the rest (kb.metadata). An inferred value never replaces a manifest value."""
    from .metadata import FIELDS, infer

    entry = entry or {}
    meta = {f: entry.get(f) or "" for f in FIELDS}
    if not all(meta.values()):
        guessed = infer(text, filename)
        meta = {f: meta[f] or guessed.get(f, "") for f in FIELDS}
    return meta


def fill_metadata(doc: Document) -> None:
    """Fill the document's empty metadata fields from its text (values already set are kept)."""
    from .metadata import FIELDS

    have = {f: getattr(doc.meta, f) for f in FIELDS}
    if not all(have.values()):
        for f, v in describe(doc.raw_text, doc.meta.source_file or Path(doc.path).name, have).items():
            setattr(doc.meta, f, v)


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """Every readable document in corpus/, each once; plus warnings (in Chinese, naming the file) for
    what was skipped."""
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
            warnings.append(f"已跳过 {exc}")
            continue
        except OSError as exc:
            warnings.append(f"已跳过 {path.name}：无法读取（{exc.strerror or exc}）")
            continue
        h = content_hash(text)
        if h in seen:
            warnings.append(f"已跳过 {path.name}：内容与 {seen[h]} 相同（只收录一次）")
            continue
        seen[h] = path.name
        entry = manifest.get(path.name, {})
        doc_id = path.stem if path.stem not in ids else f"{path.stem}-{path.suffix.lstrip('.').lower()}"
        ids.add(doc_id)
        meta = DocMeta(doc_id=doc_id, **describe(text, path.name, entry),
                       source_file=entry.get("source_file", path.name), content_hash=h)
        docs.append(Document(meta=meta, raw_text=text, path=str(path)))
    for w in warnings:
        log.warning(w)
    return docs, warnings
