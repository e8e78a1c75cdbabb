"""The plain data classes that flow between modules.

documents -> passages -> indexes -> hits -> answers; each module takes one of these and returns
the next. Offsets are character offsets into the *cleaned* document text unless named raw_*.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class DocMeta:
    doc_id: str
    title: str = ""
    issuer: str = ""
    region: str = ""
    level: str = ""  # 省 / 市 / 县, or empty when unknown
    date: str = ""
    doc_number: str = ""
    source_file: str = ""
    content_hash: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Document:
    meta: DocMeta
    raw_text: str
    path: str = ""

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id


@dataclass
class CleanText:
    """Cleaned text plus, for every cleaned character, its offset in the raw text."""

    text: str
    offsets: list[int]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        if start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else (self.offsets[-1] + 1 if self.offsets else 0)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Responsibility:
    """A responsibility clause (责任单位/责任部门/…牵头) parsed into units."""

    text: str
    lead: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0
    deadline: str = ""  # 完成时限 stated in the clause or its table row, as written
    source: str = "label"  # label | prose | table (a task-table row) | blanket (applies to later tasks)
    task: str = ""  # for a task-table row: its task cell, which links it to the task in the body

    @property
    def units(self) -> list[str]:
        return self.lead + [u for u in self.partners if u not in self.lead]


@dataclass
class Section:
    """A node of a document's heading tree. The root has level 0 and an empty heading."""

    heading: str
    level: int
    start: int  # start of the heading in the cleaned text
    end: int  # end of the section's body (exclusive)
    body_start: int = 0  # first character after the heading
    children: list["Section"] = field(default_factory=list)
    responsibility: Responsibility | None = None
    kind: str = "heading"  # heading | box (专栏) | article (第X条) | attachment (附件)
    number: str = ""  # the marker, normalised: 一、 （一） 1. （1） ① 第一章 第三条 专栏1 附件1
    title: str = ""  # the heading without its marker ("" for an untitled 第X条)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class Task:
    """A task with its responsibility: a section (or paragraph, article, task-table row) and who does it."""

    path: list[str]  # headings from the top down to the task's section
    heading: str  # the task's heading without its marker, or the first words of an unheaded paragraph
    text: str  # the task's whole text
    lead: list[str] = field(default_factory=list)  # units the text calls 牵头
    partners: list[str] = field(default_factory=list)  # every other responsible unit
    deadline: str = ""
    clause: str = ""  # the responsibility clause (or table row) as written
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Target:
    """A numeric target stated in a document (e.g. 托位数不少于5.5个, 到2025年)."""

    doc_id: str
    indicator: str
    value: str
    unit: str
    deadline: str
    sentence: str
    start: int
    end: int
    section: str = ""
    key: str = ""  # normalised indicator, equal for the same indicator across documents where possible
    source: str = "text"  # text | table

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Passage:
    pid: str
    doc_id: str
    title: str
    section_path: list[str]
    text: str  # as shown to users: a slice of the cleaned document text
    start: int
    end: int
    region: str = ""
    level: str = ""
    lead_units: list[str] = field(default_factory=list)
    partner_units: list[str] = field(default_factory=list)
    responsibility: str = ""  # the clause as written, when the passage's task has one
    task_id: str = ""  # passages cut from the same task share it

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    @property
    def units(self) -> list[str]:
        return self.lead_units + [u for u in self.partner_units if u not in self.lead_units]

    def index_text(self) -> str:
        """What is embedded and BM25-indexed: heading words make a passage findable by them too."""
        return f"{self.title} {self.section}\n{self.text}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Passage":
        return cls(**d)


@dataclass
class Hit:
    passage: Passage
    score: float
    rank: int = 0
    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    sentence_rank: int | None = None  # rank by the passage's closest sentence (Settings.sentence_weight)


@dataclass
class Citation:
    n: int
    passage: Passage
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets within passage.text


@dataclass
class Statement:
    """One line (or part of a line) of an answer: what kind of claim it is, its text as shown (without
    the [n] marker), and the passage span it quotes. Rendering to text, chat or JSON happens at the edge."""

    kind: str  # heading | units | quote | figure | task | meta | note | part
    text: str
    passage: Passage | None = None  # the cited passage (None: a label or note, not a claim)
    span: tuple[int, int] | None = None  # the quoted span, offsets within passage.text
    n: int = 0  # the citation number once cited
    doc_id: str = ""
    join: bool = False  # shown on the same line as the previous statement

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "n": self.n or None, "doc_id": self.doc_id,
                "span": list(self.span) if self.span else None}


@dataclass
class Answer:
    question: str
    text: str  # with [n] markers
    citations: list[Citation]
    abstained: bool
    qtype: str
    related: list[Hit] = field(default_factory=list)  # nearest passages when abstaining
    table: list[dict] = field(default_factory=list)  # comparison rows, when the answer is a table
    mode: str = "extractive"  # extractive | llm
    statements: list[Statement] = field(default_factory=list)  # what text was rendered from
    gate: dict = field(default_factory=dict)  # the abstention gate's signals and decision
