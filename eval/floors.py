"""Quality floors: a JSON file (eval/floors.json) and/or flags; a failed floor makes the run exit 1.

Retrieval floors apply to one retriever (default hybrid, the one the app and `ask` use). A floor
whose metric was not measured (e.g. an answer floor with --no-ask) fails too: a floor you set
should never pass silently.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Floor:
    section: str  # retrieval | answers
    metric: str
    kind: str  # min | max
    help: str


FLOORS = {
    "min_recall5": Floor("retrieval", "recall@5", "min", "lowest acceptable recall@5"),
    "min_recall10": Floor("retrieval", "recall@10", "min", "lowest acceptable recall@10"),
    "min_mrr": Floor("retrieval", "mrr", "min", "lowest acceptable MRR"),
    "min_ndcg": Floor("retrieval", "ndcg@10", "min", "lowest acceptable nDCG@10"),
    "min_resp_acc": Floor("answers", "responsibility_accuracy", "min", "lowest responsibility answer accuracy"),
    "min_target_acc": Floor("answers", "target_accuracy", "min", "lowest target answer accuracy"),
    "min_abstain": Floor("answers", "abstention", "min", "lowest abstention rate on unanswerable questions"),
    "max_false_abstain": Floor("answers", "false_abstention", "max", "highest false-abstention rate on answerable ones"),
}
DEFAULT_RETRIEVER = "hybrid"


class FloorError(ValueError):
    pass


@dataclass
class Floors:
    retriever: str = DEFAULT_RETRIEVER
    values: dict = field(default_factory=dict)


def load_floors(path: str | Path | None, flags: dict, retriever: str | None = None) -> Floors:
    """Floors from the file, overridden by the flags that were given (None = not given)."""
    values, file_retriever = {}, None
    if path:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FloorError(f"cannot read floors file {path}: {exc}") from None
        if not isinstance(data, dict):
            raise FloorError(f"{path}: expected a JSON object of floors")
        for key, v in data.items():
            name = key.replace("-", "_")
            if name == "retriever":
                file_retriever = v
            elif name.startswith("_"):  # "_comment" and the like
                continue
            elif name not in FLOORS:
                raise FloorError(f"{path}: unknown floor {key!r}; known: {', '.join(FLOORS)}")
            elif not isinstance(v, (int, float)) or isinstance(v, bool):
                raise FloorError(f"{path}: floor {key!r} must be a number, got {v!r}")
            else:
                values[name] = float(v)
    values.update({k: float(v) for k, v in flags.items() if v is not None})
    for k, v in values.items():
        if not 0.0 <= v <= 1.0:
            raise FloorError(f"floor {k} = {v} is outside 0..1")
    return Floors(retriever or file_retriever or DEFAULT_RETRIEVER, values)


def measured(result: dict, name: str, retriever: str) -> float | None:
    f = FLOORS[name]
    if f.section == "retrieval":
        r = (result.get("retrieval") or {}).get(retriever)
        return r["overall"].get(f.metric) if r and r["overall"]["n"] else None
    a = result.get("answers")
    return a[f.metric]["value"] if a else None


def check_floors(result: dict, floors: Floors) -> list[str]:
    """One message per failed floor, naming the metric, its value, the floor and the flag."""
    failed = []
    for name, limit in floors.values.items():
        f = FLOORS[name]
        what = f"{f.metric} ({floors.retriever})" if f.section == "retrieval" else f.metric
        flag = "--" + name.replace("_", "-")
        value = measured(result, name, floors.retriever)
        if value is None:
            failed.append(f"{what} was not measured, but {flag} {limit:g} is set")
        elif (f.kind == "min" and value < limit) or (f.kind == "max" and value > limit):
            sign = "<" if f.kind == "min" else ">"
            failed.append(f"{what} {value:.3f} {sign} {f.kind} {limit:g} ({flag})")
    return failed
