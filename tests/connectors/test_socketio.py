"""The socket.io channel on a real local Sanic server, driven by python-socketio's client.

No model: ``on_new_message`` is a stub that answers through the channel's output, as Rasa does.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from connectors.common import EMPTY_REPLY
from connectors.socketio import SocketIOInput, valid_session_id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A channel mounted on a Sanic app listening on a free local port."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def on_new_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if message.text == "boom":
            raise RuntimeError("turn failed")
        assert message.output_channel is not None
        await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


@pytest.fixture()
async def server() -> AsyncIterator[Server]:
    srv = Server()
    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
    )
    app = Sanic(f"sio_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(srv.on_new_message), url_prefix="/webhooks/socketio")
    http = await app.create_server(host="127.0.0.1", port=srv.port, return_asyncio_server=True)
    assert http is not None
    await http.startup()
    try:
        yield srv
    finally:
        await http.close()


async def _client(url: str) -> Tuple[socketio.AsyncClient, List[Dict[str, Any]], asyncio.Queue[str]]:
    client = socketio.AsyncClient()
    replies: List[Dict[str, Any]] = []
    confirms: asyncio.Queue[str] = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.append(data))
    client.on("session_confirm", lambda data: confirms.put_nowait(data))
    # Polling: engineio's websocket client needs a newer aiohttp than Rasa pins; the server is the same.
    await client.connect(url, transports=["polling"])
    return client, replies, confirms


async def _close(client: socketio.AsyncClient) -> None:
    # A polite disconnect waits for the pending long-poll request, up to the server's ping timeout.
    await client.eio.disconnect(abort=True)


async def _wait_for(replies: List[Dict[str, Any]], count: int) -> None:
    for _ in range(100):
        if len(replies) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} replies, got {replies}")


async def test_replies_reach_a_persistent_session_and_survive_a_reconnect(server: Server) -> None:
    session_id = uuid.uuid4().hex
    client, replies, confirms = await _client(server.url)
    await client.emit("session_request", {"session_id": session_id})
    assert await asyncio.wait_for(confirms.get(), 5) == session_id
    await client.emit("user_uttered", {"message": "  你好 ", "session_id": session_id})
    await _wait_for(replies, 1)
    assert replies == [{"text": "收到：你好"}]
    assert server.received[0].sender_id == session_id and server.received[0].input_channel == "socketio"
    await _close(client)

    # A page reload: a new socket asks for the same session and gets the replies of the same sender.
    client, replies, confirms = await _client(server.url)
    await client.emit("session_request", {"session_id": session_id})
    assert await asyncio.wait_for(confirms.get(), 5) == session_id
    await client.emit("user_uttered", {"message": "再问一次", "session_id": session_id})
    await _wait_for(replies, 1)
    assert replies[0]["text"] == "收到：再问一次" and server.received[1].sender_id == session_id
    await _close(client)


@pytest.mark.parametrize("requested", [None, "", "1", "short", "a b c d e f g h i j", {"x": 1}, "x" * 200])
async def test_weak_or_missing_session_ids_are_replaced(server: Server, requested: Any) -> None:
    client, _, confirms = await _client(server.url)
    await client.emit("session_request", {"session_id": requested})
    confirmed = await asyncio.wait_for(confirms.get(), 5)
    assert confirmed != requested and valid_session_id(confirmed)
    await _close(client)


async def test_messages_without_a_session_are_ignored_and_odd_ones_answered(server: Server) -> None:
    session_id = uuid.uuid4().hex
    client, replies, confirms = await _client(server.url)
    await client.emit("user_uttered", {"message": "没有会话"})
    await client.emit("user_uttered", "not a dict")
    await client.emit("session_request", {"session_id": session_id})
    await asyncio.wait_for(confirms.get(), 5)
    await client.emit("user_uttered", {"message": "   ", "session_id": session_id})
    await _wait_for(replies, 1)
    assert replies[0]["text"] == EMPTY_REPLY and server.received == []
    await client.emit("user_uttered", {"message": "boom", "session_id": session_id})
    await _wait_for(replies, 2)
    assert "12345" in replies[1]["text"]
    await _close(client)


def test_valid_session_id() -> None:
    assert valid_session_id(uuid.uuid4().hex)
    assert valid_session_id("abc") is None and valid_session_id(12345678901234567890) is None
    assert valid_session_id("<script>alert(1)</script>") is None
