"""The hardened REST webhook: session tokens, client metadata, nested JSON, paused conversations, CORS.

Unit tests run the channel in Sanic's test client over :class:`tests.connectors.channel_stub.StubBot`
(Rasa's turn stubbed, its tracker store real, session tokens in the test database). The tests
marked ``server`` run against the stack of ``scripts/run.sh`` (``RASA_URL``, ``STAFF_URL``,
``VAR_DIR``, ``DATABASE_URL`` as ``scripts/test.sh`` sets them, with handoff hours always open).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import timedelta
from functools import partial
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests
import sqlalchemy
from rasa.server import configure_cors
from sanic import Sanic

from bot.actions.application_answers import read_material
from connectors.common import BUSY_REPLY, NESTED_REPLY, PAUSED_REPLY, allowed_origins
from connectors.rest import RestInput
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity import auth, channel_sessions, login_limits
from govservice.identity.models import Binding
from govservice.settings import reload as reload_settings
from tests.actions.test_applications import ZHANG, bind
from tests.connectors.channel_stub import QUEUED_TEXT, HitCounter, StubBot
from tests.rest_client import BASE, LI, login, post, say, session_of
from tests.test_application_flow import demo_citizen
from tests.test_handoff_flow import (  # noqa: F401 - on_duty is a fixture
    AGENT_TEXT,
    PAUSED_QUESTION,
    QUEUED_MARK,
    TAKEN_MARK,
    _console,
    _ticket_of,
    on_duty,
)

URL = "/webhooks/rest/webhook"


def make_app(bot: StubBot, cors: Optional[List[str]] = None) -> Sanic:
    app = Sanic(f"rest_{uuid.uuid4().hex[:8]}")
    bot.attach(app)
    if cors is not None:
        configure_cors(app, cors)
    app.blueprint(RestInput().blueprint(bot), url_prefix="/webhooks/rest")
    return app


class Client:
    """One REST client of one app: keeps the session token of each sender, as the widget does."""

    def __init__(self, bot: Optional[StubBot] = None) -> None:
        self.bot = bot or StubBot()
        self.app = make_app(self.bot)
        self.tokens: Dict[str, str] = {}

    def post(self, body: Any, raw: Optional[bytes] = None) -> Tuple[int, Any]:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        _, response = self.app.test_client.post(URL, **kwargs)
        return response.status, response.json

    def say(self, sender: str, text: str, **extra: Any) -> List[Dict[str, Any]]:
        body = {"sender": sender, "message": text, "session": self.tokens.get(sender), **extra}
        status, replies = self.post(body)
        assert status == 200, replies
        for reply in replies:
            self.tokens[sender] = reply["session"]
        return list(replies)


def _texts(replies: List[Dict[str, Any]]) -> List[str]:
    return [str(r.get("text")) for r in replies]


# --- item 13: deeply nested JSON ---------------------------------------------------------------


@pytest.mark.parametrize("depth", [17, 1000, 100_000])
def test_deeply_nested_json_is_a_400_with_a_chinese_message(catalog: Any, depth: int) -> None:
    client = Client()
    for raw in ("[" * depth + "]" * depth, '{"sender": "u1", "message": ' + "[" * depth + "]" * depth + "}",
                '{"sender": "u1", "message": "hi", "metadata": ' + '{"a":' * depth + "1" + "}" * depth + "}"):
        status, body = client.post(None, raw=raw.encode())
        assert status == 400 and body == {"error": NESTED_REPLY}
    assert client.bot.received == []


def test_shallow_metadata_still_works(catalog: Any) -> None:
    client = Client()
    assert _texts(client.say("shallow-" + uuid.uuid4().hex, "你好", metadata={"a": {"b": [1, 2]}})) == ["收到：你好"]


# --- item 8: a server-issued session token ------------------------------------------------------


def test_the_first_reply_issues_a_token_and_later_messages_need_it(catalog: Any) -> None:
    client = Client()
    sender = f"tok-{uuid.uuid4().hex}"
    first = client.say(sender, "你好")
    token = first[0]["session"]
    assert len(token) >= 43 and first[0]["recipient_id"] == sender  # token_urlsafe(32): 256 bits
    for guess in (None, "", token[:-1] + ("A" if token[-1] != "A" else "B"), 12345, {"a": 1}):
        status, body = client.post({"sender": sender, "message": "再问一次", "session": guess})
        assert status == 403 and "session" in body["error"] and "会话凭证" in body["error"]
    assert [m.text for m in client.bot.received] == ["你好"]
    assert client.say(sender, "再问一次")[0]["session"] == token


def test_a_sender_id_alone_cannot_reach_someone_elses_login(catalog: Any) -> None:
    owner, intruder = Client(), Client()
    intruder.app = owner.app  # the same server
    intruder.bot = owner.bot
    sender = f"bound-{uuid.uuid4().hex}"
    owner.say(sender, "我有哪些证照")
    bind(sender)  # the owner logged in on this conversation
    status, body = intruder.post({"sender": sender, "message": "我有哪些证照"})
    assert status == 403 and "会话凭证" in body["error"]
    assert [m.text for m in owner.bot.received] == ["我有哪些证照"]
    with session_scope() as session:
        assert session.get(Binding, ("rest", sender)).person_id == ZHANG


def test_a_new_token_for_an_idle_conversation_ends_the_login_left_on_it(catalog: Any) -> None:
    sender, now = f"idle-{uuid.uuid4().hex}", utc_now()
    with session_scope() as session:
        first = channel_sessions.check(session, "rest", sender, None, now)
    bind(sender)
    later = now + channel_sessions.SESSION_IDLE + timedelta(minutes=1)
    with session_scope() as session:
        again = channel_sessions.check(session, "rest", sender, None, later)
        assert again.status == channel_sessions.ISSUED and again.token != first.token
        assert session.get(Binding, ("rest", sender)) is None
        assert channel_sessions.check(session, "rest", sender, first.token, later).status == channel_sessions.REFUSED
        stored = session.get(channel_sessions.ChannelSession, ("rest", sender))
        assert str(again.token) not in stored.token_hash and len(stored.token_hash) == 64
    with session_scope() as session:  # the retention job drops it once idle (auth.purge_expired)
        auth.purge_expired(session, later + channel_sessions.SESSION_IDLE + timedelta(seconds=1))
        assert session.get(channel_sessions.ChannelSession, ("rest", sender)) is None


# --- item 5: client metadata, the source, and no URL ever fetched ------------------------------


def test_client_metadata_is_dropped_except_the_whitelist_and_the_channel_sets_the_source(
    catalog: Any, hit_counter: HitCounter
) -> None:
    client = Client()
    metadata = {
        "attachment": {"type": "image", "url": hit_counter.url, "media_id": "m1"},
        "source": "wechat:someone-else",
        "location": {"latitude": "26.08", "longitude": 119.3},
        "anything": "else",
    }
    client.say(f"meta-{uuid.uuid4().hex}", "/upload_material", metadata=metadata)
    received = client.bot.received[-1].metadata
    assert received == {"source": "rest:127.0.0.1", "location": {"latitude": 26.08, "longitude": 119.3}}
    client.say(f"meta-{uuid.uuid4().hex}", "附近大厅", metadata={"location": {"latitude": 999, "longitude": 0}})
    assert client.bot.received[-1].metadata == {"source": "rest:127.0.0.1"}
    assert hit_counter.hits == 0


class _Tracker:
    """The slice of rasa_sdk's Tracker that read_material reads: a client-forged WeChat picture."""

    def __init__(self, url: str) -> None:
        attachment = {"type": "image", "media_id": "forged", "url": url}
        self.latest_message = {"text": "/upload_material", "entities": [], "metadata": {"attachment": attachment}}


def test_the_action_never_fetches_a_url_from_message_metadata(catalog: Any, hit_counter: HitCounter) -> None:
    given, problem = asyncio.run(read_material(_Tracker(hit_counter.url), ZHANG, {"name": "照片", "commitment": False}))
    assert (given, problem) == (None, None)
    assert hit_counter.hits == 0


# --- item 2: a conversation paused for an agent ------------------------------------------------


def test_a_paused_conversation_says_once_that_an_agent_comes_then_relays_the_agent(catalog: Any) -> None:
    client = Client()
    sender = f"paused-{uuid.uuid4().hex}"
    assert _texts(client.say(sender, "转人工")) == [QUEUED_TEXT]
    assert _texts(client.say(sender, "还要等多久")) == [PAUSED_REPLY]
    assert _texts(client.say(sender, "在吗")) == []  # said once
    asyncio.run(client.bot.agent_says(sender, "您好，我是人工客服小王"))
    assert _texts(client.say(sender, "你好小王")) == ["您好，我是人工客服小王"]  # REST cannot push
    assert _texts(client.say(sender, "谢谢")) == []
    tracker = asyncio.run(client.bot.store.retrieve(sender))
    users = [e.text for e in tracker.events if e.type_name == "user"]
    assert users == ["转人工", "还要等多久", "在吗", "你好小王", "谢谢"]  # every message reached the agent


def test_a_failed_turn_still_gets_the_busy_reply(catalog: Any) -> None:
    assert _texts(Client().say(f"boom-{uuid.uuid4().hex}", "boom")) == [BUSY_REPLY]


def test_a_database_outage_at_the_session_check_is_the_busy_reply_not_a_5xx(
    catalog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real connection failure: nothing listens on port 1 (the PostgreSQL-dropped fault, tests/faults).
    monkeypatch.setattr(
        "govservice.identity.channel_sessions.session_scope", partial(session_scope, "postgresql://postgres@127.0.0.1:1/x")
    )
    client = Client()
    sender = f"pgdown-{uuid.uuid4().hex}"
    status, replies = client.post({"sender": sender, "message": "你好"})
    assert status == 200 and replies == [{"recipient_id": sender, "text": BUSY_REPLY}]
    assert client.bot.received == []  # no turn ran without its session check


# --- item 13: CORS ----------------------------------------------------------------------------


def test_cors_allows_only_the_listed_origins(catalog: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://portal.example.gov.cn, *")
    monkeypatch.setenv("PORTAL_PORT", "8080")
    reload_settings()
    assert allowed_origins() == ["https://portal.example.gov.cn"]  # "*" is never taken
    monkeypatch.delenv("ALLOWED_ORIGINS")
    reload_settings()
    assert allowed_origins() == ["http://localhost:8080", "http://127.0.0.1:8080"]
    app = make_app(StubBot(), cors=["https://portal.example.gov.cn"])
    body = json.dumps({"sender": f"cors-{uuid.uuid4().hex}", "message": "你好"})
    _, evil = app.test_client.post(URL, data=body, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    _, good = app.test_client.post(URL, data=body.replace("cors-", "cors2-"), headers={"Origin": "https://portal.example.gov.cn"})
    assert good.headers.get("access-control-allow-origin") == "https://portal.example.gov.cn"


# --- against the running stack (marker server) -----------------------------------------------


def _server_up() -> str:
    try:
        requests.get(BASE, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        pytest.fail(f"Rasa is not running at {BASE} ({exc}); start the stack (scripts/run.sh) first")
    return BASE


@pytest.mark.server
def test_server_a_paused_rest_conversation_gets_the_notice_once_and_its_messages_reach_the_agent(
    on_duty: None,  # noqa: F811 - the fixture imported above
) -> None:
    _server_up()
    sender = f"rest-handoff-{uuid.uuid4().hex[:8]}"
    assert QUEUED_MARK in say(sender, "转人工")
    status, overview = _console("GET", "/handoff")
    ticket = _ticket_of(overview, sender)
    assert ticket["channel"] == "rest" and ticket["status"] == "waiting"
    try:
        waiting = say(sender, PAUSED_QUESTION)
        assert waiting == PAUSED_REPLY and "繁忙" not in waiting
        assert say(sender, "在吗") == ""  # the notice once; never the busy reply
        status, detail = _console("GET", f"/handoff/{ticket['id']}")
        citizen_lines = [line["text"] for line in detail["transcript"] if line["who"] == "citizen"]
        assert PAUSED_QUESTION in citizen_lines and "在吗" in citizen_lines, detail
        # The agent takes it and answers: REST cannot push, so the next reply carries the agent's words.
        assert _console("POST", f"/handoff/{ticket['id']}/take")[0] == 200
        assert _console("POST", f"/handoff/{ticket['id']}/reply", {"text": AGENT_TEXT}) == (200, {"ok": True})
        relayed = say(sender, "好的")
        assert TAKEN_MARK in relayed and AGENT_TEXT in relayed and "繁忙" not in relayed
    finally:
        _console("POST", f"/handoff/{ticket['id']}/close")


@pytest.mark.server
def test_server_a_sender_id_alone_cannot_reach_a_logged_in_conversation() -> None:
    _server_up()
    id_number, name, phone = demo_citizen(5)
    sender = f"rest-token-{uuid.uuid4().hex[:8]}"
    assert "登录成功" in login(sender, id_number, name, phone)[-1]
    token = session_of(sender)
    assert token and len(token) >= 43
    for guess in ({}, {"session": "x" * 43}, {"session": token[:-1]}):
        body = {"sender": sender, "message": "我有哪些证照", **guess}
        resp = requests.post(f"{BASE}/webhooks/rest/webhook", json=body, timeout=30)
        assert resp.status_code == 403 and "会话凭证" in resp.json()["error"] and name not in resp.text
    assert "居民身份证" in say(sender, "我有哪些证照")  # the holder still is


@pytest.mark.server
def test_server_a_client_attachment_url_is_never_fetched_mid_application(hit_counter: HitCounter) -> None:
    _server_up()
    id_number, name, phone = demo_citizen(6)
    sender = f"rest-ssrf-{uuid.uuid4().hex[:8]}"
    assert "现在开始在线申请" in login(sender, id_number, name, phone, first="我要办居住证")[-1]
    for text in ("符合", "确认无误", "示范市文教路9号", "就读", "我承诺"):
        reply = say(sender, text)
    assert "上传" in reply, reply  # the form now waits for a file
    forged = {"attachment": {"type": "image", "media_id": "forged", "url": hit_counter.url}}
    resp = post(sender, "/upload_material", metadata=forged)
    assert resp.status_code == 200
    time.sleep(1.0)
    assert hit_counter.hits == 0
    assert "已收到上传文件" not in "\n".join(m.get("text", "") for m in resp.json())


@pytest.mark.server
def test_server_the_login_source_is_the_client_address_never_what_the_client_says() -> None:
    _server_up()
    sender = f"rest-source-{uuid.uuid4().hex[:8]}"
    say(sender, "我有哪些证照")
    resp = post(sender, LI, metadata={"source": "wechat:someone-else"})
    assert resp.status_code == 200
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            keys = [row[0] for row in conn.execute(
                sqlalchemy.text("SELECT source_key FROM login_attempts WHERE sender = :s"), {"s": sender})]
    finally:
        engine.dispose()
    assert keys == [login_limits.source_key("rest", sender, "rest:127.0.0.1")]


@pytest.mark.server
def test_server_cors_reflects_no_foreign_origin() -> None:
    _server_up()
    body = {"sender": f"rest-cors-{uuid.uuid4().hex[:8]}", "message": "你好"}
    evil = requests.post(f"{BASE}/webhooks/rest/webhook", json=body, headers={"Origin": "https://evil.example"},
                         timeout=30)
    assert evil.status_code == 200 and "access-control-allow-origin" not in evil.headers
    preflight = requests.options(f"{BASE}/webhooks/rest/webhook", timeout=30, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    portal = "http://localhost:" + os.environ.get("TEST_PORTAL_PORT", "5181")
    own = requests.post(f"{BASE}/webhooks/rest/webhook", timeout=30, headers={"Origin": portal},
                        json={**body, "sender": body["sender"] + "b"})
    assert own.headers.get("access-control-allow-origin") == portal
