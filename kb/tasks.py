"""Sections + clauses -> tasks: each task with its own units and deadline.

A task is a section's own text (or a paragraph of it) closed by a responsibility clause, a 第X条
article with prose duties, a task-table row (linked back to the body task it names), or a body
task that a blanket clause covers. A task never takes units from another task's clause.
"""
from __future__ import annotations

import re
import unicodedata

from .genre import genre
from .responsibility import blanket_clauses, deadline_in
from .types import Responsibility, Section, Task

HEADING_WORDS = 20  # an unheaded task paragraph is named by its first words


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return re.sub(r"[\s，,。.、：:；;“”\"'（）()]", "", s)


def _walk(node: Section, path: list[str], out: list, inside: str = ""):
    p = path + [node.heading] if node.heading else path
    out.append((p, node, inside))
    for c in node.children:
        _walk(c, p, out, inside or (node.kind if node.kind in ("attachment", "box") else ""))


def _own_end(node: Section) -> int:
    return node.children[0].start if node.children else node.end


def deadline_of(text: str, clause_deadline: str = "") -> str:
    return clause_deadline.strip() if clause_deadline else deadline_in(text)


def _first_words(text: str) -> str:
    t = text.strip().lstrip("　 ")
    cut = re.search(r"[。；;\n]", t)
    t = t[:cut.start()] if cut else t
    return t[:HEADING_WORDS]


def _phase(path_nodes: list[Section]) -> str:
    for n in reversed(path_nodes):
        m = genre().phase.search(n.title or n.heading)
        if m:
            return m.group("when")
    return ""


def _matched(a: str, b: str) -> int:
    """Characters of a and b in common, in order (the matching blocks of an LCS-like alignment)."""
    from difflib import SequenceMatcher

    return sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())


def row_similarity(task_cell: str, heading: str) -> float:
    """How well a table row's task cell names a body heading: exact 3, one the start of the other 2, else
    the share of the shorter one's characters found in the other — in order and as a bag, averaged (a
    shortened, paraphrased or reordered wording: 「发展托育服务」 for 「发展普惠托育服务」)."""
    a, b = _norm(task_cell), _norm(heading)
    if len(a) < 2 or len(b) < 2:
        return 0.0
    if a == b:
        return 3.0
    if a.startswith(b) or b.startswith(a):
        return 2.0
    m = _matched(a, b)
    if m < genre().link_min_chars:
        return 0.0
    # in order (LCS-like) and as a bag of characters, so that reordered wording (智慧社区建设 / 建设智慧社区) links too
    from collections import Counter

    bag = sum((Counter(a) & Counter(b)).values())
    return (m + bag) / 2 / min(len(a), len(b))


def link_rows(cells: list[str], candidates: list, positions: list[int]) -> list:
    """Each row's body task (path, node) or None: pairs taken best first, one row per body task, a pair
    only above the link threshold (kb/data/genre.toml [tables])."""
    g = genre()
    pairs = []
    for i, (cell, pos) in enumerate(zip(cells, positions)):
        for j, (_p, n) in enumerate(candidates):
            if n.start <= pos < n.end:
                continue
            sc = row_similarity(cell, n.title)
            if sc >= g.link_min_share:
                pairs.append((-sc, i, j))
    pairs.sort()
    out: list = [None] * len(cells)
    used: set[int] = set()
    for _sc, i, j in pairs:
        if out[i] is None and j not in used:
            out[i] = candidates[j]
            used.add(j)
    return out


def build_tasks(text: str, root: Section, clauses: list[Responsibility]) -> list[Task]:
    nodes: list = []
    _walk(root, [], nodes)
    parents: dict[int, list[Section]] = {}

    def chain(target: Section) -> list[Section]:
        if not parents:
            def rec(n, acc):
                parents[id(n)] = acc
                for c in n.children:
                    rec(c, acc + [c])
            rec(root, [])
        return parents.get(id(target), [])

    body = [c for c in clauses if c.source not in ("table", "blanket")]
    rows = [c for c in clauses if c.source == "table"]
    tasks: list[tuple[Task, Section | None]] = []

    def innermost(pos: int) -> Section:
        n = root
        while True:
            inner = next((c for c in n.children if c.start <= pos < c.end), None)
            if inner is None:
                return n
            n = inner

    owner = {id(c): innermost(c.start) for c in body}
    parent_of = {id(ch): n for n in root.walk() for ch in n.children}
    # A clause standing on its own line after a run of sub-items (（2）… ①… ②… then 「（责任单位：…）」)
    # closes their parent when none of the items has a clause of its own.
    for c in body:
        n = owner[id(c)]
        p = parent_of.get(id(n))
        if p is None or p.level == 0 or c.start == 0 or p.children[-1] is not n or n.kind == "article":
            continue
        own_line = text[c.start - 1] == "\n"
        # or an inline enumeration (「主要包括：1.甲；2.乙。（责任单位：…）」) on the clause's own line
        inline = "\n" not in text[p.children[0].start:c.start] and text[p.children[0].start - 1] in "：:；;。"
        if (own_line or inline) and len(p.children) >= 2 and \
                not any(owner[id(o)] in p.children for o in body if o is not c):
            owner[id(c)] = p
    for path, node, inside in nodes:
        own_end = _own_end(node)
        a = node.start
        inside_cl = [c for c in body if owner[id(c)] is node]
        if inside_cl and node.children and inside_cl[0].start >= own_end:
            own_end = inside_cl[-1].end  # closed by a clause after its items
        prev: Task | None = None
        for c in inside_cl:
            if not c.lead and not c.partners:  # a 完成时限 alone: the deadline of the task it closes
                if prev is not None and not prev.deadline:
                    prev.deadline = c.deadline
                continue
            if prev is not None and len(text[prev.end:c.start].strip(" 。；;\n")) < 2:
                # two clauses closing one task (「由X负责。（配合单位：Y）」)
                prev.lead += [u for u in c.lead if u not in prev.lead]
                prev.partners += [u for u in c.partners if u not in prev.partners and u not in prev.lead]
                prev.clause += c.text
                prev.end = c.end
                prev.deadline = prev.deadline or c.deadline
                continue
            headed = a == node.start and node.level > 0
            seg = text[a:c.end]
            heading = (node.title or _first_words(text[node.body_start:c.end])) if headed else _first_words(seg)
            if headed and node.kind == "article" and not node.title:
                heading = _first_words(text[node.body_start:c.end])
            t = Task(path=list(path), heading=heading, text=seg.strip(), lead=list(c.lead),
                     partners=[u for u in c.partners if u not in c.lead], deadline=c.deadline, clause=c.text,
                     start=a, end=c.end)
            tasks.append((t, node))
            prev = t
            a = c.end

    # Task-table rows: linked to the body task whose heading their task cell names.
    by_node = {id(n): t for t, n in tasks if n is not None}
    candidates = [(p, n) for p, n, inside in nodes if n.level > 0 and not inside and n.kind != "attachment"
                  and not n.children and n.title]
    for r, best in zip(rows, link_rows([r.task for r in rows], candidates, [r.start for r in rows])):
        if best is None:
            path = next((p for p, n, _ in reversed(nodes) if n.start <= r.start < n.end and n.level > 0), [])
            tasks.append((Task(path=list(path), heading=r.task, text=r.text, lead=list(r.lead), partners=list(r.partners),
                               deadline=r.deadline, clause=r.text, start=r.start, end=r.end), None))
            continue
        p, n = best
        t = by_node.get(id(n))
        if t is None:
            t = Task(path=list(p), heading=n.title, text=text[n.start:_own_end(n)].strip(), lead=[], partners=[],
                     deadline="", clause="", start=n.start, end=_own_end(n))
            tasks.append((t, n))
            by_node[id(n)] = t
        if t.clause and all(c.source == "prose" for c in body if t.start <= c.start < t.end):
            t.lead, t.partners = [], []  # the table's row is the formal assignment; a prose aside (由街道…) yields
        t.lead += [u for u in r.lead if u not in t.lead]
        t.partners += [u for u in r.partners if u not in t.partners and u not in t.lead]
        t.deadline = t.deadline or r.deadline
        t.clause = (t.clause + "\n" if t.clause else "") + r.text

    # Blanket clauses: their units are partners of every later task in their section.
    # (read here from the text, not from the clause list, so passages are cut as before)
    for b in blanket_clauses(text):
        scope = root
        for _p, n, _i in nodes:
            if n.level > 0 and n.start <= b.start < n.end:
                scope = n
        if not scope.children:
            scope = root  # stated inside a task, after its clause: every later task of the document
        for p, n, inside in nodes:
            if n.level == 0 or inside or n.children or n.kind in ("attachment", "box") or n.start <= b.start:
                continue
            if not (scope.start <= n.start < scope.end):
                continue
            t = by_node.get(id(n))
            if t is None:
                t = Task(path=list(p), heading=n.title or _first_words(text[n.body_start:_own_end(n)]),
                         text=text[n.start:_own_end(n)].strip(), clause=b.text, start=n.start, end=_own_end(n))
                tasks.append((t, n))
                by_node[id(n)] = t
            t.partners += [u for u in b.partners if u not in t.partners and u not in t.lead]

    out = []
    for t, n in tasks:
        if not t.deadline:  # a time inside the clause (「（X牵头，Y配合，2025年底前完成）」) before one in the text
            t.deadline = deadline_of(t.clause) or deadline_of(t.text)
        if not t.deadline and n is not None:
            t.deadline = _phase(chain(n))
        out.append(t)
    out.sort(key=lambda t: t.start)
    return out
