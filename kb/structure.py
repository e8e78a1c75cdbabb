"""Clean text -> heading tree (一、 > (一) > 1. / 专栏) and responsibility clauses.

Headings often run into the text (one-line .docx and PDF extractions: `…负责二、增加服务供给(一)完善…
1 .优化…`), so candidates are found anywhere and accepted only when their number continues the
numbering at their level; that is what tells `(一)` the heading from `(小区)` or `统一、` in prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Responsibility, Section

CN_NUM = "一二三四五六七八九十"
CJK = "\u4e00-\u9fff"

# level, kind, pattern (group "n" = the number)
MARKERS = [
    (1, "heading", re.compile(rf"(?P<n>[{CN_NUM}]{{1,3}})、(?=[{CJK}“])")),
    (2, "heading", re.compile(rf"[(（](?P<n>[{CN_NUM}]{{1,3}})[)）](?=[{CJK}“])")),
    (3, "heading", re.compile(rf"(?<![\d.．])(?P<n>\d{{1,2}})[.．、,](?=[{CJK}“\"])")),
    # A list number whose dot the .docx export lost ("…按职责分工负责3加强…"): only after a clause end.
    (3, "heading", re.compile(rf"(?<=负责|落实)(?P<n>\d{{1,2}})(?=[{CJK}])")),
    (3, "box", re.compile(r"专栏[ ]*(?P<n>\d{1,2})(?=[ ]*[\u4e00-\u9fff“])")),
]
BOX_ITEM_LEVEL = 4
# Where a heading can begin: after a line break or the end of a sentence or clause.
BOUNDARY = set("\n。！？；;:：】)）")
CLAUSE_ENDS = ("负责", "落实", "牵头")
TITLE_MAX = 60


def cn_to_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    vals = {c: i + 1 for i, c in enumerate(CN_NUM)}
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + vals[s[1]]
    if s.endswith("十"):
        return vals[s[0]] * 10
    if "十" in s:
        a, b = s.split("十")
        return vals[a] * 10 + vals[b]
    return vals.get(s, 0)


@dataclass
class _Cand:
    pos: int
    level: int
    kind: str
    n: int


def _at_boundary(text: str, pos: int) -> bool:
    if pos == 0 or text[pos - 1] in BOUNDARY:
        return True
    return text[max(0, pos - 2):pos] in CLAUSE_ENDS


def _candidates(text: str) -> list[_Cand]:
    out = []
    for level, kind, rx in MARKERS:
        for m in rx.finditer(text):
            out.append(_Cand(m.start(), level, kind, cn_to_int(m.group("n"))))
    out.sort(key=lambda c: (c.pos, c.level))
    return out


def _title_end(text: str, start: int, limit: int) -> int:
    """A heading's title runs to the first 。/line break, or up to the next heading when it runs in."""
    end = min(limit, start + TITLE_MAX)
    for i in range(start, end):
        if text[i] in "。\n":
            return i + 1 if text[i] == "。" else i
    if end == limit:
        return limit
    # No terminator near: a run-in heading without one (rare); cut at the last comma in reach.
    cut = max(text.rfind("，", start, end), text.rfind(",", start, end))
    return cut + 1 if cut > start else end


def parse_sections(text: str) -> Section:
    root = Section(heading="", level=0, start=0, end=len(text), body_start=0)
    stack: list[Section] = [root]
    last: dict = {}  # last accepted number per level (box items use BOX_ITEM_LEVEL)
    seen: dict = {}  # last number per level, never reset
    last_heading_end = -1
    accepted: list[tuple[_Cand, int]] = []

    for c in _candidates(text):
        if accepted and c.pos < accepted[-1][1]:
            continue  # inside the previous heading's title
        box_open = any(n.kind == "box" for n in stack)
        level, key = c.level, ("box" if c.kind == "box" else c.level)  # 专栏 are numbered on their own
        if c.kind == "heading" and level == 3 and box_open:
            # Inside a 专栏 box "1." numbers the box's items unless it continues the tasks outside.
            if c.n == last.get(BOX_ITEM_LEVEL, 0) + 1:
                level = key = BOX_ITEM_LEVEL
            elif c.n != last.get(3, 0) + 1:
                continue
        # Numbers go on from the last one at this level, or restart at 1 under a new parent, or
        # carry on across parents (zhuhai numbers its tasks 1-7 under (一), 8… under (二)).
        if c.n != last.get(key, 0) + 1 and not (key not in last and c.n == seen.get(key, 0) + 1):
            continue
        # A first heading of its level may run in right after its parent's title; any other
        # needs a line or sentence boundary (or the end of a responsibility clause) before it.
        run_in = key not in last and last_heading_end >= 0 and c.pos - last_heading_end <= 2
        if not (_at_boundary(text, c.pos) or run_in):
            continue
        # Close sections at this level or deeper.
        while len(stack) > 1 and stack[-1].level >= level:
            stack.pop().end = c.pos
        for lv in [k for k in last if k != "box" and k > level]:
            del last[lv]
        last[key] = seen[key] = c.n
        limit = next((x.pos for x in _candidates_after(text, c.pos)), len(text))
        tend = _title_end(text, c.pos, limit)
        heading = text[c.pos:tend].rstrip("。\n ")
        node = Section(heading=heading, level=level, start=c.pos, end=len(text), body_start=tend,
                       kind=c.kind if level != BOX_ITEM_LEVEL else "heading")
        stack[-1].children.append(node)
        stack.append(node)
        accepted.append((c, tend))
        last_heading_end = tend
    while len(stack) > 1:
        stack.pop().end = len(text)
    return root


def _candidates_after(text: str, pos: int):
    """Heading-looking markers after pos, nearest first (used to bound run-in titles)."""
    best = None
    for _level, _kind, rx in MARKERS:
        m = rx.search(text, pos + 2)
        if m and (best is None or m.start() < best.pos):
            best = _Cand(m.start(), _level, _kind, 0)
    return [best] if best else []


# ---------------------------------------------------------------- responsibility clauses

CLAUSE_RX = re.compile(r"[【(（]?责任(?:单位|部门|主体)[:：]")
# "市民政局、市发展改革委牵头,会同…": a list of units as subject of 牵头 (not "X牵头的机制").
LEAD_RX = re.compile(r"(?P<units>[^。；;，,:：\n]{2,80}?)牵头(?=[,，；;。]|负责)")
NOT_UNIT_START = re.compile(r"^(建立|健全|推动|完善|加强|推进|原则上|要|由)")
UNIT_SUFFIX = re.compile(
    r"(局|委|办|部|厅|会|院|府|处|中心|联|站|团|队|所|室|行|司|社|馆|公司|管委会|办事处|功能区\)|功能区）|各区|各县|各乡镇|街道)$"
)
TAIL_RX = re.compile(r"(等)?(按职责分工负责|按职责负责|分工负责|牵头负责|负责|落实|参与|配合)$")


def _split_units(s: str) -> list[str]:
    s = TAIL_RX.sub("", s.strip(" 。.、,，"))
    s = re.sub(r"等$", "", s)
    units = []
    for u in re.split(r"[、,，;；/]|和(?=[^)）]*$)", s):
        u = u.strip(" 。.")
        u = re.sub(r"^(由|会同|配合|协同)", "", u)
        u = re.sub(r"等$", "", u)
        if u and len(u) <= 30:
            units.append(u)
    return units


def _parse_units(body: str) -> tuple[list[str], list[str]]:
    """Lead and partner units, where the text says so (牵头 / 落实, 配合, 参与, 会同); a plain list
    (…按职责分工负责, 责任部门:…) names units that are all responsible, kept as lead in their order."""
    lead, partners = [], []
    for group in re.split(r"[,，;；。](?![^(（]*[)）])", body):
        group = group.strip()
        if not group:
            continue
        if re.search(r"(配合|参与|协同|落实)$", group) or group.startswith(("会同", "配合")):
            partners += _split_units(group)
        elif "牵头" in group:
            head, _, rest = group.partition("牵头")
            lead += _split_units(head)
            if rest.strip("负责 "):
                partners += _split_units(rest)
        else:
            lead += _split_units(group)
    lead = list(dict.fromkeys(lead))
    return lead, [p for p in dict.fromkeys(partners) if p not in lead]


def _clause_end(text: str, s: int, body_start: int, limit: int) -> int:
    """Where a clause stops: its closing bracket, a full stop or line break, the next heading, or
    right after 负责 when the next sentence runs straight in (one-line extractions)."""
    opener = text[s] if text[s] in "【(（" else ""
    depth = 1 if opener else 0
    for i in range(body_start, limit):
        ch = text[i]
        if ch in "【(（":
            depth += 1
        elif ch in "】)）":
            depth -= 1
            if opener and depth == 0:
                return i + 1
        elif ch == "\n":
            return i
        elif ch == "。" and depth <= (1 if opener else 0):
            return i + 1
        elif text.startswith("负责", i) and i + 2 < limit and re.match(rf"[{CJK}\d]", text[i + 2]):
            return i + 2
    return limit


def parse_clauses(text: str, heading_starts: list[int]) -> list[Responsibility]:
    """责任单位/责任部门 clauses, plus sentences whose subject is a list of units 牵头."""
    out: list[Responsibility] = []
    starts = sorted(heading_starts)
    for m in CLAUSE_RX.finditer(text):
        s = m.start()
        nxt = next((h for h in starts if h > m.end()), len(text))
        stop = _clause_end(text, s, m.end(), nxt)
        body = text[m.end():stop].rstrip("。 ")
        if text[s] in "【(（" and body and body[-1] in "】)）":
            body = body[:-1]
        lead, partners = _parse_units(body)
        if lead or partners:
            out.append(Responsibility(text=text[s:stop], lead=lead, partners=partners, start=s, end=stop))
    taken = [(r.start, r.end) for r in out]
    for m in LEAD_RX.finditer(text):
        s = m.start("units")
        if any(a <= s < b for a, b in taken):
            continue
        units = _split_units(m.group("units"))
        if units and all((UNIT_SUFFIX.search(u) or u.endswith("部门")) and not NOT_UNIT_START.match(u) for u in units):
            end = text.find("。", m.end())
            end = len(text) if end == -1 else end + 1
            out.append(Responsibility(text=text[s:end], lead=units, partners=[], start=s, end=end))
    out.sort(key=lambda r: r.start)
    return out


def attach_clauses(root: Section, clauses: list[Responsibility]) -> None:
    """Each clause closes the innermost section that contains it."""
    for r in clauses:
        node = root
        while True:
            inner = next((c for c in node.children if c.start <= r.start < c.end), None)
            if inner is None:
                break
            node = inner
        if node.responsibility is None:
            node.responsibility = r


def parse_document(text: str) -> tuple[Section, list[Responsibility]]:
    root = parse_sections(text)
    clauses = parse_clauses(text, [s.start for s in root.walk() if s.level > 0])
    attach_clauses(root, clauses)
    return root, clauses


def section_paths(root: Section) -> list[tuple[list[str], Section]]:
    """Every section with the headings from the top down to it."""
    out = []

    def rec(node: Section, path: list[str]):
        p = path + [node.heading] if node.heading else path
        out.append((p, node))
        for c in node.children:
            rec(c, p)

    rec(root, [])
    return out
