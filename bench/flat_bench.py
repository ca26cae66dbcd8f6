"""Section 4c "flat": turn latency at turn 1,000 against turn 10, with the tracker store on Redis and on PostgreSQL.

Issue 14 item 3 wants turn 1,000 of a conversation within 1.5x of turn 10, within one long
session and across sessions, on both production stores. For each store the bot's servers are
started with an endpoints file under bench/ (the redacting wrapper with ``keep_events`` over
Redis or SQL PostgreSQL: bench/endpoints_redis.yml, bench/endpoints_postgresql.yml), and two
conversations of :data:`TURNS` turns are sent one after another: one session throughout, and one
that starts a new session every :data:`SESSION_TURNS` turns (``/session_start``, at the middle of
each block, away from the measured windows). Reported: the median latency of turns 1-20 ("turn
10"), 491-510 and 981-1,000 ("turn 1,000"), and their ratio; medians, as the machine is shared.
As the load of a shared machine drifts over the minutes between turn 10 and turn 1,000, the last
:data:`WINDOW` turns are also sent alternately with the first :data:`WINDOW` turns of a fresh
conversation (same messages), and that pair of medians is the "paired" ratio: both under one load.

Environment (besides bench/run.py's): ``BENCH_REDIS_HOST``/``BENCH_REDIS_PORT``/``BENCH_REDIS_DB``
(default localhost, 6379, 7), ``BENCH_TRACKER_DB_URL`` (default
postgresql://postgres@localhost:5432/flat_bench, created when missing), ``BENCH_KEEP_EVENTS``
(default: the tracker store's own default), ``BENCH_STAFF_PORT``/``BENCH_PORTAL_PORT`` (default
the Rasa port + 3 and + 4).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import uuid
from pathlib import Path
from typing import Any, Dict, List

import aiohttp

from bench import load
from bench.sections import GROWTH_MESSAGES, Bot, Context
from bench.servers import start_servers, stop_servers
from bench.tables import fmt, table
from bot.tracker_compaction import DEFAULT_KEEP_EVENTS

HERE = Path(__file__).resolve().parent
TURNS, SESSION_TURNS, WINDOW = 1000, 100, 20
TARGET_RATIO = 1.5
NEW_SESSION = "/session_start"
STORES = {"redis": HERE / "endpoints_redis.yml", "postgresql": HERE / "endpoints_postgresql.yml"}
DEFAULT_TRACKER_DB_URL = "postgresql://postgres@localhost:5432/flat_bench"


def session_messages() -> List[str]:
    """One block of :data:`SESSION_TURNS` messages: the growth messages, a new session in the middle."""
    block = [GROWTH_MESSAGES[i % len(GROWTH_MESSAGES)] for i in range(SESSION_TURNS)]
    block[SESSION_TURNS // 2] = NEW_SESSION
    return block


def windows(turns: int) -> List[range]:
    """0-based turn windows of :data:`WINDOW` turns: the first, the middle and the last."""
    width = min(WINDOW, max(1, turns // 3))
    middle = (turns - width) // 2
    return [range(0, width), range(middle, middle + width), range(turns - width, turns)]


def summarise(measured: List[load.Turn], messages: List[str]) -> Dict[str, Any]:
    """Median latency (ms) of each window, last/first, and the failed turns.

    A ``/session_start`` turn has no reply by design (the load client calls an empty reply busy):
    it is counted apart, never as a failure.
    """
    starts = [t for t in measured if messages[t.index % len(messages)] == NEW_SESSION]
    medians: Dict[str, Any] = {}
    for window in windows(len(measured)):
        ok = [t.latency for t in measured[window.start : window.stop] if t.outcome == "ok"]
        medians[f"{window.start + 1}-{window.stop}"] = round(statistics.median(ok) * 1000, 1) if ok else None
    first, last = list(medians.values())[0], list(medians.values())[-1]
    return {
        "median_ms": medians,
        "ratio_last_first": round(last / first, 2) if first and last else None,
        "error_count": sum(t.outcome != "ok" for t in measured) - sum(t.outcome == "busy" for t in starts),
        "new_sessions": len(starts),
    }


async def paired_run(url: str, messages: List[str], turns: int, timeout: float) -> Dict[str, List[load.Turn]]:
    """A long conversation whose last :data:`WINDOW` turns alternate with a fresh conversation's first ones."""
    async with aiohttp.ClientSession() as session:
        long_sender, fresh_sender = (f"flat-{uuid.uuid4().hex[:6]}" for _ in range(2))
        said = [messages[i % len(messages)] for i in range(turns)]
        measured: Dict[str, List[load.Turn]] = {"long": [], "fresh": []}
        for index in range(turns - WINDOW):
            measured["long"].append(await load.post_turn(session, url, long_sender, said[index], index, timeout))
        for offset in range(WINDOW):
            index = turns - WINDOW + offset
            measured["long"].append(await load.post_turn(session, url, long_sender, said[index], index, timeout))
            measured["fresh"].append(await load.post_turn(session, url, fresh_sender, said[offset], offset, timeout))
        return measured


def paired_ratio(long: List[load.Turn], fresh: List[load.Turn]) -> Dict[str, Any]:
    """Medians (ms) of the long conversation's last turns and the fresh one's first, sent alternately."""
    last = [t.latency for t in long[-WINDOW:] if t.outcome == "ok"]
    first = [t.latency for t in fresh if t.outcome == "ok"]
    if not last or not first:
        return {"fresh_first_ms": None, "long_last_ms": None, "ratio": None}
    first_ms, last_ms = statistics.median(first) * 1000, statistics.median(last) * 1000
    ratio = round(last_ms / first_ms, 2)
    return {"fresh_first_ms": round(first_ms, 1), "long_last_ms": round(last_ms, 1), "ratio": ratio}


def _ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it is missing."""
    import sqlalchemy

    target = sqlalchemy.engine.make_url(url)
    admin = sqlalchemy.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            query = sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :n")
            if conn.execute(query, {"n": target.database}).first() is None:
                conn.execute(sqlalchemy.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def _store_env(bot: Bot) -> Dict[str, str]:
    keep = os.environ.get("BENCH_KEEP_EVENTS", str(DEFAULT_KEEP_EVENTS))
    return {
        "BENCH_REDIS_HOST": os.environ.get("BENCH_REDIS_HOST", "localhost"),
        "BENCH_REDIS_PORT": os.environ.get("BENCH_REDIS_PORT", "6379"),
        "BENCH_REDIS_DB": os.environ.get("BENCH_REDIS_DB", "7"),
        "BENCH_TRACKER_DB_URL": os.environ.get("BENCH_TRACKER_DB_URL", DEFAULT_TRACKER_DB_URL),
        "BENCH_KEEP_EVENTS": keep,
        "STAFF_PORT": os.environ.get("BENCH_STAFF_PORT", str(bot.rasa_port + 3)),
        "PORTAL_PORT": os.environ.get("BENCH_PORTAL_PORT", str(bot.rasa_port + 4)),
    }


def flat(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Turn 1,000 against turn 10 on Redis and PostgreSQL, in one session and across sessions."""
    if bot.name != "ours":
        return {"skipped": "the bounded tracker store is ours; measured for ours"}
    turns = ctx.scaled(TURNS, minimum=3 * WINDOW)
    env = _store_env(bot)
    _ensure_database(env["BENCH_TRACKER_DB_URL"])
    result: Dict[str, Any] = {"turns": turns, "keep_events": int(env["BENCH_KEEP_EVENTS"]), "runs": {}}
    for store, endpoints in STORES.items():
        var_dir = ctx.work / f"flat-{store}"
        servers = start_servers(bot.model, var_dir, bot.rasa_port, bot.action_port,
                                extra_env={**env, "ENDPOINTS": str(endpoints)})
        try:
            modes = (("one session", GROWTH_MESSAGES), (f"new session every {SESSION_TURNS} turns", session_messages()))
            for mode, messages in modes:
                runs = asyncio.run(paired_run(servers.url, list(messages), turns, ctx.timeout))
                summary = summarise(runs["long"], list(messages))
                summary["paired"] = paired_ratio(runs["long"], runs["fresh"])
                result["runs"][f"{store}, {mode}"] = summary
        finally:
            stop_servers(servers)
    ratios = [run["paired"]["ratio"] for run in result["runs"].values()]
    result["target_met"] = all(r is not None and r <= TARGET_RATIO for r in ratios) if ratios else None
    return result


def render_flat(ctx: Context, bots: List[Bot]) -> List[str]:
    """One row per store and mode: the window medians and the ratio against the target."""
    result = ctx.results.get("flat", {}).get("ours") or {}
    if "error" in result or not result.get("runs"):
        return [f"Error — {result.get('error', 'not measured')}", ""]
    rows = []
    for label, run in result["runs"].items():
        medians = list((run.get("median_ms") or {}).values())
        ratio, failed = fmt(run.get("ratio_last_first"), 2), str(run.get("error_count"))
        paired = run.get("paired") or {}
        rows.append([label, *(fmt(m) for m in medians), ratio, fmt(paired.get("fresh_first_ms")),
                     fmt(paired.get("ratio"), 2), str(run.get("new_sessions", 0)), failed])
    first, middle, last = (f"turns {w.start + 1}-{w.stop} (ms)" for w in windows(int(result.get("turns") or TURNS)))
    verdict = "met" if result.get("target_met") else "**not met**"
    return [
        f"Ours only. One conversation of {result.get('turns')} turns per row over REST, cycling "
        f"{' / '.join(GROWTH_MESSAGES)}; the tracker store is the redacting wrapper with keep_events "
        f"{result.get('keep_events')} over Redis or SQL PostgreSQL (bench/endpoints_*.yml). Medians of "
        f"windows of {WINDOW} turns stand for turn 10 and turn 1,000. The last {WINDOW} turns alternate with the "
        f"first {WINDOW} of a fresh conversation, so one pair of medians shares the machine's load (it drifts "
        f"over the minutes of a run); target paired last / fresh first ≤ {TARGET_RATIO}: {verdict}.",
        "",
    ] + table(["store, sessions", first, middle, last, "last / first", "fresh turns 1-20, alternating (ms)",
               "paired last / fresh first", "new sessions", "failed turns"], rows)
