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
    assert "copy-gbk.txt: same content as xiamen-pilot-plan.txt" in text
    # metadata: from the manifest where listed, else empty (the title is inferred later from the text)
    meta = {d.doc_id: d.meta for d in docs}
    assert meta["zhuhai-plan"].doc_number == "珠民〔2023〕5号" and meta["zhuhai-plan"].level == "市"
    assert meta["new-doc"].title == "" and meta["new-doc"].region == "" and meta["new-doc"].level == ""


def test_same_stem_different_types_get_distinct_ids(tmp_path):
    (tmp_path / "plan.txt").write_text("甲方案\n内容一。", encoding="utf-8")
    (tmp_path / "plan.md").write_text("乙方案\n内容二。", encoding="utf-8")
    docs, _ = load_corpus(tmp_path)
    assert sorted(d.doc_id for d in docs) == ["plan", "plan-txt"] or sorted(d.doc_id for d in docs) == ["plan", "plan-md"]
