"""What is due by a date: the tasks whose deadline falls on or before the asked date — the parser's
task deadlines where it gives them, else the dated sentences of the text (到2022年底, 2025年底前…) —
per document, each quoted and cited, soonest first."""
from __future__ import annotations

import re

from ...types import Passage
from .. import cues
from ..build import Builder
from ..context import Context, doc_region
from ..select import sentence_spans
from .structure_cite import clause_citation

MAX_LINES = 12


def asked_date(text: str) -> tuple[int, int] | None:
    """(year, month) the question asks about; month 12 when it says 年底 or nothing."""
    m = re.search(r"(20\d\d)\s*年(?:\s*(\d{1,2})\s*月)?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 12)


def due_dates(sentence: str) -> list[tuple[int, int]]:
    """(year, month) of each deadline a sentence states; a base year (2020年基期, 2019年以来) is none."""
    rx, not_after, due = cues.rx("deadline"), cues.rx("deadline", "not_after"), cues.rx("deadline", "due_words")
    out = []
    for m in rx.finditer(sentence):
        after = sentence[m.end():m.end() + 8]
        if not_after.match(after) or re.match(r"\s*[-—~至]\s*20\d\d", after):
            continue  # a base year or a period (2021—2025年), not a due date
        marked = m.group(0).lstrip().startswith(("到", "至", "在", "于")) or m.group("tail")
        if not marked and not due.search(after):
            continue
        out.append((int(m.group("year")), int(m.group("month") or 12)))
    return out


def due_label(quote: str, year: int, month: int) -> str:
    """The date as the text states it: 2022年底前, 2024年6月底前, 到2025年 (not more precise than written)."""
    m = re.search(rf"{year}\s*年(?:\s*{month}\s*月)?(\s*(?:年?底|末))?", quote)
    if m and re.search(rf"{year}\s*年\s*{month}\s*月", m.group(0)):
        return f"{year}年{month}月{'底' if m.group(1) else ''}前"
    if m and m.group(1):
        return f"{year}年底前"
    return f"到{year}年"


def task_deadline(task: dict) -> tuple[int, int] | None:
    dates = due_dates(task.get("deadline") or "")
    return max(dates) if dates else None


def deadline_items(ctx: Context, until: tuple[int, int]) -> list[tuple[tuple[int, int], Passage, tuple[int, int], str]]:
    """(date, passage, span, heading) of what is due by `until` in the documents in scope: the dated
    sentences of the text, and the tasks whose parsed deadline (issue 7: task['deadline']) no sentence
    of theirs states (cited to their clause)."""
    docs = set(ctx.doc_ids())
    tasks = [(t, task_deadline(t)) for t in ctx.engine.tasks if t["doc_id"] in docs]
    due_tasks = [(t, d) for t, d in tasks if d and d <= until]
    covered: set[int] = set()
    items, seen = [], []
    for p in ctx.engine.passages:
        if p.doc_id not in docs:
            continue
        for a, e in sentence_spans(p):
            dates = [d for d in due_dates(p.text[a:e]) if d <= until]
            at = p.start + a
            if not dates or any(doc == p.doc_id and abs(x - at) < 3 for doc, x in seen):
                continue  # overlapping passages hold the same sentence
            seen.append((p.doc_id, at))
            items.append((max(dates), p, (a, e), p.section_path[-1] if p.section_path else ""))
            covered.update(i for i, (t, _d) in enumerate(due_tasks)
                           if t["doc_id"] == p.doc_id and t["start"] <= at < t["end"])
    for i, (t, d) in enumerate(due_tasks):
        if i not in covered:
            cited = clause_citation(ctx.engine, t)
            if cited:
                items.append((d, cited[0], cited[1], t.get("heading", "")))
    # the asked date first (what falls due then), then earlier ones
    items.sort(key=lambda x: (x[0] != until, -x[0][0], x[1].doc_id, x[1].start + x[2][0]))
    return items


def around_date(text: str, span: tuple[int, int], year: int, limit: int = 90) -> tuple[int, int]:
    """A long run-on sentence quoted from the clause that states the date, up to `limit` characters."""
    a, e = span
    if e - a <= limit:
        return span
    m = re.search(rf"(?:到|至|在|于)?\s*{year}\s*年", text[a:e])
    if not m:
        return span
    cut = max(text.rfind(c, a, a + m.start()) for c in "，,；;")
    start = cut + 1 if cut >= a else a + m.start()
    end = min(e, start + limit)
    stop = max(text.rfind(c, start, end) for c in "，,；;。")
    return start, (stop if stop > start + 10 and end < e else end)


def due_by(ctx: Context) -> Builder | None:
    until = asked_date(ctx.text)
    if until is None:
        return None
    b = Builder(ctx.text, "deadline")
    b.exact = True
    items = deadline_items(ctx, until)
    if not items:
        b.decline = f"现有政策文件中未找到{until[0]}年{'' if until[1] == 12 else f'{until[1]}月'}前要完成的任务。"
        b.type_score = None
        return b
    for (y, mth), p, span, heading in items[:MAX_LINES]:
        span = around_date(p.text, span, y)
        region = doc_region(ctx.engine, p.doc_id)
        when = due_label(p.text[span[0]:span[1]], y, mth)
        b.quote("task", f"【{region}】{when}｜{heading} —— ", p, span)
        b.table.append({"doc_id": p.doc_id, "title": p.title, "region": region, "section": p.section,
                        "deadline": when, "n": b.statements[-1].n})
    if len(items) > MAX_LINES:
        b.add("note", f"…共{len(items)}项，以上列出{MAX_LINES}项。")
    return b
