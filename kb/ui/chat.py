"""问答 page: multi-turn chat with cited answers, source cards and 👍/👎 feedback."""
from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import gradio as gr

from ..errors import KBError
from ..export import answer_docx, history_docx
from ..feedback import FeedbackLog, answer_record
from ..present import answer_json
from .render import answer_markdown, md_escape, related_card_html, source_card_html

log = logging.getLogger(__name__)

EXAMPLES = [
    "老年人助餐服务由哪些部门负责？",
    "老人吃饭难谁来管？",
    "珠海和厦门在社区养老方面分别有什么安排？",
    "到2025年每千人口托位数的目标是多少？",
]

ALL = ""  # the "no filter" value of the three filter dropdowns

SCROLL_TO_FOCUS = """() => {
  const go = (tries) => {
    const el = document.getElementById('kb-focus');
    if (el) { el.scrollIntoView({block: 'center'}); }
    else if (tries > 0) { setTimeout(() => go(tries - 1), 150); }
  };
  setTimeout(() => go(20), 100);
}"""


class ChatPage:
    """Builds the chat tab. ``opener`` (set by app.py) opens a passage on the Documents page:
    ``opener.fn(doc_id, start, end, marks)`` returns updates for ``opener.outputs``."""

    def __init__(self, holder, feedback: FeedbackLog, export_dir: Path | None = None):
        self.holder = holder
        self.feedback = feedback
        self.export_dir = Path(export_dir) if export_dir else Path(feedback.data_dir) / "exports"
        self.open_fn = None
        self.open_outputs: list = []

    # ------------------------------------------------------------ layout

    def render(self) -> None:
        self.turns = gr.State([])  # one answer_record per answered question (+ "msg_index")
        self.last = gr.State(None)  # {"turn": n-th answer of the chat, "answer": Answer | None}, for the source cards
        self.pending = gr.State("")  # the question being answered, as typed
        self.answers = gr.State([])  # the Answer of each answered turn (None when it failed), for older [n] links
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                self.chatbot = gr.Chatbot(
                    label="对话", elem_id="kb-chat", height="calc(100vh - 420px)", min_height=240, max_height=640,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"), sanitize_html=True, render_markdown=True,
                    placeholder="在下方输入问题，或点击示例问题。回答中的 [n] 对应右侧的出处。",
                    buttons=["copy"],
                )
                with gr.Row():
                    self.msg = gr.Textbox(placeholder="输入问题，按回车发送，例如：老年人助餐服务由哪些部门负责？",
                                          show_label=False, scale=5, elem_id="kb-question", max_lines=4)
                    self.send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="kb-send")
                with gr.Row():
                    self.example_buttons = [gr.Button(q, size="sm", elem_classes=["kb-example"]) for q in EXAMPLES]
                with gr.Accordion("筛选范围", open=False):
                    with gr.Row():
                        self.doc = gr.Dropdown(choices=[("全部文件", ALL)], value=ALL, label="文件", elem_id="kb-filter-doc")
                        self.region = gr.Dropdown(choices=[("全部地区", ALL)], value=ALL, label="地区", elem_id="kb-filter-region")
                        self.level = gr.Dropdown(choices=[("全部级别", ALL)], value=ALL, label="级别", elem_id="kb-filter-level")
                with gr.Row():
                    self.clear = gr.Button("新对话", size="sm", min_width=60)
                    self.export_answer = gr.DownloadButton("导出本回答（Word）", size="sm", value=None,
                                                           elem_id="kb-export-answer", interactive=False, min_width=60)
                    self.export_chat = gr.DownloadButton("导出全部对话（Word）", size="sm", value=None,
                                                         elem_id="kb-export-chat", interactive=False, min_width=60)
                    self.export = gr.DownloadButton("导出反馈记录（JSONL）", size="sm", elem_id="kb-feedback-export",
                                                    value=None, min_width=60)
                self.status = gr.Markdown("", elem_id="kb-chat-status")
                # set by the page script when an older answer's [n] is clicked: shows that answer's sources
                self.turn_request = gr.Textbox(visible="hidden", elem_id="kb-turn-request")
            with gr.Column(scale=2, min_width=320, elem_id="kb-sources"):
                gr.Markdown("#### 出处")
                self._render_sources()
        self._wire()

    def _render_sources(self) -> None:
        @gr.render(inputs=[self.last])
        def sources(last):
            if not last:
                gr.Markdown("提问后，这里显示回答引用的原文段落。", elem_classes=["kb-hint"])
                return
            # which answer these cards belong to (lets a test, or a script, wait for the right panel)
            turn = int(last["turn"])
            gr.HTML(f'<span class="kb-src-turn" data-turn="{turn}"></span>', padding=False,
                    elem_classes=["kb-hidden"])  # takes no room above the cards
            answer = last["answer"]
            if answer is None:
                gr.Markdown("这个问题没有得到回答。", elem_classes=["kb-hint"])
                return
            if answer.citations:
                for c in answer.citations:
                    gr.HTML(source_card_html(c, turn), elem_classes=["kb-card-wrap"])
                    btn = gr.Button(f"在文中查看 [{c.n}]", size="sm", elem_classes=["kb-open"])
                    p = c.passage
                    marks = [(p.start + s, p.start + e) for s, e in c.highlights]
                    self._wire_open(btn, p.doc_id, p.start, p.end, marks)
            if answer.abstained and answer.related:
                gr.Markdown("没有找到能直接回答的段落，以下内容**可能相关**：", elem_classes=["kb-hint"])
                for i, h in enumerate(answer.related, 1):
                    gr.HTML(related_card_html(h, i), elem_classes=["kb-card-wrap"])
                    btn = gr.Button("在文中查看", size="sm", elem_classes=["kb-open"])
                    p = h.passage
                    self._wire_open(btn, p.doc_id, p.start, p.end, [])
            if not answer.citations and not (answer.abstained and answer.related):
                gr.Markdown("这个回答没有引用。", elem_classes=["kb-hint"])

    def _wire_open(self, btn, doc_id, start, end, marks) -> None:
        if self.open_fn is None:
            return
        fn = self.open_fn
        btn.click(lambda: fn(doc_id, start, end, marks), None, self.open_outputs, api_visibility="private") \
            .then(None, js=SCROLL_TO_FOCUS)

    def _wire(self) -> None:
        answer_io = dict(fn=self.answer,
                         inputs=[self.pending, self.chatbot, self.turns, self.answers, self.doc, self.region, self.level],
                         outputs=[self.chatbot, self.turns, self.answers, self.last, self.status,
                                  self.export_answer, self.export_chat])
        self.msg.submit(self.add_question, [self.msg, self.chatbot], [self.msg, self.chatbot, self.pending]).then(**answer_io)
        self.send.click(self.add_question, [self.msg, self.chatbot], [self.msg, self.chatbot, self.pending]).then(**answer_io)
        for b in self.example_buttons:
            b.click(self.add_question, [b, self.chatbot], [self.msg, self.chatbot, self.pending]).then(**answer_io)
        def no_export():  # (built when called: a component made here would be drawn on the page)
            return gr.DownloadButton(value=None, interactive=False)

        self.clear.click(lambda: ([], [], [], None, "", "", no_export(), no_export()), None,
                         [self.chatbot, self.turns, self.answers, self.last, self.status, self.pending,
                          self.export_answer, self.export_chat])
        # the chatbot's own trash icon empties the conversation: forget its turns too
        self.chatbot.clear(lambda: ([], [], None, "", no_export(), no_export()), None,
                           [self.turns, self.answers, self.last, self.pending, self.export_answer, self.export_chat])
        self.turn_request.change(self.show_turn, [self.turn_request, self.answers, self.last], [self.last])
        self.chatbot.like(self.on_like, [self.turns], [self.status, self.export])

    # ------------------------------------------------------------ filling once the engine is open

    def ready_outputs(self) -> list:
        return [self.doc, self.region, self.level, self.export]

    def on_ready(self, engine) -> list:
        docs = engine.documents
        regions = sorted({d.region for d in docs if d.region})
        levels = [lv for lv in ("省", "市", "县") if any(d.level == lv for d in docs)]
        return [
            gr.Dropdown(choices=[("全部文件", ALL)] + [(d.title or d.doc_id, d.doc_id) for d in docs]),
            gr.Dropdown(choices=[("全部地区", ALL)] + [(r, r) for r in regions]),
            gr.Dropdown(choices=[("全部级别", ALL)] + [(lv, lv) for lv in levels]),
            gr.DownloadButton(value=str(self.feedback.export())),
        ]

    # ------------------------------------------------------------ handlers

    @staticmethod
    def add_question(question, chat):
        """Show the question right away (escaped: it is rendered as Markdown)."""
        question = (question or "").strip()
        chat = list(chat or [])
        if not question:
            return gr.update(), chat, ""
        chat.append({"role": "user", "content": md_escape(question)})
        return "", chat, question

    def answer(self, question, chat, turns, answers, doc, region, level):
        chat, turns, answers = list(chat or []), list(turns or []), list(answers or [])
        if not question:
            return chat, turns, answers, gr.update(), "", gr.update(), gr.update()
        engine = self.holder.wait()
        history = [t["question"] for t in turns]
        try:
            ans = engine.ask(question, history=history or None, doc=doc or None, region=region or None,
                             level=level or None)
        except KBError as exc:
            return self._failed(chat, turns, answers, f"无法回答：{exc}")
        except Exception as exc:  # noqa: BLE001 - the user sees a message, the log has the trace
            log.exception("ask failed for %r", question)
            return self._failed(chat, turns, answers, f"出错了：{exc}")
        turn = self._answers(chat) + 1
        chat.append({"role": "assistant", "content": answer_markdown(ans, turn=turn)})
        rec = answer_record(ans, history)
        rec["question"] = question
        rec["msg_index"] = len(chat) - 1
        rec["data"] = answer_json(None, question, ans)  # what 导出 writes: the API's JSON object
        turns.append(rec)
        answers.append(ans)
        one, whole = self.write_exports(rec["data"], [t["data"] for t in turns])
        return (chat, turns, answers, {"turn": turn, "answer": ans}, "",
                gr.DownloadButton(value=str(one), interactive=True), gr.DownloadButton(value=str(whole), interactive=True))

    def _failed(self, chat, turns, answers, message: str):
        chat.append({"role": "assistant", "content": md_escape(message)})
        answers.append(None)
        return chat, turns, answers, {"turn": self._answers(chat), "answer": None}, "", gr.update(), gr.update()

    def write_exports(self, item: dict, items: list[dict]) -> tuple[Path, Path]:
        """This answer and the whole conversation as .docx files under unique names (several users at once)."""
        stamp, tag = time.strftime("%Y%m%d-%H%M%S"), uuid.uuid4().hex[:8]
        folder = self.export_dir / "word"
        _prune(folder, max_age_s=24 * 3600)
        return (answer_docx(item, folder / f"政策问答-{stamp}-{tag}.docx"),
                history_docx(items, folder / f"政策问答记录-{stamp}-{tag}.docx"))

    @staticmethod
    def show_turn(request, answers, last):
        """The sources of answer number `request` ("<turn>" or "<turn>:<nonce>"), asked for by its [n] link."""
        try:
            turn = int(str(request or "").split(":")[0])
        except ValueError:
            return gr.update()
        if not 1 <= turn <= len(answers or []) or (last and int(last.get("turn", 0)) == turn):
            return gr.update()
        return {"turn": turn, "answer": answers[turn - 1]}

    @staticmethod
    def _answers(chat) -> int:
        return sum(1 for m in chat if m.get("role") == "assistant")

    def on_like(self, turns, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        liked = data.liked
        rating = "up" if liked is True or liked == "Like" else "down" if liked is False or liked == "Dislike" else None
        turn = next((t for t in turns or [] if t.get("msg_index") == index), None)
        if rating is None or turn is None:
            return gr.update(), gr.update()
        self.feedback.record(rating, turn)
        shown = "👍" if rating == "up" else "👎"
        return f"已记录反馈 {shown}（{md_escape(turn['question'])}）", gr.DownloadButton(value=str(self.feedback.export()))


def _prune(folder: Path, max_age_s: float) -> None:
    """Exports are for downloading at once; remove those older than a day."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_s
    for p in folder.glob("*.docx"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink()
        except OSError:
            pass
