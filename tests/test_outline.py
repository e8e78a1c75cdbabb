"""`kb outline` on every dev zoo document against its answer key, and the CLI JSON contract."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.zoo import documents, score_doc
from kb.outline import outline

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "tests" / "data" / "zoo"
DOCS = documents(ZOO)
# Per document: fraction of key headings, of key tasks fully right (lead, partners, deadline), of targets.
FLOORS = {"headings": 0.95, "tasks": 0.95, "targets": 0.6}
# Documents below the general floors get their own floors here (none today), so a regression still fails.
DOC_FLOORS: dict = {}


@pytest.mark.parametrize("doc,key", DOCS, ids=[d.name for d, _ in DOCS])
def test_outline_matches_the_key(doc, key):
    k = json.loads(key.read_text(encoding="utf-8"))
    o = outline(doc)
    s = score_doc(k, o)
    # Items numbered inside a 专栏 box are sections of the box for the parser (answers cite them one by one);
    # the keys list only the box. They are not counted as extra headings.
    box_items = sum(1 for x in o["sections"] if any(p.startswith("专栏") for p in x["path"][:-1]))
    sec, tasks, tg = s["sections"], s["tasks"], s["targets"]
    floors = {**FLOORS, **DOC_FLOORS.get(doc.name, {})}
    assert sec["right"] >= floors["headings"] * sec["key"], sec["missing"]
    assert sec["extra"] - box_items <= max(1, 0.1 * sec["key"]), "headings the key does not have"
    assert tasks["right"] >= floors["tasks"] * tasks["key"], tasks["wrong"]
    assert tasks["extra"] <= max(1, 0.2 * tasks["key"]), "tasks the key does not have"
    assert tg["found"] >= floors["targets"] * tg["key"], tg["missing"]


def test_dev_zoo_is_there():
    assert len(DOCS) >= 5


def test_cli_json_contract():
    doc = next(d for d, _ in DOCS if d.suffix == ".txt")
    out = subprocess.run([sys.executable, "-m", "kb", "outline", str(doc), "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    o = json.loads(out.stdout)
    assert set(o) == {"doc", "sections", "tasks", "targets"}
    assert set(o["doc"]) == {"title", "issuer", "region", "level", "date", "doc_number"}
    assert set(o["sections"][0]) == {"level", "number", "heading", "path", "start", "end"}
    assert set(o["tasks"][0]) == {"path", "heading", "text", "lead", "partners", "deadline", "clause", "start", "end"}
    assert set(o["targets"][0]) == {"indicator", "value", "unit", "deadline", "sentence", "start", "end"}
    text = subprocess.run([sys.executable, "-m", "kb", "outline", str(doc)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "任务" in text.stdout


def test_missing_file_is_a_clear_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "kb", "outline", str(tmp_path / "nope.txt")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "找不到文件" in out.stderr
