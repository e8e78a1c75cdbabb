"""Query understanding: everyday words -> policy terms (shared by both retrievers).

The synonym list is a plain editable file, kb/data/synonyms.txt (or KB_SYNONYMS=path).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=4)
def load_synonyms(path: str | None = None) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    path = path or os.environ.get("KB_SYNONYMS") or str(DATA / "synonyms.txt")
    rules = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        words = tuple(w.strip() for w in left.replace("，", ",").split(",") if w.strip())
        terms = tuple(w.strip() for w in right.replace("，", ",").split(",") if w.strip())
        if words and terms:
            rules.append((words, terms))
    return tuple(rules)


def expansions(question: str) -> list[str]:
    """Policy terms for the everyday words in the question that the question does not already use."""
    out: list[str] = []
    for words, terms in load_synonyms():
        if any(w in question for w in words):
            out += [t for t in terms if t not in question and t not in out]
    return out


def expand(question: str) -> str:
    """The question with its policy-term expansions appended (what the retrievers search for)."""
    extra = expansions(question)
    return question + (" " + " ".join(extra) if extra else "")
