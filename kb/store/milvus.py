"""The Milvus store: one collection holds every passage's dense vector and its text, which Milvus turns
into a BM25 sparse vector itself (built-in BM25 function over a jieba analyzer that gets our user
dictionary, the corpus terms mined at build time (a server only, see `build`) and our stop words, so both
stores tokenize alike; the
weighted expansion query goes in as text, see `query_text`). The mined terms and the tokens' document
frequencies, which query expansion reads, are kept in the build folder (`bm25/`). Hybrid search is Milvus's hybrid_search with
RRFRanker(rrf_k); filters by document/region/level are expressions on scalar fields.

`KB_MILVUS_URI` empty means a Milvus Lite file `index/milvus.db` (the milvus-lite package, in-process);
`http://host:19530` is a Milvus standalone or cluster, with the same code.

Builds are incremental against a server: a row's key is a hash of the model id and everything the row
stores, so a build inserts the rows of new or changed passages and deletes the rows of passages that are
gone. Milvus Lite computes BM25 statistics (document count, average length, document frequencies) per
segment, and every sync writes a new segment: a few changed rows would be scored against their own tiny
segment. So against a Lite file a changed corpus is re-inserted in full (still no re-embedding: vectors
come from the embedding cache), which leaves one segment with the whole corpus's statistics. The build
folder keeps passages.json as with the embedded store; search results map keys back to positions in it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from pathlib import Path

import numpy as np

from ..errors import IndexCorrupt, KBError
from ..settings import Settings
from ..types import Passage
from .base import Filters, Retrieved, Store

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent.parent / "data"
BATCH = 1000  # rows per insert/delete request (a request stays well under gRPC's 64 MB limit)
MAX_TEXT = 65535  # VARCHAR max_length (bytes); an index text is title + section + ~600 characters

_CLIENTS: dict[tuple[str, str], object] = {}
_CLIENTS_LOCK = threading.Lock()
CONNECT_TIMEOUT = 10  # seconds; an unreachable server fails the start instead of hanging it


class StoreUnavailable(KBError):
    """The Milvus server cannot be reached or the pymilvus/milvus-lite packages are missing."""


def client_for(uri: str, token: str = ""):
    """One client per URI and process: opening a Milvus Lite file starts its server (~2 s)."""
    with _CLIENTS_LOCK:
        key = (uri, token)
        if key not in _CLIENTS:
            try:
                from pymilvus import MilvusClient

                kwargs = {"timeout": CONNECT_TIMEOUT, **({"token": token} if token else {})}
                _CLIENTS[key] = MilvusClient(uri, **kwargs)
            except ImportError as exc:
                raise StoreUnavailable(f"KB_STORE=milvus needs pymilvus and milvus-lite ({exc}); "
                                       "`pip install -r requirements.txt`, or set KB_STORE=embedded") from exc
            except Exception as exc:  # pymilvus raises MilvusException with the server's message
                lite = not uri.startswith(("http://", "https://", "tcp://", "grpc://"))
                hint = ("only one process at a time can open a Milvus Lite file: stop the other one (the app?), "
                        "or use a Milvus server (KB_MILVUS_URI=http://host:19530)" if lite
                        else "start the Milvus server or fix KB_MILVUS_URI")
                raise StoreUnavailable(f"cannot open the Milvus store at {uri} ({exc}); {hint}, "
                                       "or set KB_STORE=embedded") from exc
        return _CLIENTS[key]


def default_uri(settings: Settings) -> str:
    return settings.milvus_uri or str(Path(settings.index_dir) / "milvus.db")


def _punctuation() -> list[str]:
    """Single punctuation/symbol characters of the blocks Chinese policy text uses; jieba emits them as
    tokens of their own and kb.search.tokenize drops them, so the Milvus analyzer must drop them too
    (Milvus Lite has no removepunct filter; a server gets it as well)."""
    ranges = [(0x21, 0x7F), (0xA1, 0x100), (0x2000, 0x2070), (0x2190, 0x2200), (0x2460, 0x2500),
              (0x25A0, 0x2600), (0x3000, 0x3040), (0xFE30, 0xFE70), (0xFF00, 0xFF66)]
    return [chr(c) for a, b in ranges for c in range(a, b) if unicodedata.category(chr(c))[0] in "PS"]


def analyzer_params(terms: list[str] | tuple[str, ...] = ()) -> dict:
    """jieba in search mode (kb.search.tokenize uses cut_for_search) with the default dictionary plus our
    user dictionary and the corpus terms mined at build time (as kb.lexicon.register_terms gives the
    embedded BM25), and a stop filter with our stop words and punctuation."""
    from ..search import stopwords

    words = [line.split()[0] for line in (DATA / "userdict.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    words += [t for t in terms if t not in set(words)]
    stop = sorted(stopwords()) + _punctuation()
    return {"tokenizer": {"type": "jieba", "dict": ["_default_", *words], "mode": "search", "hmm": True},
            "filter": ["lowercase", "removepunct", {"type": "stop", "stop_words": stop}]}


class Bm25Stats:
    """What the query side needs from BM25 besides scores: the mined corpus terms and each token's
    document frequency (kb.query.weighted_query's df_share). Milvus keeps its BM25 statistics to itself,
    so these are counted with kb.search.tokenize at build time and saved in the build folder."""

    FOLDER, DF = "bm25", "df.json"

    def __init__(self, terms: list[tuple[str, int]], df: dict[str, int], n: int):
        self.terms, self.df, self.n = terms, df, n

    @staticmethod
    def mine(texts: list[str]) -> list[tuple[str, int]]:
        from .. import lexicon

        return lexicon.mine_terms(texts) if lexicon.config()["mining"]["enabled"] else []

    @classmethod
    def build(cls, texts: list[str], terms: list[tuple[str, int]]) -> "Bm25Stats":
        """terms: the mined terms the collection's analyzer has (registered with BM25's jieba here)."""
        from .. import lexicon
        from ..search import tokenize

        lexicon.register_terms(t for t, _c in terms)
        df: dict[str, int] = {}
        for t in texts:
            for tok in set(tokenize(t)):
                df[tok] = df.get(tok, 0) + 1
        return cls(terms, df, len(texts))

    def save(self, folder: Path) -> None:
        from .. import lexicon
        from .embedded import Bm25Index

        d = folder / self.FOLDER
        d.mkdir(parents=True, exist_ok=True)
        lexicon.save_terms(self.terms, d / Bm25Index.TERMS)
        (d / self.DF).write_text(json.dumps({"passages": self.n, "df": self.df}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Bm25Stats":
        from .. import lexicon
        from .embedded import Bm25Index

        d = folder / cls.FOLDER
        terms = lexicon.read_terms(d / Bm25Index.TERMS)
        lexicon.register_terms(t for t, _c in terms)
        try:
            got = json.loads((d / cls.DF).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexCorrupt(d / cls.DF, type(exc).__name__) from exc
        return cls(terms, got["df"], int(got["passages"]))

    def df_share(self, token: str) -> float:
        return self.df.get(token, 0) / max(1, self.n)


# A weighted BM25 query goes to Milvus as text (its BM25 function takes text, counting each token's
# occurrences): the question as asked QUERY_SCALE times plus each expansion term round(weight x
# QUERY_SCALE) times, i.e. kb.query.weighted_query's weights (synonyms 0.6, thesaurus shares of 0.3) to
# one decimal. Scaling every weight alike leaves the ranking as it is.
QUERY_SCALE = 10


def query_text(question: str, weights: dict[str, float] | None) -> str:
    if not weights:
        return question
    from ..search import tokenize

    own = set(tokenize(question))
    want = {t: int(round(w * QUERY_SCALE)) for t, w in weights.items() if t not in own}
    have: dict[str, int] = {}
    parts = [question] * QUERY_SCALE
    # longest first: the analyzer cuts an appended compound into itself and its parts again (search
    # mode), which already gives those parts their count
    for tok in sorted(want, key=lambda t: (-len(t), t)):
        need = want[tok] - have.get(tok, 0)
        if need <= 0:
            continue
        parts += [tok] * need
        for sub in tokenize(tok):
            have[sub] = have.get(sub, 0) + need
    return " ".join(parts)


def row_key(model_id: str, p: Passage, text: str) -> str:
    h = hashlib.sha256()
    for part in (model_id, p.pid, p.doc_id, p.region, p.level, text):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def _literal(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a double-quoted string with escapes, as Milvus expects


def filter_expr(filters: Filters) -> str:
    parts = []
    if filters.docs:
        parts.append(f"doc_id in [{', '.join(_literal(d) for d in sorted(filters.docs))}]")
    if filters.region:  # the embedded store matches a substring of the region (珠海 in 广东省珠海市)
        parts.append(f"region like {_literal('%' + filters.region.replace('%', '').replace('_', '') + '%')}")
    if filters.level:
        parts.append(f"level == {_literal(filters.level)}")
    return " and ".join(parts)


class MilvusStore(Store):
    name = "milvus"

    def __init__(self, settings: Settings, incremental: bool | None = None):
        """incremental: sync rows by key (default against a server) or re-insert all (default for Lite)."""
        from ..embedding import model_id_for

        self.settings = settings
        self.uri = default_uri(settings)
        self.collection = settings.milvus_collection
        self.model_id = model_id_for(settings.embed_model, settings.embed_quant)
        self.rrf_k = settings.rrf_k
        self.equal_weights = settings.bm25_weight == settings.dense_weight
        self.positions: dict[str, int] = {}
        self.bm25: Bm25Stats | None = None
        self.lite = not self.uri.startswith(("http://", "https://", "tcp://", "grpc://"))
        self.incremental = (not self.lite) if incremental is None else incremental

    @property
    def client(self):
        return client_for(self.uri, self.settings.milvus_token)

    def prepare(self) -> None:
        self.client  # noqa: B018 - connects, raising StoreUnavailable with the fix

    # ------------------------------------------------------------ schema

    def _dense_index(self, n: int) -> dict:
        kind = self.settings.faiss_index
        if kind == "hnsw":
            from .embedded import DenseIndex

            return {"index_type": "HNSW", "metric_type": "IP",
                    "params": {"M": DenseIndex.HNSW_M, "efConstruction": DenseIndex.HNSW_EF_CONSTRUCTION}}
        if kind == "ivf":
            return {"index_type": "IVF_FLAT", "metric_type": "IP", "params": {"nlist": 256}}
        return {"index_type": "FLAT", "metric_type": "IP", "params": {}}

    def _search_params(self) -> dict:
        kind = self.settings.faiss_index
        if kind == "hnsw":
            from .embedded import DenseIndex

            return {"metric_type": "IP", "params": {"ef": DenseIndex.HNSW_EF_SEARCH}}
        if kind == "ivf":
            return {"metric_type": "IP", "params": {"nprobe": 64}}
        return {"metric_type": "IP", "params": {}}

    def _create(self, dim: int, n: int, terms: list[str]) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        schema.add_field("region", DataType.VARCHAR, max_length=512)
        schema.add_field("level", DataType.VARCHAR, max_length=64)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True,
                         analyzer_params=analyzer_params(terms))
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="text_bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"], output_field_names=["sparse"]))
        index = c.prepare_index_params()
        index.add_index("dense", **self._dense_index(n))
        # bm25s's defaults (k1 1.5, b 0.75), so the two stores score alike
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"inverted_index_algo": "DAAT_MAXSCORE", "bm25_k1": 1.5, "bm25_b": 0.75})
        for field in ("doc_id", "region", "level"):
            index.add_index(field, index_type="INVERTED")
        c.create_collection(self.collection, schema=schema, index_params=index, consistency_level="Strong")

    def _fields(self) -> dict:
        return {f["name"]: f for f in self.client.describe_collection(self.collection).get("fields", [])}

    def _compatible(self, dim: int) -> bool:
        fields = self._fields()
        dense = fields.get("dense", {})
        got_dim = int(dense.get("params", {}).get("dim", -1)) if dense else -1
        return {"key", "doc_id", "region", "level", "text", "dense", "sparse"} <= set(fields) and got_dim == dim

    def _analyzer_terms(self) -> list[str] | None:
        """The mined terms in the collection's analyzer dictionary (None when it cannot be read)."""
        analyzer = self._fields().get("text", {}).get("params", {}).get("analyzer_params")
        try:
            words = (json.loads(analyzer) if isinstance(analyzer, str) else analyzer)["tokenizer"]["dict"]
        except (TypeError, KeyError, json.JSONDecodeError):
            return None
        base = set(analyzer_params()["tokenizer"]["dict"])
        return [w for w in words if w not in base]

    # ------------------------------------------------------------ build / load / check

    def _existing_keys(self) -> set[str]:
        keys: set[str] = set()
        # Milvus Lite lacks AllocTimestamp: its in-process gRPC server and pymilvus log a traceback each
        # before pymilvus falls back to a client-side timestamp. Quiet both for this call.
        noisy = [logging.getLogger(n) for n in ("pymilvus", "grpc._server")]
        levels = [lg.level for lg in noisy]
        for lg in noisy:
            lg.setLevel(logging.CRITICAL)
        it = self.client.query_iterator(self.collection, batch_size=BATCH * 10, filter='key != ""', output_fields=["key"])
        try:
            while True:
                rows = it.next()
                if not rows:
                    break
                keys.update(r["key"] for r in rows)
        finally:
            it.close()
            for lg, level in zip(noisy, levels):
                lg.setLevel(level)
        return keys

    def count(self) -> int:
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def build(self, folder: Path, passages: list[Passage], texts: list[str], vectors: np.ndarray) -> dict:
        c = self.client
        dim = int(vectors.shape[1])
        mined = Bm25Stats.mine(texts)
        # Milvus Lite runs its jieba analyzer in this process on the jieba module's shared tokenizer and
        # adds the dictionary words to it: mined terms there would hide their parts from the answer
        # side's word lists (kb.search._jieba) and from later mining. Lite gets the user dictionary only.
        terms = [] if self.lite else [t for t, _c in mined]
        if c.has_collection(self.collection) and not self._compatible(dim):
            log.warning("Milvus collection %s has another schema or dimension: recreating it", self.collection)
            c.drop_collection(self.collection)
        if c.has_collection(self.collection):
            # The mined terms are in the analyzer's dictionary, fixed when the collection was created, and
            # nearly any corpus change mines a slightly different list. Synced by key (server), the
            # collection keeps its terms (queries are cut with the same ones); re-inserted in full (Lite),
            # it gets the new ones below.
            kept = self._analyzer_terms()
            if kept is not None and kept != terms:
                if self.incremental and not self.lite:
                    log.info("Milvus collection %s keeps its %d mined terms (%d mined now); a new collection "
                             "takes up new ones", self.collection, len(kept), len(terms))
                    counts = dict(mined)
                    mined, terms = [(t, counts.get(t, 0)) for t in kept], kept
                else:
                    c.drop_collection(self.collection)
        stats = Bm25Stats.build(texts, mined)
        if not c.has_collection(self.collection):
            self._create(dim, len(passages), terms)
        c.load_collection(self.collection)
        keys = [row_key(self.model_id, p, t) for p, t in zip(passages, texts)]
        have = self._existing_keys()
        wanted = set(keys)
        if not self.incremental and have and have != wanted:  # Lite: one fresh segment (see the module doc)
            c.drop_collection(self.collection)
            self._create(dim, len(passages), terms)
            c.load_collection(self.collection)
            have = set()
        gone = sorted(have - wanted)
        for i in range(0, len(gone), BATCH):
            c.delete(self.collection, ids=gone[i:i + BATCH])
        new = [i for i, k in enumerate(keys) if k not in have]
        for s in range(0, len(new), BATCH):
            rows = [{"key": keys[i], "doc_id": passages[i].doc_id, "region": passages[i].region,
                     "level": passages[i].level, "text": texts[i][:MAX_TEXT // 4],
                     "dense": np.asarray(vectors[i], dtype=np.float32).tolist()} for i in new[s:s + BATCH]]
            c.insert(self.collection, rows)
        if gone or new:
            c.flush(self.collection)
        self.positions = {k: i for i, k in enumerate(keys)}
        stats.save(folder)
        self.bm25 = stats
        log.info("Milvus %s: %d rows inserted, %d deleted, %d kept", self.collection, len(new), len(gone),
                 len(keys) - len(new))
        return {"name": self.name, "uri": self.uri, "collection": self.collection, "rows": len(keys),
                "inserted": len(new), "deleted": len(gone), "incremental": self.incremental}

    def load(self, folder: Path, passages: list[Passage], manifest: dict) -> None:
        c = self.client
        if not c.has_collection(self.collection):
            raise IndexCorrupt(f"{self.uri} (collection {self.collection})", "the Milvus collection is missing")
        c.load_collection(self.collection)  # needed after reopening a Milvus Lite file
        self.bm25 = Bm25Stats.load(folder)
        texts = [p.index_text() for p in passages]
        self.positions = {row_key(self.model_id, p, t): i for i, (p, t) in enumerate(zip(passages, texts))}

    def check(self, manifest: dict) -> str | None:
        info = manifest.get("store", {})
        if info.get("uri") != self.uri or info.get("collection") != self.collection:
            return f"the Milvus store moved ({info.get('uri')}/{info.get('collection')} -> {self.uri}/{self.collection})"
        if not self.client.has_collection(self.collection):
            return f"the Milvus collection {self.collection} is missing from {self.uri}"
        self.client.load_collection(self.collection)
        n = self.count()
        if n != manifest.get("passages"):
            return f"the Milvus collection {self.collection} has {n} rows, the index {manifest.get('passages')} passages"
        return None

    # ------------------------------------------------------------ retrieval

    def _ranked(self, hits, bm25: bool) -> list[tuple[int, float]]:
        out = []
        for h in hits:
            i = self.positions.get(h.id)
            if i is None:  # a row another build added since this one was loaded
                continue
            # Milvus Lite reports a BM25 match as -score (smaller = closer), a server as +score
            out.append((i, abs(float(h.distance)) if bm25 else float(h.distance)))
        return out

    def retrieve(self, query, qvec, modes, depth, filters, weights=None) -> Retrieved:
        from pymilvus import AnnSearchRequest, RRFRanker

        c = self.client
        expr = filter_expr(filters)
        reqs = {}
        if "bm25" in modes:
            reqs["bm25"] = dict(data=[query_text(query, weights)], anns_field="sparse", param={"metric_type": "BM25"}, limit=depth)
        if "dense" in modes:
            reqs["dense"] = dict(data=[np.asarray(qvec, dtype=np.float32).tolist()], anns_field="dense",
                                 param=self._search_params(), limit=depth)
        out = Retrieved()
        for name, r in reqs.items():  # each retriever's own ranks, which hits report (bm25_rank, dense_rank)
            res = c.search(self.collection, data=r["data"], anns_field=r["anns_field"], search_params=r["param"],
                           limit=depth, filter=expr, output_fields=[])
            out.ranked[name] = self._ranked(res[0], name == "bm25")
        if len(reqs) == 2 and self.equal_weights and all(out.ranked.values()):
            # Milvus fuses: a filter on hybrid_search itself is ignored, so each request carries it
            res = c.hybrid_search(self.collection, [AnnSearchRequest(**r, expr=expr or None) for r in reqs.values()],
                                  ranker=RRFRanker(self.rrf_k), limit=depth, output_fields=[])
            out.fused = self._ranked(res[0], False)
        return out

    def describe(self) -> dict:
        return {"name": self.name, "uri": self.uri, "collection": self.collection,
                "dense_index": self._dense_index(0)["index_type"]}
