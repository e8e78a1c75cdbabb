"""Cleaning on cases taken from the real corpus, and the offset map back to the raw text."""
from pathlib import Path

import pytest

from kb.clean import clean_text, infer_title, is_spaced
from kb.ingest import read_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def clean_doc(name):
    raw = read_text(CORPUS / name)
    return raw, clean_text(raw)


def test_spaced_pdf_text_is_joined():
    raw, ct = clean_doc("zhuhai-plan.txt")
    assert "珠 海 市 民 政 局" in raw and is_spaced(raw)
    assert "珠海市民政局" in ct.text
    assert "珠民〔2023〕5号" in ct.text
    # a clause that the PDF broke across lines with a space inside a unit name
    assert "各区(功能区)】" in ct.text and "各 区" not in ct.text


def test_page_markers_removed():
    raw, ct = clean_doc("zhuhai-plan.txt")
    assert "/ 1 /" in raw and "/ 21 /" in raw
    assert "/ 1 /" not in ct.text and "/1/" not in ct.text and "/ 21 /" not in ct.text


def test_one_line_docx_file_name_and_ocr_artefacts():
    raw, ct = clean_doc("putian-county-plan.txt")
    assert raw.splitlines()[0].endswith(".docx")
    assert not ct.text.startswith("关于全面贯彻市城乡社区服务体系建设规划的实施方案.docx")
    assert "80%o" in raw and "80%o" not in ct.text and "率达到80%。持续深化" in ct.text
    assert "31Bo" in raw and ct.text.endswith("2028年12月31日。")
    assert "比例250%" in raw and "比例≥50%" in ct.text
    # the docx list number "1 ." is rejoined so the heading parser sees "1."
    assert "1 .优化" in raw and "1.优化社区养老和助残服务供给" in ct.text


def test_web_boilerplate_and_nbsp_removed():
    raw, ct = clean_doc("hengshui-plan.txt")
    for junk in ("您当前的位置", "字体:[ ]", "Produced By", "浏览次数", "\xa0"):
        assert junk in raw
        assert junk not in ct.text
    assert "衡政办字〔2022〕28号" in ct.text
    raw, ct = clean_doc("zhejiang-plan.txt")
    assert "微博推荐" in raw and "微博推荐" not in ct.text


def test_flattened_table_keeps_its_columns():
    _, ct = clean_doc("zhejiang-plan.txt")
    assert "16 每千人拥有婴幼儿照护设施托位数(张) 1.8 4.5 预期性" in ct.text


def test_news_preamble_dropped_without_duplicates():
    raw, ct = clean_doc("zhejiang-plan.txt")
    phrase = "通过购买服务、公益创投、积分激励等项目化机制"
    assert raw.count(phrase) >= 2
    assert ct.text.count(phrase) == 1
    assert ct.text.startswith("浙江省城乡现代社区服务体系建设“十四五”规划")


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_offsets_map_back_to_the_raw_text(name):
    raw, ct = clean_doc(name)
    assert len(ct.offsets) == len(ct.text)
    assert all(a < b for a, b in zip(ct.offsets, ct.offsets[1:])), "offsets must increase"
    # every kept character that was not rewritten is the same character in the raw text
    same = sum(1 for i, ch in enumerate(ct.text) if raw[ct.offsets[i]] == ch)
    assert same / len(ct.text) > 0.999
    i = ct.text.find("责任") if "责任" in ct.text else len(ct.text) // 2
    s, e = ct.raw_span(i, i + 20)
    assert "".join(raw[s:e].split()) == "".join(ct.text[i:i + 20].split())


def test_infer_title():
    assert infer_title("厦门市创建全省城乡社区近邻服务试点市实施方案\n为认真贯彻…") == "厦门市创建全省城乡社区近邻服务试点市实施方案"
    assert infer_title("关于全面贯彻市城乡社区服务体系建设规划的实施方案为不断强化社区为民") .startswith("关于全面贯彻市城乡社区服务体系建设规划")
