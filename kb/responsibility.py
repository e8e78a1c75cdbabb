"""Who is responsible: clauses (labels, 牵头/配合 prose, regulation duties), blanket clauses, unit names.

Every form listed in GENRE.md "Who is responsible". Lead units are only those the text calls 牵头
(or, where a document states 排在第一位的为牵头单位, the first unit of each list); every other
responsible unit is a partner. Labels, unit-name words and patterns live in kb/data/genre.toml.
"""
from __future__ import annotations

import re

from .genre import genre
from .types import Responsibility

OPEN, CLOSE = "【(（", "】)）"
# Separators between unit names; 和/及 only where both sides are whole unit names (市自然资源和规划局).
UNIT_SEP = re.compile(r"[、,，;；/]")
SOFT_SEP = re.compile(r"和|及|以及|与")
SENTENCE_END = re.compile(r"[。；;！？\n]")
PARTNER_VERBS = "配合|参与|协办|协同|协助|共同负责|落实|负责落实|按职责分工负责|按照职责分工负责|按各自职责负责|分工负责"


def is_unit(u: str) -> bool:
    g = genre()
    if not u or len(u) > 30 or len(u) < 2:
        return False
    core = re.sub(r"[(（][^()（）]*[)）]$", "", u) or u  # 各区（功能区）, 统战部(民宗局)
    if re.search(r"[，。：:；;“”《》\d]", core):
        return False
    if core.endswith(g.unit_suffixes) or u.endswith(g.unit_suffixes):
        return True
    # 各区（功能区）, 各乡镇: a collective name (not 「各有关部门要…」 or 「各项任务中…」)
    return bool(g.collective_units.fullmatch(u))


def _strip(u: str, keep_shared: bool = False) -> str:
    """u without leading 由/会同 … and trailing 等/负责/配合 …; keep_shared keeps 「等部门」 for _shared."""
    g = genre()
    u = u.strip(" 。.、,，:：")
    changed = True
    while changed and u:
        changed = False
        for w in g.unit_strip_lead:
            if u.startswith(w) and len(u) > len(w) + 1:
                u, changed = u[len(w):], True
        for w in g.unit_strip_tail:
            if keep_shared and w.endswith(g.shared_suffixes):
                continue
            if u.endswith(w) and len(u) > len(w) + 1:
                u, changed = u[:-len(w)], True
        u = u.strip(" 。.、,，:：")
    return u


def _top_level_split(s: str, rx: re.Pattern) -> list[str]:
    """Split on rx outside brackets."""
    out, depth, cur, i = [], 0, [], 0
    while i < len(s):
        ch = s[i]
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        m = rx.match(s, i) if depth == 0 else None
        if m and m.end() > i:
            out.append("".join(cur))
            cur = []
            i = m.end()
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _shared(parts: list[str]) -> list[str]:
    """「市、区民政部门」 → 市民政部门, 区民政部门; 「市财政、住房城乡建设等部门」 → 市财政部门, 市住房城乡建设部门."""
    g = genre()
    joined: list[str] = []
    levels: list[str] = []  # level words standing alone, waiting for the name they share
    for p in parts:
        if p.strip() in g.level_words:
            levels.append(p.strip())
            continue
        if levels:
            q = p.strip()
            lv = next((w for w in sorted(g.level_words, key=len, reverse=True) if q.startswith(w)), "")
            joined += [w + q[len(lv):] for w in levels]
            levels = []
        joined.append(p)
    joined += levels
    if len(joined) >= 2:
        last = _strip(joined[-1])
        m = re.match(rf"(.+?)等?({'|'.join(map(re.escape, g.shared_suffixes))})$", joined[-1].strip())
        if m and not any(is_unit(_strip(p)) for p in joined[:-1]):
            suffix = m.group(2)
            names = [_strip(p) + suffix for p in joined[:-1]] + [_strip(m.group(1)) + suffix]
            lv = next((w for w in sorted(g.level_words, key=len, reverse=True) if names[0].startswith(w)), "")
            return [n if not lv or n.startswith(lv) else lv + n for n in names]
        del last
    return joined


def split_units(s: str) -> list[str]:
    """「市民政局、市财政局和市自然资源和规划局等按职责分工负责」 → the unit names as written."""
    s = _strip(s, keep_shared=True)
    units: list[str] = []
    for part in _shared(_top_level_split(s, UNIT_SEP)):
        part = _strip(part)
        if not part:
            continue
        pieces = [part]
        # 和/及 between two whole unit names splits them; inside a name (自然资源和规划局) it does not.
        for m in SOFT_SEP.finditer(part):
            left, right = _strip(part[:m.start()]), _strip(part[m.end():])
            if is_unit(left) and is_unit(right):
                pieces = [left] + split_units(right)
                break
        units += [p for p in pieces if p]
    return list(dict.fromkeys(u for u in units if len(u) <= 30 and u not in genre().not_units))


def _parse_units(body: str) -> tuple[list[str], list[str]]:
    """Lead and partner units of a clause body written as prose: 牵头 names the lead; 配合/参与/会同/
    落实 and plain lists name partners."""
    lead, partners = [], []
    # 「市民政局（牵头）、市财政局」: the bracketed 牵头 marks the unit before it
    marked = re.findall(r"([^、，,；;（(]+)[（(]牵头[)）]", body)
    body = re.sub(r"[（(]牵头[)）]", "", body)
    body = re.sub(r"[（(](?:按职责分工负责|按职责负责|配合|参与)[)）]", "", body)
    lead += [u for m in marked for u in split_units(m)]
    for group in _top_level_split(body, re.compile(r"[,，;；。]")):
        group = group.strip()
        if not group:
            continue
        if "牵头" in group and not group.startswith(("会同", "配合")):
            head, _, rest = group.partition("牵头")
            lead += split_units(head)
            rest = re.sub(r"^(负责)?[,，]?(会同)?", "", rest)
            if rest.strip("负责 "):
                partners += [u for u in split_units(rest) if is_unit(u)]
        elif "会同" in group and not group.startswith("会同"):
            head, _, rest = group.partition("会同")
            partners += split_units(head) + [u for u in split_units(rest) if is_unit(u)]
        else:
            partners += split_units(group)
    lead = list(dict.fromkeys(lead))
    return lead, [p for p in dict.fromkeys(partners) if p not in lead]


# ---------------------------------------------------------------- label clauses


def _clause_end(text: str, s: int, body_start: int, limit: int) -> int:
    """Where a clause stops: its closing bracket, a full stop or line break, the next heading, or
    right after 负责 when the next sentence runs straight in (one-line extractions)."""
    opener = text[s] if text[s] in OPEN else ""
    depth = 1 if opener else 0
    for i in range(body_start, limit):
        ch = text[i]
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth -= 1
            if opener and depth == 0:
                return i + 1
            if depth < 0:
                return i  # a bracket closing something the clause is inside of
        elif ch == "\n" or ch == "|":
            return i
        elif ch == "。" and depth <= (1 if opener else 0):
            return i + 1
        elif text.startswith("负责", i) and i + 2 < limit and re.match(r"[\u4e00-\u9fff\d]", text[i + 2]) \
                and not text.startswith("负责人", i):
            return i + 2
    return limit


def _label_clause(text: str, s: int, stop: int, first_is_lead: bool) -> Responsibility | None:
    """Parse 「（牵头单位：A；配合单位：B、C；完成时限：2025年底前）」 between s and stop."""
    g = genre()
    body = text[s:stop]
    inner = body.strip("。 ")
    if inner and inner[0] in OPEN and not g.label_rx.match(inner):
        inner = inner[1:]
    # the closing bracket of the clause, not of a name at its end (「【配合单位】区民政局、各镇（街道）」)
    if inner and inner[-1] in CLOSE and sum(inner.count(c) for c in CLOSE) > sum(inner.count(c) for c in OPEN):
        inner = inner[:-1]
    lead, partners, deadline = [], [], ""
    labels = list(g.label_rx.finditer(inner))
    if not labels:
        return None
    for k, m in enumerate(labels):
        value = inner[m.end(): labels[k + 1].start() if k + 1 < len(labels) else len(inner)]
        value = value.strip(" ；;，,。")
        role = g.labels[re.sub(r"[ :：【】]", "", m.group(0))]
        # 「协办单位：A、B；2024年6月底前完成」: a deadline written after the units, without its label
        if role != "deadline":
            parts = _top_level_split(value, re.compile(r"[；;，,]"))
            dated = [p for p in parts if p.strip() and _is_deadline(p.strip())]
            if dated and len(dated) < len(parts):
                deadline = deadline or deadline_in(dated[0])
                value = "、".join(p for p in parts if p not in dated)
        if role == "deadline":
            deadline = deadline or value
            continue
        if role == "lead":
            # "牵头单位：A、B" — all lead; anything after 牵头单位 in prose form is parsed as prose
            lead += split_units(value)
        elif role == "partner":
            partners += split_units(value)
        else:
            l, p = _parse_units(value)
            if not l and p and first_is_lead:
                l, p = p[:1], p[1:]
            lead += l
            partners += p
    lead = list(dict.fromkeys(lead))
    partners = [u for u in dict.fromkeys(partners) if u not in lead]
    if not lead and not partners and not deadline:
        return None
    return Responsibility(text=body, lead=lead, partners=partners, start=s, end=stop, deadline=deadline, source="label")


def deadline_in(s: str) -> str:
    """The first deadline the genre table finds in s (完成时限, …底前, 每年, 持续推进), or ""."""
    for rx in genre().deadlines:
        m = rx.search(s)
        if m:
            return m.group(0)
    return ""


def _is_deadline(part: str) -> bool:
    """A clause part that is a time, not units: 「2025年底前完成」, 「每年开展」, 「持续推进」."""
    d = deadline_in("，" + part)
    return bool(d) and part.startswith(d) and not is_unit(part)


def label_clauses(text: str, heading_starts: list[int], first_is_lead: bool) -> list[Responsibility]:
    g = genre()
    out: list[Responsibility] = []
    starts = sorted(heading_starts)
    pos = 0
    for m in g.label_rx.finditer(text):
        if m.start() < pos:
            continue  # a second label inside the clause already read
        s = m.start()
        nxt = next((h for h in starts if h > m.end()), len(text))
        if text[s] == "【":  # 「【牵头单位】A【配合单位】B」: the clause runs to the end of its line or sentence
            stop = min([i for i in (text.find("\n", s), text.find("。", s) + 1 if "。" in text[s:nxt] else -1) if i > 0]
                       + [nxt])
            r = _label_clause(text, s, stop, first_is_lead)
            if r is not None:
                out.append(r)
                pos = stop
            continue
        if s > 0 and text[s - 1] in OPEN:
            s -= 1
        stop = _clause_end(text, s, m.end(), nxt)
        # Further labels right after the first (「牵头单位：A；配合单位：B」 without brackets) belong to it.
        while True:
            follow = g.label_rx.match(text, stop + (1 if stop < len(text) and text[stop] in "；;，, " else 0))
            if not follow or text[stop:stop + 1] == "\n":
                break
            stop = _clause_end(text, s if text[s] in OPEN else follow.start(), follow.end(), nxt)
        r = _label_clause(text, s, stop, first_is_lead)
        if r is not None:
            out.append(r)
            pos = stop
    return out


# ---------------------------------------------------------------- prose clauses

UNITS = r"[^。；;\n：:，,（）()【】“”]{2,80}?"
UNIT_LIST = rf"{UNITS}(?:[，,]{UNITS}){{0,3}}?"
PROSE = [
    # X牵头，Y配合 / 由X牵头，Y参与 / X牵头负责 / X牵头，会同Y
    re.compile(rf"(?:由|并由)?(?P<lead>{UNITS})牵头(?:负责)?(?:[，,](?:会同)?(?P<partners>{UNIT_LIST})(?:等)?(?:{PARTNER_VERBS}))?"),
    # X负责，Y配合 (no 牵头 said: all partners)
    re.compile(rf"(?P<partners>{UNITS})负责[，,](?P<more>{UNIT_LIST})(?:等)?(?:配合|参与|协助|协办|协同)"),
    # 由X负责
    re.compile(rf"由(?P<partners>{UNITS})(?:负责|组织实施|具体实施|落实)"),
    # X、Y按职责分工负责 / X负责落实
    re.compile(rf"(?P<partners>{UNITS})(?:等)?(?:按职责分工负责|按照职责分工负责|按各自职责负责|按照各自职责负责|负责落实|共同负责|分工负责)"),
    # X会同Y…
    re.compile(rf"(?P<partners>{UNITS})会同(?P<more>[^。；;，,]{{2,40}})"),
    # 「市民政局负责，每半年开展一次。」, 「（市民政局负责）」: X负责 standing alone in its clause
    re.compile(rf"(?P<partners>{UNITS})(?:具体)?负责(?=[。；;，,）)]|$)"),
]
# Regulations: 「市建设行政主管部门负责全市…」, 「建设单位应当…」 — units as the subject of a duty sentence
# (verbs in genre.toml duty_verbs), with the units it 会同; and 「由X责令…」.
def _duty_rx() -> list[re.Pattern]:
    verbs = "|".join(map(re.escape, genre().duty_verbs))
    return [re.compile(rf"(?P<partners>{UNITS})(?=(?:{verbs}))(?:应当)?(?:会同(?P<more>[^。；;，,]{{2,40}}))?"),
            re.compile(rf"由(?P<partners>{UNITS})(?={'|'.join(map(re.escape, genre().duty_by_verbs))})"),
            # 「市民政部门是本市社区服务设施的主管部门」
            re.compile(rf"(?P<partners>{UNITS})(?=是[^。；;，,]{{0,30}}?主管部门)")]


# 「（一）市民政部门负责…」, 「1.区民政部门应当…」: an item marker before a duty's subject
ITEM_MARK = re.compile(r"[ 　]*(?:[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.．、]|[①-⑳㈠-㈩])[ 　]*")
# 「市人民政府民政部门（以下简称市民政部门）负责…」: the defining bracket is no part of the subject
DEFINED_AS = re.compile(r"[（(](?:以下简称|下称|简称)[^)）]{1,20}[)）]")


def duty_clauses(text: str, s: int, e: int) -> list[Responsibility]:
    """Every public body stated as the subject of a duty in the sentence text[s:e] of an article: at the
    sentence's start (after an item marker), after a condition (「…的，X应当…」), or after a comma when the
    subject is followed right away by a duty verb (「…，社区居民委员会负责日常运营」)."""
    sent = DEFINED_AS.sub(lambda m: "\0" * len(m.group(0)), text[s:e])
    rxs = _duty_rx()
    verbs = genre().duty_verbs_after_comma
    starts = [0]
    im = ITEM_MARK.match(sent)
    if im and im.end() > 0:
        starts.append(im.end())
    starts += [m.end() for m in re.finditer(r"[，,]", sent)]
    out: list[Responsibility] = []
    done = -1
    for at in starts:
        if at < done:
            continue
        for k, rx in enumerate(rxs):
            m = rx.match(sent, at)
            if not m:
                continue
            if at > 0 and k != 1 and not (im and at == im.end()) and not sent[:at].endswith(("的，", "的,")):
                # after a plain comma only a bare subject right before its verb (no 「在…时，」 phrases)
                if not sent[m.end("partners"):].startswith(verbs) or len(m.group("partners")) > 20:
                    continue
            units = [u.replace("\0", "") for u in split_units(m.group("partners").replace("\0", ""))]
            units = [u for u in split_units("、".join(units))]
            if m.groupdict().get("more"):
                more = split_units(re.split(r"编制|制定|建立|开展|做好|对|定期|组织|研究|推进|负责|共同|进行|实施", m.group("more"))[0])
                units += [u for u in more if is_unit(u)]
            if not _valid(units[:1]) or not all(is_unit(u) for u in units):
                continue
            a, b = s + m.start(), s + m.end()
            close = SENTENCE_END.search(text, b, e + 1)
            b = (close.end() if close.group(0) != "\n" else close.start()) if close and close.start() <= e else e
            out.append(Responsibility(text=text[a:b], partners=list(dict.fromkeys(units)), start=a, end=b,
                                      source="prose"))
            done = m.end()
            break
    return out


def _clause_starts(sent: str):
    """Where a clause may begin inside a sentence: its start and after each comma or bracket."""
    yield 0
    for m in re.finditer(r"[，,（(【]", sent):
        yield m.end()


def _valid(units: list[str]) -> bool:
    return bool(units) and all(is_unit(u) for u in units)


def prose_clause(text: str, s: int, e: int, duty: bool = False) -> Responsibility | None:
    """The first prose responsibility clause in the sentence text[s:e]."""
    sent = text[s:e]
    for at in _clause_starts(sent):
        for rx in (_duty_rx() + PROSE) if duty else PROSE:
            if duty and at > 0 and rx.pattern.startswith("(?P<partners>") and not sent[:at].endswith(("的，", "的,")):
                continue  # a duty's subject opens its sentence (or follows a condition: 「…的，区民政部门应当…」)
            m = rx.match(sent, at)
            if not m:
                continue
            lead = split_units(m.group("lead")) if "lead" in rx.groupindex else []
            partners = split_units(m.group("partners")) if m.groupdict().get("partners") else []
            if m.groupdict().get("more"):
                more = split_units(re.split(r"编制|制定|建立|开展|做好|对|定期|组织|研究|推进|负责|共同|进行|实施|做好", m.group("more"))[0])
                partners += [u for u in more if is_unit(u)]
            if lead and not _valid(lead):
                continue
            if not lead and not _valid(partners):
                continue
            if lead and partners and not _valid(partners):
                partners = [u for u in partners if is_unit(u)]
            end = s + m.end()
            close = SENTENCE_END.search(text, end, e + 1)
            end = (close.end() if close.group(0) != "\n" else close.start()) if close and close.start() <= e else e
            start = s + at
            if start > 0 and text[start - 1] in OPEN:  # 「（市民政局牵头，…配合）」: the clause with its brackets
                start -= 1
                shut = next((i for i in range(end - 1, start, -1) if text[i] in CLOSE), None)
                end = shut + 1 if shut is not None and "。" not in text[shut:end] else end
            end = max(end, start + 1)
            while end > start + 1 and text[end - 1] in " \n":
                end -= 1
            partners = [u for u in dict.fromkeys(partners) if u not in lead]
            return Responsibility(text=text[start:end], lead=list(dict.fromkeys(lead)), partners=partners,
                                  start=start, end=end, source="prose")
    return None


def sentences(text: str, s: int, e: int):
    """(start, end) of the sentences in text[s:e], each with its end mark."""
    a = s
    for m in SENTENCE_END.finditer(text, s, e):
        if m.end() - a > 1:
            yield a, m.end()
        a = m.end()
    if e - a > 1:
        yield a, e


def blanket_clauses(text: str) -> list[Responsibility]:
    """「以下任务均需各乡镇人民政府落实，不再列出」: units for every later task."""
    out = []
    for m in genre().blanket.finditer(text):
        units = [u for u in split_units(m.group("units")) if is_unit(u)]
        if units:
            end = text.find("。", m.end())
            end = m.end() if end < 0 or end - m.end() > 20 else end + 1
            out.append(Responsibility(text=text[m.start():end], partners=units, start=m.start(), end=end,
                                      source="blanket"))
    return out


def states_first_is_lead(text: str) -> bool:
    return bool(genre().first_is_lead.search(text))
