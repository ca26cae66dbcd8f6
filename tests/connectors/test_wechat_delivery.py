"""Dedup store (in memory and on the real local Redis), customer-service and template delivery."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import redis
import requests

from connectors import wechat_delivery, wechat_store
from connectors.wechat_delivery import (
    MAX_SERVICE_MESSAGES,
    MESSAGE_WINDOW_S,
    DeliveryConfig,
    WeChatSender,
    cut_field,
)
from connectors.wechat_store import MemoryStore, RedisStore, session_storage
from govservice.settings import reload as reload_settings
from tests.connectors.conftest import CONFIG, FakeWeChatAPI

OPENID = "o_citizen_1"


def test_memory_store_claims_once_until_expiry() -> None:
    store = MemoryStore()
    assert store.claim("dedup:msg:1", ttl=0.2)
    assert not store.claim("dedup:msg:1", ttl=0.2)
    assert store.claim("dedup:msg:2", ttl=0.2)
    time.sleep(0.25)
    assert store.claim("dedup:msg:1", ttl=0.2)


def test_memory_store_values_expire_and_delete() -> None:
    store = MemoryStore()
    store.put("choices:o", '["/a"]', ttl=0.1)
    assert store.get("choices:o") == '["/a"]'
    store.delete("choices:o")
    assert store.get("choices:o") is None
    store.put("choices:o", "x", ttl=0.05)
    time.sleep(0.08)
    assert store.get("choices:o") is None


def test_memory_store_prunes_expired_entries() -> None:
    store = MemoryStore()
    for i in range(3000):
        store.put(f"k{i}", "v", ttl=0.0)
    assert len(store._data) < 3000


@pytest.mark.redis
def test_redis_dedup_is_set_nx_with_ttl_on_the_real_server(redis_store: RedisStore) -> None:
    assert redis_store.claim("dedup:msg:42", ttl=30)
    assert not redis_store.claim("dedup:msg:42", ttl=30)
    # A second process (its own client and store object) sees the same claim.
    other = RedisStore(redis.Redis.from_url("redis://localhost:6379/0"), redis_store.prefix)
    assert not other.claim("dedup:msg:42", ttl=30)
    assert other.claim("dedup:msg:43", ttl=30)
    assert 0 < redis_store.client.ttl(redis_store.prefix + "dedup:msg:42") <= 30
    redis_store.put("choices:o", '["/a"]', ttl=30)
    assert other.get("choices:o") == '["/a"]'
    other.delete("choices:o")
    assert redis_store.get("choices:o") is None


@pytest.mark.redis
def test_access_token_is_shared_through_redis(redis_store: RedisStore, wechat_api: FakeWeChatAPI) -> None:
    first = WeChatSender(CONFIG, redis_store)
    first.open_window(OPENID, MESSAGE_WINDOW_S)
    assert first.send_texts(OPENID, ["一"]).delivered
    second = WeChatSender(CONFIG, redis_store)  # another process: fresh wechatpy client, same Redis
    assert second.within_window(OPENID)
    assert second.send_texts(OPENID, ["二"]).delivered
    assert len(wechat_api.sent("token")) == 1  # the second process did not refresh (and invalidate) the token
    assert isinstance(session_storage(redis_store).get(f"{CONFIG.app_id}_access_token"), str)


def test_redis_outage_fails_open() -> None:
    store = RedisStore(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), "x:")
    assert store.claim("dedup:msg:1", ttl=10)  # a rare double answer beats a lost message
    assert store.get("anything") is None
    store.put("k", "v", 1)


def test_customer_service_needs_an_open_window(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    result = sender.send_texts(OPENID, ["您好"])
    assert (result.delivered, result.reason) == (False, "outside window")
    assert wechat_api.calls == []


def test_customer_service_sends_each_part_in_order(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    sender.open_window(OPENID, MESSAGE_WINDOW_S)
    result = sender.send_texts(OPENID, ["第一条", "第二条"])
    assert (result.delivered, result.via, result.sent) == (True, "customer_service", 2)
    bodies = wechat_api.sent("message/custom/send")
    assert [b["text"]["content"] for b in bodies] == ["第一条", "第二条"]
    assert all(b["touser"] == OPENID and b["msgtype"] == "text" for b in bodies)
    assert wechat_api.calls[1]["params"]["access_token"] == "ACCESS"


def test_customer_service_is_capped_at_five_messages(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    sender.open_window(OPENID, MESSAGE_WINDOW_S)
    sender.send_texts(OPENID, [f"第{i}段" for i in range(8)])
    contents = [b["text"]["content"] for b in wechat_api.sent("message/custom/send")]
    assert len(contents) == MAX_SERVICE_MESSAGES and contents[-1] == wechat_delivery.TOO_LONG_NOTE


def test_event_window_closes(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    sender.open_window(OPENID, 0.05)
    assert sender.within_window(OPENID)
    time.sleep(0.08)
    assert not sender.send_texts(OPENID, ["迟到的消息"]).delivered


def test_connection_errors_are_reported_not_raised(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    sender.open_window(OPENID, MESSAGE_WINDOW_S)
    wechat_api.answer("message/custom/send", requests.ConnectionError("no route"))
    result = sender.send_texts(OPENID, ["您好"])
    assert not result.delivered and result.reason and "ConnectionError" in result.reason


def test_template_fields_are_cut_to_20_characters(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    long_item = "不动产登记（国有建设用地使用权及房屋所有权首次登记）"
    stored = datetime(2026, 11, 28, 9, 30)  # UTC, as stored: 17:30 in Shanghai
    result = sender.send_status(OPENID, "BJ2026112800001", long_item, "已受理", stored)
    assert (result.delivered, result.via) == (True, "template")
    (body,) = wechat_api.sent("message/template/send")
    assert body["template_id"] == "TPL_STATUS" and body["touser"] == OPENID
    values = [body["data"][f"keyword{i}"]["value"] for i in range(1, 5)]
    assert values == ["BJ2026112800001", long_item[:19] + "…", "已受理", "2026-11-28 17:30"]
    assert all(len(v) <= 20 for v in values)
    assert cut_field("x" * 20) == "x" * 20


def test_template_refused_falls_back_to_customer_service(sender: WeChatSender, wechat_api: FakeWeChatAPI) -> None:
    sender.open_window(OPENID, MESSAGE_WINDOW_S)
    wechat_api.answer("message/template/send", {"errcode": 43101, "errmsg": "user refuse to accept the msg"})
    result = sender.send_status(OPENID, "BJ1", "居住证签注", "已办结", "2026-11-28 10:00")
    assert (result.delivered, result.via) == (True, "customer_service")
    assert result.reason and "43101" in result.reason
    (body,) = wechat_api.sent("message/custom/send")
    assert "BJ1" in body["text"]["content"] and "已办结" in body["text"]["content"]


def test_template_refused_outside_window_is_recorded_undelivered(
    sender: WeChatSender, wechat_api: FakeWeChatAPI
) -> None:
    wechat_api.answer("message/template/send", {"errcode": 43004, "errmsg": "require subscribe"})
    result = sender.send_status(OPENID, "BJ2", "护照", "已办结", "2026-11-28")
    assert not result.delivered and result.via is None
    assert result.reason and "43004" in result.reason and "outside window" in result.reason
    assert wechat_api.sent("message/custom/send") == []


def test_send_status_notification_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, wechat_api: FakeWeChatAPI
) -> None:
    for name, value in {"WECHAT_APPID": "wx_env", "WECHAT_SECRET": "s", "WECHAT_TEMPLATE_ID": "TPL_ENV"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WECHAT_REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    reload_settings()
    wechat_store.get_store.cache_clear()
    wechat_delivery.get_sender.cache_clear()
    try:
        result = wechat_delivery.send_status_notification(OPENID, "BJ3", "营业执照", "待补正", "2026-11-28")
    finally:
        wechat_store.get_store.cache_clear()
        wechat_delivery.get_sender.cache_clear()
    assert result.delivered and wechat_api.sent("message/template/send")[0]["template_id"] == "TPL_ENV"


def test_unconfigured_sender_reports_instead_of_calling(wechat_api: FakeWeChatAPI) -> None:
    sender = WeChatSender(DeliveryConfig(), MemoryStore())
    sender.open_window(OPENID, MESSAGE_WINDOW_S)
    assert sender.send_texts(OPENID, ["x"]).reason == "not configured"
    assert not sender.send_status(OPENID, "1", "2", "3", "4").delivered
    assert wechat_api.calls == []
