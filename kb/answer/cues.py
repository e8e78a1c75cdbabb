"""The answer layer's patterns, read once from kb/data/answer_cues.json (each with its provenance)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads((DATA / "answer_cues.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def rx(name: str, key: str = "pattern") -> re.Pattern:
    return re.compile(table()[name][key])


@lru_cache(maxsize=1)
def unit_asked() -> list[tuple[re.Pattern, tuple[str, ...]]]:
    return [(re.compile(p), tuple(u)) for p, u in table()["unit_asked"]["rules"]]
