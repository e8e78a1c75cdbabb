"""添加文件 page: upload policy files; the engine copies them under safe names, dedupes and re-indexes."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import gradio as gr

from ..errors import KBError
from ..ingest import SUPPORTED
from .render import md_escape

log = logging.getLogger(__name__)


# the engine's warnings, in the UI's language (anything else is shown as it is)
_WARNINGS_ZH = [
    (re.compile(r"^(?P<name>.+?): same content as the indexed document (?P<doc>\S+); not added again$"),
     "{name}：内容与已收录的文件 {doc} 相同，未重复加入"),
    (re.compile(r"^(?P<name>.+?): unsupported type (?P<suffix>\S+); supported: (?P<list>.+)$"),
     "{name}：不支持的文件类型 {suffix}，支持 {list}"),
    (re.compile(r"^(?P<name>.+?): larger than (?P<mb>\d+) MB$"), "{name}：超过 {mb} MB 的上限"),
]


def warning_zh(message: str) -> str:
    for rx, template in _WARNINGS_ZH:
        m = rx.match(message)
        if m:
            return template.format(**m.groupdict())
    return message


def check_uploads(paths, max_mb: int) -> tuple[list[Path], list[str]]:
    """Split uploaded files into acceptable ones and user-facing warnings (type, size, empty)."""
    ok, warnings = [], []
    for p in map(Path, paths or []):
        name = p.name
        if p.suffix.lower() not in SUPPORTED:
            warnings.append(f"{name}：不支持的文件类型 {p.suffix or '（无扩展名）'}，支持 {', '.join(sorted(SUPPORTED))}")
        elif not p.is_file():
            warnings.append(f"{name}：上传的文件不见了，请重新上传")
        elif p.stat().st_size == 0:
            warnings.append(f"{name}：文件是空的")
        elif p.stat().st_size > max_mb * 1024 * 1024:
            warnings.append(f"{name}：超过 {max_mb} MB 的上限")
        else:
            ok.append(p)
    return ok, warnings


class UploadPage:
    def __init__(self, holder, settings):
        self.holder = holder
        self.settings = settings

    def render(self) -> None:
        types = "、".join(sorted(SUPPORTED))
        gr.Markdown(f"上传政策文件（{types}；单个文件不超过 {self.settings.max_upload_mb} MB）。"
                    "文件会复制进知识库目录并重新建立索引，完成后即可在问答页检索。")
        self.files = gr.File(file_count="multiple", file_types=sorted(SUPPORTED), label="选择文件",
                             elem_id="kb-upload-files")
        self.button = gr.Button("加入知识库并重建索引", variant="primary", elem_id="kb-upload-go")
        self.result = gr.Markdown("", elem_id="kb-upload-result")

    def add(self, files, progress=gr.Progress()):
        paths = [f if isinstance(f, str) else getattr(f, "name", f) for f in (files or [])]
        if not paths:
            return "请先选择要上传的文件。", gr.update()
        engine = self.holder.wait()
        ok, warnings = check_uploads(paths, self.settings.max_upload_mb)
        added = []
        if ok:
            def report(fraction, desc):
                progress(fraction, desc=f"重建索引：{desc}")

            try:
                added, more = engine.add_documents(ok, progress=report)
                warnings += [warning_zh(w) for w in more]
            except KBError as exc:
                warnings.append(str(exc))
            except Exception as exc:  # noqa: BLE001
                log.exception("adding documents failed")
                warnings.append(f"出错了：{exc}")
        lines = []
        if added:
            titles = {d.doc_id: d.title for d in engine.documents}
            lines.append(f"已加入 {len(added)} 个文件，索引已更新：")
            lines += [f"- {md_escape(titles.get(i) or i)}（编号 {md_escape(i)}）" for i in added]
        else:
            lines.append("没有加入新文件。")
        if warnings:
            lines.append("\n提示：")
            lines += [f"- {md_escape(w)}" for w in warnings]
        return "\n".join(lines), gr.File(value=None)
