"""Console logging for the CLI and the app: our warnings in one line each, in Chinese labels; from
libraries only warnings and errors (bm25s sets its own logger to DEBUG, which printed
"DEBUG: Building index from tokens" on every build)."""
from __future__ import annotations

import logging
import re
import sys
import warnings

LABELS = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "错误"}


class _OursOrSerious(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.label = LABELS.get(record.levelname, record.levelname)
        return record.name.split(".")[0] == "kb" or record.levelno >= logging.WARNING


def setup(verbose: bool = False) -> None:
    """One stderr handler on the root logger; kb at INFO when verbose, else WARNING."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_kb", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._kb = True
    handler.setFormatter(logging.Formatter("%(label)s：%(message)s"))
    handler.addFilter(_OursOrSerious())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("kb").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)  # a library's warnings.warn goes through the handler above
    # urllib3 says so whenever a SOCKS proxy could be configured; nothing here uses one
    warnings.filterwarnings("ignore", message="SOCKS support in urllib3")


# why the index is (re)built (kb/index.py staleness), as the console says it
_REASONS_ZH = [
    (re.compile(r"^no index has been built yet$"), lambda m: "尚未建立索引（首次运行，约需 1–3 分钟）"),
    (re.compile(r"^rebuild requested$"), lambda m: "按要求重建"),
    (re.compile(r"^the index manifest is missing or unreadable$"), lambda m: "索引清单缺失"),
    (re.compile(r"^settings changed: (.+)$"), lambda m: f"设置已改变：{m.group(1)}"),
    (re.compile(r"^corpus changed \((.+)\)$"),
     lambda m: "文件有变化（" + m.group(1).replace("added: ", "新增：").replace("removed: ", "删除：")
     .replace("changed: ", "修改：").replace("; ", "；") + "）"),
]


def reason_zh(reason: str) -> str:
    for rx, fmt in _REASONS_ZH:
        m = rx.match(reason)
        if m:
            return fmt(m)
    return reason
