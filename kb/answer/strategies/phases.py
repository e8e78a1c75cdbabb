"""The phases of a plan (「(一)第一阶段:部署安排(2021年2月20日—3月20日)」): when each runs and what is
done in it, from the headings the parser found (GENRE.md 'When': work arranged in stages with dates)."""
from __future__ import annotations

import re

from ...types import Passage
from ..build import Builder
from ..context import Context
from ..select import sentence_spans

PHASE_HEADING = re.compile(r"阶段")
ORDINAL = re.compile(r"第[一二三四五六七八九十\d]+阶段")
LABEL = re.compile(r"阶段[:：]?\s*([^(（]{2,12})")


def phase_headings(ctx: Context) -> list[tuple[str, Passage]]:
    """(heading, first passage under it) for every phase heading of the documents in scope, in order."""
    docs = set(ctx.doc_ids())
    out, seen = [], set()
    for p in ctx.engine.passages:
        if p.doc_id not in docs or not p.section_path:
            continue
        h = p.section_path[-1]
        if PHASE_HEADING.search(h) and re.search(r"\d", h) and (p.doc_id, h) not in seen:
            seen.add((p.doc_id, h))
            out.append((h, p))
    return out


def asked(ctx: Context, heading: str, p: Passage, by_ordinal: bool) -> bool:
    """The question names this phase: by its ordinal (第三阶段), or else by a word of its label (全面推进)
    that is not a word of the document's title (试点 names the whole 试点方案, not its 试点示范 phase)."""
    o = ORDINAL.search(heading)
    if by_ordinal:
        return bool(o and o.group(0) in ctx.text)
    m = LABEL.search(heading)
    label = m.group(1).strip() if m else ""
    return any(label[i:i + 2] in ctx.text and label[i:i + 2] not in p.title for i in range(len(label) - 1))


def phase_info(ctx: Context) -> Builder | None:
    items = phase_headings(ctx)
    if not items:
        return None
    by_ordinal = bool(ORDINAL.search(ctx.text))
    chosen = [x for x in items if asked(ctx, x[0], x[1], by_ordinal)] or items
    b = Builder(ctx.text, "phase")
    b.exact = True
    for heading, p in chosen:
        at = p.text.find(heading[:12])
        if at < 0:
            continue
        b.quote("heading", "", p, (at, at + len(heading)))
        body = [(a, e) for a, e in sentence_spans(p) if a >= at + len(heading)][:2]
        for a, e in body:
            b.quote("measure", "  ", p, (a, e))
    if b.empty:
        return None
    return b
