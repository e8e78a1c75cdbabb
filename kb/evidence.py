"""Evidence scoring: the content words of a question (with the policy terms its everyday words stand
for), how much of them a text covers (IDF-weighted), and sentence spans of passage texts."""
from __future__ import annotations

import math
import re

from .query import TYPE_CUES, Query, load_synonyms
from .search import _jieba, stopwords
from .types import Passage

# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = set("""
多少 几个 几名 几 哪些 哪个 哪几 哪 什么 怎么 怎样 如何 谁 由谁 负责 牵头 部门 单位 责任 责任单位 责任部门 管 来管 归 找
要求 目标 目标值 达到 要 是 有 能 能不能 可以 分别 各 各自 具体 主要 方面 这块 这件 这事 这些 那些 工作 事 情况
规划 方案 文件 实施方案 里 中 说 提 提出 讲 定 定了 做 做法 措施 举措 办法 安排 规定 说法 方面 吗 呢 啊 呀 哪里
县里 市里 省里 地方 一样 不同 相比 对比 比较 哪些方面 多大 多高 比例 标准 情况 一下 请问 指 指什么 是指 包括 内容 什么样
怎么办 没有 不能 能不能 家里 找个 这边 那边 是不是 非得 打算 准备 起来 提到 各是 两地 三份 提法 一家 或者 帮上 看看 这种 之间
这摊 回来 出去 想当 哪儿 还有 能否 可不可以 给予 提供 帮助 支持 政府 相关 有关 当地 我们 咱们 大家 居民 老百姓 不了 一个
""".split())


class Vocab:
    """IDF of words over the passages (document frequency by substring, so compounds count)."""

    def __init__(self, passages: list[Passage]):
        self.texts = [p.index_text() for p in passages]
        self.n = len(self.texts)
        self._df: dict[str, int] = {}
        self.idf_unseen = math.log((self.n + 1) / 0.5)

    def df(self, term: str) -> int:
        if term not in self._df:
            self._df[term] = sum(term in t for t in self.texts)
        return self._df[term]

    def idf(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df(term) + 0.5))

    def df_share(self, term: str) -> float:
        """Share of passages containing the term as a substring (compounds count), as idf counts it; the
        store's df_share counts BM25 tokens instead."""
        return self.df(term) / max(1, self.n)


def vocab(engine) -> Vocab:
    """The Vocab of the engine's current passages (owned by the engine: rebuilt with the index)."""
    return engine.derived("vocab", lambda: Vocab(engine.passages))


def content_terms(q: Query, voc: Vocab | None = None) -> list[tuple[str, ...]]:
    """The question's content words, each with the policy terms it stands for (a synonym group).
    A word the documents themselves use (婴幼儿) keeps its meaning; only everyday words are expanded."""
    text = q.text
    for r in q.regions:
        text = text.replace(r, " ")
    text = re.sub(r"20\d\d年?", " ", text)
    groups: list[tuple[str, ...]] = []
    seen = set()
    stop = stopwords()
    for tok in _jieba().lcut(text):  # precise mode: one segmentation, no overlapping parts
        tok = tok.strip()
        if tok in QUESTION_WORDS or tok in stop or tok in seen or len(tok) < 2 or not re.search(r"[\u4e00-\u9fffA-Za-z]", tok):
            continue
        seen.add(tok)
        everyday = voc is None or voc.idf(tok) > voc.idf_unseen - 0.01
        syn = [t for words, terms in load_synonyms() if any(w == tok or (everyday and w in tok) for w in words)
               for t in terms]
        groups.append((tok, *syn))
    # Everyday phrases the tokenizer splits (吃饭难 -> 吃饭, 难) still bring their policy terms along.
    for words, terms in load_synonyms():
        hit = next((w for w in words if len(w) >= 2 and w in text), None)
        if not hit or hit in QUESTION_WORDS or any(rx.search(hit) for _t, rx in TYPE_CUES):
            continue
        if voc is not None and any(hit in g[0] and g[0] != hit and voc.idf(g[0]) < voc.idf_unseen - 0.01 for g in groups):
            continue  # part of a policy term the question already uses (幼儿 in 婴幼儿)
        near = [i for i, g in enumerate(groups) if hit in g[0] or g[0] in hit]
        if near:
            for i in near:
                groups[i] = tuple(dict.fromkeys(groups[i] + tuple(terms)))
        else:
            groups.append((hit, *terms))
    return groups


def coverage(groups: list[tuple[str, ...]], text: str, voc: Vocab) -> float:
    """IDF-weighted share of the question's word groups that occur in text."""
    if not groups:
        return 0.0
    total = got = 0.0
    for g in groups:
        w = max(voc.idf(t) for t in g[:1]) or 0.1
        total += w
        if g[0] in text:
            got += w
        elif any(t in text for t in g[1:]):
            got += 0.8 * w  # through a synonym: a little less sure than the word itself
        elif len(g[0]) >= 3 and _partial(g[0], text):
            got += w * 0.5  # 托位数 vs 托位, 月探访率 vs 探访率
    return got / total if total else 0.0


def _partial(term: str, text: str) -> bool:
    return any(term[i:i + 2] in text for i in range(len(term) - 1)) and (term[:-1] in text or term[1:] in text)


SENT_END = re.compile(r"[。；;！？\n]")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of a text, each with its end mark."""
    out, s = [], 0
    for m in SENT_END.finditer(text):
        if text[s:m.end()].strip(" 。;；\n"):
            out.append((s, m.end()))
        s = m.end()
    if text[s:].strip():
        out.append((s, len(text)))
    return out


def clean_span(text: str, s: int, e: int) -> tuple[int, int]:
    """The span without surrounding spaces and line breaks."""
    while s < e and text[s] in " \n":
        s += 1
    while e > s and text[e - 1] in " \n":
        e -= 1
    return s, e


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a passage's text (trimmed), at least 6 characters long: the units the answer
    quotes and the gate scores (their vectors are computed when the index is built)."""
    out = []
    for a, e in sentences(text):
        a, e = clean_span(text, a, e)
        if e - a >= 6:
            out.append((a, e))
    return out


def defines(sentence: str, term: str) -> bool:
    """Whether a sentence spells a term out: a list right before “term”, or 即/是指/包括 right after it."""
    i = sentence.find(term)
    if i < 0:
        return False
    before = re.split(r"[，,。；;：:]", sentence[:i])[-1]  # the list must run right up to the term
    after = sentence[i + len(term):i + len(term) + 6]
    return before.count("、") >= 2 or bool(re.match(r"[”\"]?(即|是指|指|包括|就是|：|:)", after))
