"""The command line: build, search, ask, stats. `python -m kb --help`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from .errors import KBError, QueryError
from .settings import Settings


def hit_json(hit) -> dict:
    p = hit.passage
    return {"rank": hit.rank, "doc_id": p.doc_id, "title": p.title, "section": p.section, "text": p.text,
            "score": round(hit.score, 6), "start": p.start, "end": p.end,
            "bm25_rank": hit.bm25_rank, "dense_rank": hit.dense_rank,
            "bm25_score": None if hit.bm25_score is None else round(hit.bm25_score, 4),
            "dense_score": None if hit.dense_score is None else round(hit.dense_score, 4)}


def answer_json(qid, question: str, ans) -> dict:
    return {
        "id": qid, "question": question, "answer": ans.text, "abstained": ans.abstained, "type": ans.qtype,
        "citations": [{"n": c.n, "doc_id": c.passage.doc_id, "title": c.passage.title, "section": c.passage.section,
                       "text": c.passage.text, "start": c.passage.start, "end": c.passage.end} for c in ans.citations],
        "table": ans.table,
        "related": [hit_json(h) for h in ans.related],
        # added with the answer pipeline (issue 8): what the text was rendered from, and the gate's decision
        "statements": [st.to_dict() for st in getattr(ans, "statements", [])],
        "gate": getattr(ans, "gate", {}),
    }


def read_batch(path: str) -> list[tuple[object, str]]:
    """One JSON object per line with "question" (and usually "id"); blank lines are skipped."""
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise QueryError(f"cannot read the batch file {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            question = obj["question"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise QueryError(f"{path} line {n}: expected a JSON object with a \"question\" ({exc})") from exc
        items.append((obj.get("id", n), question))
    return items


class _Progress:
    """Adapts the engine's progress(fraction, desc) callback to a tqdm bar."""

    def __init__(self):
        self.bar = None  # created on the first report, so loading a ready index prints nothing

    def __call__(self, frac: float, desc: str):
        if self.bar is None:
            self.bar = tqdm(total=100, desc=desc, unit="%", file=sys.stderr)
        self.bar.set_description(desc)
        self.bar.update(int(frac * 100) - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def open_engine(args, rebuild: bool = False):
    from .engine import Engine

    progress = _Progress()
    try:
        return Engine.open(Settings.load(), progress=progress, rebuild=rebuild)
    finally:
        progress.close()


def cmd_build(args) -> int:
    eng = open_engine(args, rebuild=args.rebuild)
    s = eng.stats()
    print(f"index ready: {s['documents']} documents, {s['passages']} passages, model {s['model']}, {s['index_folder']}")
    for w in eng.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _filters(args) -> dict:
    return {"doc": args.doc, "region": args.region, "level": args.level}


def _each_question(args, desc: str, run, to_json, show, error_fields: dict) -> int:
    """One question or a --batch file: a bad question in a batch gets an "error" line, the rest go on."""
    if not args.batch and args.query is None:
        raise QueryError("give a question, or --batch FILE.jsonl")
    items = read_batch(args.batch) if args.batch else [(None, args.query)]
    eng = open_engine(args)
    for qid, question in tqdm(items, desc=desc, file=sys.stderr, disable=len(items) < 2):
        try:
            result = run(eng, question)
        except QueryError as exc:
            if not args.batch:
                raise
            print(json.dumps({"id": qid, "question": question, "error": str(exc), **error_fields}, ensure_ascii=False))
            continue
        if args.json or args.batch:
            print(json.dumps(to_json(qid, question, result), ensure_ascii=False))
        else:
            show(result)
    return 0


def _show_hits(hits) -> None:
    for h in hits:
        print(f"[{h.rank}] {h.score:.4f}  {h.passage.title}  |  {h.passage.section}\n    {h.passage.text}\n")
    if not hits:
        print("no passages found")


def _show_answer(ans) -> None:
    print(ans.text)
    for c in ans.citations:
        print(f"\n[{c.n}] {c.passage.title} | {c.passage.section}\n    {c.passage.text}")
    for h in ans.related:
        print(f"\n可能相关: {h.passage.title} | {h.passage.section}\n    {h.passage.text}")


def cmd_search(args) -> int:
    return _each_question(
        args, "search",
        lambda eng, q: eng.search(q, top_k=args.top_k, mode=args.mode, **_filters(args)),
        lambda qid, q, hits: {"id": qid, "question": q, "results": [hit_json(h) for h in hits]},
        _show_hits, {"results": []})


def cmd_ask(args) -> int:
    return _each_question(args, "ask", lambda eng, q: eng.ask(q, **_filters(args)), answer_json, _show_answer, {})


def cmd_stats(args) -> int:
    eng = open_engine(args)
    s = eng.stats()
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
    else:
        print(f"documents: {s['documents']}\npassages:  {s['passages']}\nmodel:     {s['model']} (dim {s['dim']})\n"
              f"index:     {s['index_bytes'] / 1e6:.1f} MB in {s['index_folder']} (built {s['built_at']})\n"
              f"chunking:  size {s['chunk_size']}, overlap {s['chunk_overlap']}; faiss {s['faiss_index']}")
        for d in eng.documents:
            print(f"  - {d.doc_id}: {d.title} [{d.level or '?'} {d.region or '?'} {d.date or ''}]")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m kb", description="policy-kb: search and ask the policy documents")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("build", help="build or refresh index/ from corpus/")
    b.add_argument("--rebuild", action="store_true", help="rebuild from scratch even if up to date")
    b.set_defaults(func=cmd_build)

    def query_args(p, default_k):
        p.add_argument("query", nargs="?", help="the question")
        p.add_argument("--batch", metavar="FILE.jsonl", help='one {"id", "question"} per line')
        p.add_argument("--doc", help="only this document id")
        p.add_argument("--region", help="only documents of this region, e.g. 珠海")
        p.add_argument("--level", help="only documents of this level: 省, 市 or 县")
        p.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser("search", help="ranked passages for a question")
    query_args(s, 5)
    s.add_argument("--top-k", type=int, default=5)
    s.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    s.set_defaults(func=cmd_search)

    a = sub.add_parser("ask", help="an answer with cited passages")
    query_args(a, 5)
    a.set_defaults(func=cmd_ask)

    st = sub.add_parser("stats", help="documents, passages, model, index size")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_stats)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return args.func(args)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
