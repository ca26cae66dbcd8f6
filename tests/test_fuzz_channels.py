"""Fuzz of the REST and socket.io message paths (issue 12, item 20); WeChat is in test_fuzz_wechat.py.

Each test sends one random input per hypothesis example (30 in ``make test``, 10,000 in
``make fuzz``) and asserts: no 5xx, no exception logged or left in a task, an answer within 2 s,
and a well-formed answer (a JSON list of replies, or a JSON error in Chinese; socket.io replies
with text). The bot is ``tests.fuzzing.EchoBot``, not the Rasa agent (10,000 model turns per
channel); ``test_running_rest_webhook_survives_random_bodies`` sends fewer through the agent.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import httpx
import pytest
import requests
import socketio
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st
from sanic import Sanic
from sanic_testing.testing import ASGI_BASE_URL

from connectors.common import MAX_MESSAGE_CHARS
from connectors.rest import RestInput
from connectors.socketio import SocketIOInput
from tests.fuzzing import (
    ECHO_PREFIX,
    REPLY_DEADLINE_S,
    CrashRecorder,
    EchoBot,
    as_heard,
    check_rest_answer,
    encoded_messages,
    expected_echo,
    has_chinese,
    inside,
    json_values,
    rest_bodies,
    texts,
)

REST_PATH = "/webhooks/rest/webhook"


# --- REST ---------------------------------------------------------------------------------


def _sender_key(sender: Any) -> str:
    """The conversation a sender names: the channel takes a string or a whole number, trimmed."""
    return "" if isinstance(sender, bool) or not isinstance(sender, (str, int)) else str(sender).strip()


@dataclass
class RestApp:
    """The REST channel in a Sanic app, driven in-process through sanic-testing's ASGI client."""

    bot: EchoBot
    client: Any
    crashes: CrashRecorder
    sessions: Dict[str, str] = field(default_factory=dict)
    """Each sender's session token, as the widget keeps it (issue 12, item 8)."""

    def with_token(self, body: bytes) -> bytes:
        """``body`` with its sender's token added, when the body is an object for a known sender."""
        try:
            value = json.loads(body)
            sender = value.get("sender") if isinstance(value, dict) else None
            token = self.sessions.get(_sender_key(sender))
            return json.dumps({**value, "session": token}).encode() if token and "session" not in value else body
        except (ValueError, UnicodeDecodeError, RecursionError):
            return body

    def remember(self, body: bytes, status: int, payload: Any) -> None:
        """Keep the token a reply issues for the sender of ``body``."""
        if status == 200 and payload and isinstance(payload[0].get("session"), str):
            self.sessions[_sender_key(json.loads(body)["sender"])] = payload[0]["session"]

    async def post(self, body: bytes) -> Tuple[int, Any, float]:
        started = time.monotonic()
        # SanicASGITestClient.request re-runs the app's whole start-up (route compilation) on every
        # call, 40 ms against 0.4 ms for the request; after the first request the start-up is done,
        # so later ones go straight to its ASGI transport.
        resp = await httpx.AsyncClient.request(self.client, "POST", ASGI_BASE_URL + REST_PATH, content=body)
        elapsed = time.monotonic() - started
        try:
            payload = resp.json()
        except ValueError:
            payload = resp.text  # not JSON: check_rest_answer fails with the body shown
        return resp.status_code, payload, elapsed


@pytest.fixture()
async def rest_app() -> AsyncIterator[RestApp]:
    bot = EchoBot()
    app = Sanic(f"fuzz_rest_{uuid.uuid4().hex[:8]}")
    app.blueprint(RestInput().blueprint(bot), url_prefix="/webhooks/rest")
    client = app.asgi_client
    await client.get("/webhooks/rest/")  # the app's start-up, once
    crashes = CrashRecorder()
    crashes.install()
    try:
        yield RestApp(bot, client, crashes)
    finally:
        crashes.uninstall()


@pytest.mark.fuzz
@example(body=b"[" * 5_000 + b"]" * 5_000)  # RecursionError: a 500 (issue 12, item 13)
@example(body=inside(b'{"a":' * 5_000, "sender"))
@given(body=rest_bodies)
async def test_rest_webhook_survives_random_bodies(rest_app: RestApp, body: bytes) -> None:
    seen = len(rest_app.bot.messages)
    body = rest_app.with_token(body)  # a sender's later messages carry its token, like the widget's
    status, payload, elapsed = await rest_app.post(body)
    check_rest_answer(status, payload)
    rest_app.remember(body, status, payload)
    assert elapsed < REPLY_DEADLINE_S, f"{elapsed:.2f} s for a body of {len(body)} bytes"
    assert rest_app.crashes.take() == []
    if expected_echo(body):
        assert status == 200 and len(rest_app.bot.messages) == seen + 1
        heard = rest_app.bot.messages[-1].text
        assert 0 < len(heard) <= MAX_MESSAGE_CHARS and heard in as_heard(json.loads(body)["message"])
        # Rasa's output channel sends a text's paragraphs ("\n\n") as separate messages; a cut
        # message is followed by the note that says so.
        assert "\n\n".join(reply["text"] for reply in payload).startswith(ECHO_PREFIX + heard)
        json.dumps(rest_app.bot.messages[-1].metadata)  # storable: Rasa's tracker store serialises it


# --- socket.io events ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SocketSession:
    """A python-socketio client connected to the channel on an in-process server, its session confirmed."""

    client: socketio.AsyncClient
    session_id: str
    token: str
    crashes: CrashRecorder
    replies: List[Any] = field(default_factory=list)
    probes: int = 0
    confirms_seen: int = 0

    def confirmed(self, reply: Any) -> None:
        """Follow the session the server confirmed last: a session_request may move the socket."""
        self.confirms_seen += 1
        if isinstance(reply, dict) and reply.get("session_id"):
            self.session_id, self.token = reply["session_id"], reply.get("session") or self.token

    async def wait_for_confirm(self, seen_before: int, seconds: float) -> None:
        """Wait until a session_confirm after the first ``seen_before`` arrives (same session or a new one)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.confirms_seen == seen_before:
            await asyncio.sleep(0.001)

    async def wait_for(self, texts_: List[str], seconds: float) -> bool:
        """Whether every text in ``texts_`` arrives as a reply within ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = {reply.get("text") for reply in self.replies if isinstance(reply, dict)}
            if all(text in got for text in texts_):
                return True
            await asyncio.sleep(0.001)
        return False


@pytest.fixture()
async def sio_session() -> AsyncIterator[SocketSession]:
    # A real client against a real server (not the handlers called directly): the events then go
    # through python-socketio's packet decoding and dispatch, where an event without data or with
    # several arguments becomes a handler call with the wrong arguments. It costs 2 ms an event.
    bot = EchoBot()
    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
    )
    app = Sanic(f"fuzz_sio_{uuid.uuid4().hex[:8]}")
    app.config.ACCESS_LOG = False
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/socketio")
    port = _free_port()
    http = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert http is not None
    await http.startup()
    client = socketio.AsyncClient()
    confirms: asyncio.Queue[Any] = asyncio.Queue()
    client.on("session_confirm", confirms.put_nowait)
    # Polling: engineio's websocket client needs a newer aiohttp than Rasa pins; the server is the same.
    await client.connect(f"http://127.0.0.1:{port}", transports=["polling"])
    await client.emit("session_request", {"session_id": uuid.uuid4().hex})
    first = await asyncio.wait_for(confirms.get(), 5)
    session = SocketSession(client, first["session_id"], first["session"], CrashRecorder())
    client.on("session_confirm", session.confirmed)
    client.on("bot_uttered", session.replies.append)
    session.crashes.install()
    try:
        yield session
    finally:
        session.crashes.uninstall()
        await client.eio.disconnect(abort=True)
        await http.close()


# engine.io closes a connection whose packet exceeds max_http_buffer_size (1 MB), before any handler
# of ours runs; larger events are left out and strings are kept to 12,000 characters.
MAX_EVENT_JSON = 900_000
SOCKET_REPEATS = 2_000
EVENTS = ["user_uttered", "session_request", "bot_uttered", "connect", "disconnect", "message", "", "任意事件"]


SESSION = "<this socket's session id>"  # replaced by the session id the server confirmed


@st.composite
def socket_events(draw: st.DrawFn) -> Tuple[str, List[Any]]:
    """An event name and its arguments: none, one or several, well-formed or any JSON."""
    values = json_values(repeats=SOCKET_REPEATS)
    message = st.fixed_dictionaries(
        {"message": st.one_of(texts(SOCKET_REPEATS), json_values(3, SOCKET_REPEATS))},
        optional={
            "session_id": st.one_of(st.just(SESSION), st.uuids().map(lambda u: u.hex), json_values(2)),
            "customData": st.one_of(values, values.map(json.dumps), texts(SOCKET_REPEATS)),
            "metadata": values,
        },
    )
    event = draw(st.one_of(st.sampled_from(EVENTS), st.text(max_size=20)))
    args = draw(st.lists(st.one_of(message, values, st.binary(max_size=20)), max_size=3))
    assume(len(json.dumps([event, *args], default=repr)) < MAX_EVENT_JSON)
    return event, args


def _with_session(arg: Any, session: SocketSession) -> Any:
    # The placeholder becomes this socket's session with its token, so it may rejoin it.
    if isinstance(arg, dict) and arg.get("session_id") == SESSION:
        return {**arg, "session_id": session.session_id, "session": session.token}
    return arg


def _answered(event: str, args: List[Any], session_id: str) -> bool:
    """Whether the event is a message of this session the bot must answer."""
    data = args[0] if args else None
    return (event == "user_uttered" and isinstance(data, dict) and data.get("session_id") == session_id
            and isinstance(data.get("message"), str) and bool(as_heard(data["message"])))


@pytest.mark.fuzz
@example(event=("user_uttered", []))  # no data: a TypeError in the handler's task (issue 12, item 13)
@example(event=("connect", []))  # a client may send an event named "connect", with any arguments
@example(event=("session_request", [{"session_id": SESSION}, "extra"]))
@given(event=socket_events())
async def test_socketio_survives_random_events(sio_session: SocketSession, event: Tuple[str, List[Any]]) -> None:
    session = sio_session
    name, args = event[0], [_with_session(arg, session) for arg in event[1]]
    session.replies.clear()
    started = time.monotonic()
    confirms = session.confirms_seen
    await session.client.emit(name, tuple(args))
    if name == "disconnect":
        # python-socketio hands a client-sent "disconnect" event to the disconnect handler, which
        # forgets this socket's session; the widget then asks again with its token, as here.
        await session.client.emit("session_request", {"session_id": session.session_id, "session": session.token})
    if name in ("session_request", "disconnect"):  # a session (maybe a fresh one) is confirmed first
        await session.wait_for_confirm(confirms, REPLY_DEADLINE_S)
    # A probe from the same socket afterwards: its answer shows the server still serves the socket.
    session.probes += 1
    probe = f"探针{session.probes}"
    await session.client.emit("user_uttered", {"message": probe, "session_id": session.session_id})
    expected = [ECHO_PREFIX + probe]
    if _answered(name, args, session.session_id):
        heard = as_heard(args[0]["message"])[:MAX_MESSAGE_CHARS]
        expected.append(ECHO_PREFIX + heard)
    arrived = await session.wait_for(expected, REPLY_DEADLINE_S)
    assert arrived, f"no answer within {REPLY_DEADLINE_S} s to {name!r}: got {session.replies}"
    assert time.monotonic() - started < REPLY_DEADLINE_S
    for reply in session.replies:
        assert isinstance(reply, dict) and isinstance(reply.get("text"), str) and reply["text"], reply
    assert session.crashes.take() == []


# --- the running stack, through the agent -------------------------------------------------


class ServerLogs:
    """What the running servers log (scripts/run.sh writes $VAR_DIR/log/*.log) since the last look.

    Rasa keeps answering when the tracker store fails (it falls back to memory and logs an ERROR),
    so the logs are where such failures show. Absent logs (a remote RASA_URL) show nothing.
    """

    LINE = re.compile(r"^\S+ \S+ (?:ERROR|CRITICAL) .*$|^Traceback.*$", re.MULTILINE)

    def __init__(self) -> None:
        log_dir = Path(os.environ.get("VAR_DIR", "var")) / "log"
        self.offsets = {path: path.stat().st_size for path in (log_dir / "rasa.log", log_dir / "actions.log")
                        if path.exists()}

    def errors(self) -> List[str]:
        found: List[str] = []
        for path, offset in self.offsets.items():
            with path.open("rb") as log:
                log.seek(offset)
                found += self.LINE.findall(log.read().decode("utf-8", "replace"))
                self.offsets[path] = log.tell()
        return found


@pytest.fixture()
def server_logs() -> ServerLogs:
    """Set once per test (hypothesis runs the body per example): each example sees what it caused."""
    return ServerLogs()


@pytest.mark.server
@settings(max_examples=200, database=None)
@example(body=b'{"sender": "\\ud8e1", "message": "hi"}')  # stopped the Rasa server (tracker store exit)
@example(body=b'{"sender": "fuzz-surrogate", "message": "\\ud8e1\\udfff", "metadata": {"\\ud800": "\\udc00"}}')
@example(body=b'{"sender": "fuzz-lone", "message": "\\ud87b\\ud8b7"}')  # OpenCC failed in the actions
@given(body=st.integers(0, 3).flatmap(lambda n: rest_bodies if n == 0 else encoded_messages))  # 3/4 messages
def test_running_rest_webhook_survives_random_bodies(server_logs: ServerLogs, body: bytes) -> None:
    """200 random bodies through the running Rasa and action servers (scripts/test.sh starts them)."""
    url = os.environ.get("RASA_URL", "http://localhost:5005") + REST_PATH
    started = time.monotonic()
    resp = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    elapsed = time.monotonic() - started
    payload: Dict[str, Any] | List[Any] | str
    try:
        payload = resp.json()
    except ValueError:
        payload = resp.text
    event(f"HTTP {resp.status_code}")
    check_rest_answer(resp.status_code, payload)
    assert elapsed < REPLY_DEADLINE_S, f"{elapsed:.2f} s for a body of {len(body)} bytes"
    if resp.status_code == 200:
        assert isinstance(payload, list) and has_chinese("".join(reply["text"] for reply in payload))
    time.sleep(0.02)  # in case a failure is logged just after the answer
    assert server_logs.errors() == []
