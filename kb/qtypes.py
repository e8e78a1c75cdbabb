"""The question-type table, kb/data/question_types.json: each type's cue patterns (tried in order), its
follow-up form, the comparison cues and how a multi-part question is split. Read by kb/query.py (typing,
follow-ups) and kb/answer/registry.py (the answer pipeline's types)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

FILE = Path(__file__).resolve().parent / "data" / "question_types.json"


@lru_cache(maxsize=1)
def type_table() -> dict:
    return json.loads(FILE.read_text(encoding="utf-8"))
