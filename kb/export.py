"""Answers as Word documents (.docx, python-docx) for reporting upward: one answer, or a whole chat.

Input is the answer's JSON object (kb.present.answer_json), so what is exported is exactly what the
CLI and the API return: the answer's lines (each naming its document's place when several are cited),
the comparison table if any, and every cited passage with its document, place, section and text.
"""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .present import labelled_lines

FONT = "SimSun"  # 宋体: present on Windows office machines; Word substitutes it elsewhere
LEVEL_ZH = {"省": "省级", "市": "市级", "县": "县级"}
TABLE_HEADERS = {"region": "地区", "title": "文件", "figure": "内容", "indicator": "指标", "value": "数值",
                 "unit": "单位", "deadline": "期限", "n": "出处", "section": "章节", "lead": "牵头单位",
                 "partners": "配合单位", "units": "责任单位"}
TABLE_HIDDEN = {"doc_id", "start", "end"}
# characters XML 1.0 (and so Word) cannot hold; python-docx raises on them
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text) -> str:
    return _XML_BAD.sub("", "" if text is None else str(text))


def _new_document(title: str) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # the East Asian font is a separate attribute
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        st = doc.styles[name]
        st.font.name = FONT
        st.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    doc.core_properties.title = title
    doc.add_heading(_clean(title), level=0)
    p = doc.add_paragraph(f"导出时间：{datetime.now().strftime('%Y-%m-%d %H:%M')}　来源：社区服务政策知识库")
    p.runs[0].font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    return doc


def _table(doc: Document, rows: list[dict]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and k not in TABLE_HIDDEN]
    keys.sort(key=lambda k: {"region": 0, "title": 1}.get(k, 2))
    t = doc.add_table(rows=1, cols=len(keys))
    t.style = "Table Grid"
    for cell, k in zip(t.rows[0].cells, keys):
        cell.text = TABLE_HEADERS.get(k, k)
        cell.paragraphs[0].runs[0].bold = True
    for r in rows:
        cells = t.add_row().cells
        for cell, k in zip(cells, keys):
            v = r.get(k, "")
            if isinstance(v, (list, tuple)):
                v = "、".join(map(str, v))
            if k == "n" and isinstance(v, int):
                v = f"[{v}]" if v else ""
            cell.text = _clean(v)


def _passage_paragraphs(doc: Document, text: str) -> None:
    """The cited text; its `| a | b |` lines (indicator tables) become a Word table."""
    lines = _clean(text).split("\n")
    i = 0
    while i < len(lines):
        if _is_table_line(lines[i]):
            j = i
            while j < len(lines) and _is_table_line(lines[j]):
                j += 1
            rows = [_cells(l) for l in lines[i:j] if not _is_rule(l)]
            width = max(len(r) for r in rows)
            t = doc.add_table(rows=0, cols=width)
            t.style = "Table Grid"
            for r in rows:
                cells = t.add_row().cells
                for cell, v in zip(cells, r + [""] * (width - len(r))):
                    cell.text = v
            i = j
            continue
        if lines[i].strip():
            p = doc.add_paragraph(lines[i].strip(), style="Quote" if "Quote" in doc.styles else None)
            p.paragraph_format.left_indent = Pt(18)
        i += 1


def _is_table_line(line: str) -> bool:
    s = line.strip()
    return len(s) >= 3 and s.startswith("|") and s.endswith("|")


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"\|?(\s*:?-{3,}:?\s*\|)+\s*", line.strip()))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip()[1:-1].split("|")]


def _add_answer(doc: Document, item: dict, heading_level: int = 1, number: int | None = None) -> None:
    q = item.get("question") or ""
    doc.add_heading(_clean(f"{number}. 问：{q}" if number else f"问：{q}"), level=heading_level)
    if item.get("error"):
        doc.add_paragraph(_clean(f"无法回答：{item['error']}"))
        return
    cits = item.get("citations") or []
    if item.get("abstained"):
        doc.add_paragraph("（知识库中没有找到能直接回答这个问题的段落）").runs[0].italic = True
    doc.add_heading("回答", level=heading_level + 1)
    for line in labelled_lines(item.get("answer") or "", cits):
        if line.strip():
            p = doc.add_paragraph(_clean(line.strip()))
            if line[:1].isspace():
                p.paragraph_format.left_indent = Pt(18)
    if item.get("table"):
        _table(doc, item["table"])
    if cits:
        doc.add_heading("出处", level=heading_level + 1)
        for c in cits:
            where = "，".join(b for b in (c.get("region"), LEVEL_ZH.get(c.get("level", ""), c.get("level"))) if b)
            p = doc.add_paragraph()
            p.add_run(f"[{c['n']}] ").bold = True
            p.add_run(_clean(f"《{c.get('title', '')}》" + (f"（{where}）" if where else ""))).bold = True
            if c.get("section"):
                doc.add_paragraph(_clean(f"章节：{c['section']}"))
            _passage_paragraphs(doc, c.get("text", ""))
    related = item.get("related") or []
    if item.get("abstained") and related:
        doc.add_heading("可能相关", level=heading_level + 1)
        for h in related:
            doc.add_paragraph(_clean(f"《{h.get('title', '')}》 {h.get('section', '')}"))
            _passage_paragraphs(doc, h.get("text", ""))


def _save(doc: Document, path: str | Path) -> Path:
    """Written to a temporary name, then renamed: a download never gets a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".docx", dir=path.parent)
    os.close(fd)
    try:
        doc.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def answer_docx(item: dict, path: str | Path) -> Path:
    """One answer (kb.present.answer_json dict) as a .docx."""
    doc = _new_document("政策问答")
    _add_answer(doc, item)
    return _save(doc, path)


def history_docx(items: list[dict], path: str | Path, title: str = "政策问答记录") -> Path:
    """Every answer of a conversation, in order, as one .docx."""
    doc = _new_document(title)
    if not items:
        doc.add_paragraph("（对话中还没有回答）")
    for i, item in enumerate(items, 1):
        _add_answer(doc, item, heading_level=1, number=i)
    return _save(doc, path)
