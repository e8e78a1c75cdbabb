"""Task tables in every rendering the genre produces, read through the real cleaning and parsing code."""
from kb.clean import clean_text
from kb.structure import parse_document
from kb.tasks import build_tasks, row_similarity

BODY = ("一、主要任务\n（一）推进社区食堂建设。新建社区食堂10个。\n（二）发展普惠托育服务。新增托位200个。\n"
        "（三）完善社区养老服务设施。建设日间照料中心。\n")


def tasks_of(raw: str):
    text = clean_text(raw).text
    root, clauses = parse_document(text)
    return text, {t.heading: (t.lead, t.partners, t.deadline) for t in build_tasks(text, root, clauses)}


def test_tab_separated_table_with_shortened_task_names():
    raw = BODY + ("附件\n重点任务分工表\n序号\t工作任务\t牵头单位\t配合单位\t完成时限\n"
                  "1\t推进社区食堂建设\t县民政局\t县财政局、县市场监管局\t2025年6月底前\n"
                  "2\t发展托育服务\t县卫生健康局\t县妇联\t持续推进\n"
                  "3\t完善养老服务设施\t县民政局\t\t2025年底前\n"
                  "4\t开展社区志愿服务\t团县委\t县民政局\t每年\n")
    text, got = tasks_of(raw)
    assert "| 1 | 推进社区食堂建设 | 县民政局 |" in text
    assert got == {"推进社区食堂建设": (["县民政局"], ["县财政局", "县市场监管局"], "2025年6月底前"),
                   "发展普惠托育服务": (["县卫生健康局"], ["县妇联"], "持续推进"),  # linked though shortened
                   "完善社区养老服务设施": (["县民政局"], [], "2025年底前"),
                   "开展社区志愿服务": (["团县委"], ["县民政局"], "每年")}  # no body task: a task of the attachment


def test_space_aligned_columns_with_an_empty_cell():
    raw = BODY + ("附件\n重点任务分工表\n"
                  "序号  重点任务              牵头单位      配合单位                完成时限\n"
                  "1     推进社区食堂建设      县民政局      县财政局、县市场监管局  2025年6月底前\n"
                  "2     发展普惠托育服务      县卫生健康局                          持续推进\n")
    _, got = tasks_of(raw)
    assert got["推进社区食堂建设"] == (["县民政局"], ["县财政局", "县市场监管局"], "2025年6月底前")
    assert got["发展普惠托育服务"] == (["县卫生健康局"], [], "持续推进")


def test_pipe_rows_broken_by_pdf_line_wraps():
    raw = BODY + ("附件1\n重点任务分工表\n| 序号 | 工作任务 | 牵头单位 | 配合单位 | 完成时限 |\n"
                  "| 1 | 推进社区食堂建设，新建社区食堂 | 县民政局 | 县财政局、县统\n计局 | 2025年6月底前 |\n"
                  "| 2 | 发展普惠托育服务，新增托位200个 |\n县卫生健康局 | 县妇联、县教育局 | 持续推进 |\n"
                  "| 3 | 开展社区志愿服务活 | 团县委 | 县民政局 | 每年 |\n动\n")
    _, got = tasks_of(raw)
    assert got["推进社区食堂建设"] == (["县民政局"], ["县财政局", "县统计局"], "2025年6月底前")  # 县统/计局 joined
    assert got["发展普惠托育服务"] == (["县卫生健康局"], ["县妇联", "县教育局"], "持续推进")
    assert got["开展社区志愿服务活动"] == (["团县委"], ["县民政局"], "每年")


def test_table_flattened_to_one_cell_per_line():
    raw = BODY + ("附件\n重点任务分工表\n序号\n工作任务\n牵头单位\n配合单位\n完成时限\n"
                  "1\n推进社区食堂建设\n县民政局\n县财政局、县市场监管局\n2025年6月底前\n"
                  "2\n发展普惠托育服务\n县卫生健康局\n持续推进\n")  # an empty 配合单位 cell leaves no line
    _, got = tasks_of(raw)
    assert got == {"推进社区食堂建设": (["县民政局"], ["县财政局", "县市场监管局"], "2025年6月底前"),
                   "发展普惠托育服务": (["县卫生健康局"], [], "持续推进")}


def test_row_similarity_links_paraphrases_not_strangers():
    assert row_similarity("发展托育服务", "发展普惠托育服务") >= 0.7
    assert row_similarity("推进社区食堂建设，新建食堂", "推进社区食堂建设") == 2.0
    assert row_similarity("发展托育服务", "加强组织领导") < 0.7
    assert row_similarity("开展社区志愿服务", "完善社区养老服务设施") < 0.7


def test_prose_lines_are_not_columns():
    raw = "第五条  职责分工  市民政部门负责全市社区综合服务设施的监督管理工作，区民政部门负责日常管理。\n" \
          "第六条  规划建设  市自然资源和规划局负责将设施纳入国土空间规划，市住房城乡建设部门负责监督。\n"
    assert "|" not in clean_text(raw).text


def test_space_aligned_row_wrapped_onto_a_second_line():
    raw = BODY + ("附件\n重点任务分工表\n"
                  "序号  重点任务              牵头单位      配合单位                完成时限\n"
                  "1     推进社区食堂建设      县民政局      县财政局、县市场监管局  2025年6月底前\n"
                  "                                          、县商务局\n"
                  "2     发展普惠托育服务      县卫生健康局  县妇联                  持续推进\n")
    _, got = tasks_of(raw)
    assert got["推进社区食堂建设"] == (["县民政局"], ["县财政局", "县市场监管局", "县商务局"], "2025年6月底前")
    assert got["发展普惠托育服务"] == (["县卫生健康局"], ["县妇联"], "持续推进")


def test_flattened_table_with_a_cell_broken_over_two_lines():
    raw = BODY + ("附件\n重点任务分工表\n序号\n工作任务\n牵头单位\n配合单位\n完成时限\n"
                  "1\n推进社区食堂建设\n县民政局\n县财政局、县统\n计局\n2025年6月底前\n"
                  "2\n发展普惠托育服务\n县卫生健康局\n县妇联、\n县教育局\n持续推进\n")
    _, got = tasks_of(raw)
    assert got == {"推进社区食堂建设": (["县民政局"], ["县财政局", "县统计局"], "2025年6月底前"),
                   "发展普惠托育服务": (["县卫生健康局"], ["县妇联", "县教育局"], "持续推进")}
