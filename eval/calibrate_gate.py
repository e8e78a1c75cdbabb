"""Calibrate the answer gate (kb/answer/gate.py) on labelled questions, with cross-validation.

    python -m eval.calibrate_gate                       # gold + held-out + dev set → kb/data/gate.json
    python -m eval.calibrate_gate --no-write            # only print the curve
    python -m eval.calibrate_gate --from-data eval/gate/gate_data.jsonl   # refit from recorded signals

Every labelled question goes through the real pipeline once (retrieval, strategies, the gate's signals).
Answers decided before the score (a place or year not covered, no evidence of the asked type, an exact
structure answer) are fixed; the rest are the samples of a logistic regression (numpy, L2, standardised
features) whose out-of-fold probabilities give the curve of wrong declines (answerable questions declined)
against right declines (unanswerable questions declined). Of the thresholds whose wrong declines stay
within --max-wrong, the one with the most right declines (then the fewest wrong) is taken; the weights are then refitted on all samples and written with their
provenance. Outputs: OUT/gate_data.jsonl (the recorded signals), OUT/gate_curve.md, OUT/gate_curve.png.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
# Every labelled set that is not blind: the gold set, the held-out, the blind sets of rounds 3–8 (all used
# up), and the dev sets (dev_r4, dev_r5 and dev_r9 were written by helpers who did not read the code; 54, 82
# and 90 unanswerable questions).
DEFAULT_SETS = [ROOT / "eval" / n for n in ("questions.jsonl", "heldout.jsonl", "dev_v2.jsonl", "everyday_dev.jsonl",
                                            "blind/questions.jsonl", "dev_r4.jsonl", "blind_r4/questions.jsonl",
                                            "dev_r5.jsonl", "blind_r5/questions.jsonl",
                                            "blind_r6/questions.jsonl", "blind_r7/questions.jsonl",
                                            "blind_r8/questions.jsonl", "dev_r9.jsonl",
                                            "blind_r9/questions.jsonl", "dev_r10.jsonl")]
GATE_JSON = ROOT / "kb" / "data" / "gate.json"
L2 = 1.0  # ridge penalty on standardised weights: ~300 samples, few negatives
FOLDS = 5
SEED = 13
MAX_WRONG = 0.02  # wrong-decline budget on the calibration data (issue 8 target: ≤ 3% false abstention)


# ---------------------------------------------------------------- recording

def record(engine, rows: list[dict], quiet: bool = False) -> list[dict]:
    """The gate's view of every part of every question: stage, decision, signals; with its label."""
    from kb.answer.pipeline import gate_view

    out = []
    for i, r in enumerate(rows, 1):
        for part in gate_view(engine, r["question"]):
            out.append({"id": r["id"], "set": r.get("_set", ""), "question": r["question"],
                        "answerable": r.get("type") != "unanswerable", **part})
        if not quiet and i % 25 == 0:
            print(f"  {i}/{len(rows)} questions", file=sys.stderr)
    return out


# ---------------------------------------------------------------- the model

def fit(X: np.ndarray, y: np.ndarray, l2: float = L2) -> dict:
    """Logistic regression by Newton's method on standardised features (deterministic)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[-1] = 0.0  # the bias is not penalised
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(Z @ w)))
        grad = Z.T @ (p - y) + reg * w
        H = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(reg)
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return {"mean": mean.tolist(), "scale": scale.tolist(), "weights": w[:-1].tolist(), "bias": float(w[-1])}


def predict(model: dict, X: np.ndarray) -> np.ndarray:
    Z = (X - np.array(model["mean"])) / np.array(model["scale"])
    return 1.0 / (1.0 + np.exp(-(Z @ np.array(model["weights"]) + model["bias"])))


def folds_of(y: np.ndarray, k: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Stratified fold numbers: each fold gets its share of unanswerable samples."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=int)
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % k
    return fold


def out_of_fold(X: np.ndarray, y: np.ndarray, k: int = FOLDS) -> np.ndarray:
    fold = folds_of(y, k)
    p = np.zeros(len(y))
    for f in range(k):
        train, test = fold != f, fold == f
        p[test] = predict(fit(X[train], y[train]), X[test])
    return p


def curve(samples: list[dict], p_scored: dict[int, float], thresholds) -> list[dict]:
    """Per threshold: wrong declines (answerable declined) and right declines (unanswerable declined),
    over all samples, the fixed decisions included."""
    ans = [i for i, s in enumerate(samples) if s["answerable"]]
    un = [i for i, s in enumerate(samples) if not s["answerable"]]
    rows = []
    for t in thresholds:
        def declined(i):
            s = samples[i]
            return (p_scored[i] < t) if i in p_scored else not s["ok"]
        wrong = sum(declined(i) for i in ans)
        right = sum(declined(i) for i in un)
        rows.append({"threshold": round(float(t), 3), "wrong_declines": wrong / max(1, len(ans)),
                     "right_declines": right / max(1, len(un)), "wrong_n": wrong, "right_n": right,
                     "answerable": len(ans), "unanswerable": len(un)})
    return rows


def calibrate(samples: list[dict], features: tuple[str, ...], max_wrong: float = MAX_WRONG) -> tuple[dict, list[dict]]:
    """(gate parameters, curve) from recorded samples."""
    scored = [i for i, s in enumerate(samples) if s["stage"] in ("score", "fallback")]
    X = np.array([[samples[i]["signals"][f] for f in features] for i in scored], dtype=np.float64)
    y = np.array([1.0 if samples[i]["answerable"] else 0.0 for i in scored])
    oof = out_of_fold(X, y)
    p_scored = dict(zip(scored, oof))
    grid = np.round(np.arange(0.0, 1.0001, 0.02), 3)
    rows = curve(samples, p_scored, grid)
    ok = [r for r in rows if r["wrong_declines"] <= max_wrong]
    # Within the wrong-decline budget, the most right declines, and of thresholds that decline as many, the one
    # with the fewest wrong declines (the Pareto point). Round 5 took the highest threshold in the budget, for
    # questions unlike any in the data (社区养宠物有什么规定？ sat between 0.60 and 0.66); round 9's curve is
    # flat from 0.78 to 0.82 in right declines while wrong declines grow from 23 to 32, and the dev sets
    # answered at 0.82 lost 7 answers for 2 declines.
    best = max(ok, key=lambda r: (r["right_declines"], -r["wrong_declines"], -r["threshold"])) if ok else rows[0]
    model = fit(X, y)
    params = {
        "_source": (f"python -m eval.calibrate_gate on {date.today().isoformat()}: logistic regression (L2={L2}) on "
                    f"{len(scored)} scored answers of the labelled questions ({int((1 - y).sum())} unanswerable); "
                    f"threshold = of those whose out-of-fold ({FOLDS}-fold) wrong declines are ≤ {max_wrong:.0%} "
                    f"over all {len(samples)} answers, the one with the most right declines, then the fewest wrong"),
        "features": list(features), **model, "threshold": best["threshold"],
        "cv": {"folds": FOLDS, "seed": SEED, "wrong_declines": round(best["wrong_declines"], 4),
               "right_declines": round(best["right_declines"], 4), "samples": len(samples), "scored": len(scored)},
    }
    return params, rows


# ---------------------------------------------------------------- outputs

def write_curve(rows: list[dict], chosen: float, out: Path) -> None:
    lines = ["# Answer gate: wrong declines vs right declines (out-of-fold)", "",
             "| threshold | wrong declines (answerable declined) | right declines (unanswerable declined) |",
             "|---:|---:|---:|"]
    for r in rows:
        mark = " ←" if r["threshold"] == chosen else ""
        lines.append(f"| {r['threshold']:.2f}{mark} | {r['wrong_declines']:.3f} ({r['wrong_n']}/{r['answerable']}) "
                     f"| {r['right_declines']:.3f} ({r['right_n']}/{r['unanswerable']}) |")
    (out / "gate_curve.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([r["wrong_declines"] for r in rows], [r["right_declines"] for r in rows], marker=".")
    c = next(r for r in rows if r["threshold"] == chosen)
    ax.scatter([c["wrong_declines"]], [c["right_declines"]], color="red", zorder=3, label=f"threshold {chosen:.2f}")
    ax.set_xlabel("wrong declines (share of answerable)")
    ax.set_ylabel("right declines (share of unanswerable)")
    ax.set_title("answer gate, out-of-fold")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "gate_curve.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.calibrate_gate", description=__doc__.split("\n")[0])
    ap.add_argument("--questions", nargs="+", default=[str(p) for p in DEFAULT_SETS])
    ap.add_argument("--from-data", help="refit from recorded signals (gate_data.jsonl) without running the engine")
    ap.add_argument("--out", default=str(ROOT / "eval" / "gate"))
    ap.add_argument("--max-wrong", type=float, default=MAX_WRONG)
    ap.add_argument("--no-write", action="store_true", help="do not write kb/data/gate.json")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    from kb.answer.gate import FEATURES

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.from_data:
        samples = [json.loads(x) for x in Path(args.from_data).read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        from eval.validate import engine_texts, load_checked
        from kb.engine import Engine

        eng = Engine.open()
        rows = []
        for path in args.questions:
            for r in load_checked(path, engine_texts(eng)):
                r["_set"] = Path(path).stem
                rows.append(r)
        samples = record(eng, rows, args.quiet)
        with open(out / "gate_data.jsonl", "w", encoding="utf-8") as fh:
            for s in samples:
                fh.write(json.dumps(s, ensure_ascii=False) + "\n")
    params, rows = calibrate(samples, FEATURES, args.max_wrong)
    write_curve(rows, params["threshold"], out)
    stages = {}
    for s in samples:
        stages[s["stage"]] = stages.get(s["stage"], 0) + 1
    print(f"{len(samples)} answers ({sum(not s['answerable'] for s in samples)} unanswerable); stages {stages}")
    print("threshold  wrong-declines  right-declines")
    for r in rows[::5]:
        print(f"  {r['threshold']:.2f}      {r['wrong_declines']:.3f}           {r['right_declines']:.3f}")
    print(f"chosen threshold {params['threshold']:.2f}: out-of-fold wrong declines {params['cv']['wrong_declines']:.3f}, "
          f"right declines {params['cv']['right_declines']:.3f}")
    print("weights: " + ", ".join(f"{f} {w:+.2f}" for f, w in zip(params["features"], params["weights"])))
    if not args.no_write:
        GATE_JSON.write_text(json.dumps(params, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {GATE_JSON}")
    print(f"wrote {out / 'gate_curve.md'}, {out / 'gate_curve.png'}" + ("" if args.from_data else f", {out / 'gate_data.jsonl'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
