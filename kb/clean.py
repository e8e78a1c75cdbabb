"""Extraction dirt -> clean text, keeping a map from every clean character to the raw text.

Each pass is a regex substitution applied through `_sub`, which carries the offset map along, so
a passage cut from the clean text can always be shown at its place in the original file.
Run `python -m kb.clean FILE` to print a file's cleaned text.
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from .types import CleanText

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters next to which a space is extraction noise, not a word separator.
CJK_OR_PUNCT = CJK + "\u3000-\u303f\uff00-\uffef“”‘’—…·《》【】〔〕、,.:;()%!?<>\\[\\]/-"


def _sub(ct: CleanText, pattern: re.Pattern, repl) -> CleanText:
    """re.sub that keeps offsets: replacement char i maps to raw position of match char min(i, len-1).
    repl None: delete the spaces inside each match (each kept character keeps its own offset)."""
    out, offs, pos = [], [], 0
    text, offsets = ct.text, ct.offsets
    if repl is None:
        drop = {i for m in pattern.finditer(text) for i in range(*m.span()) if text[i] == " "}
        if not drop:
            return ct
        keep = [i for i in range(len(text)) if i not in drop]
        return CleanText("".join(text[i] for i in keep), [offsets[i] for i in keep])
    for m in pattern.finditer(text):
        s, e = m.span()
        out.append(text[pos:s])
        offs.extend(offsets[pos:s])
        r = repl(m) if callable(repl) else m.expand(repl)
        if r:
            out.append(r)
            anchor = offsets[s:e] or [offsets[s] if s < len(offsets) else (offsets[-1] + 1 if offsets else 0)]
            offs.extend(anchor[min(i, len(anchor) - 1)] for i in range(len(r)))
        pos = e
    out.append(text[pos:])
    offs.extend(offsets[pos:])
    return CleanText("".join(out), offs)


def _rx(p: str, flags: int = 0) -> re.Pattern:
    return re.compile(p, flags)


M = re.MULTILINE
DATA = tomllib.loads((Path(__file__).resolve().parent / "data" / "clean.toml").read_text(encoding="utf-8"))


def _any_line(patterns: list[str]) -> re.Pattern:
    """A whole line (not a `| table row |`) that matches any of the patterns."""
    return _rx(rf"^(?=[^\n]{{0,{DATA['furniture_max_chars']}}}$)[ ]*(?!\|)(?:{_line_alts(patterns)})[ ]*$", M)


def _line_alts(patterns: list[str]) -> str:
    out = []
    for p in patterns:
        body = p[1:] if p.startswith("^") else r"[^\n]*?" + p
        body = body[:-1] if body.endswith("$") and not body.endswith("\\$") else body + r"[^\n]*"
        out.append(f"(?:{body})")
    return "|".join(out)


HEADING_START = _rx(DATA["heading_start"])


def starts_block(line: str) -> bool:
    """Whether a line opens a heading or block (then a wrapped line above it is not joined to it)."""
    from .genre import genre  # the heading grammar's own marker table

    return bool(HEADING_START.match(line)) or any(m.rx.match(line) for m in genre().markers)
SENTENCE_END = tuple(DATA["sentence_end"])
PAGE_NUMBER_LINE = _rx("|".join(f"(?:{p.lstrip('^').rstrip('$')})" for p in DATA["page_number_lines"]))
PASSES: list[tuple[str, re.Pattern, str | None]] = [
    ("newlines", _rx(r"\r\n?"), "\n"),
    ("zero-width", _rx("[\u200b-\u200d\ufeff]"), ""),
    ("page breaks", _rx("\f"), "\n\f\n"),  # a PDF page break becomes a line of its own (see _drop_page_furniture)
    ("odd spaces", _rx("[\xa0\u3000\u2002-\u200a\u202f\u205f\t\v]"), " "),
    # .docx/.pdf extractions start with the file name on a line of its own.
    ("file-name line", _rx(r"\A[^\n]{1,160}\.(?:docx?|pdf|wps|txt|html?)[ ]*\n", re.I), ""),
    # Web-page furniture (breadcrumbs, counters, share/print widgets, site footers) and the reference lines
    # citation databases add: whole lines, listed in kb/data/clean.toml.
    ("web furniture", _any_line(DATA["web_furniture"]), ""),
    # reference codes run into the text go first, so the whole-line rule below never takes text with them
    ("inline boilerplate", _rx("|".join(f"(?:{p})" for p in DATA["inline_boilerplate"])), ""),
    ("citation boilerplate", _any_line(DATA["citation_boilerplate"]), ""),
    # Markdown table rule lines (|---|:--:|) carry no text.
    ("markdown table rules", _rx(r"^[ ]*\|?[ ]*:?-{3,}:?[ ]*(?:\|[ ]*:?-{3,}:?[ ]*)*\|?[ ]*$", M), ""),
    ("table pipes", _rx(r"^[ |]*\|[ |]*$", M), ""),
    ("issue number", _rx(r"^第[一二三四五六七八九十\d]+期[ ]*$", M), ""),
    ("attachment links", _rx(r"^(?:附件\d*\.(?:docx?|pdf|xlsx?))+[ ]*$", M), ""),
    ("bullets", _rx(r"^[ ]*[•·][ ]*", M), ""),
    # PDF page markers: "/ 3 /", "- 18 -" standing between spaces or at line ends.
    # Run into the text of a one-line extraction they keep their inner spaces ("】/ 3 /2.", "，- 4 -开展").
    ("page markers", _rx(r"(?:(?<=\s)|^)(?:[/／][ ]*\d{1,3}[ ]*[/／]|[-－—][ ]*\d{1,3}[ ]*[-－—])(?=\s|$)"
                         r"|(?<![/／\-－—])(?:[/／] \d{1,3} [/／]|[-－—] \d{1,3} [-－—])(?![/／\-－—])", M), ""),
    # Letter-spaced titles and names ("关 于 印 发", "珠 海 市 民 政 局") in otherwise unspaced text:
    # four or more single characters each separated by one space.
    ("letter-spaced run", _rx(rf"(?<![{CJK}])[{CJK}](?:[ ][{CJK}](?![{CJK}])){{3,}}"), None),
    # "1 .优化" in .docx exports: a list number split from its dot.
    ("spaced list number", _rx(rf"(?<=\d)[ ]+(?=[.．][ ]*[{CJK}])"), ""),
    # OCR artefacts of the .docx export: "80%o" is "80%。", "31Bo" is "31日。", "比例250%" is "比例≥50%".
    ("ocr %o", _rx(r"(?<=\d%)o(?=[^A-Za-z]|$)"), "。"),
    ("ocr Bo", _rx(r"(?<=\d)Bo(?=[^A-Za-z]|$)"), "日。"),
    ("ocr >=", _rx(r"(?<=[率例])2(?=(?:100|[1-9]?\d)(?:\.\d+)?%)"), "≥"),
    ("ocr stray I", _rx(rf"(?<=[{CJK}])[Il](?=[,，。;；])"), ""),
    ("line ends", _rx(r"^[ ]+|[ ]+$", M), ""),
    ("blank lines", _rx(r"\n{2,}"), "\n"),
]

# PDF text puts spaces between CJK characters and at line breaks; there a space next to CJK or
# punctuation is never a word separator. Elsewhere spaces separate the columns of flattened
# tables, so this pass only runs on text that is spaced throughout (judged in clean_text).
SPACED = ("spaces near CJK", _rx(rf"(?<=[{CJK_OR_PUNCT}])[ ]+|[ ]+(?=[{CJK_OR_PUNCT}])"), "")
SPACED_RATIO = 0.005


# Word's typographic space after a chapter or article marker and after an article's title
# (「第四条　职责分工　县民政局负责…」) is layout, not PDF spacing: not counted when judging a document spaced.
MARKER_SPACE = _rx(r"^(第[一二三四五六七八九十百零〇\d]{1,5}[条章节篇])[ ]+(?:([\u4e00-\u9fff]{2,12})[ ]+)?", M)


def is_spaced(text: str) -> bool:
    text = MARKER_SPACE.sub(lambda m: m.group(1) + (m.group(2) or ""), text)
    cjk = len(re.findall(f"[{CJK}]", text)) or 1
    return len(re.findall(f"[{CJK}] [{CJK}]", text)) / cjk > SPACED_RATIO


# A news item that reposts a document ends its preamble with such a line; the body follows.
FULL_TEXT_MARKER = _rx(r"^[^\n]{0,30}(?:以下为|以下是|附)[^\n]{0,20}全文[:：]?[ ]*$|^[^\n]{0,10}全文如下[:：]?[ ]*$", M)


def _drop_preamble(ct: CleanText) -> CleanText:
    m = None
    for m in FULL_TEXT_MARKER.finditer(ct.text):
        break
    if m is None:
        return ct
    cut = m.end() + 1 if m.end() < len(ct.text) and ct.text[m.end()] == "\n" else m.end()
    return CleanText(ct.text[cut:], ct.offsets[cut:])


def _keep_lines(ct: CleanText, keep: list[bool]) -> CleanText:
    """Drop the lines (with their newline) whose flag is False, keeping the offset map."""
    if all(keep):
        return ct
    text_parts, offs, pos = [], [], 0
    for line, k in zip(ct.text.split("\n"), keep):
        end = pos + len(line) + 1  # with its newline
        if k:
            text_parts.append(ct.text[pos:min(end, len(ct.text))])
            offs.extend(ct.offsets[pos:min(end, len(ct.text))])
        pos = end
    return CleanText("".join(text_parts), offs)


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", "".join(line.split()))


def _drop_page_furniture(ct: CleanText) -> CleanText:
    """Page breaks, page numbers, and running headers/footers (short lines that recur at the top or
    bottom of many pages). Pages are split at form feeds (PDF extraction) or, in text copied from a PDF,
    at page-number lines. A running header is kept on the first page, where it is often the title."""
    lines = ct.text.split("\n")
    is_break = [l == "\f" for l in lines]
    is_number = [bool(PAGE_NUMBER_LINE.fullmatch(l.strip())) for l in lines]
    separators = is_break if any(is_break) else is_number
    pages: list[list[int]] = [[]]
    for i, line in enumerate(lines):
        if separators[i]:
            pages.append([])
        elif line.strip() and not is_number[i]:
            pages[-1].append(i)
    pages = [p for p in pages if p]
    keep = [not (is_break[i] or is_number[i]) for i in range(len(lines))]
    for i, brk in enumerate(is_break):  # a page break is not a paragraph break: no blank lines around it
        for j in (i - 1, i + 1):
            if brk and 0 <= j < len(lines) and not lines[j].strip():
                keep[j] = False
    if len(pages) >= 2:
        k = int(DATA["running_edge_lines"])
        edges: dict[str, set[int]] = {}
        for n, page in enumerate(pages):
            for pos, i in enumerate(page):
                if (pos < k or pos >= len(page) - k) and len(lines[i].strip()) <= DATA["running_max_chars"]:
                    edges.setdefault(_furniture_key(lines[i]), set()).add(n)
        need = max(2, -(-len(pages) * DATA["running_min_share"] // 1))
        running = {key for key, where in edges.items() if len(where) >= need}
        for n, page in enumerate(pages):
            for pos, i in enumerate(page):
                if (pos < k or pos >= len(page) - k) and _furniture_key(lines[i]) in running:
                    if not (n == 0 and pos < k):
                        keep[i] = False
    return _keep_lines(ct, keep)


FLAT_HEADER = _rx("(?:" + "|".join(map(re.escape, DATA["flat_table_headers"])) + r")|(?:19|20)\d{2}年.{0,4}值")


def _rebuild_flat_tables(ct: CleanText) -> CleanText:
    """A table flattened to one cell per line (序号 / 工作任务 / 牵头单位 / … then 1 / … / 2 / …) as
    `| cell | cell |` rows again; each row runs from its sequence number to the line before the next one."""
    lines = ct.text.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    out_lines: list[tuple[list[int], int]] = []  # (line indexes of the cells, -1) per output line
    i, changed = 0, False
    limit = DATA["flat_table_max_header_chars"]
    while i < len(lines):
        n = 0
        if lines[i].strip() in DATA["flat_table_first"]:
            n = 1
            while i + n < len(lines) and len(lines[i + n]) <= limit and FLAT_HEADER.search(lines[i + n]) \
                    and not lines[i + n].strip().isdigit():
                n += 1
        if n < 3 or i + n >= len(lines) or lines[i + n].strip() != "1":
            out_lines.append(([i], -1))
            i += 1
            continue
        rows, j, seq = [list(range(i, i + n))], i + n, 1
        while j < len(lines) and lines[j].strip() == str(seq):
            k = j + 1
            # the row ends before the next number, at most a few cells past its width (a cell broken in two)
            while k < len(lines) and k - j < 2 * n and lines[k].strip() != str(seq + 1):
                k += 1
            if k - j > 2 * n - 1 or (k >= len(lines) or lines[k].strip() != str(seq + 1)):
                k = min(j + n, len(lines))  # the last row: its width
                rows.append(list(range(j, k)))
                j = k
                break
            rows.append(list(range(j, k)))
            j, seq = k, seq + 1
        if len(rows) < 2:
            out_lines.append(([i], -1))
            i += 1
            continue
        out_lines += [(r, 1) for r in rows]
        changed, i = True, j
    if not changed:
        return ct
    text, offs = [], []
    for n, (cells, table) in enumerate(out_lines):
        if n:
            text.append("\n")
            offs.append(ct.offsets[starts[cells[0]] - 1])  # the newline before this line
        if table < 0:
            s = starts[cells[0]]
            text.append(lines[cells[0]])
            offs.extend(ct.offsets[s:s + len(lines[cells[0]])])
            continue
        for c in cells:
            s, cell = starts[c], lines[c]
            sep = "| " if c == cells[0] else " | "
            text.append(sep)
            offs.extend([ct.offsets[s] if cell else ct.offsets[s - 1]] * len(sep))
            text.append(cell)
            offs.extend(ct.offsets[s:s + len(cell)])
        last = starts[cells[-1]] + len(lines[cells[-1]]) - 1
        text.append(" |")
        offs.extend([ct.offsets[max(0, last)]] * 2)
    return CleanText("".join(text), offs)


def _width(line: str) -> float:
    """Printed width in CJK characters (Latin letters and digits are half as wide)."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in line)


def wrap_width(lines: list[str]) -> float | None:
    """The line width of text wrapped at a fixed width (a PDF's), or None when lines are paragraphs.

    Wrapped text: most lines are about as wide as the page (none much wider), and those end mid-sentence.
    Paragraph-per-line text: line widths vary with the paragraphs and the wide ones end in 。."""
    body = [l for l in lines if _width(l) >= 4 and not starts_block(l)]
    if len(body) < 5:
        return None
    widths = sorted(_width(l) for l in body)
    w = widths[int(0.8 * (len(widths) - 1))]
    band = [l for l in body if 0.8 * w <= _width(l) <= 1.1 * w]
    wide = [l for l in body if _width(l) > 1.2 * w]
    open_ended = [l for l in band if not l.endswith(SENTENCE_END)]
    wrapped = (w >= 12 and len(band) >= 0.5 * len(body) and len(wide) <= 0.05 * len(body)
               and len(open_ended) >= max(3, 0.5 * len(band)))
    return w if wrapped else None


# A table row drawn as text (「2 | 推进… | 县民政局 |…」) starts with its number and a cell bar: never a wrap.
TABLE_ROW_START = re.compile(r"^\|?[ ]*\d{1,3}[ ]*\|")


def _join_wraps(ct: CleanText) -> CleanText:
    """Join a PDF line wrap: a line about as wide as the page that does not end a sentence, followed
    by a line that is not a heading. Paragraph-per-line text (Word, web, txt) is left alone."""
    lines = ct.text.split("\n")
    w = wrap_width(lines)
    if w is None:
        return ct
    out, offs, pos = [], [], 0
    for n, line in enumerate(lines):
        end = pos + len(line)
        out.append(ct.text[pos:end])
        offs.extend(ct.offsets[pos:end])
        if end < len(ct.text):  # the newline after this line
            nxt = lines[n + 1] if n + 1 < len(lines) else ""
            # a bracketed note pushed onto the next line (a responsibility clause after the task's 。)
            # continues the paragraph too
            join = (line and nxt and not line.startswith("|") and _width(line) >= 0.8 * w
                    and not starts_block(nxt) and not TABLE_ROW_START.match(nxt)
                    and (not line.endswith(SENTENCE_END) or nxt[0] in "（(" and line.endswith("。")))
            if not join:
                out.append("\n")
                offs.append(ct.offsets[end])
            elif line[-1].isascii() and line[-1].isalnum() and nxt[0].isascii() and nxt[0].isalnum():
                out.append(" ")  # Latin words or numbers either side keep a space
                offs.append(ct.offsets[end])
        pos = end + 1
    return CleanText("".join(out), offs)


def _drop_repeated_paragraphs(ct: CleanText, min_len: int = 20) -> CleanText:
    """A paragraph that occurs again later is dropped at its earlier place (no duplicate passages)."""
    lines = ct.text.split("\n")
    seen_later: set[str] = set()
    keep = [True] * len(lines)
    for i in range(len(lines) - 1, -1, -1):
        key = lines[i].strip()
        if len(key) >= min_len:
            if key in seen_later:
                keep[i] = False
            seen_later.add(key)
    return _keep_lines(ct, keep)


# Tables written as columns — tab-separated (a spreadsheet pasted into .txt) or aligned with runs of spaces (a
# fixed-width export) — become `| cell |` lines, the one table form the structure parser reads; otherwise the
# space passes and the PDF wrap joining below would run their cells together. A block needs two such lines.
COL_GAP = re.compile(r"\t|[ \u3000]{2,}")


def _col_cells(line: str) -> list[tuple[int, int]] | None:
    """(start, end) of the cells of a column line, or None."""
    body = line.rstrip()
    if "\t" in body:
        spans, a = [], 0
        for m in re.finditer(r"\t", body):
            spans.append((a, m.start()))
            a = m.end()
        spans.append((a, len(body)))
        spans = [(x, y) for x, y in spans]
        return spans if len(spans) >= 3 and sum(1 for x, y in spans if body[x:y].strip()) >= 2 else None
    lead = len(body) - len(body.lstrip(" \u3000"))
    spans, a = [], lead
    for m in re.finditer(r"[ \u3000]{2,}", body[lead:]):
        spans.append((a, lead + m.start()))
        a = lead + m.end()
    spans.append((a, len(body)))
    # an indented line with one cell continues a row whose cell wrapped (its column says which cell)
    return spans if len(spans) >= 2 or (lead >= 2 and body.strip()) else None


def _disp(s: str) -> int:
    return sum(1 if ord(ch) < 0x2E80 else 2 for ch in s)


def _column_rows(ct: CleanText) -> CleanText:
    lines = ct.text.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    cells = [_col_cells(l) for l in lines]
    out, offs = [], []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and cells[j] is not None:
            j += 1
        # a block: two lines or more, the first (the header) with three cells or more
        if j - i >= 2 and len(cells[i]) >= 3 and \
                all(len(lines[i][x:y].strip()) <= DATA["column_header_max"] for x, y in cells[i]) and \
                not re.search(r"[:：|]", lines[i]):  # 「发布时间：…  来源：…」 is page furniture, not a header
            tabbed = "\t" in lines[i]
            head = [_disp(lines[i][:x]) for x, _ in cells[i]]
            for k in range(i, j):
                line, sp = lines[k], cells[k]
                slots: list[list[tuple[int, int]]] = [[] for _ in head]
                for n, (x, y) in enumerate(sp):
                    if not line[x:y].strip():
                        continue
                    if tabbed:
                        col = min(n, len(head) - 1)
                    else:  # the header column whose start is nearest
                        d = _disp(line[:x])
                        col = min(range(len(head)), key=lambda c: abs(head[c] - d))
                    slots[col].append((x, y))
                base = starts[k]
                out.append("|")
                offs.append(ct.offsets[base] if base < len(ct.offsets) else 0)
                for sl in slots:
                    out.append(" ")
                    offs.append(offs[-1])
                    for m, (x, y) in enumerate(sl):
                        if m:
                            out.append(" ")
                            offs.append(ct.offsets[base + x - 1])
                        out.append(line[x:y])
                        offs.extend(ct.offsets[base + x:base + y])
                    out.append(" |")
                    offs.extend([offs[-1]] * 2)
                if k + 1 < len(lines):
                    out.append("\n")
                    offs.append(ct.offsets[base + len(line)])
            i = j
            continue
        k = i if j == i else i
        for k in range(i, max(j, i + 1)):
            base = starts[k]
            end = base + len(lines[k]) + (1 if k + 1 < len(lines) else 0)
            out.append(ct.text[base:end])
            offs.extend(ct.offsets[base:end])
        i = max(j, i + 1)
    return CleanText("".join(out), offs)


def clean_text(raw: str) -> CleanText:
    ct = CleanText(raw, list(range(len(raw))))
    for name, pattern, repl in PASSES:
        if name == "odd spaces":
            ct = _column_rows(ct)
        # judged once furniture and letter-spaced titles are gone, so that they do not tip a document
        if name == "ocr %o" and is_spaced(ct.text):
            ct = _sub(ct, SPACED[1], SPACED[2])
        if name == "blank lines":
            ct = _join_wraps(ct)  # lines are trimmed now; blank lines still mark paragraph ends
        ct = _sub(ct, pattern, repl)
        if name == "page breaks":
            ct = _drop_page_furniture(ct)
    ct = _rebuild_flat_tables(ct)
    ct = _drop_preamble(ct)
    ct = _drop_repeated_paragraphs(ct)
    # Trim leading/trailing newlines left by removed lines.
    s = len(ct.text) - len(ct.text.lstrip("\n"))
    e = len(ct.text.rstrip("\n"))
    return CleanText(ct.text[s:e], ct.offsets[s:e])


TITLE_WORDS = re.compile(r"(规划|方案|意见|通知|办法|决定|条例|规定|纲要|计划|细则|指南)")


def infer_title(text: str) -> str:
    """The first short line that reads like a policy title; else the first line, shortened."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    for line in lines[:15]:
        if len(line) <= 60 and TITLE_WORDS.search(line) and not line.endswith(("。", ":", "：")):
            return line
    first = lines[0] if lines else ""
    m = re.match(r"^(.{4,60}?(?:规划|方案|意见|通知|办法))", first)
    return m.group(1) if m else first[:40]


def main(argv: list[str]) -> int:
    from .ingest import IngestError, read_text

    if not argv:
        print("usage: python -m kb.clean FILE [FILE …]", file=sys.stderr)
        return 2
    for name in argv:
        try:
            sys.stdout.write(clean_text(read_text(Path(name))).text + "\n")
        except IngestError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
