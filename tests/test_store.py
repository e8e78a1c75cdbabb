"""The Milvus store for real, through Milvus Lite (in-process, a file under the test's index folder):
build, hybrid search with Milvus's RRF, filters, parity with the embedded store, incremental update,
stale detection. The embedded store is covered by test_index.py and test_search.py."""
import json
import shutil

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from kb import index as index_mod  # noqa: E402
from kb.engine import Engine  # noqa: E402
from kb.settings import PROJECT_ROOT  # noqa: E402
from kb.store import Filters, make_store  # noqa: E402
from kb.store.milvus import QUERY_SCALE, analyzer_params, client_for, filter_expr, query_text  # noqa: E402


def milvus_copy(base, engine, folder):
    """A private corpus copy and index folder with the Milvus store; embeddings from the session's cache."""
    shutil.copytree(PROJECT_ROOT / "corpus", folder / "corpus")
    (folder / "index").mkdir(parents=True)
    shutil.copytree(engine.settings.index_dir / "embed_cache", folder / "index" / "embed_cache")
    return base.replace(corpus_dir=folder / "corpus", index_dir=folder / "index", data_dir=folder / "data",
                        store="milvus", milvus_uri="")


@pytest.fixture(scope="module")
def meng(kb_settings, engine, tmp_path_factory):
    s = milvus_copy(kb_settings, engine, tmp_path_factory.mktemp("milvus"))
    eng = Engine.open(s)
    assert eng.embedder.get().encoded_count == 0, "vectors should come from the embedding cache"
    return eng


def test_build_names_the_store_and_fills_the_collection(meng):
    st = meng.stats()
    assert st["store"] == "milvus" and st["store_info"]["uri"].endswith("index/milvus.db")
    assert (meng.settings.index_dir / "milvus.db").exists()
    store = meng.data.store
    assert store.count() == len(meng.passages) == st["passages"]
    assert meng.data.manifest["store"]["inserted"] == len(meng.passages)
    assert index_mod.staleness(meng.settings) is None


def test_analyzer_gets_our_dictionary_and_stop_words():
    params = analyzer_params()
    assert params["tokenizer"]["type"] == "jieba" and "五社联动" in params["tokenizer"]["dict"]
    stop = next(f for f in params["filter"] if isinstance(f, dict) and f.get("type") == "stop")["stop_words"]
    assert "的" in stop and "？" in stop and "，" in stop


def test_mined_terms_and_document_frequencies_match_the_embedded_store(meng, engine):
    """Query expansion reads df_share and BM25 cuts with the mined terms: both stores must give the same."""
    emb, mil = engine.searcher.bm25, meng.searcher.bm25
    assert mil.terms and mil.terms == emb.terms
    assert (meng.data.folder / "bm25" / "terms.tsv").is_file() and (meng.data.folder / "bm25" / "df.json").is_file()
    tokens = sorted(emb.model.vocab_dict)[:: max(1, len(emb.model.vocab_dict) // 200)] + ["不在索引里的词"]
    assert [round(mil.df_share(t), 9) for t in tokens] == [round(emb.df_share(t), 9) for t in tokens]
    dict_words = set(analyzer_params([t for t, _c in mil.terms])["tokenizer"]["dict"])
    assert {t for t, _c in mil.terms} <= dict_words  # what a Milvus server's analyzer gets
    assert meng.data.store._analyzer_terms() == []  # Lite: see MilvusStore.build


def test_weighted_query_goes_to_milvus_as_repeated_text():
    from kb.search import tokenize

    q = "老人吃饭难怎么办"
    own = {t: 1.0 for t in tokenize(q)}
    assert tokenize("社区服务") == ["社区", "服务", "社区服务"]
    text = query_text(q, {**own, "社区服务": 0.6, "社区": 0.6, "服务": 0.8, "用餐": 0.3})
    # the question QUERY_SCALE times; an expansion round(weight x QUERY_SCALE) times; a compound's parts
    # are appended only for the weight the compound does not give them, as the analyzer cuts them out of it
    words = text.split()
    assert words.count(q) == QUERY_SCALE
    assert words.count("社区服务") == 6 and words.count("用餐") == 3
    assert words.count("社区") == 0 and words.count("服务") == 2
    assert query_text(q, None) == q


def test_hybrid_is_milvus_rrf_and_explains_both_retrievers(meng):
    hits = meng.search("老年人助餐服务由哪些部门负责？", top_k=5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert hits[0].passage.doc_id == "putian-county-plan"
    assert "1.优化社区养老和助残服务供给" in hits[0].passage.section
    k = meng.settings.rrf_k
    for h in hits:  # the score came from Milvus's RRFRanker; our ranks from the single searches agree with it
        expected = sum(1 / (k + r) for r in (h.bm25_rank, h.dense_rank) if r is not None)
        assert h.score == pytest.approx(expected, rel=1e-4)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_filters(meng):
    hits = meng.search("社区养老服务", top_k=10, level="省")
    assert hits and {h.passage.doc_id for h in hits} == {"zhejiang-plan"}
    hits = meng.search("社区养老服务", top_k=10, doc="xiamen-pilot-plan", mode="dense")
    assert hits and {h.passage.doc_id for h in hits} == {"xiamen-pilot-plan"}
    hits = meng.search("社区养老服务", top_k=10, region="莆田", mode="bm25")
    assert hits and {h.passage.doc_id for h in hits} == {"putian-county-plan"}
    two = ["xiamen-pilot-plan", "zhejiang-plan"]
    hits = meng.search("社区养老服务", top_k=20, doc=two)
    assert {h.passage.doc_id for h in hits} == set(two)
    assert filter_expr(Filters(doc='a"b', region="珠海", level="市")) == \
        'doc_id in ["a\\"b"] and region like "%珠海%" and level == "市"'


def test_rankings_match_the_embedded_store(meng, engine):
    rows = [json.loads(l) for l in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if l.strip()][:20]
    same_top, overlap = 0, 0.0
    for r in rows:
        for mode in ("bm25", "dense", "hybrid"):
            a = [h.passage.pid for h in engine.search(r["question"], top_k=5, mode=mode)]
            b = [h.passage.pid for h in meng.search(r["question"], top_k=5, mode=mode)]
            if mode == "dense":
                assert a == b, r["question"]  # exact inner product on the same vectors
            same_top += a[:1] == b[:1]
            overlap += len(set(a) & set(b)) / max(1, len(a))
    n = 3 * len(rows)
    assert same_top / n >= 0.85 and overlap / n >= 0.85, (same_top / n, overlap / n)


def change_xiamen(s):
    doc = s.corpus_dir / "xiamen-pilot-plan.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n六、附则\n本方案由厦门市社区办负责解释，自发布之日起施行。\n", encoding="utf-8")
    reason = index_mod.staleness(s)
    assert reason and "xiamen-pilot-plan.txt" in reason


def test_update_reembeds_only_changed_text_and_finds_it(kb_settings, engine, tmp_path):
    """Against a Lite file a changed corpus is re-inserted in full (Lite's BM25 statistics are per segment),
    from cached vectors: the new text ranks first by BM25 as it does with the embedded store."""
    s = milvus_copy(kb_settings, engine, tmp_path)
    n0 = len(Engine.open(s).passages)
    change_xiamen(s)
    eng = Engine.open(s)
    info = eng.data.manifest["store"]
    assert 0 < eng.embedder.get().encoded_count <= 3
    assert info["incremental"] is False and info["inserted"] == info["rows"] == len(eng.passages) >= n0
    assert eng.data.store.count() == len(eng.passages)
    for mode in ("bm25", "hybrid"):
        assert "负责解释" in eng.search("厦门市社区办负责解释", top_k=3, mode=mode)[0].passage.text, mode
    assert index_mod.staleness(s) is None


def test_incremental_row_sync_and_stale_detection(kb_settings, engine, tmp_path, monkeypatch):
    """The server path (rows synced by key), run on Milvus Lite."""
    from kb.store import milvus as M

    real = M.MilvusStore.__init__
    monkeypatch.setattr(M.MilvusStore, "__init__", lambda self, st, incremental=None: real(self, st, True))
    s = milvus_copy(kb_settings, engine, tmp_path)
    eng = Engine.open(s)
    n0 = len(eng.passages)
    change_xiamen(s)
    eng = Engine.open(s)
    info = eng.data.manifest["store"]
    # only the changed passages' rows go in and out; the rest of the collection is kept
    assert info["incremental"] is True and 0 < info["inserted"] <= 3 and info["deleted"] <= 3
    assert eng.data.store.count() == info["rows"] == len(eng.passages) >= n0
    # Milvus Lite's analyzer shares this process's jieba: it gets no mined terms (they would leak into
    # the answer side's tokenizer); the query side still has them
    assert eng.data.store._analyzer_terms() == [] and eng.searcher.bm25.terms
    hits = eng.search("本方案由厦门市社区办负责解释，自发布之日起施行", top_k=3, mode="dense")
    assert "负责解释" in hits[0].passage.text
    assert index_mod.staleness(s) is None

    # rows lost behind the index's back: detected, and the next open puts back just those
    store = eng.data.store
    victim = next(iter(store.positions))
    client_for(store.uri).delete(store.collection, ids=[victim])
    assert "rows" in index_mod.staleness(s)
    eng = Engine.open(s)
    assert eng.data.manifest["store"]["inserted"] == 1 and index_mod.staleness(s) is None

    # the collection dropped: detected as missing and rebuilt in full
    client_for(store.uri).drop_collection(store.collection)
    assert "missing" in index_mod.staleness(s)
    eng = Engine.open(s)
    assert eng.data.store.count() == len(eng.passages)
    assert eng.search("厦门市社区办负责解释", top_k=3, mode="dense")[0].passage.doc_id == "xiamen-pilot-plan"


def test_unreachable_server_and_unknown_store_fail_before_embedding(kb_settings, tmp_path):
    from kb.errors import KBError

    s = kb_settings.replace(corpus_dir=PROJECT_ROOT / "corpus", index_dir=tmp_path / "index", store="milvus",
                            milvus_uri="http://127.0.0.1:1")
    with pytest.raises(KBError, match="KB_STORE=embedded"):
        Engine.open(s)
    assert not (tmp_path / "index" / "embed_cache").exists()  # nothing was embedded
    with pytest.raises(KBError, match="embedded, milvus"):
        Engine.open(s.replace(store="faiss"))


def test_switching_store_rebuilds_without_reembedding(meng):
    s = meng.settings.replace(store="embedded")
    assert "store" in index_mod.staleness(s)
    eng = Engine.open(s)
    assert eng.stats()["store"] == "embedded" and eng.embedder.get().encoded_count == 0
    assert make_store(s).name == "embedded"


def test_building_a_bm25_index_logs_nothing_below_warning(caplog):
    """bm25s sets its own logger to DEBUG; with logging configured (as eval and the app do) its debug lines
    would reach the console."""
    import logging

    from kb.store.embedded import Bm25Index

    caplog.set_level(logging.DEBUG)
    Bm25Index.build(["社区 服务", "养老 服务"], tokenized=[["社区", "服务"], ["养老", "服务"]], mine=False)
    assert not [r for r in caplog.records if r.name.startswith("bm25s") and r.levelno < logging.WARNING]
