"""policy-kb web app: `python app.py [--host 127.0.0.1] [--port 7860]` (or `kb-app` after `pip install -e .`).

One Engine per process (kb/ui/state.py): opened in the background at start; on a first run it
builds the index and every open page shows the build's progress. Pages live in kb/ui/, one class
per tab; this file only wires them and the one public API endpoint, `/ask`. Paths come from
Settings (KB_CORPUS_DIR, KB_INDEX_DIR, KB_DATA_DIR, ... or kb.toml).

Offline by design: gradio's analytics and the Hugging Face Hub are switched off before they are
imported (kb/offline.py), and the app never offers a public share link.
"""
from __future__ import annotations

from kb.offline import stay_offline

stay_offline()  # must run before gradio / huggingface_hub are imported: they read the variables at import

import argparse  # noqa: E402
import errno  # noqa: E402
import ipaddress  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from kb import logs  # noqa: E402
from kb.errors import KBError  # noqa: E402
from kb.feedback import FeedbackLog  # noqa: E402
from kb.present import answer_json  # noqa: E402
from kb.settings import Settings  # noqa: E402
from kb.ui import ChatPage, DocumentsPage, EngineHolder, HelpPage, TargetsPage, TasksPage, UploadPage  # noqa: E402
from kb.ui.render import esc  # noqa: E402

CSS = (Path(__file__).resolve().parent / "kb" / "ui" / "style.css").read_text(encoding="utf-8")
JS = (Path(__file__).resolve().parent / "kb" / "ui" / "page.js").read_text(encoding="utf-8")
THEME = gr.themes.Default(
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "monospace"],
)
API_NAME = "ask"


def status_html(engine, holder=None) -> str:
    s = engine.stats()
    text = f"知识库就绪：{s['documents']} 个文件，{s['passages']} 个段落。"
    if holder is not None and holder.seconds is not None:
        how = "建立索引" if holder.built else "启动"
        text += f"（本次{how}用时 {holder.seconds:.1f} 秒）"
    warnings = "".join(f"<div class='kb-hint'>提示：{esc(w)}</div>" for w in engine.warnings)
    return f"<div id='kb-ready'>{esc(text)}</div>{warnings}"


def make_ask_api(holder: EngineHolder):
    """The `/ask` endpoint: the same JSON object as `python -m kb ask --json`."""

    def ask(question: str, doc: str = "", region: str = "", level: str = "",
            history: list[str] | None = None) -> dict:
        """Answer a question from the policy documents, with citations.

        Args:
            question: the question, e.g. 老年人助餐服务由哪些部门负责？
            doc: only this document id (see `python -m kb stats`); empty for all
            region: only documents of this region, e.g. 珠海; empty for all
            level: only documents of this level: 省, 市 or 县; empty for all
            history: earlier questions of the conversation, oldest first (for follow-ups such as 那珠海呢？)
        """
        engine = holder.wait()
        try:
            ans = engine.ask(question, history=[h for h in (history or []) if h] or None,
                             doc=doc or None, region=region or None, level=level or None)
        except KBError as exc:
            raise gr.Error(str(exc)) from exc
        return answer_json(None, question, ans)

    return ask


def build_app(settings: Settings, holder: EngineHolder) -> gr.Blocks:
    feedback = FeedbackLog(settings.data_dir)
    export_dir = Path(settings.data_dir) / "exports"
    chat = ChatPage(holder, feedback, export_dir)
    docs = DocumentsPage(holder)
    tasks = TasksPage(holder, export_dir)
    targets = TargetsPage(holder, export_dir)
    upload = UploadPage(holder, settings)
    about = HelpPage(holder)
    pages = [chat, docs, tasks, targets, about]

    with gr.Blocks(title="社区服务政策知识库", analytics_enabled=False) as demo:
        with gr.Row(elem_id="kb-header"):
            gr.Markdown("### 社区服务政策知识库", elem_id="kb-title")
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
            with gr.Tab("说明", id="help"):
                about.render()

        # a citation's "在文中查看" opens the Documents tab at the passage
        chat.open_fn = lambda doc_id, start, end, marks: (gr.Tabs(selected="docs"),
                                                         *docs.open_at(doc_id, start, end, marks))
        chat.open_outputs = [tabs, *docs.open_outputs()]

        ready_outputs = [status] + [c for p in pages for c in p.ready_outputs()]

        def wait_for_engine(progress=gr.Progress()):
            engine = holder.wait(progress)
            return status_html(engine, holder), gr.update()

        def fill_pages():
            engine = holder.wait()
            out = [status_html(engine, holder)]
            for p in pages:
                out += p.on_ready(engine)
            return out

        # the progress bar of a first-run index build (or of loading) shows over the status line and the chat
        demo.load(wait_for_engine, None, [status, chat.chatbot], concurrency_limit=None, show_progress="full") \
            .then(fill_pages, None, ready_outputs, concurrency_limit=None)
        upload.button.click(upload.add, [upload.files], [upload.result, upload.files]) \
            .then(fill_pages, None, ready_outputs)

        # Programs get one endpoint; the page's own event handlers are not an API.
        for fn in demo.fns.values():
            fn.api_visibility = "private"
        gr.api(make_ask_api(holder), api_name=API_NAME, api_visibility="public")
    return demo


def check_port(host: str, port: int) -> None:
    """A clear message (naming --port) instead of gradio's traceback when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise SystemExit(f"错误：端口 {port} 已被占用或无权使用。请换一个端口，例如：python app.py --port {port + 1}")
            raise SystemExit(f"错误：无法在 {host}:{port} 上监听（{exc.strerror or exc}）。请检查 --host 和 --port")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python app.py", description="社区服务政策知识库网页版（默认只允许本机访问）")
    ap.add_argument("--host", default="127.0.0.1",
                    help="监听地址（默认 127.0.0.1，只允许本机访问；0.0.0.0 让局域网内的其他电脑也能访问，见 README）")
    ap.add_argument("--port", type=int, default=7860, help="端口（默认 7860）")
    args = ap.parse_args(argv)
    logs.setup()

    check_port(args.host, args.port)
    settings = Settings.load()
    (Path(settings.data_dir) / "exports").mkdir(parents=True, exist_ok=True)
    holder = EngineHolder(settings).start()
    demo = build_app(settings, holder)
    demo.queue(default_concurrency_limit=2)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"[policy-kb] 网页地址：http://{shown}:{args.port}/　（按 Ctrl+C 停止）", file=sys.stderr, flush=True)
    if not is_loopback(args.host):
        print(f"[policy-kb] 注意：--host {args.host} 让本机以外的电脑也能访问本知识库（没有登录保护）。"
              "只在可信的内部网络中这样做。", file=sys.stderr, flush=True)
    try:
        demo.launch(server_name=args.host, server_port=args.port, theme=THEME, css=CSS, js=JS,
                    max_file_size=f"{settings.max_upload_mb}mb",
                    # only the exports (CSV, Word, feedback copy) are served, not the rest of the data folder
                    allowed_paths=[str(Path(settings.data_dir) / "exports")],
                    footer_links=["api"], show_error=True, share=False, quiet=True, mcp_server=False)
    except OSError as exc:  # the port was taken between the check and the launch
        raise SystemExit(f"错误：无法在端口 {args.port} 上启动（{exc}）。请用 --port 指定其他端口") from exc


if __name__ == "__main__":
    main()
