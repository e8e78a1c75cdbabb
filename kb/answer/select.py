"""Choosing evidence inside passages: tasks ranked for a question, the sentences that answer it, and
the sentence-level dense similarity the gate reads."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..evidence import clean_span, coverage, defines
from ..evidence import sentence_spans as text_sentence_spans
from ..types import Hit, Passage
from .context import Context, passage_at, task_passages, task_text

QUOTED = re.compile(r"[“\"]([^”\"]{2,20})[”\"]")
CLAUSE = re.compile(r"责任(单位|部门)")
MAX_TASK_SENTENCES = 8
SELECTION_FILE = Path(__file__).resolve().parent.parent / "data" / "selection.json"


def sentence_spans(p: Passage) -> list[tuple[int, int]]:
    """The sentences of a passage (trimmed), at least 6 characters long."""
    return text_sentence_spans(p.text)


def dense_scores(ctx: Context, items: list[tuple[Passage, tuple[int, int]]]) -> np.ndarray:
    """Cosine of the question to each sentence (vectors cached by the engine's embedding cache)."""
    if not items:
        return np.zeros(0, np.float32)
    vecs = ctx.engine.sentence_vectors([p.text[a:e] for p, (a, e) in items])
    return vecs @ ctx.qvec


@lru_cache(maxsize=1)
def selection() -> dict:
    return json.loads(SELECTION_FILE.read_text(encoding="utf-8"))


def dense_bonus(ctx: Context, items, w: float | None = None) -> np.ndarray:
    """What meaning adds to a sentence's word coverage: its cosine to the question above the pool's
    mean, in units of the pool's spread, times a weight (kb/data/selection.json). Paraphrased questions
    share few words with the sentence that answers them; their meaning still does."""
    w = selection()["sentence_dense_weight"] if w is None else w
    if not items or not w:
        return np.zeros(len(items))
    sims = dense_scores(ctx, items)
    sd = float(sims.std()) or 1.0
    return w * np.clip((sims - sims.mean()) / sd, 0, None)


def best_sentences(ctx: Context, hits: list[Hit], limit: int = 3, exclude_clause: bool = False,
                   groups=None) -> list[tuple[Passage, tuple[int, int]]]:
    """The sentences of the hits that cover most of the question, de-duplicated by document offset."""
    groups = ctx.groups if groups is None else groups
    quoted = QUOTED.findall(ctx.text)
    cands = []
    for rank, h in enumerate(hits):
        p = h.passage
        for a, e in sentence_spans(p):
            s = p.text[a:e]
            if exclude_clause and CLAUSE.search(s):
                continue
            if p.section_path and s.rstrip("。") in p.section_path[-1]:
                continue  # a heading names the topic; the sentences under it say what is done
            cands.append((rank, p, (a, e), s))
    meaning = dense_bonus(ctx, [(p, span) for _r, p, span, _s in cands])
    scored = []
    for (rank, p, (a, e), s), m in zip(cands, meaning):
        score = coverage(groups, s, ctx.voc) + 0.02 * (len(hits) - rank) / max(1, len(hits)) + m
        if any(x in s for x in quoted):
            score += 0.5  # the term the question asks about
            if any(defines(s, x) for x in quoted):
                score += 0.3  # and it is spelled out here
        scored.append((score, p, (a, e)))
    scored.sort(key=lambda x: -x[0])
    out, seen = [], []
    for score, p, (a, e) in scored:
        doc_span = (p.doc_id, p.start + a, p.start + e)
        if any(d == doc_span[0] and not (doc_span[2] <= s or doc_span[1] >= e2) for d, s, e2 in seen):
            continue  # the same sentence from an overlapping passage
        if out and score < 0.5 * scored[0][0]:
            break
        seen.append(doc_span)
        out.append((p, (a, e)))
        if len(out) >= limit:
            break
    return out


def task_relevance(ctx: Context, p: Passage, groups=None, heading_weight: float = 0.5) -> float:
    """How much of the question a task covers, from its own text only (no rank, so it does not move when
    other documents are added): body coverage plus part of the coverage of its heading, since a task whose
    heading names the question's topic is the task about it, not one that mentions it."""
    groups = ctx.groups if groups is None else groups
    head = coverage(groups, p.section_path[-1] if p.section_path else "", ctx.voc) if heading_weight else 0.0
    return coverage(groups, task_text(ctx.engine, p), ctx.voc) + heading_weight * head


def rank_tasks(ctx: Context, hits: list[Hit], need_clause: bool = False, groups=None) -> list[tuple[float, Hit]]:
    """Tasks of the hits, best first: fusion score weighted by how much of the question the task covers
    (in words, and in meaning through its closest sentence); a task hit by several passages gains a little."""
    groups = ctx.groups if groups is None else groups
    tasks: dict[str, tuple[float, Hit]] = {}
    kept = [h for h in hits if not (need_clause and not h.passage.responsibility)]
    items = [(i, (h.passage, sp)) for i, h in enumerate(kept) for sp in sentence_spans(h.passage)]
    bonus = np.zeros(len(kept))
    for (i, _item), v in zip(items, dense_bonus(ctx, [it for _i, it in items], selection()["task_dense_weight"])):
        bonus[i] = max(bonus[i], v)
    for h, m in zip(kept, bonus):
        score = h.score * (0.5 + task_relevance(ctx, h.passage, groups) + m)
        tid = h.passage.task_id or h.passage.pid
        if tid in tasks:
            old, best = tasks[tid]
            tasks[tid] = (max(old, score) + 0.3 * min(old, score), best if old >= score else h)
        else:
            tasks[tid] = (score, h)
    return sorted(tasks.values(), key=lambda x: -x[0])


def task_sentences(ctx: Context, p: Passage) -> list[tuple[Passage, tuple[int, int]]]:
    """The body of a task as its measures: the first sentences plus the ones that match the question,
    in document order, without the heading and the responsibility clause."""
    heading = p.section_path[-1] if p.section_path else ""
    cands = []
    for x in task_passages(ctx.engine, p):
        for a, e in sentence_spans(x):
            text = x.text[a:e]
            if (heading and text.rstrip("。") in heading) or re.search(r"责任(单位|部门)[:：]", text):
                continue
            cands.append((x, (a, e)))
    # Passages overlap, and a passage may end inside a sentence: of overlapping copies keep the longest.
    kept: list[tuple[Passage, tuple[int, int]]] = []
    for x, (a, e) in sorted(cands, key=lambda c: -(c[1][1] - c[1][0])):
        s0, e0 = x.start + a, x.start + e
        if not any(y.start + c < e0 and s0 < y.start + d for y, (c, d) in kept):
            kept.append((x, (a, e)))
    kept.sort(key=lambda c: c[0].start + c[1][0])
    if len(kept) > MAX_TASK_SENTENCES:
        by_cov = sorted(range(3, len(kept)),
                        key=lambda i: -coverage(ctx.groups, kept[i][0].text[slice(*kept[i][1])], ctx.voc))
        keep = set(range(3)) | set(by_cov[:MAX_TASK_SENTENCES - 3])
        kept = [c for i, c in enumerate(kept) if i in keep]
    return kept


def doc_span(engine, doc_id: str, start: int, end: int) -> tuple[Passage, tuple[int, int]] | None:
    """The passage holding [start, end) of a document and the span's offsets within it."""
    p = passage_at(engine, doc_id, start, end)
    if p is None:
        return None
    a = max(0, start - p.start)
    e = min(len(p.text), end - p.start)
    return p, clean_span(p.text, a, e)
