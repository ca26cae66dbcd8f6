"""Issue 4's figure: 1,000 applications submitted through the REST channel by 50 concurrent citizens.

Each application is one conversation of a demo citizen whose sender is bound to them directly in
the servers' database (logins are measured in the login section, and one ID may get only one
code a minute); 50 conversations run at any time, each worker starting the next when one ends.
A conversation applies for 公积金账户查询: start (button payload), 符合, 确认无误, the one
material (an upload through /webhooks/upload/file, or 承诺), 确认提交.
Afterwards the database must hold exactly the submitted applications, with unique numbers.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from datetime import datetime
from typing import Any, Dict, List, Optional

import aiohttp
from sqlalchemy import create_engine, text

from bench import load
from bench.identity_bench import percentiles
from bench.sections import Bot, Context
from govservice.db import ensure_schema
from govservice.identity import channel_sessions

APPLICATIONS, CONCURRENCY = 1000, 50
ITEM = "hpf_account_query"
START = "/apply_service" + json.dumps({"service": ITEM})
PNG = b"\x89PNG\r\n\x1a\n"


def bind_senders(database_url: str, count: int, label: str) -> List[str]:
    """Bind ``count`` new REST senders to distinct demo citizens; their sender ids."""
    ensure_schema(database_url)
    engine = create_engine(database_url)
    now = datetime.now()
    with engine.begin() as conn:
        # Citizens whose 居民身份证 is valid: an expired one sends them to renew it first.
        people = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT p.id_number FROM persons p JOIN certificates c ON c.holder_id = p.id_number "
            "WHERE c.type_name = '居民身份证' AND c.status = '有效' "
            "AND (c.valid_until IS NULL OR c.valid_until >= :today) ORDER BY p.id_number"
        ), {"today": now.date()}).all()]
        senders = [f"{label}-{uuid.uuid4().hex[:8]}" for _ in range(count)]
        for sender, person in zip(senders, people * (count // max(len(people), 1) + 1), strict=False):
            conn.execute(
                text("INSERT INTO bindings (channel, sender, person_id, created_at, last_seen) "
                     "VALUES ('rest', :s, :p, :t, :t)"),
                {"s": sender, "p": person, "t": now},
            )
            # The login is bound to the conversation's token, as after a real login over REST.
            token = secrets.token_urlsafe(channel_sessions.TOKEN_BYTES)
            conn.execute(
                text("INSERT INTO channel_sessions (channel, sender, token_hash, created_at, last_seen) "
                     "VALUES ('rest', :s, :h, :t, :t)"),
                {"s": sender, "h": channel_sessions.token_hash(token), "t": now},
            )
            load.SESSIONS[sender] = token
    engine.dispose()
    return senders


async def upload_material(session: aiohttp.ClientSession, url: str, sender: str) -> Optional[str]:
    """Upload a small PNG for ``sender`` through ``/webhooks/upload/file``; the message that hands it over."""
    form = aiohttp.FormData()
    form.add_field("sender", sender)
    form.add_field("session", load.SESSIONS.get(sender, ""))
    form.add_field("channel", "rest")
    form.add_field("file", PNG + uuid.uuid4().bytes, filename="scan.png", content_type="image/png")
    async with session.post(f"{url}/webhooks/upload/file", data=form) as resp:
        return (await resp.json()).get("message") if resp.status == 200 else None


async def _apply(session: aiohttp.ClientSession, url: str, sender: str, timeout: float) -> Dict[str, Any]:
    """One application from start to number; latencies of its turns and the outcome."""
    started, turns = time.perf_counter(), []  # type: float, List[float]
    reply = ""
    for message in (START, "符合", "确认无误"):
        turn = await load.post_turn(session, url, sender, message, len(turns), timeout)
        turns.append(turn.latency)
        reply = turn.text
    material: Optional[str] = "我承诺" if "回复“承诺”" in reply else await upload_material(session, url, sender)
    if material is None:
        return {"ok": False, "turns": turns, "seconds": time.perf_counter() - started, "reply": "upload failed"}
    for message in (material, "确认提交"):
        turn = await load.post_turn(session, url, sender, message, len(turns), timeout)
        turns.append(turn.latency)
        reply = turn.text or turn.outcome
    ok = "办件编号" in reply
    return {"ok": ok, "turns": turns, "seconds": time.perf_counter() - started, "reply": "" if ok else reply[:300]}


async def _run(url: str, senders: List[str], workers: int, timeout: float) -> List[Dict[str, Any]]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers * 2)) as session:

        async def worker(mine: List[str]) -> List[Dict[str, Any]]:
            return [await _apply(session, url, sender, timeout) for sender in mine]

        batches = await asyncio.gather(*(worker(senders[w::workers]) for w in range(workers)))
    return [r for batch in batches for r in batch]


def applications(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Submit the applications, time them, and check the database afterwards."""
    if bot.name != "ours":
        return {"skipped": "the stock pipeline has no application dialogue of its own; measured for ours"}
    assert ctx.servers is not None
    database_url = f"sqlite:///{ctx.work / f'run-{bot.name}' / 'govservice.db'}"
    total = ctx.scaled(APPLICATIONS, minimum=CONCURRENCY)
    senders = bind_senders(database_url, total, "bulk")
    started = time.perf_counter()
    runs = asyncio.run(_run(ctx.servers.url, senders, CONCURRENCY, ctx.timeout))
    wall = time.perf_counter() - started
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored, unique = conn.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT number) FROM applications WHERE sender LIKE 'bulk-%'")
        ).one()
    engine.dispose()
    submitted = sum(r["ok"] for r in runs)
    return {
        "attempted": len(runs),
        "submitted": submitted,
        "concurrency": CONCURRENCY,
        "wall_s": round(wall, 1),
        "applications_per_s": round(submitted / wall, 2) if wall else None,
        "application": percentiles([r["seconds"] for r in runs if r["ok"]]),
        "turn": percentiles([t for r in runs for t in r["turns"]]),
        "in_database": stored,
        "unique_numbers": unique,
        "verified": stored == submitted == unique == len(runs),
        "failed_replies": [r["reply"] for r in runs if not r["ok"]][:5],
    }
