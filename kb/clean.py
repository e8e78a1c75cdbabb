"""Extraction dirt -> clean text, keeping a map from every clean character to the raw text.

Each pass is a regex substitution applied through `_sub`, which carries the offset map along, so
a passage cut from the clean text can always be shown at its place in the original file.
Run `python -m kb.clean FILE` to print a file's cleaned text.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .types import CleanText

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters next to which a space is extraction noise, not a word separator.
CJK_OR_PUNCT = CJK + "\u3000-\u303f\uff00-\uffef“”‘’—…·《》【】〔〕、,.:;()%!?<>\\[\\]/-"


def _sub(ct: CleanText, pattern: re.Pattern, repl) -> CleanText:
    """re.sub that keeps offsets: replacement char i maps to raw position of match char min(i, len-1)."""
    out, offs, pos = [], [], 0
    text, offsets = ct.text, ct.offsets
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
PASSES: list[tuple[str, re.Pattern, str]] = [
    ("newlines", _rx(r"\r\n?"), "\n"),
    ("zero-width", _rx("[\u200b-\u200d\ufeff]"), ""),
    ("odd spaces", _rx("[\xa0\u3000\u2002-\u200a\u202f\u205f\t\f\v]"), " "),
    # .docx/.pdf extractions start with the file name on a line of its own.
    ("file-name line", _rx(r"\A[^\n]{1,160}\.(?:docx?|pdf|wps|txt|html?)[ ]*\n", re.I), ""),
    # Web-page furniture: breadcrumbs, publish/visit counters, share widgets, CMS footers.
    ("web boilerplate", _rx(
        r"^[^\n]*(?:您当前的位置|当前位置[:：]|字体[:：]?\s*\[|微博推荐|浏览次数|访问量|发布时间[:：]|发布日期[:：]"
        r"|Produced By|投搞|打印\s*收藏|分享到|扫一扫|【关闭】|【打印】)[^\n]*$", M), ""),
    ("table pipes", _rx(r"^[ |]*\|[ |]*$", M), ""),
    ("issue number", _rx(r"^第[一二三四五六七八九十\d]+期[ ]*$", M), ""),
    ("attachment links", _rx(r"^(?:附件\d*\.(?:docx?|pdf|xlsx?))+[ ]*$", M), ""),
    ("bullets", _rx(r"^[ ]*[•·][ ]*", M), ""),
    # PDF page markers: "/ 3 /", "- 18 -" standing between spaces or at line ends.
    ("page markers", _rx(r"(?:(?<=\s)|^)(?:[/／][ ]*\d{1,3}[ ]*[/／]|[-－—][ ]*\d{1,3}[ ]*[-－—])(?=\s|$)", M), ""),
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

# A news item that reposts a document ends its preamble with such a line; the body follows.
# PDF text puts spaces between CJK characters and at line breaks; there a space next to CJK or
# punctuation is never a word separator. Elsewhere spaces separate the columns of flattened
# tables, so this pass only runs on text that is spaced throughout.
SPACED = ("spaces near CJK", _rx(rf"(?<=[{CJK_OR_PUNCT}])[ ]+|[ ]+(?=[{CJK_OR_PUNCT}])"), "")
SPACED_RATIO = 0.005


def is_spaced(text: str) -> bool:
    cjk = len(re.findall(f"[{CJK}]", text)) or 1
    return len(re.findall(f"[{CJK}] [{CJK}]", text)) / cjk > SPACED_RATIO


FULL_TEXT_MARKER = _rx(r"^[^\n]{0,30}(?:以下为|以下是|附)[^\n]{0,20}全文[:：]?[ ]*$|^[^\n]{0,10}全文如下[:：]?[ ]*$", M)


def _drop_preamble(ct: CleanText) -> CleanText:
    m = None
    for m in FULL_TEXT_MARKER.finditer(ct.text):
        break
    if m is None:
        return ct
    cut = m.end() + 1 if m.end() < len(ct.text) and ct.text[m.end()] == "\n" else m.end()
    return CleanText(ct.text[cut:], ct.offsets[cut:])


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
    if all(keep):
        return ct
    text_parts, offs, pos = [], [], 0
    for line, k in zip(lines, keep):
        end = pos + len(line) + 1  # with its newline
        if k:
            text_parts.append(ct.text[pos:min(end, len(ct.text))])
            offs.extend(ct.offsets[pos:min(end, len(ct.text))])
        pos = end
    return CleanText("".join(text_parts), offs)


def clean_text(raw: str) -> CleanText:
    ct = CleanText(raw, list(range(len(raw))))
    passes = list(PASSES)
    if is_spaced(raw):
        passes.insert(passes.index(next(p for p in passes if p[0] == "ocr %o")), SPACED)
    for _name, pattern, repl in passes:
        ct = _sub(ct, pattern, repl)
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
