"""责任分工 page: every task with its responsibility clause, searchable, exportable to CSV."""
from __future__ import annotations

import gradio as gr

from .render import filter_rows, write_csv

HEADERS = ["文件", "地区", "章节", "牵头单位", "配合单位", "责任条款"]


class TasksPage:
    def __init__(self, holder, export_dir):
        self.holder = holder
        self.export_dir = export_dir

    def render(self) -> None:
        gr.Markdown("每一项带有责任分工（责任单位 / 牵头 / 配合）的任务。输入关键词筛选，多个词用空格分开，例如 `民政局 养老`。")
        with gr.Row():
            self.query = gr.Textbox(placeholder="按部门、地区、章节或条款内容筛选", show_label=False, scale=4,
                                    elem_id="kb-task-search")
            self.download = gr.DownloadButton("导出 CSV", scale=1, elem_id="kb-task-csv", value=None)
        self.count = gr.Markdown("", elem_id="kb-task-count")
        self.table = gr.Dataframe(headers=HEADERS, value=[], interactive=False, wrap=True, elem_id="kb-task-table",
                                  max_height=640, column_widths=["14%", "7%", "22%", "14%", "14%", "29%"])
        self.query.change(self.update, [self.query], [self.table, self.count, self.download])

    @staticmethod
    def all_rows(engine) -> list[list[str]]:
        return [[t["title"], t["region"], t["section"], "、".join(t["lead"]), "、".join(t["partners"]), t["clause"]]
                for t in engine.tasks]

    def data(self, query) -> tuple[list[list[str]], str, str]:
        """(filtered rows, count line, path of the CSV of those rows)."""
        engine = self.holder.wait()
        rows = filter_rows(self.all_rows(engine), query)
        path = write_csv(self.export_dir / "responsibilities.csv", HEADERS, rows)
        total = len(engine.tasks)
        count = f"共 {total} 项任务" + (f"，筛选后 {len(rows)} 项" if (query or "").strip() else "")
        return rows, count, str(path)

    def update(self, query):
        rows, count, path = self.data(query)
        return gr.Dataframe(value=rows), count, gr.DownloadButton(value=path)

    def ready_outputs(self) -> list:
        return [self.table, self.count, self.download]

    def on_ready(self, engine) -> list:
        return list(self.update(""))
