"""Unanswered queue and human handoff over the running servers (marker: server), no mocks.

1. A REST citizen asks something the assistant cannot answer, with a phone and an ID number in
   it: the unanswered queue (table ``unanswered_questions`` at ``DATABASE_URL``) holds the
   question with both masked, and neither raw value is anywhere in that table.
2. A socket.io citizen asks for a person; an agent (``ga_officer``'s bearer token) goes on duty,
   takes the ticket and replies through the console JSON API at ``STAFF_URL``: the citizen's
   socket gets the agent's words, the bot stays silent while paused, and after the hand-back
   the bot answers again. Rasa's tracker shows the ``pause`` and the ``resume``.

Needs the stack of ``scripts/run.sh`` with ``HANDOFF_DAYS=1-7 HANDOFF_HOURS=00:00-24:00``
(``RASA_URL``, ``STAFF_URL``, ``VAR_DIR``, ``DATABASE_URL`` as ``scripts/test.sh`` sets them); the
agent's token derives from that installation's demo secret in ``VAR_DIR``.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import socketio
import sqlalchemy

from govservice.accounts.demo_officers import demo_token
from tests.rest_client import say

pytestmark = pytest.mark.server

RASA_URL = os.environ.get("RASA_URL", "http://localhost:5005").rstrip("/")
STAFF_URL = os.environ.get("STAFF_URL", "http://localhost:5080").rstrip("/")
AGENT = "ga_officer"
WAIT_SECONDS = 30.0
SILENCE_SECONDS = 2.0

# Out of the catalog and the FAQ, with a mobile and an ID number typed in: the FAQ action finds
# nothing and queues it (checked on the reply). Without the ID number's digits inside a question,
# a bare "身份证…" message is taken as inform_id_number and only gets the privacy warning.
UNANSWERED = "小区里的化粪池满了没人抽，怎么反映，联系我13812345678，11010519491231002X"
RAW_PHONE, RAW_ID = "13812345678", "11010519491231002X"
MASKED_PHONE, MASKED_ID = "138****5678", "110105********002X"

QUEUED_MARK = "已为您转接人工客服"
TAKEN_MARK = "人工客服已接入"
AGENT_TEXT = "您好，我是人工客服小王"
HANDED_BACK_MARK = "人工客服已结束服务"
PAUSED_QUESTION = "居住证要什么材料"


# ---------------------------------------------------------------------------------------------
# Helpers: the database, Rasa's HTTP API and the console JSON API
# ---------------------------------------------------------------------------------------------


def _queue_rows() -> List[Dict[str, Any]]:
    """Every row of the unanswered queue, all columns, as plain dicts."""
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sqlalchemy.text("SELECT * FROM unanswered_questions"))]
    finally:
        engine.dispose()


def _wordings(row: Dict[str, Any]) -> List[str]:
    """The representative text and the stored variants of a queue row."""
    variants = row.get("variants") or []
    if isinstance(variants, str):  # JSON read back as text by a raw query on SQLite
        variants = json.loads(variants)
    return [str(row["text"]), *map(str, variants)]


def _rasa_token() -> str:
    """Rasa's ``--auth-token``: ``$RASA_TOKEN``, else the file ``scripts/run.sh`` keeps in ``$VAR_DIR``."""
    if os.environ.get("RASA_TOKEN"):
        return os.environ["RASA_TOKEN"]
    path = Path(os.environ.get("VAR_DIR", "var")) / "rasa_token"
    if not path.is_file():
        pytest.fail(f"no Rasa token at {path}: set VAR_DIR to the stack's var directory (or RASA_TOKEN)")
    return path.read_text(encoding="utf-8").strip()


def _tracker(sender: str) -> Dict[str, Any]:
    """The conversation's tracker from Rasa's HTTP API."""
    resp = requests.get(
        f"{RASA_URL}/conversations/{sender}/tracker", params={"token": _rasa_token()}, timeout=WAIT_SECONDS
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _console(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Any]:
    """Call the console JSON API as the agent (bearer token, no CSRF needed)."""
    resp = requests.request(
        method,
        f"{STAFF_URL}/console/api{path}",
        json=body,
        headers={"Authorization": f"Bearer {demo_token(AGENT)}"},
        timeout=WAIT_SECONDS,
    )
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, resp.text


async def _aconsole(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    """:func:`_console` off the event loop, asserting a 200; the socket client keeps polling meanwhile."""
    status, data = await asyncio.to_thread(_console, method, path, body)
    assert status == 200, f"{method} {path}: {status} {data}"
    return data


# ---------------------------------------------------------------------------------------------
# A citizen on the portal's socket.io channel
# ---------------------------------------------------------------------------------------------


class Citizen:
    """A socket.io client in a persistent session, collecting every ``bot_uttered`` it receives."""

    def __init__(self) -> None:
        self.session_id = uuid.uuid4().hex  # the channel accepts only long random ids
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.confirms: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put_nowait)
        self.client.on("session_confirm", self.confirms.put_nowait)

    async def connect(self) -> None:
        """Connect and join the session's room."""
        # Polling, as in tests/connectors/test_socketio.py: engineio's websocket client needs a newer aiohttp.
        await self.client.connect(
            RASA_URL, socketio_path="/socket.io", transports=["polling"], wait_timeout=int(WAIT_SECONDS)
        )
        await self.client.emit("session_request", {"session_id": self.session_id})
        confirmed = await asyncio.wait_for(self.confirms.get(), WAIT_SECONDS)
        assert confirmed["session_id"] == self.session_id and confirmed["session"]  # a new id gets a token

    async def close(self) -> None:
        """Drop the connection at once (a polite disconnect waits for the pending long poll)."""
        await self.client.eio.disconnect(abort=True)

    async def send(self, text: str) -> None:
        """Type ``text`` in the widget."""
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def expect(self, predicate: Callable[[str], bool], what: str) -> List[str]:
        """Collect bot messages until one satisfies ``predicate``; return all collected, that one last."""
        seen: List[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no bot message {what} within {WAIT_SECONDS:.0f} s; got {seen}")
            try:
                message = await asyncio.wait_for(self.replies.get(), remaining)
            except asyncio.TimeoutError:
                continue
            seen.append(str(message.get("text") or ""))
            if predicate(seen[-1]):
                return seen

    async def silence(self, seconds: float = SILENCE_SECONDS) -> List[str]:
        """Every bot message that arrives within ``seconds`` (none expected while paused)."""
        await asyncio.sleep(seconds)
        got: List[str] = []
        while not self.replies.empty():
            got.append(str(self.replies.get_nowait().get("text") or ""))
        return got


@pytest.fixture()
async def citizen() -> AsyncIterator[Citizen]:
    """A connected socket.io citizen with a fresh session id."""
    person = Citizen()
    try:
        requests.get(RASA_URL, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        pytest.fail(f"Rasa is not running at {RASA_URL} ({exc}); start the stack (scripts/run.sh) first")
    await person.connect()
    try:
        yield person
    finally:
        await person.close()
        await asyncio.to_thread(_close_leftover_tickets, person.session_id)


def _close_leftover_tickets(sender: str) -> None:
    """After a failed test: hand back whatever the sender still has open, so the queue stays clean."""
    status, overview = _console("GET", "/handoff")
    if status != 200:
        return
    for ticket in overview.get("tickets", []):
        if ticket.get("sender") == sender:
            _console("POST", f"/handoff/{ticket['id']}/close")


@pytest.fixture()
def on_duty() -> Iterator[None]:
    """``ga_officer`` on duty for the test, then back to the state it was in (off when unknown)."""
    status, overview = _console("GET", "/handoff")
    if status != 200:
        pytest.fail(f"console JSON API at {STAFF_URL} answered {status}: {overview}")
    before = bool(overview.get("on_duty"))
    status, data = _console("POST", "/handoff/duty", {"on_duty": True})
    assert status == 200 and data == {"on_duty": True}, data
    try:
        yield None
    finally:
        _console("POST", "/handoff/duty", {"on_duty": before})


# ---------------------------------------------------------------------------------------------
# 1. The unanswered queue keeps the question, never the raw phone or ID number
# ---------------------------------------------------------------------------------------------


def test_unanswered_question_is_queued_with_phone_and_id_number_redacted() -> None:
    before = {row["id"]: int(row["count"]) for row in _queue_rows()}
    sender = f"unanswered-{uuid.uuid4().hex[:8]}"

    answer = say(sender, UNANSWERED)
    assert "已记录" in answer, answer  # routed to 城市管理 by the window (or the FAQ-none path): both queue
    assert RAW_PHONE not in answer and RAW_ID not in answer

    rows = _queue_rows()
    # Near-duplicates are counted in one cluster (an earlier run may have opened it): ours is the
    # row whose count grew, or a new row, and it carries the redacted wording.
    grown = [row for row in rows if int(row["count"]) > before.get(row["id"], 0)]
    ours = [row for row in grown if any(MASKED_PHONE in w and MASKED_ID in w for w in _wordings(row))]
    assert len(ours) == 1, f"queue rows that grew: {grown}"
    row = ours[0]
    assert row["status"] == "open"
    assert any("化粪池" in w and "联系我138****5678，110105********002X" in w for w in _wordings(row)), row

    # No raw value in any column of any row of the queue table.
    for each in rows:
        for column, value in each.items():
            assert RAW_PHONE not in str(value), f"raw phone in unanswered_questions.{column}: {value}"
            assert RAW_ID not in str(value).upper(), f"raw ID number in unanswered_questions.{column}: {value}"

    # The tracker store redacted the same message before saving it.
    user_texts = [e.get("text") or "" for e in _tracker(sender)["events"] if e["event"] == "user"]
    assert user_texts and MASKED_PHONE in user_texts[0] and MASKED_ID in user_texts[0]
    assert not any(RAW_PHONE in t or RAW_ID in t for t in user_texts)


# ---------------------------------------------------------------------------------------------
# 2. Handoff on socket.io: queued, taken, agent replies, bot silent, handed back
# ---------------------------------------------------------------------------------------------


def _ticket_of(overview: Dict[str, Any], sender: str) -> Dict[str, Any]:
    mine = [t for t in overview["tickets"] if t["sender"] == sender and t["kind"] == "live"]
    assert len(mine) == 1, f"tickets for {sender}: {mine}"
    return mine[0]


async def test_socketio_handoff_agent_replies_bot_pauses_then_resumes(citizen: Citizen, on_duty: None) -> None:
    sid = citizen.session_id

    # The citizen asks for a person while an agent is on duty: queued, and the bot pauses.
    await citizen.send("转人工")
    queued = await citizen.expect(lambda t: QUEUED_MARK in t, "saying the conversation is queued")
    assert "暂停应答" in "".join(queued)

    overview = await _aconsole("GET", "/handoff")
    assert overview["on_duty"] is True and overview["agents_on_duty"] >= 1 and overview["in_office_hours"] is True
    ticket = _ticket_of(overview, sid)
    assert ticket["status"] == "waiting" and ticket["channel"] == "socketio", ticket

    # The agent takes it: the citizen is greeted on the socket.
    taken = await _aconsole("POST", f"/handoff/{ticket['id']}/take")
    assert taken["status"] == "active" and taken["agent"] == AGENT, taken
    await citizen.expect(lambda t: TAKEN_MARK in t, "greeting from the agent on taking")

    # The agent's reply reaches the citizen's socket as bot_uttered.
    assert await _aconsole("POST", f"/handoff/{ticket['id']}/reply", {"text": AGENT_TEXT}) == {"ok": True}
    await citizen.expect(lambda t: t == AGENT_TEXT, f"{AGENT_TEXT!r} from the agent")

    # While paused, a question the bot would normally answer gets no bot answer at all.
    await citizen.send(PAUSED_QUESTION)
    assert await citizen.silence() == [], "the bot answered while the conversation was paused"

    # The agent reads the question in the transcript.
    detail = await _aconsole("GET", f"/handoff/{ticket['id']}")
    assert detail["transcript_error"] == ""
    lines = [(line["who"], line["text"]) for line in detail["transcript"]]
    assert ("agent", AGENT_TEXT) in lines and ("citizen", PAUSED_QUESTION) in lines, lines

    # Hand back: the citizen is told, and the bot answers the next message again.
    closed = await _aconsole("POST", f"/handoff/{ticket['id']}/close")
    assert closed["status"] == "closed", closed
    await citizen.expect(lambda t: HANDED_BACK_MARK in t, "saying the agent handed back")
    await citizen.send("你好")
    answered = await citizen.expect(lambda t: bool(t.strip()), "answering 你好 after the hand-back")
    assert HANDED_BACK_MARK not in answered[-1] and TAKEN_MARK not in answered[-1], answered

    remaining = await _aconsole("GET", "/handoff")
    assert not [t for t in remaining["tickets"] if t["sender"] == sid], "the ticket is still in the queue"

    # Rasa's own record: paused (by the action and on taking), the agent's message, resumed, a normal turn.
    tracker = await asyncio.to_thread(_tracker, sid)
    events = tracker["events"]
    kinds = [e["event"] for e in events]
    assert "pause" in kinds and "resume" in kinds, kinds
    first_pause, last_resume = kinds.index("pause"), len(kinds) - 1 - kinds[::-1].index("resume")
    assert first_pause < last_resume
    assert tracker["paused"] is False
    agent_events = [e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("handoff_agent")]
    assert AGENT_TEXT in [e.get("text") for e in agent_events]

    # Between the paused question and the resume Rasa recorded the message but predicted nothing.
    asked = max(i for i, e in enumerate(events) if e["event"] == "user" and e.get("text") == PAUSED_QUESTION)
    between = events[asked + 1 : last_resume]
    assert not [e for e in between if e["event"] in ("bot", "action")], between
    # After the resume the greeting was a normal turn: the bot spoke after the citizen's 你好.
    greeted = max(i for i, e in enumerate(events) if e["event"] == "user" and e.get("text") == "你好")
    assert greeted > last_resume and any(e["event"] == "bot" for e in events[greeted + 1 :])
