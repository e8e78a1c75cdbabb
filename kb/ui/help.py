"""说明 page: what the library covers (its documents, their dates and regions) and how to ask."""
from __future__ import annotations

import gradio as gr

from .render import LEVEL_NAMES, md_escape

HOW_TO_ASK = """#### 怎样提问
- 直接用平常的话问，例如“老人吃饭难谁来管？”“到2025年每千人口托位数的目标是多少？”。
- 问**谁负责**（牵头、配合单位）、**目标是多少**、**什么时候完成**、**各地有什么不同**（如“珠海和厦门在社区养老方面分别有什么安排？”）效果最好。
- 可以接着问：“那珠海呢？”会沿用上一个问题。
- 回答里的 **[n]** 是出处编号：点击它会跳到右侧的原文段落；点“在文中查看”在「文件」页打开全文并高亮该段。
- 回答引用多个文件时，每一行前面标明所属地区，例如【仙游（莆田）】。
- 「筛选范围」可只在某个文件、地区或级别中查找。「导出本回答」「导出全部对话」生成 Word 文件（含出处原文），便于上报。
- 文件中没有写到的内容，回答会说明“未找到”，并列出**可能相关**的段落，不会编造。"""


def coverage_markdown(documents, passages: int) -> str:
    regions = sorted({d.region for d in documents if d.region})
    dates = sorted(d.date for d in documents if d.date)
    span = f"{dates[0]} 至 {dates[-1]}" if dates else "（日期不详）"
    lines = [f"#### 知识库收录的文件（{len(documents)} 个，{passages} 个段落）",
             f"涉及地区：{md_escape('、'.join(regions)) or '（未标注）'}；发布日期：{span}。", "",
             "| 地区 | 级别 | 文件 | 发文机关 | 日期 | 文号 |", "| --- | --- | --- | --- | --- | --- |"]
    for d in documents:
        cells = [d.region, LEVEL_NAMES.get(d.level, d.level), d.title, d.issuer, d.date or "（未写明）", d.doc_number]
        lines.append("| " + " | ".join(md_escape(c or "") for c in cells) + " |")
    lines.append("\n可在「添加文件」页上传新的政策文件（.txt、.md、.docx、.pdf、.html）。")
    return "\n".join(lines)


class HelpPage:
    def __init__(self, holder):
        self.holder = holder

    def render(self) -> None:
        self.coverage = gr.Markdown("正在打开知识库……", elem_id="kb-help-coverage")
        gr.Markdown(HOW_TO_ASK, elem_id="kb-help-ask")

    def ready_outputs(self) -> list:
        return [self.coverage]

    def on_ready(self, engine) -> list:
        return [coverage_markdown(engine.documents, len(engine.passages))]
