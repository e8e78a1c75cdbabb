"""How much: the figures that answer the question, each quoted with its deadline. A figure must be of
the kind asked (unit, base) and about the question's subject; the part of a question that asks for a
second figure (「…多少？…又要多少？」) gets its own."""
from __future__ import annotations

import re
from functools import lru_cache

from ...evidence import QUESTION_WORDS, content_terms, coverage
from ...query import Query
from ...search import _jieba, stopwords
from ...types import Target
from .. import cues
from ..build import Builder
from ..context import Context, doc_region, passage_at
from ..select import doc_span

# A figure below this coverage of the question is not the asked one. Gold: unanswerable ≤0.15,
# answerable ≥0.61; everyday wording (held-out set) gives answerable ones 0.2–0.35.
MIN_TARGET_COVERAGE = 0.20
# Figures scoring this close to the best one are shown with it (several figures of one indicator).
NEAR_BEST = 0.12


FIGURE_WORDS = r"多少个?|要|是|各|几个"


def asks_figure(text: str) -> bool:
    return bool(cues.rx("asks_figure").search(text))


def asked_units(question: str) -> tuple[str, ...] | None:
    for rx, units in cues.unit_asked():
        if rx.search(question):
            return units
    if cues.rx("money").search(question) and re.search(r"多少|几|标准", question):
        return ("元", "万元")
    return None


@lru_cache(maxsize=256)
def whole_words(question: str) -> tuple[str, ...]:
    """The words of the whole a share is asked of (占X的比例 → X), once per question, not once per figure."""
    whole = re.search(r"占([^，。？?、]{2,14}?)的?(比例|比重|百分比|百分之|多少|几成)", question)
    if not whole or re.search(r"多|几|什么|啥", whole.group(1)):
        return ()
    import jieba

    _jieba()  # the user dictionary is loaded
    return tuple(w for w in jieba.lcut(re.sub(r"^(全|总|所有)", "", whole.group(1))) if len(w) >= 2)


def other_side(question: str, text: str, indicator: str = "") -> bool:
    """The question names one side of a contrast (城市 | 农村) and the figure's text only the other. An
    indicator that names a side decides (城市社区每万人…卫生服务站, in a sentence that also says 乡村医生)."""
    sides = cues.table()["contrasts"]["sides"]
    asked = [i for i, words in enumerate(sides) if any(w in question for w in words)]
    if len(asked) != 1:
        return False
    named = {i for i, words in enumerate(sides) if any(w in indicator for w in words)} or \
        {i for i, words in enumerate(sides) if any(w in text for w in words)}
    return bool(named) and asked[0] not in named


def target_fits(t: Target, question: str, before: str = "") -> bool:
    """The figure is of the kind asked: same unit when one is asked, same base (每千/每万/每个…). The base may
    be stated in the sentences before the figure's, within its paragraph (before): 「每个村(社区)建设1个…
    阵地…。培养3名以上骨干“法律明白人”」."""
    if cues.rx("share_asked").search(question):
        # a share asked (持证的比例, 面积占总建筑面积的比例) is a percentage, not a count (每万人18名) or an area
        if not cues.rx("share_asked", "fits").search(f"{t.value}{t.unit}") and \
                not (not t.unit and cues.rx("share_asked", "rate_indicator").search(t.indicator)):
            return False
    elif (units := asked_units(question)) and t.unit not in units and \
            not (t.source == "table" and not t.unit and re.fullmatch(r"[\d.]+", t.value)):
        return False  # a table row whose unit no cell states (衡水: 每万名…拥有社区工作者 | —— | 18) may be the one
    if cues.rx("count_asked").search(question) and not cues.rx("count_asked", "share").search(question) and \
            (t.unit in ("%", "‰") or t.value == "全覆盖") and not re.search(r"\d+\s*[个家所处]", t.sentence):
        return False  # how many asked, how much covered given (unless the sentence counts them: 118个乡镇…100%)
    if other_side(question, t.indicator + t.sentence, t.indicator):
        return False  # 村级 asked, 新建城市社区…面积 given
    words = whole_words(question)
    if words and not any(w in before + t.sentence for w in words):
        # 「占派出所警力的比例」: a share is of a whole, which the figure's sentence names (80%以上的工作时间 is a
        # share of working time, not of the police force)
        return False
    years = re.findall(r"(20\d\d)\s*年", question)
    own = re.findall(r"20\d\d", t.deadline or "")
    if years and own and not set(own) & set(years) and not any(y in t.sentence for y in years):
        return False  # the figure is set for another year (2025 asked as 2023)
    if years and not own and not any(y in before + t.sentence for y in years):
        return False  # a figure with no year of its own is not the one of the asked year
    # 每个月/每一年 are the periods 每月/每年, not a base of 个 (a figure per person per month is asked)
    question = re.sub(r"每[个一](月|年|天|周|季度)", r"每\1", question)
    question = re.sub(r"每[个一]?人", "每人", question)  # 平均每个人 is the base 人 (人均), not 个
    for m in cues.rx("per_base").finditer(question):
        base = m.group(1)
        # an indicator with a base of its own (每千名居民…) is judged by it, not by its sentence's other figures
        sent = t.indicator if "每" in t.indicator else before + t.sentence
        sent = sent.replace("名", "") if base != "名" else sent
        if re.search(f"每{base}", sent) or (base == "人" and "人均" in sent):
            continue
        if base in "年月天周" and base in t.indicator:
            continue  # 每年的低保标准: 城乡年最低生活保障标准 names the period in the indicator
        if base == "个" and re.search(f"(各|所有|全部){re.escape(question[m.end():m.end() + 1])}", sent):
            continue  # 每个村 is 所有村(社区): the same base, written as all of them
        return False
    return True


def rank_targets(ctx: Context, groups, hits, docs: list[str]) -> list[tuple[float, Target]]:
    near = {(h.passage.doc_id, h.passage.task_id) for h in hits}
    base_word = cues.rx("base_word")
    groups = [g for g in groups if not base_word.match(g[0])] or groups
    out = []
    for t in ctx.engine.targets:
        if docs and t.doc_id not in docs:
            continue
        # The words before a figure say what it counts: of two figures in one sentence, the one whose
        # own indicator matches the question ranks first.
        cov = coverage(groups, t.indicator + t.sentence, ctx.voc) + 0.2 * coverage(groups, t.indicator, ctx.voc)
        p = passage_at(ctx.engine, t.doc_id, t.start)
        if p is None:
            continue  # not in any passage (nothing to cite)
        bonus = 0.1 if (p.doc_id, p.task_id) in near else 0.0
        bonus += 0.05 if t.deadline else 0.0  # a stated goal rather than a rule of thumb
        out.append((cov + bonus, t))
    out.sort(key=lambda x: -x[0])
    return out


@lru_cache(maxsize=4096)
def word_flag(word: str) -> str:
    """The part of speech of a word that the tokenizer keeps whole ("" when it splits it); user-dictionary
    terms are "x"."""
    import jieba.posseg as pseg

    _jieba()  # the user dictionary is loaded
    toks = list(pseg.cut(word))
    return toks[0].flag if len(toks) == 1 else ""


def is_subject_term(word: str) -> bool:
    """A domain term (user dictionary) or a longer noun: what a figure is about (网格员, 家庭医生), as
    opposed to what is asked of it (补贴, 计划)."""
    flag = word_flag(word)
    return flag == "x" or (flag.startswith("n") and len(word) >= 3)


def subject_missing(ctx: Context, t: Target, groups, docs: list[str]) -> list[str]:
    """Subject terms of the question that the documents use but the figure's passage does not: a figure
    about something else (残疾人联络员 200元 for a question on 网格员). Judged on the figure's own document: in a
    comparison, a term one document uses (家庭医生) may be worded otherwise by the other (重点人群签约覆盖率)."""
    p = passage_at(ctx.engine, t.doc_id, t.start)
    text = (p.text if p else "") + t.indicator
    out = []
    for g in groups:
        if is_subject_term(g[0]) and not any(w in text for w in g) and \
                any(w in ctx.engine.doc_text(t.doc_id) for w in g):
            out.append(g[0])
    return out


@lru_cache(maxsize=256)
def question_runs(question: str) -> tuple[tuple[str, ...], ...]:
    """Runs of adjacent content words of a question (应急|广播, 智能|快件|箱): the words a compound term is
    made of when the tokenizer splits it. Place names and question words end a run."""
    import jieba.posseg as pseg

    _jieba()
    runs, cur = [], []
    for tok in pseg.cut(question):
        w = tok.word.strip()
        if re.fullmatch(r"[\u4e00-\u9fff]+", w) and w not in QUESTION_WORDS and w not in stopwords() \
                and tok.flag != "ns" and not re.search(r"多|几|少", w):
            cur.append(w)
            continue
        if len(cur) >= 2:
            runs.append(tuple(cur))
        cur = []
    if len(cur) >= 2:
        runs.append(tuple(cur))
    return tuple(runs)


def figure_context(ctx: Context, t: Target) -> str:
    """What a figure is said of: its row (a table figure), or its sentence with the paragraph before it and
    its passage's headings (a figure in running text)."""
    p = passage_at(ctx.engine, t.doc_id, t.start)
    heads = f"{p.title} {p.section}" if p else ""
    if t.source == "table":
        # the row, its 指标属性 cell and the table's heading (主要发展指标)
        return f"{heads}\n{t.indicator} {t.sentence} {row_attribute(ctx.engine, t)[0]}"
    return f"{heads}\n{paragraph_before(ctx.engine, t)}{t.sentence}{t.indicator}"


def said_of(word: str, text: str) -> bool:
    """The word, one of its synonyms, or each part of a compound word (服务中心: 服务, 中心) is in text."""
    if word in text or any(s in text for s in synonyms_of(word)):
        return True
    parts = word_parts(word)
    return bool(parts) and all(w in text for w in parts)


@lru_cache(maxsize=4096)
def word_parts(word: str) -> tuple[str, ...]:
    """The words a compound word of four or more characters is made of (服务中心: 服务, 中心)."""
    if len(word) < 4:
        return ()
    return tuple(w for w in _jieba().lcut_for_search(word) if len(w) >= 2 and w != word)


def phrase_missing(ctx: Context, t: Target, question: str) -> list[str]:
    """Compound terms of the question (adjacent words the figure's document writes together) with a
    distinctive word the figure is not said of: 应急广播 asked, a 综合服务设施覆盖率 row found; 重度残疾人 asked,
    a subsidy of 残疾人联络员 found. A word most passages use (服务, 社区) and the measure asked (覆盖率, 每百户)
    say nothing of which figure is meant; a word stands in for its synonyms and a compound word for its parts."""
    doc = ctx.engine.doc_text(t.doc_id)
    text = figure_context(ctx, t)
    common = cues.table()["figure_subject"]["common_df"]
    measure = cues.rx("figure_subject", "measure")
    out = []
    for run in question_runs(question):
        i = 0
        while i < len(run):
            j = max((j for j in range(i + 1, len(run) + 1) if "".join(run[i:j]) in doc), default=0)
            if not j or (j == i + 1 and not is_subject_term(run[i])):
                i += 1  # a single word is a term of its own only when a domain term (困境儿童, 网格员)
                continue
            if measure.fullmatch("".join(run[i:j])):
                i = j  # 预期|性: an attribute asked, split by the tokenizer
                continue
            words = [w for w in run[i:j] if len(w) >= 2 and ctx.voc.df_share(w) <= common and not measure.search(w)]
            if words and not all(said_of(w, text) for w in words):
                out.append("".join(run[i:j]))
            i = j
    return out


@lru_cache(maxsize=4096)
def synonyms_of(word: str) -> tuple[str, ...]:
    """The synonym-list terms and thesaurus synonyms of a word (the lexicon the retrievers expand with)."""
    from ...lexicon import default_lexicon

    lex = default_lexicon()
    return tuple(e.term for e in lex.expansions([word], word))


def fitting_targets(ctx: Context, text: str, groups, hits, docs) -> list[tuple[float, Target]]:
    """Figures of the asked kind and subject, best first (the type evidence of a figure answer)."""
    return [(sc, t) for sc, t in rank_targets(ctx, groups, hits, docs)
            if target_fits(t, text, paragraph_before(ctx.engine, t)) and not subject_missing(ctx, t, groups, docs)
            and (sc < MIN_TARGET_COVERAGE or not phrase_missing(ctx, t, text))]  # a figure this far off is never used


def paragraph_before(engine, t: Target, chars: int = 120) -> str:
    """The text of the figure's paragraph before its sentence (at most chars)."""
    text = engine.doc_text(t.doc_id)
    lo = max(0, t.start - chars)
    return text[lo:t.start].rsplit("\n", 1)[-1]


BASE_HEADER = re.compile(r"(20\d\d)\s*年?\s*(?:实际值|基期值|基期|现状值)")


def baseline(engine, t: Target) -> tuple[str, str] | None:
    """(year, value) of a table row's baseline column (「2020年实际值」「2020 基期值」 in the header, the
    cell before the target cell in the row), when the row states one."""
    if t.source != "table":
        return None
    heads = list(BASE_HEADER.finditer(engine.doc_text(t.doc_id), 0, t.start))
    cells = [c for c in t.sentence.split() if re.fullmatch(r"[\d.]+\s*(%|[^\d\s%]{1,4})?", c)]  # 65%, 236平方米
    if not heads or len(cells) < 2:
        return None
    return heads[-1].group(1), cells[-2]


def baseline_figures(ctx: Context, text: str, groups, hits, docs) -> list[tuple[float, Target, str, str]]:
    """Rows whose baseline year is the asked year (「2020年是多少」 asks the 实际值 column, not the target)."""
    years = set(re.findall(r"(20\d\d)\s*年", text))
    now = bool(cues.rx("base_and_target", "base").search(text))  # 基期, 现在有几个: the baseline column, whatever its year
    if not years and not now:
        return []
    plain = re.sub(r"20\d\d\s*年", "", text)
    fits = [(sc, t) for sc, t in rank_targets(ctx, groups, hits, docs)
            if sc >= MIN_TARGET_COVERAGE and target_fits(t, plain) and not subject_missing(ctx, t, groups, docs)]
    out = []
    for sc, t in fits:
        base = baseline(ctx.engine, t) if sc >= fits[0][0] - NEAR_BEST else None  # rows about the asked indicator only
        if base and (base[0] in years or now):
            out.append((sc, t, *base))
    return out


def row_attribute(engine, t: Target) -> tuple[str, int]:
    """The row's 指标属性 cell (预期性/约束性, GENRE.md's indicator tables) when its table has that column,
    with the offset the quoted row then ends at; ("", t.end) otherwise."""
    if t.source != "table":
        return "", t.end
    text = engine.doc_text(t.doc_id)
    if text.rfind("属性", max(0, t.start - 3000), t.start) < 0:
        return "", t.end
    m = re.match(r"\s+([\u4e00-\u9fff]{2,4})(?=\s|$)", text[t.end:t.end + 12])
    return (m.group(1), t.end + m.end()) if m else ("", t.end)


def table_line(t: Target, attribute: str = "") -> str:
    """A table row as a statement: the cells are quoted as written (a flattened row spans lines)."""
    raw = t.sentence.split()[-1]
    unit = f"（{t.unit}）" if t.unit and not raw.endswith(t.unit) else ""
    when = f"{t.deadline}目标值" if t.deadline else "目标值"
    attr = f"（{attribute}指标）" if attribute else ""
    return f"{t.indicator}{attr}，{when}{unit}：{raw}"


def add_figure(ctx: Context, b: Builder, t: Target, same: list[Target], prefix: str = "") -> None:
    attribute, end = row_attribute(ctx.engine, t)
    found = doc_span(ctx.engine, t.doc_id, t.start, end)
    if found is None:
        return
    p, span = found
    quote = p.text[span[0]:span[1]]
    if t.source == "table":
        # the row is quoted as its cells; the highlight is the row itself
        b.add("figure", prefix + table_line(t, attribute), p, span)
        return
    figures = "、".join(x.value for x in same)
    deadline = f"（{t.deadline}）" if t.deadline and t.deadline in quote else ""
    b.quote("figure", f"{prefix}{t.indicator}：{figures}{deadline} —— 原文：", p, span)


def figures(ctx: Context) -> Builder | None:
    docs = ctx.doc_ids()
    parts = [x for x in re.split(r"[？?；;]", ctx.text) if x.strip() and asks_figure(x)]
    if len(parts) < 2:
        # 「要改造多少个老旧小区、建多少个未来社区」: two figures asked in one sentence, each with its own subject
        split = [x for x in re.split(r"[，,、]", ctx.text) if x.strip()]
        clauses = [x for x in split if asks_figure(x)]
        if len(clauses) >= 2 and all(re.search(r"[\u4e00-\u9fff]{2}", re.sub(FIGURE_WORDS, "", x)) for x in clauses):
            # 「浙江每万人…专职社区工作者，现在多少、规划到多少」: the clauses before the first asking one name the
            # subject every asking clause is about
            lead = "".join(split[:split.index(clauses[0])])
            parts = [lead + x for x in clauses]
    asks = [(ctx.text, ctx.groups)] if len(parts) < 2 else \
        [(x, content_terms(Query(text=x, qtype="target", regions=ctx.query.regions), ctx.voc)) for x in parts]
    chosen: list[Target] = []
    best_score = 0.0
    bases: list[tuple[Target, str, str]] = []
    for text, g in asks:
        ranked = fitting_targets(ctx, text, g, ctx.hits, docs)
        if not ranked or ranked[0][0] < MIN_TARGET_COVERAGE:
            found = baseline_figures(ctx, text, g, ctx.hits, docs)
            if found:
                best_score = max(best_score, found[0][0])
                bases += [(t, year, v) for sc, t, year, v in found if sc >= found[0][0] - NEAR_BEST][:2]
            continue
        best = ranked[0][0]
        picked = [t for sc, t in ranked if sc >= best - NEAR_BEST and t not in chosen][:4]
        # 「现在有几个，以后要有几个」「2020年有多少个，2025年要多少个」: the baseline column of the rows chosen is
        # asked too
        now = cues.rx("base_and_target", "base").search(text)
        years = set(re.findall(r"(20\d\d)\s*年?", text))
        found = [(t, *base) for t in picked if (base := baseline(ctx.engine, t)) and (now or base[0] in years)]
        if now and not found and not cues.rx("base_and_target", "target").search(text) and \
                not cues.rx("base_and_target", "required").search(text):
            continue  # 「现在每千人有多少个托位」: the present value is asked, the document sets only a goal
        best_score = max(best_score, best)
        chosen += picked
        bases += found
    # 「2020年是多少、2025年要到多少」「基期和目标各是多少」: the row's target is asked too, not only its baseline
    asks_target = cues.rx("base_and_target", "target").search(ctx.text)
    asked_years = set(re.findall(r"(20\d\d)\s*年", ctx.text))
    for t, year, _v in bases:
        if t not in chosen and (asks_target or asked_years - {year}):
            chosen.append(t)
    if not chosen and not bases:
        return None
    b = Builder(ctx.text, "target")
    b.type_score = min(1.0, best_score)
    for t, year, value in bases:
        found = doc_span(ctx.engine, t.doc_id, t.start, t.end)
        if found:
            unit = f"（{t.unit}）" if t.unit else ""
            b.add("figure", f"{t.indicator}，{year}年实际值{unit}：{value}", *found)
    seen = set()
    several = len({t.doc_id for t in chosen}) > 1
    for t in sorted(chosen, key=lambda t: (t.doc_id, t.start)):
        if (t.doc_id, t.start) in seen:
            continue
        seen.add((t.doc_id, t.start))
        same = [x for x in chosen if x.doc_id == t.doc_id and x.start == t.start]
        region = doc_region(ctx.engine, t.doc_id)
        add_figure(ctx, b, t, same, prefix=f"【{region}】" if several and region else "")
    return None if b.empty else b
