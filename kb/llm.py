"""Optional phrasing of an answer by an OpenAI-compatible chat model, from numbered passages only.

The model's answer is used only when every [n] marker it writes refers to a passage it was given
(and it wrote at least one); otherwise, and on timeout or any error, the caller keeps the
extractive answer. Configure with KB_LLM_BASE_URL, KB_LLM_MODEL, KB_LLM_API_KEY, KB_LLM_TIMEOUT.
"""
from __future__ import annotations

import logging
import re

import httpx

from .types import Passage

log = logging.getLogger(__name__)
MARKER = re.compile(r"\[(\d+)\]")

SYSTEM = ("你是政策文件问答助手。只能依据给出的编号段落回答，不得使用段落以外的信息。"
          "每句话后用 [编号] 标注依据的段落，只能使用给出的编号。段落不足以回答时，回答“现有政策文件中未找到相关内容”。")


def build_messages(question: str, passages: list[tuple[int, Passage]], draft: str = "") -> list[dict]:
    numbered = "\n\n".join(f"[{n}] 《{p.title}》{p.section}\n{p.text}" for n, p in passages)
    user = f"问题：{question}\n\n段落：\n{numbered}"
    if draft:
        user += f"\n\n摘录式草稿（可改写得更通顺，保留编号）：\n{draft}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def markers_valid(text: str, allowed: set[int]) -> bool:
    found = {int(m) for m in MARKER.findall(text)}
    return bool(found) and found <= allowed


def phrase(settings, question: str, passages: list[tuple[int, Passage]], draft: str = "") -> str | None:
    """The model's answer, or None (not configured, error, timeout, or a marker it was not given)."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    body = {"model": settings.llm_model, "messages": build_messages(question, passages, draft), "temperature": 0}
    try:
        r = httpx.post(url, json=body, headers=headers, timeout=float(settings.llm_timeout))
        r.raise_for_status()
        text = r.json()["choices"][0]["message"]["content"].strip()
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
        log.warning("LLM answer unavailable (%s); using the extractive answer", type(exc).__name__)
        return None
    if not markers_valid(text, {n for n, _ in passages}):
        log.warning("LLM answer cites passages it was not given (or none); using the extractive answer")
        return None
    return text
