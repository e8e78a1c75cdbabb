"""The one abstention gate every answer passes.

Three kinds of evidence, in order:
1. scope: a place no document covers, a year no document in scope states — declined outright;
2. type evidence from the strategy: a figure of the asked indicator and subject, a clause of the
   matching task, a unit/date/document found in the parsed structure; the expected answer slot (a price,
   an opening hour, a year, a procedure, a verdict…: kb/answer/slots.py) filled by a sentence on the
   question's topic; a place the question names below or beside the documents' regions named by the answer
   (exact structure answers pass after these two checks);
3. a calibrated score (logistic regression, weights in kb/data/gate.json, fitted by
   `python -m eval.calibrate_gate` with cross-validation) over general signals: the dense similarity of
   the question to its best evidence sentence and that sentence's margin over the rest, the lexical
   coverage after synonym expansion (of the retrieved tasks and of the quoted sentences), and the share of
   the question's words no document uses.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..evidence import coverage
from ..query import PROVINCES, district_names
from .build import Builder
from .context import Context, docs_of_place, known_regions, task_text
from .select import dense_scores, sentence_spans
from . import terms
from .slots import asked, unfilled

# A question that sets one place against another (GENRE.md 'the same question for several places')
COMPARES_WITH = re.compile(r"比|一样|相同|不同|区别|差别|差距|谁(的|更)|哪个(更|多|高)|对比")
# words ending in 区/县 that are not places of their own (社区, 小区…) or that point at the corpus (我们县, 全县)
NOT_A_PLACE = re.compile(r"(社|小|园|片|景|街|辖|地|山|市|郊|老|新|全|本|该|各|发|能|业|宅|住|范|验|护)[区县]$|^(老|新|主)城区$|^(我们|咱们|我|咱|本|全|该|各|这个|那个|这|那)")
QUOTED_TERM = re.compile(r"[“\"]([^”\"]{2,20})[”\"]")
SQUEEZE = re.compile(r"[\s“”\"'‘’、，,。·]")
GATE_FILE = Path(__file__).resolve().parent.parent / "data" / "gate.json"
# Model inputs are general signals only. type_score is recorded but not an input: extractive strategies have
# no type measure of their own (1.0), so as a feature it learned "no type evidence = answerable"; type evidence
# decides at the type stage instead. A cue list of how-to verbs was tried as a feature and dropped: the fit
# leaned on it alone (it matched the phrasing of the calibration questions, not the meaning).
FEATURES = ("dense_best", "dense_margin", "answer_dense", "coverage", "answer_coverage", "unseen", "agree")
# Before a calibration exists: the former rule (coverage of the best task ≥ 0.10; gold answerable ≥ 0.11).
FALLBACK_MIN_COVERAGE = 0.10


@dataclass
class Decision:
    ok: bool
    message: str = ""
    signals: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"ok": self.ok, **({"reason": self.message} if self.message else {}),
                **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.signals.items()}}


@lru_cache(maxsize=4)
def load_params(path: str = str(GATE_FILE)) -> dict | None:
    p = Path(path)
    if not p.is_file():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def scope_check(ctx: Context) -> str | None:
    """A question about a place, a year or the meaning of a coined term the documents in scope do not cover."""
    engine, scope = ctx.engine, ctx.scope
    if scope.unknown_places and not scope.docs and not scope.explicit:
        return f"现有政策文件中未找到关于{'、'.join(scope.unknown_places)}的内容（收录的文件覆盖：{covered(engine)}）。"
    if scope.unknown_places and scope.docs and not any(ctx.filters.values()) and COMPARES_WITH.search(ctx.text):
        # 「广州和珠海比，谁的…更多？」: one side of the comparison is not in the documents
        return f"现有政策文件中未找到关于{'、'.join(scope.unknown_places)}的内容，无法比较。"
    docs = ctx.doc_ids()
    for name in minor_places(ctx.text):
        # 「珠海香洲区的托位目标」: a district, county or town the documents never mention; its own figures are
        # not in them (a place they do mention, 海沧区, stays a topic word)
        stem = place_stem(name)  # 仙游县 is the 仙游 of the region 仙游（莆田）
        if not any(stem in squeezed_text(engine, d.doc_id) or stem in d.region for d in engine.documents):
            return f"现有政策文件中未找到关于{name}的内容（收录的文件覆盖：{covered(engine)}）。"
    for term in QUOTED_TERM.findall(ctx.text):
        # A named item (“放心码”) asked of a document that does not have it, while another document does
        t = squeeze(term)
        if len(t) >= 2 and not any(t in squeezed_text(engine, d) for d in docs):
            others = [d for d in engine.documents if t in squeezed_text(engine, d.doc_id)]
            if others:
                where = "、".join(dict.fromkeys(d.region or d.title for d in others))
                return f"现有政策文件中，所问文件未提到“{term}”（只见于{where}的文件）。"
    undefined = terms.undefined_terms(ctx)
    if undefined:
        # 「“13335”工作法具体指什么？」: the documents use the label but never spell it out
        return f"现有政策文件提到了{'、'.join(f'“{t}”' for t in undefined)}，但没有说明它具体指什么。"
    missing = [y for y in ctx.query.years if not any(y in engine.doc_text(d) for d in docs)]
    if missing:
        return f"现有政策文件中未找到{'、'.join(missing)}年的相关内容。"
    return None


def places_not_in(ctx: Context, quoted: list[str]) -> list[str]:
    """Places the question names, other than the regions of the documents (and their names), that none
    of the answer's sentences mentions."""
    own = known_regions(ctx.engine)
    names = list(dict.fromkeys(list(ctx.query.regions) + minor_places(ctx.text)))
    out = []
    for name in names:
        stem = place_stem(name)
        if any(stem in r or r in stem for r in own) or docs_of_place(ctx.engine, stem):
            continue
        if name in PROVINCES and any(name in ctx.engine.doc_text(d) for d in ctx.doc_ids()):
            continue  # a province the document deals with as a topic (台湾: cross-strait exchange), not a sub-area
        if not any(stem in squeeze(q) for q in quoted):
            out.append(name)
    return out


def covered(engine) -> str:
    """The places the documents cover, for a decline."""
    return "、".join(sorted({d.region for d in engine.documents if d.region}))


MINOR_PLACE = re.compile(r"(区|县|镇|乡|街道)$")


def place_stem(name: str) -> str:
    """A place name without its district/county/town suffix (仙游县 -> 仙游), as regions are written."""
    return MINOR_PLACE.sub("", name) if len(name) > 2 else name


def minor_places(text: str) -> list[str]:
    """Place names below the city (香洲区, 桃城区) in a question: jieba's place-name tag (ns) on a word with a
    district, county or town suffix."""
    import jieba.posseg as pseg

    from ..search import _jieba

    _jieba()  # the user dictionary is loaded
    found = [w for w, flag in pseg.cut(text)
             if flag == "ns" and len(w) >= 3 and MINOR_PLACE.search(w) and not NOT_A_PLACE.search(w)]
    # the gazetteer's districts and counties, which jieba may split (冀州/区)
    found += [n for n in district_names() if n in text and not NOT_A_PLACE.search(n)
              and not any(n in f or f in n for f in found)]
    return found


TOWN = re.compile(r"([\u4e00-\u9fff]{2})(镇|乡|街道)(?!办|人民|政府|级)")
# parts of speech that make a two-character prefix a phrase, not a name (想在镇上, 我们镇, 各乡镇)
NOT_NAME_POS = ("p", "r", "d", "u", "c", "y", "e", "m", "f")


def towns(text: str) -> list[str]:
    """Towns and streets named in a question (度尾镇, 鲤城街道): a two-character prefix before 镇/乡/街道 that the
    dictionary does not know as a word, or knows as a place name. A gazetteer stops at counties (cpca), and
    jieba seldom tags a town (度/尾/镇); common words (城乡, 集镇, 每个镇) are in its dictionary."""
    import jieba
    import jieba.posseg as pseg

    from ..search import _jieba

    _jieba()  # the user dictionary is loaded
    out = []
    for m in TOWN.finditer(text):
        prefix = m.group(1)
        known = jieba.dt.FREQ.get(prefix) or 0
        if known and pseg.dt.word_tag_tab.get(prefix) != "ns":
            continue
        if any(flag.startswith(NOT_NAME_POS) for _w, flag in pseg.cut(prefix)):
            continue
        if m.start() > 0 and jieba.dt.FREQ.get(text[m.start() - 1:m.start() + 1]):
            continue  # the prefix begins inside a word (推进城乡: 进城 is 推进 + 城)
        if m.group(2) != "街道" and (jieba.dt.FREQ.get(text[m.start(2):m.start(2) + 2]) or
                                    text[m.end():m.end() + 1] in ("街", "村")):
            continue  # the suffix begins a word (珠海乡下, 衡水乡镇, 厦门镇海) or a pair (珠海镇街, 镇村)
        out.append(m.group(0))
    return out


def squeeze(text: str) -> str:
    """Text without spaces, quotes and list commas: “四点半”课堂 and “四点半课堂” are the same words."""
    return SQUEEZE.sub("", text)


def squeezed_text(engine, doc_id: str) -> str:
    return engine.derived(f"squeezed:{doc_id}", lambda: squeeze(engine.doc_text(doc_id)))


def unseen_share(ctx: Context) -> float:
    """IDF-weighted share of the question's content words that no passage uses, even through a synonym:
    what the question is about is not in the documents (挂号, 补办)."""
    voc, groups = ctx.voc, ctx.groups
    if not groups:
        return 1.0
    total = miss = 0.0
    for g in groups:
        w = voc.idf(g[0]) or 0.1
        total += w
        if all(voc.idf(t) >= voc.idf_unseen - 1e-9 for t in g):
            miss += w
    return miss / total if total else 0.0


def signals(ctx: Context, b: Builder | None) -> dict:
    """The gate's inputs for one answer (also what eval.calibrate_gate records)."""
    hits = ctx.hits[:5]
    pool = [(h.passage, span) for h in hits for span in sentence_spans(h.passage)]
    sims = dense_scores(ctx, pool)
    best = float(sims.max()) if len(sims) else 0.0
    rest = np.sort(sims)[:-1] if len(sims) > 1 else sims
    margin = best - float(rest.mean()) if len(rest) else 0.0
    cited = [(st.passage, st.span) for st in (b.statements if b else []) if st.passage is not None and st.span]
    adense = float(dense_scores(ctx, cited).max()) if cited else best
    acov = max((coverage(ctx.groups, p.text[a:e], ctx.voc) for p, (a, e) in cited), default=0.0)
    cov = max((coverage(ctx.groups, task_text(ctx.engine, h.passage), ctx.voc) for h in hits), default=0.0)
    # Whether the two retrievers agree on the top passages (a query-performance signal: a question the
    # documents answer tends to rank the same passages first by words and by meaning).
    agree = float(np.mean([1.0 / max(h.bm25_rank or 1000, h.dense_rank or 1000) for h in hits[:3]])) if hits else 0.0
    return {
        "agree": agree,
        "dense_best": best, "dense_margin": margin, "answer_dense": adense, "coverage": cov,
        "answer_coverage": acov, "unseen": unseen_share(ctx),
        "type_score": float(b.type_score) if b is not None and b.type_score is not None else 0.0,
    }


def score(sig: dict, params: dict) -> float:
    """P(answerable) under the calibrated logistic model."""
    x = np.array([sig[f] for f in params["features"]], dtype=np.float64)
    z = (x - np.array(params["mean"])) / np.array(params["scale"])
    t = float(z @ np.array(params["weights"]) + params["bias"])
    return 1.0 / (1.0 + math.exp(-t))


def topic_groups(ctx: Context) -> list[tuple[str, ...]]:
    """The question's content words outside the phrases that ask for a slot."""
    spans = [m.span() for s in asked(ctx.text) for m in s.ask.finditer(ctx.text)]
    if not spans:
        return ctx.groups
    def in_ask(word: str) -> bool:
        i = ctx.text.find(word)
        return i >= 0 and any(a <= i and i + len(word) <= e for a, e in spans)
    # an ask that spans the whole question (办居住证需要多长时间) leaves its object as the topic
    return [g for g in ctx.groups if not in_ask(g[0])] or ctx.groups


def slot_decline(missing) -> Decision:
    """Declined because the slots asked (a price, a phone number…) are not stated; their own message if any."""
    labels = "、".join(s.label for s in missing)
    message = next((s.message for s in missing if s.message), f"现有政策文件中未找到{labels}。")
    return Decision(False, message, {"stage": "slot", "slots": [s.name for s in missing]})


def decide(ctx: Context, b: Builder | None, decline_message: str = "") -> Decision:
    """Whether the answer b is given. b None or b.decline: the strategy found no evidence of its type."""
    if b is None or b.decline or b.type_score is None or b.empty:
        missing = asked(ctx.text)
        if missing and not (b is not None and b.decline):
            # nothing of the type found, and the question asks a slot: the slot is what is not stated
            # (「投诉热线电话是多少」: no phone number, rather than 「no figure」)
            return slot_decline(missing)
        msg = (b.decline if b is not None and b.decline else "") or decline_message or \
            "现有政策文件中未找到能回答这个问题的内容。"
        return Decision(False, msg, {"stage": "type"})
    # The expected answer slot first: an answer from the parsed structure (a document's dates, a unit's
    # tasks) is exact about what it states, yet it states no verdict, price or procedure either.
    # A sentence fills a slot only when it is about what was asked (shares a content word with the question):
    # 「协助办理工商登记」 states a procedure, but not the one for 申请低保.
    # (a structure answer is about what was asked by construction: all its statements count)
    stated = [st.passage.text[st.span[0]:st.span[1]] for st in b.statements if st.passage is not None and st.span]
    stated += [st.text for st in b.statements if st.passage is not None]
    # The words of the ask itself (怎么申请, 要带什么材料) do not make a sentence on topic: 「…申请就业扶持」
    # is not about 廉租房怎么申请.
    topic = topic_groups(ctx)
    # a document's title (《…城乡社区服务体系建设规划…》) on a statement's label is no topic of the sentence's own
    on_topic = stated if b.exact or not topic else \
        [q for q in stated if coverage(topic, re.sub(r"《[^》]*》", "", q), ctx.voc) > 0]
    missing = unfilled(ctx.text, on_topic)
    if missing:
        return slot_decline(missing)
    # a clause quotes only its units; the task it belongs to is named by its heading
    headings = [st.passage.section_path[-1] for st in b.statements if st.passage is not None and st.passage.section_path]
    away = places_not_in(ctx, stated + headings)
    if not away and any(st.kind == "figure" for st in b.statements):
        # a figure is set for the document's whole region; one asked of a town or street it does not name
        # (「度尾镇要建几个」) is not stated
        cities = set(ctx.query.regions) | set(known_regions(ctx.engine))  # 珠海镇(街道) is 珠海's towns
        away = [t for t in towns(ctx.text) if not any(t.startswith(c) for c in cities)
                and not any(place_stem(t) in squeeze(q) for q in stated)]
    if away:
        # 「分给温州的名额」「澳门的服务中心」: a place below or beside the documents' own regions that the
        # answer never mentions — the answer is about the region as a whole, not about that place
        return Decision(False, f"现有政策文件中未找到关于{'、'.join(away)}的具体内容。", {"stage": "place"})
    if b.exact:
        return Decision(True, signals={"stage": "exact"})
    sig = signals(ctx, b)
    params = load_params()
    if params is None:
        ok = sig["coverage"] >= FALLBACK_MIN_COVERAGE or ctx.qtype in ("target", "comparison")
        sig["stage"] = "fallback"
    else:
        p = score(sig, params)
        sig["p"] = p
        sig["stage"] = "score"
        ok = p >= params["threshold"]
    return Decision(ok, "" if ok else "现有政策文件中未找到能回答这个问题的内容。", sig)

