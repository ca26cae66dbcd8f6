"""The checks after a load level: turns stored in order, applications exactly once, no 5xx.

The pure parts (:func:`order_check`, :func:`exactly_once`, :func:`server_errors`) decide; the
fetchers read the stored trackers through Rasa's HTTP API and the applications from the database.
A tracker stores a message typed at a login prompt hidden and every other message through
:func:`govservice.identity.masking.redact_text` (``bot/tracker_store.py``), so that is what is expected
(or hidden, where the bot's reply had opened a login prompt the client did not plan).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Iterable, List, Sequence, Tuple

import aiohttp
from sqlalchemy import bindparam, create_engine, text

from bench.load_run import Sent
from bot.tracker_store import HIDDEN
from govservice.identity.masking import redact_text
from govservice.settings.rasa import conversation_path

FETCH_CONCURRENCY = 8
EXAMPLES = 3
"""Conversations that failed the order check kept in the results, to show how."""


def stored_form(sent: str, private: bool) -> str:
    """What the redacting tracker store keeps of a message the client sent."""
    return HIDDEN if private else redact_text(sent)


def stored_forms(sent: str, private: bool) -> Tuple[str, ...]:
    """Every form the store may keep: hidden, or masked; a login answer never verbatim.

    A login answer is masked instead of hidden when the prompt before it was never processed
    (that turn timed out), so no login form was asking: an ID number then goes through
    ``redact_text`` like any other message.
    """
    masked = redact_text(sent)
    return (HIDDEN,) if private and masked == sent else (HIDDEN, masked)


def user_texts(tracker: Dict[str, Any]) -> List[str]:
    """The texts of the user messages of a tracker as Rasa's HTTP API returns it, in order."""
    return [str(e.get("text") or "") for e in tracker.get("events") or [] if e.get("event") == "user"]


def order_check(sent: Sequence[Tuple[str, bool, bool]], stored: Sequence[str]) -> Dict[str, Any]:
    """Whether a conversation's tracker holds every answered turn, in the order it was sent.

    A turn that failed at the client (busy, timeout) may be missing; nothing else may be, and the
    tracker may hold nothing that was not sent. Any message may be stored hidden: the store hides
    whatever is typed while the bot asks for personal data, and a citizen's question can start
    such a prompt (e.g. one the bot reads as a company login).

    Args:
        sent: (text, private, answered) per turn, in sending order.
        stored: the tracker's user message texts, in order.

    Returns:
        ``ok`` and the counts of ``missing`` answered turns and ``unexpected`` stored messages.
    """
    position, missing = 0, 0
    for message, private, answered in sent:
        if position < len(stored) and stored[position] in stored_forms(message, private):
            position += 1
        elif answered:
            missing += 1
    unexpected = len(stored) - position
    return {"ok": missing == 0 and unexpected == 0, "missing": missing, "unexpected": unexpected}


def by_conversation(sent: Iterable[Sent]) -> Dict[str, List[Tuple[str, bool, bool]]]:
    """Turns grouped by sender id, in sending order."""
    grouped: Dict[str, List[Tuple[str, bool, bool]]] = {}
    for turn in sent:
        grouped.setdefault(turn.sender, []).append((turn.text, turn.private, turn.outcome == "ok"))
    return grouped


def server_errors(sent: Iterable[Sent]) -> int:
    """Turns answered with an HTTP 5xx status."""
    return sum(1 for turn in sent if turn.outcome.startswith("http_5"))


def upstream_errors(access_log_lines: Iterable[str]) -> int:
    """Requests an upstream answered 5xx (or nginx could not reach), from nginx's ``upstream`` log format.

    The door answers the citizen a busy reply instead (HTTP 200), so the client does not see them.
    A line ends ``... "<request>" <status> <upstream_addr...> <upstream_status...> <request_time>``.
    """
    count = 0
    for line in access_log_lines:
        _, quote_mark, rest = line.rpartition('"')
        fields = rest.replace(",", " ").replace(":", " ").split() if quote_mark else []
        statuses = [f for f in fields[1:-1] if len(f) == 3 and f.isdigit()]
        count += any(status.startswith("5") for status in statuses)
    return count


def exactly_once(numbers: Sequence[str], stored: Dict[str, int], per_sender: Dict[str, int]) -> Dict[str, Any]:
    """Whether every application number a reply gave exists exactly once, one application per sender.

    Args:
        numbers: the numbers the replies gave.
        stored: rows in the database per number (numbers not found are absent).
        per_sender: applications in the database per applying sender (every applying sender).

    Returns:
        The counts, and ``ok`` when each number is stored once and no sender has two.
    """
    missing = [n for n in numbers if stored.get(n, 0) == 0]
    repeated = [n for n in set(numbers) if stored.get(n, 0) > 1 or numbers.count(n) > 1]
    doubled = [s for s, count in per_sender.items() if count > 1]
    return {
        "ok": not missing and not repeated and not doubled,
        "numbers": len(numbers),
        "missing": len(missing),
        "repeated": len(repeated),
        "senders_with_two": len(doubled),
        "in_database": sum(per_sender.values()),
    }


async def fetch_trackers(url: str, token: str, senders: Sequence[str], timeout: float = 30.0) -> Dict[str, Any]:
    """Each sender's tracker (all events) from Rasa's HTTP API; None where it could not be read."""
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(session: aiohttp.ClientSession, sender: str) -> Tuple[str, Any]:
        async with gate:
            try:
                async with session.get(
                    url + conversation_path(sender, "tracker"),
                    params={"token": token, "include_events": "ALL"},
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as resp:
                    return sender, (await resp.json() if resp.status == 200 else None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                return sender, None

    async with aiohttp.ClientSession() as session:
        return dict(await asyncio.gather(*(one(session, s) for s in senders)))


def tracker_report(sent: Sequence[Sent], trackers: Dict[str, Any]) -> Dict[str, Any]:
    """The order check over every conversation of a level."""
    results: Dict[str, Any] = {"conversations": 0, "in_order": 0, "unreadable": 0, "missing_turns": 0,
                               "unexpected": 0}
    examples: List[Dict[str, Any]] = []
    for sender, turns in by_conversation(sent).items():
        results["conversations"] += 1
        tracker = trackers.get(sender)
        if tracker is None:
            results["unreadable"] += 1
            continue
        check = order_check(turns, user_texts(tracker))
        if not check["ok"] and len(examples) < EXAMPLES:
            examples.append({"sender": sender, "sent": [stored_form(t, p) for t, p, _ in turns],
                             "answered": [a for _, _, a in turns], "stored": user_texts(tracker)})
        results["in_order"] += int(check["ok"])
        results["missing_turns"] += check["missing"]
        results["unexpected"] += check["unexpected"]
    results["ok"] = results["in_order"] == results["conversations"]
    results["examples"] = examples
    return results


def application_rows(database_url: str, numbers: Sequence[str], senders: Sequence[str]) -> Tuple[Dict, Dict]:
    """Rows per application number and applications per sender, from the configuration's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = dict(conn.execute(
                text("SELECT number, COUNT(*) FROM applications WHERE number IN :n GROUP BY number")
                .bindparams(bindparam("n", expanding=True)),
                {"n": list(numbers) or [""]},
            ).all())
            per_sender = {s: 0 for s in senders}
            per_sender.update(conn.execute(
                text("SELECT sender, COUNT(*) FROM applications WHERE sender IN :s GROUP BY sender")
                .bindparams(bindparam("s", expanding=True)),
                {"s": list(senders) or [""]},
            ).all())
    finally:
        engine.dispose()
    return stored, per_sender
