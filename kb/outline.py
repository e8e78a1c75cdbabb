"""`python -m kb outline FILE [--json]`: what policy-kb understood of one file, without indexing it.

Runs the same ingest → clean → metadata → structure code as indexing (kb.index.parse_document), then
lists the headings, the tasks with their units and deadlines, and the targets. The JSON is a contract:
{"doc": {title, issuer, region, level, date, doc_number},
 "sections": [{level, number, heading, path, start, end}],
 "tasks": [{path, heading, text, lead, partners, deadline, clause, start, end}],
 "targets": [{indicator, value, unit, deadline, sentence, start, end}]}
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import KBError
from .ingest import IngestError, content_hash, read_text
from .structure import section_paths
from .targets import extract_targets
from .tasks import build_tasks
from .types import DocMeta, Document

DOC_FIELDS = ("title", "issuer", "region", "level", "date", "doc_number")


class OutlineError(KBError):
    pass


def _split_value(value: str, unit: str, table: bool = False) -> tuple[str, str]:
    """「不少于5.5个」 → ("5.5", "个"); 「1.2万人」 in a sentence → ("1.2万", "人"), in a table column headed
    （万人） → ("1.2", "万人"): the value as written, the unit what follows it; 「全覆盖」 stays."""
    m = re.search(r"\d+(?:\.\d+)?", value)
    if not m:
        return value, unit
    num = m.group(0)
    if unit.startswith("万") and len(unit) > 1 and not table:
        return num + "万", unit[1:]
    return num, unit


def outline(path: str | Path) -> dict:
    from .index import parse_document  # the indexing code itself, so outline shows what is indexed

    p = Path(path)
    if not p.is_file():
        raise OutlineError(f"找不到文件：{p}")
    try:
        raw = read_text(p)
    except IngestError as exc:
        raise OutlineError(f"无法读取文件：{exc}") from exc
    # parse_document infers the metadata (kb.metadata) the manifest would otherwise give
    doc = Document(meta=DocMeta(doc_id=p.stem, source_file=p.name, content_hash=content_hash(raw)), raw_text=raw,
                   path=str(p))
    pd = parse_document(doc)
    text = pd.text
    sections = []
    for sp, node in section_paths(pd.root):
        if node.level == 0:
            continue
        sections.append({"level": node.level, "number": node.number, "heading": node.title, "path": sp,
                         "start": node.start, "end": node.end})
    tasks = [{"path": t.path, "heading": t.heading, "text": t.text, "lead": t.lead, "partners": t.partners,
              "deadline": t.deadline, "clause": t.clause, "start": t.start, "end": t.end}
             for t in build_tasks(text, pd.root, pd.clauses)]
    targets = []
    for t in extract_targets(pd.meta.doc_id, text, pd.root):
        value, unit = _split_value(t.value, t.unit, t.source == "table")
        targets.append({"indicator": t.indicator, "value": value, "unit": unit, "deadline": t.deadline,
                        "sentence": t.sentence, "start": t.start, "end": t.end})
    meta = pd.meta.to_dict()
    return {"doc": {k: meta.get(k, "") or "" for k in DOC_FIELDS}, "sections": sections, "tasks": tasks,
            "targets": targets}


def render(o: dict) -> str:
    """The outline as a readable tree."""
    d = o["doc"]
    lines = [f"《{d['title'] or '（无标题）'}》", f"  发文机关：{d['issuer'] or '—'}  文号：{d['doc_number'] or '—'}  "
             f"成文日期：{d['date'] or '—'}  地区：{d['region'] or '—'}（{d['level'] or '—'}）", "", "标题层级："]
    for s in o["sections"]:
        lines.append(f"{'  ' * s['level']}{s['number']} {s['heading']}".rstrip())
    lines += ["", f"任务（{len(o['tasks'])}）："]
    for t in o["tasks"]:
        who = []
        if t["lead"]:
            who.append("牵头：" + "、".join(t["lead"]))
        if t["partners"]:
            who.append(("配合：" if t["lead"] else "责任单位：") + "、".join(t["partners"]))
        when = f"  时限：{t['deadline']}" if t["deadline"] else ""
        lines.append(f"  - {t['heading']}  —— {'；'.join(who)}{when}")
    lines += ["", f"目标指标（{len(o['targets'])}）："]
    for t in o["targets"]:
        lines.append(f"  - {t['indicator']}：{t['value']}{t['unit']}" + (f"（{t['deadline']}）" if t["deadline"] else ""))
    return "\n".join(lines)
