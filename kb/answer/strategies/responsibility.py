"""Who is responsible: the units of the task the question is about, one task per document, with the
task's sentence that shows which task it is; a lead named in prose (「由民政、发展改革部门牵头」) is
quoted when it covers the question better than any clause."""
from __future__ import annotations

import re

from ...evidence import coverage
from ...types import Hit, Passage
from .. import cues
from ..build import Builder
from ..context import Context, doc_region, task_passages, task_text
from ..select import best_sentences, rank_tasks, sentence_spans, task_relevance


def topic_query(ctx: Context, text: str | None = None) -> str:
    """What to search for: the words that ask "who" are dropped, since every task has a responsibility
    clause and matching them would rank clause-only passages above the topic."""
    from ...query import TYPE_CUES

    text = text or ctx.text
    topic = dict(TYPE_CUES)["responsibility"].sub(" ", text)
    topic = re.sub(r"(由|是|归|找|这事|这项任务|这件事|这些工作)?[？?]*$", "", topic).strip()
    return topic if len(topic) >= 2 else text


def heading_of(p: Passage) -> str:
    return p.section_path[-1] if p.section_path else ""


def cue_sentence(ctx: Context, hits: list[Hit]):
    """The sentence of the hits that says who leads or answers for something and covers the question best."""
    best = None
    lead_cue = cues.rx("lead_cue")
    for h in hits:
        p = h.passage
        for a, e in sentence_spans(p):
            text = p.text[a:e]
            if not lead_cue.search(text) or re.search(r"责任(单位|部门)[:：]", text):
                continue
            c = coverage(ctx.groups, text, ctx.voc)
            # Asked who leads (牵头): a sentence that names a lead comes before one that does not.
            key = (("牵头" in ctx.text) and ("牵头" in text), c)
            if best is None or key > best[0]:
                best = (key, p, (a, e))
    return (best[0][1], best[1], best[2]) if best else None


def responsibility(ctx: Context, hits: list[Hit] | None = None, b: Builder | None = None,
                   per_doc_limit: int | None = None) -> Builder | None:
    hits = ctx.hits if hits is None else hits
    ranked = rank_tasks(ctx, hits, need_clause=True)
    cue = cue_sentence(ctx, hits[:5])
    if not ranked and cue is None:
        return None
    b = b or Builder(ctx.text, "responsibility")
    task_cov = coverage(ctx.groups, task_text(ctx.engine, ranked[0][1].passage), ctx.voc) if ranked else 0.0
    # A lead sentence that covers the question well is shown too: the clause of the nearest task may be
    # about something else when the document states responsibility in prose.
    if cue is not None and cue[0] >= min(0.6, max(0.2, task_cov)):
        c, p, span = cue
        b.quote("quote", f"《{p.title}》{heading_of(p)} —— ", p, span)
        b.type_score = max(c, task_cov)
        if c > task_cov:
            ranked = []  # the sentence answers it better than any clause
    else:
        b.type_score = task_cov
    # One task per document (its best-ranked). Which documents answer is judged on how much of the question
    # each one's task text covers, not on fused rank scores or heading wording: ranks shift when another
    # document is added, and a document whose heading names the topic must not silence one whose body does.
    rel = {id(h): task_relevance(ctx, h.passage, heading_weight=0.0) for _, h in ranked}
    top = max(rel.values(), default=0.0)
    per_doc: dict[str, Hit] = {}
    for _, h in ranked:
        if h.passage.doc_id not in per_doc and rel[id(h)] >= 0.8 * top:
            per_doc[h.passage.doc_id] = h
    for h in list(per_doc.values())[:per_doc_limit]:
        add_clause(ctx, b, h.passage)
    if b.empty:
        return None
    if len({st.doc_id for st in b.statements if st.doc_id}) > 1:
        name_regions(ctx, b)
    return b


def clause_span(engine, p: Passage) -> tuple[Passage, tuple[int, int] | None]:
    """The passage of p's task that holds its clause, and the clause's span in it."""
    from ...evidence import clean_span

    key = p.responsibility[:12]
    clause_p = next((x for x in task_passages(engine, p) if key in x.text), p)
    at = clause_p.text.find(key)
    if at < 0:
        return clause_p, None
    return clause_p, clean_span(clause_p.text, at, min(len(clause_p.text), at + len(p.responsibility)))


def units_text(p: Passage) -> str:
    if p.lead_units and p.partner_units:
        return f"牵头：{'、'.join(p.lead_units)}；配合：{'、'.join(p.partner_units)}"
    return f"责任单位：{'、'.join(p.units)}"


def add_clause(ctx: Context, b: Builder, p: Passage) -> None:
    """The task's units, citing the passage that holds its clause, and the task's matching sentence."""
    clause_p, span = clause_span(ctx.engine, p)
    b.add("units", f"《{p.title}》{heading_of(p)} —— {units_text(p)}", clause_p, span)
    # The task's sentence that matches the question: the proof of which task this is.
    hits = [Hit(passage=x, score=0) for x in task_passages(ctx.engine, p)]
    for sp, span in best_sentences(ctx, hits, limit=2, exclude_clause=True):
        b.quote("quote", "  相关内容：", sp, span)


def name_regions(ctx: Context, b: Builder) -> None:
    """Answers over several documents name the region on every line that starts with a document."""
    for st in b.statements:
        if st.doc_id and st.text.startswith("《"):
            region = doc_region(ctx.engine, st.doc_id)
            if region:
                st.text = f"【{region}】{st.text}"


def units_in_prose(ctx: Context) -> Builder | None:
    """No clause of the task and no sentence saying who leads: the sentences on the topic that name a unit
    as the actor (「各级民政部门要建立…」). A topical sentence naming no unit does not say who is responsible."""
    unit_name = cues.rx("unit_name")
    chosen = [(p, span) for p, span in best_sentences(ctx, ctx.hits[:5], limit=6, exclude_clause=True)
              if unit_name.search(p.text[span[0]:span[1]])][:2]
    b = Builder(ctx.text, "responsibility")
    for p, span in chosen:
        b.quote("quote", f"《{p.title}》{heading_of(p)} —— ", p, span)
    return None if b.empty else b
