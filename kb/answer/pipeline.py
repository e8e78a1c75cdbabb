"""The answer pipeline: context → (multi-part split) → type from the registry → retrieval plan →
strategies → the gate → statements rendered to text; optional LLM phrasing at the very end."""
from __future__ import annotations

import dataclasses
import re

from ..qtypes import type_table
from ..query import dense_query, question_type
from ..types import Answer, Hit
from . import gate, registry
from .build import Builder, abstain
from .context import Context, doc_region, doc_title, make_context, merge_hits
from .strategies import comparison, figures


def answer(engine, question: str, history: list[str] | None = None, doc=None, region=None, level=None) -> Answer:
    ctx = make_context(engine, question, history, doc, region, level)
    parts = split_parts(ctx.text)
    if len(parts) > 1:
        ans = multipart(ctx, parts)
    elif per_document_question(ctx):
        ans = per_document(ctx)
    else:
        ans = single(ctx)
    ans.question = question
    if not ans.abstained:
        ans = maybe_llm(engine, ans)
    return ans


def run(ctx: Context) -> tuple[Builder | None, gate.Decision, registry.QuestionType]:
    """Type, retrieval, strategies and the gate for one (part of a) question."""
    entry = registry.classify(ctx)
    ctx.qtype = entry.name
    reason = gate.scope_check(ctx)
    if reason:
        ctx.hits = ctx.engine.search(ctx.text, top_k=3, **ctx.scope.filters()) if not ctx.scope.unknown_places \
            else ctx.engine.search(ctx.text, top_k=3)
        return None, gate.Decision(False, reason, {"stage": "scope"}), entry
    ctx.hits = entry.plan(ctx)
    if ctx.prior:
        # 「…要改多少户？由哪些部门负责？」: the follow-up is about the passage the part before was answered from
        top = ctx.hits[0].score if ctx.hits else 1.0
        ctx.hits = merge_hits([Hit(p, top + 1e-3 * (len(ctx.prior) - i)) for i, p in enumerate(ctx.prior)], ctx.hits)
    b = None
    for strategy in entry.strategies:
        b = strategy(ctx)
        if b is not None and (b.decline or not b.empty):
            break
    return b, gate.decide(ctx, b, entry.decline), entry


def single(ctx: Context) -> Answer:
    b, decision, entry = run(ctx)
    if not decision.ok:
        return abstain(ctx.question, ctx.qtype, ctx.hits, decision.message, decision.to_dict())
    ans = b.answer()
    ans.qtype = ctx.qtype
    ans.gate = decision.to_dict()
    return ans


def per_document_question(ctx: Context) -> bool:
    """Two or more named documents asked something other than one figure each (a figure across
    documents is a comparison, one row per document): each document is answered on its own."""
    if len(ctx.scope.docs) < 2 or any(ctx.filters.values()) or figures.asks_figure(ctx.text):
        return False
    if registry.classify(ctx).name not in ("comparison", "general", "measures", "definition"):
        return False  # unit, deadline and document answers cover several documents themselves
    # who is responsible stays a comparison (one row of units per document); what is done is answered per document
    return question_type(comparison.base_question(ctx), []) in ("general", "measures", "definition")


def per_document(ctx: Context) -> Answer:
    """The question answered for each named document in turn, each under its region and title; a document
    that does not answer it is named."""
    base = comparison.base_question(ctx)
    out = Builder(ctx.text, "crossdoc")
    gates, related, answered = [], [], 0
    for doc_id in ctx.scope.docs:
        sub = ctx.derive(base)
        sub.scope.doc, sub.scope.docs = doc_id, [doc_id]
        sub.query.qtype = question_type(base, [])
        b, decision, _entry = run(sub)
        gates.append({"doc": doc_id, "type": sub.qtype, **decision.to_dict()})
        region, title = doc_region(ctx.engine, doc_id), doc_title(ctx.engine, doc_id)
        out.add("heading", f"【{region}】《{title}》：")
        row = {"doc_id": doc_id, "title": title, "region": region, "figure": "未载明", "n": 0}
        if decision.ok:
            first = len(out.statements)
            out.merge([st for st in b.statements if st.kind != "heading"])
            cited = next((st for st in out.statements[first:] if st.n), None)
            if cited is not None:  # the row shows the first cited statement; the text has all of them
                row.update(figure=cited.text.strip()[:80], n=cited.n)
            answered += 1
        else:
            out.add("note", f"  【{region}】{decision.message}")
            related += sub.hits[:1]
        out.table.append(row)
    if not answered:
        return abstain(ctx.question, "crossdoc", related or ctx.engine.search(ctx.text, top_k=3),
                       "现有政策文件中未找到能回答这个问题的内容。", {"docs": gates})
    ans = out.answer()
    ans.qtype = "crossdoc"
    ans.gate = {"docs": gates}
    return ans


def split_parts(text: str) -> list[str]:
    """Several questions in one sentence (「…由谁负责？目标是多少？」): the parts, each a question."""
    spec = type_table()["multipart"]
    asks = re.compile(spec["asks"])
    parts: list[str] = []
    for p in (p.strip(" ，,。") for p in re.split(spec["split"], text)):
        if parts and p and not asks.search(p):
            parts[-1] += "，" + p  # an example or a condition of the previous question, not a question
        elif len(p) >= spec["min_part_chars"]:
            parts.append(p)
    return parts if len(parts) > 1 else [text]


def part_contexts(ctx: Context, parts: list[str]):
    """A context per part. A part that names no subject the documents know (「目标是多少？」「这摊事谁管？」)
    asks about the previous part's subject, which is put in front of it."""
    topic = ""
    short = type_table()["multipart"]["follow_up_max_chars"]
    where = None  # the scope of the last part that named a place (县里, 珠海)
    for part in parts:
        sub = ctx.derive(part)
        # a subject is a thing the documents name, not what is done to it (「规划要求到2025年提高到多少」: 提高)
        known = [g for g in sub.groups if any(ctx.voc.idf(t) < ctx.voc.idf_unseen - 1e-9 for t in g)
                 and not is_verb(g[0])]
        inherited = not known and bool(topic)
        if inherited:
            sub = ctx.derive(topic + part)
            known = sub.groups
        asked = asked_part(sub.text)  # not the asker's own situation (「我想去当志愿者，…」)
        topic = "".join(g[0] for g in known if g[0] in asked) or topic
        # a short part that names no subject of its own (「有没有补贴？」) follows the part before it
        follows = inherited or (bool(topic) and len(part) <= short and
                                not any(figures.is_subject_term(g[0]) for g in sub.groups))
        if sub.scope.explicit or sub.scope.docs or sub.scope.unknown_places:
            where = sub.scope
        elif where is not None:
            # 「县里老旧小区要改多少户？由哪些部门负责？」: a part that names no place asks about the same place
            sub.scope = dataclasses.replace(where, docs=list(where.docs), unknown_places=list(where.unknown_places))
        yield part, sub, follows


PERSONAL = re.compile(r"^(我|我们|我家|咱|咱们|咱家|本人)")


def asked_part(question: str) -> str:
    """The question without the asker's own situation (「我想去当志愿者，…」「我家老人80岁了，…」): a clause in
    the first person that asks nothing says who asks; the subject a later part inherits is what was asked."""
    asks = re.compile(type_table()["multipart"]["asks"])
    clauses = re.split(r"[，,]", question)
    kept = [c for c in clauses if not (PERSONAL.match(c.strip()) and not asks.search(c))]
    return "，".join(kept) or question


def is_verb(word: str) -> bool:
    """A verb, adverb or adjective (提高, 完成): what is done to a subject, not a subject."""
    return figures.word_flag(word) in ("v", "vd", "ad", "d", "a")


FOLLOWS_DECLINED = "现有政策文件中未找到能回答这个问题的内容（同上）。"


def part_decisions(ctx: Context, parts: list[str]):
    """(part, its context, builder, decision) for every part. A part that follows a declined part
    (「…收费多少？有没有补贴？」) is declined too: it is not answered from whatever else its few words match."""
    declined = False  # whether the last part that named its own subject was declined
    prior: list = []  # the passages that part was answered from
    for part, sub, follows in part_contexts(ctx, parts):
        if follows and declined:
            yield part, sub, None, gate.Decision(False, FOLLOWS_DECLINED, {"stage": "topic"})
            continue
        if follows:
            sub.prior = prior
        b, decision, _entry = run(sub)
        if not follows:
            declined = not decision.ok
            cited = [st.passage for st in (b.statements if b is not None and decision.ok else []) if st.passage]
            prior = list({p.pid: p for p in cited}.values())[:2]
        yield part, sub, b, decision


def multipart(ctx: Context, parts: list[str]) -> Answer:
    # every part's search text and question vector in one batch (a part that inherits its subject is
    # encoded when it is searched)
    ctx.engine.prefetch(parts, [dense_query(p) for p in parts])
    out = Builder(ctx.text, "multipart")
    answered, gates, related = 0, [], []
    for i, (part, sub, b, decision) in enumerate(part_decisions(ctx, parts), 1):
        gates.append({"part": part, "type": sub.qtype, **decision.to_dict()})
        out.add("part", f"（{i}）{part}：")
        if decision.ok:
            out.merge(b.statements)
            out.table += b.table
            answered += 1
        else:
            out.add("note", "  " + decision.message)
            related += sub.hits[:1]
    if not answered:
        return abstain(ctx.question, "multipart", related or ctx.engine.search(ctx.text, top_k=3),
                       "现有政策文件中未找到能回答这个问题的内容。", {"parts": gates})
    ans = out.answer()
    ans.gate = {"parts": gates}
    return ans


def maybe_llm(engine, ans: Answer) -> Answer:
    settings = engine.settings
    if not (settings.llm_base_url and settings.llm_model) or not ans.citations:
        return ans
    from ..llm import phrase

    text = phrase(settings, ans.question, [(c.n, c.passage) for c in ans.citations], draft=ans.text)
    if text:
        ans.text, ans.mode = text, "llm"
    return ans


def gate_view(engine, question: str) -> list[dict]:
    """What the gate saw for each part of a question (for eval.calibrate_gate): the stage that decided
    (scope, type, exact, score), the decision, and the signals."""
    ctx = make_context(engine, question)
    parts = split_parts(ctx.text)
    out = []
    if len(parts) > 1:
        decided = [(part, sub, decision) for part, sub, _b, decision in part_decisions(ctx, parts)]
    else:
        decided = [(ctx.text, ctx, run(ctx)[1])]
    for part, sub, decision in decided:
        sig = dict(decision.signals)
        out.append({"part": part, "type": sub.qtype, "stage": sig.pop("stage", ""), "ok": decision.ok,
                    "signals": {k: v for k, v in sig.items() if k != "p"}})
    return out
