"""Expected answer slots (kb/data/answer_slots.json): a question that asks for a price, an opening hour,
a phone number, an application procedure or a list of named sites is only answered by a sentence that
states one. Planning documents set tasks and targets; they rarely state these, so a retrieved passage on
the right topic is still not an answer."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SLOTS_FILE = Path(__file__).resolve().parent.parent / "data" / "answer_slots.json"


@dataclass(frozen=True)
class Slot:
    name: str
    label: str
    ask: re.Pattern
    fill: re.Pattern
    message: str = ""  # the decline, when 「现有政策文件中未找到<label>」 does not fit


@lru_cache(maxsize=1)
def slots() -> tuple[Slot, ...]:
    data = json.loads(SLOTS_FILE.read_text(encoding="utf-8"))
    return tuple(Slot(s["name"], s["label"], re.compile(s["ask"]), re.compile(s["fill"]), s.get("message", ""))
                 for s in data["slots"])


def asked(question: str) -> list[Slot]:
    return [s for s in slots() if s.ask.search(question)]


def unfilled(question: str, quoted: list[str]) -> list[Slot]:
    """The slots the question asks for that none of the quoted sentences fills."""
    return [s for s in asked(question) if not any(s.fill.search(q) for q in quoted)]
