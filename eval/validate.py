"""Load a question file and check it against the indexed documents; fail loudly on a wrong string.

    python -m eval.validate [eval/questions.jsonl]

Exit 0 when the file is valid, 2 when not (each problem on its own line, naming the question id and
the string). Matching ignores whitespace, like the hit rule (see eval/metrics.py).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


from eval.metrics import Gold, contains, find_all, locate, norm

TYPES = ("responsibility", "target", "measures", "definition", "paraphrase", "comparison", "unanswerable",
         # question shapes added for the blind set (issue 8): several questions in one, two named documents,
         # all tasks of one unit, what is due by a date, the document itself (issuer, 文号, date)
         "multipart", "crossdoc", "unit", "deadline", "document")
PERSONAS = ("resident", "newcomer", "official")
EVIDENCE_CHARS = (15, 80)
LIST_FIELDS = ("docs", "evidence", "answer")


class InvalidQuestions(Exception):
    def __init__(self, errors: list[str], warnings: list[str] | None = None):
        super().__init__("\n".join(errors))
        self.errors = errors
        self.warnings = warnings or []


def load(path: str | Path) -> list[dict]:
    """Parse JSON lines. Rows without an id get `line<N>`; every row gets `_line` for messages."""
    path = Path(path)
    if not path.is_file():
        raise InvalidQuestions([f"{path}: no such question file"])
    rows, errors = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{n}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(row, dict):
            errors.append(f"{path}:{n}: expected a JSON object, got {type(row).__name__}")
            continue
        row.setdefault("id", f"line{n}")
        row["id"] = str(row["id"])
        row["_line"] = n
        rows.append(row)
    if errors:
        raise InvalidQuestions(errors)
    if not rows:
        raise InvalidQuestions([f"{path}: no questions"])
    return rows


def check(rows: list[dict], doc_texts: dict[str, str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the rows against the cleaned document texts {doc_id: text}."""
    errors: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for r in rows:
        qid, where = r["id"], f"{r['id']} (line {r.get('_line', '?')})"
        if qid in seen:
            errors.append(f"{where}: duplicate id, first used on line {seen[qid]}")
        seen.setdefault(qid, r.get("_line", 0))
        if not isinstance(r.get("question"), str) or not r["question"].strip():
            errors.append(f"{where}: missing or empty \"question\"")
        typ = r.get("type")
        if typ is not None and typ not in TYPES:
            errors.append(f"{where}: unknown type {typ!r}; types: {', '.join(TYPES)}")
        persona = r.get("persona")
        if persona is not None and persona not in PERSONAS:
            errors.append(f"{where}: unknown persona {persona!r}; personas: {', '.join(PERSONAS)}")
        bad_field = False
        for key in LIST_FIELDS:
            v = r.get(key, [])
            if not isinstance(v, list) or not all(isinstance(s, str) and s.strip() for s in v):
                errors.append(f"{where}: \"{key}\" must be a list of non-empty strings")
                bad_field = True
        if bad_field:
            continue
        docs, evidence, answers = r.get("docs", []), r.get("evidence", []), r.get("answer", [])
        if typ == "unanswerable":
            if evidence or answers:
                errors.append(f"{where}: an unanswerable question has empty evidence and answer")
            continue
        if not evidence and not answers:
            errors.append(f"{where}: give \"evidence\" or \"answer\" (or type \"unanswerable\")")
            continue
        unknown = [d for d in docs if d not in doc_texts]
        if unknown:
            errors.append(f"{where}: unknown document(s) {', '.join(unknown)}; documents: {', '.join(sorted(doc_texts))}")
            continue
        scope = {d: doc_texts[d] for d in docs} if docs else doc_texts
        scope_name = ", ".join(docs) if docs else "any indexed document"
        found_in: set[str] = set()
        missing = False
        for ev in evidence:
            n = len(norm(ev))
            if not EVIDENCE_CHARS[0] <= n <= EVIDENCE_CHARS[1]:
                warnings.append(f"{where}: evidence \"{ev}\" has {n} characters (gold spans have "
                                f"{EVIDENCE_CHARS[0]}–{EVIDENCE_CHARS[1]})")
            hits = [d for d, text in scope.items() if find_all(text, ev)]
            if not hits:
                errors.append(f"{where}: evidence \"{ev}\" does not occur in {scope_name}")
                missing = True
            found_in.update(hits)
        for d in docs:
            if evidence and not missing and d not in found_in:
                warnings.append(f"{where}: no evidence span of this question occurs in {d}")
        for a in answers:
            if evidence:
                if not any(contains(ev, a) for ev in evidence):
                    what = "the evidence clause" if typ == "responsibility" else "any of its evidence spans"
                    errors.append(f"{where}: answer \"{a}\" is not in {what}")
            elif not any(contains(text, a) for text in scope.values()):
                errors.append(f"{where}: answer \"{a}\" does not occur in {scope_name}")
    return errors, warnings


def gold_of(row: dict, doc_texts: dict[str, str]) -> Gold:
    docs = tuple(row.get("docs", []))
    evidence = list(row.get("evidence", []))
    scope = {d: doc_texts[d] for d in docs if d in doc_texts} if docs else doc_texts
    return Gold(evidence=tuple(evidence), located=locate(evidence, scope),
                answers=tuple(row.get("answer", [])), docs=docs)


def load_checked(path: str | Path, doc_texts: dict[str, str], out=None) -> list[dict]:
    """Load and check; print warnings; raise InvalidQuestions listing every error."""
    out = out or sys.stderr
    rows = load(path)
    errors, warnings = check(rows, doc_texts)
    for w in warnings:
        print(f"warning: {w}", file=out)
    if errors:
        raise InvalidQuestions(errors, warnings)
    return rows


def fail(exc: InvalidQuestions, path, out=None) -> int:
    out = out or sys.stderr
    print(f"{path}: {len(exc.errors)} problem(s):", file=out)
    for e in exc.errors:
        print(f"  error: {e}", file=out)
    return 2


def engine_texts(eng) -> dict[str, str]:
    return {m.doc_id: eng.doc_text(m.doc_id) for m in eng.documents}


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m eval.validate", description=__doc__.split("\n")[0])
    ap.add_argument("questions", nargs="?", default=str(Path(__file__).resolve().parent / "questions.jsonl"))
    args = ap.parse_args(argv)
    from kb.engine import Engine

    try:
        rows = load_checked(args.questions, engine_texts(Engine.open()))
    except InvalidQuestions as exc:
        return fail(exc, args.questions)
    print(f"{args.questions}: {len(rows)} questions, all evidence and answer strings found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
