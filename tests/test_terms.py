"""Coined labels (kb/answer/terms.py): a question about what a label means is answered by the sentence that
spells it out, and declined when the documents only use the label."""
import pytest

from kb.answer import terms


@pytest.mark.parametrize("term, before, listed", [
    ("五社联动", "推动社区、社会组织、社会工作者、社区志愿者、社会慈善资源“", True),
    ("四同步", "配建与建设项目实行规划、建设、验收、交付“", True),
    ("一库两平台", "数据库、平台、服务平台的“", True),  # 1 + 2 parts
    ("三统筹三扩大四创建", "按照市委、市政府“", False),  # two items are not its three (or ten) parts
    ("两委", "以村(社区)“", False),
    ("六位一体", "党组织、居民委员会等“", True),  # a list ending in 等 may name fewer
])
def test_a_list_right_before_the_label_counts_as_its_parts(term, before, listed):
    assert terms.lists_parts(term, before) is listed


@pytest.mark.parametrize("question", ["浙江规划里的“两个先行”是哪两个？", "“一网四化”是哪四化？"])
def test_a_label_asked_for_its_counted_parts_is_a_meaning_question(engine, question):
    a = engine.ask(question)
    assert a.abstained and "没有说明" in a.text


def test_a_label_the_documents_only_use_is_declined_with_what_they_say(engine):
    a = engine.ask("福州军门社区“13335”工作法具体指的是哪些内容？")
    assert a.abstained
    assert "“13335”" in a.text and "没有说明" in a.text
    assert a.citations == [] and any("13335" in h.passage.text for h in a.related)  # shown as 可能相关


@pytest.mark.parametrize("question, spelled", [
    ("“四同步”是什么意思？", "规划、建设、验收、交付"),
    ("浙江规划里的“一库两平台”是什么？", "业务工作数据库"),  # the task headed by the label says what it is
])
def test_a_spelled_out_label_is_answered_with_that_sentence(engine, question, spelled):
    a = engine.ask(question)
    assert not a.abstained
    assert spelled in a.text
    assert a.citations and spelled in a.citations[0].passage.text


def test_a_question_on_what_places_require_of_a_label_is_not_a_meaning_question(engine):
    a = engine.ask("“五社联动”，县里和衡水分别是怎么要求的？")  # 分别是怎么要求: what is required, not what it means
    assert not a.abstained and "五社联动" in a.text


def test_a_question_about_something_else_of_a_labelled_document_is_not_a_meaning_question(engine):
    a = engine.ask("衡水城乡社区服务体系“十四五”规划的发文字号是什么？")
    assert not a.abstained and "衡政办字〔2022〕28号" in a.text
