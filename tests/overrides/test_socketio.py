"""The forked socket.io blueprint against Rasa's own, on a real local Sanic server with python-socketio's client.

Rasa 3.6's blueprint drops every reply to a persistent session (RasaHQ/rasa#13027: ``enter_room``
is not awaited); the fork delivers it, and answers Rasa's events in Rasa's shape.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator, Dict, List

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Sanic

from overrides.socketio import SocketIOFork, SocketMessage
from tests.connectors.test_socketio import _close, _free_port

SETTINGS = {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered"}


class EchoFork(SocketIOFork):
    """The fork with the least a channel must add: a message runs a turn as in Rasa."""

    async def handle_message(self, message: SocketMessage, on_new_message: Any) -> None:
        data = message.data if isinstance(message.data, dict) else {}
        output = SocketIOOutput(self.sio, self.bot_message_evt)
        sender = message.sender_id or message.sid
        await on_new_message(UserMessage(data.get("message"), output, sender, input_channel=self.name()))


async def echo(message: UserMessage) -> None:
    await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


class Client:
    """A python-socketio client that records what the server says."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient()
        self.replies: List[Dict[str, Any]] = []
        self.confirms: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.sio.on("bot_uttered", lambda data: self.replies.append(data))
        self.sio.on("session_confirm", lambda data: self.confirms.put_nowait(data))

    async def ask(self, text: str, session_id: str, wait: float = 3.0) -> List[Dict[str, Any]]:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})
        for _ in range(int(wait / 0.05)):
            if self.replies:
                break
            await asyncio.sleep(0.05)
        return self.replies


async def _serve(channel: RasaSocketIOInput) -> AsyncIterator[str]:
    port = _free_port()
    app = Sanic(f"fork_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(echo), url_prefix="/webhooks/socketio")
    http = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert http is not None
    await http.startup()
    await http.before_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await http.close()


@pytest.fixture(params=[True, False], ids=["persistent", "per-socket"])
async def both(request: pytest.FixtureRequest) -> AsyncIterator[Dict[str, str]]:
    """The fork and Rasa's channel, each on its own server, with the same settings."""
    settings = {**SETTINGS, "session_persistence": request.param}
    fork, rasa = EchoFork.from_credentials(settings), RasaSocketIOInput.from_credentials(settings)
    async for fork_url in _serve(fork):
        async for rasa_url in _serve(rasa):
            yield {"fork": fork_url, "rasa": rasa_url, "persistent": str(request.param)}


async def _turn(url: str, session_id: str) -> Dict[str, Any]:
    client = Client()
    await client.sio.connect(url, transports=["polling"])
    try:
        await client.sio.emit("session_request", {"session_id": session_id})
        confirmed = await asyncio.wait_for(client.confirms.get(), 5)
        confirmed_id = confirmed["session_id"] if isinstance(confirmed, dict) else confirmed
        replies = await client.ask("你好", confirmed_id)
        return {"confirmed": confirmed, "replies": list(replies)}
    finally:
        await _close(client.sio)


async def test_the_fork_confirms_like_rasa_and_delivers_what_rasa_drops(both: Dict[str, str]) -> None:
    session_id = uuid.uuid4().hex
    fork, rasa = await _turn(both["fork"], session_id), await _turn(both["rasa"], session_id)
    assert fork["replies"] == [{"text": "收到：你好"}]
    if both["persistent"] == "True":
        assert fork["confirmed"] == {"session_id": session_id, "session": None}
        assert rasa["confirmed"] == session_id  # Rasa confirms with the bare id
        assert rasa["replies"] == []  # RasaHQ/rasa#13027: the socket never joined its room
    else:  # replies go to the socket's own room; the fork confirms that id, Rasa the one asked for
        assert fork["confirmed"]["session_id"] != session_id and rasa["confirmed"] == session_id
        assert rasa["replies"] == fork["replies"]


async def test_events_without_data_or_with_extra_arguments_are_answered(both: Dict[str, str]) -> None:
    client = Client()
    await client.sio.connect(both["fork"], transports=["polling"])
    try:
        await client.sio.emit("session_request")  # no data at all
        confirmed = await asyncio.wait_for(client.confirms.get(), 5)
        await client.sio.emit("session_request", ({"session_id": "x" * 32}, "extra", 3))
        again = await asyncio.wait_for(client.confirms.get(), 5)
        assert confirmed["session_id"] and again["session_id"]
        assert await client.ask("还在吗", again["session_id"]) == [{"text": "收到：还在吗"}]
    finally:
        await _close(client.sio)


def test_the_jwt_check_is_rasas() -> None:
    import jwt

    secured = EchoFork.from_credentials({**SETTINGS, "jwt_key": "k" * 32, "jwt_method": "HS256"})
    good = jwt.encode({"user": "citizen"}, "k" * 32, algorithm="HS256")
    assert secured.token_allows({"token": good})
    assert not secured.token_allows({"token": "forged"}) and not secured.token_allows(None)
    assert EchoFork.from_credentials(SETTINGS).token_allows(None)
