"""Metadata inferred from the text (kb.metadata): each rule on a snippet written for it, and the zoo's keys."""
import json
from pathlib import Path

import pytest

from kb.ingest import read_text
from kb.metadata import infer, place_of, region_names, split_orgs

ZOO = Path(__file__).resolve().parent / "data" / "zoo"

COVER = """{flag}
{number}
{title}
各乡镇人民政府，县政府各部门：
现将《{issued}》印发给你们，请认真贯彻执行。
{signature}
{date}
{issued}
一、工作目标
到2025年12月31日前，建成老年助餐点40个。
"""


def cover(**kw):
    d = dict(flag="", number="", title="", issued="石门县老年助餐服务实施方案", signature="", date="")
    d.update(kw)
    return COVER.format(**d)


def test_notice_cover_gives_every_field():
    m = infer(cover(flag="石门县人民政府办公室文件", number="石政办发〔2024〕12号",
                    title="石门县人民政府办公室关于印发石门县老年助餐服务实施方案的通知",
                    signature="石门县人民政府办公室", date="二〇二四年三月十八日"))
    assert m == {"title": "石门县人民政府办公室关于印发石门县老年助餐服务实施方案的通知", "issuer": "石门县人民政府办公室",
                 "region": "石门", "level": "县", "date": "2024-03-18", "doc_number": "石政办发〔2024〕12号"}


@pytest.mark.parametrize("written,iso", [
    ("二〇二四年三月十八日", "2024-03-18"), ("二〇二三年十二月三十一日", "2023-12-31"), ("二○二二年十月九日", "2022-10-09"),
    ("2021年11月26日", "2021-11-26"), ("2024 年 1 月 5 日", "2024-01-05"),
])
def test_dates_arabic_and_chinese_numerals(written, iso):
    assert infer(cover(signature="石门县民政局", date=written))["date"] == iso


def test_deadline_and_print_dates_are_not_the_date_of_writing():
    text = cover(signature="石门县民政局", date="") + "抄送：县委办公室。\n石门县人民政府办公室 2024年3月20日印发\n"
    assert infer(text)["date"] == "2024-03-20"  # only the 印发 date is there: the last resort
    text = cover(signature="石门县民政局", date="2024年3月18日") + "石门县人民政府办公室 2024年3月20日印发\n"
    assert infer(text)["date"] == "2024-03-18"
    assert infer("石门县养老服务实施方案\n到2025年12月31日前，建成助餐点40个。\n")["date"] == ""


@pytest.mark.parametrize("written", ["石政办发〔2024〕12号", "石政办发[2024]12号", "石政办发【2024】12号",
                                     "石政办发（2024）12号", "石政办发 〔2024〕 12 号"])
def test_doc_number_brackets_normalised(written):
    assert infer(cover(number=written))["doc_number"] == "石政办发〔2024〕12号"


def test_cited_doc_numbers_are_not_this_documents():
    text = ("石门县老年助餐服务实施方案\n根据《国务院办公厅关于推进养老服务发展的意见》（国办发〔2019〕5号）要求，制定本方案。\n"
            "一、工作目标\n到2025年建成助餐点40个。\n")
    assert infer(text)["doc_number"] == ""


def test_joint_issuers_from_the_flag():
    m = infer(cover(flag="石门县民政局石门县财政局文件", number="石民〔2023〕5号",
                    title="石门县民政局 石门县财政局关于印发石门县老年助餐服务实施方案的通知"))
    assert m["issuer"] == "石门县民政局、石门县财政局"
    assert split_orgs("中共石门县委办公室石门县人民政府办公室") == ["中共石门县委办公室", "石门县人民政府办公室"]


def test_joint_party_and_government_issuers_with_a_chinese_date():
    text = ("中共松岭县委办公室\n松岭县人民政府办公室\n松委办发【2024】6号\n"
            "中共松岭县委办公室 松岭县人民政府办公室\n关于印发《松岭县“一老一小”服务提升三年行动方案》的通知\n"
            "各乡镇党委、政府，县直各单位：\n现将方案印发给你们。\n中共松岭县委办公室　　松岭县人民政府办公室\n"
            "二〇二四年九月三十日\n（此件公开发布）\n松岭县“一老一小”服务提升三年行动方案\n一、总体要求\n")
    m = infer(text)
    assert (m["issuer"], m["region"], m["level"]) == ("中共松岭县委办公室、松岭县人民政府办公室", "松岭", "县")
    assert (m["date"], m["doc_number"]) == ("2024-09-30", "松委办发〔2024〕6号")
    assert m["title"].endswith("关于印发《松岭县“一老一小”服务提升三年行动方案》的通知")


def test_issuer_from_signature_when_there_is_no_flag():
    m = infer("石门县老年助餐服务实施方案\n一、工作目标\n到2025年建成助餐点40个。\n石门县民政局\n2024年5月9日\n")
    assert (m["issuer"], m["date"], m["region"], m["level"]) == ("石门县民政局", "2024-05-09", "石门", "县")
    assert m["title"] == "石门县老年助餐服务实施方案"


def test_regulation_order_number_and_publication_date():
    text = ("青峰市居家养老服务条例实施办法\n（2023年8月1日青峰市人民政府第12次常务会议通过 2023年8月15日青峰市人民政府令第7号公布"
            " 自2023年10月1日起施行）\n第一章 总则\n第一条 为了规范居家养老服务，制定本办法。\n")
    m = infer(text)
    assert (m["issuer"], m["doc_number"], m["date"]) == ("青峰市人民政府", "青峰市人民政府令第7号", "2023-08-15")
    assert (m["region"], m["level"]) == ("青峰", "市")


def test_a_date_cited_in_the_text_is_not_the_documents():
    text = ("青峰市社区服务设施管理办法\n第一条 根据2021年3月1日发布的《东岭省社区服务条例》，制定本办法。\n"
            "第二条 本办法自公布之日起施行。\n青峰市民政局\n2024年6月3日\n")
    assert infer(text)["date"] == "2024-06-03"


def test_web_information_box():
    raw = ("| 文件标题： | 青峰市民政局关于做好社区助餐工作的通知 |\n| 发布机构： | 青峰市民政局 | 成文日期： | 2024年02月26日 |\n| 文号： | 青民发〔2024〕3号 | 发布日期： | 2024-02-28 |\n"
           "青峰市民政局关于做好社区助餐工作的通知\n各区民政局：\n现就有关事项通知如下。\n")
    m = infer(raw)
    assert (m["issuer"], m["date"], m["doc_number"]) == ("青峰市民政局", "2024-02-26", "青民发〔2024〕3号")
    assert m["title"] == "青峰市民政局关于做好社区助餐工作的通知"


def test_title_broken_over_lines_and_run_into_the_text():
    text = "青峰市人民政府办公室\n关于印发青峰市社区服务体系建设\n“十四五”规划的通知\n青政办字〔2022〕8号\n各县市区人民政府：\n"
    assert infer(text)["title"] == "青峰市人民政府办公室关于印发青峰市社区服务体系建设“十四五”规划的通知"
    one_line = "关于推进社区嵌入式服务设施建设的实施方案为补齐社区服务短板，结合实际，制定本方案。一、工作目标到2025年…"
    assert infer(one_line)["title"] == "关于推进社区嵌入式服务设施建设的实施方案"
    assert infer("# 东岭省社区服务规划\n\n> 东岭省人民政府办公厅 2022年3月8日\n\n## 一、发展基础\n")["title"] == "东岭省社区服务规划"


@pytest.mark.parametrize("issuer,expected", [
    ("东岭省人民政府办公厅", ("东岭", "东岭省", "省")),
    ("临江市民政局", ("临江", "临江市", "市")),
    ("青川县人民政府", ("青川", "青川县", "县")),
    ("沛县人民政府", ("沛县", "沛县", "县")),  # a one-character name keeps its suffix
    ("临江市云溪区人民政府办公室", ("云溪", "云溪区", "区")),  # the lower level names the place
    ("广西壮族自治区民政厅", ("广西", "广西壮族自治区", "省")),
    ("恩施土家族苗族自治州人民政府", ("恩施", "恩施土家族苗族自治州", "市")),
    ("黔东南苗族侗族自治州民政局", ("黔东南", "黔东南苗族侗族自治州", "市")),
    ("内蒙古自治区人民政府办公厅", ("内蒙古", "内蒙古自治区", "省")),
    ("市民政局", ("", "", "")),  # no place named
    ("社区居民委员会", ("", "", "")),
])
def test_region_and_level_from_the_issuer(issuer, expected):
    assert place_of(issuer) == expected


def test_region_from_the_title_when_no_issuer():
    m = infer("白沙县村级综合服务设施提升方案\n一、工作目标\n到2025年全覆盖。\n")
    assert (m["region"], m["level"], m["issuer"]) == ("白沙", "县", "")
    assert region_names("白沙", "", "白沙县村级综合服务设施提升方案") == ["白沙", "白沙县"]


def test_region_from_the_file_name_as_a_last_resort():
    text = "社区助餐服务工作要点\n一、工作目标\n扩大助餐服务覆盖面。\n"
    assert (infer(text, "白沙县2024年助餐工作要点.docx")["region"], infer(text, "plan.docx")["region"]) == ("白沙", "")


def test_nothing_is_made_up():
    m = infer("社区助餐服务工作要点\n一、工作目标\n扩大助餐服务覆盖面。\n")
    assert m == {"title": "社区助餐服务工作要点", "issuer": "", "region": "", "level": "", "date": "", "doc_number": ""}


@pytest.mark.parametrize("key", sorted(ZOO.glob("*.key.json")), ids=lambda p: p.name.split(".")[0])
def test_zoo_metadata_matches_its_key(key):
    stem = key.name[: -len(".key.json")]
    doc = next(p for p in ZOO.glob(stem + ".*") if not p.name.endswith(".json"))
    want = json.loads(key.read_text(encoding="utf-8"))["doc"]
    assert infer(read_text(doc), doc.name) == want
