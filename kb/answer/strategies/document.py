"""The document itself: issuer, 文号, date, period in force — from the document's metadata (DocMeta,
the manifest or what the parser inferred), cited where the text states it, else to the title."""
from __future__ import annotations

import re

from ..build import Builder
from ..context import Context, doc_meta
from .structure_cite import find_loose, in_text, span_citation

# What each field is asked with (GENRE.md 'Metadata'); the order is the order of the answer.
FIELDS = [
    ("doc_number", "文号", re.compile(r"文号|字号|发文号|编号")),
    ("issuer", "发文机关", re.compile(r"谁|哪个|哪家|什么(部门|单位|机关|机构)|发文(机关|单位|部门)|发布|印发|出台|制定")),
    ("date", "成文日期", re.compile(r"什么时候|何时|哪天|(发|出|印发|发布)的?(哪一?年|几月)|日期|时间|落款")),
    ("title", "标题", re.compile(r"标题|全名|全称|名称|叫什么")),
    # a plan's period (规划期) is not the document's validity (有效期, 自…之日起施行): a 十四五 plan covers
    # 2021—2025, but whether the document is in force till then only the document or its record says
    ("validity", "有效期", re.compile(r"有效|失效|过期|施行|还能用|管用|算数|作废|到期")),
    ("period", "规划期", re.compile(r"执行期|规划期|到哪一?年|管到|适用到|期限|(管|覆盖|涵盖|跨)(哪|几)几?年|起止")),
    ("basis", "制定依据", re.compile(r"依据|根据|按照哪|(为了|为)(落实|贯彻)|上级(文件|精神|规划)|哪(份|个)(上级)?文件(制定|出台|编制)|为什么(制定|出台)|背景")),
    ("recipients", "主送机关", re.compile(r"主送|发给(了)?(哪些|谁)|下发(给|到)(哪|谁)|发到(哪|谁)|送(给|达)(哪些|谁)")),
    ("attachments", "附件", re.compile(r"附件|附了|附有|附带|后面附")),
    ("cc", "抄送", re.compile(r"抄送")),
    ("printed", "印发", re.compile(r"印发日期|(哪天|哪一天|什么时候|何时|几号|哪年哪月)印发|印发(的)?(时间|日期|于)|"
                                  r"(哪个|哪家|什么)\S{0,4}(办公室|办公厅|单位|部门|机关)印发")),
    ("public", "公开方式", re.compile(r"公开方式|(是否|是不是|能不能|可不可以)公开|公开(吗|不公开)|(主动|依申请)公开")),
    ("interpreter", "解释机关", re.compile(r"负责解释|解释权|由(谁|哪\S{0,4})解释")),
]
# Fields read from the text only (GENRE.md 'Metadata': 主送机关 is the line of addressees ending in a colon
# after the 文号; the basis is the 依据/根据 … 制定本规划 sentence of the preamble). Not asked unless named.
TEXT_ONLY = {"basis", "recipients", "attachments", "cc", "printed", "public", "interpreter"}
# The 版记 and cover fields (GENRE.md 'Metadata': 附件, 抄送, 印发日期, 公开方式), each written as a label and its
# value; an attachment list runs over several numbered lines, a long name wraps onto the next line.
COVER_FIELDS = {
    "attachments": re.compile(r"附件\s*[:：]\s*(?P<v>(?:\d+\s*[.．、]\s*)?[^\n:：]{2,80}(?:\n(?:\d+\s*[.．、]\s*)?[^\n:：。]{2,80}){0,8})"),
    "cc": re.compile(r"抄送\s*[:：]\s*(?P<v>[^\n。]{2,200})"),
    "printed": re.compile(r"(?P<v>(?:[^\s:：，,。]{0,24}?(?:办公室|办公厅|政府|局|委员会|厅|部)\s*)?"
                          r"(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*印发"),
    "public": re.compile(r"公开方式\s*[:：]\s*(?P<v>主动公开|依申请公开|不予公开|不公开|[^\s，,。:：]{2,8})"),
    # the closing clause 本规划由市民政局负责解释
    "interpreter": re.compile(r"本(?:规划|方案|办法|意见|细则|条例|计划|通知)?\s*由\s*(?P<v>[^。，,；\n]{2,30}?)\s*负责解释"),
}
ATTACHMENT_ITEM = re.compile(r"(?:^|\n)\s*\d+\s*[.．、]\s*")
BASIS = re.compile(r"(?:依据|根据|按照|为(?:认真|进一步|深入|全面)?(?:贯彻落实|贯彻|落实))(?P<what>[^。]{4,200}?)(?:等?相关部署要求|文件精神|精神|要求|部署)?"
                   r"[^。]{0,20}?(?:制定|编制|制订)(?:了)?(?:本|此|该)?[^。，,]{0,40}?(?:规划|方案|办法|意见|细则|条例|计划)")
# The basis sentence belongs to the preamble (GENRE.md 'Metadata'): it is looked for near the top only, so a
# task that 根据…制定 a list of its own is not read as the document's basis.
PREAMBLE_CHARS = 3000
RECIPIENTS = re.compile(r"(?:^|\n|号)\s*(?P<who>(?:各[^\n:：。]{1,30}|[^\n:：。]{2,20}(?:政府|委员会|管委会|部门|单位))"
                        r"(?:[,，、][^\n:：。]{2,30}){0,6})\s*[:：]")
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def five_year_period(title: str) -> str:
    """十四五 → 2021—2025年: the n-th five-year plan starts in 1966 + 5(n-3) (from the 3rd plan on)."""
    m = re.search(r"十([一二三四五六七八九])五", title)
    if not m:
        return ""
    start = 1966 + 5 * (10 + CN_DIGITS[m.group(1)] - 3)
    return f"{start}—{start + 4}年"


def period(engine, meta) -> tuple[str, tuple | None]:
    """(period, citation) from the text (规划期为2021—2025年, （2021-2025年）) or the five-year plan named
    in the title."""
    text = engine.doc_text(meta.doc_id)
    m = re.search(r"(?:规划期|期限|实施期|有效期)[^。；]{0,8}?(20\d\d)\s*年?\s*[-—~至到]+\s*(20\d\d)\s*年?", text)
    if m:
        return f"{m.group(1)}—{m.group(2)}年", span_citation(engine, meta.doc_id, m.start(), m.end())
    return five_year_period(meta.title), None


def validity(engine, meta) -> tuple[str, tuple | None]:
    """(validity, citation) from the text (自印发之日起施行，有效期至…) or the manifest's valid_until."""
    text = engine.doc_text(meta.doc_id)
    m = re.search(r"自[^。；]{0,12}之日起(?:施行|实施|执行)(?:[,，；][^。；]{0,6}有效期(?:至|到)[^。；,，]{4,16})?|"
                  r"有效期(?:至|到)[^。；,，]{4,16}", text)
    if m:
        return m.group(0), span_citation(engine, meta.doc_id, m.start(), m.end())
    until = getattr(meta, "valid_until", "") or ""
    return (f"有效期至{until}", None) if until else ("", None)


def chinese_date(value: str) -> str:
    """2022-05-10 → 2022年5月10日, the way a document's 成文日期 is written (so it can be found and cited)."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip())
    return f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日" if m else value


def asked_fields(text: str) -> list[tuple[str, str]]:
    out = [(key, label) for key, label, rx in FIELDS if rx.search(text)]
    if any(k in ("basis", "recipients") for k, _ in out):
        # 「依据哪份文件、经谁同意」: the 谁 belongs to the basis, not to the issuer
        out = [(k, l) for k, l in out if k in ("basis", "recipients", "doc_number")]
    if any(k == "validity" for k, _ in out):
        # 有效期到哪一年 / 到什么时候 asks the validity only, not the plan period or the date it was written
        out = [(k, l) for k, l in out if not (k == "period" and not re.search(r"规划期|执行期|起止", text))
               and not (k == "date" and not re.search(r"成文|印发|发布|出台|发的|落款|日期", text))]
    if any(k == "interpreter" for k, _ in out):
        out = [(k, l) for k, l in out if k not in ("issuer", "date")]  # 由哪个部门负责解释: not who issued it
    if any(k == "printed" for k, _ in out):
        out = [(k, l) for k, l in out if k != "date"]  # 哪天印发 asks the 印发日期, not the 成文日期
        if not re.search(r"谁|哪个(部门|单位|机关|办公室)|哪家|什么(部门|单位|机关)", text):
            out = [(k, l) for k, l in out if k != "issuer"]  # nor who issued it
    return out or [(k, l) for k, l, _ in FIELDS if k not in TEXT_ONLY]


def text_field(engine, doc_id: str, key: str) -> tuple[str, tuple | None]:
    """A field only the text states: its value and citation."""
    text = engine.doc_text(doc_id)
    if key in COVER_FIELDS:
        return cover_field(engine, doc_id, key)
    if key == "recipients":
        m = after_title(engine, doc_id) or RECIPIENTS.search(text[:6000])
    else:
        m = BASIS.search(text[:PREAMBLE_CHARS])
    if not m:
        return "", None
    group = "what" if key == "basis" else "who"
    a, e = (m.start(), m.end()) if key == "basis" else m.span(group)
    value = m.group(group).strip(" ,，")
    titles = re.findall(r"《[^》]{2,60}》", m.group(0) if key == "basis" else value)
    if key == "basis" and titles:
        value = "".join(titles)
    return value, span_citation(engine, doc_id, a, e)


def cover_field(engine, doc_id: str, key: str) -> tuple[str, tuple | None]:
    """附件, 抄送, 印发日期, 公开方式: the last labelled occurrence (the 版记 closes the document); an empty
    「附件：」 (the attachment not included in the file) states nothing."""
    text = engine.doc_text(doc_id)
    found = list(COVER_FIELDS[key].finditer(text))
    if key == "attachments":
        # the list of attachments, not a task's 「附件：…」 mention inside a sentence
        found = [m for m in found if "\n" in m.group("v") or ATTACHMENT_ITEM.match(m.group("v")) or
                 m.end() >= len(text.rstrip()) - 1 or text[m.end():m.end() + 1] == "\n"]
    if not found:
        return "", None
    m = found[-1] if key != "attachments" else found[0]
    value = m.group("v").strip()
    if key == "printed":  # 「公开方式:主动公开珠海市民政局办公室2023年1月10日印发」: the office and the date
        value = re.sub(r"^(主动公开|依申请公开|不予公开|不公开)", "", value) + "印发"
    if key == "attachments":
        items = [re.sub(r"\s+", "", x) for x in ATTACHMENT_ITEM.split("\n" + value) if x.strip()]
        value = "；".join(f"{i}. {x}" for i, x in enumerate(items, 1)) if len(items) > 1 else "".join(items)
    # the label can fall between two passages, and a list of attachments run over two: cited from where
    # its value begins
    cited = span_citation(engine, doc_id, m.start(), m.end()) or span_citation(engine, doc_id, m.start("v"), m.end())
    return value, cited


# after the title (the short title may stop before 「的通知」), the addressees up to the colon, on one line
ADDRESSEES = re.compile(r"(?:的(?:通知|意见|决定|函|批复))?[ \t]*(?P<who>[^:：。\n]{2,120}?)[ \t]*[:：]")
ORGANISATION = re.compile(r"各|政府|部门|单位|委员会|管委会|机关|局|办")


def after_title(engine, doc_id: str):
    """The addressees line right after a notice's title (GB/T 9704: 标题, then 主送机关 ending in a colon) —
    also where an extraction lost the line breaks (珠海: 「…的通知各区政府(管委会),市政府各部门,各有关单位:」)."""
    meta = doc_meta(engine, doc_id)
    text = engine.doc_text(doc_id)
    at = find_loose(text[:6000], meta.title) if meta and meta.title else None
    if not at:
        return None
    m = ADDRESSEES.match(text, at[1])
    if not m or not ORGANISATION.search(m.group("who")) or "《" in m.group("who"):
        return None
    return m


def title_citation(engine, doc_id: str):
    meta = doc_meta(engine, doc_id)
    at = find_loose(engine.doc_text(doc_id), meta.title) if meta and meta.title else None
    if at:
        return span_citation(engine, doc_id, *at)
    first = next((p for p in engine.passages if p.doc_id == doc_id), None)
    return (first, (0, min(len(first.text), 40))) if first else None


def target_docs(ctx: Context) -> list[str]:
    if ctx.scope.docs or ctx.scope.explicit:
        return ctx.doc_ids()
    # No place named: the documents whose title shares a distinctive word with the question (实施方案, 规划)
    ids = [d.doc_id for d in ctx.engine.documents
           if any(w in ctx.text and w in d.title for w in ("实施方案", "规划", "条例", "办法", "通知", "意见", "试点"))]
    return ids or [d.doc_id for d in ctx.engine.documents]


def document_info(ctx: Context) -> Builder | None:
    b = Builder(ctx.text, "document")
    b.exact = True
    fields = asked_fields(ctx.text)
    stated = 0
    hints: list[str] = []
    docs = target_docs(ctx)
    for doc_id in docs:
        meta = doc_meta(ctx.engine, doc_id)
        if meta is None:
            continue
        prefix = f"【{meta.region}】" if len(docs) > 1 and meta.region else ""
        b.add("heading", f"{prefix}《{meta.title}》")
        for key, label in fields:
            if key == "period":
                # a document with no period of its own is in force for its validity (管到哪一年)
                value, cited = period(ctx.engine, meta)
                if not value:
                    value, cited = validity(ctx.engine, meta)
            elif key == "validity":
                value, cited = validity(ctx.engine, meta)
            elif key in TEXT_ONLY:
                value, cited = text_field(ctx.engine, doc_id, key)
                if key == "printed" and not value and meta.date:
                    # no 版记 line: the date under the signature is the one the document carries
                    label, value = "成文日期（文件未单列印发日期）", chinese_date(meta.date)
                    cited = in_text(ctx.engine, doc_id, value)
            else:
                value = getattr(meta, key, "") or ""
                if key == "date":
                    value = chinese_date(value)
                cited = in_text(ctx.engine, doc_id, value)
            if not value:
                b.add("meta", f"  {label}：文件及收录信息均未载明")
                if key == "validity" and (plan := five_year_period(meta.title)):
                    hints.append(f"标题所称规划期为{plan}，文件未写明有效期是否与之相同")
                continue
            stated += 1
            if cited is not None:
                p, span = cited
                b.add("meta", f"  {label}：{value} —— 原文：{p.text[span[0]:span[1]]}", p, span)
            else:
                # Not written in the text: from the document's record (manifest or inferred), cited to its title
                cited = title_citation(ctx.engine, doc_id)
                src = "据文件标题推算" if key == "period" else "据收录信息"
                if cited:
                    p, span = cited
                    b.add("meta", f"  {label}：{value}（{src}） —— 原文：{p.text[span[0]:span[1]]}", p, span)
                else:
                    b.add("meta", f"  {label}：{value}（{src}）")
    if not stated:
        labels = "、".join(label for _, label in fields)
        b.decline = f"现有政策文件中未找到这份文件的{labels}" + "".join(f"（{h}）" for h in dict.fromkeys(hints)) + "。"
        b.type_score = None
    return b
