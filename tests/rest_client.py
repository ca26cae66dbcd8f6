"""Talking to the running servers over REST, as a citizen does (server tests and README scripts).

The REST channel issues a session token with the first reply of a sender and wants it back on
every later message (connectors/rest.py); :func:`say` keeps one per sender, as the widget does.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

BASE = os.environ.get("RASA_URL", "http://localhost:5005")
VAR_DIR = Path(os.environ.get("VAR_DIR", "var"))
ZHANG, ZHANG_PHONE = "11010519491231002X", "13800138000"
LI, LI_PHONE = "440308199901101512", "13900139000"


SESSIONS: Dict[str, str] = {}
"""The session token the channel gave each sender this process talked as."""


def session_of(sender: str) -> Optional[str]:
    """The token of ``sender``'s conversation (for the upload form's ``session`` field), if any."""
    return SESSIONS.get(sender)


def post(sender: str, text: str, **extra: Any) -> requests.Response:
    """POST one message of ``sender`` with its session token; keep the token the reply carries."""
    body = {"sender": sender, "message": text, **extra}
    if sender in SESSIONS:
        body.setdefault("session", SESSIONS[sender])
    resp = requests.post(f"{BASE}/webhooks/rest/webhook", json=body, timeout=30)
    if resp.status_code == 200:
        for message in resp.json():
            if message.get("session"):
                SESSIONS[sender] = message["session"]
    return resp


def say(sender: str, text: str) -> str:
    """Send ``text`` and return the bot's replies joined by newlines."""
    resp = post(sender, text)
    assert resp.status_code == 200, resp.text
    return "\n".join(m.get("text", "") for m in resp.json())


def latest_code(phone: str, after: float = 0) -> str:
    """The newest one-time code the SMS outbox holds for ``phone`` (sent at or after ``after``)."""
    outbox = VAR_DIR / "sms_outbox.jsonl"
    for _ in range(150):  # up to 15 s: the action server may just have restarted
        if outbox.exists():
            for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
                entry = json.loads(line)
                if entry["phone"] == phone and _epoch(entry["time"]) >= int(after) - 1:
                    return re.search(r"\d{6}", entry["text"]).group(0)  # type: ignore[union-attr]
        time.sleep(0.1)
    raise AssertionError("no SMS in the outbox")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def login(sender: str, id_number: str, name: str, phone: str, first: str = "我有哪些证照") -> List[str]:
    """Log in through the login form; the replies of the four turns."""
    started = time.time()
    replies = [say(sender, first), say(sender, id_number), say(sender, name)]
    if "过于频繁" in replies[-1]:  # another test (or the browser test) got this ID a code < 1 min ago
        time.sleep(61)
        started = time.time()
        replies[-1] = say(sender, name)
    replies.append(say(sender, latest_code(phone, started)))
    return replies
