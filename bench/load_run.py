"""A bounded asyncio client that plays the traffic mix of :mod:`bench.load_mix` for a fixed time.

``concurrency`` workers each hold one conversation at a time (closed loop, a new sender id per
conversation) until the level's time is up. Without ``think`` a worker sends its next turn the moment
the last is answered (the machine's capacity); with it, a worker first waits a random time in that
range, as a citizen reads the reply and types (the latency a citizen sees at that many
conversations); no turn is sent after that (a conversation in
progress stops), and the wall time runs until the last reply. Every turn is recorded with what
was sent, so that the checks afterwards (:mod:`bench.load_checks`) can compare it with the stored
tracker, and every application number a reply gave is kept for the exactly-once check.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp

from bench import load
from bench.applications_bench import START, upload_material
from bench.identity_bench import sms_code
from bench.load_mix import CitizenPool, Messages, catalog_turns, faq_turns, kind_for
from bench.wechat_bench import WEBHOOK as WECHAT_WEBHOOK
from scripts.wechat_sim import reply_text, signed_query, text_xml

NUMBER_RE = re.compile(r"办件编号[：:]\s*(\w+)")
CERTIFICATES = "我有哪些证照"


@dataclass
class Sent:
    """One turn as the client saw it."""

    sender: str
    channel: str  # "rest" or "wechat"
    kind: str
    text: str
    private: bool  # typed at a login prompt: the tracker stores it hidden
    outcome: str  # as bench.load.Turn.outcome
    latency: float
    reply: str = ""


@dataclass
class LevelRun:
    """All turns of one concurrency level, the application numbers replies gave, and wall time."""

    sent: List[Sent] = field(default_factory=list)
    numbers: List[str] = field(default_factory=list)
    conversations: Dict[str, int] = field(default_factory=dict)
    wall: float = 0.0


@dataclass
class Target:
    """Where and how the client talks to one configuration."""

    url: str
    wechat_token: str
    outbox: Path
    citizens: CitizenPool
    apply_senders: List[str]
    timeout: float = 30.0


class _TimeUp(Exception):
    """The level's time is over: the conversation in progress sends no more turns."""


class _Abandoned(Exception):
    """The first turn got no reply, so the rest would be refused (403): the conversation ends.

    The channel hands out the conversation's session token with its first reply; like a citizen
    whose page did not load, the client starts a new conversation.
    """


class _Client:
    """One level's shared state: the HTTP session, the target, the messages and the record."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        target: Target,
        messages: Messages,
        run: LevelRun,
        deadline: float,
        think: Optional[Tuple[float, float]] = None,
    ) -> None:
        self.session, self.target, self.messages, self.run = session, target, messages, run
        self.deadline, self.think = deadline, think
        self._rng = random.Random(14)

    async def _next_turn(self) -> None:
        if self.think is not None:
            await asyncio.sleep(self._rng.uniform(*self.think))
        if time.perf_counter() >= self.deadline:
            raise _TimeUp

    async def rest(self, sender: str, kind: str, text: str, private: bool = False) -> load.Turn:
        await self._next_turn()
        turn = await load.post_turn(self.session, self.target.url, sender, text, 0, self.target.timeout)
        self.run.sent.append(Sent(sender, "rest", kind, text, private, turn.outcome, turn.latency, turn.text))
        if turn.outcome in ("timeout", "connection") and sender not in load.SESSIONS:
            raise _Abandoned
        return turn

    async def wechat(self, openid: str, text: str) -> None:
        await self._next_turn()
        token = self.target.wechat_token
        started = time.perf_counter()
        try:
            async with self.session.post(
                self.target.url + WECHAT_WEBHOOK,
                params=signed_query(token),
                data=text_xml(openid, text).encode(),
                timeout=aiohttp.ClientTimeout(total=self.target.timeout),
            ) as resp:
                body = await resp.text()
                status = resp.status
        except asyncio.TimeoutError:
            status, body = 0, ""
        except (aiohttp.ClientError, OSError):
            status, body = -1, ""
        latency = time.perf_counter() - started
        reply = reply_text(body, token) if status == 200 else ""
        outcome = {0: "timeout", -1: "connection", 200: "ok"}.get(status, f"http_{status}")
        if outcome == "ok" and load.BUSY_MARKER in reply:
            outcome = "busy"
        self.run.sent.append(Sent(openid, "wechat", "wechat", text, False, outcome, latency, reply))

    async def conversation(self, kind: str, rng: random.Random) -> str:
        """Play one conversation of ``kind``; return the kind actually played."""
        sender = f"{kind}-{uuid.uuid4().hex[:12]}"
        if kind == "login" and await self.login(sender):
            return kind
        if kind == "apply" and self.target.apply_senders:
            await self.apply(self.target.apply_senders.pop())
            return kind
        if kind == "faq":
            for text in faq_turns(self.messages, rng):
                await self.rest(sender, kind, text)
            return kind
        if kind == "wechat":
            openid = f"o_load_{uuid.uuid4().hex[:16]}"
            for text in catalog_turns(self.messages, rng):
                await self.wechat(openid, text)
            return kind
        for text in catalog_turns(self.messages, rng):  # catalog, and what no citizen was free for
            await self.rest(sender, "catalog", text)
        return "catalog"

    async def login(self, sender: str) -> bool:
        """Log a demo citizen in and ask for their certificates; False when none may get a code now."""
        citizen = self.target.citizens.take(time.time())
        if citizen is None:
            return False
        asked = time.time()
        await self.rest(sender, "login", CERTIFICATES)
        await self.rest(sender, "login", citizen.id_number, private=True)
        await self.rest(sender, "login", citizen.name, private=True)
        code = await sms_code(self.target.outbox, citizen.phone, asked)
        if code is not None:
            await self.rest(sender, "login", code, private=True)
            await self.rest(sender, "login", CERTIFICATES)
        return True

    async def apply(self, sender: str) -> None:
        """Apply for 公积金账户查询 with the material uploaded; keep the number the reply gives."""
        reply = ""
        for text in (START, "符合", "确认无误"):
            reply = (await self.rest(sender, "apply", text)).text
        material: Optional[str] = "我承诺" if "回复“承诺”" in reply else await upload_material(
            self.session, self.target.url, sender
        )
        if material is None:
            return
        await self.rest(sender, "apply", material)
        final = await self.rest(sender, "apply", "确认提交")
        match = NUMBER_RE.search(final.text)
        if match:
            self.run.numbers.append(match.group(1))


async def run_level(
    target: Target,
    messages: Messages,
    concurrency: int,
    seconds: float,
    seed: int = 14,
    think: Optional[Tuple[float, float]] = None,
) -> LevelRun:
    """Play the mix with ``concurrency`` conversations at a time for ``seconds``.

    Args:
        target: the configuration's public URL, WeChat token, SMS outbox and prepared citizens.
        messages: the citizen-written messages.
        concurrency: simultaneous conversations.
        seconds: no turn is sent after this; the wall time runs to the last reply.
        seed: makes the message choice repeatable.
        think: seconds (low, high) a worker waits before each turn; None for none.

    Returns:
        Every turn sent, the application numbers given, conversations per kind and the wall time.
    """
    run = LevelRun()
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        deadline = started + seconds
        client = _Client(session, target, messages, run, deadline, think)

        async def worker(index: int) -> None:
            rng, sequence = random.Random(seed * 100003 + index), 0
            while True:
                try:
                    played = await client.conversation(kind_for(index, sequence), rng)
                except _TimeUp:
                    return
                except _Abandoned:
                    played = "abandoned"
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError):  # an upload that failed
                    played = "broken"
                run.conversations[played] = run.conversations.get(played, 0) + 1
                sequence += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        run.wall = time.perf_counter() - started
    return run


def summary(run: LevelRun) -> Dict[str, Any]:
    """Percentiles and turns/s of a level, as :meth:`bench.load.LoadResult.summary` computes them."""
    turns = [load.Turn(i, s.latency, s.outcome) for i, s in enumerate(run.sent)]
    result = load.LoadResult(turns, run.wall).summary()
    result["conversations"] = dict(sorted(run.conversations.items()))
    result["by_channel"] = {
        channel: sum(1 for s in run.sent if s.channel == channel) for channel in ("rest", "wechat")
    }
    result["applications_answered"] = len(run.numbers)
    return result


def dump(run: LevelRun, path: Path) -> None:
    """Every turn as JSON lines (scratch, for a look after the run; texts of private turns left out)."""
    with open(path, "w", encoding="utf-8") as out:
        for s in run.sent:
            row = {**s.__dict__, "text": "（已隐去）" if s.private else s.text, "reply": s.reply[:200]}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
