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


# ---------------------------------------------------------------- extraction dirt written for each rule

def check_offsets(raw, ct):
    assert len(ct.offsets) == len(ct.text)
    assert all(a < b for a, b in zip(ct.offsets, ct.offsets[1:]))
    same = sum(1 for i, ch in enumerate(ct.text) if raw[ct.offsets[i]] == ch)
    assert same / max(1, len(ct.text)) > 0.97


PARAGRAPH = ("为积极应对人口老龄化，加快构建居家社区机构相协调、医养康养相结合的养老服务体系，让老年人在家门口享受到方便可及、"
             "价格可承受、质量有保障的养老服务，结合我市实际，制定本方案。")
TASK = ("（一）健全三级养老服务网络。按照“区县有指导中心、街道有综合中心、社区有服务站”的要求，统筹规划布局养老服务设施，"
        "推动养老服务设施与社区综合服务设施统筹设置、功能互补。")
CLAUSE = "（市民政局牵头，市财政局配合）"


def wrap(text, width=26):
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def pdf_pages():
    """Three pages as pypdf gives them: wrapped lines, a running header from page 2, page numbers."""
    header = "石门市养老服务网络实施方案"
    p1 = "\n".join([header, wrap(PARAGRAPH), "一、总体目标", wrap(PARAGRAPH[::-1]), "二、主要任务", wrap(TASK[:52]), "- 1 -"])
    p2 = "\n".join([header, wrap(TASK[52:] + CLAUSE), wrap("（二）" + PARAGRAPH[2:]), "- 2 -"])
    p3 = "\n".join([header, wrap("（三）" + PARAGRAPH[2:]), "石门市人民政府办公室", "2023年7月6日", "- 3 -"])
    return "\f".join([p1, p2, p3])


def test_pdf_wraps_joined_and_page_furniture_dropped():
    raw = pdf_pages()
    ct = clean_text(raw)
    lines = ct.text.split("\n")
    assert lines[0] == "石门市养老服务网络实施方案" and ct.text.count("石门市养老服务网络实施方案") == 1
    assert PARAGRAPH in lines  # wrapped lines joined back into one paragraph
    assert "一、总体目标" in lines and "二、主要任务" in lines  # headings stay on their own lines
    assert TASK + CLAUSE in lines  # joined across the page break, the clause pushed to the next line too
    assert not any(l.strip() in ("- 1 -", "- 2 -", "- 3 -") for l in lines)
    assert lines[-2:] == ["石门市人民政府办公室", "2023年7月6日"]  # short lines are not wraps
    check_offsets(raw, ct)


def test_paragraph_per_line_text_is_not_joined():
    raw = "\n".join(["石门市养老服务网络实施方案", "一、总体目标", PARAGRAPH, "二、主要任务", TASK, CLAUSE, "（二）完善服务",
                     PARAGRAPH[::-1], "（三）强化保障", PARAGRAPH[:30] + "，持续推进"])
    assert clean_text(raw).text == raw


@pytest.mark.parametrize("marker", ["- 3 -", "— 3 —", "/ 3 /", "第3页 共10页", "第 3 页", "共10页 第3页", "3/10", "Page 3 of 10"])
def test_page_number_lines(marker):
    raw = f"一、总体目标\n{PARAGRAPH}\n{marker}\n二、主要任务"
    assert clean_text(raw).text == f"一、总体目标\n{PARAGRAPH}\n二、主要任务"


def test_page_markers_run_into_one_line_text():
    raw = "服务情况反馈所在单位党组织。【责任部门：区委组织部】/ 3 /2.建立积分激励机制。纳入社区网格管理，- 4 -开展星级评定。"
    ct = clean_text(raw)
    assert ct.text == "服务情况反馈所在单位党组织。【责任部门：区委组织部】2.建立积分激励机制。纳入社区网格管理，开展星级评定。"
    check_offsets(raw, ct)


def test_web_furniture_and_citation_boilerplate():
    raw = "\n".join([
        "您当前的位置：首页 > 政务公开 > 政府文件", "首页 > 政策文件 > 县政府文件", "石门县助餐服务实施方案",
        "发布时间：2024-02-28 16:05　来源：县政府办公室　字体：大 中 小　打印本页　浏览次数：1386",
        "【字体：大 中 小】【打印本页】【关闭窗口】", "一、工作目标", PARAGRAPH,
        "| 文号： | 石政办发〔2024〕5号 | 发布日期： | 2024-02-28 |",  # a table row is content, never furniture
        "分享到：微信 微博 QQ空间", "【法宝引证码】CLI.12.345678", "原文链接：https://example.gov.cn/a.html",
        "来源：石门县人民政府网", "主办单位：石门县人民政府办公室　承办单位：石门县大数据中心", "网站标识码：SM0000001",
    ])
    ct = clean_text(raw)
    assert ct.text.split("\n") == ["石门县助餐服务实施方案", "一、工作目标", PARAGRAPH,
                                   "| 文号： | 石政办发〔2024〕5号 | 发布日期： | 2024-02-28 |"]
    # run into the text of a one-line extraction, only the boilerplate span goes
    raw = PARAGRAPH + "引证码：CHL-2023-0522-0147　原文链接：https://a.example/b.html　本文来源于法规数据库（仅供参考）"
    assert clean_text(raw).text == PARAGRAPH


def test_letter_spaced_title_joined_but_flattened_table_columns_kept():
    raw = "关 于 印 发 石 门 县 助 餐 方 案 的 通 知\n16 每千人拥有托位数(张) 1.8 4.5 预期性\n" + PARAGRAPH
    ct = clean_text(raw)
    assert ct.text.split("\n")[:2] == ["关于印发石门县助餐方案的通知", "16 每千人拥有托位数(张) 1.8 4.5 预期性"]
    check_offsets(raw, ct)


def test_markdown_headings_kept_and_table_rules_dropped():
    raw = "# 东岭省社区服务规划\n\n## 一、发展基础\n\n| 指标 | 2025年目标值 |\n|---|:---:|\n| 社区综合服务设施覆盖率 | 100% |"
    assert clean_text(raw).text.split("\n") == ["# 东岭省社区服务规划", "## 一、发展基础", "| 指标 | 2025年目标值 |",
                                                "| 社区综合服务设施覆盖率 | 100% |"]


def test_table_flattened_one_cell_per_line_is_rebuilt_as_rows():
    cells = ["序号", "工作任务", "牵头单位", "配合单位", "完成时限",
             "1", "建设社区助餐点", "区民政局", "区商务局、区市场监督管理局", "2025年12月底前",
             "2", "发展送餐服务", "区民政局", "区卫生健康局", "持续推进",
             "3", "落实助餐补贴", "区财政局", "区民政局", "每年"]
    raw = "附件：重点任务分工表\n\n" + "\n\n".join(cells) + "\n\n三、保障措施\n各街道要加强组织领导。"
    ct = clean_text(raw)
    assert ct.text.split("\n") == [
        "附件：重点任务分工表", "| 序号 | 工作任务 | 牵头单位 | 配合单位 | 完成时限 |",
        "| 1 | 建设社区助餐点 | 区民政局 | 区商务局、区市场监督管理局 | 2025年12月底前 |",
        "| 2 | 发展送餐服务 | 区民政局 | 区卫生健康局 | 持续推进 |", "| 3 | 落实助餐补贴 | 区财政局 | 区民政局 | 每年 |",
        "三、保障措施", "各街道要加强组织领导。"]
    assert all(a <= b for a, b in zip(ct.offsets, ct.offsets[1:]))
    i = ct.text.index("区商务局、区市场监督管理局")
    s, e = ct.raw_span(i, i + 13)
    assert raw[s:e] == "区商务局、区市场监督管理局"  # cells keep their offsets
    # a list that merely starts with 序号 but has no numbered rows is left alone
    plain = "序号\n工作任务\n牵头单位\n说明如下。"
    assert clean_text(plain).text == plain
