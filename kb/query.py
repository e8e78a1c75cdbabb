"""Query understanding: everyday words -> policy terms (shared by both retrievers), question type,
the places a question names, and elliptical follow-ups (「那珠海呢？」).

The synonym list is a plain editable file, kb/data/synonyms.txt (or KB_SYNONYMS=path); the thesaurus,
the mined corpus terms and the expansion weights are in kb/lexicon.py and kb/data/lexicon.toml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import lexicon

DATA = Path(__file__).resolve().parent / "data"


def load_synonyms(path: str | None = None) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The synonym list's rules ((everyday words), (policy terms)); kept here for existing callers."""
    return lexicon.load_synonyms(path)


def expansions(question: str) -> list[str]:
    """Policy terms for the everyday words in the question that the question does not already use."""
    return [e.term for e in lexicon.default_lexicon().synonym_terms(question)]


def expand(question: str) -> str:
    """The question with its synonym-list terms appended (what the dense retriever may embed)."""
    extra = expansions(question)
    return question + (" " + " ".join(extra) if extra else "")


def weighted_expansions(question: str, df_share: Callable[[str], float] | None = None) -> list[lexicon.Expansion]:
    """Synonym-list terms and thesaurus synonyms of the question's words, each with its weight
    (kb/data/lexicon.toml); df_share (share of passages a term occurs in) keeps to the documents' words."""
    from .search import _jieba, stopwords

    stop = stopwords()
    words = [w for w in _jieba().lcut(question) if w.strip() and w not in stop]
    return lexicon.default_lexicon().expansions(words, question, df_share)


def weighted_query(question: str, df_share: Callable[[str], float] | None = None) -> dict[str, float]:
    """BM25 query tokens with weights: the question's own tokens count as before (1 per occurrence);
    the tokens of an expansion term get its weight unless the question already has them."""
    from .search import tokenize

    weights: dict[str, float] = {}
    for t in tokenize(question):
        weights[t] = weights.get(t, 0.0) + 1.0
    own = set(weights)
    for e in weighted_expansions(question, df_share):
        for t in tokenize(e.term):
            if t not in own:
                weights[t] = max(weights.get(t, 0.0), e.weight)
    return weights


def dense_query(question: str, df_share: Callable[[str], float] | None = None, choice: str | None = None) -> str:
    """What the dense retriever embeds (kb/data/lexicon.toml [dense] query; measured, see there):
    "question" as asked; "synonyms" with all its synonym-list terms; "mild" with the synonym-list terms
    of only those everyday words the documents never use (当兵 -> 退役军人), so a question already in
    the documents' words keeps its meaning and one in foreign words still reaches them."""
    choice = choice or lexicon.config()["dense"]["query"]
    if choice == "question":
        return question
    terms = lexicon.default_lexicon().synonym_terms(question)
    if choice == "mild" and df_share is not None:
        terms = [e for e in terms if df_share(e.word) <= 0]
    extra = list(dict.fromkeys(e.term for e in terms))
    return question + (" " + " ".join(extra) if extra else "")


# ---------------------------------------------------------------- places

# Provinces and larger cities, so that a question about a place the corpus does not cover (深圳, 广州)
# is recognised as such; the corpus's own regions are added from the documents by the caller.
PROVINCES = tuple(  # provinces, autonomous regions and SARs
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门".split())
PLACES = PROVINCES + tuple((
    "石家庄 唐山 保定 邯郸 衡水 沧州 廊坊 太原 沈阳 大连 长春 哈尔滨 南京 苏州 无锡 常州 南通 徐州 杭州 宁波 温州 "
    "绍兴 嘉兴 湖州 金华 台州 丽水 衢州 舟山 合肥 福州 厦门 泉州 莆田 漳州 南昌 济南 青岛 烟台 郑州 洛阳 武汉 长沙 "
    "广州 深圳 珠海 佛山 东莞 中山 惠州 汕头 江门 湛江 南宁 海口 三亚 成都 贵阳 昆明 西安 兰州 西宁 银川 乌鲁木齐 "
    "拉萨 呼和浩特"
).split())


@lru_cache(maxsize=1)
def gazetteer() -> tuple[tuple[str, str], ...]:
    """(adcode, name) rows of the gazetteer shipped in a pinned package (kb/data/lexicon.toml [places]); none
    when the package is not installed. The table is read as a file: importing cpca loads pandas."""
    import csv
    import importlib.util

    from . import lexicon

    spec = importlib.util.find_spec(lexicon.config().get("places", {}).get("gazetteer", "cpca"))
    if spec is None or not spec.submodule_search_locations:
        return ()
    path = Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv"
    if not path.is_file():
        return ()
    with path.open(encoding="utf-8") as fh:
        return tuple((r["adcode"], r["name"]) for r in csv.DictReader(fh))


def city_names() -> tuple[str, ...]:
    """Short names of the prefecture-level cities in the gazetteer, less those that are also common words."""
    from . import lexicon

    skip = set(lexicon.config().get("places", {}).get("common_words", []))
    names = [n for code, n in gazetteer() if code[4:6] == "00" and code[2:4] != "00"]
    short = (re.sub(r"(市|地区)$", "", n) for n in names if re.search(r"(市|地区)$", n) and n != "市辖区")
    return tuple(dict.fromkeys(n for n in short if len(n) >= 2 and n not in skip))


@lru_cache(maxsize=1)
def district_names() -> frozenset[str]:
    """Full names of the gazetteer's districts and counties (冀州区, 香洲区), which jieba may split (冀州/区)."""
    return frozenset(n for code, n in gazetteer() if code[4:6] != "00" and re.search(r"[区县]$", n) and len(n) >= 3)


PLACES = PLACES + tuple(n for n in city_names() if n not in PLACES)
PLACE_SUFFIX = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:省|市)(?![场民政级委区县里内外长])")  # 市里, 省内: the government, not a name


def place_names(question: str, known: tuple[str, ...] = ()) -> list[str]:
    """Places named in the question, in order of appearance (known corpus regions and PLACES)."""
    found: dict[str, int] = {}
    for name in tuple(known) + PLACES:
        i = question.find(name)
        if i >= 0 and not any(name in other for other in found if other != name):
            found[name] = i
    # "X市/X省" names a place even when it is in no list (e.g. 某某市).
    for m in PLACE_SUFFIX.finditer(question):
        name = m.group(1)
        if name not in found and not any(name in f or f in name for f in found) and not _generic_place(name):
            found[name] = m.start()
    names = sorted(found, key=found.get)
    return [n for n in names if not any(n != o and n in o for o in names)]


def _generic_place(name: str) -> bool:
    # 试点市, 示范市, 文明城市: a designation a city earns, not a city's name
    return bool(re.search(r"(城|全|本|各|我|该|地|县|城乡|区|新建|超|门|都|直辖|试点|示范|样板|先行|模范|文明|标杆)$", name)) \
        or name in ("城市", "全市", "全省")


# ---------------------------------------------------------------- question type

from .qtypes import type_table  # noqa: E402  (cues and follow-up forms are data: kb/data/question_types.json)

TYPE_CUES = [(t["name"], re.compile("|".join(t["cues"]))) for t in type_table()["types"]]
COMPARE_CUES = re.compile("|".join(type_table()["comparison"]["cues"]))


@dataclass
class Query:
    text: str
    qtype: str
    expansions: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)  # places named, known to the corpus or not
    county: bool = False  # "县里": the county-level document
    years: list[str] = field(default_factory=list)  # 2025 … as named in the question


def question_type(question: str, regions: list[str]) -> str:
    if len(regions) >= 2 or COMPARE_CUES.search(question):
        return "comparison"
    for qtype, rx in TYPE_CUES:
        if rx.search(question):
            return qtype
    return "general"


def understand(question: str, known_regions: tuple[str, ...] = ()) -> Query:
    regions = place_names(question, tuple(known_regions))
    return Query(
        text=question,
        qtype=question_type(question, regions),
        expansions=expansions(question),
        regions=regions,
        county=bool(re.search(r"县里|本县|我县|全县|县上|(我们|咱们?)县|县(的|里的?)?(实施)?(方案|规划|文件)", question)),
        years=re.findall(r"(20\d\d)年", question),
    )


# ---------------------------------------------------------------- follow-ups

FOLLOWUP = re.compile(r"^(那么?|那|还有|再问一下|换成|如果是|至于)?(?P<rest>.{1,14}?)(的情况|那边|这边|的)?(呢|怎么样|如何|又如何|又是怎样)?[？?。！!]*$")
ASK_TAILS = {t["name"]: t["followup"] for t in type_table()["types"]}
ASK_TAILS["comparison"] = type_table()["comparison"]["followup"]
ASK_TAILS["general"] = type_table()["general"]["followup"]


def resolve_followup(question: str, history: list[str] | None, known_regions: tuple[str, ...] = ()) -> str:
    """An elliptical follow-up ("那珠海呢？") as a full question, built from the previous one.

    A short question that ends in 呢/怎么样 and names a place (or a subject) inherits the previous
    question's topic: its places are replaced by the new ones, or its subject by the new subject.
    """
    if not history:
        return question
    q = question.strip()
    only_place = bool(place_names(q, known_regions)) and not re.sub(
        "|".join(map(re.escape, place_names(q, known_regions))) + r"|[那的呢吗？?。！!，,\s]|换成|还有|再看看?", "", q)
    if len(q) > 16 or not (re.search(r"(呢|怎么样|如何|又如何|又是怎样)[？?。！!]*$", q) or only_place):
        return question  # "换成珠海" / "珠海？" name only a place: a follow-up too
    prev = resolve_followup(history[-1], history[:-1], known_regions)
    m = FOLLOWUP.match(q)
    rest = (m.group("rest") if m else q).strip(" ，,")
    new_places = place_names(rest, known_regions)
    if not rest:
        return question
    old_places = place_names(prev, known_regions)
    if new_places and len("".join(new_places)) >= len(re.sub(r"[的那这边呢市省县]", "", rest)):
        # Same question, other place(s).
        out = prev
        if old_places:
            for i, old in enumerate(old_places):
                out = out.replace(old, new_places[0] if i == 0 else "")
            if len(new_places) > 1:
                out = out.replace(new_places[0], "和".join(new_places), 1)
            return out
        return "".join(new_places) + out
    # Same kind of question about another subject, in the previous question's places.
    prev_type = question_type(prev, old_places)
    places = "".join(p for p in old_places if p not in rest)
    return f"{places}{rest}{ASK_TAILS.get(prev_type, ASK_TAILS['general'])}"
