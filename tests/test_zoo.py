"""The zoo scorer itself: it must tell right from wrong."""
from eval.zoo import score_doc

KEY = {"doc": {"title": "T", "issuer": "", "region": "", "level": "", "date": "", "doc_number": ""},
       "sections": [{"number": "一、", "heading": "总体要求", "depth": 1},
                    {"number": "（一）", "heading": "推进X", "depth": 2}],
       "tasks": [{"heading": "推进X", "lead": ["市民政局"], "partners": ["市财政局"], "deadline": "2025年底前"}],
       "targets": [{"indicator": "社区覆盖率", "value": "90", "unit": "%", "deadline": "2025年"}]}


def got(lead=("市民政局",), partners=("市财政局",), deadline="2025年底前", level2=2, value="90"):
    return {"doc": {"title": "T"},
            "sections": [{"level": 1, "number": "一、", "heading": "总体要求"},
                         {"level": level2, "number": "(一)", "heading": "推进X"}],
            "tasks": [{"heading": "推进X", "text": "（一）推进X。…", "lead": list(lead), "partners": list(partners),
                       "deadline": deadline}],
            "targets": [{"indicator": "社区覆盖率", "value": value, "unit": "%", "deadline": "2025年底"}]}


def test_all_right():
    s = score_doc(KEY, got())
    assert s["sections"]["right"] == 2 and s["tasks"]["right"] == 1 and s["targets"]["found"] == 1
    assert s["metadata"]["right"] == 6


def test_wrong_lead_partner_deadline_depth_value_are_caught():
    assert score_doc(KEY, got(lead=()))["tasks"]["right"] == 0
    assert score_doc(KEY, got(partners=("市财政局", "市民政局")))["tasks"]["right"] == 0
    assert score_doc(KEY, got(deadline=""))["tasks"]["right"] == 0
    assert score_doc(KEY, got(level2=1))["sections"]["right"] == 1
    assert score_doc(KEY, got(value="80"))["targets"]["found"] == 0
