"""Score `kb outline` against the format zoo's answer keys (tests/data/zoo/NAME.key.json).

    python -m eval.zoo --dir tests/data/zoo [--json] [--only NAME ...]

Per document and overall:
- headings: key sections found in order with the same number and heading (NFKC, whitespace removed)
  and the same relative depth; accuracy = matched / key sections (extra outline sections are counted
  apart as `extra_sections`).
- tasks: a key task is found when an outline task's heading (or text) starts with the key heading
  (or the other way round); `tasks_right` when lead and partners are exactly right (as sets) and
  the deadline equals the key's; lead/partners/deadline are also counted separately.
- targets: a key target is found when an outline target has the same value and unit (and, when the
  key states one, the same deadline year) and its indicator shares most characters with the key's.
- metadata: each of title, issuer, region, level, date, doc_number equal to the key.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

DOC_FIELDS = ("title", "issuer", "region", "level", "date", "doc_number")
EXTS = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


def norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def _chars_overlap(a: str, b: str) -> float:
    a, b = norm(a), norm(b)
    if not a or not b:
        return 0.0
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio()


def score_sections(key: list[dict], got: list[dict]) -> dict:
    """Greedy in-order matching; depth checked relative to the document's outermost level."""
    kmin = min((k["depth"] for k in key), default=1)
    gmin = min((g["level"] for g in got), default=1)
    j, found, depth_ok, missing = 0, 0, 0, []
    for k in key:
        for jj in range(j, len(got)):
            g = got[jj]
            if norm(g["number"]) == norm(k["number"]) and norm(g["heading"]) == norm(k["heading"]):
                found += 1
                depth_ok += int(g["level"] - gmin == k["depth"] - kmin)
                j = jj + 1
                break
        else:
            missing.append(f"{k['number']}{k['heading']}")
    return {"key": len(key), "found": found, "right": depth_ok, "extra": max(0, len(got) - found), "missing": missing}


def _task_match(k: dict, t: dict) -> bool:
    kh = norm(k["heading"])
    if not kh:
        return False
    for h in (norm(t["heading"]), norm(re.sub(r"^\S{0,8}?[、.．）)]", "", t.get("text", "")))):
        if h and (h.startswith(kh) or (len(h) >= 6 and kh.startswith(h))):
            return True
    return norm(t.get("text", "")).find(kh) == 0


def score_tasks(key: list[dict], got: list[dict]) -> dict:
    used: set[int] = set()
    out = {"key": len(key), "found": 0, "right": 0, "lead": 0, "partners": 0, "deadline": 0, "extra": 0, "wrong": []}
    for k in key:
        i = next((i for i, t in enumerate(got) if i not in used and _task_match(k, t)), None)
        if i is None:
            out["wrong"].append({"heading": k["heading"], "problem": "not found"})
            continue
        used.add(i)
        t = got[i]
        out["found"] += 1
        lead_ok = set(map(norm, t["lead"])) == set(map(norm, k["lead"]))
        part_ok = set(map(norm, t["partners"])) == set(map(norm, k["partners"]))
        dl_ok = norm(t["deadline"]) == norm(k.get("deadline", ""))
        out["lead"] += lead_ok
        out["partners"] += part_ok
        out["deadline"] += dl_ok
        if lead_ok and part_ok and dl_ok:
            out["right"] += 1
        else:
            out["wrong"].append({"heading": k["heading"],
                                 "lead": [t["lead"], k["lead"]] if not lead_ok else None,
                                 "partners": [t["partners"], k["partners"]] if not part_ok else None,
                                 "deadline": [t["deadline"], k.get("deadline", "")] if not dl_ok else None})
    out["extra"] = len(got) - len(used)
    return out


def _year(s: str) -> str:
    m = re.search(r"20\d\d", s or "")
    return m.group(0) if m else ""


def score_targets(key: list[dict], got: list[dict]) -> dict:
    used: set[int] = set()
    found, missing = 0, []
    for k in key:
        best, score = None, 0.0
        for i, t in enumerate(got):
            if i in used or norm(t["value"]) != norm(k["value"]) or norm(t["unit"]) != norm(k["unit"]):
                continue
            if _year(k.get("deadline", "")) and _year(t.get("deadline", "")) != _year(k["deadline"]):
                continue
            s = _chars_overlap(k["indicator"], t["indicator"])
            if s > score:
                best, score = i, s
        if best is not None and score >= 0.4:
            used.add(best)
            found += 1
        else:
            missing.append(f"{k['indicator']} {k['value']}{k['unit']}")
    return {"key": len(key), "found": found, "extra": len(got) - len(used), "missing": missing}


def score_doc(key: dict, got: dict) -> dict:
    meta = {f: norm(got["doc"].get(f, "")) == norm(key["doc"].get(f, "")) for f in DOC_FIELDS}
    return {"sections": score_sections(key.get("sections", []), got["sections"]),
            "tasks": score_tasks(key.get("tasks", []), got["tasks"]),
            "targets": score_targets(key.get("targets", []), got["targets"]),
            "metadata": {"right": sum(meta.values()), "key": len(meta),
                         "wrong": {f: [got["doc"].get(f, ""), key["doc"].get(f, "")] for f, ok in meta.items() if not ok}}}


def documents(folder: Path, only: list[str] | None = None) -> list[tuple[Path, Path]]:
    out = []
    for key in sorted(folder.glob("*.key.json")):
        name = key.name[: -len(".key.json")]
        if only and name not in only:
            continue
        doc = next((folder / f"{name}{e}" for e in EXTS if (folder / f"{name}{e}").is_file()), None)
        if doc is not None:
            out.append((doc, key))
    return out


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def run(folder: Path, only: list[str] | None = None) -> dict:
    from kb.outline import outline

    per, tot = {}, {"sections_key": 0, "sections_right": 0, "tasks_key": 0, "tasks_found": 0, "tasks_right": 0,
                    "lead": 0, "partners": 0, "deadline": 0, "targets_key": 0, "targets_found": 0,
                    "meta_key": 0, "meta_right": 0}
    for doc, keyf in documents(folder, only):
        key = json.loads(keyf.read_text(encoding="utf-8"))
        try:
            got = outline(doc)
        except Exception as exc:  # a document the parser cannot read scores zero, and says why
            got = {"doc": {}, "sections": [], "tasks": [], "targets": [], "error": str(exc)}
        s = score_doc(key, got)
        if "error" in got:
            s["error"] = got["error"]
        per[doc.name] = s
        tot["sections_key"] += s["sections"]["key"]
        tot["sections_right"] += s["sections"]["right"]
        for f in ("found", "right", "lead", "partners", "deadline"):
            tot[{"found": "tasks_found", "right": "tasks_right"}.get(f, f)] += s["tasks"][f]
        tot["tasks_key"] += s["tasks"]["key"]
        tot["targets_key"] += s["targets"]["key"]
        tot["targets_found"] += s["targets"]["found"]
        tot["meta_key"] += s["metadata"]["key"]
        tot["meta_right"] += s["metadata"]["right"]
    overall = {
        "documents": len(per),
        "heading_accuracy": _rate(tot["sections_right"], tot["sections_key"]),
        "tasks_found": _rate(tot["tasks_found"], tot["tasks_key"]),
        "tasks_fully_right": _rate(tot["tasks_right"], tot["tasks_key"]),
        "lead_right": _rate(tot["lead"], tot["tasks_key"]),
        "partners_right": _rate(tot["partners"], tot["tasks_key"]),
        "deadline_right": _rate(tot["deadline"], tot["tasks_key"]),
        "targets_found": _rate(tot["targets_found"], tot["targets_key"]),
        "metadata_right": _rate(tot["meta_right"], tot["meta_key"]),
        "counts": tot,
    }
    return {"overall": overall, "documents": per}


def _line(name: str, s: dict) -> str:
    sec, t, tg, m = s["sections"], s["tasks"], s["targets"], s["metadata"]
    return (f"{name:38s} headings {sec['right']:>3}/{sec['key']:<3} tasks found {t['found']:>2}/{t['key']:<2} "
            f"right {t['right']:>2}/{t['key']:<2} targets {tg['found']:>2}/{tg['key']:<2} meta {m['right']}/{m['key']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.zoo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="tests/data/zoo")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", nargs="*", help="document names (without extension)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list what is missing or wrong")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"error: no folder {folder}", file=sys.stderr)
        return 1
    res = run(folder, args.only)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    for name, s in res["documents"].items():
        print(_line(name, s))
        if args.verbose:
            if s.get("error"):
                print("   error:", s["error"])
            for x in s["sections"]["missing"]:
                print("   heading missing:", x)
            for w in s["tasks"]["wrong"]:
                print("   task:", json.dumps({k: v for k, v in w.items() if v is not None}, ensure_ascii=False))
            for x in s["targets"]["missing"]:
                print("   target missing:", x)
            for f, (g, k) in s["metadata"]["wrong"].items():
                print(f"   meta {f}: got {g!r}, key {k!r}")
    o = res["overall"]
    print("overall: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in o.items() if k != "counts"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
