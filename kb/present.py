"""How an answer is handed out: the one JSON object of `python -m kb ask --json` and of the app's
`/ask` API, and the answer's lines with each cited document's place named (for the views).

No gradio, no engine: the CLI, the app, the API and the .docx export all build from here, so what a
program reads and what an official sees are the same answer.
"""
from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d+)\]")


def hit_json(hit) -> dict:
    p = hit.passage
    return {"rank": hit.rank, "doc_id": p.doc_id, "title": p.title, "section": p.section, "text": p.text,
            "score": round(hit.score, 6), "start": p.start, "end": p.end,
            "bm25_rank": hit.bm25_rank, "dense_rank": hit.dense_rank,
            "bm25_score": None if hit.bm25_score is None else round(hit.bm25_score, 4),
            "dense_score": None if hit.dense_score is None else round(hit.dense_score, 4),
            "region": p.region, "level": p.level}


def citation_json(c) -> dict:
    p = c.passage
    return {"n": c.n, "doc_id": p.doc_id, "title": p.title, "section": p.section, "text": p.text,
            "start": p.start, "end": p.end, "region": p.region, "level": p.level,
            "highlights": [list(h) for h in (c.highlights or [])]}


def answer_json(qid, question: str, ans) -> dict:
    """The answer as a JSON-ready dict (the CLI's `ask --json` line and the app's `/ask` result)."""
    out = {
        "id": qid, "question": question, "answer": ans.text, "abstained": ans.abstained, "type": ans.qtype,
        "citations": [citation_json(c) for c in ans.citations],
        "table": ans.table,
        "related": [hit_json(h) for h in ans.related],
    }
    # what the text was rendered from (issue 8), and the abstention gate's decision with its signals
    out["statements"] = [st.to_dict() for st in ans.statements]
    out["gate"] = ans.gate
    return out


# ------------------------------------------------------------------ places in the answer's lines

def place_name(region: str) -> str:
    return (region or "").strip()


def _names_place(line: str, region: str) -> bool:
    """Does the line start by naming the place ("厦门（《…》）：…")? "仙游（莆田）" is named by 仙游 or 莆田.
    A place inside a long title further on does not count: the reader scans the starts of lines."""
    head = line.strip().lstrip("【")[:12]
    parts = [p for p in re.split(r"[（）()、,，/\s]+", region) if len(p) >= 2]
    return any(head.startswith(p) for p in parts or [region])


def labelled_lines(text: str, citations: list[dict]) -> list[str]:
    """The answer's lines; when it cites several documents, every line that cites a document whose
    place it does not name gets 「【place】」 in front (a county plan's long title does not say where it is).

    Lines indented under a line (continuations such as "  相关内容：…") follow their head line."""
    lines = (text or "").split("\n")
    by_n = {int(c["n"]): c for c in citations or []}
    docs = {c["doc_id"] for c in by_n.values()}
    if len(docs) < 2:
        return lines
    out, head_places = [], set()
    for line in lines:
        cited = [by_n[int(n)] for n in MARKER.findall(line) if int(n) in by_n]
        places = []
        for c in cited:
            place = place_name(c.get("region", "")) or c.get("title", "")
            if place and place not in places:
                places.append(place)
        indent = len(line) - len(line.lstrip())
        if indent and line.strip():
            missing = [p for p in places if p not in head_places and not _names_place(line, p)]
        else:
            missing = [p for p in places if not _names_place(line, p)]
            head_places = set(places)
        if missing and line.strip():
            line = line[:indent] + "".join(f"【{p}】" for p in missing) + line[indent:]
        out.append(line)
    return out


def labelled_text(text: str, citations: list[dict]) -> str:
    return "\n".join(labelled_lines(text, citations))
