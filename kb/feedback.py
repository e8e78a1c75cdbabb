"""Feedback on answers (👍/👎): one JSON object per line in ``<data_dir>/feedback.jsonl``.

Each record holds the time (UTC, ISO 8601), the rating, the question, the earlier questions of
the conversation, the answer text and its citations (document, section, offsets, passage text),
so a reviewer can see exactly what was rated without the index at hand.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

from .types import Answer

FILE_NAME = "feedback.jsonl"
_lock = threading.Lock()  # threads of one app process


@contextlib.contextmanager
def _file_lock(path: Path, exclusive: bool):
    """Processes too: two app instances (or a script) over one data folder append whole lines, never interleaved,
    and an export never copies a half-written line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def citation_record(c) -> dict:
    p = c.passage
    return {"n": c.n, "doc_id": p.doc_id, "title": p.title, "section": p.section,
            "start": p.start, "end": p.end, "text": p.text}


def answer_record(answer: Answer, history: list[str] | None = None) -> dict:
    """What is kept of an answer so that it can be rated later (also the chat's per-turn state)."""
    return {
        "question": answer.question,
        "history": list(history or []),
        "answer": answer.text,
        "abstained": bool(answer.abstained),
        "qtype": answer.qtype,
        "citations": [citation_record(c) for c in answer.citations],
    }


class FeedbackLog:
    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / FILE_NAME

    def record(self, rating: str, turn: dict, note: str = "") -> dict:
        """Append one rating ("up" or "down") of a turn (see ``answer_record``); returns the record."""
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        rec = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rating": rating,
            "question": turn.get("question", ""),
            "history": turn.get("history", []),
            "answer": turn.get("answer", ""),
            "abstained": turn.get("abstained", False),
            "citations": turn.get("citations", []),
        }
        if note:
            rec["note"] = note
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with _lock, _file_lock(self.path, exclusive=True):
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        return rec

    def records(self) -> list[dict]:
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a torn last line (killed mid-write) is skipped, not fatal
        return out

    def export(self) -> Path:
        """A snapshot copy of the log for download (empty when nothing was rated yet); overwritten each time."""
        out_dir = self.data_dir / "exports"
        out_dir.mkdir(parents=True, exist_ok=True)
        dest = out_dir / "feedback-export.jsonl"
        with _lock, _file_lock(self.path, exclusive=False):
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            if self.path.is_file():
                shutil.copyfile(self.path, tmp)
            else:
                tmp.write_text("", encoding="utf-8")
            os.replace(tmp, dest)
        return dest
