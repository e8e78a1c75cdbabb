"""Numeric targets stated in a document: figures in sentences (「到2025年，…覆盖率达到100%」,
「…不少于5.5个」) and rows of flattened indicator tables (「16 每千人拥有…托位数(张) 1.8 4.5 预期性」).

Every Target keeps its sentence and offsets into the cleaned text, so an answer can cite and
highlight it; `key` is a normalised indicator name that matches the same indicator across documents.
"""
from __future__ import annotations

import re

from .genre import genre
from .types import Section, Target

UNITS = ("万平方米", "平方米", "万户", "万人", "亿元", "万元", "万个", "万张", "万名", "万家", "万套", "万次", "人次", "个", "名", "人", "户", "元", "张", "所", "家", "处",
         "小时", "分钟", "公里", "千米", "间", "支", "条", "项", "次", "天", "倍", "部")
UNIT_RX = "|".join(map(re.escape, UNITS))
COMPARATOR = r"(?:不少于|不低于|不超过|不高于|超过|达到|达|≥|≤|大于|高于|低于|至少)"
# A figure: optional comparator, number, percent or unit, optional 以上/左右. A number in words counts only
# after a minimum or a verb of having (至少建有一所, 配备一名): elsewhere 一个/一批 is an article, not a figure.
FIGURE = re.compile(
    rf"(?P<cmp>{COMPARATOR})?\s*(?P<num>\d+(?:\.\d+)?|(?<=至少|少于|低于|建有|配有|设有|配备)[一两二三四五六七八九十])"
    rf"\s*(?P<unit>%|‰|(?:{UNIT_RX}))(?P<tail>以上|以内|左右|以下)?"
)
DEADLINE = re.compile(r"(?:到|至|在)?(20\d\d)年(?:年?底|末)?(?:前)?")
YEAR_RANGE = re.compile(r"20\d\d\s*[-—~至]\s*20\d\d年?")
SENTENCE_END = re.compile(r"[。；;！？\n]")
TABLE_ROW_END = re.compile(r"(预期性|约束性)$")
REGION_WORDS = re.compile(r"全省|全市|全县|全区|我省|我市|我县|本市|本县|各地|城乡居民")
# Not targets: ages, ordinals, dates, document numbers.
NOT_TARGET_AFTER = re.compile(r"^(岁|周岁|年|月|日|号|届|批|级|星|A|类|部门)")


def indicator_key(indicator: str) -> str:
    """The indicator reduced to what identifies it across documents (no figures, places, verbs);
    empty when too little is left to identify anything."""
    s = re.sub(r"[(（][^)）]*[)）]", "", indicator)
    s = re.sub(r"\d+(\.\d+)?\s*(岁以下|周岁以下|岁及以上|岁以上)?", "", s)
    s = re.sub(r"到年底?|年底前|年前|推动|确保|力争|实现|达到|建成|拥有|累计|新增|全面|基本|数量|专职|总数|的", "", s)
    s = REGION_WORDS.sub("", s)
    s = s.replace("人口", "人").replace("名", "")
    if "占" in s:
        s = re.sub(r"比例$|比重$", "", s)  # 占…比例 and 占… say the same
    s = re.sub(r"[^\u4e00-\u9fff%]", "", s)
    return s if len(s) >= 4 else ""  # too short to name an indicator (培养, 完成): not comparable


def _section_of(root: Section, pos: int) -> str:
    path, node = [], root
    while True:
        inner = next((c for c in node.children if c.start <= pos < c.end), None)
        if inner is None:
            return " > ".join(path)
        path.append(inner.heading)
        node = inner


def _sentences(text: str, start: int, end: int):
    """(start, end) of the sentences in text[start:end]; a sentence keeps its end mark."""
    s = start
    for m in SENTENCE_END.finditer(text, start, end):
        if m.end() - s > 1:
            yield s, m.end()
        s = m.end()
    if end - s > 1:
        yield s, end


def _indicator_before(sentence: str, at: int, after: int = 0) -> str:
    """The words naming what the figure measures: the clause before it, without the deadline; never
    reaching back past the previous figure of the sentence (`after`)."""
    head = sentence[:at]
    if after and re.match(r"(?:以上|以下|左右|以内)?[、和及]", sentence[after:at]):
        return _indicator_before(sentence[after:].lstrip("以上下左右内、和及"), at - after - (len(sentence[after:]) - len(sentence[after:].lstrip("以上下左右内、和及"))))
    cut = max(head.rfind(c) for c in "，,：:")
    head = head[cut + 1:] if cut >= 0 else head
    if len(re.sub(r"\W", "", head)) < 4 and cut >= 0:  # "达到100%" alone: take the clause before too
        prev = sentence[:cut]
        cut2 = max(prev.rfind(c) for c in "，,：:")
        head = prev[cut2 + 1:] + head
    head = DEADLINE.sub("", head)
    head = re.sub(rf"{COMPARATOR}$|(要|应|需)?(达到|实现|为|是|占|在)$", "", head.strip())
    return head.strip(" ，,、.：:“”")[-40:]


def _counted_after(sentence: str, m: re.Match) -> str:
    """What a count counts, when it follows the figure: 「建成12个完整社区建设试点」 → 完整社区建设试点."""
    if m.group("unit") not in genre().count_units or m.group("tail"):
        return ""
    if sentence[:m.start("num")].endswith("每"):
        return ""  # 「每500名老年人配备…」: a rate's denominator, not a count
    after = re.split(r"[，,。；;：:（(\d]", sentence[m.end():], maxsplit=1)[0]
    if not re.match(r"[\u4e00-\u9fff“]", after) or after.startswith(("以上", "以下", "左右", "以内")):
        return ""
    after = after.rsplit("的", 1)[-1]
    return after[:20] if len(after) >= 2 else ""


def _baseline(sentence: str, section: str) -> bool:
    g = genre()
    return any(c in sentence for c in g.baseline_cues) or any(c in section for c in g.baseline_section_cues)


def _innermost(root: Section, pos: int) -> Section:
    node = root
    while True:
        inner = next((c for c in node.children if c.start <= pos < c.end), None)
        if inner is None:
            return node
        node = inner


def _horizon(text: str, pos: int, root: Section | None = None) -> str:
    """The year of 「到2025年，」 opening an earlier sentence or clause of the same paragraph (and section), for
    the later ones."""
    para = text.rfind("\n", 0, pos) + 1
    opens = {para}
    if root is not None:
        node = _innermost(root, pos)
        para = max(para, node.start)
        opens = {para, node.body_start}  # a run-in heading's body: 「（一）工作目标。到2025年底，…」
    found = ""
    for m in genre().horizon.finditer(text, para, pos):
        # opening the paragraph, or an earlier clause of the same sentence (「到2025年底，…；每个乡镇…」)
        if m.start() in opens or (text[m.start() - 1] in "；;" and "。" not in text[m.start():pos]):
            found = f"{m.group(1)}年"
    return found


# Place words that open an indicator (中心城区…覆盖率); an indicator that is only such a word repeats the one before.
PLACE_LEAD = re.compile(r"^.{0,6}?(?:城区|县城|城市|农村|乡镇|街道|社区|全市|全县|全区|全省)")


def _elliptical(indicator: str, earlier: list[str]) -> str:
    """「中心城区…覆盖率达到90%、县城达到60%」: 县城 stands for 县城…覆盖率 (the earlier indicator with its place
    replaced)."""
    if not earlier or len(indicator) > 4 or not PLACE_LEAD.fullmatch(indicator):
        return indicator
    m = PLACE_LEAD.match(earlier[-1])
    if not m or m.end() >= len(earlier[-1]):
        return indicator
    return indicator + earlier[-1][m.end():]


def sentence_targets(doc_id: str, text: str, root: Section) -> list[Target]:
    out = []
    for s, e in _sentences(text, 0, len(text)):
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        sent = text[s:e]
        if "预期性" in sent or "约束性" in sent or len(sent) > 400 or "|" in sent:
            continue  # table rows are read by table_targets
        if _baseline(sent, _section_of(root, s)):
            continue  # statistics of the past, not targets
        blocked = [(m.start(), m.end()) for m in YEAR_RANGE.finditer(sent)]
        blocked += [(m.start(), m.end()) for m in re.finditer(r"《[^》]*》", sent)]
        deadline = next((m.group(0).lstrip("到至在") for m in DEADLINE.finditer(sent)
                         if not any(a <= m.start() < b for a, b in blocked)), "") or _horizon(text, s, root)
        prev_end = 0  # a sentence with several figures: each figure's subject starts after the one before
        for m in FIGURE.finditer(sent):
            if any(a <= m.start() < b for a, b in blocked) or NOT_TARGET_AFTER.match(sent[m.end("num"):]):
                continue
            if m.group("unit") in ("年",) or (m.start("num") > 0 and sent[m.start("num") - 1] in "第"):
                continue
            indicator = _indicator_before(sent, m.start(), prev_end)
            prev_end = m.end()
            if len(indicator) < 2:
                continue
            indicator = _elliptical(indicator, [t.indicator for t in out if t.sentence == sent])
            indicator += _counted_after(sent, m)
            value = (m.group("cmp") or "") + m.group("num") + m.group("unit") + (m.group("tail") or "")
            out.append(Target(doc_id=doc_id, indicator=indicator, value=value, unit=m.group("unit"),
                              deadline=deadline, sentence=sent, start=s, end=e,
                              section=_section_of(root, s), key=indicator_key(indicator), source="text"))
        # 「…实现全覆盖」 is a target too (100%), stated without a number.
        for m in re.finditer(r"全覆盖", sent):
            indicator = re.sub(r"^(实现|确保|推动|基本|力争)+", "", _indicator_before(sent, m.start()))
            if len(indicator) >= 2:
                out.append(Target(doc_id=doc_id, indicator=indicator, value="全覆盖", unit="", deadline=deadline,
                                  sentence=sent, start=s, end=e, section=_section_of(root, s),
                                  key=indicator_key(indicator), source="text"))
    return out


TABLE_HEAD = re.compile(r"[^\n]*主要(?:发展|工作)?指标[^\n]*\n")
# one header cell per line (指标 / 2023年完成值 / 2024年目标值 / 属性)
HEADER_CELL = re.compile(r"^(?:序号|指标|指标名称|名称|单位|属性|类别|(?:20\d\d年)?(?:基期值|完成值|目标值|现状值|基数|目标))$")
TABLE_UNIT = re.compile(r"[(（](%|[^()（）]{1,6})[)）]$")
VALUE = re.compile(r"^(——|—|-|[\d.]+(?:%|[\u4e00-\u9fff]{1,3})?(?:左右|以上)?)$")


def table_targets(doc_id: str, text: str, root: Section) -> list[Target]:
    """Rows of the flattened 主要指标 tables: one row per line (序号 指标(单位) 基期值 目标值 属性), or
    one cell per line (指标 / 基期值 / 目标值 / 属性). The target is the figure after the base value."""
    out, done = [], -1
    for head in TABLE_HEAD.finditer(text):
        if head.start() < done:
            continue  # a header line inside a table already read
        window = text[head.end(): head.end() + 4000]
        year = re.search(r"(20\d\d)\s*年?\s*目标值", window[:300])
        deadline = f"{year.group(1)}年" if year else ""
        cells: list[tuple[str, int]] = []  # (cell text, offset) since the last row end
        ncols, ncols_done, has_kind = 0, False, False  # header cells one per line, counted
        pos = head.end()
        for line in window.split("\n"):
            start, pos = pos, pos + len(line) + 1
            line = line.strip()
            if not line:
                continue
            if "|" in line:
                continue  # `a | b | c` rows are read by pipe_table_targets
            if re.search(r"目标值|属性$", line):
                cells = []  # header cells (指标 / 基期值 / 2025 目标值 / 属性)
                has_kind = has_kind or line.endswith("属性")
                continue
            if HEADER_CELL.match(line):
                ncols += 1
                continue
            if not ncols_done:
                ncols_done, ncols = True, ncols + n_target_heads(window)
            parts = line.split(" ") if TABLE_ROW_END.search(line) and " " in line else [line]
            off = start
            for p in parts:
                at = text.find(p, off)
                cells.append((p, at))
                off = at + len(p)
            # a row ends with its 属性 cell, or — a table without that column — when it has all its cells
            if TABLE_ROW_END.search(line) or (not has_kind and ncols >= 2 and len(cells) == ncols):
                t = _table_row(doc_id, text, root, cells, deadline)
                if t:
                    out.append(t)
                cells = []
            elif cells and len(cells) > 12:
                break  # not a table any more
        done = pos
    return out


def n_target_heads(window: str) -> int:
    """Header lines naming a target/属性 column at the head of a flattened table (counted apart above)."""
    n = 0
    for line in window.split("\n")[:8]:
        line = line.strip()
        if re.search(r"目标值|属性$", line) and len(line) <= 12:
            n += 1
        elif line and not HEADER_CELL.match(line):
            break
    return n


def _table_row(doc_id, text, root, cells, deadline) -> Target | None:
    cells = [c for c in cells if not TABLE_ROW_END.fullmatch(c[0])]
    if cells and re.fullmatch(r"\d{1,2}", cells[0][0]):
        cells = cells[1:]  # 序号
    names = [c for c in cells if not VALUE.match(c[0])]
    values = [c for c in cells if VALUE.match(c[0])]
    if not names or not values:
        return None
    name = "".join(c[0] for c in names)
    figures = [c for c in values if c[0] not in ("——", "—", "-")]
    if not figures or (len(values) >= 2 and values[-1][0] in ("——", "—", "-")):
        return None
    value, at = figures[-1]  # the 目标值 column is the last figure of the row
    unit_m = TABLE_UNIT.search(name)
    unit = unit_m.group(1) if unit_m else (re.sub(r"[\d.]+|左右|以上", "", value) or "")
    indicator = TABLE_UNIT.sub("", name).strip()
    start, end = names[0][1], at + len(value)
    return Target(doc_id=doc_id, indicator=indicator, value=value if not unit_m or value.endswith(unit) else value + unit,
                  unit=unit, deadline=deadline, sentence=text[start:end], start=start, end=end,
                  section=_section_of(root, start), key=indicator_key(indicator), source="table")


PIPE_TARGET_COL = re.compile(r"目标")
PIPE_NAME_COL = re.compile(r"指标|名称|项目")


def pipe_table_targets(doc_id: str, text: str, root: Section) -> list[Target]:
    """Indicator tables written as `指标 | 2020年基期值 | 2025年目标值 | 属性` lines: the target column's
    figure of every row (the base-year column is a statistic, not a target)."""
    out, col, name_col, unit_col, deadline, pos = [], None, 0, None, "", 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if line.count("|") < 1 or not line.strip():
            col = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        tcol = next((i for i, c in enumerate(cells) if PIPE_TARGET_COL.search(c) and len(c) <= 16), None)
        years = [(int(m.group(1)), i) for i, c in enumerate(cells) for m in [re.fullmatch(r"(20\d\d)\s*年?", c)] if m]
        if tcol is None and len(years) >= 2:
            tcol = max(years)[1]  # 「指标 | 2020年 | 2025年」: the later year is the target
        if tcol is not None and any(PIPE_NAME_COL.search(c) for c in cells):
            col, name_col = tcol, next(i for i, c in enumerate(cells) if PIPE_NAME_COL.search(c))
            unit_col = next((i for i, c in enumerate(cells) if c in ("单位", "计量单位")), None)
            y = re.search(r"(20\d\d)", cells[tcol])
            deadline = f"{y.group(1)}年" if y else ""
            continue
        if col is None or len(cells) <= max(col, name_col) or re.fullmatch(r"[-—: ]*", cells[col]):
            continue
        name, value = cells[name_col], cells[col]
        num = re.search(r"\d+(?:\.\d+)?", value)
        if not num or not name:
            continue
        unit_m = TABLE_UNIT.search(name)
        unit = unit_m.group(1) if unit_m else re.sub(r"[\d.≥≤><%以上左右不少于低]+", "", value) or ("%" if "%" in value else "")
        if not unit_m and unit_col is not None and unit_col < len(cells) and cells[unit_col]:
            unit = cells[unit_col]
        indicator = TABLE_UNIT.sub("", name).strip()
        s, e = start + line.find(name), start + len(line.rstrip())
        out.append(Target(doc_id=doc_id, indicator=indicator, value=value if value.endswith(unit) else value + unit,
                          unit=unit, deadline=deadline, sentence=text[s:e], start=s, end=e,
                          section=_section_of(root, s), key=indicator_key(indicator), source="table"))
    return out


def extract_targets(doc_id: str, text: str, root: Section) -> list[Target]:
    return table_targets(doc_id, text, root) + pipe_table_targets(doc_id, text, root) + sentence_targets(doc_id, text, root)
