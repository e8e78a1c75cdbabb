"""Linking task-table rows to body tasks: in-order character share (kb.tasks.row_similarity) against the
embedding model (kb.embedding, cosine of e5 vectors). Prints top-1 accuracy and the margin to the best
wrong heading, on the dev zoo's table rows and on hand-written paraphrases (table wording ≠ body heading).

    python bench/bench_row_linking.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.embedding import load_default_model  # noqa: E402
from kb.outline import outline  # noqa: E402
from kb.settings import Settings  # noqa: E402
from kb.tasks import row_similarity  # noqa: E402

ZOO = Path(__file__).resolve().parent.parent / "tests" / "data" / "zoo"

# (table wording, body heading): shortened, reordered, paraphrased — invented, in the genre's words
PARAPHRASES = [
    ("发展托育服务", "发展普惠托育服务"),
    ("养老服务设施建设", "完善社区养老服务设施"),
    ("老年助餐", "扩大老年助餐服务覆盖"),
    ("社区食堂", "推进社区食堂建设"),
    ("智慧社区", "推进智慧社区建设"),
    ("社工队伍建设", "加强社区工作者队伍建设"),
    ("志愿服务站点建设", "发展社区志愿服务"),
    ("议事协商", "健全社区党组织领导的议事协商机制"),
    ("物业党建", "深化“党建＋物业”融合治理"),
    ("设施短板排查", "开展城乡社区服务设施短板排查评估"),
    ("社区证明事项清理", "推行社区服务事项清单管理"),
    ("儿童之家建设", "建设儿童友好社区"),
]


def zoo_pairs() -> list[tuple[str, str, list[str]]]:
    """(row task cell, gold body heading, all section headings) for the zoo's table rows whose wording differs
    from their body heading; gold = the key task with the row's units (the keys are written by hand)."""
    import json

    from kb.index import parse_document
    from kb.ingest import read_text
    from kb.types import DocMeta, Document

    out = []
    for p in sorted(ZOO.iterdir()):
        if p.suffix not in (".txt", ".md", ".html", ".docx", ".pdf") or not p.with_name(p.stem + ".key.json").exists():
            continue
        key = json.loads(p.with_name(p.stem + ".key.json").read_text(encoding="utf-8"))
        pd = parse_document(Document(meta=DocMeta(doc_id=p.stem, source_file=p.name, content_hash=""),
                                     raw_text=read_text(p), path=str(p)))
        heads = [n.title for n in pd.root.walk() if n.level and n.title and n.kind not in ("attachment", "box")]
        for r in (c for c in pd.clauses if c.source == "table"):
            units = set(r.lead) | set(r.partners)
            gold = [k["heading"] for k in key["tasks"] if set(k["lead"]) | set(k["partners"]) >= units
                    and k["heading"] in heads]
            if len(gold) == 1 and r.task != gold[0]:
                out.append((r.task, gold[0], heads))
    return out


def evaluate(pairs, score) -> tuple[float, float]:
    right, margins = 0, []
    for cell, gold, heads in pairs:
        s = {h: score(cell, h) for h in heads}
        best = max(s, key=s.get)
        right += best == gold
        margins.append(s[gold] - max(v for h, v in s.items() if h != gold))
    return right / len(pairs), float(np.median(margins))


def linked(pairs) -> tuple[int, int]:
    """(rows the parser links at the genre.toml threshold, of which wrong): below it a row stays a task of
    the attachment, which is incomplete but never wrong."""
    from kb.genre import genre

    n = wrong = 0
    for cell, gold, heads in pairs:
        s = {h: row_similarity(cell, h) for h in heads}
        best = max(s, key=s.get)
        if s[best] >= genre().link_min_share:
            n += 1
            wrong += best != gold
    return n, wrong


def main() -> int:
    model = load_default_model(Settings().model_cache_dir, show_progress=False)
    cache: dict[str, np.ndarray] = {}

    def vec(s: str) -> np.ndarray:
        if s not in cache:
            cache[s] = model.encode(["query: " + s], normalize_embeddings=True)[0]
        return cache[s]

    def emb(a: str, b: str) -> float:
        return float(vec(a) @ vec(b))

    zoo = zoo_pairs()
    heads = sorted({b for _, b in PARAPHRASES} | {h for _, _, hs in zoo for h in hs})
    para = [(a, b, heads) for a, b in PARAPHRASES]
    print(f"{'set':<12}{'pairs':>6}  {'char-share top1':>16} {'margin':>7}  {'embedding top1':>15} {'margin':>7}")
    for name, pairs in (("zoo rows", zoo), ("paraphrases", para)):
        if not pairs:
            continue
        ca, cm = evaluate(pairs, row_similarity)
        ea, em = evaluate(pairs, emb)
        n, wrong = linked(pairs)
        print(f"{name:<12}{len(pairs):>6}  {ca:>16.3f} {cm:>7.2f}  {ea:>15.3f} {em:>7.3f}   linked {n}, wrong {wrong}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
