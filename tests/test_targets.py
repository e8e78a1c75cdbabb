"""Numeric targets from the real documents: sentences and the flattened indicator tables."""
from pathlib import Path

import pytest

from kb.index import parse_document
from kb.ingest import load_corpus
from kb.targets import extract_targets, indicator_key

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def targets():
    docs, _warnings = load_corpus(CORPUS)
    out = {}
    for d in docs:
        pd = parse_document(d)
        out[d.doc_id] = (pd.text, extract_targets(d.doc_id, pd.text, pd.root))
    return out


def find(targets, doc_id, word, value=None):
    text, ts = targets[doc_id]
    found = [t for t in ts if word in t.indicator and (value is None or value in t.value)]
    assert found, f"no target with {word!r} {value or ''} in {doc_id}: {[(t.indicator, t.value) for t in ts][:40]}"
    return found[0]


def test_sentence_target_with_comparator_unit_and_deadline(targets):
    t = find(targets, "zhuhai-plan", "托位数")
    assert (t.value, t.unit, t.deadline) == ("不少于5.5个", "个", "2025年")
    assert t.section.endswith("5.发展城乡社区养老托育服务")


def test_offsets_point_at_the_sentence(targets):
    for doc_id, (text, ts) in targets.items():
        for t in ts:
            assert text[t.start:t.end] == t.sentence, (doc_id, t)
            assert t.value.rstrip("以上左右以内") .lstrip("不少于不低于超过达到≥至少") in t.sentence.replace(" ", "") \
                or t.source == "table"


def test_zhejiang_table_row_takes_the_2025_column(targets):
    t = find(targets, "zhejiang-plan", "每千人拥有婴幼儿照护设施托位数")
    assert t.source == "table"
    assert t.value.startswith("4.5") and t.unit == "张" and t.deadline == "2025年"
    # a row with only one figure: that figure is the target
    assert find(targets, "zhejiang-plan", "城镇老旧小区改造数量").value.startswith("3000")


def test_hengshui_table_one_cell_per_line(targets):
    t = find(targets, "hengshui-plan", "每百户居民拥有社区综合服务设施面积")
    assert t.value == "30平方米" and t.deadline == "2025年"  # 236平方米 is the 2020 base value
    assert find(targets, "hengshui-plan", "农村社区综合服务设施覆盖率").value == "80%"


def test_percent_target_with_year_end_deadline(targets):
    t = find(targets, "putian-county-plan", "特殊人群签约覆盖率")
    assert "75%" in t.value and t.deadline == "2025年底"


def test_ages_years_and_document_titles_are_not_targets(targets):
    for _doc, (_text, ts) in targets.items():
        for t in ts:
            assert t.unit not in ("岁", "年")
            assert not t.value.startswith("2021")


def test_key_matches_the_same_indicator_across_documents(targets):
    a = find(targets, "hengshui-plan", "社区商业和综合服务设施面积占社区总建筑面积比例")
    b = find(targets, "zhejiang-plan", "社区商业和综合服务设施面积占社区总建筑面积的比例")
    assert a.key == b.key
    assert indicator_key("到2025年每千名人口拥有3岁以下婴幼儿托位数") == indicator_key("每千人口拥有婴幼儿托位数")
    assert indicator_key("农村社区综合服务设施覆盖率") != indicator_key("城市社区综合服务设施覆盖率")


def test_key_is_empty_when_nothing_identifies_the_indicator():
    assert indicator_key("培养") == "" and indicator_key("全县完成") == ""
    assert indicator_key("社区商业和综合服务设施面积占社区总建筑面积") == \
        indicator_key("社区商业和综合服务设施面积占社区总建筑面积的比例")


def _targets_of(text):
    from kb.structure import parse_document as parse_text

    root, _ = parse_text(text)
    return [(t.indicator, t.value, t.deadline, t.source) for t in extract_targets("x", text, root)]


def test_baseline_statistics_are_not_targets_and_tables_take_the_target_column():
    text = ("一、发展基础\n截至2020年底，全市共有城市社区212个，覆盖率达到86%。\n二、发展目标\n"
            "到2025年，城市社区覆盖率达到100%，每个城市社区的社区组织不少于10个、每个农村社区不少于5个。\n"
            "主要指标\n指标 | 2020年基期值 | 2025年目标值 | 属性\n持证社会工作者数（万人） | 1.1 | 2.5 | 预期性\n")
    got = _targets_of(text)
    assert not any(v.startswith(("212", "86")) for _, v, _, _ in got)  # 截至… / 发展基础: statistics
    table = [t for t in got if t[3] == "table"]
    assert table == [("持证社会工作者数", "2.5万人", "2025年", "table")]
    text_targets = {v: (i, d) for i, v, d, s in got if s == "text"}
    assert text_targets["不少于5个"][0] == "每个农村社区"  # its own subject, not the first figure's
    assert all(d == "2025年" for _, d in text_targets.values())


def test_indicator_table_with_year_columns_and_a_unit_column():
    text = ("主要指标\n| 指标名称 | 单位 | 2020年 | 2025年 | 属性 |\n| 社区养老服务设施覆盖率 | % | 60 | 90 | 预期性 |\n"
            "| 社区工作者数 | 人 | 10 | 18 | 预期性 |\n")
    assert [(i, v, d) for i, v, d, s in _targets_of(text)] == [("社区养老服务设施覆盖率", "90%", "2025年"),
                                                               ("社区工作者数", "18人", "2025年")]


def test_flattened_table_without_a_kind_column_and_an_elliptical_subject():
    text = ("一、目标\n到2025年底，中心城区社区养老服务设施覆盖率达到90%、县城达到60%。\n"
            "附：2024年主要工作指标\n指标\n2023年完成值\n2024年目标值\n社区综合服务设施达标率（%）\n91\n100\n"
            "社区老年助餐点（个）\n64\n90\n")
    got = [(i, v) for i, v, _d, _s in _targets_of(text)]
    assert ("县城社区养老服务设施覆盖率", "达到60%") in got
    assert ("社区综合服务设施达标率", "100%") in got and ("社区老年助餐点", "90个") in got
    assert not any(v.startswith(("91", "64")) for _, v in got)  # the 完成值 column is no target


def test_a_number_in_words_is_a_figure_only_after_a_minimum_or_a_verb_of_having():
    got = _targets_of("一、主要任务\n到2025年，各乡镇至少建有一所残疾人托养中心，每个村配备两名协管员。"
                      "搭建一个服务平台，打造一批示范社区。\n")
    values = {v: i for i, v, _d, _s in got}
    assert "一所" in values and "残疾人托养中心" in values["一所"]
    assert "两名" in values
    assert not any(v.startswith(("一个", "一批")) for v in values)  # an article, not a figure
