"""policy-kb web app: `python app.py [--host 127.0.0.1] [--port 7860]`.

One Engine per process (kb/ui/state.py): opened in the background at start; on a first run it
builds the index and every open page shows the build's progress. Pages live in kb/ui/, one class
per tab; this file only wires them. Paths come from Settings (KB_CORPUS_DIR, KB_INDEX_DIR,
KB_DATA_DIR, ... or kb.toml).
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import gradio as gr

from kb.feedback import FeedbackLog
from kb.settings import Settings
from kb.ui import ChatPage, DocumentsPage, EngineHolder, TargetsPage, TasksPage, UploadPage
from kb.ui.render import esc

CSS = (Path(__file__).resolve().parent / "kb" / "ui" / "style.css").read_text(encoding="utf-8")
THEME = gr.themes.Default(
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "monospace"],
)


def status_html(engine) -> str:
    s = engine.stats()
    text = f"知识库就绪：{s['documents']} 个文件，{s['passages']} 个段落。"
    warnings = "".join(f"<div class='kb-hint'>提示：{esc(w)}</div>" for w in engine.warnings)
    return f"<div id='kb-ready'>{esc(text)}</div>{warnings}"


def build_app(settings: Settings, holder: EngineHolder) -> gr.Blocks:
    feedback = FeedbackLog(settings.data_dir)
    export_dir = Path(settings.data_dir) / "exports"
    chat = ChatPage(holder, feedback)
    docs = DocumentsPage(holder)
    tasks = TasksPage(holder, export_dir)
    targets = TargetsPage(holder, export_dir)
    upload = UploadPage(holder, settings)
    pages = [chat, docs, tasks, targets]

    with gr.Blocks(title="社区服务政策知识库") as demo:
        gr.Markdown("## 社区服务政策知识库\n就城乡社区服务政策文件提问，回答标注出处 [n]，可在原文中查看。")
        status = gr.HTML("<div class='kb-hint'>正在打开知识库……</div>", elem_id="kb-status")
        with gr.Tabs() as tabs:
            with gr.Tab("问答", id="chat"):
                chat.render()
            with gr.Tab("文件", id="docs"):
                docs.render()
            with gr.Tab("责任分工", id="tasks"):
                tasks.render()
            with gr.Tab("目标指标", id="targets"):
                targets.render()
            with gr.Tab("添加文件", id="upload"):
                upload.render()

        # a citation's "在文中查看" opens the Documents tab at the passage
        chat.open_fn = lambda doc_id, start, end, marks: (gr.Tabs(selected="docs"),
                                                         *docs.open_at(doc_id, start, end, marks))
        chat.open_outputs = [tabs, *docs.open_outputs()]

        ready_outputs = [status] + [c for p in pages for c in p.ready_outputs()]

        def wait_for_engine(progress=gr.Progress()):
            engine = holder.wait(progress)
            return status_html(engine), gr.update()

        def fill_pages():
            engine = holder.wait()
            out = [status_html(engine)]
            for p in pages:
                out += p.on_ready(engine)
            return out

        # the progress bar of a first-run index build shows over the status line and the chat
        demo.load(wait_for_engine, None, [status, chat.chatbot], concurrency_limit=None, show_progress="full") \
            .then(fill_pages, None, ready_outputs, concurrency_limit=None)
        upload.button.click(upload.add, [upload.files], [upload.result, upload.files]) \
            .then(fill_pages, None, ready_outputs)
    return demo


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="policy-kb web app")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    settings = Settings.load()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    holder = EngineHolder(settings).start()
    demo = build_app(settings, holder)
    demo.queue(default_concurrency_limit=2)
    demo.launch(server_name=args.host, server_port=args.port, theme=THEME, css=CSS,
                max_file_size=f"{settings.max_upload_mb}mb", allowed_paths=[str(settings.data_dir)],
                footer_links=[], show_error=True)


if __name__ == "__main__":
    main()
