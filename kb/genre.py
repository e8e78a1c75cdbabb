"""The genre table (kb/data/genre.toml) loaded once and compiled: heading markers, labels, unit words."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GENRE_FILE = Path(__file__).resolve().parent / "data" / "genre.toml"
CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUMERAL = "[一二三四五六七八九十百零〇两]{1,4}"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
PAREN_CN = "㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩"


@dataclass(frozen=True)
class Marker:
    series: str
    rank: int
    kind: str
    rx: re.Pattern
    holds_items: bool = False


@dataclass(frozen=True)
class Genre:
    markers: tuple[Marker, ...]
    box_item_rank: int
    md_rank_per_hash: int
    md_title_hashes: int
    runin_title_max: int
    runin_body_subject: re.Pattern
    labels: dict  # label -> lead | partner | listed | deadline
    label_rx: re.Pattern
    first_is_lead: re.Pattern
    blanket: re.Pattern
    unit_suffixes: tuple[str, ...]
    collective_units: re.Pattern
    unit_strip_lead: tuple[str, ...]
    unit_strip_tail: tuple[str, ...]
    not_units: frozenset
    shared_suffixes: tuple[str, ...]
    level_words: tuple[str, ...]
    duty_verbs: tuple[str, ...]
    deadlines: tuple[re.Pattern, ...]
    phase: re.Pattern
    baseline_cues: tuple[str, ...] = ()
    baseline_section_cues: tuple[str, ...] = ()
    horizon: re.Pattern | None = None
    count_units: tuple[str, ...] = ()
    link_min_share: float = 0.7
    duty_verbs_after_comma: tuple[str, ...] = ("负责", "应当")
    duty_by_verbs: tuple[str, ...] = ()
    tables: dict | None = None  # [tables] of genre.toml: column names and link thresholds
    link_min_chars: int = 4


@lru_cache(maxsize=1)
def genre() -> Genre:
    d = tomllib.loads(GENRE_FILE.read_text(encoding="utf-8"))
    markers = tuple(Marker(m["series"], int(m["rank"]), m["kind"], re.compile(m["pattern"].replace("{N}", CN_NUMERAL)),
                           bool(m.get("holds_items", False)))
                    for m in d["marker"])
    labels, r, dl = dict(d["labels"]), d["responsibility"], d["deadlines"]
    alts = "|".join(map(re.escape, sorted(labels, key=len, reverse=True)))
    # 「责任单位：」 (full/half-width colon) or 「【牵头单位】」 (the label in brackets, no colon)
    label_rx = re.compile(rf"(?:{alts})[ ]*[:：]|【(?:{alts})】")
    return Genre(
        markers=markers, box_item_rank=int(d["box"]["item_rank"]),
        md_rank_per_hash=int(d["markdown"]["rank_per_hash"]),
        md_title_hashes=int(d["markdown"].get("title_hashes", 0)),
        runin_title_max=int(d["runin"]["title_max"]), runin_body_subject=re.compile(d["runin"]["body_subject"]),
        labels=labels, label_rx=label_rx,
        first_is_lead=re.compile(r["first_is_lead"]), blanket=re.compile(r["blanket"]),
        unit_suffixes=tuple(sorted(r["unit_suffixes"], key=len, reverse=True)),
        collective_units=re.compile(r["collective_units"].strip()),
        unit_strip_lead=tuple(sorted(r["unit_strip_lead"], key=len, reverse=True)),
        unit_strip_tail=tuple(sorted(r["unit_strip_tail"], key=len, reverse=True)),
        not_units=frozenset(r["not_units"]), shared_suffixes=tuple(r["shared_suffixes"]),
        level_words=tuple(r["level_words"]), duty_verbs=tuple(r["duty_verbs"]),
        duty_verbs_after_comma=tuple(r["duty_verbs_after_comma"]), duty_by_verbs=tuple(r["duty_by_verbs"]),
        deadlines=tuple(re.compile(p) for p in dl["patterns"]),
        phase=re.compile(dl["phase"]),
        baseline_cues=tuple(d["targets"]["baseline_cues"]),
        baseline_section_cues=tuple(d["targets"]["baseline_section_cues"]),
        horizon=re.compile(d["targets"]["horizon"]),
        count_units=tuple(d["targets"]["count_units"]),
        tables=dict(d["tables"]), link_min_share=float(d["tables"]["link_min_share"]), link_min_chars=int(d["tables"]["link_min_chars"]),
    )


def cn_to_int(s: str) -> int:
    """一 → 1, 十二 → 12, 二十三 → 23, 一百零五 → 105, 12 → 12, ① → 1, ㈢ → 3; 0 when not a number."""
    s = s.strip()
    if not s:
        return 0
    if s.isdigit() and s.isascii():
        return int(s)
    if len(s) == 1 and s in CIRCLED:
        return CIRCLED.index(s) + 1
    if len(s) == 1 and s in PAREN_CN:
        return PAREN_CN.index(s) + 1
    digit = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digit.update({"〇": 0, "两": 2})
    total, cur = 0, 0
    for ch in s:
        if ch in digit:
            cur = digit[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return 0
    return total + cur
