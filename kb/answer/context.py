"""One question being answered: what was asked, where to look, and what was found, in one object
that every stage (registry, strategies, gate, rendering) reads instead of a row of parameters."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..evidence import Vocab, content_terms, vocab
from .. import query as query_mod
from ..query import COMPARE_CUES, Query, question_type, resolve_followup, understand
from ..types import DocMeta, Hit, Passage

TOP_K = 8  # passages a strategy looks at (retrieval depth of the answer)


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

    @property
    def explicit(self) -> bool:
        return bool(self.doc or self.region or self.level)


@dataclass
class Context:
    engine: object
    question: str  # as asked
    text: str  # the question answered (a follow-up completed from the history)
    query: Query
    scope: Scope
    history: list[str] = field(default_factory=list)
    filters: dict = field(default_factory=dict)  # the caller's doc/region/level
    qtype: str = "general"  # the registry's type (may refine query.qtype)
    hits: list[Hit] = field(default_factory=list)
    prior: list = field(default_factory=list)  # passages the previous part was answered from (a follow-up part)
    _groups: list | None = None
    _qvec: np.ndarray | None = None

    @property
    def settings(self):
        return self.engine.settings

    @property
    def voc(self) -> Vocab:
        return vocab(self.engine)

    @property
    def groups(self) -> list[tuple[str, ...]]:
        """The question's content words with the policy terms they stand for."""
        if self._groups is None:
            self._groups = content_terms(self.query, self.voc)
        return self._groups

    @property
    def qvec(self) -> np.ndarray:
        if self._qvec is None:
            self._qvec = self.engine.question_vector(self.qvec_text)
        return self._qvec

    @property
    def qvec_text(self) -> str:
        # the question with all its synonym-list terms, the text the gate (kb/data/gate.json) was calibrated on
        return query_mod.dense_query(self.text)

    def prefetch(self, *more: str) -> None:
        """The searches about to run and the question vector, encoded in one batch."""
        self.engine.prefetch([self.text, *more], [self.qvec_text])

    def search(self, text: str | None = None, top_k: int = TOP_K, **over) -> list[Hit]:
        filters = {**self.scope.filters(), **over}
        return self.engine.search(text or self.text, top_k=top_k, **filters)

    def doc_ids(self) -> list[str]:
        """The documents in scope (all when nothing narrows it)."""
        return scope_doc_ids(self.engine, self.scope)

    def derive(self, text: str) -> "Context":
        """A context for part of this question (multi-part questions): same filters and history."""
        return make_context(self.engine, text, self.history, **self.filters, inherit_places=self.query.regions)


def make_context(engine, question: str, history=None, doc=None, region=None, level=None,
                 inherit_places: list[str] | None = None) -> Context:
    known = known_regions(engine)
    resolved = resolve_followup(question, history, known)
    q = understand(resolved, known)
    if inherit_places and not q.regions:
        # A part of a multi-part question (「…？目标是多少？」) is about the places the whole one names.
        q.regions = list(inherit_places)
    scope = make_scope(engine, q, doc, region, level)
    return Context(engine=engine, question=question, text=resolved, query=q, scope=scope,
                   history=list(history or []), filters={"doc": doc, "region": region, "level": level},
                   qtype=q.qtype)


# ---------------------------------------------------------------- documents and places

def doc_meta(engine, doc_id: str) -> DocMeta | None:
    return next((d for d in engine.documents if d.doc_id == doc_id), None)


def doc_title(engine, doc_id: str) -> str:
    meta = doc_meta(engine, doc_id)
    return meta.title if meta else doc_id


def doc_region(engine, doc_id: str) -> str:
    meta = doc_meta(engine, doc_id)
    return meta.region if meta else ""


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
                re.search(rf"(^|[在去到和与、]){re.escape(name)}[市省县区]?($|[，,。？?])|{re.escape(name)}[市省县区]"
                          rf"|{re.escape(name)}的?(规划|方案|文件|政策|规定|办法|条例|标准|要求|目标|指标|做法)", q.text):
            # A place whose own policy is asked about (深圳市…, 福州的规划…) is not covered; a place the
            # documents mention as a topic (跟台湾的婚姻家庭交流, 引进台湾养老服务集团) is just a topic word.
            scope.unknown_places.append(name)
    if q.qtype == "comparison" and len(scope.docs) < 2 and not COMPARE_CUES.search(q.text):
        q.qtype = question_type(q.text, [])  # two names of one place (莆田仙游) are not a comparison
    if q.county and scope.docs and not scope.explicit:
        # 「浙江和我们县里…」: the county's own document is named too, so the question is about two places
        county = [d.doc_id for d in engine.documents if d.level == "县" and d.doc_id not in scope.docs]
        if county:
            scope.docs += county
            q.qtype = question_type(q.text, q.regions + ["县"])
    if not scope.explicit:
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


# ---------------------------------------------------------------- passages

def passage_at(engine, doc_id: str, pos: int, end: int | None = None) -> Passage | None:
    """The passage of a document that contains [pos, end) (or pos), preferring the one it fits in."""
    best = None
    for p in engine.passages:
        if p.doc_id == doc_id and p.start <= pos < p.end:
            if end is None or end <= p.end:
                return p
            best = best or p
    return best


def task_passages(engine, p: Passage) -> list[Passage]:
    """All passages cut from the task of p (p alone when it belongs to none)."""
    def build():
        m: dict[str, list[Passage]] = {}
        for x in engine.passages:
            m.setdefault(x.task_id, []).append(x)
        return m

    return engine.derived("task_passages", build).get(p.task_id, [p]) if p.task_id else [p]


def task_text(engine, p: Passage) -> str:
    """Heading plus all passages of the passage's task (topic words and clause are often apart)."""
    if not p.task_id:
        return p.index_text()
    return p.section + "\n" + "".join(x.text for x in task_passages(engine, p))


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
