"""The app in a real browser: `python app.py --port N` in a subprocess over a temporary copy of the
corpus (its first start builds the index), driven by headless Debian chromium through Playwright.

Skips only when chromium is missing and scripts/install_browser.sh cannot install it.
Screenshots go to tests/artifacts/ (git-ignored).
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUILD_TIMEOUT_MS = 600_000  # first start builds the index: ~1-2 min alone, more on a busy machine
ANSWER_TIMEOUT_MS = 120_000

COUNTY_SECTION = "二、增加服务供给、提升服务效能 > (一)完善基本公共服务功能 > 1.优化社区养老和助残服务供给"
UPLOAD_NAME = "qinglan-firefly.txt"
UPLOAD_TEXT = """青岚县社区萤火虫夜间照护驿站实施办法

一、主要任务
（一）建设萤火虫夜间照护驿站。在每个社区设立萤火虫夜间照护驿站，为独居老人提供夜间巡访和紧急呼叫服务。责任单位：青岚县民政局、青岚县卫健局。
"""


# ------------------------------------------------------------------ environment

def _chromium_ready() -> bool:
    return Path(CHROMIUM).exists()


def _cjk_font_ready() -> bool:
    try:
        out = subprocess.run(["fc-list"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Noto Sans CJK" in out or "Noto Serif CJK" in out


@pytest.fixture(scope="module")
def chromium_path():
    """Debian chromium (+ the CJK font, so screenshots show Chinese), installed when missing."""
    if not _chromium_ready() or not _cjk_font_ready():
        script = ROOT / "scripts" / "install_browser.sh"
        proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=1800)
        if not _chromium_ready():
            pytest.skip(f"chromium could not be installed by {script.name} (exit {proc.returncode}): "
                        f"{(proc.stderr or proc.stdout).strip()[-400:]}")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, name: str):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = root / f"{name}.log"
        self.net_log = root / f"{name}.net.jsonl"
        # No GRADIO_ANALYTICS_ENABLED here: the app must switch analytics off itself. Every attempt to reach
        # another machine is recorded by tests/netaudit.py (see test_no_outbound_connection_attempts).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_", "HF_HUB_", "TRANSFORMERS_OFFLINE"))}
        env.update(KB_CORPUS_DIR=str(root / "corpus"), KB_INDEX_DIR=str(root / "index"),
                   KB_DATA_DIR=str(root / "data"), PYTHONUNBUFFERED="1", KB_NET_AUDIT=str(self.net_log))
        self.env = env
        self._log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "tests/netaudit.py", "app.py", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"app.py did not answer on {self.url}:\n{self.log()[-3000:]}")
            time.sleep(0.5)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


@pytest.fixture(scope="module")
def kb_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    return root


@pytest.fixture(scope="module")
def server(kb_root, chromium_path):
    srv = Server(kb_root, "app")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module", autouse=True)
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def new_page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    page.dialogs = []  # any alert()/confirm() the page fires would land here
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.external = []  # requests the page makes to anything but the app (fonts, CDNs, trackers)
    page.on("request", lambda r: None if _is_local_url(r.url) else page.external.append(r.url))
    return page


def _is_local_url(url: str) -> bool:
    from urllib.parse import urlparse

    u = urlparse(url)
    return u.scheme in ("data", "blob", "about") or u.hostname in ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def page(browser, server):
    p = new_page(browser)
    p.goto(server.url, wait_until="domcontentloaded")
    p.wait_for_selector("#kb-ready", timeout=BUILD_TIMEOUT_MS)
    yield p
    external = list(p.external)
    p.context.close()
    assert external == [], f"the page reached outside the app: {external[:5]}"


# ------------------------------------------------------------------ helpers

def ask(page, question: str) -> str:
    """Type a question, press Enter, wait for the answer and its source panel; returns the answer text."""
    bots = page.locator("#kb-chat [data-testid='bot']")
    users = page.locator("#kb-chat [data-testid='user']")
    before, asked = bots.count(), users.count()
    # Right after a tab switch the freshly mounted textbox can miss a keystroke-free fill; the question
    # shows in the chat at once when it was sent, so re-send only when it did not appear.
    for attempt in range(3):
        page.fill("#kb-question textarea", question)
        page.press("#kb-question textarea", "Enter")
        try:
            page.wait_for_function(f"document.querySelectorAll(\"#kb-chat [data-testid='user']\").length > {asked}",
                                   timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.wait_for_function(f"document.querySelectorAll(\"#kb-chat [data-testid='bot']\").length > {before}",
                           timeout=ANSWER_TIMEOUT_MS)
    # the source panel re-renders after the answer; it names the answer it belongs to
    page.wait_for_selector(f"#kb-sources .kb-src-turn[data-turn='{before + 1}']", state="attached",
                           timeout=ANSWER_TIMEOUT_MS)
    return bots.nth(before).inner_text()


def upload(page, path: Path, done: str) -> str:
    """Upload a file on the 添加文件 tab and press the button until the result line contains ``done``."""
    page.wait_for_selector("#kb-upload-go", state="visible")
    for attempt in range(4):
        # right after a tab switch the file input can be replaced while it mounts: set it again then
        page.set_input_files("#kb-upload-files input[type=file]", str(path))
        try:
            page.locator("#kb-upload-files").get_by_text(path.name).first.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            if attempt == 3:
                raise
            continue
        page.click("#kb-upload-go")
        page.wait_for_function(f"""() => {{ const t = document.querySelector('#kb-upload-result').innerText;
                                            return t.includes({json.dumps(done)}) || t.includes('请先选择'); }}""",
                               timeout=BUILD_TIMEOUT_MS)
        result = page.inner_text("#kb-upload-result")
        if done in result or attempt == 3:
            return result  # else the click came before the upload registered: once more


def search_table(page, box: str, count: str, query: str) -> str:
    """Type a filter into a table page's search box until its count line says it filtered."""
    for attempt in range(3):
        page.fill(box, query)
        try:
            page.wait_for_function(f"document.querySelector('{count}').innerText.includes('筛选后')", timeout=15_000)
            return page.inner_text(count)
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.fill(box, "")


def card_docs(page) -> list[str]:
    return [c.get_attribute("data-doc") for c in page.locator("#kb-sources .kb-card").all()]


# ------------------------------------------------------------------ tests (in order: the first builds the index)

def test_first_start_builds_index_with_visible_progress(browser, server):
    p = new_page(browser)
    try:
        p.goto(server.url, wait_until="domcontentloaded")
        progress = p.get_by_text(re.compile("正在建立索引")).first
        progress.wait_for(timeout=60_000)  # the build takes over a minute: the bar must be showing
        p.screenshot(path=str(ARTIFACTS / "01_index_build_progress.png"))
        p.wait_for_selector("#kb-ready", timeout=BUILD_TIMEOUT_MS)
        assert re.search(r"知识库就绪：5 个文件，\d+ 个段落", p.inner_text("#kb-ready"))
    finally:
        p.context.close()
    log = server.log()
    assert re.search(r"\[policy-kb\]\s+\d+% ", log)  # the same progress, on the console
    assert "信息：正在建立索引 —— 尚未建立索引（首次运行" in log and "（建立索引并加载，用时" in log
    assert "WARNING" not in log and "DEBUG" not in log
    assert "share=True" not in log and "public link" not in log  # never suggests a public tunnel


def test_ask_names_county_bureau_and_cites_county_section(page, server):
    answer = ask(page, "老年人助餐服务由哪些部门负责？")
    assert "县民政局" in answer
    assert re.search(r"\[\d+\]", answer)  # citation markers
    page.wait_for_selector("#kb-sources .kb-card[data-doc='putian-county-plan']")
    card = page.locator("#kb-sources .kb-card[data-doc='putian-county-plan']").first
    assert card.locator(".kb-section").inner_text().strip() == COUNTY_SECTION
    assert "关于全面贯彻市城乡社区服务体系建设规划的实施方案" in card.locator(".kb-title").inner_text()
    assert card.locator("mark.kb-ev").count() >= 1  # evidence highlighted
    page.screenshot(path=str(ARTIFACTS / "02_chat_answer.png"), full_page=True)

    # open the citation in context: Documents tab, the passage highlighted and scrolled into view
    n = card.locator(".kb-n").inner_text().strip()  # "[1]"
    page.get_by_role("button", name=f"在文中查看 {n}").click()
    focus = page.locator("#kb-doc-text span.kb-focus").first
    focus.wait_for(timeout=30_000)
    page.wait_for_function("""() => { const r = document.getElementById('kb-focus').getBoundingClientRect();
                                      return r.top >= 0 && r.top < window.innerHeight; }""", timeout=10_000)
    focused = "".join(page.locator("#kb-doc-text span.kb-focus").all_inner_texts())
    assert "长者食堂" in focused
    assert "关于全面贯彻市城乡社区服务体系建设规划的实施方案" in page.inner_text("#kb-doc-caption")
    assert "1.优化社区养老和助残服务供给" in page.inner_text("#kb-doc-tree")
    page.screenshot(path=str(ARTIFACTS / "03_document_at_citation.png"))


def test_follow_up_question_uses_the_previous_turn(page):
    ask(page, "厦门在社区养老方面有什么安排？")
    assert "xiamen-pilot-plan" in card_docs(page)
    answer = ask(page, "那珠海呢？")
    page.wait_for_selector("#kb-sources .kb-card[data-doc='zhuhai-plan']", timeout=30_000)
    docs = card_docs(page)
    assert "zhuhai-plan" in docs and "xiamen-pilot-plan" not in docs
    assert "珠海" in answer
    page.screenshot(path=str(ARTIFACTS / "04_follow_up.png"), full_page=True)

    # the chatbot's own clear icon starts over: the next answer is turn 1 again
    page.locator("#kb-chat button[aria-label='清空对话'], #kb-chat button[aria-label='Clear']").first.click()
    page.wait_for_function("document.querySelectorAll(\"#kb-chat [data-testid='bot']\").length === 0", timeout=10_000)
    page.fill("#kb-question textarea", "老年人助餐服务由哪些部门负责？")
    page.press("#kb-question textarea", "Enter")
    page.wait_for_selector("#kb-sources .kb-src-turn[data-turn='1']", state="attached", timeout=ANSWER_TIMEOUT_MS)
    assert "putian-county-plan" in card_docs(page)


def test_comparison_answer_is_rendered_as_a_table(page):
    page.get_by_role("button", name="珠海和厦门在社区养老方面分别有什么安排？").click()
    page.wait_for_selector("#kb-sources .kb-src-turn[data-turn='1']", state="attached", timeout=ANSWER_TIMEOUT_MS)
    table = page.locator("#kb-chat [data-testid='bot'] table")
    assert table.count() == 1
    head = table.locator("th").all_inner_texts()
    assert head[:2] == ["地区", "文件"]
    regions = [r.strip() for r in table.locator("tbody tr td:first-child").all_inner_texts()]
    assert {"珠海", "厦门"} <= set(regions)
    assert {"zhuhai-plan", "xiamen-pilot-plan"} <= set(card_docs(page))
    page.screenshot(path=str(ARTIFACTS / "04b_comparison_table.png"), full_page=True)


def test_feedback_is_logged_and_exported(page, server):
    question = "到2025年每千人口托位数的目标是多少？"
    page.get_by_role("button", name=question).click()  # an example question: asked at once
    page.wait_for_selector("#kb-sources .kb-src-turn[data-turn='1']", state="attached", timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#kb-chat [data-testid='user']").last.inner_text().strip() == question
    page.locator("#kb-chat button[aria-label='踩'], #kb-chat button[aria-label='Dislike']").last.click()  # zh / en
    page.wait_for_function("document.querySelector('#kb-chat-status').innerText.includes('已记录反馈')", timeout=30_000)
    records = [json.loads(line) for line in (server.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    rec = records[-1]
    assert rec["rating"] == "down" and rec["question"] == question
    assert rec["answer"] and rec["citations"] and rec["time"]
    assert {"doc_id", "section", "text"} <= set(rec["citations"][0])

    with page.expect_download() as dl:
        page.click("#kb-feedback-export")
    exported = Path(dl.value.path()).read_text(encoding="utf-8")
    assert question in exported and '"rating": "down"' in exported


def test_script_in_question_is_shown_as_text(page):
    question = "<script>alert(1)</script>老年人助餐"
    ask(page, question)
    user = page.locator("#kb-chat [data-testid='user']").last
    assert user.inner_text().strip() == question
    assert page.locator("#kb-chat script").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []
    page.screenshot(path=str(ARTIFACTS / "05_escaped_question.png"))


def test_abstained_answer_shows_related_cards(page):
    answer = ask(page, "量子计算机由哪个部门负责？")
    assert "未找到" in answer
    related = page.locator("#kb-sources .kb-card.kb-related")
    related.first.wait_for(timeout=30_000)
    assert "可能相关" in related.first.inner_text()


def test_filter_limits_the_answer_to_one_document(page):
    page.get_by_text("筛选范围").click()
    page.locator("#kb-filter-doc input").click()
    page.get_by_role("option", name="珠海市城乡社区服务体系建设“十四五”规划实施方案").click()
    ask(page, "老年人助餐服务由哪些部门负责？")
    docs = card_docs(page)
    assert docs and set(docs) == {"zhuhai-plan"}


def test_responsibility_and_target_tables(page):
    page.get_by_role("tab", name="责任分工").click()
    # filter by unit (the dropdown), then search by a word of the tasks' text
    page.locator("#kb-task-unit input").click()
    page.get_by_role("option", name=re.compile(r"^县民政局（\d+）$")).click()
    page.wait_for_function("document.querySelector('#kb-task-count').innerText.includes('筛选后')", timeout=15_000)
    by_unit = int(re.search(r"筛选后 (\d+) 项", page.inner_text("#kb-task-count")).group(1))
    assert by_unit >= 3
    page.fill("#kb-task-search textarea", "养老")  # narrows the unit's tasks (the count line changes)
    page.wait_for_function(f"""() => {{ const m = document.querySelector('#kb-task-count').innerText.match(/筛选后 (\\d+) 项/);
                                       return m && Number(m[1]) !== {by_unit}; }}""", timeout=15_000)
    shown = int(re.search(r"筛选后 (\d+) 项", page.inner_text("#kb-task-count")).group(1))
    assert 1 <= shown < by_unit
    page.screenshot(path=str(ARTIFACTS / "06_responsibilities.png"))
    with page.expect_download() as dl:
        page.click("#kb-task-csv")
    with open(dl.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["地区", "文件", "任务", "牵头单位", "责任单位", "期限", "责任条款"]
    assert len(rows) == shown + 1 and all("县民政局" in (r[3] + "、" + r[4]).split("、") for r in rows[1:])
    assert all(not r[3] or "牵头" in r[6] for r in rows[1:])  # 牵头单位 only where the clause says 牵头

    page.get_by_role("tab", name="目标指标").click()
    page.wait_for_selector("#kb-target-table")
    assert re.search(r"共 \d+ 条目标", page.inner_text("#kb-target-count"))
    search_table(page, "#kb-target-search textarea", "#kb-target-count", "托位")
    assert "托位" in page.inner_text("#kb-target-table")
    page.wait_for_selector("#kb-target-plot canvas, #kb-target-plot svg", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "07_targets.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#kb-target-csv")
    with open(dl.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["指标", "目标值", "单位", "期限"] and len(rows) > 1
    assert all("托位" in "".join(r) for r in rows[1:])


def test_documents_list_and_heading_tree(page):
    page.get_by_role("tab", name="文件", exact=True).click()
    listing = page.locator("#kb-doc-list")
    for title in ("衡水市城乡社区服务体系建设“十四五”规划", "珠民〔2023〕5号", "仙游（莆田）"):
        assert title in listing.inner_text()
    listing.get_by_text("厦门市创建全省城乡社区近邻服务试点市实施方案").first.click()
    page.wait_for_function("document.querySelector('#kb-doc-caption').innerText.includes('厦门市创建全省')",
                           timeout=30_000)
    assert "2021-08-20" in page.inner_text("#kb-doc-caption")
    link = page.locator("#kb-doc-tree a", has_text="五、落实保障").first
    anchor = link.get_attribute("href")
    # the last part of the document starts out of view; the heading-tree link brings it into view
    assert page.evaluate(f"document.querySelector('{anchor}').getBoundingClientRect().top") > 1000
    link.click()
    page.wait_for_function(f"""() => {{ const r = document.querySelector('{anchor}').getBoundingClientRect();
                                      return r.top >= 0 && r.top < window.innerHeight; }}""", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "07b_document_tree.png"))


def test_api_ask_through_gradio_client(server):
    """One public endpoint, /ask, returning the same JSON object as `python -m kb ask --json`."""
    from gradio_client import Client

    client = Client(server.url, verbose=False, download_files=False)
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]
    question = "老年人助餐服务由哪些部门负责？"
    got = client.predict(question, api_name="/ask")
    cli = subprocess.run([sys.executable, "-m", "kb", "ask", question, "--json"], cwd=ROOT, env=server.env,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert got == json.loads(cli.stdout)
    # filters and history
    follow = client.predict(question="那珠海呢？", history=["厦门在社区养老方面有什么安排？"], api_name="/ask")
    assert follow["citations"] and {c["doc_id"] for c in follow["citations"]} == {"zhuhai-plan"}
    only = client.predict(question, region="珠海", api_name="/ask")
    assert only["citations"] and {c["region"] for c in only["citations"]} == {"珠海"}
    with pytest.raises(Exception, match="没有地区 '北京' 的文件"):
        client.predict(question, region="北京", api_name="/ask")


def laptop_page(browser, server):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    p = ctx.new_page()
    p.external = []
    p.on("request", lambda r: None if _is_local_url(r.url) else p.external.append(r.url))
    p.goto(server.url, wait_until="domcontentloaded")
    p.wait_for_selector("#kb-ready", timeout=BUILD_TIMEOUT_MS)
    return p


def in_view(page, selector: str) -> bool:
    return page.evaluate(f"""() => {{ const el = document.querySelector({json.dumps(selector)});
        if (!el) return false; const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight + 1 && r.height > 0; }}""")


def test_laptop_viewport_and_marker_links(browser, server):
    """At 1366x768 the question box is above the fold and the 文件 table is not cut off; [n] in an answer
    scrolls to its source card, also for an earlier answer."""
    p = laptop_page(browser, server)
    try:
        box = p.locator("#kb-question textarea").bounding_box()
        assert box and box["y"] + box["height"] <= 768, box
        p.screenshot(path=str(ARTIFACTS / "10_laptop_1366x768.png"))

        answer = ask(p, "老年人助餐服务由哪些部门负责？")
        assert re.search(r"\[\d+\]", answer)
        markers = p.locator("#kb-chat [data-testid='bot'] a.kb-marker")
        assert markers.count() >= 1
        last = markers.last
        target = last.get_attribute("href")
        assert re.fullmatch(r"#kb-src-1-\d+", target)
        last.click()
        p.wait_for_function(f"""() => {{ const el = document.querySelector({json.dumps(target)});
            const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }}""", timeout=10_000)
        p.wait_for_selector(f"{target}.kb-flash", timeout=5_000)
        p.screenshot(path=str(ARTIFACTS / "11_marker_clicked.png"))

        # an older answer's [n] brings back that answer's sources
        ask(p, "到2025年每千人口托位数的目标是多少？")
        first = p.locator("#kb-chat [data-testid='bot']").first.locator("a.kb-marker").first
        href = first.get_attribute("href")
        first.click()
        p.wait_for_selector("#kb-sources .kb-src-turn[data-turn='1']", state="attached", timeout=30_000)
        p.wait_for_function(f"""() => {{ const el = document.querySelector({json.dumps(href)});
            if (!el) return false; const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }}""",
                            timeout=15_000)

        # the document list shows every column whole
        p.get_by_role("tab", name="文件", exact=True).click()
        p.wait_for_selector("#kb-doc-list th", timeout=30_000)
        clipped = p.evaluate("""() => {
            const list = document.querySelector('#kb-doc-list').getBoundingClientRect();
            return [...document.querySelectorAll('#kb-doc-list th')]
              .filter(th => th.getBoundingClientRect().right > list.right + 1 || th.getBoundingClientRect().width < 30)
              .map(th => th.innerText); }""")
        assert clipped == [], clipped
        p.screenshot(path=str(ARTIFACTS / "12_laptop_documents.png"))
        assert p.external == [], p.external
    finally:
        p.context.close()


def test_answer_and_chat_export_as_word(page):
    from docx import Document

    ask(page, "老年人助餐服务由哪些部门负责？")
    card = page.locator("#kb-sources .kb-card").first
    cited = card.locator(".kb-passage").inner_text().strip().split("\n")[0][:40]
    with page.expect_download() as dl:
        page.click("#kb-export-answer")
    assert dl.value.suggested_filename.endswith(".docx")
    text = "\n".join(par.text for par in Document(dl.value.path()).paragraphs)
    assert "老年人助餐服务由哪些部门负责？" in text and cited in text and "出处" in text

    ask(page, "到2025年每千人口托位数的目标是多少？")
    with page.expect_download() as dl:
        page.click("#kb-export-chat")
    text = "\n".join(par.text for par in Document(dl.value.path()).paragraphs)
    assert text.index("老年人助餐服务由哪些部门负责？") < text.index("到2025年每千人口托位数的目标是多少？")


def test_upload_then_ask_cites_the_new_document(page, server, tmp_path):
    src = tmp_path / UPLOAD_NAME
    src.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="添加文件").click()
    upload(page, src, "已加入")
    assert "青岚县社区萤火虫夜间照护驿站实施办法" in page.inner_text("#kb-upload-result")
    assert (server.root / "corpus" / UPLOAD_NAME).is_file()
    page.wait_for_function("document.querySelector('#kb-ready').innerText.includes('6 个文件')", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "08_upload.png"))

    page.get_by_role("tab", name="问答").click()
    answer = ask(page, "萤火虫夜间照护驿站由哪个部门负责？")
    page.wait_for_selector("#kb-sources .kb-card[data-doc='qinglan-firefly']", timeout=30_000)
    assert "青岚县民政局" in answer
    page.screenshot(path=str(ARTIFACTS / "09_upload_cited.png"), full_page=True)

    # the same file again is recognised as a duplicate
    page.get_by_role("tab", name="添加文件").click()
    result = upload(page, src, "没有加入新文件")
    assert f"{UPLOAD_NAME}：内容与已收录的文件 qinglan-firefly 相同，未重复加入" in result


def test_second_start_uses_the_saved_index(browser, server, kb_root):
    """A restart over the same folders loads the saved index (no build, no progress lines)."""
    second = Server(kb_root, "app2")
    try:
        p = new_page(browser)
        started = time.monotonic()
        p.goto(second.url, wait_until="domcontentloaded")
        p.wait_for_selector("#kb-ready", timeout=120_000)
        ready = p.inner_text("#kb-ready")
        assert "6 个文件" in ready  # includes the uploaded document
        seconds = float(re.search(r"本次启动用时 ([\d.]+) 秒", ready).group(1))  # the warm restart reports its time
        p.context.close()
        log = second.log()
        assert "建立索引" not in log and "加载已有索引" in log
        assert not re.search(r"\[policy-kb\]\s+\d+% ", log)
        assert time.monotonic() - started < 120
        print(f"\nwarm restart: ready after {seconds:.1f} s (page reached in {time.monotonic() - started:.1f} s)")
    finally:
        second.stop()


def test_no_outbound_connection_attempts(server, kb_root):
    """Over the whole session (first build, questions, uploads, API calls, a restart) the app tried to
    reach no other machine: gradio analytics are off in the app itself, the Hub is never asked."""
    logs = sorted(kb_root.glob("*.net.jsonl"))
    assert server.net_log in logs  # the audit ran
    attempts = [json.loads(line) for f in logs for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert attempts == [], json.dumps(attempts[:3], ensure_ascii=False, indent=1)
