"""Loaders by type and encoding, and bad files in corpus/: skipped with a warning, the rest kept."""
import shutil
from pathlib import Path

import pytest

from kb.ingest import IngestError, decode_bytes, load_corpus, read_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TEXT = "厦门市创建全省城乡社区近邻服务试点市实施方案\n一、指导思想\n以近邻党建为引领，打通社区服务“最后一公里”。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(tmp_path, encoding):
    p = tmp_path / "doc.txt"
    p.write_bytes(TEXT.encode(encoding))
    assert read_text(p) == TEXT


def test_undecodable_file_is_refused_with_its_name(tmp_path):
    p = tmp_path / "broken.txt"
    p.write_bytes(bytes(range(128, 256)) * 50)  # not UTF-8, not GB18030, no language in it
    with pytest.raises(IngestError, match="broken.txt"):
        read_text(p)


def test_docx(tmp_path):
    import docx

    d = docx.Document()
    for line in TEXT.split("\n"):
        d.add_paragraph(line)
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "托位数", "5.5个"
    d.save(tmp_path / "plan.docx")
    text = read_text(tmp_path / "plan.docx")
    assert "一、指导思想" in text and "| 托位数 | 5.5个 |" in text


def test_html(tmp_path):
    (tmp_path / "page.html").write_text(
        f"<html><head><style>p{{color:red}}</style><script>var x=1;</script></head><body><nav>首页 > 政策</nav>"
        f"<p>{TEXT.replace(chr(10), '</p><p>')}</p><footer>版权所有</footer></body></html>", encoding="gbk")
    text = read_text(tmp_path / "page.html")
    assert "一、指导思想" in text and "var x" not in text and "版权所有" not in text and "首页" not in text


def test_pdf(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "Community service plan 2025: 5.5 places per 1000 people")
    fig.savefig(tmp_path / "plan.pdf")
    plt.close(fig)
    assert "5.5 places" in read_text(tmp_path / "plan.pdf")


def test_bad_files_are_skipped_and_the_rest_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04 this is not a zip")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "notes.xyz").write_text("whatever", encoding="utf-8")
    # the same document twice: once re-encoded in GBK under another name
    (corpus / "copy-gbk.txt").write_bytes((CORPUS / "xiamen-pilot-plan.txt").read_text(encoding="utf-8").encode("gb18030"))
    (corpus / "new-doc.md").write_text("# 某区社区食堂建设方案\n\n到2025年建成社区食堂20个。", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    ids = [d.doc_id for d in docs]
    assert len(ids) == 6 and "new-doc" in ids
    text = "\n".join(warnings)
    for name in ("broken.docx", "broken.pdf", "empty.txt", "notes.xyz"):
        assert name in text
    assert "copy-gbk.txt：内容与 xiamen-pilot-plan.txt 相同" in text
    assert "broken.docx：文件已损坏" in text and "empty.txt：文件是空的" in text and "notes.xyz：不支持的文件类型" in text
    # metadata: from the manifest where listed, else inferred from the text
    meta = {d.doc_id: d.meta for d in docs}
    assert meta["zhuhai-plan"].doc_number == "珠民〔2023〕5号" and meta["zhuhai-plan"].level == "市"
    assert meta["putian-county-plan"].region == "仙游（莆田）"  # the manifest's own form is kept
    assert meta["new-doc"].title == "某区社区食堂建设方案"
    assert meta["new-doc"].region == "" and meta["new-doc"].level == ""  # 某区 names no place


def test_same_stem_different_types_get_distinct_ids(tmp_path):
    (tmp_path / "plan.txt").write_text("甲方案\n内容一。", encoding="utf-8")
    (tmp_path / "plan.md").write_text("乙方案\n内容二。", encoding="utf-8")
    docs, _ = load_corpus(tmp_path)
    assert sorted(d.doc_id for d in docs) == ["plan", "plan-txt"] or sorted(d.doc_id for d in docs) == ["plan", "plan-md"]


def test_manifest_overrides_inferred_metadata_and_fills_the_gaps(tmp_path):
    text = ("汐川县人民政府办公室文件\n汐政办发〔2024〕7号\n汐川县人民政府办公室关于印发汐川县助餐服务实施方案的通知\n"
            "各乡镇人民政府：\n现印发给你们。\n汐川县人民政府办公室\n2024年5月9日\n汐川县助餐服务实施方案\n一、工作目标\n到2025年建成助餐点30个。")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text.replace("汐川", "溪口").replace("汐政", "溪政"), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(
        '{"a.txt": {"title": "助餐方案", "region": "汐川县城", "date": ""}}', encoding="utf-8")
    docs, _ = load_corpus(tmp_path)
    a, b = sorted((d.meta for d in docs), key=lambda m: m.doc_id)
    assert (a.title, a.region) == ("助餐方案", "汐川县城")  # given: kept
    assert (a.date, a.doc_number, a.issuer, a.level) == ("2024-05-09", "汐政办发〔2024〕7号", "汐川县人民政府办公室", "县")
    assert (b.region, b.level, b.doc_number) == ("溪口", "县", "溪政办发〔2024〕7号")
    assert b.title == "溪口县人民政府办公室关于印发溪口县助餐服务实施方案的通知"


def _docx_with_merged_table(path):
    import docx

    d = docx.Document()
    d.add_paragraph("青川县社区助餐实施方案")
    d.add_paragraph("一、重点任务")
    t = d.add_table(rows=4, cols=4)
    for c, h in enumerate(["序号", "工作任务", "牵头单位", "完成时限"]):
        t.cell(0, c).text = h
    for r, (task, when) in enumerate([("建设助餐点", "2024年底前"), ("发展送餐服务", "2025年底前")], start=1):
        t.cell(r, 0).text, t.cell(r, 1).text, t.cell(r, 3).text = str(r), task, when
    t.cell(1, 2).merge(t.cell(2, 2)).text = "县民政局"  # one 牵头单位 cell over two rows
    title = t.cell(3, 0).merge(t.cell(3, 3))  # a row spanning all columns
    title.text = "注：排在第一位的为牵头单位"
    d.add_paragraph("二、保障措施")
    d.save(path)


def test_docx_tables_are_rows_in_document_order_with_merged_cells(tmp_path):
    _docx_with_merged_table(tmp_path / "plan.docx")
    lines = read_text(tmp_path / "plan.docx").split("\n")
    assert lines[:2] == ["青川县社区助餐实施方案", "一、重点任务"]
    assert lines[2] == "| 序号 | 工作任务 | 牵头单位 | 完成时限 |"
    assert lines[3] == "| 1 | 建设助餐点 | 县民政局 | 2024年底前 |"
    assert lines[4] == "| 2 | 发展送餐服务 | 县民政局 | 2025年底前 |"  # the merged cell on both rows
    assert lines[5] == "| 注：排在第一位的为牵头单位 |"  # a cell spanning the row comes once
    assert lines[6] == "二、保障措施"  # the paragraph after the table stays after it


def test_docx_list_numbering_is_rendered(tmp_path):
    """Headings numbered by Word's list formatting (一、 （一） 1.) keep their markers in the text."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    numbering = d.part.numbering_part.element
    numbering.append(parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def para(text, level):
        p = d.add_paragraph(text)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    para("总体要求", 0)
    para("指导思想", 1)
    para("工作目标", 1)
    para("重点任务", 0)
    para("推进助餐服务", 1)
    d.save(tmp_path / "n.docx")
    text = read_text(tmp_path / "n.docx")
    assert text.split("\n") == ["一、总体要求", "（一）指导思想", "（二）工作目标", "二、重点任务", "（一）推进助餐服务"]


def test_html_tables_stay_tables_and_menus_go(tmp_path):
    (tmp_path / "p.html").write_text(
        "<html><head><title>站点标题_某某网</title></head><body>"
        "<div class='nav'><a href='/'>首页</a><a href='/a'>政务公开</a><a href='/b'>政务服务</a><a href='/c'>互动交流</a></div>"
        "<h1>云溪区助餐服务实施方案</h1><p>一、重点任务</p>"
        "<p>　　（一）建设助餐点。<span>新建</span>助餐点\n20个。</p>"
        "<table><tr><th>序号</th><th>工作任务</th><th>牵头单位</th></tr>"
        "<tr><td>1</td><td>建设助餐点</td><td rowspan='2'>区民政局</td></tr>"
        "<tr><td>2</td><td>送餐上门</td></tr>"
        "<tr><td colspan='3'>注：以上任务2025年底前完成</td></tr></table>"
        "<p>二、保障措施</p><p>附件：<a href='1.docx'>1.重点任务分工表</a> <a href='2.docx'>2.项目清单</a> "
        "<a href='3.docx'>3.联系人名单</a></p></body></html>", encoding="utf-8")
    lines = [l.strip() for l in read_text(tmp_path / "p.html").split("\n") if l.strip()]
    assert lines[0] == "云溪区助餐服务实施方案"  # no <title>, no menu
    assert "（一）建设助餐点。新建助餐点20个。" in lines  # inline tags and source line breaks do not split a paragraph
    i = lines.index("| 序号 | 工作任务 | 牵头单位 |")
    assert lines[i + 1:i + 5] == ["| 1 | 建设助餐点 | 区民政局 |", "| 2 | 送餐上门 | 区民政局 |",
                                  "| 注：以上任务2025年底前完成 |", "二、保障措施"]
    assert lines[-1] == "附件：1.重点任务分工表 2.项目清单 3.联系人名单"  # links, but content


def test_generated_pdf_with_wraps_running_header_and_page_numbers(tmp_path):
    """A PDF laid out as GB/T 9704 prints: body wrapped at the page width, the title repeated as a running
    header from page 2, page numbers "- n -" at the foot. Read and cleaned, it is the paragraphs again."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from kb.clean import clean_text

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = "石门市社区助餐服务实施方案"
    paras = ["一、工作目标",
             "到2025年底，全市城市社区老年助餐服务覆盖率达到100%，农村老年助餐点覆盖率达到60%以上，"
             "形成布局合理、质量安全、可持续发展的老年助餐服务体系。",
             "二、重点任务",
             "（一）建设社区老年食堂。依托社区综合服务设施建设老年食堂和助餐点，引导餐饮企业参与助餐配餐，"
             "为高龄、失能、独居老年人提供送餐上门服务，每年新增助餐点不少于20个。（市民政局牵头，市商务局配合）",
             "（二）落实助餐补贴。对特殊困难老年人给予助餐补贴，补贴标准由市财政局会同市民政局制定并动态调整，"
             "确保补贴资金及时足额发放到位，接受社会监督。（市财政局牵头，市民政局配合）"]
    width, per_page = 24, 6
    lines = [title]
    for p in paras:
        lines += [p[i:i + width] for i in range(0, len(p), width)]
    c = canvas.Canvas(str(tmp_path / "plan.pdf"))
    pages = [lines[i:i + per_page] for i in range(0, len(lines), per_page)]
    for n, page in enumerate(pages, start=1):
        c.setFont("STSong-Light", 14)
        if n > 1:
            c.drawString(150, 800, title)
        for k, line in enumerate(page):
            c.drawString(60, 760 - 28 * k, line)
        c.drawString(290, 40, f"- {n} -")
        c.showPage()
    c.save()
    assert len(pages) >= 3
    raw = read_text(tmp_path / "plan.pdf")
    assert raw.count(title) == len(pages) and "- 2 -" in raw
    text = clean_text(raw).text
    assert text.split("\n") == [title] + paras


def test_docx_numbering_from_a_heading_style(tmp_path):
    """Word headings numbered through their style (Heading 1 linked to a 一、 list) keep the marker."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    d.part.numbering_part.element.append(parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="91"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl></w:abstractNum>'))
    d.part.numbering_part.element.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="91"><w:abstractNumId w:val="91"/></w:num>'))
    d.styles["Heading 1"].element.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="91"/></w:numPr>'))
    for i in range(1, 13):
        d.add_heading(f"任务{i}", level=1)
        d.add_paragraph("正文。")
    d.save(tmp_path / "s.docx")
    lines = read_text(tmp_path / "s.docx").split("\n")
    assert lines[0] == "一、任务1" and lines[2] == "二、任务2" and lines[20] == "十一、任务11" and lines[22] == "十二、任务12"
    assert lines[1] == "正文。"
