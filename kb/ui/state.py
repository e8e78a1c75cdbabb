"""One Engine per process, opened in a background thread as soon as the app starts.

Every page load waits on it and mirrors the build's progress into its own gr.Progress bar, so
the first run (index build, ~1-2 min) shows a moving bar in every open browser, and later runs
(saved index) are ready in about a second.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

from ..settings import Settings

log = logging.getLogger(__name__)


class EngineHolder:
    def __init__(self, settings: Settings, opener=None, warm_up: bool = True):
        self.settings = settings
        self._opener = opener
        self._warm_up = warm_up
        self.engine = None
        self.error: BaseException | None = None
        self.fraction = 0.0
        self.desc = "读取索引"
        self.started = time.monotonic()
        self.built = False  # True when this process built the index (first run) rather than loaded it
        self.seconds: float | None = None  # from start to ready (or failure), shown in the status line
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ background opening

    def start(self) -> "EngineHolder":
        if self._thread is None:
            self.started = time.monotonic()
            self._thread = threading.Thread(target=self._open, name="kb-engine-open", daemon=True)
            self._thread.start()
        return self

    def report(self, fraction: float, desc: str) -> None:
        """The progress callback handed to Engine.open / add_documents."""
        self.fraction, self.desc = float(fraction), desc
        self.built = True
        print(f"[policy-kb] {int(fraction * 100):3d}% {desc}", file=sys.stderr, flush=True)

    def _open(self) -> None:
        try:
            if self._opener is not None:
                engine = self._opener(self.settings, self.report)
            else:
                from .. import index as index_mod
                from ..engine import Engine
                from ..logs import reason_zh

                reason = index_mod.staleness(self.settings)
                if reason:  # information, not a warning: a first run builds the index by design
                    print(f"[policy-kb] 信息：正在建立索引 —— {reason_zh(reason)}", file=sys.stderr, flush=True)
                    from ..embedding import load_embedder

                    self.report(0.0, "准备向量模型（首次运行时转换，约需 1 分钟）")
                    load_embedder(self.settings)
                engine = Engine.open(self.settings, progress=self.report)
            if self._warm_up:
                self.fraction, self.desc = max(self.fraction, 0.99), "加载向量模型"
                try:  # load the embedding model now, so the first question is not the slow one
                    engine.search("社区服务", top_k=1, mode="dense")
                except Exception as exc:  # noqa: BLE001 - a failed warm-up only costs latency
                    log.warning("warm-up query failed: %s", exc)
            self.engine = engine
            self.fraction, self.desc = 1.0, "就绪"
            self.seconds = time.monotonic() - self.started
            how = "建立索引并加载" if self.built else "加载已有索引"
            print(f"[policy-kb] 就绪：{len(engine.documents)} 个文件，{len(engine.passages)} 个段落"
                  f"（{how}，用时 {self.seconds:.1f} 秒）", file=sys.stderr, flush=True)
        except BaseException as exc:  # noqa: BLE001 - shown to every user, never swallowed
            log.exception("opening the knowledge base failed")
            self.error = exc
            self.desc = "失败"
            self.seconds = time.monotonic() - self.started
        finally:
            self._done.set()

    # ------------------------------------------------------------ waiting

    def status_text(self) -> str:
        """What a page shows until the engine is ready: building (first run) or loading (warm restart)."""
        elapsed = int(time.monotonic() - self.started)
        if self.built:
            return f"正在建立索引：{self.desc}（已用 {elapsed} 秒）"
        return f"正在加载知识库：{self.desc}（已用 {elapsed} 秒）"

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self.engine is not None

    def wait(self, progress=None, poll: float = 0.3):
        """Block until the engine is open, calling progress(fraction, desc=...) meanwhile.
        Raises RuntimeError with a user-facing message if opening failed."""
        self.start()
        while not self._done.wait(poll):
            if progress is not None:
                progress(min(self.fraction, 0.99), desc=self.status_text())
        if self.error is not None:
            raise RuntimeError(f"知识库无法打开：{self.error}")
        return self.engine
