"""What a term means, what is done about something, anything else: the sentences that answer it,
quoted; for measures, the body of the task the question is about, in document order."""
from __future__ import annotations

from ...types import Hit
from ..build import Builder
from ..context import Context, merge_hits, passage_at
from .. import terms
from ..select import best_sentences, rank_tasks, sentence_spans, task_sentences
from .responsibility import heading_of


def definition_hits(ctx: Context) -> list[Hit]:
    """Retrieval plan of definitions: the passage that spells a quoted term out may share nothing else
    with the question, so the term is searched on its own too."""
    from ..select import QUOTED

    ctx.prefetch(*QUOTED.findall(ctx.text))
    hits = ctx.search()
    for term in QUOTED.findall(ctx.text):
        hits = merge_hits(hits, ctx.search(term, top_k=3))
    return hits


def coined_term(ctx: Context) -> Builder | None:
    """「“五社联动”是指什么？」: the sentence that spells the coined term out (kb/answer/terms.py), cited; an
    exact answer, since that sentence states what the term stands for."""
    b = Builder(ctx.text, ctx.qtype)
    found = [w for term in terms.asked_terms(ctx.engine, ctx.text)
             for w in terms.spellings(ctx.engine, term, ctx.doc_ids())[:3]]
    several = len({d for d, _ in found}) > 1
    for doc_id, off in found:
        p = passage_at(ctx.engine, doc_id, off)
        span = next(((a, e) for a, e in sentence_spans(p) if a <= off - p.start < e), None) if p else None
        if span:
            b.quote("quote", f"【{p.region}】" if several and p.region else "", p, span)
    b.exact = not b.empty
    return None if b.empty else b


def sentences_answer(ctx: Context, qtype: str | None = None) -> Builder | None:
    b = Builder(ctx.text, qtype or ctx.qtype)
    pool = ctx.hits if ctx.qtype == "definition" else ctx.hits[:5]
    chosen = best_sentences(ctx, pool, limit=3)
    several = len({p.doc_id for p, _ in chosen}) > 1
    for p, span in sorted(chosen, key=lambda x: (x[0].doc_id, x[0].start + x[1][0])):
        b.quote("quote", f"【{p.region}】" if several and p.region else "", p, span)
    return None if b.empty else b


def measures(ctx: Context) -> Builder | None:
    ranked = rank_tasks(ctx, ctx.hits[:5])
    if not ranked:
        return None
    p = ranked[0][1].passage
    b = Builder(ctx.text, ctx.qtype)
    b.add("heading", f"《{p.title}》{heading_of(p)}：")
    body = task_sentences(ctx, p)
    for x, span in body:
        b.quote("quote", "", x, span)
    # The sentences that answer the question best, wherever they are: a question in everyday words often
    # lands on a neighbouring task first, and the sentence it asks about is then shown too.
    inside = {(x.doc_id, x.start + a) for x, (a, _e) in body}
    extra = [(x, sp) for x, sp in best_sentences(ctx, ctx.hits[:5], limit=2, exclude_clause=True)
             if x.task_id != p.task_id and (x.doc_id, x.start + sp[0]) not in inside]
    for x, span in extra:
        b.quote("quote", f"另见《{x.title}》{heading_of(x)}：", x, span)
    return None if b.empty else b
