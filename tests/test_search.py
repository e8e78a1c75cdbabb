"""Retrieval on the real index: tokenizer, fusion, filters, approximate FAISS indexes."""
import numpy as np
import pytest

from kb.errors import FilterError, QueryError
from kb.query import expand
from kb.search import DenseIndex, fuse, tokenize
from kb.store.base import Filters


def test_tokenizer_keeps_policy_terms_and_drops_stop_words():
    toks = tokenize("什么是“五社联动”？长者食堂由哪些部门负责")
    assert "五社联动" in toks and "长者食堂" in toks and "负责" in toks
    assert "什么" not in toks and "是" not in toks and "？" not in toks and "“" not in toks


def test_reciprocal_rank_fusion_by_hand():
    ranked = {"bm25": [(7, 9.0), (3, 5.0)], "dense": [(3, 0.9), (8, 0.8)]}
    fused = dict(fuse(ranked, {"bm25": 1.0, "dense": 1.0}, k=60))
    assert fused[3] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[7] == pytest.approx(1 / 61)
    assert fused[8] == pytest.approx(1 / 62)
    assert [i for i, _ in fuse(ranked, {"bm25": 1.0, "dense": 1.0}, k=60)][0] == 3
    # a retriever's weight scales its contribution
    assert dict(fuse(ranked, {"bm25": 2.0, "dense": 0.0}, k=60))[7] == pytest.approx(2 / 61)


def test_hybrid_hits_explain_both_retrievers(engine):
    hits = engine.search("老年人助餐服务由哪些部门负责？", top_k=5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    top = hits[0]
    assert top.bm25_rank is not None and top.dense_rank is not None
    w = engine.settings
    assert top.sentence_rank is not None
    assert top.score == pytest.approx(w.bm25_weight / (w.rrf_k + top.bm25_rank) + w.dense_weight / (w.rrf_k + top.dense_rank)
                                      + w.sentence_weight / (w.rrf_k + top.sentence_rank))
    assert top.passage.doc_id == "putian-county-plan"
    assert "1.优化社区养老和助残服务供给" in top.passage.section


def test_sentence_ranking_scores_a_passage_by_its_closest_sentence(engine):
    """The third list ranks passages by the best cosine of any of their sentences to the question, and
    keeps to the filters."""
    from kb.evidence import sentence_spans

    s = engine.searcher
    qvec = engine.question_vector("我家老人一个人住，摔倒了没人知道，有人定期上门看看吗？")
    ranked = s.sentence_ranking(qvec, 10, Filters(doc="zhejiang-plan"))
    assert ranked and all(s.passages[i].doc_id == "zhejiang-plan" for i, _ in ranked)
    assert [x for _, x in ranked] == sorted((x for _, x in ranked), reverse=True)
    i, score = ranked[0]
    p = s.passages[i]
    sims = engine.sentence_vectors([p.text[a:e] for a, e in sentence_spans(p.text)]) @ qvec
    assert score == pytest.approx(float(sims.max()), abs=1e-5)
    top = s.passages[s.sentence_ranking(qvec, 1, Filters())[0][0]]
    assert "养老" in top.text or "老年" in top.text  # a task on older people, whatever its words


def test_everyday_words_reach_the_policy_task(engine):
    assert "助餐" in expand("老人吃饭难谁来管？")
    for mode in ("bm25", "hybrid"):
        hits = engine.search("老人吃饭难谁来管？", top_k=5, mode=mode)
        assert any("助餐" in h.passage.text for h in hits), mode


def test_a_search_may_embed_another_text_than_it_matches_by_words(engine):
    """dense_as: the keywords of a narrowed query with the question's meaning (the responsibility topic search,
    the per-document comparison searches): dense ranks are the question's, BM25 ranks the narrowed query's."""
    question, topic = "老年人助餐服务由哪些部门负责？", "老年人助餐服务"
    mixed = engine.search(topic, top_k=10, dense_as=question)
    by_meaning = {h.passage.pid: h.dense_rank for h in engine.search(question, top_k=50, mode="dense")}
    by_words = {h.passage.pid: h.bm25_rank for h in engine.search(topic, top_k=50, mode="bm25")}
    dense_own = {h.passage.pid: h.dense_rank for h in engine.search(topic, top_k=50, mode="dense")}
    assert mixed and all(h.dense_rank == by_meaning.get(h.passage.pid) for h in mixed if h.dense_rank)
    assert all(h.bm25_rank == by_words.get(h.passage.pid) for h in mixed if h.bm25_rank)
    assert any(h.dense_rank != dense_own.get(h.passage.pid) for h in mixed)  # not the topic's own vector


def test_filters(engine):
    hits = engine.search("社区养老服务", top_k=10, level="省")
    assert hits and {h.passage.doc_id for h in hits} == {"zhejiang-plan"}
    hits = engine.search("社区养老服务", top_k=10, doc="xiamen-pilot-plan", mode="dense")
    assert hits and {h.passage.doc_id for h in hits} == {"xiamen-pilot-plan"}
    hits = engine.search("社区养老服务", top_k=10, region="莆田", mode="bm25")
    assert hits and {h.passage.doc_id for h in hits} == {"putian-county-plan"}
    with pytest.raises(FilterError, match="市"):
        engine.search("社区养老服务", level="国家")
    with pytest.raises(QueryError):
        engine.search("养老", top_k=0)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_indexes_agree_with_exact(engine, kind):
    flat = engine.data.dense.index
    vecs = flat.reconstruct_n(0, flat.ntotal)
    approx = DenseIndex.build(vecs, kind)
    exact = DenseIndex(flat)
    agree = 0
    for i in range(0, len(vecs), 7):
        a = [j for j, _ in approx.search(vecs[i], 5, None)]
        e = [j for j, _ in exact.search(vecs[i], 5, None)]
        assert a[0] == i  # a passage's own vector finds itself first
        agree += len(set(a) & set(e))
    assert agree / (5 * len(range(0, len(vecs), 7))) > 0.8
    allowed = np.arange(0, len(vecs), 2)
    assert all(j % 2 == 0 for j, _ in approx.search(vecs[1], 5, allowed))
