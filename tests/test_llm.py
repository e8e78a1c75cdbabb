"""The optional LLM path against a real chat-completions server on 127.0.0.1, and its fallbacks."""
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb.answer import answer
from kb.llm import markers_valid

QUESTION = "老年人助餐服务由哪些部门负责？"


class Server:
    """A chat-completions endpoint whose reply the test sets: (status, content, delay seconds)."""

    def __init__(self):
        self.reply = (200, "", 0.0)
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                status, content, delay = outer.reply
                time.sleep(delay)
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout case)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def llm_engine(engine, server):
    eng = copy.copy(engine)  # same index; only the settings differ
    eng.settings = engine.settings.replace(llm_base_url=server.url, llm_model="test-model",
                                           llm_api_key="secret", llm_timeout=1.0)
    return eng


@pytest.fixture(scope="module")
def extractive(engine):
    return answer(engine, QUESTION)


def test_good_answer_with_valid_markers_is_used(llm_engine, server, extractive):
    server.reply = (200, "老年人助餐服务由县民政局牵头，卫健局等配合[1]。", 0.0)
    ans = answer(llm_engine, QUESTION)
    assert ans.mode == "llm" and ans.text == "老年人助餐服务由县民政局牵头，卫健局等配合[1]。"
    assert [c.passage.pid for c in ans.citations] == [c.passage.pid for c in extractive.citations]
    req = server.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer secret"
    assert req["body"]["model"] == "test-model"
    prompt = req["body"]["messages"][-1]["content"]
    for c in extractive.citations:  # the model sees the numbered passages it may cite
        assert f"[{c.n}]" in prompt and c.passage.text in prompt


def test_marker_not_given_falls_back(llm_engine, server, extractive):
    server.reply = (200, "由县民政局负责[9]。", 0.0)
    ans = answer(llm_engine, QUESTION)
    assert ans.mode == "extractive" and ans.text == extractive.text


def test_answer_without_markers_falls_back(llm_engine, server, extractive):
    server.reply = (200, "由县民政局负责。", 0.0)
    assert answer(llm_engine, QUESTION).mode == "extractive"


def test_timeout_falls_back(llm_engine, server, extractive):
    server.reply = (200, "太慢了[1]", 2.5)
    t0 = time.monotonic()
    ans = answer(llm_engine, QUESTION)
    assert ans.mode == "extractive" and ans.text == extractive.text
    assert time.monotonic() - t0 < 2.4  # did not wait for the slow reply


def test_http_500_falls_back(llm_engine, server, extractive):
    server.reply = (500, "", 0.0)
    ans = answer(llm_engine, QUESTION)
    assert ans.mode == "extractive" and ans.text == extractive.text


def test_abstentions_are_not_sent_to_the_model(llm_engine, server):
    n = len(server.requests)
    ans = answer(llm_engine, "深圳市城乡社区服务体系建设规划提出了哪些主要目标？")
    assert ans.abstained and len(server.requests) == n


def test_marker_check():
    assert markers_valid("甲[1]乙[2]", {1, 2})
    assert not markers_valid("甲[1]乙[3]", {1, 2})
    assert not markers_valid("没有标注", {1})
