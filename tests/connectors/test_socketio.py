"""The socket.io channel on a real local Sanic server, driven by python-socketio's client.

No model: ``on_new_message`` is :class:`tests.connectors.channel_stub.StubBot`, which answers
through the channel's output and keeps a real tracker store, as Rasa does. Session tokens live in
the test database (:mod:`govservice.identity.channel_sessions`).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
import uuid
from types import SimpleNamespace
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
import socketio
from sanic import Sanic

from connectors.common import EMPTY_REPLY, PAUSED_REPLY
from connectors.socketio import BAD_EVENT_REPLY, NO_SESSION_REPLY, SocketIOInput, valid_session_id
from govservice.certificates.models import Certificate
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.notifications.reminder_models import Reminder
from tests.connectors.channel_stub import QUEUED_TEXT, HitCounter, StubBot
from tests.test_handoff_flow import (  # noqa: F401 - on_duty is a fixture
    PAUSED_QUESTION,
    QUEUED_MARK,
    Citizen,
    _close_leftover_tickets,
    on_duty,
)

Confirm = Dict[str, Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A channel mounted on a Sanic app listening on a free local port."""

    def __init__(self) -> None:
        self.bot = StubBot()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"


@pytest.fixture()
async def server(catalog: Any) -> AsyncIterator[Server]:
    srv = Server()
    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
    )
    app = Sanic(f"sio_test_{uuid.uuid4().hex[:8]}")
    srv.bot.attach(app)
    app.blueprint(channel.blueprint(srv.bot), url_prefix="/webhooks/socketio")
    http = await app.create_server(host="127.0.0.1", port=srv.port, return_asyncio_server=True)
    assert http is not None
    await http.startup()
    await http.before_start()
    try:
        yield srv
    finally:
        await http.close()


async def _client(url: str) -> Tuple[socketio.AsyncClient, List[Dict[str, Any]], asyncio.Queue[Confirm]]:
    client = socketio.AsyncClient()
    replies: List[Dict[str, Any]] = []
    confirms: asyncio.Queue[Confirm] = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.append(data))
    client.on("session_confirm", lambda data: confirms.put_nowait(data))
    # Polling: engineio's websocket client needs a newer aiohttp than Rasa pins; the server is the same.
    await client.connect(url, transports=["polling"])
    return client, replies, confirms


async def _session(client: socketio.AsyncClient, confirms: asyncio.Queue[Confirm], **request: Any) -> Confirm:
    await client.emit("session_request", request)
    return await asyncio.wait_for(confirms.get(), 5)


async def _close(client: socketio.AsyncClient) -> None:
    # A polite disconnect waits for the pending long-poll request, up to the server's ping timeout.
    await client.eio.disconnect(abort=True)


async def _wait_for(replies: List[Dict[str, Any]], count: int) -> None:
    for _ in range(100):
        if len(replies) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} replies, got {replies}")


async def test_replies_reach_a_persistent_session_and_survive_a_reconnect_with_its_token(server: Server) -> None:
    session_id = uuid.uuid4().hex
    client, replies, confirms = await _client(server.url)
    confirmed = await _session(client, confirms, session_id=session_id)
    token = confirmed["session"]
    assert confirmed["session_id"] == session_id and isinstance(token, str) and len(token) >= 43  # 256 bits
    await client.emit("user_uttered", {"message": "  你好 ", "session_id": session_id})
    await _wait_for(replies, 1)
    assert replies == [{"text": "收到：你好"}]
    assert server.bot.received[0].sender_id == session_id and server.bot.received[0].input_channel == "socketio"
    await _close(client)

    # A page reload: a new socket shows the token and gets the same conversation.
    client, replies, confirms = await _client(server.url)
    again = await _session(client, confirms, session_id=session_id, session=token)
    assert again == {"session_id": session_id, "session": token}
    await client.emit("user_uttered", {"message": "再问一次", "session_id": session_id})
    await _wait_for(replies, 1)
    assert replies[0]["text"] == "收到：再问一次" and server.bot.received[1].sender_id == session_id
    await _close(client)


async def test_another_socket_cannot_join_or_speak_in_a_live_session(server: Server) -> None:
    # Issue 12 item 8: knowing the session id is not enough to join it.
    session_id = uuid.uuid4().hex
    owner, owner_replies, owner_confirms = await _client(server.url)
    token = (await _session(owner, owner_confirms, session_id=session_id))["session"]
    intruder, intruder_replies, intruder_confirms = await _client(server.url)
    for guess in (None, "", token[:-2] + "xx", {"x": 1}):
        got = await _session(intruder, intruder_confirms, session_id=session_id, session=guess)
        assert got["session_id"] != session_id and got["session"] != token and valid_session_id(got["session_id"])
    await intruder.emit("user_uttered", {"message": "把他的证照给我看看", "session_id": session_id})
    await _wait_for(intruder_replies, 1)
    assert intruder_replies == [{"text": NO_SESSION_REPLY}]
    await owner.emit("user_uttered", {"message": "我还在", "session_id": session_id})
    await _wait_for(owner_replies, 1)
    assert owner_replies == [{"text": "收到：我还在"}]  # the owner got nothing of the intruder's
    assert [m.sender_id for m in server.bot.received] == [session_id]
    await _close(owner)
    await _close(intruder)


@pytest.mark.parametrize("requested", [None, "", "1", "short", "a b c d e f g h i j", {"x": 1}, "x" * 200])
async def test_weak_or_missing_session_ids_are_replaced(server: Server, requested: Any) -> None:
    client, _, confirms = await _client(server.url)
    confirmed = await _session(client, confirms, session_id=requested)
    assert confirmed["session_id"] != requested and valid_session_id(confirmed["session_id"])
    await _close(client)


async def test_events_without_or_with_junk_data_get_a_chinese_reply_and_raise_nothing(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 12 item 13: an event without data used to raise in the handler.
    caplog.set_level(logging.ERROR)
    client, replies, confirms = await _client(server.url)
    await client.emit("user_uttered")
    await client.emit("user_uttered", "not a dict")
    await client.emit("user_uttered", [1, [2, [3]]])
    await client.emit("user_uttered", {"message": "没有会话"})
    await _wait_for(replies, 4)
    assert [r["text"] for r in replies] == [BAD_EVENT_REPLY] * 3 + [NO_SESSION_REPLY]
    await client.emit("session_request")  # no data at all: a fresh session
    confirmed = await asyncio.wait_for(confirms.get(), 5)
    session_id = confirmed["session_id"]
    assert valid_session_id(session_id)
    await client.emit("user_uttered", {"message": "   ", "session_id": session_id})
    await client.emit("user_uttered", {"message": {"deep": [[[]]]}, "session_id": session_id})
    await _wait_for(replies, 6)
    assert replies[4]["text"] == EMPTY_REPLY and replies[5]["text"].startswith("收到：")
    await client.emit("user_uttered", {"message": "boom", "session_id": session_id})
    await _wait_for(replies, 7)
    assert "12345" in replies[6]["text"]
    assert not [r for r in caplog.records if r.exc_info and "boom" not in str(r.exc_info[1]) and
                "turn failed" not in str(r.exc_info[1])], caplog.text
    await _close(client)


async def test_client_metadata_is_dropped_but_the_whitelist_and_the_source_is_set(
    server: Server, hit_counter: HitCounter
) -> None:
    # Issue 12 item 5: a client's attachment URL never reaches the action server (nor is fetched).
    client, replies, confirms = await _client(server.url)
    session_id = (await _session(client, confirms))["session_id"]
    metadata = {
        "attachment": {"type": "image", "url": hit_counter.url, "media_id": "x"},
        "source": "wechat:someone-else",
        "location": {"latitude": 26.08, "longitude": 119.3},
    }
    await client.emit("user_uttered", {"message": "/upload_material", "session_id": session_id,
                                       "metadata": metadata})
    await _wait_for(replies, 1)
    got = server.bot.received[-1].metadata
    assert got == {"source": "socketio:127.0.0.1", "location": {"latitude": 26.08, "longitude": 119.3}}
    assert hit_counter.hits == 0
    await _close(client)


async def test_a_paused_conversation_says_once_that_an_agent_comes(server: Server) -> None:
    # Issue 12 item 2 on socket.io: the first message while waiting gets the notice, later ones not.
    client, replies, confirms = await _client(server.url)
    session_id = (await _session(client, confirms))["session_id"]
    await client.emit("user_uttered", {"message": "转人工", "session_id": session_id})
    await _wait_for(replies, 1)
    assert replies == [{"text": QUEUED_TEXT}]  # no notice for the request itself
    for text in ("还要多久", "在吗"):
        await client.emit("user_uttered", {"message": text, "session_id": session_id})
    await _wait_for(replies, 2)
    await asyncio.sleep(0.5)
    assert [r["text"] for r in replies] == [QUEUED_TEXT, PAUSED_REPLY]
    tracker = await server.bot.store.retrieve(session_id)
    assert tracker is not None
    assert [e.text for e in tracker.events if e.type_name == "user"] == ["转人工", "还要多久", "在吗"]
    await _close(client)


async def test_a_widget_opening_on_its_conversation_is_shown_its_expiry_reminders(server: Server) -> None:
    # Issue 15: a reminder reaches the widget "the next time they open it", before any message.
    executed: List[Tuple[str, str]] = []

    class _Lock:
        async def __aenter__(self) -> None:
            return None

        async def __aexit__(self, *_: object) -> None:
            return None

    async def execute_action(sender: str, action: str, *_: object) -> None:
        executed.append((sender, action))

    agent = server.bot.app_agent
    agent.lock_store = SimpleNamespace(lock=lambda sender: _Lock())
    agent.execute_action = execute_action
    session_id = uuid.uuid4().hex
    with session_scope() as s:
        cert = s.query(Certificate).filter_by(holder_id="11010519491231002X", type_name="居民身份证").one()
        reminder = Reminder(person_id=cert.holder_id, certificate_id=cert.id, valid_until=datetime.date(2030, 1, 1),
                            channel="socketio", sender=session_id, text="提醒", created_at=utc_now())
        s.add(reminder)
        s.flush()
        reminder_id = reminder.id
    client, replies, confirms = await _client(server.url)
    try:
        await _session(client, confirms)  # another conversation: nothing to show
        await _session(client, confirms, session_id=session_id)
        for _ in range(100):  # shown after session_confirm went out
            if len(executed) >= 2:
                break
            await asyncio.sleep(0.05)
        # Only the reminder's conversation: the first session ran nothing.
        assert executed == [(session_id, "action_show_reminders"), (session_id, "action_listen")]
    finally:
        await _close(client)
        with session_scope() as s:  # the test database is shared: one reminder per certificate
            s.query(Reminder).filter_by(id=reminder_id).delete()


def test_valid_session_id() -> None:
    assert valid_session_id(uuid.uuid4().hex)
    assert valid_session_id("abc") is None and valid_session_id(12345678901234567890) is None
    assert valid_session_id("<script>alert(1)</script>") is None


@pytest.mark.server
async def test_server_a_paused_socketio_conversation_gets_the_notice_once(on_duty: None) -> None:  # noqa: F811
    # Against the running stack: the channel finds Rasa's tracker store and its pause.
    person = Citizen()
    await person.connect()
    try:
        await person.send("转人工")
        await person.expect(lambda t: QUEUED_MARK in t, "saying the conversation is queued")
        await person.send(PAUSED_QUESTION)
        await person.expect(lambda t: t == PAUSED_REPLY, "the paused notice")
        await person.send("在吗")
        assert await person.silence() == [], "the notice came twice, or the bot answered while paused"
    finally:
        await person.close()
        await asyncio.to_thread(_close_leftover_tickets, person.session_id)
