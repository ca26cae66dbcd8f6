"""Closed-loop load against the REST webhook with asyncio + aiohttp.

Every conversation has its own sender id and sends its turns one after another, cycling
through a list of messages so that its history grows as in a real conversation. Failures
never raise: each turn is recorded as ok, an HTTP error, a timeout, a connection error or a
"busy" reply (the hardened webhook answers 200 with an apology when a turn fails inside Rasa).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

import aiohttp
import numpy as np

WEBHOOK = "/webhooks/rest/webhook"
SESSIONS: Dict[str, str] = {}
"""Each sender's session token: the channel issues it with the first reply and wants it back."""
# The reply connectors/rest.py gives when Rasa failed to process the turn.
BUSY_MARKER = "系统暂时繁忙"


@dataclass
class Turn:
    """One request and its outcome."""

    index: int
    latency: float
    outcome: str  # "ok", "http_<status>", "timeout", "connection", "bad_reply", "busy"
    text: str = ""


@dataclass
class LoadResult:
    """All turns of one scenario and the wall time of its measured phase."""

    turns: List[Turn] = field(default_factory=list)
    wall: float = 0.0

    def summary(self) -> Dict[str, Any]:
        """Latency percentiles (ms) over successful turns, throughput and error counts."""
        ok = [t.latency for t in self.turns if t.outcome == "ok"]
        errors: Dict[str, int] = {}
        for turn in self.turns:
            if turn.outcome != "ok":
                errors[turn.outcome] = errors.get(turn.outcome, 0) + 1
        pct = np.percentile(ok, [50, 95, 99]) * 1000 if ok else [None] * 3
        return {
            "turns": len(self.turns),
            "ok": len(ok),
            "errors": errors,
            "error_count": sum(errors.values()),
            "wall_s": round(self.wall, 3),
            "turns_per_s": round(len(ok) / self.wall, 2) if self.wall > 0 else None,
            "p50_ms": _round(pct[0]),
            "p95_ms": _round(pct[1]),
            "p99_ms": _round(pct[2]),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def reply_text(body: Any) -> str:
    """Join the ``text`` of every message in a webhook reply."""
    if not isinstance(body, list):
        return ""
    return "\n".join(str(m.get("text", "")) for m in body if isinstance(m, dict))


async def post_turn(
    session: aiohttp.ClientSession, url: str, sender: str, message: str, index: int, timeout: float
) -> Turn:
    """Send one message and classify the outcome; never raises for network problems.

    Args:
        session: the client session.
        url: the Rasa server's base URL.
        sender: the conversation's sender id.
        message: the user's text.
        index: the turn's position, kept in the result.
        timeout: seconds before the turn counts as a timeout.

    Returns:
        The turn, with its latency in seconds.
    """
    started = time.perf_counter()
    body_out = {"sender": sender, "message": message, "session": SESSIONS.get(sender)}
    try:
        async with session.post(
            url + WEBHOOK,
            json=body_out,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            body = await resp.json(content_type=None) if resp.status == 200 else None
            elapsed = time.perf_counter() - started
            if resp.status != 200:
                return Turn(index, elapsed, f"http_{resp.status}")
    except asyncio.TimeoutError:
        return Turn(index, time.perf_counter() - started, "timeout")
    except (aiohttp.ClientError, OSError):
        return Turn(index, time.perf_counter() - started, "connection")
    except ValueError:
        return Turn(index, time.perf_counter() - started, "bad_reply")
    for message_out in body if isinstance(body, list) else []:
        if isinstance(message_out, dict) and message_out.get("session"):
            SESSIONS[sender] = str(message_out["session"])
    text = reply_text(body)
    outcome = "busy" if not text or BUSY_MARKER in text else "ok"
    return Turn(index, elapsed, outcome, text)


async def _conversation(
    session: aiohttp.ClientSession,
    url: str,
    sender: str,
    messages: Sequence[str],
    turns: int,
    timeout: float,
) -> List[Turn]:
    results = []
    for i in range(turns):
        results.append(await post_turn(session, url, sender, messages[i % len(messages)], i, timeout))
    return results


async def run_load(
    url: str,
    messages: Sequence[str],
    concurrency: int,
    total_turns: int,
    warmup_turns: int = 5,
    timeout: float = 30.0,
    label: str = "load",
) -> LoadResult:
    """Run ``concurrency`` conversations in parallel until ``total_turns`` turns are done.

    Args:
        url: the Rasa server's base URL.
        messages: the messages each conversation cycles through.
        concurrency: number of simultaneous conversations, each with its own sender id.
        total_turns: measured turns in all, split evenly across the conversations.
        warmup_turns: unmeasured turns sent first on a separate conversation.
        timeout: per-request timeout in seconds.
        label: part of the sender ids, for the server logs.

    Returns:
        The measured turns and the wall time from the first request to the last reply.
    """
    run_id = uuid.uuid4().hex[:6]
    per_conversation = max(1, total_turns // concurrency)
    connector = aiohttp.TCPConnector(limit=max(concurrency, 1))
    async with aiohttp.ClientSession(connector=connector) as session:
        await _conversation(session, url, f"warmup-{label}-{run_id}", messages, warmup_turns, timeout)
        started = time.perf_counter()
        batches = await asyncio.gather(
            *(
                _conversation(session, url, f"{label}-{run_id}-{c}", messages, per_conversation, timeout)
                for c in range(concurrency)
            )
        )
        wall = time.perf_counter() - started
    return LoadResult([t for batch in batches for t in batch], wall)


async def run_single(url: str, messages: Sequence[str], turns: int, timeout: float = 30.0) -> List[Turn]:
    """One conversation of ``turns`` turns, in order (for latency growth)."""
    async with aiohttp.ClientSession() as session:
        sender = f"growth-{uuid.uuid4().hex[:6]}"
        return await _conversation(session, url, sender, messages, turns, timeout)


async def probe(url: str, message: str, timeout: float = 30.0) -> Turn:
    """Send one message on a fresh conversation; used to check the bot answers as expected."""
    async with aiohttp.ClientSession() as session:
        return await post_turn(session, url, f"probe-{uuid.uuid4().hex[:6]}", message, 0, timeout)


SETTLE_SECONDS = 180.0
SETTLED_MS = 1000.0


async def _probe(url: str) -> float:
    """Milliseconds for one new conversation's greeting (a long time when no answer came)."""
    async with aiohttp.ClientSession() as session:
        turn = await post_turn(session, url, f"settle-{time.time_ns()}", "你好", 0, 30.0)
    return turn.latency * 1000 if turn.outcome == "ok" else 30_000.0


def settle(url: str) -> float:
    """Wait until the configuration answers a greeting within :data:`SETTLED_MS`; the seconds waited.

    A level that overloads the servers leaves requests queued after its clients gave up (nginx
    passes them on, Rasa answers them); the next level would otherwise measure that backlog.
    """
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_SECONDS:
        if asyncio.run(_probe(url)) < SETTLED_MS and asyncio.run(_probe(url)) < SETTLED_MS:
            break
        time.sleep(2)
    return round(time.monotonic() - started, 1)
