"""Pure metric functions: no engine, no files. Passages are (doc_id, start, end, text) tuples.

The hit rule (also in eval/README.md): a retrieved passage hits a question when
  * it contains one of the question's evidence spans, ignoring whitespace (and full/half-width
    differences, via NFKC), or
  * it covers at least half of the characters of one located occurrence of an evidence span in the
    same document (a span cut by a passage boundary), or
  * for a question without evidence, it contains every answer string.
When the gold names documents, only passages of those documents can hit.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

KS = (1, 3, 5, 10)
NDCG_K = 10
MIN_COVER = 0.5  # share of a span's characters a passage must cover to hit it


# ---------------------------------------------------------------- text matching

def _norm_char(c: str) -> str:
    return "" if c.isspace() else unicodedata.normalize("NFKC", c)


@lru_cache(maxsize=8192)  # each passage text is compared with every question's spans
def norm(text: str) -> str:
    """Whitespace removed, NFKC applied (so ：(（ match :((): the form every comparison uses."""
    return "".join(_norm_char(c) for c in text)


def contains(text: str, span: str) -> bool:
    s = norm(span)
    return bool(s) and s in norm(text)


def find_all(text: str, span: str) -> list[tuple[int, int]]:
    """Every occurrence of `span` in `text`, matched like `contains`, as (start, end) offsets into `text`."""
    target = norm(span)
    if not target:
        return []
    chars: list[str] = []
    src: list[int] = []  # index in `text` of every normalised character
    for i, c in enumerate(text):
        for n in _norm_char(c):
            chars.append(n)
            src.append(i)
    flat = "".join(chars)
    out, pos = [], flat.find(target)
    while pos >= 0:
        out.append((src[pos], src[pos + len(target) - 1] + 1))
        pos = flat.find(target, pos + 1)
    return out


# ---------------------------------------------------------------- gold and hits

@dataclass(frozen=True)
class Span:
    """One located occurrence of evidence span number `ev` of a question."""

    ev: int
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Gold:
    evidence: tuple[str, ...] = ()
    located: tuple[Span, ...] = ()  # every occurrence of every evidence span (a clause may recur)
    answers: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()  # when given, only passages of these documents can hit

    @property
    def units(self) -> int:
        """How many things there are to find: the evidence spans, or the one answer-bearing passage."""
        return len(self.evidence) if self.evidence else (1 if self.answers else 0)


def locate(evidence: list[str], doc_texts: dict[str, str]) -> tuple[Span, ...]:
    return tuple(Span(i, d, s, e) for i, ev in enumerate(evidence)
                 for d, text in doc_texts.items() for s, e in find_all(text, ev))


def covered(passage: tuple, gold: Gold) -> set[int]:
    """Which evidence spans (by index) this passage hits; {0} for an answer-only gold it satisfies."""
    doc_id, start, end, text = passage
    if gold.docs and doc_id not in gold.docs:
        return set()
    if not gold.evidence:
        return {0} if gold.answers and all(contains(text, a) for a in gold.answers) else set()
    flat = norm(text)
    out = {i for i, ev in enumerate(gold.evidence) if norm(ev) and norm(ev) in flat}
    for s in gold.located:
        if s.ev in out or s.doc_id != doc_id or s.end <= s.start:
            continue
        overlap = min(end, s.end) - max(start, s.start)
        if overlap > 0 and overlap >= MIN_COVER * (s.end - s.start):
            out.add(s.ev)
    return out


def coverage_by_rank(ranked: list[tuple], gold: Gold) -> list[set[int]]:
    return [covered(p, gold) for p in ranked]


def first_hit_rank(covers: list[set[int]]) -> int | None:
    """1-based rank of the first passage hitting any span (several spans: any one counts)."""
    return next((r for r, c in enumerate(covers, 1) if c), None)


def recall_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def novelty_gains(covers: list[set[int]]) -> list[int]:
    """Per rank, how many evidence spans that passage is the first to hit."""
    seen: set[int] = set()
    gains = []
    for c in covers:
        gains.append(len(c - seen))
        seen |= c
    return gains


def ideal_gains(pool_covers: list[set[int]], k: int = NDCG_K) -> list[int]:
    """The best novelty gains a ranking of the pool (all indexed passages) can reach, chosen greedily."""
    left = [c for c in pool_covers if c]
    seen: set[int] = set()
    gains = []
    while left and len(gains) < k:
        best = max(left, key=lambda c: len(c - seen))
        if not best - seen:
            break
        gains.append(len(best - seen))
        seen |= best
        left.remove(best)
    return gains


def dcg(gains: list[int], k: int = NDCG_K) -> float:
    return sum(g / math.log2(r + 1) for r, g in enumerate(gains[:k], 1))


def ndcg(covers: list[set[int]], ideal: list[int], k: int = NDCG_K) -> float:
    """nDCG@k where a passage gains 1 for each evidence span it is the first to hit (alpha-nDCG, alpha=1).

    One span found at rank r gives 1/log2(r+1). `ideal` is what the best ranking gains
    (`ideal_gains` over every indexed passage): when one passage holds both spans of a question it
    has to come first; spans in two documents need two passages, so hits at ranks 1 and 2 give 1.0.
    """
    best = dcg(ideal, k)
    if best <= 0:
        return 0.0
    return min(1.0, dcg(novelty_gains(covers), k) / best)  # a greedy ideal can, rarely, be beaten


def score_ranking(ranked: list[tuple], gold: Gold, k: int = NDCG_K, ideal: list[int] | None = None) -> dict:
    """Rank of the first hit, reciprocal rank, nDCG@k. Without `ideal`, assume one span per passage."""
    covers = coverage_by_rank(ranked[:k], gold)
    rank = first_hit_rank(covers)
    if ideal is None:
        ideal = [1] * min(gold.units, k)
    return {"rank": rank, "rr": reciprocal_rank(rank), "ndcg": ndcg(covers, ideal, k),
            "spans_found": len(set().union(*covers)) if covers else 0}


# ---------------------------------------------------------------- aggregation

def summarize(rows: list[dict], ks=KS) -> dict:
    """Means over rows with keys rank, rr, ndcg (from score_ranking)."""
    n = len(rows)
    out = {"n": n}
    for k in ks:
        out[f"recall@{k}"] = sum(recall_at(r["rank"], k) for r in rows) / n if n else 0.0
    out["mrr"] = sum(r["rr"] for r in rows) / n if n else 0.0
    out[f"ndcg@{NDCG_K}"] = sum(r["ndcg"] for r in rows) / n if n else 0.0
    return out


def recall_curve(ranks: list[int | None], max_k: int = NDCG_K) -> list[float]:
    n = len(ranks)
    return [sum(recall_at(r, k) for r in ranks) / n if n else 0.0 for k in range(1, max_k + 1)]


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return 0.0
    v = sorted(values)
    pos = (len(v) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


# ---------------------------------------------------------------- answers

YEAR = re.compile(r"^(到|至|截至)?\d{4}年(底|末|前|以前)?$")


def all_present(text: str, strings) -> bool:
    return bool(strings) and all(contains(text, s) for s in strings)


def figures(answers) -> list[str]:
    """The figures among a target question's answer strings: with a digit and not just a deadline year."""
    figs = [a for a in answers if re.search(r"\d", a) and not YEAR.match(norm(a))]
    return figs or list(answers)


def target_correct(text: str, answers) -> bool:
    return all_present(text, figures(answers))


@dataclass
class Rate:
    """A share with its count (41/56 as well as 0.732) and which questions fell on either side."""

    yes: list = field(default_factory=list)
    no: list = field(default_factory=list)

    def add(self, flag: bool, qid: str) -> None:
        (self.yes if flag else self.no).append(qid)

    @property
    def n(self) -> int:
        return len(self.yes) + len(self.no)

    @property
    def value(self) -> float | None:
        return len(self.yes) / self.n if self.n else None

    def to_dict(self) -> dict:
        return {"value": self.value, "count": len(self.yes), "n": self.n, "yes": self.yes, "no": self.no}
