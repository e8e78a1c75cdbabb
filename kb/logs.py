"""Console logging for the CLI and the app: our warnings in one line each, in Chinese labels; from
libraries only warnings and errors (bm25s sets its own logger to DEBUG, which printed
"DEBUG: Building index from tokens" on every build)."""
from __future__ import annotations

import logging
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
