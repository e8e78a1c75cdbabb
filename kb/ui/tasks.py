"""责任分工 page: every task with its responsibility clause; search by task text, topic or unit, filter by
unit, document and deadline; CSV of what is shown.

Columns follow the text: 牵头单位 only where the clause says 牵头 (a lead named as such); every other
named unit is under 责任单位 (a plain "责任单位：甲、乙" names no lead)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import gradio as gr

from .render import filter_rows, write_csv

HEADERS = ["地区", "文件", "任务", "牵头单位", "责任单位", "期限", "责任条款"]
ALL = ""
NO_DEADLINE = "（未写明）"
DATA = Path(__file__).resolve().parent.parent / "data" / "deadlines.txt"


@lru_cache(maxsize=1)
def deadline_patterns() -> list[re.Pattern]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [re.compile(l.strip()) for l in lines if l.strip() and not l.lstrip().startswith("#")]


def deadlines(text: str) -> list[str]:
    """Deadline phrases in order of appearance, each once ("到2025年" and "2025年" count once)."""
    found = []
    for rx in deadline_patterns():
        for m in rx.finditer(text or ""):
            found.append((m.start(), m.group(0).lstrip("到至在")))
    best: dict[str, str] = {}  # per year (or phrase) the most specific wording: "2025年底前" over "2025年"
    for _, d in sorted(found):
        k = deadline_key(d)
        if d and len(d) > len(best.get(k, "")):
            best[k] = d
    return list(best.values())


def deadline_key(d: str) -> str:
    """What the deadline filter offers: the year ("2025年"), or the phrase itself (持续推进)."""
    m = re.match(r"(20\d\d)年", d)
    return f"{m.group(1)}年" if m else d


def task_row(t: dict, text: str, title_short: str) -> dict:
    says_lead = "牵头" in (t.get("clause") or "")
    lead = t["lead"] if says_lead else []
    others = [u for u in (t["partners"] if says_lead else t["lead"] + t["partners"]) if u not in lead]
    body = text[t["start"]:t["end"]] if text else ""
    dls = deadlines(body)
    return {
        "region": t.get("region", ""), "title": title_short, "doc_id": t["doc_id"],
        "task": t.get("heading") or t.get("section", ""), "lead": lead, "units": others,
        "deadlines": dls, "clause": t.get("clause", ""),
        "search": " ".join([t.get("section", ""), body]),  # task text and topic (heading path), searched, not shown
    }


class TasksPage:
    headers = HEADERS
    csv_name = "responsibilities.csv"

    def __init__(self, holder, export_dir):
        self.holder = holder
        self.export_dir = Path(export_dir)
        self._rows_for = None  # (engine id, rows)

    def render(self) -> None:
        gr.Markdown("文件中写明责任分工的每一项任务。**牵头单位**一栏只列条款中写明“牵头”的单位，其余单位列在**责任单位**。"
                    "可按任务内容、主题或单位搜索（多个词用空格分开），也可按单位、文件、期限筛选。")
        # search, filters and export on one line: more of the table shows on a 1366x768 laptop
        with gr.Row(equal_height=True, elem_id="kb-task-tools"):
            self.query = gr.Textbox(placeholder="任务内容、主题或单位，例如 养老 助餐", label="搜索", scale=3,
                                    elem_id="kb-task-search", min_width=200)
            self.unit = gr.Dropdown(choices=[("全部单位", ALL)], value=ALL, label="单位", elem_id="kb-task-unit",
                                    filterable=True, scale=2, min_width=140)
            self.doc = gr.Dropdown(choices=[("全部文件", ALL)], value=ALL, label="文件", elem_id="kb-task-doc",
                                   scale=2, min_width=140)
            self.deadline = gr.Dropdown(choices=[("全部期限", ALL)], value=ALL, label="期限",
                                        elem_id="kb-task-deadline", scale=1, min_width=110)
            self.download = gr.DownloadButton("导出 CSV", scale=1, elem_id="kb-task-csv", value=None, min_width=90,
                                              elem_classes=["kb-tool-button"])
        self.count = gr.Markdown("", elem_id="kb-task-count")
        self.table = gr.Dataframe(headers=HEADERS, value=[], interactive=False, wrap=True, elem_id="kb-task-table",
                                  max_height=560, column_widths=["7%", "12%", "17%", "12%", "16%", "9%", "27%"])
        inputs = [self.query, self.unit, self.doc, self.deadline]
        for c in inputs:
            c.change(self.update, inputs, [self.table, self.count, self.download])

    # ------------------------------------------------------------ data

    def rows(self, engine) -> list[dict]:
        if self._rows_for is not None and self._rows_for[0] is engine and self._rows_for[1] is engine.tasks:
            return self._rows_for[2]
        short = {d.doc_id: d.title for d in engine.documents}
        texts: dict[str, str] = {}
        out = []
        for t in engine.tasks:
            if t["doc_id"] not in texts:
                texts[t["doc_id"]] = engine.doc_text(t["doc_id"])
            out.append(task_row(t, texts[t["doc_id"]], short.get(t["doc_id"], t.get("title", ""))))
        self._rows_for = (engine, engine.tasks, out)
        return out

    @staticmethod
    def shown(r: dict) -> list[str]:
        return [r["region"], r["title"], r["task"], "、".join(r["lead"]), "、".join(r["units"]),
                "、".join(r["deadlines"]) or NO_DEADLINE, r["clause"]]

    def data(self, query="", unit=ALL, doc=ALL, deadline=ALL) -> tuple[list[list[str]], str, str]:
        """(rows shown, count line, path of the CSV of those rows)."""
        engine = self.holder.wait()
        rows = self.rows(engine)
        picked = [r for r in rows
                  if (not unit or unit in r["lead"] or unit in r["units"])
                  and (not doc or r["doc_id"] == doc)
                  and (not deadline or (deadline == NO_DEADLINE and not r["deadlines"])
                       or deadline in {deadline_key(d) for d in r["deadlines"]})]
        full = [self.shown(r) + [r["search"]] for r in picked]
        shown = [row[:-1] for row in filter_rows(full, query)]
        path = write_csv(self.export_dir / self.csv_name, HEADERS, shown)
        count = f"共 {len(rows)} 项任务"
        if (query or "").strip() or unit or doc or deadline:
            count += f"，筛选后 {len(shown)} 项"
        return shown, count, str(path)

    def update(self, query, unit=ALL, doc=ALL, deadline=ALL):
        rows, count, path = self.data(query, unit, doc, deadline)
        return gr.Dataframe(value=rows), count, gr.DownloadButton(value=path)

    def ready_outputs(self) -> list:
        return [self.table, self.count, self.download, self.unit, self.doc, self.deadline]

    def on_ready(self, engine) -> list:
        rows = self.rows(engine)
        freq: dict[str, int] = {}
        for r in rows:
            for u in r["lead"] + r["units"]:
                freq[u] = freq.get(u, 0) + 1
        units = sorted(freq, key=lambda u: (-freq[u], u))
        keys = sorted({deadline_key(d) for r in rows for d in r["deadlines"]})
        docs = [(f"{d.region}｜{d.title}" if d.region else d.title, d.doc_id) for d in engine.documents]
        return [*self.update(""),
                gr.Dropdown(choices=[("全部单位", ALL)] + [(f"{u}（{freq[u]}）", u) for u in units], value=ALL),
                gr.Dropdown(choices=[("全部文件", ALL)] + docs, value=ALL),
                gr.Dropdown(choices=[("全部期限", ALL)] + [(k, k) for k in keys] + [(NO_DEADLINE, NO_DEADLINE)], value=ALL)]
