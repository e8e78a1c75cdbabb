"""Citing what the structure parser found: the passage and span of a task's clause, of a document's
metadata value, or of its title."""
from __future__ import annotations

import re

from ...evidence import clean_span
from ...types import Passage
from ..context import passage_at


def find_loose(text: str, value: str, start: int = 0) -> tuple[int, int] | None:
    """Where value occurs in text, ignoring whitespace (PDF extractions space out 珠民〔2023〕5 号)."""
    chars = [re.escape(c) for c in value if not c.isspace()]
    if not chars:
        return None
    m = re.compile(r"\s*".join(chars)).search(text, start)
    return (m.start(), m.end()) if m else None


def span_citation(engine, doc_id: str, start: int, end: int) -> tuple[Passage, tuple[int, int]] | None:
    p = passage_at(engine, doc_id, start, end)
    if p is None:
        return None
    a, e = max(0, start - p.start), min(len(p.text), end - p.start)
    return p, clean_span(p.text, a, e)


def clause_citation(engine, task: dict) -> tuple[Passage, tuple[int, int]] | None:
    """The passage holding a task's responsibility clause (else the task's start), and its span."""
    text = engine.doc_text(task["doc_id"])
    clause = task.get("clause") or ""
    lo = max(0, task["start"] - 5)
    if clause:
        at = find_loose(text, clause, lo)
        if at is None:
            head = find_loose(text, clause[:24], lo)
            at = (head[0], min(len(text), head[0] + len(clause))) if head else None
        if at is not None:
            return span_citation(engine, task["doc_id"], *at)
    return span_citation(engine, task["doc_id"], task["start"], min(task["end"], task["start"] + 80))


def in_text(engine, doc_id: str, value: str) -> tuple[Passage, tuple[int, int]] | None:
    """The cited span where a metadata value is written in the document, if it is."""
    if not value:
        return None
    at = find_loose(engine.doc_text(doc_id), value)
    return span_citation(engine, doc_id, *at) if at else None
