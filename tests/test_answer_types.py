"""The question types added with the answer pipeline (issue 8), on the real corpus with the real engine:
what a unit is responsible for, what is due by a date, the document itself, several questions in one,
two named documents, and how-to questions the documents do not cover."""
import re

import pytest

from kb.answer import answer
from kb.answer.registry import REGISTRY, classify
from kb.answer.context import make_context
from kb.cli import answer_json

from test_answer import check_citations


def test_every_registered_type_has_a_plan_strategies_and_a_followup_form():
    for entry in REGISTRY:
        assert entry.strategies and callable(entry.plan)
        assert entry.followup or entry.name == "comparison"


@pytest.mark.parametrize("question, qtype", [
    ("珠海市民政局要负责哪些任务？", "unit"),
    ("哪些任务要在2022年底前完成？", "deadline"),
    ("衡水规划的文号是什么？", "document"),
    ("老年人助餐服务由哪些部门负责？", "responsibility"),
    ("民政部门负责哪些任务？", "responsibility"),  # no unit the documents name: not a unit question
    ("珠海市水务局在方案中要参与哪方面的工作？", "unit"),  # which part of the work, not which tasks
    ("广电网络集团分公司在县里方案中要配合完成什么？", "unit"),
])
def test_registry_classifies(engine, question, qtype):
    ctx = make_context(engine, question)
    got = classify(ctx).name
    if question.startswith("民政部门"):
        assert got != "unit"
    else:
        assert got == qtype


def test_unit_tasks_lead_apart_from_the_rest_with_the_clause_cited(engine):
    ans = answer(engine, "仙游县司法局负责哪些工作？")
    assert ans.qtype == "unit" and not ans.abstained
    assert {c.passage.doc_id for c in ans.citations} == {"putian-county-plan"}
    lead = [x for x in ans.text.splitlines() if "牵头｜" in x]
    assert len(lead) == 1 and "完善城乡社区法律服务" in lead[0]  # 「县司法局牵头负责」
    assert "加强特殊人群服务管理" in ans.text  # a shared task, listed apart from the lead one
    for st in ans.statements:  # every cited clause names the unit
        if st.kind == "task":
            assert "司法局" in st.passage.text[st.span[0]:st.span[1]]
    assert {r["role"] for r in ans.table} <= {"牵头", "配合/责任单位"}
    check_citations(engine, ans)


def test_unit_per_document(engine):
    ans = answer(engine, "市民政局要负责哪些任务？")
    docs = {r["doc_id"] for r in ans.table}
    assert {"zhuhai-plan", "xiamen-pilot-plan", "hengshui-plan"} <= docs
    # every cited line names its place, except a task's 要点 line right under the task line that does
    assert all(line.lstrip().startswith(("【", "要点：")) for line in ans.text.splitlines() if "[" in line)


def test_deadline_lists_what_is_due_by_the_date(engine):
    ans = answer(engine, "哪些任务要在2022年底前完成？")
    assert ans.qtype == "deadline" and not ans.abstained
    assert "新时代文明实践所" in ans.text and "社会工作服务站" in ans.text
    assert "2025年" not in "".join(r["deadline"] for r in ans.table)  # nothing due later
    docs = {c.passage.doc_id for c in ans.citations}
    assert {"hengshui-plan", "zhuhai-plan"} <= docs
    check_citations(engine, ans)


def test_document_number_is_cited_where_the_text_states_it(engine):
    ans = answer(engine, "衡水规划的文号是什么？")
    assert ans.qtype == "document" and not ans.abstained
    assert "衡政办字〔2022〕28号" in ans.text
    c = ans.citations[0]
    assert c.passage.doc_id == "hengshui-plan"
    assert any(c.passage.text[a:e] == "衡政办字〔2022〕28号" for a, e in c.highlights)
    check_citations(engine, ans)


def test_document_date_and_issuer(engine):
    ans = answer(engine, "衡水那个社区服务规划是什么时候发的？")
    assert "2022年5月10日" in ans.text
    ans = answer(engine, "衡水和珠海的规划分别是哪个部门印发的？")
    assert "衡水市人民政府办公室" in ans.text and "珠海市民政局" in ans.text
    assert ans.text.count("【") >= 2  # two documents: each named by its region


def test_document_field_no_document_states_is_declined(engine):
    ans = answer(engine, "浙江规划的文号是什么？")
    assert ans.abstained and ans.text.startswith("现有政策文件中未找到")


def test_validity_is_what_the_document_states_not_the_period_of_its_title(engine):
    ans = answer(engine, "县里这个实施方案有效期到什么时候？")  # the text: 自印发之日起施行,有效期至2028年12月31日
    assert not ans.abstained and "2028年12月31日" in ans.text
    ans = answer(engine, "珠海这个实施方案有效期到哪一年？")  # a 十四五 title, no validity stated
    assert ans.abstained and "有效期" in ans.text and "2021—2025年" in ans.text  # the period only as a hint
    ans = answer(engine, "珠海这个方案有效期到什么时候？")  # 什么时候 of the validity, not the date it was written
    assert ans.abstained and "成文日期" not in ans.text
    ans = answer(engine, "珠海方案管到哪一年？")  # the period is what the title gives
    assert not ans.abstained and "2021—2025年" in ans.text and "据文件标题推算" in ans.text


def test_the_day_a_document_was_issued_is_not_answered_with_who_issued_it(engine):
    ans = answer(engine, "县里这个实施方案是哪天印发的？")  # the county's scheme states neither a 印发 line nor a date
    assert ans.abstained and "印发" in ans.text


def test_who_interprets_a_document_is_its_closing_clause_or_declined(engine):
    from kb.answer.strategies.document import COVER_FIELDS

    m = COVER_FIELDS["interpreter"].search("八、其他\n本方案由临江县民政局负责解释，自印发之日起施行。")
    assert m and m.group("v") == "临江县民政局"
    ans = answer(engine, "衡水规划由哪个部门负责解释？")  # no such clause: not the issuer instead
    assert ans.abstained and "解释机关" in ans.text and "人民政府办公室" not in ans.text


def test_multipart_question_answers_each_part(engine):
    ans = answer(engine, "珠海老旧小区改造由哪些部门负责？到2025年要改造多少个？")
    assert ans.qtype == "multipart" and not ans.abstained
    assert "（1）" in ans.text and "（2）" in ans.text
    part1, part2 = ans.text.split("（2）")
    assert "市住房城乡建设局" in part1 and "229个" in part2
    assert re.search(r"\[\d+\]", part2)  # the second part is cited too
    check_citations(engine, ans)


def test_a_part_asking_with_the_written_question_word_he_is_a_part_of_its_own(engine):
    from kb.answer.pipeline import split_parts

    assert split_parts("厦门方案对社区卫生服务站设置有何要求？县里方案对基层医疗卫生机构达标比例有何要求？") == [
        "厦门方案对社区卫生服务站设置有何要求", "县里方案对基层医疗卫生机构达标比例有何要求"]
    ans = answer(engine, "厦门方案对社区卫生服务站设置有何要求？县里方案对基层医疗卫生机构达标比例有何要求？")
    assert not ans.abstained and "70%" in ans.text


def test_crossdoc_question_is_answered_per_document(engine):
    ans = answer(engine, "珠海和厦门的社区养老服务分别由哪些部门负责？")
    rows = {r["doc_id"]: r for r in ans.table}
    assert set(rows) == {"zhuhai-plan", "xiamen-pilot-plan"}
    assert "市卫生健康局" in rows["zhuhai-plan"]["figure"] and "市卫健委" in rows["xiamen-pilot-plan"]["figure"]
    assert all(line.startswith("【") for line in ans.text.splitlines() if "[" in line)
    check_citations(engine, ans)


def test_comparison_names_the_documents_that_do_not_state_it(engine):
    ans = answer(engine, "各地的婴幼儿托位数目标分别是多少？")
    stated = {r["doc_id"] for r in ans.table}
    assert {"zhuhai-plan", "putian-county-plan", "zhejiang-plan"} <= stated
    missing = [d.doc_id for d in engine.documents if d.doc_id not in stated]
    if missing:
        assert "未载明" in ans.text


@pytest.mark.parametrize("question", ["社区医院挂号怎么预约？", "医保卡丢了怎么补办？", "身份证过期了去哪里换？",
                                      # round 6: a procedure asked as 走什么流程, the channel as 网上…还是现场
                                      "残疾人证丢了，补办要走什么流程？", "孩子上幼儿园是在网上报名还是去现场报？"])
def test_out_of_scope_howto_is_declined_with_related_passages(engine, question):
    ans = answer(engine, question)
    assert ans.abstained and ans.text.startswith("现有政策文件中未找到")
    assert ans.citations == [] and ans.related
    assert ans.gate  # the gate's signals are kept with the answer


def test_ask_json_keeps_its_keys_and_adds_statements(engine):
    ans = answer(engine, "衡水规划的文号是什么？")
    out = answer_json("x", "衡水规划的文号是什么？", ans)
    assert {"id", "question", "answer", "abstained", "type", "citations", "table", "related"} <= set(out)
    assert set(out["citations"][0]) >= {"n", "doc_id", "title", "section", "text", "start", "end"}
    assert out["statements"] and out["statements"][-1]["n"] == 1


# ---------------------------------------------------------------- round 4: slots, per-document answers, document fields

@pytest.mark.parametrize("question, slot", [("衡水的社区综合服务站早上几点开门？", "clock"),
                                            ("珠海的党群服务中心周六周日开门吗？", "clock"),
                                            ("县里老旧小区到现在已经改了多少户了？", "actual"),
                                            ("社区托育班的学费贵不贵？", "money"),
                                            ("衡水社区服务设施建设总投资多少？", "money"),
                                            ("我们社区的书记叫什么名字？", "person"),
                                            ("县里哪几个乡镇是儿童关爱保护示范点？", "named_sites"),
                                            ("珠海离我家最近的自助机在哪条街？", "address"),
                                            ("家政服务的投诉热线电话是多少？", "contact"),
                                            # round 7
                                            ("社区的四点半课堂要不要交钱？", "money"),
                                            ("申请临时救助审批一般要多久？", "duration"),
                                            ("社区工作者招聘考哪些科目？", "employment"),
                                            ("社区卫生服务站看病能刷医保卡吗？", "reimbursement"),
                                            # the ask's own words (申请) do not put 「…申请就业扶持」 on topic
                                            ("公租房怎么申请？", "procedure"),
                                            ("孩子的疫苗本丢了怎么补？", "procedure"),
                                            ("失业了怎么领失业金？", "procedure"),
                                            ("厦门近邻服务试点社区有哪些？", "named_sites"),
                                            ("莆田县去年建了多少个社区服务站？", "actual"),
                                            ("公积金怎么提取？", "procedure"),
                                            ("社区的兴趣班报名是哪天开始？", "schedule"),
                                            # round 9
                                            ("浙江的社区食堂给老年人吃饭能打几折？", "money"),
                                            ("衡水2022年底前乡镇建成新时代文明实践所的任务最后完成了没有？", "actual"),
                                            ("浙江哪11个县（市、区）要建成智慧社区？", "named_sites"),
                                            # a yearly rhythm (每年…轮训一遍) is no month
                                            ("衡水社区书记的轮训一般安排在几月份？", "month"),
                                            ("浙江的居民会客厅分别建在哪些社区？", "named_sites"),
                                            ("珠海全市一共装了多少台政务自助机？", "actual"),
                                            ("老人在社区食堂吃一顿饭政府补多少？", "money"),
                                            ("老年人免费体检在哪里做？", "procedure"),
                                            # round 10: the count in words (哪三个)
                                            ("珠海选的3个青春行动试点社区分别是哪三个？", "named_sites"),
                                            # a plan announces no events for a coming day
                                            ("这周末社区有没有义诊活动？", "schedule"),
                                            ("浙江的志愿服务积分可以兑换哪些东西？", "redeem")])
def test_a_slot_no_quoted_sentence_fills_is_declined(engine, question, slot):
    """The documents cover the topic but state no opening hour, price or phone number: declined, with the
    nearest passages as related, and the gate says which slot was missing."""
    ans = answer(engine, question)
    assert ans.abstained and ans.text.startswith("现有政策文件中未找到") and ans.related
    assert ans.gate.get("stage") == "slot" and slot in ans.gate.get("slots", [])


@pytest.mark.parametrize("question, slot", [("你觉得衡水这个规划在规划期内能全部落实吗？", "judgement"),
                                            ("珠海和浙江哪个地方更适合退休以后去养老？", "judgement"),
                                            ("社会工作者职业水平考试一般几月份报名？", "schedule"),
                                            ("珠海智感安防小区要在哪一年之前全覆盖？", "year"),
                                            ("县里要新增的综合减灾示范社区具体名单是哪些？", "named_sites")])
def test_verdicts_and_event_dates_are_declined_even_where_the_structure_answers(engine, question, slot):
    """A verdict or an event's calendar date is stated nowhere in a plan, also where a structure answer
    (a document's period, a comparison per document) would otherwise pass as exact."""
    ans = answer(engine, question)
    assert ans.abstained and ans.related
    gates = ans.gate.get("docs") or ans.gate.get("parts") or [ans.gate]
    assert all(g.get("stage") == "slot" and slot in g.get("slots", []) for g in gates)


def test_a_year_stated_by_the_structure_answer_fills_the_year_slot(engine):
    ans = answer(engine, "衡水的规划管到哪一年？")
    assert not ans.abstained and ans.qtype == "document" and "2025" in ans.text


def test_judgement_words_inside_a_task_do_not_make_a_verdict(engine):
    """「做得好不好跟考核挂钩」 describes a task; the question asks who is responsible for it."""
    ans = answer(engine, "厦门把近邻服务做得好不好跟社区干部考核、约谈挂钩，这一项是哪些单位负责？")
    assert not ans.abstained and "市委组织部" in ans.text


def test_a_slot_the_text_fills_is_answered(engine):
    """A price the text does state (岗位补贴每人每月200元) is answered; 每个月 is a period, not a base."""
    ans = answer(engine, "村里的残疾人联络员每个月有多少岗位补贴？")
    assert not ans.abstained and "200元" in ans.text
    check_citations(engine, ans)


def test_two_named_documents_are_answered_one_after_the_other(engine):
    ans = answer(engine, "厦门试点方案和珠海实施方案对社区专职调解员的配备各有什么要求？")
    assert not ans.abstained and ans.qtype == "crossdoc"
    cited = {c.passage.doc_id for c in ans.citations}
    assert cited == {"xiamen-pilot-plan", "zhuhai-plan"}
    assert "【厦门】" in ans.text and "【珠海】" in ans.text
    assert ans.text.index("【厦门】") < ans.text.index("【珠海】")  # in the order the question names them
    check_citations(engine, ans)


def test_a_comparison_with_a_place_not_covered_is_declined(engine):
    ans = answer(engine, "广州和珠海比，谁的老旧小区改造目标更多？")
    assert ans.abstained and "广州" in ans.text


@pytest.mark.parametrize("question, expected", [
    ("衡水规划是根据什么文件制定的？", "《河北省城乡社区服务体系建设“十四五”规划》"),
    ("衡水这份规划的通知主送给了哪些单位？", "各县市区人民政府"),
    ("我们县那个实施方案有效到什么时候？", "2028年12月31日"),
    ("衡水规划的规划期是哪几年？", "2021—2025年"),
    # round 5: a PDF extraction without line breaks (the addressees follow the notice title on the same line),
    # a basis sentence that ends 「现制定<title>」 instead of 「制定本规划」, the period asked as 管哪几年
    ("珠海那份通知是发给哪些单位的？", "各区政府(管委会),市政府各部门,各有关单位"),
    ("珠海实施方案是依据哪些省级规划制定的？", "《广东省城乡社区服务体系建设“十四五”规划》"),
    ("衡水的这个规划管哪几年？", "2021—2025年"),
    # round 6: the 版记 fields (附件 over two wrapped lines and two passages, 公开方式, the office and date of 印发)
    ("衡水规划后面附了哪几个附件？", "规划专项行动清单"),
    ("珠海方案的公开方式是什么？", "主动公开"),
    ("珠海这份实施方案由哪个办公室印发？", "珠海市民政局办公室2023年1月10日印发"),
])
def test_document_fields_read_from_the_text(engine, question, expected):
    ans = answer(engine, question)
    assert ans.qtype == "document" and not ans.abstained
    st = next(st for st in ans.statements if expected in st.text)
    assert "原文：" in st.text and st.passage is not None  # quoted from the document, cited
    check_citations(engine, ans)


def test_a_task_the_unit_leads_is_shown_whole(engine):
    """县司法局 leads 完善城乡社区法律服务: every point of that task is listed (公共法律服务站 is its fourth
    sentence), while the tasks it shares show their closest points only, within the budget spread over them."""
    from kb.answer.select import selection

    ans = answer(engine, "县司法局在县里的实施方案里负责哪些事？")
    assert ans.qtype == "unit" and not ans.abstained
    lead = ans.text.split("牵头｜")[1].split("配合/责任单位｜")[0]
    assert "公共法律服务站" in lead and lead.count("要点：") > 3
    n_shared = ans.text.count("配合/责任单位｜")
    per_task = max(3, min(8, selection()["unit_sentence_budget"] // n_shared))
    shared = ans.text.split("配合/责任单位｜")[1].split("配合/责任单位｜")[0]
    assert 0 < shared.count("要点：") <= per_task
    check_citations(engine, ans)


def test_unit_answer_quotes_what_the_unit_does_in_each_task(engine):
    ans = answer(engine, "珠海市残联负责哪些任务？")
    assert ans.qtype == "unit"
    groups = []  # each task statement with the 要点 statements under it
    for st in ans.statements:
        if st.kind == "task":
            groups.append((st, []))
        elif st.kind == "measure" and groups:
            groups[-1][1].append(st)
    assert groups
    from kb.answer.select import selection

    per_task = max(3, min(8, selection()["unit_sentence_budget"] // len(groups)))
    for task, points in groups:
        # a few sentences of the same task as the clause they follow, within the budget spread over the tasks
        assert 1 <= len(points) <= per_task
        for p in points:
            assert p.passage.task_id == task.passage.task_id and p.span[1] - p.span[0] >= 6
    check_citations(engine, ans)


def test_a_part_that_asks_nothing_joins_the_question_before_it():
    from kb.answer.pipeline import split_parts

    assert split_parts("浙江在居家养老上有什么新做法？比如床位、探访之类的。") == ["浙江在居家养老上有什么新做法？比如床位、探访之类的。"]
    assert len(split_parts("珠海老旧小区改造由哪些部门负责？到2025年要改造多少个？")) == 2


@pytest.mark.parametrize("question, says", [
    ("厦门试点方案对家政服务人员“放心码”是怎么要求的？", "珠海"),      # a named item only another document has
    ("莆田荔城区的实施方案里老年助餐由哪些部门负责？", "荔城区"),       # a district no document mentions
    ("浙江2023年城乡最低生活保障标准是多少元？", "未找到"),             # a figure set for 2025, asked for 2023
])
def test_questions_one_document_cannot_answer_are_declined(engine, question, says):
    ans = answer(engine, question)
    assert ans.abstained and says in ans.text and ans.citations == []


def test_a_quoted_term_the_asked_document_has_is_answered(engine):
    ans = answer(engine, "珠海对家政服务人员的“放心码”有什么要求？")
    assert not ans.abstained and "放心码" in ans.text
    check_citations(engine, ans)


@pytest.mark.parametrize("question, expected", [("县里这个方案正式标题叫什么？", "关于全面贯彻市城乡社区服务体系建设规划的实施方案"),
                                                ("衡水规划的落款日期是哪天？", "2022年5月10日")])
def test_document_title_and_signature_date(engine, question, expected):
    ans = answer(engine, question)
    assert ans.qtype == "document" and expected in ans.text and ans.citations


def test_phase_question_answers_from_the_phase_headings(engine):
    one = answer(engine, "厦门试点第三阶段是什么时间？")
    assert one.qtype == "phase" and "2021年4月22日—11月30日" in one.text and "第一阶段" not in one.text
    check_citations(engine, one)
    every = answer(engine, "厦门试点分几个阶段？")
    assert sum(f"第{n}阶段" in every.text for n in "一二三四") == 4
    check_citations(engine, every)


def test_a_baseline_year_is_answered_from_the_table_column(engine):
    """「2020年是多少」 asks the row's 2020年实际值 column, not its 2025 target."""
    ans = answer(engine, "浙江城乡年最低生活保障标准2020年是多少元？")
    assert not ans.abstained and "9600" in ans.text and "13000" not in ans.text and "2020年实际值" in ans.text
    check_citations(engine, ans)


@pytest.mark.parametrize("question", ["五个地方里哪个城市的社区服务做得最好？", "衡水的规划到2025年能全部完成吗？",
                                      "你觉得近邻服务到底有没有用？", "珠海社区服务搞下来效果怎么样？",
                                      "给珠海这个实施方案打个分，你打几分？"])
def test_opinions_and_predictions_are_declined_plainly(engine, question):
    ans = answer(engine, question)
    assert ans.abstained and "不对此作评价" in ans.text and ans.citations == []


def test_a_can_question_about_a_service_is_still_answered(engine):
    ans = answer(engine, "厦门小学生放学早，社区能不能帮着看孩子？")
    assert not ans.abstained and "四点半" in ans.text


def test_a_follow_up_part_of_a_declined_part_is_declined_too(engine):
    """「…收费多少？有没有补贴？」: the second part names no subject of its own; with the first part declined,
    it is not answered from whatever passage its two words match."""
    ans = answer(engine, "县里托育机构一个月收费多少？有没有补贴？")
    assert ans.abstained and ans.citations == []
    parts = answer(engine, "珠海老旧小区改造由哪些部门负责？到2025年要改造多少个？")
    assert not parts.abstained and "229个" in parts.text


def test_latin_letters_are_content_words(engine):
    """通5G: the asked indicator is 5G, which the tokenizer keeps as a word with Latin letters."""
    ans = answer(engine, "衡水村里通5G的要达到多少？")
    assert not ans.abstained and "80%" in ans.text


def test_a_figure_asked_of_a_town_the_document_does_not_name_is_declined(engine):
    """A figure is set for the document's whole region; asked of a town no quoted sentence names, it is not
    stated. A town of a covered city written with its city's name (珠海镇（街道）) is the city's towns."""
    ans = answer(engine, "县里枫亭镇到2025年每千人要有几个婴幼儿托位？")
    assert ans.abstained and "枫亭镇" in ans.text
    county = answer(engine, "县里到2025年每千人要有几个婴幼儿托位？")
    assert not county.abstained and "4.5个" in county.text
    city = answer(engine, "珠海镇（街道）人民调解委员会至少要配几名专职人民调解员？")
    assert not city.abstained and "3名" in city.text


def test_a_district_the_documents_never_mention_is_declined(engine):
    ans = answer(engine, "珠海香洲区的托位目标是多少？")
    assert ans.abstained and "香洲区" in ans.text
    split = answer(engine, "衡水冀州区到2025年城市社区综合服务设施覆盖率要达到多少？")  # jieba: 冀州/区
    assert split.abstained and "冀州区" in split.text
    named = answer(engine, "仙游县司法局负责哪些工作？")  # 仙游 is the county of a document: not declined
    assert not named.abstained
    common = answer(engine, "珠海新建小区和老城区配套养老服务设施的面积标准分别是多少？")  # 老城区 is no place name
    assert not common.abstained and "15平方米" in common.text


def test_an_a_not_a_question_is_a_part_of_its_own():
    from kb.answer.pipeline import split_parts

    assert len(split_parts("珠海那229个要改造的老旧小区是哪些？我家小区在不在里面？")) == 2


# ---------------------------------------------------------------- round 5: places the answer never mentions

def test_a_city_inside_the_documents_region_that_no_answer_sentence_names_is_declined(engine):
    """浙江's figure is for the whole province; the question asks 宁波's share, which no sentence states."""
    ans = answer(engine, "浙江的未来社区建设目标里，宁波要建多少个？")
    assert ans.abstained and "宁波" in ans.text and ans.gate.get("stage") == "place"


def test_a_province_the_document_treats_as_a_topic_is_not_a_place_to_decline(engine):
    """台湾 in the county plan is a topic (cross-strait family exchange, written 仙台), not a sub-area."""
    ans = answer(engine, "县里跟台湾的婚姻家庭交流由哪些单位负责？")
    assert not ans.abstained and "县委台港澳办" in ans.text


def test_a_measures_answer_also_shows_the_best_sentence_of_a_neighbouring_task(engine):
    """An everyday question lands on a neighbouring task first (服务机制); the sentence it asks about
    (驻区单位…开放停车场地, in 健全多方参与机制) is shown after the task, cited, under its own heading."""
    ans = answer(engine, "小区旁边机关大院晚上车位都空着，衡水能不能让我们进去停一下车？")
    assert not ans.abstained
    extra = [line for line in ans.text.splitlines() if line.startswith("另见")]
    assert extra and any("停车场地" in line for line in extra)
    assert all(re.search(r"\[\d+\]$", line) for line in extra)
    check_citations(engine, ans)


def test_responsibility_in_a_document_without_clauses_needs_a_sentence_naming_a_unit(engine):
    """浙江's plan has no 责任单位 clauses: a sentence that names the unit answers (各级民政部门要建立…); a
    topical sentence that names none (助餐服务覆盖80%以上社区) does not, and the question is declined."""
    ans = answer(engine, "浙江规划要求哪个部门建立规划指标任务完成情况监测制度？")
    assert not ans.abstained and "各级民政部门" in ans.text
    check_citations(engine, ans)
    ans = answer(engine, "浙江规划里老年助餐服务的责任单位是哪几个部门？")
    assert ans.abstained and "责任单位" in ans.text


def test_a_sum_asked_in_yi_yuan_is_not_answered_by_a_percentage(engine):
    ans = answer(engine, "衡水“十四五”期间城乡社区综合服务设施建设的总投资是多少亿元？")
    assert ans.abstained


def test_an_empty_attachment_label_states_no_attachment(engine):
    """厦门's text ends with 「附件:」 and nothing after it: the attachment was not included, so no name is given."""
    ans = answer(engine, "厦门试点方案有哪些附件？")
    assert ans.abstained and "附件" in ans.text


def test_printed_date_asked_of_a_document_without_a_banji_line_gives_the_signature_date(engine):
    ans = answer(engine, "衡水这个规划的文号和印发日期是什么？")
    assert not ans.abstained and "2022年5月10日" in ans.text and "衡政办字〔2022〕28号" in ans.text


def test_a_yes_no_question_on_online_services_is_not_a_procedure(engine):
    """只能网上办了吗 asks what the plan keeps (线下办事服务渠道), not how to carry out an errand."""
    ans = answer(engine, "珠海老人不会用智能手机，以后办事是不是只能网上办了？")
    assert not ans.abstained and "线下" in ans.text


def test_a_unit_with_few_shared_tasks_shows_more_of_each(engine):
    """珠海市司法局 shares two tasks: their points are spread over a budget, so the one on 法律明白人 is shown."""
    ans = answer(engine, "珠海市司法局在实施方案中负责哪些任务？")
    assert ans.qtype == "unit" and "法律明白人" in ans.text
    check_citations(engine, ans)


def test_a_span_of_time_asked_without_the_word_phase_is_answered_from_the_phase_headings(engine):
    ans = answer(engine, "厦门试点全面铺开那一段是从哪天到哪天？")
    assert ans.qtype == "phase" and "2021年4月22日—11月30日" in ans.text
    check_citations(engine, ans)


def test_a_follow_up_part_keeps_the_place_and_the_passage_of_the_part_before(engine):
    """「县里…要改多少户？由哪些部门负责？」: the second part names neither place nor task; it is answered for the
    county's document, from the task whose figure answered the first part."""
    ans = answer(engine, "县里老旧小区改造要改多少户？由哪些部门负责？")
    assert not ans.abstained and "2万户" in ans.text
    second = ans.text.split("（2）")[1]
    assert "县住建局" in second and "珠海" not in second
    check_citations(engine, ans)


def test_a_share_of_a_whole_the_figure_does_not_name_is_declined(engine):
    """珠海 states 专职社区民警80%以上的工作时间 (a share of working time), not a share of the police force;
    莆田 states 专兼职社区民警占派出所警力不低于40%, which is answered."""
    assert answer(engine, "珠海方案要求专兼职社区民警占派出所警力的比例不低于多少？").abstained
    ans = answer(engine, "莆田那边派出所的警察要占多大比例下到社区？")
    assert not ans.abstained and "40%" in ans.text


@pytest.mark.parametrize("question, expected", [
    # 平均每个人 is the base 人 (人均体育场地面积), not a base of 个
    ("珠海以后平均每个人能有多大的体育场地？", ["3.0平方米"]),
    # 「要改造多少个老旧小区、建多少个未来社区」: each clause asks its own figure
    ("浙江“十四五”要改造多少个城镇老旧小区、建多少个未来社区？", ["3000", "350"]),
    # 「每个村(社区)建设1个…。培养3名以上骨干“法律明白人”」: the base 每个 is in the paragraph, not the sentence
    ("县里每个村要培养几个“法律明白人”？", ["3名以上"]),
    # round 9: 每年 named by the indicator (城乡年最低生活保障标准); 每个村 written as 所有村(社区); a share asked
    # as 「A占B要达到多少」 without a word for share
    ("浙江每年的城乡低保标准2025年要提到多少元？", ["13000"]),
    ("衡水每个村里要有几名灾害信息员？", ["1名"]),
    ("衡水居民活动区域面积占社区综合服务设施总建筑面积要达到多少？", ["60%"]),
])
def test_figures_of_the_asked_kind_are_found(engine, question, expected):
    ans = answer(engine, question)
    assert not ans.abstained and all(x in ans.text for x in expected)
    check_citations(engine, ans)


def test_an_indicator_table_row_is_quoted_with_its_attribute_and_baseline(engine):
    """指标属性 (预期性/约束性) is a column of the genre's indicator tables: the row's cell is part of the quoted
    row, and 「从几个…到几个」 asks the baseline column too."""
    ans = answer(engine, "浙江每万人拥有全科医生数量要从几个提高到几个？是约束性指标吗？")
    assert not ans.abstained and "预期性" in ans.text and "4" in ans.text and "5" in ans.text
    cited = [c.passage.text[a:e] for c in ans.citations for a, e in c.highlights]
    assert any("全科医生" in q and "预期性" in q for q in cited)
    check_citations(engine, ans)


def test_a_figure_with_no_year_of_its_own_is_not_the_figure_of_another_asked_year(engine):
    ans = answer(engine, "浙江城乡居民收入倍差2023年的目标是多少？")  # the table's 2025 target only
    assert ans.abstained
    assert not answer(engine, "浙江城乡居民收入倍差2025年的目标是多少？").abstained





def test_a_quoted_method_name_the_plan_only_lists_is_not_explained(engine):
    ans = answer(engine, "巡司顶社区的穿针引线工作法是怎么运作的？")
    assert ans.abstained and "穿针引线工作法" in ans.text and "没有说明" in ans.text


def test_a_document_title_on_a_label_does_not_put_a_sentence_on_topic(engine):
    """「加强网上办、掌上办…」 names an online channel (a procedure word), but for government services, not for
    booking a doctor; only the label's 《…城乡社区…》 title shared a word with the question."""
    ans = answer(engine, "社区医院的号怎么在网上预约？")
    assert ans.abstained



def test_a_part_asking_only_with_a_verb_inherits_the_subject_before_it(engine):
    # 「提高到多少」 names no subject of its own: it asks of the indicator the first part named
    ans = answer(engine, "衡水农村社区综合服务设施覆盖率原来是多少？以后要提高到多少？")
    assert not ans.abstained and "65%" in ans.text and "80%" in ans.text.split("（2）")[-1]
    # the asker's own situation (我想报名当志愿者) is no subject a later part inherits
    own = answer(engine, "我想报名当志愿者，浙江社区里志愿服务站点多吗？要覆盖到多少？")
    assert not own.abstained and "100%" in own.text.split("（2）")[-1]


@pytest.mark.parametrize("question, expected", [
    # the county sets a rural coverage rate for its service facilities, not for its emergency broadcasting
    # (which it names elsewhere): a 覆盖率 figure of the one is not the other's
    ("衡水农村地区应急广播覆盖率打算提到多少？", None),
    ("衡水农村社区综合服务设施覆盖率到2025年是多少？", "80%"),
    # the measure and the attribute asked (数量, 预期性) do not say which indicator is meant
    ("浙江未来社区数量是约束性还是预期性指标，目标多少个？", "350"),
    # 服务用房 is the genre's other word for 服务设施
    ("珠海新建住宅小区养老服务用房按每百户多少平方米配？", "20平方米"),
    # a table row whose cells state no unit still answers 「多少名」
    ("衡水每一万城镇常住人口到2025年应当配多少名社区工作者？", "18"),
    # the subject named once, before two asking clauses, is what both ask about
    ("浙江省每千人拥有的婴幼儿照护设施托位，原来是多少、今后要到多少？", ("1.8", "4.5")),
    # an indicator naming the other side (城市社区…) is not a rural figure, whatever else its sentence says
    ("厦门农村地区每万人要建几个社区卫生服务站？", None),
    # the present value asked of a figure the document sets only as a goal is not stated
    ("珠海目前每千人口有几个3岁以下婴幼儿托位？", None),
    ("珠海要求每千人口有多少个3岁以下婴幼儿托位？", "5.5个"),
    # how many asked, a coverage rate (80%) set: not the number of sites
    ("珠海打算建多少个志愿服务站点？", None),
    ("珠海志愿服务站点覆盖率要达到多少？", "80%"),
    # the county pays 残疾人联络员 200元 a month; nothing for the severely disabled themselves
    ("县里给重度残疾人的护理补贴一个月多少？", None),
    ("县里残疾人联络员岗位补贴每月多少钱？", "200元"),
])
def test_a_figure_is_of_the_asked_indicator(engine, question, expected):
    ans = answer(engine, question)
    if expected is None:
        assert ans.abstained
    else:
        assert not ans.abstained and all(x in ans.text for x in ((expected,) if isinstance(expected, str) else expected))
