"""Metadata accuracy on the format zoo: kb.metadata.infer against the "doc" block of each key.

    python -m eval.zoo_meta [--zoo tests/data/zoo] [--json]

Prints per field the share of documents exactly right, and every miss. `score(files)` is the function
eval/zoo.py can call for the metadata part of the outline measure.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kb.ingest import read_text
from kb.metadata import FIELDS, infer

ZOO = Path(__file__).resolve().parent.parent / "tests" / "data" / "zoo"


def zoo_files(folder: Path) -> list[tuple[Path, Path]]:
    """(document, key) pairs: every NAME.key.json with its NAME.<ext> beside it."""
    pairs = []
    for key in sorted(folder.glob("*.key.json")):
        stem = key.name[: -len(".key.json")]
        docs = [p for p in folder.glob(stem + ".*") if p != key and not p.name.endswith(".json")]
        if docs:
            pairs.append((docs[0], key))
    return pairs


def score(pairs: list[tuple[Path, Path]]) -> dict:
    per_field = {f: [0, 0] for f in FIELDS}
    misses, docs = [], []
    for doc, key in pairs:
        want = json.loads(key.read_text(encoding="utf-8")).get("doc", {})
        got = infer(read_text(doc), doc.name)
        right = {}
        for f in FIELDS:
            if f not in want:
                continue
            ok = got.get(f, "") == want[f]
            per_field[f][0] += ok
            per_field[f][1] += 1
            right[f] = ok
            if not ok:
                misses.append({"file": doc.name, "field": f, "want": want[f], "got": got.get(f, "")})
        docs.append({"file": doc.name, "right": sum(right.values()), "of": len(right)})
    total = [sum(v[0] for v in per_field.values()), sum(v[1] for v in per_field.values())]
    return {"fields": {f: {"right": r, "of": n, "accuracy": r / n if n else None} for f, (r, n) in per_field.items()},
            "overall": {"right": total[0], "of": total[1], "accuracy": total[0] / total[1] if total[1] else None},
            "documents": docs, "misses": misses}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", default=str(ZOO))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    folder = Path(args.zoo)
    result = score(zoo_files(folder))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"{len(result['documents'])} documents in {folder}")
    for f, v in result["fields"].items():
        if v["of"]:
            print(f"  {f:<11} {v['right']}/{v['of']}  {v['accuracy']:.0%}")
    o = result["overall"]
    print(f"  {'all fields':<11} {o['right']}/{o['of']}  {o['accuracy']:.0%}" if o["of"] else "  no keys")
    for m in result["misses"]:
        print(f"  miss {m['file']} {m['field']}: want {m['want']!r} got {m['got']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
