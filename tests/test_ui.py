"""The app's rendering, escaping, feedback and upload helpers, without a browser.

The pure helpers are checked on hand-made inputs; the page classes are checked against the real
engine (the shared session fixture over a copy of the corpus).
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from kb.feedback import FeedbackLog, answer_record
from kb.types import Answer, Citation, Hit, Passage, Section
from kb.ui import render
from kb.ui.render import (answer_markdown, document_html, esc, filter_rows, highlight_html, md_escape, merge_spans,
                          parse_number, related_card_html, source_card_html, table_markdown, tree_html, write_csv)

XSS = "<script>alert(1)</script>"


def passage(text="支持餐饮企业建设“长者食堂”。责任单位：县民政局", **kw) -> Passage:
    base = dict(pid="p1", doc_id="putian-county-plan", title="关于<全面>贯彻的实施方案",
                section_path=["二、增加服务供给、提升服务效能", "(一)完善基本公共服务功能", "1.优化社区养老和助残服务供给"],
                text=text, start=100, end=100 + len(text), region="仙游（莆田）", level="县",
                lead_units=["县民政局"], partner_units=["卫健局"])
    base.update(kw)
    return Passage(**base)


# ------------------------------------------------------------------ escaping

def test_md_escape_makes_html_and_markdown_inert():
    s = md_escape(XSS + " **粗** [链接](http://x) $x$ # 标题")
    assert "<" not in s and ">" not in s
    assert "&lt;script&gt;" in s
    assert r"\*\*粗\*\*" in s and r"\[链接\]\(http://x\)" in s
    assert "$" not in s
    assert md_escape(None) == ""


def test_esc_quotes_attributes():
    assert esc('"><img src=x onerror=alert(1)>') == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_answer_markdown_keeps_markers_and_escapes_text():
    ans = Answer(question="q", text=f"县民政局负责{XSS}[1]\n第二句[2]", citations=[], abstained=False, qtype="general")
    md = answer_markdown(ans)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert md.count('<a class="kb-marker" href="#kb-src-') == 2  # links to the source cards
    assert r"\[1\]" in md and r"\[2\]" in md
    assert 'href="#kb-src-3-2"' in answer_markdown(ans, turn=3)  # the cards of answer 3
    assert "\n" in md  # lines kept


def test_answer_markdown_abstained_and_table():
    rows = [{"doc_id": "xiamen-pilot-plan", "title": "厦门|方案", "region": "厦门", "figure": "500平方米", "deadline": "", "n": 1},
            {"doc_id": "zhuhai-plan", "region": "珠海", "title": "珠海方案", "figure": "15分钟", "deadline": "2025年", "n": 2}]
    ans = Answer(question="q", text="没有找到。", citations=[], abstained=True, qtype="comparison", table=rows)
    md = answer_markdown(ans)
    assert md.startswith("⚠️ ")
    lines = md.split("\n\n", 1)[1].split("\n")
    assert lines[0] == "| 地区 | 文件 | 内容 | 期限 | 出处 |"  # doc_id hidden, Chinese headers, region first
    assert lines[1].count("---") == 5
    assert r"厦门\|方案" in lines[2]  # a pipe in a cell cannot break the table
    assert lines[3].endswith(r"| 2025年 | \[2\] |")


def test_table_markdown_empty():
    assert table_markdown([]) == ""


# ------------------------------------------------------------------ highlights and cards

def test_merge_spans_sorts_clips_and_merges():
    assert merge_spans([(5, 8), (0, 3), (2, 4), (7, 20), (30, 40), (6, 6)], 10) == [(0, 4), (5, 10)]
    assert merge_spans(None, 10) == []


def test_highlight_html_marks_evidence_and_escapes():
    text = "甲<b>乙丙丁"
    out = highlight_html(text, [(4, 6), (0, 1)])
    assert out == '<mark class="kb-ev">甲</mark>&lt;b&gt;<mark class="kb-ev">乙丙</mark>丁'


def test_source_card_shows_title_region_section_and_highlight():
    p = passage()
    card = source_card_html(Citation(n=2, passage=p, highlights=[(0, 4)]))
    assert 'id="kb-src-2"' in card and 'data-doc="putian-county-plan"' in card
    assert "关于&lt;全面&gt;贯彻的实施方案" in card  # title escaped
    assert "仙游（莆田） · 县级" in card
    assert "二、增加服务供给、提升服务效能 &gt; (一)完善基本公共服务功能 &gt; 1.优化社区养老和助残服务供给" in card
    assert '<mark class="kb-ev">支持餐饮</mark>' in card
    assert "责任单位：县民政局、卫健局" in card


def test_cards_escape_document_text():
    p = passage(text=XSS)
    for html in (source_card_html(Citation(1, p, [(0, 8)])), related_card_html(Hit(p, 0.5), 1)):
        assert "<script>" not in html and "&lt;script&gt;" in html
    assert "可能相关" in related_card_html(Hit(p, 0.5), 1)


# ------------------------------------------------------------------ document view

def small_doc():
    text = "总则\n一、目标\n到2025年建成<驿站>。\n(一)任务\n由县民政局负责。\n二、保障\n加强保障。"
    i1, i2, i3 = text.index("一、目标"), text.index("(一)任务"), text.index("二、保障")
    sub = Section("(一)任务", 2, i2, i3, body_start=i2 + 5)
    s1 = Section("一、目标", 1, i1, i3, body_start=i1 + 4, children=[sub])
    s2 = Section("二、保障", 1, i3, len(text), body_start=i3 + 4)
    root = Section("", 0, 0, len(text), children=[s1, s2])
    return text, root


def test_tree_html_links_every_heading():
    text, root = small_doc()
    tree = tree_html(root)
    assert re.findall(r'href="#(kb-sec-\d+)"', tree) == ["kb-sec-1", "kb-sec-2", "kb-sec-3"]
    assert tree.index("一、目标") < tree.index("(一)任务") < tree.index("二、保障")
    assert "本文没有识别出标题层级" in tree_html(Section("", 0, 0, 0))


def test_document_html_anchors_headings_focus_and_marks():
    text, root = small_doc()
    s = text.index("由县民政局")
    html = document_html(text, root, focus=(s, s + 8), marks=[(s + 1, s + 4)])
    # every character of the text is still there, escaped, in order
    plain = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">")
    assert plain == text
    assert "&lt;驿站&gt;" in html and "<驿站>" not in html
    for sid in ("kb-sec-1", "kb-sec-2", "kb-sec-3"):
        assert f'id="{sid}"' in html
    assert html.count('id="kb-focus"') == 1
    assert html.index('id="kb-focus"') < html.index("由")
    assert '<span class="kb-focus kb-ev">县民政</span>' in html
    assert '<span class="kb-h kb-h2">(一)任务\n</span>' in html  # a heading's line break belongs to it


def test_document_html_without_focus_has_no_focus_anchor():
    text, root = small_doc()
    assert "kb-focus" not in document_html(text, root)
    assert "kb-focus" not in document_html(text, root, focus=(5, 5))


# ------------------------------------------------------------------ tables and CSV

def test_filter_rows_needs_every_term():
    rows = [["衡水", "市民政局", "养老服务"], ["珠海", "市卫健局", "托育"], ["厦门", "市民政局", "托育"]]
    assert filter_rows(rows, "") == rows
    assert filter_rows(rows, "民政局 托育") == [rows[2]]
    assert filter_rows(rows, "  ") == rows
    assert filter_rows(rows, "不存在") == []


def test_write_csv_utf8_bom_and_formula_guard(tmp_path):
    path = write_csv(tmp_path / "x" / "t.csv", ["指标", "值"], [["托位数", "=1+1"], ["覆盖率", "-5%"], ["人员", "40"]])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert rows == [["指标", "值"], ["托位数", "'=1+1"], ["覆盖率", "'-5%"], ["人员", "40"]]


def test_parse_number():
    assert parse_number("达到40人以上") == 40.0
    assert parse_number("5.5个") == 5.5
    assert parse_number("——") is None


# ------------------------------------------------------------------ feedback log

def test_feedback_log_appends_json_lines_and_exports(tmp_path):
    log = FeedbackLog(tmp_path / "data")
    assert log.records() == []
    assert log.export().read_text(encoding="utf-8") == ""  # an empty export before any rating
    ans = Answer(question="老年人助餐服务由哪些部门负责？", text="县民政局[1]",
                 citations=[Citation(1, passage(), [(0, 2)])], abstained=False, qtype="responsibility")
    turn = answer_record(ans, ["之前的问题"])
    log.record("up", turn)
    log.record("down", turn, note="不完整")
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["rating"] == "up" and first["question"] == "老年人助餐服务由哪些部门负责？"
    assert first["answer"] == "县民政局[1]" and first["history"] == ["之前的问题"]
    assert first["citations"][0]["doc_id"] == "putian-county-plan"
    assert first["citations"][0]["section"].endswith("1.优化社区养老和助残服务供给")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", first["time"])
    assert json.loads(lines[1])["note"] == "不完整"
    exported = log.export()
    assert exported.read_text(encoding="utf-8") == log.path.read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        log.record("meh", turn)


def test_feedback_log_skips_a_torn_line(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record("up", {"question": "q", "answer": "a"})
    with log.path.open("a", encoding="utf-8") as fh:
        fh.write('{"time": "2026-')  # killed mid-write
    assert [r["question"] for r in log.records()] == ["q"]


# ------------------------------------------------------------------ uploads

def test_check_uploads_type_size_and_empty(tmp_path):
    from kb.ui.upload import check_uploads

    good = tmp_path / "a.txt"
    good.write_text("社区服务", encoding="utf-8")
    exe = tmp_path / "b.exe"
    exe.write_bytes(b"MZ")
    empty = tmp_path / "c.md"
    empty.write_bytes(b"")
    big = tmp_path / "d.txt"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    ok, warnings = check_uploads([str(good), str(exe), str(empty), str(big), str(tmp_path / "gone.txt")], max_mb=1)
    assert ok == [good]
    assert len(warnings) == 4
    assert "不支持的文件类型 .exe" in warnings[0]
    assert "空的" in warnings[1] and "超过 1 MB" in warnings[2] and "不见了" in warnings[3]


def test_engine_upload_warnings_are_shown_in_chinese():
    from kb.ui.upload import warning_zh

    assert (warning_zh("a b.txt: same content as the indexed document zhuhai-plan; not added again")
            == "a b.txt：内容与已收录的文件 zhuhai-plan 相同，未重复加入")
    assert warning_zh("x.exe: unsupported type .exe; supported: .md, .txt") == "x.exe：不支持的文件类型 .exe，支持 .md, .txt"
    assert warning_zh("big.pdf: larger than 20 MB") == "big.pdf：超过 20 MB 的上限"
    assert warning_zh("something else") == "something else"


# ------------------------------------------------------------------ pages against the real engine

def test_pages_fill_from_the_real_engine(engine, tmp_path):
    from kb.ui import DocumentsPage, EngineHolder, TargetsPage, TasksPage
    from kb.ui.targets import chart_frame, comparable

    holder = EngineHolder(engine.settings, opener=lambda settings, progress: engine, warm_up=False).start()
    assert holder.wait() is engine

    tasks = TasksPage(holder, tmp_path)
    rows, count, path = tasks.data("县民政局")
    assert rows and all("县民政局" in "".join(r) for r in rows)
    assert f"共 {len(engine.tasks)} 项任务，筛选后 {len(rows)} 项" == count
    with open(path, encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) == len(rows) + 1  # the CSV holds the filtered rows
    assert len(tasks.data("")[0]) == len(engine.tasks)

    docs = {d.doc_id: d for d in engine.documents}
    groups = comparable(engine.targets, docs)
    assert groups and all(len({t.doc_id for t in ts}) >= 2 for ts in groups.values())
    frame = chart_frame(next(iter(groups.values())), docs)
    assert len(frame) >= 2 and frame["目标值"].notna().all()
    targets = TargetsPage(holder, tmp_path)
    table, count, download, key, plot = targets.on_ready(engine)
    assert len(table.value["data"]) == len(engine.targets)
    assert key.value in groups

    page = DocumentsPage(holder)
    p = next(p for p in engine.passages if p.doc_id == "putian-county-plan" and "助餐" in p.text)
    doc_id, caption, tree, text = page.open_at(p.doc_id, p.start, p.end)
    assert doc_id == "putian-county-plan"
    assert "关于全面贯彻市城乡社区服务体系建设规划的实施方案" in caption
    assert "1.优化社区养老和助残服务供给" in tree
    assert 'id="kb-focus"' in text
    focused = "".join(re.findall(r'<span class="[^"]*kb-focus[^"]*">([^<]*)</span>', text))
    assert render.esc(p.text) == focused


def test_holder_reports_a_failed_open(tmp_path):
    """The real Engine.open on an empty corpus folder fails; every page load gets the message."""
    from kb.settings import Settings
    from kb.ui import EngineHolder

    (tmp_path / "corpus").mkdir()
    settings = Settings.load(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    holder = EngineHolder(settings, warm_up=False).start()
    seen = []
    with pytest.raises(RuntimeError, match="知识库无法打开：.*no readable documents"):
        holder.wait(progress=lambda frac, desc: seen.append(desc), poll=0.01)
    assert not holder.ready


# ------------------------------------------------------------------ places, tables, links (issue 9)

def test_every_line_citing_several_documents_names_its_place():
    from kb.present import labelled_lines

    cits = [{"n": 1, "doc_id": "county", "region": "仙游（莆田）", "title": "关于全面贯彻市城乡社区服务体系建设规划的实施方案"},
            {"n": 2, "doc_id": "city", "region": "厦门", "title": "厦门市创建全省城乡社区近邻服务试点市实施方案"}]
    text = ("《关于全面贯彻市城乡社区服务体系建设规划的实施方案》1.优化养老 —— 责任单位：县民政局[1]\n"
            "  相关内容：建设长者食堂。[1]\n"
            "《厦门市创建全省城乡社区近邻服务试点市实施方案》1.近邻敬老[2]\n"
            "厦门（《厦门市创建全省城乡社区近邻服务试点市实施方案》）：已写明地方。[2]\n"
            "两地都要求[1][2]\n"
            "没有引用的一行")
    out = labelled_lines(text, cits)
    assert out[0].startswith("【仙游（莆田）】《关于全面贯彻")  # the county plan by its place, not only its title
    assert out[1] == "  相关内容：建设长者食堂。[1]"  # a continuation follows its head line
    assert out[2].startswith("【厦门】《厦门市")  # a place inside the title is not the start of the line
    assert out[3].startswith("厦门（")  # already named first: unchanged
    assert out[4] == "【仙游（莆田）】【厦门】两地都要求[1][2]"
    assert out[5] == "没有引用的一行"
    # one document cited: nothing to tell apart
    assert labelled_lines("甲[1]\n乙[1]", cits[:1]) == ["甲[1]", "乙[1]"]


def test_passage_html_renders_indicator_tables_with_marks():
    from kb.ui.render import passage_html

    text = "主要指标如下：\n| 指标 | 2025年 |\n|---|---|\n| 每千人口托位数 | 5.5个 |\n其余<b>说明"
    s = text.index("5.5个")
    out = passage_html(text, [(s, s + 3)])
    assert out.count("<table") == 1 and out.count("<tr>") == 2  # the |---| rule is not a row
    assert "<td>每千人口托位数</td>" in out and '<td><mark class="kb-ev">5.5</mark>个</td>' in out
    assert "|" not in out and "&lt;b&gt;" in out and "主要指标如下" in out
    assert passage_html("甲|乙|丙", []) == "甲|乙|丙"  # a bar in prose is not a table


def test_source_card_of_a_turn_is_the_target_of_its_markers():
    p = passage()
    card = source_card_html(Citation(n=2, passage=p), turn=3)
    assert 'id="kb-src-3-2"' in card
    md = answer_markdown(Answer(question="q", text="县民政局[2]", citations=[Citation(2, p)], abstained=False,
                                qtype="general"), turn=3)
    assert 'href="#kb-src-3-2"' in md


# ------------------------------------------------------------------ Word export against the real engine

def test_word_export_holds_the_answer_and_its_cited_text(engine, tmp_path):
    from docx import Document

    from kb.export import answer_docx, history_docx
    from kb.present import answer_json

    q1, q2 = "老年人助餐服务由哪些部门负责？", "珠海和厦门在社区养老方面分别有什么安排？"
    a1, a2 = engine.ask(q1), engine.ask(q2)
    d1, d2 = answer_json(None, q1, a1), answer_json(None, q2, a2)
    assert d1["citations"] and d2["citations"]

    doc = Document(str(answer_docx(d1, tmp_path / "one.docx")))
    paras = [p.text for p in doc.paragraphs]
    body = "\n".join(paras)
    assert any(q1 in p for p in paras)
    for c in d1["citations"]:
        first_line = c["text"].split("\n")[0].strip()
        assert first_line in body  # the cited passage itself, for checking upward
        assert c["title"] in body and c["section"] in body
    assert "县民政局" in body and "[1]" in body

    doc = Document(str(history_docx([d1, d2], tmp_path / "chat.docx")))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert body.index(q1) < body.index(q2)  # in the order asked
    assert any(c["region"] in body for c in d2["citations"])
    if d2["table"]:  # a comparison answer's table is a Word table
        assert doc.tables


def test_word_export_turns_indicator_lines_into_a_table_and_drops_bad_characters(tmp_path):
    from docx import Document

    from kb.export import answer_docx

    item = {"question": "托位数目标？\x01", "answer": "不少于5.5个[1]", "abstained": False, "table": [],
            "citations": [{"n": 1, "doc_id": "d", "title": "某市规划", "region": "某市", "level": "市", "section": "二、目标",
                           "text": "主要指标：\n| 指标 | 目标值 |\n|---|---|\n| 每千人口托位数 | 5.5个 |"}], "related": []}
    doc = Document(str(answer_docx(item, tmp_path / "t.docx")))
    assert len(doc.tables) == 1
    assert [c.text for c in doc.tables[0].rows[1].cells] == ["每千人口托位数", "5.5个"]
    assert any("托位数目标？" in p.text and "\x01" not in p.text for p in doc.paragraphs)


# ------------------------------------------------------------------ responsibilities page (issue 9)

def test_tasks_page_lead_column_only_where_the_text_says_lead(engine, tmp_path):
    from kb.ui import EngineHolder, TasksPage
    from kb.ui.tasks import NO_DEADLINE, deadlines

    holder = EngineHolder(engine.settings, opener=lambda settings, progress: engine, warm_up=False).start()
    page = TasksPage(holder, tmp_path)
    rows, count, _ = page.data("")
    assert len(rows) == len(engine.tasks)
    for (region, title, task, lead, units, deadline, clause) in rows:
        if lead:
            assert "牵头" in clause
        else:
            assert units  # a plain 责任单位 list: all named under 责任单位
    assert any(r[3] for r in rows) and any(not r[3] and r[4] for r in rows)

    # search by the task's own text: a phrase of a task body that is in no shown column
    t = next(t for t in engine.tasks if "长者食堂" in engine.doc_text(t["doc_id"])[t["start"]:t["end"]])
    assert all("长者食堂" not in "".join(r) for r in rows if r[6] == t["clause"])
    found, _, _ = page.data("长者食堂")
    assert t["clause"] in [r[6] for r in found]

    # filters: unit, document, deadline
    unit_rows, count, _ = page.data("", unit="县民政局")
    assert unit_rows and all("县民政局" in (r[3] + "、" + r[4]).split("、") for r in unit_rows)
    assert count.endswith(f"筛选后 {len(unit_rows)} 项")
    doc_rows, _, _ = page.data("", doc="zhuhai-plan")
    assert doc_rows and {r[1] for r in doc_rows} == {"珠海市城乡社区服务体系建设“十四五”规划实施方案"}
    year_rows, _, _ = page.data("", deadline="2025年")
    assert year_rows and all("2025年" in r[5] for r in year_rows)
    none_rows, _, _ = page.data("", deadline=NO_DEADLINE)
    assert len(year_rows) + len(none_rows) <= len(rows) and all(r[5] == NO_DEADLINE for r in none_rows)

    assert deadlines("力争到2025年底前完成，2022年5月10日印发，持续推进") == ["2025年底前", "持续推进"]


# ------------------------------------------------------------------ feedback log: several writers at once

def _feedback_writer(args):
    folder, worker, n = args
    from kb.feedback import FeedbackLog

    log = FeedbackLog(folder)
    for i in range(n):
        log.record("up", {"question": f"w{worker}-{i}", "answer": "答" * 3000})  # lines longer than a pipe buffer
    return n


def test_feedback_log_keeps_whole_lines_with_concurrent_writers(tmp_path):
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        total = sum(pool.map(_feedback_writer, [(str(tmp_path), w, 40) for w in range(4)]))
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == total == 160
    questions = {json.loads(line)["question"] for line in lines}  # every line parses: none interleaved
    assert len(questions) == 160


# ------------------------------------------------------------------ app: offline, one API

def test_app_is_offline_and_has_one_api_endpoint(engine, tmp_path, monkeypatch):
    import importlib
    import os

    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    import app as app_module

    importlib.reload(app_module)
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"

    from kb.ui import EngineHolder

    holder = EngineHolder(engine.settings, opener=lambda settings, progress: engine, warm_up=False).start()
    settings = engine.settings.replace(data_dir=tmp_path / "data")
    demo = app_module.build_app(settings, holder)
    assert demo.analytics_enabled is False
    public = [fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]
    assert list(demo.get_api_info()["named_endpoints"]) == ["/ask"]
    # the endpoint's function returns the CLI's JSON object
    fn = next(fn for fn in demo.fns.values() if fn.api_name == "ask").fn
    out = fn("老年人助餐服务由哪些部门负责？")
    assert set(out) >= {"id", "question", "answer", "abstained", "type", "citations", "table", "related"}
    assert out["citations"] and "县民政局" in out["answer"]


def test_busy_port_names_the_port_flag():
    import socket
    import subprocess
    import sys

    from kb.settings import PROJECT_ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "app.py", "--port", str(port)], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=180)
    assert out.returncode != 0
    assert f"端口 {port} 已被占用" in out.stderr and "--port" in out.stderr
    assert "Traceback" not in out.stderr and "share=True" not in out.stdout + out.stderr
