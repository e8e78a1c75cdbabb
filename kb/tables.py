"""Task tables (重点任务分工表): rows read from `a | b | c` lines (Word/HTML tables as emitted by ingest) or
whitespace-separated columns, each row a responsibility clause that names its task.

A table is recognised by its header row: a task column (工作任务/重点任务/…) and at least one
responsibility column (牵头单位/配合单位/责任单位/…). The header words are those of GENRE.md.
"""
from __future__ import annotations

import re

from .responsibility import _parse_units, split_units
from .types import Responsibility

TASK_COL = re.compile(r"任务|工作内容|工作措施|具体内容|事项|措施|内容")
ROLE_COLS = [  # (header pattern, role); first match wins
    (re.compile(r"牵头"), "lead"),
    (re.compile(r"配合|参与|协办|协同|协助"), "partner"),
    (re.compile(r"责任|主责|实施主体|承办"), "listed"),
    (re.compile(r"时限|时间|进度|完成"), "deadline"),
]
SEP_ROW = re.compile(r"^[\s|:：\-—]+$")


def _cells(line: str) -> list[str] | None:
    s = line.strip()
    if s.count("|") >= 2 or (s.startswith("|") and s.endswith("|") and len(s) > 2):
        return [c.strip() for c in s.strip("|").split("|")]
    return None


def _roles(cells: list[str]) -> dict[int, str] | None:
    roles: dict[int, str] = {}
    for i, c in enumerate(cells):
        c = re.sub(r"\s", "", c)
        if not c or len(c) > 12:
            continue
        for rx, role in ROLE_COLS:
            if rx.search(c):
                roles[i] = role
                break
        else:
            if TASK_COL.search(c) and "task" not in roles.values():
                roles[i] = "task"
    if "task" in roles.values() and any(r in ("lead", "partner", "listed") for r in roles.values()):
        return roles
    return None


def table_clauses(text: str, first_is_lead: bool = False) -> list[Responsibility]:
    out: list[Responsibility] = []
    roles: dict[int, str] | None = None
    split = None  # "pipe" or "space": how the header was written, so its rows are read alike
    ncols = 0
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        cells = _cells(line)
        kind = "pipe" if cells is not None else None
        if cells is None and roles is not None and split == "space":
            cells = line.split()
            kind = "space" if len(cells) == ncols else None
        if cells is None and roles is None:
            words = line.split()
            if len(words) >= 3 and _roles(words):
                roles, split, ncols = _roles(words), "space", len(words)
            continue
        if kind is None or cells is None:
            roles = None
            continue
        if SEP_ROW.match(line):
            continue
        head = _roles(cells)
        if head:
            roles, split, ncols = head, kind, len(cells)
            continue
        if roles is None:
            continue
        r = _row(text, start, line, cells, roles, first_is_lead)
        if r is not None:
            out.append(r)
    return out


def _row(text: str, start: int, line: str, cells: list[str], roles: dict[int, str], first_is_lead: bool):
    lead, partners, deadline, task = [], [], "", ""
    for i, c in enumerate(cells):
        role = roles.get(i)
        c = c.strip()
        if not c or c in ("/", "—", "-", "无"):
            continue
        if role == "task" and not task:
            task = c
        elif role == "lead":
            lead += split_units(c)
        elif role == "partner":
            partners += split_units(c)
        elif role == "listed":
            l, p = _parse_units(c)
            if not l and p and first_is_lead:
                l, p = p[:1], p[1:]
            lead += l
            partners += p
        elif role == "deadline":
            deadline = deadline or c
    if not task or not (lead or partners):
        return None
    lead = list(dict.fromkeys(lead))
    partners = [u for u in dict.fromkeys(partners) if u not in lead]
    s = start + (len(line) - len(line.lstrip()))
    e = start + len(line.rstrip())
    return Responsibility(text=text[s:e], lead=lead, partners=partners, start=s, end=e, deadline=deadline,
                          source="table", task=task)
