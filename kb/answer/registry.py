"""The question types: each entry is its cues (kb/data/question_types.json), an optional detector that
needs the engine (a unit name the documents use), a retrieval plan, the strategies it tries in order,
and the message when none of them finds evidence. A new type is one entry here plus one strategy."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..qtypes import type_table
from ..types import Hit
from .build import Builder
from .context import Context, merge_hits
from .strategies import comparison, deadline, document, extractive, figures, phases, responsibility, unit


@dataclass
class QuestionType:
    name: str
    plan: Callable[[Context], list[Hit]]  # the passages the strategies (and the gate) look at
    strategies: tuple[Callable[[Context], Builder | None], ...]
    detect: Callable[[Context], bool] | None = None  # beyond the cues, when the engine must confirm
    decline: str = "现有政策文件中未找到能回答这个问题的内容。"
    cues: re.Pattern | None = None

    @property
    def followup(self) -> str:
        return next((t["followup"] for t in type_table()["types"] if t["name"] == self.name), "")


def plain(ctx: Context) -> list[Hit]:
    ctx.prefetch()
    return ctx.search()


def nearest(ctx: Context) -> list[Hit]:
    """Structure answers need no retrieval; the nearest passages serve a decline as 「可能相关」."""
    return ctx.search(top_k=3)


def topic_plan(ctx: Context) -> list[Hit]:
    topic = responsibility.topic_query(ctx)
    ctx.prefetch()
    hits = ctx.search()
    # the topic's keywords without the ask words; its meaning is the question's, whose vector is at hand
    return merge_hits(hits, ctx.search(topic, dense_as=ctx.text)) if topic != ctx.text else hits


def figure_if_asked(ctx: Context) -> Builder | None:
    return figures.figures(ctx) if figures.asks_figure(ctx.text) else None


def _cues(name: str) -> re.Pattern | None:
    t = next((t for t in type_table()["types"] if t["name"] == name), None)
    return re.compile("|".join(t["cues"])) if t else None


# Order matters: structure types first (they answer from the parsed documents, also across places),
# then comparison, then the text types in the order of their cues.
REGISTRY: list[QuestionType] = [
    QuestionType("document", nearest, (document.document_info,), cues=_cues("document")),
    QuestionType("phase", nearest, (phases.phase_info, extractive.sentences_answer), cues=_cues("phase")),
    QuestionType("deadline", nearest, (deadline.due_by,), cues=_cues("deadline")),
    QuestionType("unit", nearest, (unit.unit_tasks,), detect=unit.detect, cues=_cues("unit")),
    QuestionType("comparison", plain, (comparison.comparison,),
                 detect=lambda ctx: ctx.query.qtype == "comparison",
                 decline="现有政策文件中未找到可比较的内容。"),
    QuestionType("responsibility", topic_plan,
                 (responsibility.responsibility, figure_if_asked, responsibility.units_in_prose),
                 cues=_cues("responsibility"),
                 decline="现有政策文件中未找到这项工作的责任单位。"),
    QuestionType("target", plain, (figures.figures,), cues=_cues("target"),
                 decline="现有政策文件中未找到这一指标的具体数值。"),
    QuestionType("definition", extractive.definition_hits, (extractive.coined_term, figure_if_asked, extractive.sentences_answer),
                 cues=_cues("definition")),
    QuestionType("measures", plain, (figure_if_asked, extractive.measures, extractive.sentences_answer),
                 cues=_cues("measures")),
]
GENERAL = QuestionType("general", plain, (extractive.coined_term, figure_if_asked, extractive.sentences_answer))


def classify(ctx: Context) -> QuestionType:
    for entry in REGISTRY:
        if entry.cues is not None and not entry.cues.search(ctx.text):
            continue
        if entry.detect is not None and not entry.detect(ctx):
            continue
        if entry.name in ("responsibility", "target", "definition", "measures") and ctx.query.qtype == "comparison":
            continue  # handled by the comparison entry above
        return entry
    return GENERAL


def entry(name: str) -> QuestionType:
    return next((e for e in REGISTRY if e.name == name), GENERAL)
