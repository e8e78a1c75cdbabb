"""Heading trees and responsibility clauses parsed from the real documents."""
from pathlib import Path

import pytest

from kb.chunking import chunk_document
from kb.index import parse_document
from kb.ingest import load_corpus
from kb.structure import _parse_units, cn_to_int, section_paths

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def parsed():
    docs, warnings = load_corpus(CORPUS)
    assert not warnings
    return {d.doc_id: parse_document(d) for d in docs}


def find(pd, heading_prefix):
    for path, node in section_paths(pd.root):
        if node.heading.startswith(heading_prefix):
            return path, node
    raise AssertionError(f"no section {heading_prefix!r} in {pd.meta.doc_id}")


def test_county_plan_meal_task_units(parsed):
    pd = parsed["putian-county-plan"]
    path, node = find(pd, "1.优化社区养老和助残服务供给")
    assert path == ["二、增加服务供给、提升服务效能", "(一)完善基本公共服务功能", "1.优化社区养老和助残服务供给"]
    assert "助餐服务" in pd.text[node.start:node.end]
    r = node.responsibility
    assert r.units == ["县民政局", "卫健局", "自然资源局", "住建局", "城市管理局", "残联"]
    assert r.text.startswith("责任单位:县民政局")


def test_run_in_headings_of_the_one_line_docx(parsed):
    pd = parsed["putian-county-plan"]
    top = [n.heading for n in pd.root.children]
    assert top[:5] == ["一、坚持党建引领、构建服务格局", "二、增加服务供给、提升服务效能", "三、优化功能布局、补齐发展短板",
                       "四、强化组织保障、增强发展后劲", "五、加快融合发展、促进仙台交流"]
    # "3加强…" lost its dot in the export; the numbering still finds it
    _, node = find(pd, "3加强重点群体就业服务")
    assert node.responsibility.units == ["县教育局", "民政局", "财政局", "人社局"]


def test_lead_and_partners(parsed):
    pd = parsed["putian-county-plan"]
    _, node = find(pd, "(一)充分发挥党建引领作用")
    # "责任单位:县委组织部、…按职责分工负责,各乡镇人民政府、鲤城街道办事处落实": no unit is called 牵头
    # (GENRE.md), so every unit is a partner, in the order written.
    assert node.responsibility.lead == []
    assert node.responsibility.partners[0] == "县委组织部"
    assert node.responsibility.partners[-2:] == ["各乡镇人民政府", "鲤城街道办事处"]
    _, node = find(pd, "7.健全社会工作和志愿服务体系")
    assert node.responsibility.lead == ["县民政局"]  # "县民政局牵头负责"
    hs = parsed["hengshui-plan"]
    _, node = find(hs, "(四)强化监测评估")
    assert node.responsibility.lead == ["市民政局", "市发展改革委"]  # "…牵头,会同有关部门…"


def test_zhuhai_bracket_clauses_and_numbering_across_sections(parsed):
    pd = parsed["zhuhai-plan"]
    _, node = find(pd, "5.发展城乡社区养老托育服务")
    assert node.responsibility.units == ["市民政局", "市卫生健康局", "市妇联", "各区(功能区)"]
    # tasks are numbered on across (一)/(二): "8." under (二) is still a task
    path, node = find(pd, "8.推进城乡社区综合网格建设")
    assert path[-2].startswith("(二)提升城乡社区公共安全水平")
    assert node.responsibility is not None
    assert sum(1 for _, n in section_paths(pd.root) if n.responsibility) == len(pd.clauses) == 25


def test_xiamen_parenthesised_clause(parsed):
    pd = parsed["xiamen-pilot-plan"]
    _, node = find(pd, "1.近邻敬老")
    assert node.responsibility.units == ["各区", "市民政局", "市卫健委"]


def test_boxes_number_their_items_apart(parsed):
    pd = parsed["hengshui-plan"]
    path, node = find(pd, "专栏2")
    assert node.kind == "box" and path[-2] == "(二)扩大城乡社区服务有效供给"
    items = [c.heading for c in node.children]
    assert items[0] == "1.城乡社区固本强基行动" and len(items) == 14
    # prose like "(小区)" or "统一、" never becomes a heading
    for _, n in section_paths(pd.root):
        assert not n.heading.startswith(("(小区)", "统一"))


def test_every_clause_attached_in_every_document(parsed):
    for pd in parsed.values():
        attached = sum(1 for _, n in section_paths(pd.root) if n.responsibility)
        assert attached == len(pd.clauses), pd.meta.doc_id


def test_passages_never_span_two_tasks(parsed):
    for pd in parsed.values():
        passages = chunk_document(pd.meta, pd.text, pd.root, pd.clauses, 300, 60)
        assert passages
        for p in passages:
            assert pd.text[p.start:p.end] == p.text
            assert len(p.text) <= 300
            # a clause's text may close a passage but never sits in the middle of one followed by another task
            for c in pd.clauses:
                if p.start < c.end < p.end:
                    assert not pd.text[c.end:p.end].strip(), f"{p.pid} runs past the clause ending at {c.end}"
        meal = [p for p in passages if "助餐服务" in p.text and p.doc_id == "putian-county-plan"]
        if meal:
            assert meal[0].units[0] == "县民政局"  # a 责任单位 list without 牵头: partners
            same_task = [p for p in passages if p.task_id == meal[0].task_id]
            assert any(p.responsibility and p.responsibility in p.text for p in same_task)


def test_unit_parsing_and_numbers():
    # 按职责分工负责 names responsible units, not a 牵头 unit
    assert _parse_units("县民政局、卫健局等按职责分工负责") == ([], ["县民政局", "卫健局"])
    assert _parse_units("市民政局牵头,市财政局配合") == (["市民政局"], ["市财政局"])
    assert cn_to_int("十二") == 12 and cn_to_int("二十") == 20 and cn_to_int("七") == 7
