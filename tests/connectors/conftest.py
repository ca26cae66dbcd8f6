"""WeChat's HTTP API faked at the requests boundary, and the local Redis for the tests that need it."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any, Dict, Iterator, List

import pytest
import redis
import requests

from connectors.wechat_delivery import DeliveryConfig, WeChatSender
from connectors.wechat_store import MemoryStore, RedisStore
from tests.connectors.channel_stub import HitCounter

API_HOST = "https://api.weixin.qq.com/cgi-bin/"
REDIS_URL = "redis://localhost:6379/0"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs the local Redis at localhost:6379")


class FakeWeChatAPI:
    """Stands in for api.weixin.qq.com: records every request wechatpy makes, answers with JSON.

    Patched over ``requests.Session.request``, so wechatpy's own code runs up to the socket.
    Anything that is not the WeChat API fails the test: unit tests never reach the network.
    """

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.queued: Dict[str, List[Any]] = {}
        self.lock = threading.Lock()

    def answer(self, endpoint: str, payload: Any) -> None:
        """Queue the next answer for an endpoint such as ``message/template/send``; an exception is raised."""
        self.queued.setdefault(endpoint, []).append(payload)

    def sent(self, endpoint: str) -> List[Dict[str, Any]]:
        """JSON bodies posted to ``endpoint``."""
        return [call["body"] for call in self.calls if call["endpoint"] == endpoint]

    def __call__(self, session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        assert url.startswith(API_HOST), f"unit test tried to reach {url}"
        endpoint = url[len(API_HOST):]
        data = kwargs.get("data")
        with self.lock:
            body = json.loads(data) if data else None
            self.calls.append({"endpoint": endpoint, "params": kwargs.get("params"), "body": body})
            queue = self.queued.get(endpoint) or []
            payload = queue.pop(0) if queue else None
        if isinstance(payload, Exception):
            raise payload
        if payload is None:
            ok = {"errcode": 0, "errmsg": "ok"}
            payload = {"access_token": "ACCESS", "expires_in": 7200} if endpoint == "token" else ok
        response = requests.Response()
        response.status_code = 200
        if isinstance(payload, bytes):  # a file, as media/get answers
            response._content = payload
            response.headers["Content-Type"] = "image/png"
        else:
            response._content = json.dumps(payload).encode()
        response.url = url
        response.request = requests.Request(method, url).prepare()
        return response


@pytest.fixture()
def wechat_api(monkeypatch: pytest.MonkeyPatch) -> FakeWeChatAPI:
    fake = FakeWeChatAPI()

    def request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        return fake(session, method, url, **kwargs)  # a plain function, so it binds as a method

    monkeypatch.setattr(requests.Session, "request", request)
    return fake


CONFIG = DeliveryConfig(app_id="wx_test_app", secret="test-secret", template_id="TPL_STATUS")


@pytest.fixture()
def sender(wechat_api: FakeWeChatAPI) -> WeChatSender:
    return WeChatSender(CONFIG, MemoryStore())


@pytest.fixture()
def redis_store() -> Iterator[RedisStore]:
    """A store on the real local Redis under a unique prefix, deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"local Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"wechat-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield RedisStore(client, prefix)
    finally:
        keys: List[Any] = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()



@pytest.fixture()
def hit_counter() -> Iterator[HitCounter]:
    """A local HTTP server counting requests, to prove a URL from a client is never fetched."""
    counter = HitCounter()
    try:
        yield counter
    finally:
        counter.close()
