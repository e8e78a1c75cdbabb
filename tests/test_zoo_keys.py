"""The format zoo's answer keys agree with the committed documents (issue 7).

Reads each document with the ordinary libraries (python-docx, pypdf, BeautifulSoup), not with kb/, and checks
that every heading, unit, deadline, target value and metadata string of its key occurs in the text, and that the
key has the documented shape. A key that drifts from its document fails here.
"""
import json
import re
from pathlib import Path

import pytest

ZOO = Path(__file__).parent / "data" / "zoo"
KEYS = sorted(ZOO.glob("*.key.json"))
EXTS = ("txt", "md", "html", "docx", "pdf")


def _doc_path(key: Path) -> Path:
    stem = key.name[: -len(".key.json")]
    found = [ZOO / f"{stem}.{e}" for e in EXTS if (ZOO / f"{stem}.{e}").exists()]
    assert len(found) == 1, f"{key.name}: expected one document, found {found}"
    return found[0]


def _text(path: Path) -> str:
    if path.suffix == ".docx":
        import docx
        d = docx.Document(str(path))
        parts = [p.text for p in d.paragraphs]
        for t in d.tables:
            parts += [c.text for row in t.rows for c in row.cells]
        return "\n".join(parts)
    if path.suffix == ".pdf":
        from pypdf import PdfReader
        return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        from bs4 import BeautifulSoup
        return BeautifulSoup(raw, "html.parser").get_text("\n")
    return raw


def _flat(s: str) -> str:
    # PDF lines wrap mid-word and pypdf may add spaces; compare without whitespace
    return re.sub(r"\s+", "", s)


def test_zoo_has_the_dev_documents():
    assert len(KEYS) >= 11
    assert {_doc_path(k).suffix for k in KEYS} == {".txt", ".md", ".html", ".docx", ".pdf"}


@pytest.mark.parametrize("key", KEYS, ids=lambda p: p.name)
def test_key_matches_document(key):
    k = json.loads(key.read_text(encoding="utf-8"))
    assert set(k) >= {"layout", "doc", "sections", "tasks", "targets"}
    text = _flat(_text(_doc_path(key)))
    missing = []

    def need(s, what):
        if s and _flat(s) not in text:
            missing.append(f"{what}: {s}")

    meta = k["doc"]
    assert meta["level"] in ("省", "市", "县", "区")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"])
    for f in ("title", "issuer", "region", "doc_number"):
        need(meta[f], f"doc.{f}")
    depths = [s["depth"] for s in k["sections"]]
    assert depths and depths[0] == 1 and all(d >= 1 for d in depths)
    assert all(b - a <= 1 for a, b in zip(depths, depths[1:])), "a section skips a level"
    for s in k["sections"]:
        need(s["heading"], "section")
    assert 5 <= len(k["tasks"]) <= 20
    for t in k["tasks"]:
        need(t["heading"], "task")
        need(t["deadline"], "deadline")
        assert t["lead"] or t["partners"], t
        assert not set(t["lead"]) & set(t["partners"]), t
        written_with_shared_suffix = "note" in t and "shared" in t["note"]
        for u in t["lead"] + t["partners"]:
            if not written_with_shared_suffix:
                need(u, "unit")
    for g in k["targets"]:
        need(g["value"], "target")
        assert g["unit"], g
    assert not missing, missing
