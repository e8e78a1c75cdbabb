"""Clean text -> heading tree and responsibility clauses, by one grammar read from kb/data/genre.toml.

The marker table gives every heading marker of the genre (第X部分/篇 > 第X章 > 第X节 > 第X条 > 一、 > （一）/㈠ >
1./1．/1、 > （1） > ①, plus 专栏 boxes, 附件 and markdown `#` lines) a rank and a numbering series; a section
nests under the nearest open section of a smaller rank. Headings often run into the text (one-line .docx and PDF extractions: `…负责二、增加服务供给(一)完善…
1 .优化…`), so candidates are found anywhere and accepted only when their number continues the
numbering at their level; that is what tells `(一)` the heading from `(小区)` or `统一、` in prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .genre import PAREN_CN, cn_to_int, genre
from .responsibility import _parse_units  # noqa: F401  (re-exported: tests read it here)
from .responsibility import duty_clauses, label_clauses, prose_clause, sentences, states_first_is_lead
from .tables import table_clauses
from .types import Responsibility, Section

CJK = "\u4e00-\u9fff"
# Where a heading can begin: after a line break or the end of a sentence or clause.
BOUNDARY = set("\n。！？；;:：】)）")
CLAUSE_ENDS = ("负责", "落实", "牵头")
TITLE_MAX = 60
MD_HEADING = re.compile(r"^(#{1,6})[ ]+(?=\S)", re.M)


@dataclass
class _Cand:
    pos: int  # where the heading starts (the marker, or the markdown hashes)
    mend: int  # end of the marker
    rank: int
    series: str
    kind: str
    holds_items: bool
    n: int | None  # None: not numbered (markdown, 附件 without a number)
    number: str  # the marker, normalised


def _norm_number(series: str, raw: str, n: int) -> str:
    raw = raw.strip()
    if series == "cn":
        return raw.rstrip("、，, ") + "、"
    if series == "paren_cn":
        inner = re.sub(r"[()（） ]", "", raw)
        if inner in PAREN_CN:
            inner = "一二三四五六七八九十"[PAREN_CN.index(inner)]
        return f"（{inner}）"
    if series == "arabic":
        return f"{n}."
    if series == "paren_arabic":
        return f"（{n}）"
    return re.sub(r"\s+", "", raw).rstrip(":：、.．")


def _candidates(text: str) -> list[_Cand]:
    g = genre()
    out = []
    for mk in g.markers:
        for m in mk.rx.finditer(text):
            n = cn_to_int(m.group("n")) if m.group("n") else None
            if n == 0:
                continue
            out.append(_Cand(m.start(), m.end(), mk.rank, mk.series, mk.kind, mk.holds_items, n, _norm_number(mk.series, m.group(0), n or 0)))
    # 附件: the last line naming an attachment is the attachment; earlier ones list it in the cover.
    atts = [c for c in out if c.kind == "attachment"]

    def _att_title(c: _Cand) -> str:
        nl = text.find("\n", c.mend)
        return text[c.mend:nl if nl >= 0 else len(text)].strip(" :：")

    out = [c for c in out if c.kind != "attachment" or not any(
        a.pos > c.pos and (a.number == c.number or (_att_title(c) and _att_title(a) == _att_title(c))) for a in atts)]
    # Markdown headings: one with a marker of its own is that marker's heading; one without is ranked by hashes.
    for m in MD_HEADING.finditer(text):
        if any(c.pos == m.end() for c in out):
            continue
        h = len(m.group(1))
        if h <= g.md_title_hashes:
            continue  # "# 标题": the document's title
        out.append(_Cand(m.start(), m.end(), h * g.md_rank_per_hash, f"md{h}", "heading", False, None, ""))
    out.sort(key=lambda c: (c.pos, c.rank))
    return out


LINE_FURNITURE = " #>*"  # markdown hashes, blockquote marks and bold stars before a heading


def _line_start(text: str, pos: int) -> bool:
    i = pos
    while i > 0 and text[i - 1] in LINE_FURNITURE:
        i -= 1
    return i == 0 or text[i - 1] == "\n"


# A page number left mid-text by a one-line extraction ("…】/ 3 /2.建立…", "…，- 4 -开展…") sits between
# a clause end and the next heading; the heading still starts a new unit.
PAGE_MARK_BEFORE = re.compile(r"(?:[/／][ ]*\d{1,3}[ ]*[/／]|[-－—][ ]*\d{1,3}[ ]*[-－—])[ ]*$")


def _at_boundary(text: str, pos: int) -> bool:
    i = pos
    while i > 0 and text[i - 1] in LINE_FURNITURE:
        i -= 1
    m = PAGE_MARK_BEFORE.search(text, max(0, i - 12), i)
    if m:
        i = m.start()
    if i == 0 or text[i - 1] in BOUNDARY:
        return True
    return text[max(0, i - 2):i] in CLAUSE_ENDS


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


# 第X条 is titled by a bracketed title right after it (第五条【职责分工】), or by a short title standing on
# its own line (第五条 职责分工⏎) or set off from the article's text by a space (第五条　职责分工　市民政部门…)
ARTICLE_TITLE = re.compile(r"[ ]*(?:【([^】\n]{1,20})】|[(（]([^)）\n]{1,20})[)）])"
                           r"|[ 　]*([\u4e00-\u9fff、和与及]{2,12})[ 　]*(?=\n|$)"
                           r"|[ 　]+([\u4e00-\u9fff、和与及]{2,12})[ 　]+(?=[\u4e00-\u9fff“（(])")


def _attachment_list(text: str, c: _Cand) -> bool:
    """"附件：1.…2.…" lists the attachments (in the cover or at the end); "附件：" with nothing after is empty."""
    rest = text[c.mend:c.mend + 200]
    return bool(re.match(r"[ ]*[:：][ ]*\d", rest)) or len(text[c.mend:].strip(" :：\n")) < 4


def _heading_span(text: str, c: _Cand, limit: int) -> tuple[int, str]:
    """(end of the heading, title without the marker)."""
    if c.kind == "article":  # 第X条 is titled only by a bracketed title right after it
        m = ARTICLE_TITLE.match(text, c.mend)
        return (m.end(), next(g for g in m.groups() if g).strip()) if m else (c.mend, "")
    tend = _title_end(text, c.pos, limit)
    title = text[c.mend:tend].rstrip("。\n *").lstrip(" :：、.．*")
    g = genre()
    if len(title) > g.runin_title_max and not text.startswith("\n", tend):
        sub = g.runin_body_subject.search(title, 4)
        if sub:
            cut = text.find(title[:sub.start()], c.mend) + sub.start()
            return cut, title[:sub.start()]
    # 「（一）推进X 新建住宅小区…，…。」: a Word export that separates the title from its run-in body by a space
    sp = re.search(r"(?<=[\u4e00-\u9fff”》）)]) +(?=[\u4e00-\u9fff“《])", title)
    if sp and c.kind == "heading" and sp.start() >= 2 and (len(title) - sp.end() > 12 or "，" in title[sp.end():]):
        cut = text.find(title[:sp.start()], c.mend) + sp.start()
        return cut, title[:sp.start()]
    if c.kind == "attachment" and not title:
        # "附件1" alone on its line: the next short line is its title.
        nl = text.find("\n", tend)
        line = text[tend:nl if nl >= 0 else len(text)].strip() if tend < len(text) and text[tend] == "\n" else ""
        if not line:
            nxt = text.find("\n", tend + 1)
            line = text[tend + 1:nxt if nxt >= 0 else len(text)].strip()
            if line and len(line) <= 40 and "。" not in line and "|" not in line:
                return (nxt if nxt >= 0 else len(text)), line
    return tend, title


def parse_sections(text: str) -> Section:
    g = genre()
    root = Section(heading="", level=0, start=0, end=len(text), body_start=0)
    stack: list[tuple[Section, int]] = [(root, 0)]  # (section, rank)
    holder_rank = None  # rank of an open section whose numbered items are content (第X条)
    rank_of: dict = {}  # series -> rank, for resetting deeper numbering
    last: dict = {}  # last accepted number per series since its parent opened
    seen: dict = {}  # last number per series, never reset
    last_heading_end = -1
    cands = _candidates(text)

    for ci, c in enumerate(cands):
        if c.pos < last_heading_end:
            continue  # inside the previous heading's title
        holder = next((r for n, r in stack if n.kind == "article"), None) if holder_rank is not None else None
        if holder is not None and c.rank > holder and c.kind != "attachment":
            continue  # （一）项 / 1.目 of an article
        box_open = any(n.kind == "box" for n, _ in stack)
        rank, key = c.rank, c.series
        if c.series == "arabic" and box_open:
            # Inside a 专栏 box "1." numbers the box's items unless it continues the tasks outside.
            if c.n == last.get("box_item", 0) + 1:
                rank, key = g.box_item_rank, "box_item"
            elif c.n != last.get("arabic", 0) + 1:
                continue
        if c.kind == "attachment" and (not _line_start(text, c.pos) or _attachment_list(text, c)):
            continue
        # Numbers go on from the last one at this level, or restart at 1 under a new parent, or
        # carry on across parents (tasks numbered 1-7 under (一), 8… under (二); 第X条 across 章).
        if c.n is not None and c.n != last.get(key, 0) + 1 and not (key not in last and c.n == seen.get(key, 0) + 1):
            continue
        # A first heading of its level may run in right after its parent's title; any other
        # needs a line or sentence boundary (or the end of a responsibility clause) before it.
        run_in = key not in last and last_heading_end >= 0 and c.pos - last_heading_end <= 2
        if not (_at_boundary(text, c.pos) or run_in):
            continue
        while len(stack) > 1 and stack[-1][1] >= rank:
            stack.pop()[0].end = c.pos
        rank_of[key] = rank
        for k in [k for k in last if rank_of.get(k, 99) > rank]:
            del last[k]
        if c.n is not None:
            last[key] = seen[key] = c.n
        limit = next((x.pos for x in cands[ci + 1:] if x.pos >= c.mend + 1), len(text))
        tend, title = _heading_span(text, c, limit)
        heading = text[c.pos:tend].rstrip("。\n *").lstrip("# ")
        if c.kind == "article":
            heading = c.number + (f"【{title}】" if title else "")
        kind = "heading" if key == "box_item" else c.kind
        node = Section(heading=heading, level=len(stack), start=c.pos, end=len(text), body_start=tend,
                       kind=kind, number=c.number, title=title)
        stack[-1][0].children.append(node)
        stack.append((node, rank))
        if c.holds_items:
            holder_rank = rank
        last_heading_end = tend
    while len(stack) > 1:
        stack.pop()[0].end = len(text)
    return root


# ---------------------------------------------------------------- responsibility clauses


def _own_end(node: Section) -> int:
    return node.children[0].start if node.children else node.end


def parse_clauses(text: str, root: Section | list[int]) -> list[Responsibility]:
    """Label clauses (责任单位：…), prose clauses closing a paragraph (X牵头，Y配合 / 由X负责 / …按职责分工
    负责 / X会同Y), prose duties anywhere in a 第X条 article, and task-table rows."""
    if isinstance(root, list):  # older callers passed heading starts; parse the tree instead
        root = parse_sections(text)
    heads = [n for n in root.walk() if n.level > 0]
    first_lead = states_first_is_lead(text)
    out = label_clauses(text, [n.start for n in heads], first_lead)
    out += [r for r in table_clauses(text, first_lead) if not any(c.start <= r.start < c.end for c in out)]
    taken = [(c.start, c.end) for c in out] + [(n.start, n.body_start) for n in heads]

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in taken)

    for node in root.walk():
        a, b = (node.body_start if node.level else 0), _own_end(node)
        if b <= a:
            continue
        if node.kind == "article":
            duties = [r for s, e in sentences(text, a, b) if free(s, e)
                      for r in (duty_clauses(text, s, e) or [prose_clause(text, s, e, duty=True)]) if r]
            if duties:  # one article, one task: its duties together
                lead = list(dict.fromkeys(u for r in duties for u in r.lead))
                partners = [u for r in duties for u in r.partners if u not in lead]
                s0, e0 = duties[0].start, duties[-1].end
                out.append(Responsibility(text=text[s0:e0], lead=lead, partners=list(dict.fromkeys(partners)),
                                          start=s0, end=e0, source="prose"))
            continue
        # Elsewhere a prose clause closes its paragraph (or sits in brackets at its end).
        para_start = a
        for line_end in [m.start() for m in re.finditer("\n", text[a:b])] + [b - a]:
            pe = a + line_end
            sents = list(sentences(text, para_start, pe))
            para_start = pe + 1
            if not sents:
                continue
            s, e = sents[-1]
            if free(s, e):
                r = prose_clause(text, s, e)
                if r:
                    out.append(r)
                    taken.append((r.start, r.end))
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
    clauses = parse_clauses(text, root)
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
