"""Sections -> passages: split inside each task, never across two tasks.

A task is the text of a section up to its first sub-heading, cut again after each responsibility
clause (a clause closes the task before it). Long tasks are split with langchain's recursive
splitter on Chinese sentence and clause punctuation.
"""
from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .structure import section_paths
from .types import DocMeta, Passage, Responsibility, Section

SEPARATORS = ["\n", "。", "！", "？", "；", ";", "，", ",", "、", ""]
MIN_BODY = 8  # a segment with no more than its heading and a few characters is not a passage


def splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, separators=SEPARATORS,
        keep_separator="end", strip_whitespace=True, length_function=len,
    )


def task_segments(root: Section, clauses: list[Responsibility]) -> list[tuple[list[str], int, int, Responsibility | None]]:
    """(section path, start, end, closing clause) for every task-sized piece of the document."""
    out = []
    for path, node in section_paths(root):
        own_end = node.children[0].start if node.children else node.end
        start = node.start
        inside = [c for c in clauses if start <= c.start < own_end]
        for clause in inside:
            out.append((path, start, clause.end, clause))
            start = clause.end
        if own_end > start:
            out.append((path, start, own_end, None))
    return out


def chunk_document(meta: DocMeta, text: str, root: Section, clauses: list[Responsibility],
                   size: int, overlap: int) -> list[Passage]:
    split = splitter(size, overlap)
    passages: list[Passage] = []
    for t, (path, s, e, clause) in enumerate(task_segments(root, clauses)):
        seg = text[s:e]
        heading = path[-1] if path else ""
        body = seg[len(heading):] if heading and seg.startswith(heading) else seg
        if len(body.strip(" \n。")) < MIN_BODY:
            continue
        pos = 0
        for piece in split.split_text(seg):
            at = seg.find(piece, pos)
            if at < 0:  # the splitter only strips whitespace, so this should not happen; be safe
                at = seg.find(piece)
            pos = at + 1
            passages.append(Passage(
                pid=f"{meta.doc_id}:{len(passages):04d}",
                doc_id=meta.doc_id, title=meta.title, section_path=list(path),
                text=piece, start=s + at, end=s + at + len(piece),
                region=meta.region, level=meta.level,
                lead_units=list(clause.lead) if clause else [],
                partner_units=list(clause.partners) if clause else [],
                responsibility=clause.text if clause else "",
                task_id=f"{meta.doc_id}:t{t:03d}",
            ))
    return passages
