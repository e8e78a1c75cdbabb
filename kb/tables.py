"""Task tables (重点任务分工表): rows read from `a | b | c` lines (Word/HTML tables as emitted by ingest) or
whitespace-separated columns, each row a responsibility clause that names its task.

A table is recognised by its header row: a task column (工作任务/重点任务/…) and at least one
responsibility column (牵头单位/配合单位/责任单位/…). The header words are those of GENRE.md.
"""
from __future__ import annotations

import re

from .genre import genre
from .responsibility import _parse_units, split_units
from .types import Responsibility

def _columns():
    """(role regexes in the order tried, task regex) from kb/data/genre.toml [tables]."""
    t = genre().tables
    roles = [(re.compile(t[f"{r}_columns"]), "lead" if r == "lead" else "partner" if r == "partner" else r)
             for r in ("lead", "partner", "listed", "deadline")]
    return roles, re.compile(t["task_columns"])


SEP_ROW = re.compile(r"^[\s|:：\-—]+$")


def _cells(line: str) -> list[str] | None:
    s = line.strip()
    if s.count("|") >= 2 or (s.startswith("|") and s.endswith("|") and len(s) > 2):
        return [c.strip() for c in s.strip("|").split("|")]
    return None


def _col_role(c: str) -> str | None:
    """The role of one header cell: a column name (工作任务, 牵头单位, 完成时限 …), not a caption (…分工表)."""
    c = re.sub(r"\s", "", c)
    if not c or len(c) > 12 or c.endswith(("表", "清单")):
        return None
    role_cols, task_col = _columns()
    for rx, role in role_cols:
        if rx.search(c):
            return role
    return "task" if task_col.search(c) else None


def _roles(cells: list[str]) -> dict[int, str] | None:
    roles: dict[int, str] = {}
    role_cols, task_col = _columns()
    for i, c in enumerate(cells):
        c = re.sub(r"\s", "", c)
        if not c or len(c) > 12:
            continue
        for rx, role in role_cols:
            if rx.search(c):
                roles[i] = role
                break
        else:
            if task_col.search(c) and "task" not in roles.values():
                roles[i] = "task"
    if "task" in roles.values() and any(r in ("lead", "partner", "listed") for r in roles.values()):
        return roles
    return None


SEQ = re.compile(r"^\d{1,3}[.、．]?$")
ROW_START = re.compile(r"\|?\s*\d{1,3}\s*\|")  # 「| 2 |」 or 「2 |」: a numbered row begins


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def table_clauses(text: str, first_is_lead: bool = False) -> list[Responsibility]:
    """Rows of every task table in the text: `| a | b |` lines (rows and cells may be broken by PDF
    line wraps), whitespace-separated columns, and tables flattened to one cell per line."""
    out: list[Responsibility] = []
    lines = _lines(text)
    i = 0
    roles: dict[int, str] | None = None
    split, ncols, closed, numbered = None, 0, False, False
    prev = None  # (start, cells, index in out) of the last row read, for a continuation line
    while i < len(lines):
        start, line = lines[i]
        i += 1
        if not line.strip():
            continue
        cells = _cells(line)
        if cells is not None and SEP_ROW.match(line):
            continue
        if cells is not None:
            head = _roles(cells)
            if head:
                roles, split, ncols = head, "pipe", len(cells)
                closed = line.rstrip().endswith("|")
                numbered = 0 not in head and bool(re.search(r"序号|编号", cells[0]))
                prev = None
                continue
            if roles is None or split != "pipe":
                roles = None
                continue
            # A row broken by line wraps: the following lines continue it until it has all its cells
            # (a cell broken mid-word joins without a gap: 「县统」+「计局」).
            row, end = line.strip(), start + len(line)
            while i < len(lines):
                n_now = len([c for c in row.strip("|").split("|")])
                complete = n_now >= ncols and (not closed or row.endswith("|"))
                nstart, nxt = lines[i]
                ns = nxt.strip()
                if not ns:
                    break
                if complete:
                    # a lone tail line after a full row (「动」): the last cell wrapped past the row's end
                    if _cells(nxt) is None and not _roles(nxt.split()) and len(ns) <= 12 \
                            and not re.search(r"[。：:；;！？]", ns) \
                            and not ROW_START.match(ns) \
                            and not _is_heading_line(ns):
                        row = _append_tail(row, ns)
                        end = nstart + len(nxt)
                        i += 1
                    break
                if numbered and ROW_START.match(ns):
                    break  # the next row
                row = row + ns if not row.endswith("|") or ns.startswith("|") else row + ns
                end = nstart + len(nxt)
                i += 1
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            # A numbered table's line without its number continues the row above cell by cell (a wrapped row
            # of a column table: 「|  | 设施建设 |  | 县财政局 |  |」)
            if numbered and prev is not None and not cells[0] and len(cells) == len(prev[1]):
                pstart, pcells, pidx = prev
                cells = [a + b for a, b in zip(pcells, cells)]
                r = _row(text, pstart, text[pstart:end], cells, roles, first_is_lead)
                if r is not None:
                    if pidx is not None:
                        out[pidx] = r
                    else:
                        out.append(r)
                    prev = (pstart, cells, pidx if pidx is not None else len(out) - 1)
                continue
            r = _row(text, start, text[start:end], cells, roles, first_is_lead)
            if r is not None:
                out.append(r)
            prev = (start, cells, len(out) - 1 if r is not None else None)
            continue
        words = line.split()
        if roles is not None and split == "space" and len(words) == ncols:
            r = _row(text, start, line, words, roles, first_is_lead)
            if r is not None:
                out.append(r)
            continue
        if len(words) >= 3 and _roles(words):
            roles, split, ncols = _roles(words), "space", len(words)
            continue
        # A table flattened to one cell per line: a run of header cells, one per line.
        flat = _flat_header(lines, i - 1)
        if flat:
            hroles, hn, ni = flat
            i = ni
            i = _flat_rows(text, lines, i, hroles, hn, first_is_lead, out)
            roles = None
            continue
        roles = None
    return out


def _is_heading_line(s: str) -> bool:
    return bool(re.match(r"(?:附件|第[一二三四五六七八九十\d]+[章条节部]|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])", s))


def _append_tail(row: str, tail: str) -> str:
    """「| 3 | 开展活 | 团县委 | 每年 |」 + 「动」: which cell wrapped cannot be told from the text, so the tail
    joins the longest cell (the one most likely to wrap)."""
    cells = row.strip().strip("|").split("|")
    k = max(range(len(cells)), key=lambda c: len(cells[c].strip()))
    cells[k] = cells[k].rstrip() + tail + " "
    return "|" + "|".join(cells) + "|"


def _flat_header(lines, i):
    """Header cells one per line from line i: (roles, number of columns, index after the header) or None."""
    heads = []
    j = i
    while j < len(lines) and len(heads) < 8:
        s = re.sub(r"\s", "", lines[j][1])
        if not s or len(s) > 8 or not (re.fullmatch(r"序号|编号|备注", s) or _col_role(s)):
            break
        heads.append(s)
        j += 1
    if len(heads) < 3:
        return None
    roles = _roles(heads)
    return (roles, len(heads), j) if roles else None


def _flat_rows(text, lines, i, roles, ncols, first_is_lead, out):
    """Rows of a flattened table: each opens with its sequence number when the header has 序号, else every
    ncols lines. Returns the index of the first line after the table."""
    numbered = 0 not in roles
    seq = 1
    while i < len(lines):
        start, line = lines[i]
        s = line.strip()
        if numbered:
            if not re.fullmatch(rf"{seq}[.、．]?", s):
                break
            j = i + 1
            while j < len(lines) and not re.fullmatch(rf"{seq + 1}[.、．]?", lines[j][1].strip()) \
                    and j - i < ncols + 2 and lines[j][1].strip() and not _is_heading_line(lines[j][1].strip()):
                j += 1
            group = [lines[k][1].strip() for k in range(i, j)]
        else:
            j = min(len(lines), i + ncols)
            group = [lines[k][1].strip() for k in range(i, j)]
            if len(group) < ncols or any(not g for g in group):
                break
        cells = _fit(group, roles, ncols)
        end = lines[j - 1][0] + len(lines[j - 1][1])
        r = _row(text, start, text[start:end], cells, roles, first_is_lead)
        if r is None:
            break
        out.append(r)
        i, seq = j, seq + 1
    return i


def _fit(group: list[str], roles: dict[int, str], ncols: int) -> list[str]:
    """Cells of a flattened row to its columns; with cells missing (an empty cell leaves no line), a
    deadline-like cell goes to the deadline column and the rest fill the others in order."""
    from .responsibility import is_unit
    from .tasks import deadline_of  # noqa: PLC0415  (tasks imports nothing from here)

    group = list(group)
    # more lines than columns: a cell broken over lines (「县财政局、县统」 / 「计局」, 「…、」 / 「县妇联」) is joined
    k = next((c for c, r in roles.items() if r == "task"), 0) + 1  # the cells after the task cell
    while len(group) > ncols and k < len(group) - 1:
        left, right = group[k], group[k + 1]
        tail = re.split(r"[、，,]", left)[-1]
        if left.endswith(("、", "，", ",")) or right.startswith(("、", "，", ",")) or (tail and not is_unit(tail)
                                                                                    and not deadline_of(left)):
            group[k:k + 2] = [left + right]
        else:
            k += 1
    if len(group) == ncols:
        return group

    cells = [""] * ncols
    cells[0] = group[0]
    rest = group[1:]
    dl_col = next((c for c, r in roles.items() if r == "deadline"), None)
    if dl_col is not None and rest and deadline_of(rest[-1]):
        cells[dl_col] = rest.pop()
    free = [c for c in range(1, ncols) if c != dl_col]
    for c, v in zip(free, rest):
        cells[c] = v
    return cells


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
