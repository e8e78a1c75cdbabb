"""目标指标 page: numeric targets, searchable, exportable to CSV, with a cross-document chart."""
from __future__ import annotations

import pandas as pd
import gradio as gr

from .render import parse_number
from .table import TablePage

HEADERS = ["指标", "目标值", "单位", "期限", "文件", "地区", "章节", "原文"]


def comparable(targets, docs_by_id) -> dict[str, list]:
    """Indicator key -> its targets, for keys stated in two or more documents."""
    by_key: dict[str, list] = {}
    for t in targets:
        key = getattr(t, "key", "") or ""
        if len(key) >= 3 and parse_number(t.value) is not None:
            by_key.setdefault(key, []).append(t)
    return {k: v for k, v in by_key.items() if len({t.doc_id for t in v}) >= 2}


def chart_frame(targets, docs_by_id) -> pd.DataFrame:
    """One bar per (document, deadline, figure) of one indicator key."""
    rows, seen = [], set()
    for t in targets:
        meta = docs_by_id.get(t.doc_id)
        region = (meta.region if meta else "") or t.doc_id
        label = region + (f"（{t.deadline}）" if t.deadline else "")
        item = (label, t.value)
        if item in seen:
            continue
        seen.add(item)
        n = sum(1 for r in rows if r["文件"].split(" #")[0] == label)
        rows.append({"文件": label + (f" #{n + 1}" if n else ""), "目标值": parse_number(t.value),
                     "原文数值": t.value, "单位": t.unit})
    return pd.DataFrame(rows, columns=["文件", "目标值", "原文数值", "单位"])


class TargetsPage(TablePage):
    headers = HEADERS
    csv_name = "targets.csv"
    elem = "kb-target"
    intro = "文件中写明的量化目标（如“到2025年……不少于5.5个”）。输入关键词筛选，多个词用空格分开。"
    placeholder = "按指标、地区、期限或原文筛选，例如 托位"
    noun, measure = "目标", "条"
    widths = ["18%", "8%", "6%", "7%", "14%", "7%", "15%", "25%"]
    max_height = 480

    def render(self) -> None:
        self.render_table()
        gr.Markdown("#### 同一指标在不同文件中的目标")
        self.key = gr.Dropdown(choices=[], label="指标（出现在两个及以上文件中的）", elem_id="kb-target-key")
        self.plot = gr.BarPlot(value=None, x="文件", y="目标值", tooltip=["文件", "原文数值", "单位"],
                               elem_id="kb-target-plot", height=320, sort=None)
        self.key.change(self.chart, [self.key], [self.plot])

    @staticmethod
    def items(engine) -> list:
        return engine.targets

    @staticmethod
    def all_rows(engine) -> list[list[str]]:
        docs = {d.doc_id: d for d in engine.documents}
        out = []
        for t in engine.targets:
            meta = docs.get(t.doc_id)
            out.append([t.indicator, t.value, t.unit, t.deadline, meta.title if meta else t.doc_id,
                        meta.region if meta else "", t.section, t.sentence.replace("\n", " ")])
        return out

    def chart(self, key):
        engine = self.holder.wait()
        docs = {d.doc_id: d for d in engine.documents}
        groups = comparable(engine.targets, docs)
        if not key or key not in groups:
            return gr.BarPlot(value=None)
        frame = chart_frame(groups[key], docs)
        units = "、".join(sorted({u for u in frame["单位"] if u}))
        top = float(frame["目标值"].max() or 1)
        return gr.BarPlot(value=frame, title=key, y_title=f"目标值（{units}）" if units else "目标值",
                          y_lim=[0, top * 1.1])

    def ready_outputs(self) -> list:
        return [self.table, self.count, self.download, self.key, self.plot]

    def on_ready(self, engine) -> list:
        docs = {d.doc_id: d for d in engine.documents}
        groups = comparable(engine.targets, docs)
        keys = sorted(groups, key=lambda k: (-len({t.doc_id for t in groups[k]}), k))
        first = keys[0] if keys else None
        choices = [(f"{k}（{len({t.doc_id for t in groups[k]})} 个文件）", k) for k in keys]
        return [*self.update(""), gr.Dropdown(choices=choices, value=first), self.chart(first)]
