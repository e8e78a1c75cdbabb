"""Coined terms: plans name methods and slogans in quotes (“五社联动”, “13335”工作法, “三统筹三扩大四创建”)
and often never say what they stand for. A question asking what such a term means is answered only by a
sentence that spells it out; a sentence that merely uses the term is not an answer (the patterns and
their provenance: kb/data/answer_cues.json `coined_term`)."""
from __future__ import annotations

import re
from functools import lru_cache

from .cues import rx
from .select import QUOTED
COUNT = {c: i + 1 for i, c in enumerate("一二三四五六七八九十")} | {"两": 2}
CLAUSE_END = re.compile(r"[，。；：,;:（）()”]")  # a list of parts ends at a clause or at another quoted term


def squeeze(text: str) -> str:
    return re.sub(r"[\s“”\"]", "", text)


def corpus_terms(engine) -> frozenset[str]:
    """The coined labels of the documents: quoted terms with a numeral or naming a method (“穿针引线工作法”), squeezed."""
    def build():
        num, method = rx("coined_term", "numeral"), rx("coined_term", "named_method")
        return frozenset(t for d in engine.documents for t in map(squeeze, QUOTED.findall(engine.doc_text(d.doc_id)))
                         # a method name is a label when it names more than the kind (“穿针引线工作法”, not “工作法”)
                         if len(t) >= 2 and (num.search(t) or (len(t) >= 5 and method.search(t))))
    return engine.derived("coined_terms", build)


def asked_terms(engine, question: str) -> list[str]:
    """Coined labels whose meaning the question asks: labels the documents quote, found in the question with
    or without quotes (users often drop them: 13335工作法是什么). The label is what the question is about: the ask follows
    it closely (「“13335”工作法具体指什么」, not 「“十四五”规划的发文字号是什么」) or 什么是 precedes it."""
    meaning = rx("coined_term", "asks_meaning")
    q = squeeze(question)
    # a label is what the documents quote as one: 「城里“15分钟”」 quotes a part of 15分钟生活服务圈, no label
    cands = [t for t in corpus_terms(engine) if t in q]
    found = []
    for t in cands:
        i = q.find(t)
        if i < 0:
            continue
        near = q[i + len(t):i + len(t) + MAX_GAP + 8]
        m = meaning.search(near)
        if (m and m.start() <= MAX_GAP) or re.search(r"什么(是|叫)$", q[:i]):
            found.append(t)
    # the longest labels only (“千户访、百事帮、万家和” covers “千户访”)
    found = list(dict.fromkeys(found))
    return [t for t in found if not any(t != u and t in u for u in found)]


HEADING = re.compile(r"(^|\n)\s*[（(]?[\d一二三四五六七八九十]+[)）.、．]?\s*[\u4e00-\u9fff]{0,4}[“\"]?$")
MAX_GAP = 10  # characters between the label and the ask: 「“13335”工作法里的几个数字分别代表什么」 (9)
SENTENCE_END = re.compile(r"[。；;\n]")


def part_counts(term: str) -> set[int]:
    """How many parts a label counts: its leading numeral (五位一体: 5) or the sum of its numerals (一库两平台: 3)."""
    nums = [COUNT[c] for c in term if c in COUNT]
    return {n for n in (COUNT.get(term[0]), sum(nums) if len(nums) > 1 else None) if n and n >= 2}


def lists_parts(term: str, before: str) -> bool:
    """「社区、社会组织、社会工作者、社区志愿者、社会慈善资源“五社联动”」: the clause right before the term lists
    as many parts as the term counts (fewer when the list ends in 等)."""
    counts = part_counts(term)
    if not counts:
        return False
    clause = CLAUSE_END.split(before)[-1].rstrip("“\" ")
    etc = clause.endswith("等")
    items = [x for x in re.sub(r"(的|等)$", "", clause).split("、") if x.strip()]
    return len(items) in counts or (etc and 2 <= len(items) < max(counts))


@lru_cache(maxsize=256)
def term_pattern(term: str) -> re.Pattern:
    return re.compile(r"[“”\"\s]?".join(map(re.escape, term)))  # the text may quote or space it: “1612” 体系


def spellings(engine, term: str, doc_ids: list[str]) -> list[tuple[str, int]]:
    """Where a document in scope expands the term right after it, introduces it as a short name, or lists
    its parts right before it: (doc_id, offset of the term)."""
    after, named = rx("coined_term", "spelled_after"), rx("coined_term", "spelled_before")
    out = []
    for d in doc_ids:
        text = engine.doc_text(d)
        for m in term_pattern(term).finditer(text):
            before = text[max(0, m.start() - 80):m.start()]
            if after.search(text[m.end():m.end() + 16]) or named.search(before) or lists_parts(term, before):
                out.append((d, m.start()))
            elif HEADING.search(before) and (end := SENTENCE_END.search(text, m.end())):
                # 「2.“一库两平台”建设行动。建设以村(社区)为基本单元的…」: a task headed by the term says what it is
                body = re.compile(r"\S").search(text, end.end())
                if body:
                    out.append((d, body.start()))
    return out


# Types whose answer is a fact about the label's document or task, not what the label means
# (「“十四五”规划的发文字号是什么」 is a document question)
NOT_MEANING = ("document", "phase", "deadline", "unit", "responsibility", "comparison")


def undefined_terms(ctx) -> list[str]:
    """The coined labels the question asks the meaning of that the documents in scope use but never spell out
    (a label they do not use at all is left to the other checks)."""
    if ctx.qtype in NOT_MEANING:
        return []
    docs = ctx.doc_ids()
    out = []
    for t in asked_terms(ctx.engine, ctx.text):
        using = [d for d in docs if term_pattern(t).search(ctx.engine.doc_text(d))]
        if using and not spellings(ctx.engine, t, using):
            out.append(t)
    return out
