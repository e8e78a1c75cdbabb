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


# ---------------------------------------------------------------- the genre, on small texts written for the purpose

from kb.responsibility import split_units  # noqa: E402
from kb.structure import parse_document as parse_text  # noqa: E402
from kb.tasks import build_tasks  # noqa: E402


def tasks_of(text):
    root, clauses = parse_text(text)
    return root, build_tasks(text, root, clauses)


def test_unit_names_split_on_separators_not_inside_names():
    assert split_units("市自然资源和规划局、市民政局") == ["市自然资源和规划局", "市民政局"]
    assert split_units("市民政局和市财政局") == ["市民政局", "市财政局"]
    assert split_units("市民政局及市卫生健康委等按职责分工负责") == ["市民政局", "市卫生健康委"]
    assert split_units("各区（功能区）、团市委") == ["各区（功能区）", "团市委"]
    assert split_units("市财政、住房城乡建设等部门") == ["市财政部门", "市住房城乡建设部门"]
    assert split_units("市、区民政部门") == ["市民政部门", "区民政部门"]


def test_label_forms_and_lead_only_where_the_text_says_so():
    text = ("一、任务\n（一）甲任务。做甲。（牵头单位：市民政局；配合单位：市财政局、市自然资源和规划局）\n"
            "（二）乙任务。做乙。（责任单位：市教育局、市妇联）\n"
            "（三）丙任务。做丙，市住建局牵头，市城管局、市消防支队配合。\n"
            "（四）丁任务。做丁，由区人民政府负责。\n")
    _, tasks = tasks_of(text)
    got = {t.heading: (t.lead, t.partners) for t in tasks}
    assert got["甲任务"] == (["市民政局"], ["市财政局", "市自然资源和规划局"])
    assert got["乙任务"] == ([], ["市教育局", "市妇联"])
    assert got["丙任务"] == (["市住建局"], ["市城管局", "市消防支队"])
    assert got["丁任务"] == ([], ["区人民政府"])


def test_first_listed_is_lead_when_the_document_says_so():
    text = ("各项任务中排在第一位的为牵头单位。\n一、任务\n（一）甲任务。做甲。（责任单位：市民政局、市财政局）\n")
    _, tasks = tasks_of(text)
    assert (tasks[0].lead, tasks[0].partners) == (["市民政局"], ["市财政局"])


def test_a_task_without_a_clause_inherits_nothing():
    text = "一、任务\n（一）甲任务。做甲。（责任单位：市民政局）\n（二）乙任务。做乙，无人负责。\n"
    root, tasks = tasks_of(text)
    assert [t.heading for t in tasks] == ["甲任务"]
    assert root.children[0].children[1].responsibility is None


def test_blanket_clause_applies_to_every_later_task():
    text = ("一、任务\n以下任务均需各乡镇人民政府落实，不再列出。\n"
            "（一）甲任务。做甲。（牵头单位：县民政局）\n（二）乙任务。做乙。\n")
    _, tasks = tasks_of(text)
    got = {t.heading: (t.lead, t.partners) for t in tasks}
    assert got["甲任务"] == (["县民政局"], ["各乡镇人民政府"])
    assert got["乙任务"] == ([], ["各乡镇人民政府"])


def test_task_table_rows_link_back_to_body_tasks():
    text = ("一、重点任务\n（一）推进社区食堂建设\n建设社区食堂。\n（二）发展托育服务\n发展托育。\n"
            "附件1：重点任务分工表\n| 序号 | 工作任务 | 牵头单位 | 配合单位 | 完成时限 |\n"
            "| 1 | 推进社区食堂建设，新建食堂 | 县民政局 | 县财政局、县商务局 | 2024年底前 |\n"
            "| 2 | 发展托育服务 | 县卫生健康局 | 县妇联 | 持续推进 |\n")
    root, tasks = tasks_of(text)
    assert [s.number for s in root.children] == ["一、", "附件1"]
    got = {t.heading: (t.lead, t.partners, t.deadline, t.path[-1]) for t in tasks}
    assert got["推进社区食堂建设"] == (["县民政局"], ["县财政局", "县商务局"], "2024年底前", "（一）推进社区食堂建设")
    assert got["发展托育服务"][:3] == (["县卫生健康局"], ["县妇联"], "持续推进")


def test_numbering_restarts_per_chapter_and_articles_run_on():
    text = ("第一章 总则\n第一条 为了规范，制定本办法。\n第二条 本办法适用于本市。\n"
            "第二章 管理\n第三条 市民政局负责全市工作。\n（一）制定规划；\n（二）组织实施。\n"
            "第三章 附则\n第四条 本办法自2024年1月1日起施行。\n")
    root, tasks = tasks_of(text)
    assert [c.number for c in root.children] == ["第一章", "第二章", "第三章"]
    assert [a.number for a in root.children[1].children] == ["第三条"]  # （一）（二） are the article's items
    assert [t.partners for t in tasks] == [["市民政局"]]
    text2 = "第一部分 基础\n一、甲\n二、乙\n第二部分 任务\n一、丙\n（一）丁\n二、戊\n"
    root2, _ = tasks_of(text2)
    assert [[c.number for c in p.children] for p in root2.children] == [["一、", "二、"], ["一、", "二、"]]
    assert root2.children[1].children[0].children[0].title == "丁"


def test_run_in_headings_are_accepted_only_in_sequence():
    text = ("…实施方案。一、坚持党建引领(一)充分发挥作用。统一、规范地推进，(小区)居民参与。"
            "(二)完善机制。做好工作。二、增加服务供给1.优化养老服务。做好。2.发展托育。十一、不是标题")
    root, _ = tasks_of(text)
    top = root.children
    assert [c.number for c in top] == ["一、", "二、"]
    assert [c.title for c in top[0].children] == ["充分发挥作用", "完善机制"]
    assert [c.number for c in top[1].children] == ["1.", "2."]


def test_headings_at_every_level_and_variants():
    text = ("## 总体方案\n第一部分 总述\n第一章 目标\n第一节 原则\n一、指导思想\n(一)坚持党建\n1．强化引领\n（1）抓好支部\n"
            "①落实制度\n二、主要任务\n㈠推进设施\n1 .建设食堂\n专栏1 重点工程\n1.食堂工程\n2.托育工程\n十一、不是\n")
    root, _ = tasks_of(text)
    nums = [(s.number, s.level) for s in root.walk() if s.level]
    assert nums[:10] == [("", 1), ("第一部分", 2), ("第一章", 3), ("第一节", 4), ("一、", 5), ("（一）", 6), ("1.", 7),
                         ("（1）", 8), ("①", 9), ("二、", 5)]
    assert ("（一）", 6) in nums[10:] and ("专栏1", 7) in nums
    assert "十一、" not in [n for n, _ in nums]  # eleven does not follow two


def test_deadlines_attach_to_their_task():
    text = ("一、任务\n（一）甲。2024年6月底前完成。（责任单位：县民政局）\n（二）乙。每年开展检查。（责任单位：县市场监管局）\n"
            "二、步骤\n（一）部署启动阶段（2024年4月至6月）。制定方案。（责任单位：县民政局）\n")
    _, tasks = tasks_of(text)
    assert [t.deadline for t in tasks] == ["2024年6月底前", "每年", "2024年4月至6月"]


def test_blanket_clause_closing_a_task_covers_the_rest_of_the_document():
    text = ("一、甲部分\n（一）甲任务。做甲。责任单位：县民政局。以下任务均需各乡镇人民政府落实，不再列出。\n（二）乙任务。做乙。\n"
            "二、乙部分\n（一）丙任务。做丙。（责任单位：县财政局）\n")
    _, tasks = tasks_of(text)
    got = {t.heading: t.partners for t in tasks}
    assert got["甲任务"] == ["县民政局"]  # stated after its own clause: not covered
    assert got["乙任务"] == ["各乡镇人民政府"]
    assert got["丙任务"] == ["县财政局", "各乡镇人民政府"]


def test_putian_blanket_clause_reaches_its_later_tasks(parsed):
    pd = parsed["putian-county-plan"]
    tasks = build_tasks(pd.text, pd.root, pd.clauses)
    meal = next(t for t in tasks if t.heading.startswith("优化社区养老和助残服务供给"))
    assert meal.partners[:2] == ["县民政局", "卫健局"] and meal.partners[-2:] == ["各乡镇人民政府", "鲤城街道办事处"]


def test_more_label_forms():
    text = ("一、任务\n（一）甲任务。做甲。(责任单位:县民政局,县财政局)\n"
            "（二）乙任务。做乙。【牵头单位】县卫健局【配合单位】县医保局、县财政局\n"
            "（三）丙任务。做丙。\n牵头单位：县教育局\n配合单位：县妇联\n完成时限：2024年底\n"
            "（四）丁任务。做丁，县住建局会同县城管局负责。\n（五）戊任务。做戊。（县人社局牵头负责）\n")
    _, tasks = tasks_of(text)
    got = {t.heading: (t.lead, t.partners, t.deadline) for t in tasks}
    assert got == {"甲任务": ([], ["县民政局", "县财政局"], ""), "乙任务": (["县卫健局"], ["县医保局", "县财政局"], ""),
                   "丙任务": (["县教育局"], ["县妇联"], "2024年底"), "丁任务": ([], ["县住建局", "县城管局"], ""),
                   "戊任务": (["县人社局"], [], "")}


def test_tab_separated_task_table():
    text = ("一、任务\n（一）推进己项工作\n做己。\n附件\n任务清单\n序号 工作任务 牵头单位 配合单位 完成时限\n"
            "1 推进己项工作 县商务局 县市场监管局 2025年6月底前\n")
    _, tasks = tasks_of(text)
    assert [(t.heading, t.lead, t.partners, t.deadline) for t in tasks] == [
        ("推进己项工作", ["县商务局"], ["县市场监管局"], "2025年6月底前")]


def test_prose_forms_space_separated_title_and_dated_completion():
    text = ("一、任务\n（一）甲任务 做甲工作，推进建设。市民政局负责，市财政局、市卫健委配合。\n"
            "（二）乙任务。做乙。由市住建局牵头，市城管局、市消防救援支队参与。\n"
            "（三）丙任务。做丙，2025年完成。（参加单位：市教育局；协同部门：市体育局）\n")
    root, tasks = tasks_of(text)
    assert [s.title for s in root.children[0].children] == ["甲任务", "乙任务", "丙任务"]
    got = {t.heading: (t.lead, t.partners, t.deadline) for t in tasks}
    assert got == {"甲任务": ([], ["市民政局", "市财政局", "市卫健委"], ""),
                   "乙任务": (["市住建局"], ["市城管局", "市消防救援支队"], ""),
                   "丙任务": ([], ["市教育局", "市体育局"], "2025年")}


def test_a_clause_after_an_inline_enumeration_closes_the_task():
    text = "一、任务\n（一）甲任务。主要包括：1.建设食堂；2.开展助餐。（责任单位：县民政局）\n（二）乙任务。做乙。（责任单位：县财政局）\n"
    _, tasks = tasks_of(text)
    assert [(t.heading, t.partners) for t in tasks] == [("甲任务", ["县民政局"]), ("乙任务", ["县财政局"])]


def test_regulation_duties_in_prose():
    text = ("第一章 总则\n第一条 为了规范管理，制定本办法。\n"
            "第二条 县级以上人民政府民政部门负责本行政区域内的监督管理工作。公安、消防等部门按照各自职责做好相关工作。\n"
            "第三条 发现擅自改变用途的，区民政部门应当责令改正。\n第四条 社区综合服务设施应当免费开放。\n"
            "第五条 建设单位应当在竣工验收后3个月内移交设施。\n")
    _, tasks = tasks_of(text)
    assert [t.partners for t in tasks] == [["县级以上人民政府民政部门", "公安部门", "消防部门"], ["区民政部门"]]
    assert all(t.lead == [] for t in tasks)  # regulations name no 牵头 unit


def test_bracketed_lead_mark():
    assert _parse_units("市民政局（牵头）、市财政局、市卫健委") == (["市民政局"], ["市财政局", "市卫健委"])
    text = "一、任务\n（一）甲任务。做甲。（责任单位：市民政局（牵头）、市财政局）\n"
    _, tasks = tasks_of(text)
    assert (tasks[0].lead, tasks[0].partners) == (["市民政局"], ["市财政局"])


def test_exhortations_are_no_tasks_and_a_run_in_heading_ends_before_its_body_subject():
    text = ("一、任务（一）甲任务。做甲。（责任单位：县民政局）二、保障措施（一）加强领导。各有关部门要按职责分工负责，形成合力。"
            "（二）发挥各级党组织和广大党员作用。做好。三、强化工作保障各街道、各有关部门要高度重视，认真抓好落实。")
    root, tasks = tasks_of(text)
    assert [(t.heading, t.partners) for t in tasks] == [("甲任务", ["县民政局"])]
    assert [s.title for s in root.children] == ["任务", "保障措施", "强化工作保障"]
    assert root.children[1].children[1].title == "发挥各级党组织和广大党员作用"


def test_titled_articles_and_duties_over_several_paragraphs():
    text = ("第一章 总则\n第一条 为了规范管理，制定本办法。\n"
            "第二条 职责分工\n市民政部门负责全市社区服务设施的监督管理。\n区民政部门负责本辖区日常管理。\n"
            "市财政、住房城乡建设等部门按照各自职责，做好相关工作。\n"
            "第三条 规划建设 （一）市自然资源和规划局负责将设施纳入国土空间规划；\n（二）市住房城乡建设部门负责监督配建。\n"
            "第四条 市人民政府民政部门（以下简称市民政部门）是本市社区服务设施的主管部门。\n"
            "第五条【运营管理】街道办事处应当做好设施运行保障，社区居民委员会负责日常运营，指导物业服务企业做好配合。\n"
            "第六条 建设单位应当按照规划配建设施。\n")
    root, tasks = tasks_of(text)
    assert [(a.number, a.title) for a in root.children[0].children] == [
        ("第一条", ""), ("第二条", "职责分工"), ("第三条", "规划建设"), ("第四条", ""), ("第五条", "运营管理"), ("第六条", "")]
    got = {t.heading: (t.lead, t.partners) for t in tasks}
    assert got == {"职责分工": ([], ["市民政部门", "区民政部门", "市财政部门", "市住房城乡建设部门"]),
                   "规划建设": ([], ["市自然资源和规划局", "市住房城乡建设部门"]),
                   "市人民政府民政部门（以下简称市民政部门）": ([], ["市人民政府民政部门"]),
                   "运营管理": ([], ["街道办事处", "社区居民委员会"])}


def test_mixed_clause_forms_with_deadlines_inside():
    text = ("一、主要任务\n（一）推进社区食堂建设。到2026年新建食堂10个（市民政局牵头，市财政局、市市场监管局配合，2025年底前完成）。\n"
            "（二）发展普惠托育服务。新增托位200个。责任主体：市卫生健康委。\n"
            "（三）完善养老服务设施。建设日间照料中心。（主责单位：市民政局；协办单位：市住建局、市自然资源和规划局；2024年6月底前完成）\n"
            "（四）加强社区志愿服务。（团市委牵头，市民政局配合，每年开展）\n")
    _, tasks = tasks_of(text)
    got = {t.heading: (t.lead, t.partners, t.deadline) for t in tasks}
    assert got == {"推进社区食堂建设": (["市民政局"], ["市财政局", "市市场监管局"], "2025年底前"),
                   "发展普惠托育服务": ([], ["市卫生健康委"], ""),
                   "完善养老服务设施": ([], ["市民政局", "市住建局", "市自然资源和规划局"], "2024年6月底前"),
                   "加强社区志愿服务": (["团市委"], ["市民政局"], "每年")}


def test_more_clause_forms_and_a_first_is_lead_task_table():
    text = ("一、重点任务\n（一）推进社区食堂建设。新建食堂。（责任单位：市民政局，完成时限：2025年底）\n"
            "（二）发展托育服务。新增托位。主责单位：市卫健委 协办单位：市妇联、团市委\n"
            "（三）开展评估。市民政局负责，每半年开展一次。\n")
    _, tasks = tasks_of(text)
    got = {t.heading: (t.lead, t.partners, t.deadline) for t in tasks}
    assert got == {"推进社区食堂建设": ([], ["市民政局"], "2025年底"),
                   "发展托育服务": ([], ["市卫健委", "市妇联", "团市委"], ""),  # 主责 is not 牵头
                   "开展评估": ([], ["市民政局"], "每半年")}
    text = ("一、重点任务\n（一）建设智慧社区。升级平台。\n（二）加强队伍建设。开展培训。\n"
            "附件\n任务清单\n| 序号 | 任务内容 | 责任单位 | 时间节点 |\n| 1 | 智慧社区建设 | 市大数据局、市民政局 | 2025年底前 |\n"
            "| 2 | 队伍建设 | 市委组织部、市人社局 | 2024年底前 |\n注：排在第一位的为牵头单位。\n")
    _, tasks = tasks_of(text)
    got = {t.heading: (t.lead, t.partners, t.deadline) for t in tasks}
    assert got == {"建设智慧社区": (["市大数据局"], ["市民政局"], "2025年底前"),
                   "加强队伍建设": (["市委组织部"], ["市人社局"], "2024年底前")}


def test_word_article_titles_set_off_by_ideographic_spaces_survive_cleaning():
    from kb.clean import clean_text

    raw = ("桂川县社区服务设施管理办法\n第一章\u3000总则\n第一条\u3000目的依据\u3000为了规范管理，制定本办法。\n"
           "第二条\u3000职责分工\u3000县民政局负责全县社区服务设施的监督管理。县财政局负责落实资金。\n"
           "乡镇人民政府、街道办事处负责辖区内设施的日常管理。\n第三条\u3000施行日期\u3000本办法自2024年7月1日起施行。\n")
    text = clean_text(raw).text
    root, tasks = tasks_of(text)
    assert [(n.number, n.title) for n in root.walk() if n.level] == [
        ("第一章", "总则"), ("第一条", "目的依据"), ("第二条", "职责分工"), ("第三条", "施行日期")]
    assert [(t.heading, t.partners) for t in tasks] == [("职责分工", ["县民政局", "县财政局", "乡镇人民政府", "街道办事处"])]
