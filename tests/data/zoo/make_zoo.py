"""Build the format zoo (issue 7): synthetic Chinese policy documents and their answer keys.

Usage:
    python tests/data/zoo/make_zoo.py                     # dev zoo, written next to this file
    python tests/data/zoo/make_zoo.py --spec FILE.py --out DIR   # another spec module (e.g. a blind set)

Each spec module defines DOCS: a list of dicts. Body text carries a small markup for headings so the key's
`sections` come from the same text that is written (no drift between document and key):
    ⟦depth|number|heading⟧            written as number+heading
    ⟦depth|number|written|heading⟧    written as `written`+heading (e.g. "(一)" normalised to "（一）")
Tasks and targets are listed by hand in the spec; `check()` verifies every string of the key occurs in the
document text, so a typo in a key fails the build instead of silently testing the wrong thing.
The places, units and facts are invented.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = re.compile(r"⟦([^⟧]*)⟧")


def render(src: str) -> tuple[str, list[dict]]:
    """Replace heading markup by the written text; return (text, sections)."""
    sections: list[dict] = []

    def repl(m: re.Match) -> str:
        parts = m.group(1).split("|")
        if len(parts) == 3:
            depth, number, heading = parts
            written = number
        elif len(parts) == 4:
            depth, number, written, heading = parts
        else:
            raise ValueError(f"bad markup: {m.group(0)}")
        sections.append({"number": number, "heading": heading, "depth": int(depth)})
        return written + heading

    return MARK.sub(repl, src), sections


def _blocks(doc: dict) -> list:
    """The body as blocks: str paragraphs, or ("table", rows, merges) / ("h", level, text) for docx."""
    body = doc["body"]
    return body if isinstance(body, list) else [body]


def render_doc(doc: dict) -> tuple[list, str, list[dict]]:
    """Render every block; return (rendered blocks, plain text for checking, sections)."""
    out, texts, sections = [], [], []
    for b in _blocks(doc):
        if isinstance(b, str):
            t, s = render(b)
            out.append(t)
            texts.append(t)
            sections += s
        elif b[0] == "h":
            t, s = render(b[2])
            out.append(("h", b[1], t))
            texts.append(t)
            sections += s
        elif b[0] == "b":  # a bold paragraph (docx), e.g. an article title on its own line
            t, s = render(b[1])
            out.append(("b", t))
            texts.append(t)
            sections += s
        elif b[0] == "table":
            rows = []
            for row in b[1]:
                r = []
                for cell in row:
                    t, s = render(cell)
                    sections += s
                    r.append(t)
                rows.append(r)
            out.append(("table", rows, b[2] if len(b) > 2 else []))
            texts.append("\n".join(" ".join(r) for r in rows))
        else:
            raise ValueError(b[0])
    return out, "\n".join(texts), sections


def plain_text(doc: dict, text: str) -> str:
    if doc["ext"] == "html":
        from bs4 import BeautifulSoup
        return BeautifulSoup(text, "html.parser").get_text("\n")
    return text


def check(doc: dict, text: str, sections: list[dict]) -> list[str]:
    """Every string in the key must occur in the document text as written."""
    flat = text.replace("\n", "")
    errs = []

    def need(s: str, what: str) -> None:
        if s and s not in text and s not in flat:
            errs.append(f"{doc['name']}: {what} not in text: {s!r}")

    for s in sections:
        need(s["heading"], "section heading")
    for t in doc.get("tasks", []):
        need(t["heading"], "task heading")
        for u in t["lead"] + t["partners"]:
            if u not in t.get("expanded", []):
                need(u, "unit")
        need(t["deadline"], "deadline")
    for g in doc.get("targets", []):
        need(g["value"], "target value")
        need(g["deadline"], "target deadline")
    meta = doc["doc"]
    for k in ("title", "issuer", "doc_number", "region"):
        need(meta.get(k, ""), f"doc.{k}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}|", meta.get("date", "")):
        errs.append(f"{doc['name']}: bad date {meta.get('date')!r}")
    return errs


def key_of(doc: dict, sections: list[dict]) -> dict:
    tasks = []
    for t in doc.get("tasks", []):
        t = {k: t[k] for k in ("heading", "lead", "partners", "deadline")} | (
            {"note": t["note"]} if t.get("note") else {})
        tasks.append(t)
    key = {"layout": doc["layout"], "doc": doc["doc"], "sections": sections, "tasks": tasks,
           "targets": doc.get("targets", [])}
    return key


# ---------------------------------------------------------------- writers
def write_text(path: Path, blocks: list, doc: dict) -> None:
    parts = [b if isinstance(b, str) else b[-1] if b[0] in ("h", "b")
             else "\n".join(" | ".join(r) for r in b[1]) for b in blocks]
    text = "\n".join(parts)
    if doc.get("one_line"):
        text = "".join(line.strip() for line in text.splitlines())
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _fix_zip_times(path: Path) -> None:
    """Rewrite the .docx zip with fixed entry times (python-docx stamps the current time)."""
    import io
    import zipfile
    src = zipfile.ZipFile(path)
    items = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    src.close()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    path.write_bytes(buf.getvalue())


def write_docx(path: Path, blocks: list, doc: dict) -> None:
    import docx
    from docx.oxml.ns import qn
    d = docx.Document()
    st = d.styles["Normal"]
    st.font.name = "SimSun"
    st.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    for b in blocks:
        if isinstance(b, str):
            for line in b.split("\n"):
                if line.strip():
                    d.add_paragraph(line)
        elif b[0] == "h":
            d.add_heading(b[2], level=b[1])
        elif b[0] == "b":
            d.add_paragraph().add_run(b[1]).bold = True
        else:
            rows, merges = b[1], b[2]
            tbl = d.add_table(rows=len(rows), cols=len(rows[0]))
            tbl.style = "Table Grid"
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    tbl.cell(i, j).text = cell
            for (r1, c1, r2, c2) in merges:
                keep = tbl.cell(r1, c1).text
                m = tbl.cell(r1, c1).merge(tbl.cell(r2, c2))
                m.text = keep
    d.core_properties.title = doc["doc"]["title"]
    # fixed timestamps so regenerating does not change the committed binary
    import datetime
    d.core_properties.created = d.core_properties.modified = datetime.datetime(2024, 1, 1)
    d.core_properties.author = d.core_properties.last_modified_by = "zoo"
    d.save(str(path))
    _fix_zip_times(path)


def write_pdf(path: Path, blocks: list, doc: dict) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer
    from xml.sax.saxutils import escape
    from reportlab import rl_config
    rl_config.invariant = 1  # no timestamp or random id: regenerating gives the same bytes
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=15, leading=28, wordWrap="CJK",
                          firstLineIndent=30)
    plain = ParagraphStyle("p", parent=body, firstLineIndent=0)
    title = ParagraphStyle("t", parent=body, fontSize=20, leading=32, alignment=1, firstLineIndent=0)
    header = doc.get("pdf_header", doc["doc"]["title"])

    def furniture(canvas, _doc):
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        if header and canvas.getPageNumber() > 1:
            canvas.drawCentredString(A4[0] / 2, A4[1] - 15 * mm, header)
        canvas.setFont("STSong-Light", 10)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {canvas.getPageNumber()} -")
        canvas.restoreState()

    story = []
    first = True
    for b in blocks:
        lines = b.split("\n") if isinstance(b, str) else [" | ".join(r) for r in b[1]]
        for line in lines:
            if line == "\f":  # a line holding only a form feed starts a new page (e.g. after a cover page)
                story.append(PageBreak())
                continue
            if not line.strip():
                story.append(Spacer(1, 6))
                continue
            style = title if first else (plain if (" | " in line or len(line) < 30) else body)
            first = False
            story.append(Paragraph(escape(line.strip()), style))
    SimpleDocTemplate(str(path), pagesize=A4, topMargin=28 * mm, bottomMargin=25 * mm,
                      leftMargin=28 * mm, rightMargin=26 * mm,
                      title=doc["doc"]["title"]).build(story, onFirstPage=furniture, onLaterPages=furniture)


WRITERS = {"txt": write_text, "md": write_text, "html": write_text, "docx": write_docx, "pdf": write_pdf}


def build(docs: list[dict], out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    errors = []
    for doc in docs:
        blocks, text, sections = render_doc(doc)
        text = plain_text(doc, text)
        errors += check(doc, text, sections)
        WRITERS[doc["ext"]](out / f"{doc['name']}.{doc['ext']}", blocks, doc)
        key = key_of(doc, sections)
        (out / f"{doc['name']}.key.json").write_text(
            json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        n = len(text.replace("\n", ""))
        print(f"{doc['name']}.{doc['ext']}: {n} chars, {len(sections)} sections, "
              f"{len(key['tasks'])} tasks, {len(key['targets'])} targets")
    for e in errors:
        print("KEY ERROR:", e, file=sys.stderr)
    return 1 if errors else 0


def load_spec(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.DOCS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, default=HERE / "zoo_docs.py")
    ap.add_argument("--out", type=Path, default=HERE)
    a = ap.parse_args()
    return build(load_spec(a.spec), a.out)


if __name__ == "__main__":
    sys.exit(main())
