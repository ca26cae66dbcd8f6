"""The REST webhook of running servers (scripts/test.sh starts them on test ports)."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Tuple

import pytest
import requests

from govservice.catalog.lookup import Catalog

URL = os.environ.get("RASA_URL", "http://localhost:5005") + "/webhooks/rest/webhook"
pytestmark = pytest.mark.server


def post(payload: Any, raw: bool = False) -> Tuple[int, Any, float]:
    started = time.monotonic()
    data = payload if raw else None
    resp = requests.post(URL, data=data, json=None if raw else payload, timeout=30)
    elapsed = time.monotonic() - started
    body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else resp.text
    return resp.status_code, body, elapsed


def texts(body: List[dict]) -> str:
    return "\n".join(m.get("text", "") for m in body)


def test_lost_id_card_then_fee_follow_up(catalog: Catalog) -> None:
    sender = f"acc-{uuid.uuid4().hex[:8]}"
    status, body, _ = post({"sender": sender, "message": "身份证丢了怎么补办，要带什么"})
    item = catalog.get("id_card_lost")
    assert status == 200
    answer = texts(body)
    assert item.name in answer and all(m.name in answer for m in item.materials)
    status, body, _ = post({"sender": sender, "message": "要多少钱", "session": body[0]["session"]})
    assert status == 200 and item.name in texts(body) and "收费标准" in texts(body)


@pytest.mark.parametrize(
    "message",
    ["", "   ", "身份证" * 3334, "😀😂👍🎉", "How do I renew my passport?", "440308199901101512"],
    ids=["empty", "blank", "10k-chars", "emoji", "english", "bare-18-digits"],
)
def test_odd_messages_get_a_chinese_reply_fast(message: str) -> None:
    status, body, elapsed = post({"sender": f"odd-{uuid.uuid4().hex[:8]}", "message": message})
    assert status == 200, body
    assert elapsed < 2.0
    reply = texts(body)
    assert reply and any("\u4e00" <= ch <= "\u9fff" for ch in reply)


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b"null", b'"text"', b'{"message":"hi"}'])
def test_malformed_requests_get_4xx(raw: bytes) -> None:
    status, body, elapsed = post(raw, raw=True)
    assert 400 <= status < 500 and elapsed < 2.0
    assert "error" in body


def test_a_huge_message_does_not_stall_other_conversations() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        huge = pool.submit(post, {"sender": "huge", "message": "我想问一下" * 2000})
        time.sleep(0.05)
        small = pool.submit(post, {"sender": "small", "message": "你好"})
        assert small.result()[2] < 2.0
        assert huge.result()[0] == 200
