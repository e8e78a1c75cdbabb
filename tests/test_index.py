"""Index persistence with the real model and real FAISS: round trip, staleness, incremental
re-embedding, an interrupted build, corrupt files."""
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb import index as index_mod
from kb.engine import Engine
from kb.errors import IndexCorrupt
from kb.settings import PROJECT_ROOT


def env_for(settings, **extra):
    env = dict(os.environ)
    env.update({"KB_CORPUS_DIR": str(settings.corpus_dir), "KB_INDEX_DIR": str(settings.index_dir),
                "KB_DATA_DIR": str(settings.data_dir), "KB_MODEL_CACHE_DIR": str(settings.model_cache_dir)})
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def built(fresh_settings, engine):
    """A private index built from the session engine's embedding cache (so only new text is encoded)."""
    shutil.copytree(engine.settings.index_dir / "embed_cache", fresh_settings.index_dir / "embed_cache")
    eng = Engine.open(fresh_settings)
    assert eng.embedder.get().encoded_count == 0, "everything should come from the cache"
    return eng


def test_round_trip(engine, kb_settings):
    assert index_mod.staleness(kb_settings) is None
    again = Engine.open(kb_settings)
    assert [p.pid for p in again.passages] == [p.pid for p in engine.passages]
    assert again.data.dense.index.ntotal == len(engine.passages)
    hits = again.search("老年人助餐服务由哪些部门负责？", top_k=5)
    assert any(h.passage.doc_id == "putian-county-plan" for h in hits)


def test_stale_corpus_is_detected_and_only_changed_text_reembedded(built, fresh_settings):
    doc = fresh_settings.corpus_dir / "xiamen-pilot-plan.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n六、附则\n本方案由厦门市社区办负责解释，自发布之日起施行。\n", encoding="utf-8")
    reason = index_mod.staleness(fresh_settings)
    assert reason and "xiamen-pilot-plan.txt" in reason and "changed" in reason
    reports = []
    eng = Engine.open(fresh_settings, progress=lambda frac, desc: reports.append((frac, desc)))
    encoded = eng.embedder.get().encoded_count
    fracs = [f for f, _ in reports]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0
    # each step reports its new texts (passages, then evidence sentences); together they are what was encoded
    totals = {}
    for _, desc in reports:
        m = re.match(r"向量化 \d+/(\d+) 个(新段落|新证据句)", desc)
        if m:
            totals[m.group(2)] = int(m.group(1))
    assert totals.get("新段落") and sum(totals.values()) == encoded, reports
    assert 0 < encoded <= 3, f"only the changed passages should be embedded, got {encoded}"
    assert any("负责解释" in p.text for p in eng.passages)
    assert index_mod.staleness(fresh_settings) is None


def test_settings_change_makes_index_stale(built, fresh_settings):
    assert index_mod.staleness(fresh_settings) is None
    reason = index_mod.staleness(fresh_settings.replace(chunk_size=200))
    assert reason and "chunk_size" in reason


def test_parser_change_makes_index_stale(built, fresh_settings, tmp_path):
    """An index built by other parsing code (a new heading marker in genre.toml, say) is stale."""
    kb_dir = Path(index_mod.__file__).parent
    copy = tmp_path / "kb"
    shutil.copytree(kb_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "ui"))
    before = index_mod.parser_fingerprint(copy)
    assert before == index_mod.parser_fingerprint()
    genre = copy / "data" / "genre.toml"
    genre.write_text(genre.read_text(encoding="utf-8") + "\n# a new marker\n", encoding="utf-8")
    assert index_mod.parser_fingerprint(copy) != before
    # the saved manifest records the fingerprint; one from other code reads as stale, naming the parser
    manifest = index_mod.current_folder(fresh_settings) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["shape"]["parser"] == before
    data["shape"]["parser"] = index_mod.parser_fingerprint(copy)
    manifest.write_text(json.dumps(data), encoding="utf-8")
    reason = index_mod.staleness(fresh_settings)
    assert reason and "parser" in reason


def test_added_and_removed_files_are_detected(built, fresh_settings):
    (fresh_settings.corpus_dir / "zhejiang-plan.txt").unlink()
    assert "removed: zhejiang-plan.txt" in index_mod.staleness(fresh_settings)


def test_interrupted_build_leaves_the_previous_index_loadable(built, fresh_settings):
    before = (fresh_settings.index_dir / "CURRENT").read_text()
    # A different chunk size means new passages to embed: the build takes long enough to be killed mid-way.
    proc = subprocess.Popen([sys.executable, "-m", "kb", "build", "--rebuild"], cwd=PROJECT_ROOT,
                            env=env_for(fresh_settings, KB_CHUNK_SIZE=170), stderr=subprocess.PIPE, text=True)
    seen = ""
    deadline = time.time() + 120
    while time.time() < deadline and "个新段落" not in seen:  # the embedding step has started
        seen += proc.stderr.read(64) or ""
    assert "个新段落" in seen, seen[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert (fresh_settings.index_dir / "CURRENT").read_text() == before
    eng = Engine.open(fresh_settings)  # same settings as before: loads, no rebuild
    assert eng.embedder._e is None, "the old index loaded without rebuilding"
    assert len(eng.passages) == len(built.passages)


def test_corrupt_files_are_named(built, fresh_settings):
    folder = index_mod.current_folder(fresh_settings)
    (folder / "passages.json").write_text('[{"pid": "x"', encoding="utf-8")
    with pytest.raises(IndexCorrupt) as exc:
        Engine.open(fresh_settings)
    assert "passages.json" in str(exc.value) and "build --rebuild" in str(exc.value)

    Engine.open(fresh_settings, rebuild=True)
    folder = index_mod.current_folder(fresh_settings)
    (folder / "dense.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorrupt) as exc:
        Engine.open(fresh_settings)
    assert "dense.faiss" in str(exc.value)

    out = subprocess.run([sys.executable, "-m", "kb", "search", "托育"], cwd=PROJECT_ROOT,
                         env=env_for(fresh_settings), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "dense.faiss" in out.stderr and "python -m kb build --rebuild" in out.stderr


def test_concurrent_builds_do_not_clash(fresh_settings, engine):
    shutil.copytree(engine.settings.index_dir / "embed_cache", fresh_settings.index_dir / "embed_cache")
    procs = [subprocess.Popen([sys.executable, "-m", "kb", "build"], cwd=PROJECT_ROOT, env=env_for(fresh_settings),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1000:] for o in outs]
    # one of them built, the other waited for the lock and found the index fresh
    assert sum("信息：正在建立索引" in err for _out, err in outs) == 1
    assert len(list(fresh_settings.index_dir.glob("build-*"))) == 1
    assert index_mod.staleness(fresh_settings) is None
