"""eval/report.md (tables, misses, charts) and eval/report.json (every number) from a result dict."""
from __future__ import annotations

import json
from pathlib import Path

KS = (1, 3, 5, 10)
CURVE_PNG = "recall_at_k.png"
TYPES_PNG = "recall5_by_type.png"


def _f(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def table(header: list[str], rows: list[list]) -> str:
    def cell(v):
        return _f(v) if isinstance(v, float) or v is None else str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def metric_row(m: dict) -> list:
    return [m["n"]] + [m[f"recall@{k}"] for k in KS] + [m["mrr"], m["ndcg@10"]]


METRIC_HEAD = ["n"] + [f"R@{k}" for k in KS] + ["MRR", "nDCG@10"]


# ---------------------------------------------------------------- charts

def _font():
    """A CJK-capable font if one is installed, so Chinese labels render; labels stay ASCII otherwise."""
    from matplotlib import font_manager

    names = [f.name for f in font_manager.fontManager.ttflist]
    for want in ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC", "SimHei"):
        if want in names:
            return want
    return None


def charts(result: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _font()
    if font:
        plt.rcParams["font.family"] = [font, "DejaVu Sans"]
    retrieval = result["retrieval"]
    paths = []

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for mode, r in retrieval.items():
        ks = list(range(1, len(r["curve"]) + 1))
        ax.plot(ks, r["curve"], marker="o", label=mode)
    ax.set(xlabel="k", ylabel="recall@k", title="Recall@k by retriever", ylim=(0, 1.02), xticks=list(range(1, 11)))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths.append(out / CURVE_PNG)
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    types = sorted({t for r in retrieval.values() for t in r["by_type"]})
    fig, ax = plt.subplots(figsize=(max(6.4, 1.1 * len(types) + 2), 4.2))
    width = 0.8 / max(1, len(retrieval))
    for i, (mode, r) in enumerate(retrieval.items()):
        xs = [j + (i - (len(retrieval) - 1) / 2) * width for j in range(len(types))]
        ax.bar(xs, [r["by_type"].get(t, {}).get("recall@5", 0.0) for t in types], width, label=mode)
    ax.set_xticks(range(len(types)), types, rotation=20, ha="right")
    ax.set(ylabel="recall@5", title="Recall@5 by question type", ylim=(0, 1.22), yticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", ncol=max(1, len(retrieval)), frameon=False)  # above the bars, not on them
    fig.tight_layout()
    paths.append(out / TYPES_PNG)
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


# ---------------------------------------------------------------- markdown

def markdown(result: dict) -> str:
    meta, retrieval, answers = result["meta"], result["retrieval"], result.get("answers")
    qs = {q["id"]: q for q in result["questions"]}
    out = ["# policy-kb evaluation report", ""]
    idx = meta.get("index", {})
    out.append(f"Question file `{meta.get('question_file', '?')}`: {meta['questions']} questions "
               f"({meta['answerable']} answerable). " + ", ".join(f"{t} {n}" for t, n in sorted(meta["by_type"].items())) + ".")
    if idx:
        out.append("Index: " + ", ".join(f"{k} {v}" for k, v in idx.items()) + ".")
    if meta.get("date"):
        out.append(f"Run {meta['date']}" + (f" at commit {meta['commit']}." if meta.get("commit") else "."))
    out += ["", "Hit rule, metrics and how to run: see `eval/README.md`. Every number here is also in `report.json`.", ""]

    out += ["## Retrieval (answerable questions)", ""]
    rows = [[m] + metric_row(r["overall"]) + [f"{r['latency_ms']['p50']:.1f}", f"{r['latency_ms']['p95']:.1f}"]
            for m, r in retrieval.items()]
    out += [table(["retriever"] + METRIC_HEAD + ["p50 ms", "p95 ms"], rows), ""]
    out += [f"![recall@k]({CURVE_PNG})", "", f"![recall@5 by type]({TYPES_PNG})", ""]
    for mode, r in retrieval.items():
        out += [f"### {mode} by question type", ""]
        out += [table(["type"] + METRIC_HEAD, [[t] + metric_row(m) for t, m in r["by_type"].items()]), ""]
        if r.get("errors"):
            out += ["Questions the engine rejected (counted as misses): " + "; ".join(r["errors"]), ""]

    main = result.get("floors", {}).get("retriever") or next(reversed(retrieval), None)
    if main in retrieval:
        missed = [q for q in result["questions"] if main in q["retrieval"] and
                  (q["retrieval"][main]["rank"] is None or q["retrieval"][main]["rank"] > 5)]
        out += [f"### {main}: questions without a hit in the top 5 ({len(missed)})", ""]
        if missed:
            out += [table(["id", "type", "rank", "question", "top passage"],
                          [[q["id"], q["type"], q["retrieval"][main]["rank"] or "–", q["question"],
                            (q["retrieval"][main]["top"] or ["–"])[0]] for q in missed]), ""]

    if answers:
        out += ["## Answers (`Engine.ask`)", ""]
        names = {"responsibility_accuracy": "responsibility accuracy (every gold unit named)",
                 "target_accuracy": "target accuracy (the figure present)",
                 "target_accuracy_with_deadline": "target accuracy (figure and deadline present)",
                 "abstention": "abstention on unanswerable questions",
                 "false_abstention": "false abstention on answerable questions"}
        out += [table(["metric", "value", "count / n"],
                      [[label, answers[k]["value"], f"{answers[k]['count']} / {answers[k]['n']}"] for k, label in names.items()]), ""]
        by_type = answers["all_answer_strings_by_type"]
        if by_type:
            out += ["Answers containing every gold answer string, by type:", ""]
            out += [table(["type", "value", "count / n", "missing a string"],
                          [[t, v["value"], f"{v['count']} / {v['n']}", " ".join(v["no"]) or "–"]
                           for t, v in by_type.items()]), ""]
        if answers.get("complete"):
            c = answers["complete"]
            out += [f"Answers complete (every asked key string, all types): {c['value']} ({c['count']} / {c['n']}).", ""]
        personas = answers.get("by_persona") or {}
        if len(personas) > 1 or "untagged" not in personas:
            keys = ("complete", "false_abstention", "abstention")
            out += ["By persona:", ""]
            out += [table(["persona"] + list(keys),
                          [[p] + [f"{m[k]['value']} ({m[k]['count']}/{m[k]['n']})" if k in m else "–" for k in keys]
                           for p, m in personas.items()]), ""]
        out += [f"Answer latency: p50 {answers['latency_ms']['p50']:.1f} ms, p95 {answers['latency_ms']['p95']:.1f} ms.", ""]
        failures = [("Wrong responsibility answers", answers["responsibility_accuracy"]["no"]),
                    ("Target answers without the figure", answers["target_accuracy"]["no"]),
                    ("False abstentions", answers["false_abstention"]["yes"]),
                    ("Unanswerable questions answered anyway", answers["abstention"]["no"])]
        for title, ids in failures:
            if not ids:
                continue
            out += [f"### {title} ({len(ids)})", ""]
            out += [table(["id", "question", "missing", "answer (start)"],
                          [[i, qs[i]["question"], " ".join((qs[i].get("answer") or {}).get("missing", [])) or "–",
                            _snippet(qs[i].get("answer"))] for i in ids]), ""]
        if answers.get("errors"):
            out += ["Questions the engine rejected: " + "; ".join(answers["errors"]), ""]

    fl = result.get("floors")
    if fl and fl.get("values"):
        out += ["## Floors", ""]
        out += ["All floors met." if not fl["failed"] else "Failed: " + "; ".join(fl["failed"]), ""]
        out += [", ".join(f"{k} {v:g}" for k, v in fl["values"].items()) + f" (retrieval floors on {fl['retriever']}).", ""]
    return "\n".join(out)


def _snippet(a: dict | None, n: int = 90) -> str:
    if not a:
        return "–"
    text = " ".join(a["text"].split())
    return text[:n] + ("…" if len(text) > n else "")


def write_report(result: dict, out: str | Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md"]
    paths[0].write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(result) + "\n", encoding="utf-8")
    return paths + charts(result, out)
