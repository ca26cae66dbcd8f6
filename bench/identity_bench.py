"""Issue 3's figures: latency of the login turns over REST, and ID/credit-code validation throughput.

``login`` logs demo citizens in through the running servers, one conversation per citizen
(each ID may get one code a minute): 我有哪些证照 → ID number → name → the code read from the
server's SMS outbox. ``validation`` times python-stdnum through :mod:`govservice.identity.id_numbers`.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import aiohttp
import numpy as np

from bench import load
from bench.sections import Bot, Context

LOGIN_CITIZENS, LOGIN_CONCURRENCY = 40, 8
STEPS = ("ask", "id_number", "name", "code")
VALIDATION_ROUNDS = 20000
CODE_RE = re.compile(r"验证码为?(\d{6})")


def percentiles(values: List[float]) -> Dict[str, Any]:
    """Median and p95 in milliseconds of latencies in seconds."""
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    p50, p95 = np.percentile(values, [50, 95]) * 1000
    return {"n": len(values), "p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1)}


def demo_citizens(database_url: str, limit: int) -> List[Tuple[str, str, str]]:
    """(ID number, name, phone) of demo citizens in the servers' database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id_number, name, phone FROM persons WHERE phone IS NOT NULL ORDER BY id_number LIMIT :n"),
            {"n": limit},
        ).all()
    engine.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


async def sms_code(outbox: Path, phone: str, after: float, timeout: float = 10.0) -> str | None:
    """The newest code sent to ``phone`` after ``after`` (epoch seconds), polling the outbox."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if outbox.exists():
            for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
                entry = json.loads(line)
                match = CODE_RE.search(entry.get("text", ""))
                if entry.get("phone") == phone and match and _epoch(entry.get("time")) >= after - 1:
                    return match.group(1)
        await asyncio.sleep(0.05)
    return None


def _epoch(value: Any) -> float:
    """The outbox's ISO time as epoch seconds (0 when unreadable)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


async def _login(
    session: aiohttp.ClientSession, url: str, outbox: Path, citizen: Tuple[str, str, str], timeout: float
) -> Dict[str, Any]:
    id_number, name, phone = citizen
    sender, started = f"login-{uuid.uuid4().hex[:8]}", time.time()
    latencies: Dict[str, float] = {}
    for step, message in zip(STEPS[:3], ("我有哪些证照", id_number, name), strict=True):
        turn = await load.post_turn(session, url, sender, message, len(latencies), timeout)
        if turn.outcome != "ok":
            return {"ok": False, "failed_at": step, "latencies": latencies}
        latencies[step] = turn.latency
    code = await sms_code(outbox, phone, started)
    if code is None:
        return {"ok": False, "failed_at": "sms", "latencies": latencies}
    turn = await load.post_turn(session, url, sender, code, 3, timeout)
    latencies["code"] = turn.latency
    ok = turn.outcome == "ok" and "登录成功" in turn.text
    return {"ok": ok, "failed_at": None if ok else "code", "latencies": latencies}


async def _run_logins(url: str, outbox: Path, citizens: List[Tuple[str, str, str]], timeout: float) -> List[dict]:
    gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

    async def one(citizen: Tuple[str, str, str]) -> Dict[str, Any]:
        async with gate:
            return await _login(session, url, outbox, citizen, timeout)

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(one(c) for c in citizens))


def login(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Median and p95 latency of each login turn, over demo citizens logging in concurrently."""
    assert ctx.servers is not None
    var_dir = ctx.work / f"run-{bot.name}"
    citizens = demo_citizens(f"sqlite:///{var_dir / 'govservice.db'}", ctx.scaled(LOGIN_CITIZENS, minimum=3))
    runs = asyncio.run(_run_logins(ctx.servers.url, var_dir / "sms_outbox.jsonl", citizens, ctx.timeout))
    result: Dict[str, Any] = {"citizens": len(runs), "concurrency": LOGIN_CONCURRENCY}
    result["logged_in"] = sum(r["ok"] for r in runs)
    failures: Dict[str, int] = {}
    for run in runs:
        if run["failed_at"]:
            failures[run["failed_at"]] = failures.get(run["failed_at"], 0) + 1
    result["failures"] = failures
    for step in STEPS:
        result[step] = percentiles([r["latencies"][step] for r in runs if step in r["latencies"]])
    result["all_turns"] = percentiles([v for r in runs for v in r["latencies"].values()])
    return result


def _rate(function: Any, values: List[str], rounds: int) -> Dict[str, Any]:
    """Calls per second of ``function`` over ``values`` cycled ``rounds`` times (exceptions count)."""
    started = time.perf_counter()
    for i in range(rounds):
        try:
            function(values[i % len(values)])
        except ValueError:
            pass
    seconds = time.perf_counter() - started
    return {"calls": rounds, "per_s": round(rounds / seconds), "us_per_call": round(seconds / rounds * 1e6, 2)}


def validation(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """python-stdnum throughput: raw library calls and our normalizers (with Chinese errors)."""
    if bot.name != "ours":
        return {"skipped": "bot-independent; measured once"}
    from stdnum.cn import ric, uscc

    from govservice.identity.id_numbers import normalize_citizen_id, normalize_credit_code
    from govservice.settings import database_url

    assert ctx.catalog is not None  # loading it seeds the demo citizens into this run's database
    ids = [c[0] for c in demo_citizens(database_url(), 50)]
    ids += vector_inputs("resident_id")
    codes = ["91350100M000100Y43", *vector_inputs("uscc")]
    rounds = ctx.scaled(VALIDATION_ROUNDS, minimum=1000)
    timings = {
        "stdnum_ric_validate": _rate(ric.validate, ids, rounds),
        "normalize_citizen_id": _rate(normalize_citizen_id, ids, rounds),
        "stdnum_uscc_validate": _rate(uscc.validate, codes, rounds),
        "normalize_credit_code": _rate(normalize_credit_code, codes, rounds),
    }
    timings["inputs"] = {"id_numbers": len(ids), "credit_codes": len(codes)}
    timings["median_of"] = statistics.median([t["per_s"] for k, t in timings.items() if k != "inputs"])
    return timings


def vector_inputs(kind: str) -> List[str]:
    """Inputs of the ``validate`` cases in tests/govservice/identity/id_vectors.json (valid and invalid)."""
    path = Path(__file__).resolve().parents[1] / "tests" / "govservice" / "identity" / "id_vectors.json"
    cases = json.loads(path.read_text(encoding="utf-8")).get(kind, {}).get("python_stdnum_cases", [])
    return [c["input"] for c in cases if c.get("call") == "validate" and isinstance(c.get("input"), str)]
