"""Question typing, places, follow-ups and synonym expansion (no index needed)."""
import pytest

from kb.query import expand, expansions, place_names, resolve_followup, understand

KNOWN = ("仙游", "莆田", "衡水", "厦门", "浙江", "珠海")


@pytest.mark.parametrize("question, qtype", [
    ("老年人助餐服务由哪些部门负责？", "responsibility"),
    ("老人吃饭难谁来管？", "responsibility"),
    ("网格员队伍建设由哪个部门牵头？", "responsibility"),
    ("到2025年每千人口托位数要达到多少？", "target"),
    ("农村社区综合服务设施覆盖率是多少", "target"),
    ("什么是五社联动？", "definition"),
    ("“六有”标准指什么？", "definition"),
    ("怎么提升社区的应急管理能力？", "measures"),
    ("发展普惠托育有哪些措施？", "measures"),
    ("珠海和厦门在社区养老方面分别有什么安排？", "comparison"),
    ("各地的社区商业面积占比一样吗？", "comparison"),
    ("社区服务体系建设", "general"),
])
def test_question_types(question, qtype):
    assert understand(question, KNOWN).qtype == qtype


def test_places_known_and_unknown():
    assert place_names("珠海和厦门在社区养老方面", KNOWN) == ["珠海", "厦门"]
    assert place_names("深圳市城乡社区服务体系建设规划", KNOWN) == ["深圳"]
    assert place_names("城市社区和新建小区的标准", KNOWN) == []  # 城市 is not a place
    assert place_names("厦门创建试点市要求多大比例的社区", KNOWN) == ["厦门"]  # 试点市 is a designation
    assert place_names("争创全国文明城市和示范市", KNOWN) == []
    # 市里 / 省内 is the government of the place the question is about, not a place named 听说 or 我们
    assert place_names("我刚来珠海，听说市里挑了几个社区做试点", KNOWN) == ["珠海"]
    assert place_names("我们省内有几个试点", KNOWN) == []


def test_any_prefecture_city_is_a_place_but_a_city_name_that_is_a_word_is_not():
    # from the gazetteer (cpca's adcodes table), not from the hand list of larger cities
    assert place_names("我在宁德的村里，能享受县里说的那些社区服务吗？") == ["宁德"]
    assert place_names("龙岩和南平的社区食堂谁来管？") == ["龙岩", "南平"]
    assert place_names("各地的标准大同小异吗？老年安康服务谁管？") == []  # 大同, 安康: common words first


def test_a_question_about_a_city_the_corpus_does_not_cover_is_declined(engine):
    from kb.answer import answer

    ans = answer(engine, "龙岩的社区老年食堂由哪些部门负责？")
    assert ans.abstained and "龙岩" in ans.text and ans.related


def test_the_county_scheme_named_as_such_scopes_to_the_county():
    assert understand("县方案对每万城镇常住人口配备多少名社区工作者有什么硬指标？", KNOWN).county
    assert not understand("每万城镇常住人口配备多少名社区工作者？", KNOWN).county


def test_county_and_years():
    q = understand("县里到2030年覆盖率要达到多少？", KNOWN)
    assert q.county and q.years == ["2030"]


def test_followup_substitutes_the_place():
    history = ["厦门的养老服务由哪些部门负责？"]
    assert resolve_followup("那珠海呢？", history, KNOWN) == "珠海的养老服务由哪些部门负责？"
    # a chain of follow-ups goes back to the last full question
    assert resolve_followup("浙江呢", history + ["那珠海呢？"], KNOWN) == "浙江的养老服务由哪些部门负责？"


def test_a_bare_place_is_a_followup():
    history = ["厦门的养老服务由哪些部门负责？"]
    assert resolve_followup("珠海？", history, KNOWN) == "珠海的养老服务由哪些部门负责？"
    assert resolve_followup("换成浙江", history, KNOWN) == "浙江的养老服务由哪些部门负责？"


def test_followup_substitutes_the_subject():
    out = resolve_followup("那托育呢？", ["厦门的养老服务由哪些部门负责？"], KNOWN)
    assert "厦门" in out and "托育" in out and understand(out, KNOWN).qtype == "responsibility"


def test_full_questions_are_not_followups():
    q = "珠海到2025年每千人口托位数要达到多少？"
    assert resolve_followup(q, ["厦门的养老服务由哪些部门负责？"], KNOWN) == q
    assert resolve_followup("那珠海呢？", None, KNOWN) == "那珠海呢？"


def test_everyday_words_expand_to_policy_terms():
    assert "助餐" in expansions("老人吃饭难谁来管？")
    assert "托育" in expand("带孩子的地方")
    assert "加装电梯" in expand("老小区装电梯")
    assert expand("助餐") == "助餐"  # nothing to add to a policy term
