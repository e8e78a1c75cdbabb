"""Pure rendering helpers for the app: every piece of user or document text goes through here.

Two sinks, two escapers:
- ``md_escape`` for text shown by ``gr.Chatbot`` (Markdown): HTML-escaped *and* Markdown
  punctuation backslash-escaped, so ``<script>`` and ``**x**`` both show literally;
- ``esc`` for the HTML we build ourselves (source cards, document view, heading tree).
No function here needs gradio or the engine, so tests/test_ui.py checks them directly.
"""
from __future__ import annotations

import csv
import html
import io
import os
import re
import threading
from pathlib import Path

from ..present import labelled_lines
from ..types import Answer, Citation, Hit, Section

MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")

LEVEL_NAMES = {"省": "省级", "市": "市级", "县": "县级"}

# column titles of Answer.table rows; unknown keys are shown as they are
TABLE_HEADERS = {"region": "地区", "title": "文件", "figure": "内容", "indicator": "指标", "value": "数值",
                 "unit": "单位", "deadline": "期限", "n": "出处", "section": "章节", "lead": "牵头单位",
                 "partners": "配合单位", "units": "责任单位", "role": "职责"}
TABLE_HIDDEN = {"doc_id", "start", "end"}


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def md_escape(text) -> str:
    """Text for a Markdown sink that must show exactly as typed (HTML and Markdown inert)."""
    s = html.escape("" if text is None else str(text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("$", "&#36;")


def merge_spans(spans, length: int) -> list[tuple[int, int]]:
    """Sort, clip to [0, length) and merge overlapping or touching (start, end) spans."""
    out: list[list[int]] = []
    for s, e in sorted((max(0, int(s)), min(length, int(e))) for s, e in spans or []):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def highlight_html(text: str, spans) -> str:
    """Escaped text with each span wrapped in <mark>."""
    parts, pos = [], 0
    for s, e in merge_spans(spans, len(text)):
        parts.append(esc(text[pos:s]))
        parts.append(f'<mark class="kb-ev">{esc(text[s:e])}</mark>')
        pos = e
    parts.append(esc(text[pos:]))
    return "".join(parts)


_TABLE_LINE = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_RULE_LINE = re.compile(r"^[ \t]*\|?(\s*:?-{3,}:?\s*\|)+\s*$")


def passage_html(text: str, spans) -> str:
    """A passage with evidence marked; runs of `| a | b |` lines (how cleaned text keeps an indicator
    table) become an HTML table, the marks carried into its cells."""
    spans = merge_spans(spans, len(text))

    def marked(s: int, e: int) -> str:
        local = [(max(a, s) - s, min(b, e) - s) for a, b in spans if a < e and b > s]
        return highlight_html(text[s:e], local)

    out, pos, i = [], 0, 0
    lines = text.split("\n")
    starts = []
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    plain_from = 0
    while i < len(lines):
        if not _TABLE_LINE.match(lines[i]):
            i += 1
            continue
        j = i
        while j < len(lines) and _TABLE_LINE.match(lines[j]):
            j += 1
        if j - i < 2:  # one |…| line is not a table
            i = j
            continue
        if starts[i] > plain_from:
            out.append(marked(plain_from, starts[i]))
        rows = []
        for k in range(i, j):
            if _RULE_LINE.match(lines[k]):
                continue
            line, base = lines[k], starts[k]
            bars = [m.start() for m in re.finditer(r"\|", line)]
            cells = [f"<td>{marked(base + a + 1, base + b).strip()}</td>" for a, b in zip(bars, bars[1:])]
            rows.append("<tr>" + "".join(cells) + "</tr>")
        out.append('<table class="kb-ind-table">' + "".join(rows) + "</table>")
        plain_from = min(len(text), starts[j - 1] + len(lines[j - 1]) + 1)
        i = j
    if plain_from < len(text) or not out:
        out.append(marked(plain_from, len(text)))
    return "".join(out)


# ------------------------------------------------------------------ chat

def table_markdown(rows: list[dict]) -> str:
    if not rows:
        return ""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and k not in TABLE_HIDDEN]
    keys.sort(key=lambda k: {"region": 0, "title": 1}.get(k, 2))  # stable: the rest keep their order

    def cell(v) -> str:
        if isinstance(v, (list, tuple)):
            v = "、".join(map(str, v))
        if isinstance(v, int) and not isinstance(v, bool):
            return f"\\[{v}\\]" if v else ""
        return md_escape(v).replace("\n", " ")

    head = "| " + " | ".join(md_escape(TABLE_HEADERS.get(k, k)) for k in keys) + " |"
    sep = "| " + " | ".join("---" for _ in keys) + " |"
    body = ["| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def answer_markdown(answer: Answer, turn: int | None = None) -> str:
    """The assistant message: escaped answer text, each line naming its document's place when several
    documents are cited; [n] markers are links to source card n of this turn (#kb-src-<turn>-<n>; the
    page's script scrolls to it), then the table if any."""
    citations = [{"n": c.n, "doc_id": c.passage.doc_id, "region": c.passage.region, "title": c.passage.title}
                 for c in answer.citations]
    lines = []
    for line in labelled_lines(answer.text or "", citations):
        escaped = md_escape(line)
        # md_escape turned "[1]" into "\[1\]"; an HTML link (Markdown's [..](..) would need the brackets
        # unescaped), bold so it stands out
        target = f"kb-src-{turn}-" if turn else "kb-src-"
        escaped = re.sub(r"\\\[(\d+)\\\]",
                         lambda m: f'<a class="kb-marker" href="#{target}{m.group(1)}" data-n="{m.group(1)}"'
                                   f'{f" data-turn={chr(34)}{turn}{chr(34)}" if turn else ""}><strong>\\[{m.group(1)}\\]</strong></a>',
                         escaped)
        lines.append(escaped)
    text = "\n".join(lines)
    if answer.abstained:
        text = "⚠️ " + text
    if answer.table:
        text += "\n\n" + table_markdown(answer.table)
    return text


def _meta_line(p) -> str:
    bits = [b for b in (p.region, LEVEL_NAMES.get(p.level, p.level)) if b]
    return " · ".join(esc(b) for b in bits)


def source_card_html(c: Citation, turn: int | None = None) -> str:
    p = c.passage
    units = ""
    if p.lead_units or p.partner_units:
        units = f'<div class="kb-units">责任单位：{esc("、".join(p.units))}</div>'
    card_id = f"kb-src-{turn}-{c.n}" if turn else f"kb-src-{c.n}"
    return (
        f'<div class="kb-card" id="{card_id}" data-n="{c.n}" data-doc="{esc(p.doc_id)}">'
        f'<div class="kb-card-head"><span class="kb-n">[{c.n}]</span> '
        f'<span class="kb-title">{esc(p.title)}</span></div>'
        f'<div class="kb-meta">{_meta_line(p)}</div>'
        f'<div class="kb-section">{esc(p.section)}</div>'
        f'{units}'
        f'<div class="kb-passage">{passage_html(p.text, c.highlights)}</div>'
        f'</div>'
    )


def related_card_html(h: Hit, i: int) -> str:
    p = h.passage
    return (
        f'<div class="kb-card kb-related" id="kb-rel-{i}" data-doc="{esc(p.doc_id)}">'
        f'<div class="kb-card-head"><span class="kb-badge">可能相关</span> '
        f'<span class="kb-title">{esc(p.title)}</span></div>'
        f'<div class="kb-meta">{_meta_line(p)}</div>'
        f'<div class="kb-section">{esc(p.section)}</div>'
        f'<div class="kb-passage">{passage_html(p.text, [])}</div>'
        f'</div>'
    )


# ------------------------------------------------------------------ documents

def section_ids(root: Section) -> dict[int, str]:
    """A stable anchor id per section (by walk order; the root has none)."""
    return {id(s): f"kb-sec-{i}" for i, s in enumerate(root.walk()) if i > 0}


def tree_html(root: Section) -> str:
    """The heading tree as nested lists of links to the anchors of ``document_html``."""
    ids = section_ids(root)

    def items(sec: Section) -> str:
        if not sec.children:
            return ""
        lis = []
        for c in sec.children:
            cls = ' class="kb-box"' if c.kind == "box" else ""
            lis.append(f'<li{cls}><a href="#{ids[id(c)]}">{esc(c.heading.strip())}</a>{items(c)}</li>')
        return "<ul>" + "".join(lis) + "</ul>"

    out = items(root)
    return f'<nav class="kb-tree">{out or "<p>（本文没有识别出标题层级）</p>"}</nav>'


def document_html(text: str, root: Section, focus: tuple[int, int] | None = None, marks=()) -> str:
    """The cleaned text with headings styled and anchored; ``focus`` (a passage span) is
    highlighted and anchored as #kb-focus, ``marks`` (evidence spans, document offsets) marked
    more strongly inside it. Newlines are kept (white-space: pre-wrap)."""
    n = len(text)
    heads: list[tuple[int, int, int, str]] = []  # start, end, level, anchor id
    ids = section_ids(root)
    for s in root.walk():
        if s is root:
            continue
        hs, he = max(0, s.start), min(n, max(s.body_start, s.start))
        if he < n and text[he] == "\n":
            he += 1  # the heading is shown as a block: its own line break would add an empty line
        heads.append((hs, he, s.level, ids[id(s)]))
    focus_span = None
    if focus is not None:
        fs, fe = max(0, int(focus[0])), min(n, int(focus[1]))
        if fe > fs:
            focus_span = (fs, fe)
    mark_spans = merge_spans(marks, n)

    cuts = {0, n}
    anchors: dict[int, list[str]] = {}
    for hs, he, _, aid in heads:
        cuts.update((hs, he))
        anchors.setdefault(hs, []).append(aid)
    if focus_span:
        cuts.update(focus_span)
    for s, e in mark_spans:
        cuts.update((s, e))
    points = sorted(c for c in cuts if 0 <= c <= n)

    parts = []
    focus_done = False
    for a, b in zip(points, points[1:]):
        for aid in anchors.get(a, []):
            parts.append(f'<span class="kb-anchor" id="{aid}"></span>')
        if focus_span and not focus_done and a >= focus_span[0]:
            parts.append('<span class="kb-anchor" id="kb-focus"></span>')
            focus_done = True
        classes = []
        level = max((lv for hs, he, lv, _ in heads if hs <= a < he), default=0)
        if level:
            classes.append(f"kb-h kb-h{min(level, 4)}")
        if focus_span and focus_span[0] <= a < focus_span[1]:
            classes.append("kb-focus")
        if any(s <= a < e for s, e in mark_spans):
            classes.append("kb-ev")
        chunk = esc(text[a:b])
        parts.append(f'<span class="{" ".join(classes)}">{chunk}</span>' if classes else chunk)
    return f'<div class="kb-doc">{"".join(parts)}</div>'


# ------------------------------------------------------------------ tables and CSV

def filter_rows(rows: list[list], query: str) -> list[list]:
    """Rows in which every whitespace-separated term of ``query`` occurs in some cell."""
    terms = [t.lower() for t in (query or "").split()]
    if not terms:
        return rows
    out = []
    for r in rows:
        blob = "\u0001".join("" if v is None else str(v) for v in r).lower()
        if all(t in blob for t in terms):
            out.append(r)
    return out


_CSV_INJECTION = ("=", "+", "-", "@", "\t", "\r")


def write_csv(path: str | Path, headers: list[str], rows: list[list]) -> Path:
    """UTF-8 with BOM (opens correctly in Excel); cells that a spreadsheet would run as a formula
    get a leading apostrophe."""
    def safe(v):
        s = "" if v is None else str(v)
        return "'" + s if s.startswith(_CSV_INJECTION) else s

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow([safe(v) for v in r])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8-sig")
    os.replace(tmp, path)  # two sessions exporting at once never see a half-written file
    return path


def parse_number(value: str) -> float | None:
    """The first number in a target's figure ("达到40人以上" -> 40.0, "5.5个" -> 5.5)."""
    m = re.search(r"\d+(?:\.\d+)?", value or "")
    return float(m.group()) if m else None
