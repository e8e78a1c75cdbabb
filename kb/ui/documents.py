"""文件 page: the document list with metadata, and one document read as its heading tree."""
from __future__ import annotations

import gradio as gr

from ..errors import KBError
from .render import LEVEL_NAMES, document_html, esc, tree_html

HEADERS = ["编号", "标题", "发文机关", "地区", "级别", "日期", "文号"]


class DocumentsPage:
    def __init__(self, holder):
        self.holder = holder

    def render(self) -> None:
        self.table = gr.Dataframe(headers=HEADERS, value=[], interactive=False, label="文件列表（点击一行打开）",
                                  wrap=True, elem_id="kb-doc-list", max_height=480,
                                  # every column readable at 1366 px (文号 was cut off)
                                  column_widths=["13%", "25%", "20%", "9%", "6%", "10%", "17%"])
        self.doc = gr.Dropdown(choices=[], label="阅读文件", elem_id="kb-doc-select", interactive=True)
        self.caption = gr.HTML("", elem_id="kb-doc-caption")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=240):
                gr.Markdown("#### 目录")
                self.tree = gr.HTML("", elem_id="kb-doc-tree", elem_classes=["kb-scroll"])
            with gr.Column(scale=3):
                self.text = gr.HTML("<p class='kb-hint'>选择一个文件阅读；在问答页点击“在文中查看”会在这里打开引用的段落。</p>",
                                    elem_id="kb-doc-text", elem_classes=["kb-scroll"])
        # .input, not .change: opening a citation sets the dropdown too and must keep its highlight
        self.doc.input(self.show, [self.doc], [self.caption, self.tree, self.text])
        self.table.select(self.show_row, [self.table], [self.doc, self.caption, self.tree, self.text])

    # ------------------------------------------------------------ data

    @staticmethod
    def rows(engine) -> list[list[str]]:
        return [[d.doc_id, d.title, d.issuer, d.region, LEVEL_NAMES.get(d.level, d.level), d.date, d.doc_number]
                for d in engine.documents]

    def ready_outputs(self) -> list:
        return [self.table, self.doc]

    def on_ready(self, engine) -> list:
        choices = [(d.title or d.doc_id, d.doc_id) for d in engine.documents]
        return [gr.Dataframe(value=self.rows(engine)), gr.Dropdown(choices=choices)]

    # ------------------------------------------------------------ views

    def view(self, doc_id: str, focus=None, marks=()) -> tuple[str, str, str]:
        engine = self.holder.wait()
        try:
            root, text = engine.sections(doc_id), engine.doc_text(doc_id)
        except KBError as exc:
            return f"<p class='kb-error'>{esc(exc)}</p>", "", ""
        meta = next((d for d in engine.documents if d.doc_id == doc_id), None)
        bits = [meta.issuer, meta.region, LEVEL_NAMES.get(meta.level, meta.level), meta.date, meta.doc_number] if meta else []
        where = ""
        if focus is not None:
            where = "<div class='kb-hint'>已定位到引用段落（高亮显示）。</div>"
        caption = (f"<div class='kb-doc-title'>{esc(meta.title if meta else doc_id)}</div>"
                   f"<div class='kb-meta'>{esc(' · '.join(b for b in bits if b))}</div>{where}")
        return caption, tree_html(root), document_html(text, root, focus=focus, marks=marks)

    def show(self, doc_id):
        if not doc_id:
            return "", "", ""
        return self.view(doc_id)

    def show_row(self, table, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        try:
            doc_id = table.iloc[row, 0] if hasattr(table, "iloc") else table[row][0]
        except (IndexError, KeyError, TypeError):
            return gr.update(), gr.update(), gr.update(), gr.update()
        return (doc_id, *self.view(doc_id))

    def open_at(self, doc_id: str, start: int, end: int, marks=()) -> tuple:
        """Updates for [doc, caption, tree, text]: the document with the passage highlighted."""
        return (doc_id, *self.view(doc_id, focus=(start, end), marks=marks))

    def open_outputs(self) -> list:
        return [self.doc, self.caption, self.tree, self.text]
