"""Retrieval and answer quality of policy-kb on a question file.

    python -m eval [--questions FILE] [--retrievers bm25,dense,hybrid] [--no-ask] [--out eval/]
                   [--floors eval/floors.json] [--min-recall5 X] [--min-mrr X] [--min-resp-acc X]
                   [--max-false-abstain X] ... [--sweep chunk|fusion]

Everything goes through `Engine.search` / `Engine.ask`, the calls the CLI and the app make.
Exit codes: 0 ok, 1 a quality floor failed, 2 bad question file or arguments.
"""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path


from eval import metrics as M
from eval.floors import FLOORS, FloorError, check_floors, load_floors
from eval.validate import InvalidQuestions, engine_texts, fail, gold_of, load_checked

HERE = Path(__file__).resolve().parent
RETRIEVERS = ("bm25", "dense", "hybrid")
TOP_K = 10


def _tqdm(items, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", disable=quiet, leave=False, file=sys.stderr)


def answerable(row: dict) -> bool:
    return row.get("type") != "unanswerable"


def qtype(row: dict) -> str:
    return row.get("type") or "untyped"


# ---------------------------------------------------------------- retrieval

def evaluate_retrieval(eng, rows: list[dict], golds: dict, retrievers, quiet: bool = False) -> tuple[dict, dict]:
    """Per retriever: overall and per-type metrics, recall curve, latency. Also per-question detail."""
    results, detail = {}, defaultdict(dict)
    pool = [(p.doc_id, p.start, p.end, p.text) for p in eng.passages]
    ideals = {r["id"]: M.ideal_gains(M.coverage_by_rank(pool, golds[r["id"]]), TOP_K) for r in rows if answerable(r)}
    for mode in retrievers:
        try:  # warm-up: loading the model is not query latency
            eng.search(rows[0]["question"], top_k=TOP_K, mode=mode)
        except Exception:  # noqa: BLE001 - the same failure is recorded on the question itself below
            pass
        scored, latency, errors = [], [], []
        for row in _tqdm(rows, f"search {mode}", quiet):
            t0 = time.perf_counter()
            try:
                hits = eng.search(row["question"], top_k=TOP_K, mode=mode)
            except Exception as exc:  # a rejected question or an engine bug: a miss, listed in the report
                errors.append(f"{row['id']}: {type(exc).__name__}: {exc}")
                hits = []
            latency.append((time.perf_counter() - t0) * 1000)
            if not answerable(row):  # searched for latency only: unanswerable questions have no recall
                continue
            ranked = [(h.passage.doc_id, h.passage.start, h.passage.end, h.passage.text) for h in hits]
            s = M.score_ranking(ranked, golds[row["id"]], TOP_K, ideals[row["id"]])
            s.update(id=row["id"], type=qtype(row))
            scored.append(s)
            detail[row["id"]][mode] = {"rank": s["rank"], "ndcg": round(s["ndcg"], 4),
                                       "spans_found": f"{s['spans_found']}/{golds[row['id']].units}",
                                       "top": [h.passage.pid for h in hits[:3]],
                                       "hit": hits[s["rank"] - 1].passage.pid if s["rank"] else None}
        by_type = defaultdict(list)
        for s in scored:
            by_type[s["type"]].append(s)
        results[mode] = {
            "overall": M.summarize(scored),
            "by_type": {t: M.summarize(v) for t, v in sorted(by_type.items())},
            "curve": M.recall_curve([s["rank"] for s in scored], TOP_K),
            "latency_ms": {"p50": M.percentile(latency, 50), "p95": M.percentile(latency, 95),
                           "mean": sum(latency) / len(latency), "n": len(latency)},
            "errors": errors,
        }
    return results, detail


# ---------------------------------------------------------------- answers

def answer_surface(ans) -> str:
    """What the user reads: the answer text and, for comparisons, the table cells."""
    cells = " ".join(str(v) for row in (ans.table or []) for v in (row.values() if isinstance(row, dict) else row))
    return f"{ans.text} {cells}"


def evaluate_answers(eng, rows: list[dict], quiet: bool = False) -> tuple[dict, dict]:
    rates = {k: M.Rate() for k in ("responsibility_accuracy", "target_accuracy", "target_accuracy_with_deadline",
                                   "abstention", "false_abstention")}
    by_type: dict[str, M.Rate] = defaultdict(M.Rate)
    complete, by_persona = M.Rate(), defaultdict(lambda: defaultdict(M.Rate))
    latency, detail, errors = [], {}, []
    for row in _tqdm(rows, "ask", quiet):
        qid, typ, gold = row["id"], qtype(row), row.get("answer", [])
        t0 = time.perf_counter()
        try:
            ans = eng.ask(row["question"])
            text, abstained, detail[qid] = answer_surface(ans), ans.abstained, {
                "abstained": ans.abstained, "qtype": ans.qtype, "text": ans.text[:400]}
        except Exception as exc:  # counted as a wrong answer that did not abstain, and listed
            errors.append(f"{qid}: {type(exc).__name__}: {exc}")
            text, abstained, detail[qid] = "", False, {"abstained": False, "qtype": "", "text": f"(error: {exc})"}
        latency.append((time.perf_counter() - t0) * 1000)
        persona = by_persona[row.get("persona") or "untagged"]
        if not answerable(row):
            rates["abstention"].add(abstained, qid)
            persona["abstention"].add(abstained, qid)
            continue
        rates["false_abstention"].add(abstained, qid)
        persona["false_abstention"].add(abstained, qid)
        if not gold:
            continue
        ok = M.all_present(text, gold)
        by_type[typ].add(ok, qid)
        complete.add(ok, qid)
        persona["complete"].add(ok, qid)
        detail[qid]["all_answer_strings"] = ok
        detail[qid]["missing"] = [g for g in gold if not M.contains(text, g)]
        if typ == "responsibility":
            rates["responsibility_accuracy"].add(ok, qid)
        elif typ == "target":
            rates["target_accuracy"].add(M.target_correct(text, gold), qid)
            rates["target_accuracy_with_deadline"].add(ok, qid)
            detail[qid]["figure"] = M.target_correct(text, gold)
    out = {k: r.to_dict() for k, r in rates.items()}
    out["all_answer_strings_by_type"] = {t: r.to_dict() for t, r in sorted(by_type.items())}
    out["complete"] = complete.to_dict()  # answers that contain every asked key string, all types
    out["by_persona"] = {p: {k: r.to_dict() for k, r in sorted(m.items())} for p, m in sorted(by_persona.items())}
    out["latency_ms"] = {"p50": M.percentile(latency, 50), "p95": M.percentile(latency, 95), "n": len(latency)}
    out["errors"] = errors
    return out, detail


# ---------------------------------------------------------------- the whole evaluation

def golds_for(eng, rows: list[dict]) -> dict:
    texts = engine_texts(eng)
    return {r["id"]: M.Gold() if not answerable(r) else gold_of(r, texts) for r in rows}


def evaluate(eng, rows: list[dict], retrievers=RETRIEVERS, ask: bool = True, quiet: bool = False) -> dict:
    golds = golds_for(eng, rows)
    retrieval, rdetail = evaluate_retrieval(eng, rows, golds, retrievers, quiet)
    answers, adetail = evaluate_answers(eng, rows, quiet) if ask else (None, {})
    questions = [{"id": r["id"], "type": qtype(r), "question": r["question"],
                  "retrieval": rdetail.get(r["id"], {}), "answer": adetail.get(r["id"])} for r in rows]
    counts = defaultdict(int)
    for r in rows:
        counts[qtype(r)] += 1
    return {"meta": {"questions": len(rows), "answerable": sum(map(answerable, rows)), "by_type": dict(counts),
                     "retrievers": list(retrievers), "top_k": TOP_K},
            "retrieval": retrieval, "answers": answers, "questions": questions}


def index_meta(eng) -> dict:
    try:
        st = eng.stats()
    except Exception:  # stats() is a convenience outside the contract; the report does without it
        st = {}
    keep = ("documents", "passages", "model", "chunk_size", "chunk_overlap", "faiss_index")
    meta = {k: st[k] for k in keep if k in st}
    meta.update(bm25_weight=eng.settings.bm25_weight, dense_weight=eng.settings.dense_weight, rrf_k=eng.settings.rrf_k)
    return meta


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def summary_text(result: dict) -> str:
    lines = [f"{result['meta']['questions']} questions ({result['meta']['answerable']} answerable)"]
    lines.append(f"{'retriever':<9} {'R@1':>6} {'R@3':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'nDCG':>6} {'p50ms':>7} {'p95ms':>7}")
    for mode, r in result["retrieval"].items():
        o, lat = r["overall"], r["latency_ms"]
        lines.append(f"{mode:<9} {o['recall@1']:6.3f} {o['recall@3']:6.3f} {o['recall@5']:6.3f} {o['recall@10']:6.3f} "
                     f"{o['mrr']:6.3f} {o['ndcg@10']:6.3f} {lat['p50']:7.1f} {lat['p95']:7.1f}")
    for mode, r in result["retrieval"].items():
        if r["errors"]:
            lines.append(f"{mode}: {len(r['errors'])} question(s) failed in Engine.search (counted as misses; see report)")
    a = result.get("answers")
    if a and a["errors"]:
        lines.append(f"ask: {len(a['errors'])} question(s) failed in Engine.ask (counted as wrong; see report)")
    if a:
        for key in ("responsibility_accuracy", "target_accuracy", "abstention", "false_abstention"):
            v = a[key]
            shown = "n/a" if v["value"] is None else f"{v['value']:.3f} ({v['count']}/{v['n']})"
            lines.append(f"{key.replace('_', ' ')}: {shown}")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line

def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m eval", description="Retrieval and answer metrics on a question file.")
    ap.add_argument("--questions", default=str(HERE / "questions.jsonl"), help="JSON-lines question file")
    ap.add_argument("--retrievers", default=",".join(RETRIEVERS), help="comma-separated: bm25,dense,hybrid")
    ap.add_argument("--no-ask", action="store_true", help="retrieval only; skip answer metrics")
    ap.add_argument("--out", default=str(HERE), help="folder for report.md, report.json, charts, sweep tables")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions (quick checks)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    g = ap.add_argument_group("quality floors (exit 1 when one fails)")
    g.add_argument("--floors", help="JSON file of floors, e.g. eval/floors.json; flags below override it")
    g.add_argument("--floor-retriever", help="retriever the retrieval floors apply to (default hybrid)")
    for name, f in FLOORS.items():
        g.add_argument("--" + name.replace("_", "-"), type=float, metavar="X", help=f.help)
    s = ap.add_argument_group("parameter sweeps (retrieval only; tables to stdout and OUT/sweep_*.md)")
    s.add_argument("--sweep", choices=("chunk", "fusion"))
    s.add_argument("--chunk-grid", default="300:60,450:80,600:100,800:120,600:0",
                   help="chunk_size:chunk_overlap pairs")
    s.add_argument("--fusion-grid", default="1:1,1:0,0:1,1.5:1,2:1,3:1,1:2",
                   help="bm25_weight:dense_weight pairs for hybrid")
    return ap.parse_args(argv)


def _pairs(text: str, cast) -> list[tuple]:
    try:
        return [tuple(cast(x) for x in item.split(":")) for item in text.split(",") if item.strip()]
    except ValueError:
        raise SystemExit(f"error: bad grid {text!r}; expected pairs like 300:60,400:80") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    retrievers = [r.strip() for r in args.retrievers.split(",") if r.strip()]
    unknown = [r for r in retrievers if r not in RETRIEVERS]
    if unknown or not retrievers:
        print(f"error: unknown retriever(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(RETRIEVERS)}",
              file=sys.stderr)
        return 2
    try:
        floors = load_floors(args.floors, {n: getattr(args, n) for n in FLOORS}, args.floor_retriever)
    except FloorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if floors.values and floors.retriever not in retrievers and any(FLOORS[n].section == "retrieval" for n in floors.values):
        print(f"error: retrieval floors apply to {floors.retriever}, which is not in --retrievers", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from kb.engine import Engine
    from kb.errors import KBError
    from kb.settings import Settings

    out = Path(args.out)
    try:
        settings = Settings.load()
        eng = Engine.open(settings, progress=_build_progress(args.quiet))
        rows = load_checked(args.questions, engine_texts(eng))
    except InvalidQuestions as exc:
        return fail(exc, args.questions)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        rows = rows[: args.limit]

    if args.sweep:
        from eval.sweep import run_sweep

        grid = _pairs(args.chunk_grid, int) if args.sweep == "chunk" else _pairs(args.fusion_grid, float)
        return run_sweep(args.sweep, settings, rows, grid, retrievers, out, args.quiet)

    result = evaluate(eng, rows, retrievers, ask=not args.no_ask, quiet=args.quiet)
    result["meta"].update(question_file=str(args.questions), index=index_meta(eng), commit=git_commit(),
                          date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    failures = check_floors(result, floors)
    result["floors"] = {"retriever": floors.retriever, "values": floors.values, "failed": failures}

    from eval.report import write_report

    paths = write_report(result, out)
    print(summary_text(result))
    print("wrote " + ", ".join(str(p) for p in paths))
    for msg in failures:
        print(f"FLOOR FAILED: {msg}", file=sys.stderr)
    return 1 if failures else 0


def _build_progress(quiet: bool):
    """Engine.open's progress callback as a tqdm bar (only shown when the index has to be built)."""
    state = {}

    def progress(fraction: float, desc: str) -> None:
        if quiet:
            return
        from tqdm import tqdm

        bar = state.get("bar") or state.setdefault("bar", tqdm(total=100, desc="index", file=sys.stderr, leave=False))
        bar.set_description(desc[:40])
        bar.n = int(fraction * 100)
        bar.refresh()
        if fraction >= 1:
            bar.close()
            state.clear()

    return progress


if __name__ == "__main__":
    sys.exit(main())
