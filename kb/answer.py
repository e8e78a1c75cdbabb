"""Answers with proof: the units of the matching task, the figure with its deadline, a comparison
table, or the most relevant sentences, each statement cited [n] to a returned passage.

Extractive by construction: every quoted phrase is a slice of a cited passage; only short labels
(责任单位：, 目标：) are added. When the evidence is weak the answer abstains and lists the nearest
passages as possibly related (thresholds below, calibrated on the gold set; see tests/test_answer.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .evidence import Vocab, clean_span, content_terms, coverage, defines, sentences, vocab
from .query import COMPARE_CUES, TYPE_CUES, Query, question_type, resolve_followup, understand
from .search import _jieba
from .types import Answer, Citation, Hit, Passage, Target

# Abstention thresholds (coverage = IDF-weighted share of the question's content words found in the
# evidence). Calibrated on eval/questions.jsonl: see `evidence_signals` and tests/test_answer.py.
MIN_COVERAGE = 0.10  # best task of any answer (gold: every answerable question ≥0.11; off-topic questions ~0)
# The figure's sentence, for "how much" questions. Gold: unanswerable ≤0.15, answerable ≥0.61; set just
# above the unanswerable side because everyday wording (held-out set) gives answerable ones 0.2–0.35.
MIN_TARGET_COVERAGE = 0.20
TOP_K = 8


@dataclass
class Scope:
    """Where to look: explicit filters, or the documents of the places the question names."""

    doc: object = None
    region: str | None = None
    level: str | None = None
    unknown_places: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)  # documents of the named places, in question order

    def filters(self) -> dict:
        return {"doc": self.doc, "region": self.region, "level": self.level}


# ---------------------------------------------------------------- the answer being built

class Builder:
    def __init__(self, question: str, qtype: str):
        self.question = question
        self.qtype = qtype
        self.citations: list[Citation] = []
        self.lines: list[str] = []
        self.table: list[dict] = []

    def cite(self, passage: Passage, span: tuple[int, int] | None = None) -> int:
        """The citation number of a passage (added once), with span highlighted in its text."""
        for c in self.citations:
            if c.passage.pid == passage.pid:
                if span and span not in c.highlights:
                    c.highlights.append(span)
                return c.n
        c = Citation(n=len(self.citations) + 1, passage=passage, highlights=[span] if span else [])
        self.citations.append(c)
        return c.n

    def answer(self) -> Answer:
        return Answer(question=self.question, text="\n".join(self.lines), citations=self.citations,
                      abstained=False, qtype=self.qtype, table=self.table)


def passage_at(engine, doc_id: str, pos: int, end: int | None = None) -> Passage | None:
    """The passage of a document that contains [pos, end) (or pos), preferring the one it fits in."""
    best = None
    for p in engine.passages:
        if p.doc_id == doc_id and p.start <= pos < p.end:
            if end is None or end <= p.end:
                return p
            best = best or p
    return best


def doc_title(engine, doc_id: str) -> str:
    meta = next((d for d in engine.documents if d.doc_id == doc_id), None)
    return meta.title if meta else doc_id


def doc_region(engine, doc_id: str) -> str:
    meta = next((d for d in engine.documents if d.doc_id == doc_id), None)
    return meta.region if meta else ""


# ---------------------------------------------------------------- scope

def known_regions(engine) -> tuple[str, ...]:
    """Every name a document's region goes by: 仙游（莆田） -> 仙游, 莆田."""
    names = []
    for d in engine.documents:
        names += [n for n in re.split(r"[（）()、,，\s]+", d.region) if len(n) >= 2]
    return tuple(dict.fromkeys(names))


def docs_of_place(engine, name: str) -> list[str]:
    return [d.doc_id for d in engine.documents
            if name in d.region or name in d.title or name in d.issuer]


def make_scope(engine, q: Query, doc=None, region=None, level=None) -> Scope:
    scope = Scope(doc=doc, region=region, level=level)
    for name in q.regions:
        ids = docs_of_place(engine, name)
        if ids:
            scope.docs += [i for i in ids if i not in scope.docs]
        elif not any(name in engine.doc_text(d.doc_id) for d in engine.documents) or \
                re.search(rf"(^|[在和与、]){re.escape(name)}|{re.escape(name)}[市省的]", q.text):
            # A place whose own policy is asked about (深圳市…, 福州的…) is not covered; a place the documents
            # mention as a topic (引进台湾养老服务集团) is just a topic word.
            scope.unknown_places.append(name)
    if q.qtype == "comparison" and len(scope.docs) < 2 and not COMPARE_CUES.search(q.text):
        q.qtype = question_type(q.text, [])  # two names of one place (莆田仙游) are not a comparison
    if not (doc or region or level):
        if scope.docs:
            scope.doc = list(scope.docs)
        elif q.county and not scope.unknown_places:
            levels = {d.level for d in engine.documents}
            scope.level = "县" if "县" in levels else None
    return scope


def scope_doc_ids(engine, scope: Scope) -> list[str]:
    docs = {scope.doc} if isinstance(scope.doc, str) else set(scope.doc or [])
    return [d.doc_id for d in engine.documents
            if (not docs or d.doc_id in docs) and (not scope.region or scope.region in d.region)
            and (not scope.level or d.level == scope.level)]


# ---------------------------------------------------------------- entry point

def answer(engine, question: str, history: list[str] | None = None, doc=None, region=None, level=None) -> Answer:
    known = known_regions(engine)
    resolved = resolve_followup(question, history, known)
    q = understand(resolved, known)
    scope = make_scope(engine, q, doc, region, level)
    voc = vocab(engine)
    groups = content_terms(q, voc)

    if scope.unknown_places and not scope.docs and not (doc or region or level):
        hits = engine.search(resolved, top_k=3)
        return abstain(question, q, hits, f"现有政策文件中未找到关于{'、'.join(scope.unknown_places)}的内容"
                       f"（收录的文件覆盖：{'、'.join(sorted({d.region for d in engine.documents if d.region}))}）。")
    docs = scope_doc_ids(engine, scope)
    missing_years = [y for y in q.years if not any(y in engine.doc_text(d) for d in docs)]
    if missing_years:
        hits = engine.search(resolved, top_k=3, **scope.filters())
        return abstain(question, q, hits, f"现有政策文件中未找到{'、'.join(missing_years)}年的相关目标。")

    if q.qtype == "comparison":
        ans = comparison_answer(engine, q, groups, voc, scope)
    else:
        hits = engine.search(q.text, top_k=TOP_K, **scope.filters())
        for term in re.findall(r"[“\"]([^”\"]{2,20})[”\"]", q.text) if q.qtype == "definition" else []:
            # The passage that spells a term out may share nothing else with the question.
            hits = merge_hits(hits, engine.search(term, top_k=3, **scope.filters()))
        if q.qtype == "responsibility" and topic_query(q) != q.text:
            hits = merge_hits(hits, engine.search(topic_query(q), top_k=TOP_K, **scope.filters()))
        ans = single_answer(engine, q, groups, voc, hits, scope)
    ans.question = question
    if not ans.abstained:
        ans = maybe_llm(engine, ans)
    return ans


def topic_query(q: Query) -> str:
    """What to search for: for who-questions the words that ask "who" are dropped, since every task has a
    responsibility clause and matching them would rank clause-only passages above the topic."""
    if q.qtype != "responsibility":
        return q.text
    topic = dict(TYPE_CUES)["responsibility"].sub(" ", q.text)
    topic = re.sub(r"(由|是|归|找|这事|这项任务|这件事|这些工作)?[？?]*$", "", topic).strip()
    return topic if len(topic) >= 2 else q.text


def merge_hits(a: list[Hit], b: list[Hit]) -> list[Hit]:
    """Two rankings of the same kind (fusion scores) as one: best score per passage."""
    best: dict[str, Hit] = {}
    for h in a + b:
        if h.passage.pid not in best or h.score > best[h.passage.pid].score:
            best[h.passage.pid] = h
    out = sorted(best.values(), key=lambda h: -h.score)
    for i, h in enumerate(out, 1):
        h.rank = i
    return out


def single_answer(engine, q: Query, groups, voc: Vocab, hits: list[Hit], scope: Scope) -> Answer:
    if not hits:
        return abstain(q.text, q, [], "现有政策文件中未找到相关内容。")
    best_cov = max(coverage(groups, task_text(engine, h.passage), voc) for h in hits[:5])
    # "How much" questions are judged by the figure itself (unit, base, subject, coverage) below; their
    # everyday wording (一个月能拿多少钱) would otherwise fail this general floor.
    if best_cov < MIN_COVERAGE and q.qtype != "target":
        return abstain(q.text, q, hits[:3], "现有政策文件中未找到能回答这个问题的内容。")
    if q.qtype == "responsibility":
        ans = responsibility_answer(engine, q, groups, voc, hits)
        if ans:
            return ans
    if q.qtype == "target" or asks_figure(q.text):
        ans = target_answer(engine, q, groups, voc, hits, scope_doc_ids(engine, scope))
        if ans is not None:
            return ans
        if q.qtype == "target":
            return abstain(q.text, q, hits[:3], "现有政策文件中未找到这一指标的具体数值。")
    if q.qtype == "measures":
        return measures_answer(engine, q, groups, voc, hits)
    return extractive_answer(engine, q, groups, voc, hits)


def evidence_signals(engine, question: str) -> dict:
    """The numbers abstention decides on, for calibration reports: the rule that fires first (place,
    year, coverage, target) or None, the best task coverage, and the best fitting figure's coverage."""
    known = known_regions(engine)
    q = understand(question, known)
    scope = make_scope(engine, q)
    voc = vocab(engine)
    groups = content_terms(q, voc)
    out = {"qtype": q.qtype, "rule": None, "coverage": None, "target_coverage": None}
    if scope.unknown_places and not scope.docs:
        out["rule"] = "place"
        return out
    docs = scope_doc_ids(engine, scope)
    if any(not any(y in engine.doc_text(d) for d in docs) for y in q.years):
        out["rule"] = "year"
        return out
    hits = engine.search(q.text, top_k=TOP_K, **scope.filters())
    out["coverage"] = max((coverage(groups, task_text(engine, h.passage), voc) for h in hits[:5]), default=0.0)
    if q.qtype == "target" or asks_figure(q.text):
        ranked = [(sc, t) for sc, t in rank_targets(engine, q, groups, voc, hits, docs)
                  if target_fits(t, q.text) and not subject_missing(engine, t, groups, docs)]
        out["target_coverage"] = ranked[0][0] if ranked else 0.0
    if q.qtype != "comparison":
        if out["coverage"] < MIN_COVERAGE and q.qtype != "target":
            out["rule"] = "coverage"
        elif q.qtype == "target" and out["target_coverage"] < MIN_TARGET_COVERAGE:
            out["rule"] = "target"
    return out


def abstain(question: str, q: Query, hits: list[Hit], message: str) -> Answer:
    return Answer(question=question, text=message + ("以下段落可能相关。" if hits else ""), citations=[],
                  abstained=True, qtype=q.qtype, related=hits[:3])


def task_text(engine, p: Passage) -> str:
    """Heading plus all passages of the passage's task (topic words and clause are often apart)."""
    if not p.task_id:
        return p.index_text()
    parts = [x.text for x in task_passages(engine, p)]
    return p.section + "\n" + "".join(parts)


_TASKS: dict[int, dict[str, list[Passage]]] = {}


def task_passages(engine, p: Passage) -> list[Passage]:
    key = id(engine.passages)
    if key not in _TASKS:
        _TASKS.clear()
        m: dict[str, list[Passage]] = {}
        for x in engine.passages:
            m.setdefault(x.task_id, []).append(x)
        _TASKS[key] = m
    return _TASKS[key].get(p.task_id, [p])


# ---------------------------------------------------------------- responsibility

def responsibility_answer(engine, q: Query, groups, voc: Vocab, hits: list[Hit]) -> Answer | None:
    """Units of the task the best hits belong to; one task per document, best documents first.
    Documents that say who leads in a sentence (「由民政、发展改革部门牵头」) rather than in a
    责任单位 clause are answered with that sentence."""
    ranked = rank_tasks(engine, groups, voc, hits, need_clause=True)
    cue = cue_sentence(q, groups, voc, hits[:5])
    if not ranked and cue is None:
        return None
    b = Builder(q.text, q.qtype)
    task_cov = coverage(groups, task_text(engine, ranked[0][1].passage), voc) if ranked else 0.0
    # A lead sentence that covers the question well is shown too: the clause of the nearest task may be
    # about something else when the document states responsibility in prose.
    if cue is not None and cue[0] >= min(0.6, max(0.2, task_cov)):
        _c, p, (a, e) = cue
        n = b.cite(p, (a, e))
        b.lines.append(f"《{p.title}》{p.section_path[-1] if p.section_path else ''} —— {p.text[a:e]}[{n}]")
        if cue[0] > task_cov:
            ranked = []  # the sentence answers it better than any clause
    top = ranked[0][0] if ranked else 0.0
    per_doc: dict[str, Hit] = {}
    for score, h in ranked:
        if h.passage.doc_id not in per_doc and score >= 0.8 * top:
            per_doc[h.passage.doc_id] = h
    for h in per_doc.values():
        add_clause(engine, b, q, groups, voc, h.passage)
    return b.answer() if b.lines else None


def add_clause(engine, b: Builder, q: Query, groups, voc: Vocab, p: Passage) -> None:
    """The task's units, citing the passage that holds its clause, and the task's matching sentence."""
    clause_p = next((x for x in task_passages(engine, p) if p.responsibility[:12] in x.text), p)
    at = clause_p.text.find(p.responsibility[:12])
    span = clean_span(clause_p.text, at, min(len(clause_p.text), at + len(p.responsibility))) if at >= 0 else None
    n_clause = b.cite(clause_p, span)
    if p.lead_units and p.partner_units:
        units = f"牵头：{'、'.join(p.lead_units)}；配合：{'、'.join(p.partner_units)}"
    else:
        units = f"责任单位：{'、'.join(p.units)}"
    b.lines.append(f"《{p.title}》{p.section_path[-1] if p.section_path else ''} —— {units}[{n_clause}]")
    # The task's sentence that matches the question: the proof of which task this is.
    hits = [Hit(passage=x, score=0) for x in task_passages(engine, p)]
    for sp, (a, e) in best_sentences(engine, q, groups, voc, hits, limit=2, exclude_clause=True):
        n = b.cite(sp, (a, e))
        b.lines.append(f"  相关内容：{sp.text[a:e]}[{n}]")


LEAD_CUE = re.compile(r"牵头|负主体责任|主体责任|直接责任|负责|抓总")


def cue_sentence(q: Query, groups, voc: Vocab, hits: list[Hit]):
    """The sentence of the hits that says who leads or answers for something and covers the question best."""
    best = None
    for h in hits:
        p = h.passage
        for a, e in sentences(p.text):
            a, e = clean_span(p.text, a, e)
            text = p.text[a:e]
            if not LEAD_CUE.search(text) or re.search(r"责任(单位|部门)[:：]", text):
                continue
            c = coverage(groups, text, voc)
            # Asked who leads (牵头): a sentence that names a lead comes before one that does not.
            key = (("牵头" in q.text) and ("牵头" in text), c)
            if best is None or key > best[0]:
                best = (key, p, (a, e))
    return (best[0][1], best[1], best[2]) if best else None


# ---------------------------------------------------------------- targets

MONEY = re.compile(r"多少钱|多少元|几元|工资|薪酬|收费|价格|费用|补贴|补助|资金|经费|奖励")
UNIT_ASKED = [
    (re.compile(r"多少万元|几万元"), ("万元",)),
    (re.compile(r"多少万人|几万人"), ("万人",)),
    (re.compile(r"多少万户"), ("万户", "户")),
    (re.compile(r"多少张|几张"), ("张",)),
    (re.compile(r"多少户|几户"), ("户", "万户")),
    (re.compile(r"几名|多少名"), ("名", "人")),
    (re.compile(r"多少平方米|多大面积|面积.{0,6}多少"), ("平方米", "万平方米")),
]
PER_BASE = re.compile(r"每(个|千|万|百|十万|年|月|天|周|人|户|名)")


def asks_figure(question: str) -> bool:
    return bool(re.search(r"多少|几[个名人户张所家]|比例|覆盖率|占比", question))


def asked_units(question: str) -> tuple[str, ...] | None:
    for rx, units in UNIT_ASKED:
        if rx.search(question):
            return units
    if MONEY.search(question) and re.search(r"多少|几|标准", question):
        return ("元", "万元")
    return None


def target_fits(t: Target, question: str) -> bool:
    """The figure is of the kind asked: same unit when one is asked, same base (每千/每万/每个…)."""
    units = asked_units(question)
    if units and t.unit not in units:
        return False
    for m in PER_BASE.finditer(question):
        base = m.group(1)
        sent = t.sentence.replace("名", "") if base != "名" else t.sentence
        if not re.search(f"每{base}", sent):
            return False
    return True


# Words of the base a figure is counted on (每万城镇常住人口拥有…): checked by target_fits, so they
# must not make an unrelated figure on the same base look like a match.
BASE_WORD = re.compile(r"^(每.{0,3}|[千万百]名|[千万百]人|百户|常住人口|人口|城镇|城镇常住|拥有|户籍|居民)$")


def rank_targets(engine, q: Query, groups, voc: Vocab, hits: list[Hit], docs: list[str]) -> list[tuple[float, Target]]:
    near = {(h.passage.doc_id, h.passage.task_id) for h in hits}
    groups = [g for g in groups if not BASE_WORD.match(g[0])] or groups
    out = []
    for t in engine.targets:
        if docs and t.doc_id not in docs:
            continue
        # The words before a figure say what it counts: of two figures in one sentence, the one whose
        # own indicator matches the question ranks first.
        cov = coverage(groups, t.indicator + t.sentence, voc) + 0.2 * coverage(groups, t.indicator, voc)
        p = passage_at(engine, t.doc_id, t.start)
        if p is None:
            continue  # not in any passage (nothing to cite)
        bonus = 0.1 if (p.doc_id, p.task_id) in near else 0.0
        bonus += 0.05 if t.deadline else 0.0  # a stated goal rather than a rule of thumb
        out.append((cov + bonus, t))
    out.sort(key=lambda x: -x[0])
    return out


@lru_cache(maxsize=4096)
def is_subject_term(word: str) -> bool:
    """A domain term (user dictionary) or a longer noun: what a figure is about (网格员, 家庭医生), as
    opposed to what is asked of it (补贴, 计划)."""
    import jieba.posseg as pseg

    _jieba()  # the user dictionary is loaded
    toks = list(pseg.cut(word))
    return len(toks) == 1 and (toks[0].flag == "x" or (toks[0].flag.startswith("n") and len(word) >= 3))


def subject_missing(engine, t: Target, groups, docs: list[str]) -> list[str]:
    """Subject terms of the question that the documents use but the figure's passage does not: a figure
    about something else (残疾人联络员 200元 for a question on 网格员)."""
    p = passage_at(engine, t.doc_id, t.start)
    text = (p.text if p else "") + t.indicator
    out = []
    for g in groups:
        if is_subject_term(g[0]) and not any(w in text for w in g) and \
                any(any(w in engine.doc_text(d) for w in g) for d in docs or [t.doc_id]):
            out.append(g[0])
    return out


def target_answer(engine, q: Query, groups, voc: Vocab, hits: list[Hit], docs: list[str]) -> Answer | None:
    """The figures that answer the question; a question in several parts (「…多少？…又要多少？」) gets the
    figure of each part."""
    parts = [x for x in re.split(r"[？?；;]", q.text) if x.strip() and asks_figure(x)]
    asks = [(q.text, groups)] if len(parts) < 2 else \
        [(x, content_terms(Query(text=x, qtype="target", regions=q.regions), voc)) for x in parts]
    chosen: list[Target] = []
    for text, g in asks:
        ranked = [(sc, t) for sc, t in rank_targets(engine, q, g, voc, hits, docs)
                  if target_fits(t, text) and not subject_missing(engine, t, g, docs)]
        if not ranked or ranked[0][0] < MIN_TARGET_COVERAGE:
            continue
        best = ranked[0][0]
        chosen += [t for sc, t in ranked if sc >= best - 0.12 and t not in chosen][:4]
    if not chosen:
        return None
    b = Builder(q.text, "target")
    seen_sent = set()
    for t in sorted(chosen, key=lambda t: (t.doc_id, t.start)):
        if (t.doc_id, t.start) in seen_sent:
            continue
        seen_sent.add((t.doc_id, t.start))
        same = [x for x in chosen if x.doc_id == t.doc_id and x.start == t.start]
        n, quote = cite_span(engine, b, t.doc_id, t.start, t.end)
        if t.source == "table":
            b.lines.append(f"{table_line(t)}[{n}]")
            continue
        figures = "、".join(f"{x.value}" for x in same)
        deadline = f"（{t.deadline}）" if t.deadline and t.deadline in quote else ""
        b.lines.append(f"{t.indicator}：{figures}{deadline} —— 原文：{quote}[{n}]")
    return b.answer()


def table_line(t: Target) -> str:
    """A table row as a statement: the cells are quoted as written (a flattened row spans lines)."""
    raw = t.sentence.split()[-1]
    unit = f"（{t.unit}）" if t.unit and not raw.endswith(t.unit) else ""
    when = f"{t.deadline}目标值" if t.deadline else "目标值"
    return f"{t.indicator}，{when}{unit}：{raw}"


def cite_span(engine, b: Builder, doc_id: str, start: int, end: int) -> tuple[int, str]:
    """Cite the passage holding [start, end) of a document; returns (n, the quoted text)."""
    p = passage_at(engine, doc_id, start, end)
    a = max(0, start - p.start)
    e = min(len(p.text), end - p.start)
    a, e = clean_span(p.text, a, e)
    return b.cite(p, (a, e)), p.text[a:e]


# ---------------------------------------------------------------- extractive

def best_sentences(engine, q: Query, groups, voc: Vocab, hits: list[Hit], limit: int = 3,
                   exclude_clause: bool = False) -> list[tuple[Passage, tuple[int, int]]]:
    """The sentences of the hits that cover most of the question, de-duplicated by document offset."""
    quoted = re.findall(r"[“\"]([^”\"]{2,20})[”\"]", q.text)
    scored = []
    for rank, h in enumerate(hits):
        p = h.passage
        for a, e in sentences(p.text):
            a, e = clean_span(p.text, a, e)
            s = p.text[a:e]
            if len(s) < 6 or (exclude_clause and re.search(r"责任(单位|部门)", s)):
                continue
            if p.section_path and s.rstrip("。") in p.section_path[-1]:
                continue  # a heading names the topic; the sentences under it say what is done
            score = coverage(groups, s, voc) + 0.02 * (len(hits) - rank) / max(1, len(hits))
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


def rank_tasks(engine, groups, voc: Vocab, hits: list[Hit], need_clause: bool = False) -> list[tuple[float, Hit]]:
    """Tasks of the hits, best first: fusion score weighted by how much of the question the task covers;
    a task hit by several passages gains a little."""
    tasks: dict[str, tuple[float, Hit]] = {}
    for h in hits:
        if need_clause and not h.passage.responsibility:
            continue
        cov = coverage(groups, task_text(engine, h.passage), voc)
        # A task whose heading names the question's topic is the task about it, not one that mentions it.
        head = coverage(groups, h.passage.section_path[-1] if h.passage.section_path else "", voc)
        score = h.score * (0.5 + cov + 0.5 * head)
        tid = h.passage.task_id or h.passage.pid
        if tid in tasks:
            old, best = tasks[tid]
            tasks[tid] = (max(old, score) + 0.3 * min(old, score), best if old >= score else h)
        else:
            tasks[tid] = (score, h)
    return sorted(tasks.values(), key=lambda x: -x[0])


MAX_TASK_SENTENCES = 8


def task_sentences(engine, groups, voc: Vocab, p: Passage) -> list[tuple[Passage, tuple[int, int]]]:
    """The body of a task as its measures: the first sentences plus the ones that match the question,
    in document order, without the heading and the responsibility clause."""
    heading = p.section_path[-1] if p.section_path else ""
    cands = []
    for x in task_passages(engine, p):
        for a, e in sentences(x.text):
            a, e = clean_span(x.text, a, e)
            text = x.text[a:e]
            if len(text) < 6 or (heading and text.rstrip("。") in heading) or re.search(r"责任(单位|部门)[:：]", text):
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
        by_cov = sorted(range(3, len(kept)), key=lambda i: -coverage(groups, kept[i][0].text[slice(*kept[i][1])], voc))
        keep = set(range(3)) | set(by_cov[:MAX_TASK_SENTENCES - 3])
        kept = [c for i, c in enumerate(kept) if i in keep]
    return kept


def measures_answer(engine, q: Query, groups, voc: Vocab, hits: list[Hit]) -> Answer:
    ranked = rank_tasks(engine, groups, voc, hits[:5])
    b = Builder(q.text, q.qtype)
    p = ranked[0][1].passage
    b.lines.append(f"《{p.title}》{p.section_path[-1] if p.section_path else ''}：")
    for x, (a, e) in task_sentences(engine, groups, voc, p):
        n = b.cite(x, (a, e))
        b.lines.append(f"{x.text[a:e]}[{n}]")
    if len(b.lines) == 1:
        return extractive_answer(engine, q, groups, voc, hits)
    return b.answer()


def extractive_answer(engine, q: Query, groups, voc: Vocab, hits: list[Hit]) -> Answer:
    b = Builder(q.text, q.qtype)
    chosen = best_sentences(engine, q, groups, voc, hits if q.qtype == "definition" else hits[:5], limit=3)
    for p, (a, e) in sorted(chosen, key=lambda x: (x[0].doc_id, x[0].start + x[1][0])):
        n = b.cite(p, (a, e))
        b.lines.append(f"{p.text[a:e]}[{n}]")
    return b.answer()


# ---------------------------------------------------------------- comparison

def comparison_answer(engine, q: Query, groups, voc: Vocab, scope: Scope) -> Answer:
    """One row per document: its figure (numeric questions), its responsible units (who-questions) or
    its most relevant sentences, each cited."""
    docs = scope_doc_ids(engine, scope) if (scope.docs or scope.doc or scope.region or scope.level) else \
        [d.doc_id for d in engine.documents]
    base = q.text
    for r in q.regions:
        base = base.replace(r, "")
    base = re.sub(r"^[和、，,与及]+", "", base)
    b = Builder(q.text, "comparison")
    numeric = asks_figure(q.text) or bool(re.search(r"标准|目标|几分钟|多大|多少", q.text))
    who = bool(dict(TYPE_CUES)["responsibility"].search(q.text))
    related: list[Hit] = []
    for doc_id in docs:
        hits = engine.search(base, top_k=5, doc=doc_id)
        related += hits[:1]
        row = None
        if who and hits:
            topic = topic_query(Query(text=base, qtype="responsibility"))
            sub = responsibility_answer(engine, q, groups, voc, merge_hits(hits, engine.search(topic, top_k=5, doc=doc_id)))
            if sub is not None and sub.citations:
                row = merge_sub(b, sub)
        if row is None and numeric:
            ranked = [(s, t) for s, t in rank_targets(engine, q, groups, voc, hits, [doc_id])
                      if target_fits(t, q.text) and not subject_missing(engine, t, groups, [doc_id])]
            if ranked and ranked[0][0] >= MIN_TARGET_COVERAGE:
                t = ranked[0][1]
                n, quote = cite_span(engine, b, doc_id, t.start, t.end)
                # A table row's deadline comes from its header (目标值 2025年), not from the row itself.
                deadline = t.deadline if (t.deadline in quote or t.source == "table") else ""
                line = table_line(t) if t.source == "table" else f"{t.value} —— 原文：{quote}"
                row = {"figure": t.value, "deadline": deadline, "n": n, "line": f"{line}[{n}]"}
        if row is None and hits:
            # The document's task on the topic (as for measures), then its sentences that match best.
            task = rank_tasks(engine, groups, voc, hits)[0][1].passage
            pool = merge_hits([Hit(passage=x, score=1.0) for x in task_passages(engine, task)], hits)
            chosen = best_sentences(engine, q, groups, voc, pool, limit=2)
            if chosen and coverage(groups, "".join(p.text[x:y] for p, (x, y) in chosen), voc) >= MIN_COVERAGE:
                parts, first_n = [], None
                for p, (x, y) in sorted(chosen, key=lambda c: c[0].start + c[1][0]):
                    n = b.cite(p, (x, y))
                    first_n = first_n or n
                    parts.append(f"{p.text[x:y]}[{n}]")
                quote = "".join(p.text[x:y] for p, (x, y) in sorted(chosen, key=lambda c: c[0].start + c[1][0]))
                dl = re.search(r"(?:到|至)?20\d\d年(?:年?底|末)?", quote)
                row = {"figure": quote, "deadline": dl.group(0).lstrip("到至") if dl else "", "n": first_n,
                       "line": "".join(parts)}
        if row is None:
            continue
        region = doc_region(engine, doc_id)
        b.table.append({"doc_id": doc_id, "title": doc_title(engine, doc_id), "region": region,
                        "figure": row["figure"], "deadline": row["deadline"], "n": row["n"]})
        b.lines.append(f"{region}（《{doc_title(engine, doc_id)}》）：{row['line']}")
    if not b.table:
        return abstain(q.text, q, related, "现有政策文件中未找到可比较的内容。")
    return b.answer()


def merge_sub(b: Builder, sub: Answer) -> dict:
    """Fold the first entry of a per-document answer (its lines up to the next document or task) into
    the comparison, renumbering the citations it uses."""
    lines = sub.text.splitlines()
    entry = [lines[0]]
    if len(lines) > 1 and lines[1].startswith("  "):
        entry.append(lines[1])  # its first supporting sentence
    entry[0] = re.sub(r"^《[^》]*》", "", entry[0])  # the row already names the document
    by_n = {c.n: c for c in sub.citations}
    renum = {}
    for n in dict.fromkeys(int(m) for m in re.findall(r"\[(\d+)\]", " ".join(entry))):
        c = by_n[n]
        for span in c.highlights or [None]:
            renum[n] = b.cite(c.passage, span)
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{renum[int(m.group(1))]}]", " ".join(x.strip() for x in entry))
    figure = re.sub(r"\[\d+\]", "", entry[0].split("——", 1)[-1]).strip()
    first_n = renum[int(re.search(r"\[(\d+)\]", entry[0]).group(1))]
    return {"figure": figure, "deadline": "", "n": first_n, "line": text}


# ---------------------------------------------------------------- optional generation

def maybe_llm(engine, ans: Answer) -> Answer:
    settings = engine.settings
    if not (settings.llm_base_url and settings.llm_model) or not ans.citations:
        return ans
    from .llm import phrase

    text = phrase(settings, ans.question, [(c.n, c.passage) for c in ans.citations], draft=ans.text)
    if text:
        ans.text, ans.mode = text, "llm"
    return ans
