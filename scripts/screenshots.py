"""Screenshots of every page of a running app at a laptop and a desktop size, for docs/screenshots/.

    python app.py --port 7860 &            # (or any running instance)
    python scripts/screenshots.py [--url http://127.0.0.1:7860/] [--out docs/screenshots]

Uses Debian's chromium through Playwright (scripts/install_browser.sh installs it). The PNGs are reduced
to a 48-colour palette so they stay small enough to commit.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

SIZES = [(1366, 768), (1920, 1080)]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "老年人助餐服务由哪些部门负责？"
TABS = [("文件", "documents"), ("责任分工", "responsibilities"), ("目标指标", "targets"), ("添加文件", "upload"),
        ("说明", "help")]


def small_png(path: Path) -> None:
    img = Image.open(path).convert("RGB")
    img.quantize(colors=48).save(path, optimize=True)


def shoot(browser, url: str, out: Path, width: int, height: int) -> list[Path]:
    ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#kb-ready", timeout=600_000)
    shots = []

    def save(name):
        path = out / f"{name}-{width}x{height}.png"
        page.screenshot(path=str(path))
        small_png(path)
        shots.append(path)

    save("chat-empty")
    page.fill("#kb-question textarea", QUESTION)
    page.press("#kb-question textarea", "Enter")
    page.wait_for_selector("#kb-sources .kb-src-turn[data-turn='1']", state="attached", timeout=180_000)
    time.sleep(1)
    save("chat-answer")
    page.get_by_role("button", name="在文中查看 [1]").click()  # the cited passage in its document
    page.wait_for_selector("#kb-doc-text span.kb-focus", timeout=60_000)
    time.sleep(1.5)
    save("document-at-citation")
    for tab, name in TABS:
        page.get_by_role("tab", name=tab, exact=True).click()
        time.sleep(2)
        save(name)
    ctx.close()
    return shots


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--out", default="docs/screenshots")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for w, h in SIZES:
            for p in shoot(browser, args.url, out, w, h):
                print(f"{p}  {p.stat().st_size // 1024} KB")
        browser.close()


if __name__ == "__main__":
    main()
