"""What a unit is responsible for: every task whose clause names it, per document, lead (牵头) apart from
the rest, each citing the clause — from the parsed structure (Engine.tasks), not from retrieval."""
from __future__ import annotations

import re

import numpy as np

from ..build import Builder
from ..context import Context, doc_title, known_regions
from ..select import selection, task_sentences
from .structure_cite import clause_citation

# Level words in front of a unit name: 市民政局 and 县民政局 are each document's 民政局.
LEVEL_PREFIX = re.compile(r"^(省|市|县|区|镇|乡|各县（市、区）|各县\(市、区\)|各区（功能区）|各区\(功能区\)|各区|各县|各镇)")
MAX_TASKS_PER_ROLE = 10


def core(unit: str) -> str:
    return LEVEL_PREFIX.sub("", unit.strip())


def all_units(engine) -> list[str]:
    def build():
        names = {u for t in engine.tasks for u in list(t.get("lead") or []) + list(t.get("partners") or [])}
        return sorted(names, key=len, reverse=True)

    return engine.derived("answer_units", build)


def asked_unit(ctx: Context) -> str | None:
    """The unit the question names (its core, without the level word), longest known name first."""
    text = ctx.text
    for place in sorted(set(ctx.query.regions) | set(known_regions(ctx.engine)), key=len, reverse=True):
        text = text.replace(place, "")
    for u in all_units(ctx.engine):
        c = core(u)
        if len(c) >= 2 and c in text and not re.fullmatch(r"(各|有关|相关).*", c):
            return c
    return None


FIRST_IS_LEAD = re.compile(r"排在?第一位的?(单位)?为牵头")


def says_lead(engine, task: dict) -> bool:
    """Whether the task's lead units are named as lead by the text: its clause says 牵头/主责, or the
    document states that the first unit listed leads (GENRE.md). Otherwise the units share the task."""
    if re.search(r"牵头|主责|负总责", task.get("clause") or ""):
        return True
    return engine.derived(f"first_is_lead:{task['doc_id']}",
                          lambda: bool(FIRST_IS_LEAD.search(engine.doc_text(task["doc_id"]))))


def key_sentences(ctx: Context, p, unit: str, limit: int = 3):
    """The sentences of a task that say what the unit does there (a heading alone,
    「12.发展城乡社区志愿服务和公益事业」, does not): closest in meaning to the unit's work and to the
    question together, at most limit, in document order."""
    cands = task_sentences(ctx, p) if p.task_id else []
    if not cands:
        return []
    uvec = ctx.engine.derived(f"unit_vector:{unit}", lambda: ctx.engine.question_vector(f"{unit}负责的工作"))
    vecs = ctx.engine.sentence_vectors([x.text[a:e] for x, (a, e) in cands])
    score = vecs @ uvec + vecs @ ctx.qvec
    best = sorted(int(i) for i in np.argsort(-score)[:limit])
    return [cands[i] for i in best]


def detect(ctx: Context) -> bool:
    return asked_unit(ctx) is not None


def unit_tasks(ctx: Context) -> Builder | None:
    unit = asked_unit(ctx)
    if unit is None:
        return None
    docs = set(ctx.doc_ids())
    b = Builder(ctx.text, "unit")
    b.exact = True
    found = 0
    for doc_id in ctx.doc_ids():
        tasks = [t for t in ctx.engine.tasks if t["doc_id"] == doc_id and doc_id in docs]
        # Lead only where the clause says so (牵头, or a stated first-is-lead rule the parser applied);
        # a plain 责任单位 list names units that share the task.
        lead = [t for t in tasks if says_lead(ctx.engine, t) and any(core(u) == unit for u in t.get("lead") or [])]
        part = [t for t in tasks if t not in lead and any(core(u) == unit for u in
                                                          (t.get("lead") or []) + (t.get("partners") or []))]
        if not lead and not part:
            continue
        region, title = tasks[0].get("region", ""), doc_title(ctx.engine, doc_id)
        names = sorted({u for t in lead + part for u in (t.get("lead") or []) + (t.get("partners") or [])
                        if core(u) == unit})
        b.add("heading", f"【{region}】《{title}》中{'、'.join(names)}：牵头{len(lead)}项，"
                         f"配合或共同负责{len(part)}项")
        # the points of shared tasks, spread over them: a unit with one or two shows more of each
        per_task = max(3, min(8, selection()["unit_sentence_budget"] // max(1, len(part))))
        for role, group in (("牵头", lead), ("配合/责任单位", part)):
            for t in group[:MAX_TASKS_PER_ROLE]:
                cited = clause_citation(ctx.engine, t)
                if cited is None:
                    continue
                p, span = cited
                heading = t.get("heading") or t.get("section", "")
                b.quote("task", f"  【{region}】{role}｜{heading} —— ", p, span)
                n = b.statements[-1].n
                # a task the unit leads is its own work, shown whole; a shared task by its closest points
                points = task_sentences(ctx, p) if role == "牵头" and p.task_id else key_sentences(ctx, p, unit, per_task)
                for point in points:
                    b.quote("measure", "      要点：", *point)
                b.table.append({"doc_id": doc_id, "title": title, "region": region, "section": t.get("section", ""),
                                "role": role, "lead": t.get("lead") or [], "partners": t.get("partners") or [],
                                "n": n})
                found += 1
            if len(group) > MAX_TASKS_PER_ROLE:
                b.add("note", f"  …另有{len(group) - MAX_TASKS_PER_ROLE}项（{role}），完整列表见「责任分工」页。")
    if not found:
        b.decline = f"现有政策文件中未找到{unit}负责的任务。"
        b.type_score = None
    return b
