"""Citizens talking to the production profile through nginx while a fault is injected (tests/faults).

Every REST turn is recorded and judged as a citizen would see it: ``ok`` (a normal answer),
``busy`` (the channel's busy reply, :data:`connectors.common.BUSY_REPLY`) or ``bad`` (a 5xx, an
HTML error page, silence, a stack trace, no Chinese text). Afterwards :meth:`Citizens.lost_turns`
reads each conversation back from Rasa's HTTP API: every turn that got a normal answer must be in
the tracker, in the order it was sent.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import aiohttp

from bot.tracker_store import HIDDEN
from connectors.common import BUSY_REPLY

QUESTIONS = (
    "身份证丢了怎么补办，要带什么",
    "要多少钱",
    "居住证几天能拿到",
    "那护照呢",
    "公积金提取能网上办吗",
    "最近的办事大厅在哪",
    "办身份证要带什么",
    "帮助",
)
PROBE = "驾照到期了在哪换"
_CJK = re.compile("[\u4e00-\u9fff]")
_TRACE = re.compile(r"Traceback|Exception|Error\b|<html|<!DOCTYPE", re.IGNORECASE)


@dataclass
class Turn:
    """One message a citizen sent and what came back."""

    sender: str
    text: str
    private: bool
    status: int
    outcome: str  # "ok" | "busy" | "bad"
    texts: List[str]
    problem: str = ""
    at: float = field(default_factory=time.monotonic)


def judge(status: int, body: str) -> Tuple[str, str, List[str]]:
    """Classify a webhook response as ``ok``, ``busy`` or ``bad`` (with why), and its reply texts."""
    if status >= 500:
        return "bad", f"HTTP {status}: {body[:80]}", []
    try:
        data = json.loads(body)
    except ValueError:
        return "bad", f"HTTP {status}, not JSON: {body[:80]}", []
    if status != 200 or not isinstance(data, list):
        return "bad", f"HTTP {status}: {body[:80]}", []
    texts = [str(m.get("text") or "") for m in data if isinstance(m, dict)]
    if not any(texts):
        return "bad", "silence (no reply text)", texts
    if any(_TRACE.search(text) for text in texts):
        return "bad", "a stack trace or error page in a reply", texts
    if not any(_CJK.search(text) for text in texts):
        return "bad", "a reply without Chinese text", texts
    return ("busy" if BUSY_REPLY in texts else "ok"), "", texts


class Citizens:
    """An aiohttp session that talks as many REST citizens, keeping each one's session token."""

    def __init__(self, base_url: str, rasa_token: str, tag: str) -> None:
        """Talk to ``base_url`` (nginx); ``rasa_token`` reads trackers; ``tag`` prefixes senders."""
        self.base_url = base_url.rstrip("/")
        self.rasa_token = rasa_token
        self.tag = tag
        self.turns: List[Turn] = []
        self.tokens: Dict[str, str] = {}
        self._http: Optional[aiohttp.ClientSession] = None

    async def __aenter__(self) -> Citizens:
        """Open the HTTP session (no connection limit beyond the load's own bound)."""
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self

    async def __aexit__(self, *_: Any) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        """The open session."""
        assert self._http is not None, "use Citizens as an async context manager"
        return self._http

    def new_sender(self, role: str) -> str:
        """A fresh conversation id, recognisable in the logs."""
        return f"{self.tag}-{role}-{uuid.uuid4().hex[:10]}"

    async def say(self, sender: str, text: str, private: bool = False, timeout: float = 90) -> Turn:
        """Send one message and record the turn; a timeout counts as silence."""
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if sender in self.tokens:
            body["session"] = self.tokens[sender]
        try:
            async with self.http.post(
                f"{self.base_url}/webhooks/rest/webhook", json=body, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as resp:
                status, raw = resp.status, await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            status, raw = 0, ""
            texts: List[str] = []
            outcome, problem = "bad", f"no answer: {type(error).__name__}"
        else:
            outcome, problem, texts = judge(status, raw)
            if outcome != "bad":
                for message in json.loads(raw):
                    if isinstance(message, dict) and message.get("session"):
                        self.tokens[sender] = str(message["session"])
        turn = Turn(sender, text, private, status, outcome, texts, problem)
        self.turns.append(turn)
        return turn

    async def say_until_served(self, sender: str, text: str, private: bool = False, within: float = 180) -> Turn:
        """Send ``text`` again after each busy reply, as a citizen would, until it is served."""
        deadline = time.monotonic() + within
        while True:
            turn = await self.say(sender, text, private)
            if turn.outcome != "busy" or time.monotonic() > deadline:
                return turn
            await asyncio.sleep(1)

    async def chat(self, worker: int, stop: asyncio.Event) -> None:
        """One citizen after another asks a few catalog and FAQ questions until ``stop``."""
        rng = random.Random(worker)
        while not stop.is_set():
            sender = self.new_sender(f"load{worker}")
            for text in rng.sample(QUESTIONS, 4):
                if stop.is_set():
                    break
                await self.say(sender, text)

    async def first_normal_reply(self, since: float, within: float = 300) -> float:
        """Seconds from ``since`` until a fresh conversation gets a normal answer."""
        while time.monotonic() - since < within:
            turn = await self.say(self.new_sender("probe"), PROBE)
            if turn.outcome == "ok":
                return round(turn.at - since, 1)
            await asyncio.sleep(0.5)
        raise AssertionError(f"no normal reply within {within} s of the fault")

    async def tracker_texts(self, sender: str) -> List[str]:
        """The user messages of ``sender``'s conversation as the tracker store holds them."""
        url = f"{self.base_url}/conversations/{sender}/tracker"
        for _ in range(30):  # the store may itself be recovering
            async with self.http.get(url, params={"token": self.rasa_token}) as resp:
                if resp.status == 200:
                    events = (await resp.json()).get("events") or []
                    return [str(e.get("text") or "") for e in events if e.get("event") == "user"]
            await asyncio.sleep(1)
        raise AssertionError(f"the tracker of {sender} could not be read")

    async def lost_turns(self) -> List[str]:
        """Every normally answered turn missing from its tracker, or out of order there."""
        lost: List[str] = []
        for sender in sorted({turn.sender for turn in self.turns}):
            answered = [t for t in self.turns if t.sender == sender and t.outcome == "ok"]
            if answered:
                lost += [f"{sender}: {t.text}" for t in unmatched(answered, await self.tracker_texts(sender))]
        return lost

    def counts(self) -> Dict[str, int]:
        """How many turns had each outcome."""
        return {outcome: sum(t.outcome == outcome for t in self.turns) for outcome in ("ok", "busy", "bad")}

    def bad_turns(self) -> List[str]:
        """A description of every turn a citizen should never have seen."""
        return [f"{t.sender} {t.text!r}: {t.problem}" for t in self.turns if t.outcome == "bad"]


def unmatched(answered: Sequence[Turn], stored: Sequence[str]) -> List[Turn]:
    """The answered turns that are not a subsequence of ``stored`` (the tracker's user texts).

    A message typed at a login prompt is stored redacted, so a private turn matches the
    redaction mark; a retried message may be stored more than once, which is no loss.
    """
    missing: List[Turn] = []
    position = 0
    for turn in answered:
        wanted = (HIDDEN,) if turn.private else (turn.text,)
        found = next((i for i in range(position, len(stored)) if stored[i] in wanted or stored[i] == turn.text), None)
        if found is None:
            missing.append(turn)
        else:
            position = found + 1
    return missing
