"""Answers as structured statements: strategies add statements (kind, text, quoted span, passage);
citations are numbered as passages are first cited; rendering to text with [n] markers happens last."""
from __future__ import annotations

from ..types import Answer, Citation, Hit, Passage, Statement


class Builder:
    def __init__(self, question: str, qtype: str):
        self.question = question
        self.qtype = qtype
        self.citations: list[Citation] = []
        self.statements: list[Statement] = []
        self.table: list[dict] = []
        # What the gate reads: the type evidence of the strategy (None: the type's evidence is missing)
        # and whether the answer comes straight from the parsed structure (an exact match, not a guess).
        self.type_score: float | None = 1.0
        self.exact = False
        self.decline = ""  # a strategy's own reason to decline (e.g. no figure of the asked kind)

    def cite(self, passage: Passage, span: tuple[int, int] | None = None) -> int:
        """The citation number of a passage (added once), with span highlighted in its text."""
        for c in self.citations:
            if c.passage.pid == passage.pid:
                if span and span not in c.highlights:
                    c.highlights.append(span)
                return c.n
        c = Citation(n=len(self.citations) + 1, passage=passage, highlights=[span] if span else [])
        self.citations.append(c)
        return c.n

    def add(self, kind: str, text: str, passage: Passage | None = None, span: tuple[int, int] | None = None,
            join: bool = False) -> Statement:
        """A statement; with a passage it is cited (and span, when given, highlighted)."""
        n = self.cite(passage, span) if passage is not None else 0
        st = Statement(kind=kind, text=text, passage=passage, span=span, n=n,
                       doc_id=passage.doc_id if passage else "", join=join)
        self.statements.append(st)
        return st

    def quote(self, kind: str, prefix: str, passage: Passage, span: tuple[int, int], join: bool = False) -> Statement:
        """prefix + the quoted text of passage[span], cited."""
        return self.add(kind, prefix + passage.text[span[0]:span[1]], passage, span, join)

    def merge(self, statements: list[Statement], prefix_first: str = "") -> None:
        """Statements of another answer (a part of a multi-part question), re-cited in this one."""
        for i, st in enumerate(statements):
            text = (prefix_first + st.text) if i == 0 and prefix_first else st.text
            self.add(st.kind, text, st.passage, st.span, st.join)

    @property
    def empty(self) -> bool:
        return not any(st.passage is not None for st in self.statements)

    def answer(self) -> Answer:
        return Answer(question=self.question, text=render_text(self.statements), citations=self.citations,
                      abstained=False, qtype=self.qtype, table=self.table, statements=self.statements)


def render_text(statements: list[Statement]) -> str:
    """Plain text with [n] after each cited statement (the CLI, the chat and the JSON `answer`)."""
    lines: list[str] = []
    for st in statements:
        piece = st.text + (f"[{st.n}]" if st.n else "")
        if st.join and lines:
            lines[-1] += piece
        else:
            lines.append(piece)
    return "\n".join(lines)


def abstain(question: str, qtype: str, hits: list[Hit], message: str, gate: dict | None = None) -> Answer:
    """A plain decline, with the nearest passages as 「可能相关」 (never cited as proof)."""
    text = message + ("以下段落可能相关。" if hits else "")
    return Answer(question=question, text=text, citations=[], abstained=True, qtype=qtype, related=hits[:3],
                  statements=[Statement(kind="note", text=text)], gate=gate or {})
