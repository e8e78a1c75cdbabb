"""A searchable table page with CSV export: what the 责任分工 and 目标指标 pages have in common."""
from __future__ import annotations

import gradio as gr

from .render import filter_rows, write_csv


class TablePage:
    """Subclasses say what the rows are (`items`, `all_rows`) and how the page speaks of them."""

    headers: list[str] = []
    csv_name = "table.csv"
    elem = "kb-table"  # element id prefix; the browser tests find the page by it
    intro = ""
    placeholder = ""
    noun, measure = "行", "行"  # 共 N 项任务 / 共 N 条目标
    widths: list[str] | None = None
    max_height = 640

    def __init__(self, holder, export_dir):
        self.holder = holder
        self.export_dir = export_dir

    def render_table(self) -> None:
        gr.Markdown(self.intro)
        with gr.Row():
            self.query = gr.Textbox(placeholder=self.placeholder, show_label=False, scale=4, elem_id=f"{self.elem}-search")
            self.download = gr.DownloadButton("导出 CSV", scale=1, elem_id=f"{self.elem}-csv", value=None)
        self.count = gr.Markdown("", elem_id=f"{self.elem}-count")
        self.table = gr.Dataframe(headers=self.headers, value=[], interactive=False, wrap=True,
                                  elem_id=f"{self.elem}-table", max_height=self.max_height, column_widths=self.widths)
        self.query.change(self.update, [self.query], [self.table, self.count, self.download])

    @staticmethod
    def items(engine) -> list:
        raise NotImplementedError

    @staticmethod
    def all_rows(engine) -> list[list[str]]:
        raise NotImplementedError

    def data(self, query) -> tuple[list[list[str]], str, str]:
        """(filtered rows, count line, path of the CSV of those rows)."""
        engine = self.holder.wait()
        rows = filter_rows(self.all_rows(engine), query)
        path = write_csv(self.export_dir / self.csv_name, self.headers, rows)
        count = f"共 {len(self.items(engine))} {self.measure}{self.noun}"
        if (query or "").strip():
            count += f"，筛选后 {len(rows)} {self.measure}"
        return rows, count, str(path)

    def update(self, query):
        rows, count, path = self.data(query)
        return gr.Dataframe(value=rows), count, gr.DownloadButton(value=path)
