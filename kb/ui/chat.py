"""问答 page: multi-turn chat with cited answers, source cards and 👍/👎 feedback."""
from __future__ import annotations

import logging

import gradio as gr

from ..errors import KBError
from ..feedback import FeedbackLog, answer_record
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

    def __init__(self, holder, feedback: FeedbackLog):
        self.holder = holder
        self.feedback = feedback
        self.open_fn = None
        self.open_outputs: list = []

    # ------------------------------------------------------------ layout

    def render(self) -> None:
        self.turns = gr.State([])  # one answer_record per answered question (+ "msg_index")
        self.last = gr.State(None)  # {"turn": n-th answer of the chat, "answer": Answer | None}, for the source cards
        self.pending = gr.State("")  # the question being answered, as typed
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                self.chatbot = gr.Chatbot(
                    label="对话", elem_id="kb-chat", height=520, latex_delimiters=[],
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
                    self.clear = gr.Button("新对话", size="sm")
                    self.export = gr.DownloadButton("导出反馈记录（JSONL）", size="sm", elem_id="kb-feedback-export",
                                                    value=None)
                self.status = gr.Markdown("", elem_id="kb-chat-status")
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
            gr.HTML(f'<span class="kb-src-turn" data-turn="{int(last["turn"])}"></span>', padding=False)
            answer = last["answer"]
            if answer is None:
                gr.Markdown("这个问题没有得到回答。", elem_classes=["kb-hint"])
                return
            if answer.citations:
                for c in answer.citations:
                    gr.HTML(source_card_html(c), elem_classes=["kb-card-wrap"])
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
        btn.click(lambda: fn(doc_id, start, end, marks), None, self.open_outputs).then(None, js=SCROLL_TO_FOCUS)

    def _wire(self) -> None:
        answer_io = dict(fn=self.answer, inputs=[self.pending, self.chatbot, self.turns, self.doc, self.region, self.level],
                         outputs=[self.chatbot, self.turns, self.last, self.status])
        self.msg.submit(self.add_question, [self.msg, self.chatbot], [self.msg, self.chatbot, self.pending]).then(**answer_io)
        self.send.click(self.add_question, [self.msg, self.chatbot], [self.msg, self.chatbot, self.pending]).then(**answer_io)
        for b in self.example_buttons:
            b.click(self.add_question, [b, self.chatbot], [self.msg, self.chatbot, self.pending]).then(**answer_io)
        self.clear.click(lambda: ([], [], None, "", ""), None, [self.chatbot, self.turns, self.last, self.status, self.pending])
        # the chatbot's own trash icon empties the conversation: forget its turns too
        self.chatbot.clear(lambda: ([], None, ""), None, [self.turns, self.last, self.pending])
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

    def answer(self, question, chat, turns, doc, region, level):
        chat, turns = list(chat or []), list(turns or [])
        if not question:
            return chat, turns, gr.update(), ""
        engine = self.holder.wait()
        history = [t["question"] for t in turns]
        try:
            ans = engine.ask(question, history=history or None, doc=doc or None, region=region or None,
                             level=level or None)
        except KBError as exc:
            chat.append({"role": "assistant", "content": md_escape(f"无法回答：{exc}")})
            return chat, turns, {"turn": self._answers(chat), "answer": None}, ""
        except Exception as exc:  # noqa: BLE001 - the user sees a message, the log has the trace
            log.exception("ask failed for %r", question)
            chat.append({"role": "assistant", "content": md_escape(f"出错了：{exc}")})
            return chat, turns, {"turn": self._answers(chat), "answer": None}, ""
        chat.append({"role": "assistant", "content": answer_markdown(ans)})
        rec = answer_record(ans, history)
        rec["question"] = question
        rec["msg_index"] = len(chat) - 1
        turns.append(rec)
        return chat, turns, {"turn": self._answers(chat), "answer": ans}, ""

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
