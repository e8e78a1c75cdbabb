"""Evaluation tooling: metric functions on hand-computed cases, the question-file validator, the
runner on a fake engine (so ranks and rates are known), and one run of `python -m eval` on the real
engine over a small real question file."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from eval import metrics as M
from eval.floors import FloorError, Floors, check_floors, load_floors
from eval.validate import InvalidQuestions, check, gold_of, load, load_checked
from kb.settings import PROJECT_ROOT
from kb.types import Answer, DocMeta, Hit, Passage

MINI = Path(__file__).parent / "data" / "mini_questions.jsonl"

# A slice of the cleaned putian-county-plan text (the 助餐 task and its responsibility clause).
PUTIAN = ("支持餐饮企业、养老机构、社会组织,采取建设“中央厨房”“长者食堂”“助餐点”等多种形式,建立配餐、送餐体系,"
          "为社区老年人提供助餐服务。大力推进新建城区、新建居住(小)区按标准配套建设社区养老和重度残疾人照护服务设施,"
          "配建设施达标率达到100%。责任单位:县民政局、卫健局、自然资源局、住建局、城市管理局、残联等按职责分工负责"
          "2.发展社区妇女儿童和托儿育幼福利事业。发展家庭为主、托育补充的3岁以下婴幼儿照护服务,到2025年,"
          "每千名人口拥有3岁以下婴幼儿托位数4.5个。")
CLAUSE = "责任单位:县民政局、卫健局、自然资源局、住建局、城市管理局、残联等按职责分工负责"
UNITS = ["县民政局", "卫健局", "自然资源局", "住建局", "城市管理局", "残联"]
DOCS = {"putian-county-plan": PUTIAN, "other": "本文件与助餐无关。" * 5}


def p(doc, start, end, text=None):
    """A retrieved passage tuple; text defaults to the slice of the matching test document."""
    return (doc, start, end, DOCS[doc][start:end] if text is None else text)


def gold(evidence, answers=(), docs=()):
    texts = {d: DOCS[d] for d in docs} if docs else DOCS
    return M.Gold(tuple(evidence), M.locate(list(evidence), texts), tuple(answers), tuple(docs))


# ---------------------------------------------------------------- metrics

def test_hit_at_rank_3_gives_mrr_one_third():
    at = PUTIAN.index(CLAUSE)
    ranked = [p("other", 0, 20), p("putian-county-plan", 0, 40), p("putian-county-plan", at - 10, at + len(CLAUSE) + 5)]
    s = M.score_ranking(ranked, gold([CLAUSE]))
    assert s["rank"] == 3
    assert s["rr"] == pytest.approx(1 / 3)
    missed = M.score_ranking(ranked[:2], gold([CLAUSE]))
    assert missed["rank"] is None and missed["rr"] == 0
    assert M.summarize([s, missed])["mrr"] == pytest.approx(1 / 6)


def test_recall_at_k_from_ranks():
    rows = [{"rank": r, "rr": M.reciprocal_rank(r), "ndcg": 0.0} for r in (1, 3, None, 7)]
    s = M.summarize(rows)
    assert (s["recall@1"], s["recall@3"], s["recall@5"], s["recall@10"]) == (0.25, 0.5, 0.5, 0.75)
    assert M.recall_at(3, 2) == 0 and M.recall_at(3, 3) == 1 and M.recall_at(None, 10) == 0
    assert M.recall_curve([1, 3, None, 7], 4) == [0.25, 0.25, 0.5, 0.5]


def test_ndcg_single_span_and_two_spans():
    one = [set(), set(), {0}]
    assert M.ndcg(one, [1]) == pytest.approx(1 / math.log2(4))  # = 0.5
    # spans 0 and 1 found at ranks 1 and 3; a repeat of span 0 at rank 2 gains nothing
    two = [{0}, {0}, {1}]
    assert M.ndcg(two, [1, 1]) == pytest.approx((1 + 1 / 2) / (1 + 1 / math.log2(3)))
    assert M.ndcg([set()] * 10, [1]) == 0
    assert M.ndcg([{0}], []) == 0  # nothing findable in the pool: no credit, no division by zero


def test_ndcg_ideal_from_the_pool():
    # one pool passage holds both spans: the ideal is that passage first, gaining 2 at rank 1
    assert M.ideal_gains([{0}, {1}, {0, 1}, set()]) == [2]
    assert M.ndcg([{0, 1}], [2]) == 1.0
    assert M.ndcg([{0}, {1}], [2]) == pytest.approx((1 + 1 / math.log2(3)) / 2)
    # spans in two documents: two passages are needed, so ranks 1 and 2 are perfect
    assert M.ideal_gains([{0}, {1}]) == [1, 1]
    assert M.ndcg([{1}, {0}], [1, 1]) == 1.0


def test_span_cut_across_two_passages_counts_by_half_of_its_characters():
    at = PUTIAN.index(CLAUSE)
    n = len(CLAUSE)
    g = gold([CLAUSE], docs=["putian-county-plan"])
    half = n // 2 + n % 2  # ceil: at least 50 %
    first = p("putian-county-plan", at - 30, at + half)
    second = p("putian-county-plan", at + half, at + n + 30)  # the rest: under 50 % when n is odd, 50 % when even
    assert not M.contains(first[3], CLAUSE) and not M.contains(second[3], CLAUSE)
    assert M.covered(first, g) == {0}
    assert M.covered(second, g) == ({0} if n % 2 == 0 else set())
    short = p("putian-county-plan", at + n // 2 + 1, at + n + 30)  # < 50 % whatever n is
    assert M.covered(short, g) == set()
    assert M.covered(p("putian-county-plan", at - 30, at + n // 2 - 1), g) == set()
    # same offsets in another document do not count
    assert M.covered(("other", at - 30, at + half, "x" * (30 + half)), gold([CLAUSE])) == set()


def test_containment_ignores_whitespace_and_width():
    text = "为社区老年人提供助餐服务。 责任单位： 县民政局、卫健局、\n自然资源局、住建局、城市管理局、残联等按职责分工负责"
    assert M.contains(text, CLAUSE)
    assert not M.contains(text, CLAUSE.replace("残联", "妇联"))
    # located in a document with extra whitespace, offsets point at the original characters
    doc = "前言。 " + "责任单位:县民政局、 卫健局\n等负责" + "。后文"
    (s, e), = M.find_all(doc, "责任单位:县民政局、卫健局等负责")
    assert doc[s:e] == "责任单位:县民政局、 卫健局\n等负责"


def test_gold_documents_restrict_hits():
    g = gold([CLAUSE], docs=["other"])  # the gold says the answer is in another document
    assert M.covered(("putian-county-plan", 0, 10, "x" + CLAUSE), g) == set()


def test_answer_only_gold_needs_every_answer_string():
    g = M.Gold(answers=("县民政局", "残联"))
    assert M.covered(("d", 0, 9, "由县民政局、残联负责"), g) == {0}
    assert M.covered(("d", 0, 9, "由县民政局负责"), g) == set()
    assert g.units == 1


def test_percentile_interpolates():
    assert M.percentile([4, 1, 3, 2], 50) == 2.5
    assert M.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert M.percentile([], 50) == 0


def test_target_accuracy_needs_the_figure_not_the_year():
    answers = ["4.5个", "2025年"]
    assert M.figures(answers) == ["4.5个"]
    assert M.target_correct("托位数：4.5个", answers)
    assert not M.target_correct("到2025年托位数有所增加", answers)
    assert not M.all_present("托位数：4.5个", answers)  # the strict variant also wants the deadline
    assert M.figures(["到2025年"]) == ["到2025年"]  # only a year: the year is what is asked


# ---------------------------------------------------------------- validator

def rows_of(*dicts):
    return [dict(d, _line=i) for i, d in enumerate(dicts, 1)]


GOOD = {"id": "g1", "question": "老年助餐由哪些部门负责？", "type": "responsibility", "docs": ["putian-county-plan"],
        "evidence": [CLAUSE], "answer": UNITS}


def test_validator_accepts_a_correct_row():
    assert check(rows_of(GOOD), DOCS) == ([], [])


def test_validator_rejects_a_wrong_evidence_string():
    wrong = "责任单位:县民政局、教育局等按职责分工负责"
    errors, _ = check(rows_of(dict(GOOD, evidence=[wrong], answer=["县民政局"])), DOCS)
    assert len(errors) == 1
    assert "g1" in errors[0] and wrong in errors[0] and "putian-county-plan" in errors[0]


def test_validator_rejects_a_wrong_answer_string():
    errors, _ = check(rows_of(dict(GOOD, answer=UNITS + ["教育局"])), DOCS)
    assert len(errors) == 1 and "g1" in errors[0] and "教育局" in errors[0] and "clause" in errors[0]


def test_validator_other_rules():
    errors, _ = check(rows_of(
        {"id": "u", "question": "深圳呢？", "type": "unanswerable", "evidence": [CLAUSE], "answer": []},
        {"id": "n", "question": "什么？", "type": "target"},
        dict(GOOD, id="d", docs=["nowhere"]),
        dict(GOOD, id="t", type="weird"),
        dict(GOOD),
        dict(GOOD),
    ), DOCS)
    text = "\n".join(errors)
    for needle in ("u (line 1): an unanswerable", "n (line 2): give", "d (line 3): unknown document",
                   "t (line 4): unknown type", "g1 (line 6): duplicate id"):
        assert needle in text
    _, warnings = check(rows_of(dict(GOOD, evidence=["为社区老年人提供助餐服务。"], answer=[])), DOCS)
    assert any("characters" in w for w in warnings)  # 13 characters: outside 15–80


def test_user_file_with_question_and_answer_only(tmp_path):
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"question": "县里助餐谁负责？", "answer": ["县民政局", "残联"]}, ensure_ascii=False) + "\n"
                 + json.dumps({"question": "托位数多少？", "evidence": ["每千名人口拥有3岁以下婴幼儿托位数4.5个"]},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    rows = load_checked(f, DOCS)
    assert [r["id"] for r in rows] == ["line1", "line2"]
    g = gold_of(rows[0], DOCS)
    assert g.evidence == () and g.answers == ("县民政局", "残联")
    at = PUTIAN.index(CLAUSE)
    assert M.covered(p("putian-county-plan", at, at + len(CLAUSE)), g) == {0}
    assert M.covered(p("putian-county-plan", 0, 40), g) == set()
    g2 = gold_of(rows[1], DOCS)  # evidence without docs: located in whichever document holds it
    assert [s.doc_id for s in g2.located] == ["putian-county-plan"]
    f.write_text(json.dumps({"question": "谁负责？", "answer": ["县教育局"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InvalidQuestions, match="县教育局.*any indexed document"):
        load_checked(f, DOCS)


def test_load_reports_bad_json_with_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"question": "a", "answer": ["b"]}\n{"question": \n', encoding="utf-8")
    with pytest.raises(InvalidQuestions, match=r"bad.jsonl:2: not valid JSON"):
        load(f)


# ---------------------------------------------------------------- runner on a fake engine

AT = PUTIAN.index(CLAUSE)
# putian in three passages: before the clause, the clause, after it (the 托位 target); "other" in one
CUTS = [("putian-county-plan", 0, AT), ("putian-county-plan", AT, AT + len(CLAUSE)),
        ("putian-county-plan", AT + len(CLAUSE), len(PUTIAN)), ("other", 0, len(DOCS["other"]))]


class FakeEngine:
    """Just the Engine calls the evaluation makes, with known rankings (passage numbers) and answers."""

    def __init__(self, rankings: dict, answers: dict):
        self.rankings, self.answers = rankings, answers
        self.documents = [DocMeta(doc_id=d) for d in DOCS]
        self.passages = [Passage(f"{d}:{i}", d, "", [], DOCS[d][s:e], s, e) for i, (d, s, e) in enumerate(CUTS)]
        self.calls = []

    def doc_text(self, doc_id):
        return DOCS[doc_id]

    def search(self, query, top_k=10, mode="hybrid", **_):
        self.calls.append(("search", mode, query))
        return [Hit(self.passages[i], 1.0 / r, r) for r, i in enumerate(self.rankings[query][:top_k], 1)]

    def ask(self, question, **_):
        self.calls.append(("ask", question))
        text, abstained = self.answers[question]
        return Answer(question, text, [], abstained, "general")


def test_runner_scores_what_engine_search_and_ask_return():
    from eval.run import evaluate

    rows = rows_of(
        dict(GOOD, id="a"),
        {"id": "b", "question": "托位数多少？", "type": "target", "docs": ["putian-county-plan"],
         "evidence": ["每千名人口拥有3岁以下婴幼儿托位数4.5个"], "answer": ["4.5个", "2025年"]},
        {"id": "c", "question": "深圳呢？", "type": "unanswerable", "docs": [], "evidence": [], "answer": []},
    )
    eng = FakeEngine(
        rankings={GOOD["question"]: [3, 0, 1, 2], "托位数多少？": [2, 1], "深圳呢？": [0]},
        answers={GOOD["question"]: ("责任单位：" + "、".join(UNITS), False), "托位数多少？": ("", True),
                 "深圳呢？": ("未找到", True)},
    )
    result = evaluate(eng, rows, ["hybrid"], ask=True, quiet=True)
    r = result["retrieval"]["hybrid"]
    assert r["overall"]["n"] == 2  # the unanswerable question is not in recall/MRR
    assert r["overall"]["mrr"] == pytest.approx((1 / 3 + 1) / 2)  # a: clause at rank 3; b: target at rank 1
    assert r["by_type"]["responsibility"]["recall@3"] == 1 and r["by_type"]["responsibility"]["recall@1"] == 0
    assert r["by_type"]["responsibility"]["ndcg@10"] == pytest.approx(0.5)
    assert r["latency_ms"]["n"] == 3  # every question is searched for latency
    a = result["answers"]
    assert a["responsibility_accuracy"]["value"] == 1.0
    assert a["target_accuracy"]["value"] == 0.0
    assert a["abstention"]["value"] == 1.0
    assert a["false_abstention"]["value"] == 0.5 and a["false_abstention"]["yes"] == ["b"]
    assert ("ask", "深圳呢？") in eng.calls and sum(c[0] == "search" for c in eng.calls) == 4  # 1 warm-up + 3

    assert check_floors(result, Floors("hybrid", {"min_recall5": 0.4, "max_false_abstain": 0.5})) == []
    failed = check_floors(result, Floors("hybrid", {"min_mrr": 0.99, "min_resp_acc": 0.9, "max_false_abstain": 0.2}))
    assert len(failed) == 2 and "mrr (hybrid)" in failed[0] and "--min-mrr" in failed[0]
    assert "false_abstention" in failed[1]
    result["answers"] = None
    assert "not measured" in check_floors(result, Floors("hybrid", {"min_resp_acc": 0.1}))[0]


def test_engine_failures_count_against_the_engine_and_are_listed():
    from eval.run import evaluate

    class Broken(FakeEngine):
        def search(self, query, top_k=10, mode="hybrid", **kw):
            if query == "坏":
                raise RuntimeError("index exploded")
            return super().search(query, top_k, mode, **kw)

        def ask(self, question, **kw):
            if question == "坏":
                raise RuntimeError("answer exploded")
            return super().ask(question, **kw)

    rows = rows_of(dict(GOOD, id="ok"), dict(GOOD, id="bad", question="坏"))
    eng = Broken({GOOD["question"]: [1]}, {GOOD["question"]: ("、".join(UNITS), False)})
    result = evaluate(eng, rows, ["bm25"], quiet=True)
    r = result["retrieval"]["bm25"]
    assert r["overall"]["recall@1"] == 0.5 and r["errors"] == ["bad: RuntimeError: index exploded"]
    a = result["answers"]
    assert a["responsibility_accuracy"]["no"] == ["bad"] and a["errors"] == ["bad: RuntimeError: answer exploded"]


def test_floors_file_and_flags(tmp_path):
    f = tmp_path / "floors.json"
    f.write_text('{"retriever": "bm25", "min_recall5": 0.8, "min_mrr": 0.5, "_why": "today minus a margin"}')
    fl = load_floors(f, {"min_mrr": 0.6, "min_resp_acc": None})
    assert fl.retriever == "bm25" and fl.values == {"min_recall5": 0.8, "min_mrr": 0.6}
    f.write_text('{"min_recal5": 0.8}')
    with pytest.raises(FloorError, match="unknown floor"):
        load_floors(f, {})
    with pytest.raises(FloorError, match="outside"):
        load_floors(None, {"min_mrr": 85})


def test_report_files(tmp_path):
    from eval.report import write_report

    curve = [0.5] * 10
    m = {"n": 2, "recall@1": 0.5, "recall@3": 0.5, "recall@5": 1.0, "recall@10": 1.0, "mrr": 0.75, "ndcg@10": 0.8}
    result = {"meta": {"questions": 2, "answerable": 2, "by_type": {"target": 2}},
              "retrieval": {"bm25": {"overall": m, "by_type": {"target": m}, "curve": curve,
                                     "latency_ms": {"p50": 1.0, "p95": 2.0}, "errors": []}},
              "answers": None,
              "questions": [{"id": "x", "type": "target", "question": "问?", "retrieval": {"bm25": {"rank": None, "top": []}}}]}
    paths = write_report(result, tmp_path)
    assert {q.name for q in paths} == {"report.json", "report.md", "recall_at_k.png", "recall5_by_type.png"}
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| bm25 | 2 | 0.500 | 0.500 | 1.000 | 1.000 | 0.750 | 0.800 |" in md
    assert "without a hit in the top 5 (1)" in md
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["retrieval"]["bm25"]["overall"] == m
    assert (tmp_path / "recall_at_k.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------- the real engine

@pytest.fixture
def on_test_index(engine, kb_settings, monkeypatch):
    """Point `python -m eval`'s Settings.load() at the session's test index (never the project's)."""
    for name in ("corpus_dir", "index_dir", "data_dir"):
        monkeypatch.setenv("KB_" + name.upper(), str(getattr(kb_settings, name)))
    return engine


def test_mini_file_is_valid_against_the_real_corpus(engine):
    from eval.validate import engine_texts

    rows = load_checked(MINI, engine_texts(engine))
    assert len(rows) == 6


def test_python_m_eval_end_to_end(on_test_index, tmp_path, capsys):
    from eval.run import main

    assert main(["--questions", str(MINI), "--out", str(tmp_path), "--retrievers", "bm25,hybrid", "--quiet"]) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["meta"]["answerable"] == 5
    for mode in ("bm25", "hybrid"):
        o = report["retrieval"][mode]["overall"]
        assert o["n"] == 5 and 0 <= o["mrr"] <= o["recall@10"] <= 1 and 0 <= o["ndcg@10"] <= 1
    assert report["answers"]["abstention"]["n"] == 1 and report["answers"]["responsibility_accuracy"]["n"] == 1
    assert (tmp_path / "recall5_by_type.png").is_file()
    assert "hybrid" in capsys.readouterr().out

    # a floor just above what was measured fails with exit 1 and names the floor
    mrr = report["retrieval"]["bm25"]["overall"]["mrr"]
    if mrr < 1:
        code = main(["--questions", str(MINI), "--out", str(tmp_path), "--retrievers", "bm25", "--no-ask", "--quiet",
                     "--floor-retriever", "bm25", "--min-mrr", str(min(1.0, mrr + 0.01))])
        assert code == 1 and "--min-mrr" in capsys.readouterr().err
    assert main(["--questions", str(MINI), "--out", str(tmp_path), "--retrievers", "bm25", "--no-ask", "--quiet",
                 "--floor-retriever", "bm25", "--min-mrr", str(max(0.0, mrr - 0.01))]) == 0


def test_python_m_eval_rejects_a_wrong_evidence_string(on_test_index, tmp_path, capsys):
    from eval.run import main

    bad = tmp_path / "bad.jsonl"
    row = json.loads(MINI.read_text(encoding="utf-8").splitlines()[0])
    row["evidence"] = ["责任单位:县民政局、教育局等按职责分工负责"]
    row["answer"] = ["县民政局"]
    bad.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["--questions", str(bad), "--out", str(tmp_path), "--no-ask", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert row["id"] in err and "教育局等按职责分工负责" in err
    assert not (tmp_path / "report.json").exists()


def test_run_as_a_module():
    out = subprocess.run([sys.executable, "-m", "eval", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "--min-recall5" in out.stdout and "--sweep" in out.stdout
