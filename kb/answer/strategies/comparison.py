"""The same question for several documents (「各地…分别…」, two named places): one row per document
with the same indicator, its region on every line, and the documents that do not state it named."""
from __future__ import annotations

import re

from ...evidence import coverage
from ...query import TYPE_CUES
from ...types import Hit
from ..build import Builder
from ..context import Context, doc_region, doc_title, merge_hits, task_passages
from ..select import QUOTED, best_sentences, doc_span, rank_tasks
from .figures import MIN_TARGET_COVERAGE, asks_figure, fitting_targets, row_attribute, table_line
from .responsibility import responsibility, topic_query

MIN_COVERAGE = 0.10  # a document's best sentences must cover at least this much of the question


def base_question(ctx: Context) -> str:
    """The question without its places (each document is searched on its own)."""
    base = ctx.text
    for r in ctx.query.regions:
        base = base.replace(r, "")
    return re.sub(r"^[和、，,与及]+", "", base)


def comparison(ctx: Context) -> Builder | None:
    engine = ctx.engine
    docs = ctx.doc_ids() if (ctx.scope.docs or ctx.scope.explicit) else [d.doc_id for d in engine.documents]
    base = base_question(ctx)
    b = Builder(ctx.text, "comparison")
    numeric = asks_figure(ctx.text) or bool(re.search(r"标准|目标|几分钟|多大|多少", ctx.text))
    who = bool(dict(TYPE_CUES)["responsibility"].search(ctx.text))
    missing: list[str] = []
    rows = []
    for doc_id in docs:
        # each document searched with the question's keywords less its places; its meaning is the question's,
        # whose vector is at hand (one encoding per question, not one per text searched)
        hits = engine.search(base, top_k=5, doc=doc_id, dense_as=ctx.text)
        for term in QUOTED.findall(ctx.text):  # a quoted term is what is compared: find where each document has it
            hits = merge_hits(hits, engine.search(term, top_k=3, doc=doc_id))
        row = None
        if who and hits:
            sub_ctx = ctx.derive(base)
            sub_ctx.scope.doc, sub_ctx.scope.docs = doc_id, [doc_id]
            sub_hits = merge_hits(hits, engine.search(topic_query(sub_ctx, base), top_k=5, doc=doc_id,
                                                      dense_as=ctx.text))
            sub = responsibility(sub_ctx, sub_hits, per_doc_limit=1)
            if sub is not None:
                units = next((st for st in sub.statements if st.kind in ("units", "quote")), None)
                if units is not None:
                    support = [st for st in sub.statements if st.kind == "quote" and st is not units][:1]
                    row = {"indicator": "责任单位", "statements": [units] + support,
                           "figure": re.sub(r"^.*?——\s*", "", units.text), "deadline": ""}
        if row is None and numeric:
            ranked = fitting_targets(ctx, ctx.text, ctx.groups, hits, [doc_id])
            if ranked and ranked[0][0] >= MIN_TARGET_COVERAGE:
                t = ranked[0][1]
                attribute, end = row_attribute(engine, t)
                found = doc_span(engine, doc_id, t.start, end)
                if found:
                    p, span = found
                    quote = p.text[span[0]:span[1]]
                    # A table row's deadline comes from its header (目标值 2025年), not from the row itself.
                    deadline = t.deadline if (t.deadline in quote or t.source == "table") else ""
                    text = table_line(t, attribute) if t.source == "table" else f"{t.value} —— 原文：{quote}"
                    row = {"indicator": t.indicator, "figure": t.value, "deadline": deadline,
                           "statements": [("figure", text, p, span)]}
        if row is None and hits and not numeric:
            # The document's task on the topic (as for measures), then its sentences that match best.
            task = rank_tasks(ctx, hits)[0][1].passage
            pool = merge_hits([Hit(passage=x, score=1.0) for x in task_passages(engine, task)], hits)
            chosen = best_sentences(ctx, pool, limit=2)
            text = "".join(p.text[x:y] for p, (x, y) in chosen)
            if chosen and coverage(ctx.groups, text, ctx.voc) >= MIN_COVERAGE:
                chosen.sort(key=lambda c: c[0].start + c[1][0])
                dl = re.search(r"(?:到|至)?20\d\d年(?:年?底|末)?", text)
                row = {"indicator": "相关内容", "figure": text, "deadline": dl.group(0).lstrip("到至") if dl else "",
                       "statements": [("quote", "", p, span) for p, span in chosen]}
        if row is None:
            missing.append(doc_id)
            continue
        rows.append((doc_id, row))
    if not rows:
        b.decline = "现有政策文件中未找到可比较的内容。"
        b.type_score = None
        return b
    for doc_id, row in rows:
        region, title = doc_region(engine, doc_id), doc_title(engine, doc_id)
        b.add("heading", f"【{region}】《{title}》：")
        first_n = 0
        for i, st in enumerate(row["statements"]):
            if isinstance(st, tuple):
                kind, text, p, span = st
                new = b.add(kind, text if text else p.text[span[0]:span[1]], p, span, join=True)
            else:
                text = re.sub(r"^【[^】]*】", "", st.text)
                text = re.sub(r"^《[^》]*》", "", text).strip()  # the row already names the document
                new = b.add(st.kind, text, st.passage, st.span, join=True)
                if i:
                    new.text = " " + new.text
            first_n = first_n or new.n
        b.table.append({"doc_id": doc_id, "title": title, "region": region, "indicator": row["indicator"],
                        "figure": row["figure"], "deadline": row["deadline"], "n": first_n})
    if missing:
        names = "、".join(f"{doc_region(engine, d) or d}（《{doc_title(engine, d)}》）" for d in missing)
        b.add("note", f"未载明：{names}的文件中未找到这一内容。")
    b.type_score = 1.0 if len(rows) >= 1 else None
    return b
