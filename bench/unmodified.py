"""The stock pipeline on Rasa as shipped: no runtime patches, Rasa's own channel and tracker store.

The stock bot of the other sections runs on our server set-up, whose patches (overrides/hot_paths.py)
take work off it too. This section measures the same stock model once more on an unmodified Rasa
3.6 runtime (bench/unmodified/), the set-up the issue's "about 50 turns/s" describes, at 32
conversations. It runs for the stock bot only and does not change the verdict.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any, Dict, List

from bench import load
from bench.sections import CONCURRENCY_TURNS, SCENARIOS, Bot, Context
from bench.servers import ROOT, start_servers, stop_servers
from bench.tables import fmt, get, ratio, table

HERE = ROOT / "bench" / "unmodified"
CONCURRENCY = 32
PORT_OFFSET = 10  # beside the bench's own ports; the bench runs one bot's servers at a time


def unmodified_runtime(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Turns/s of the stock model on unmodified Rasa at 32 conversations, per scenario."""
    if bot.name != "stock":
        return {"skipped": "measured for the stock model only"}
    var_dir = ctx.work / "run-stock-unmodified"
    shutil.rmtree(var_dir, ignore_errors=True)
    # RASA_OVERRIDES=off: none of overrides/ is installed (Rasa's own hot paths and log records).
    extra = {
        "ENDPOINTS": str(HERE / "endpoints.yml"),
        "CREDENTIALS": str(HERE / "credentials.yml"),
        "RASA_OVERRIDES": "off",
    }
    ports = bot.rasa_port + PORT_OFFSET, bot.action_port + PORT_OFFSET
    servers = start_servers(bot.model, var_dir, *ports, extra_env=extra)
    result: Dict[str, Any] = {}
    try:
        for scenario, messages in SCENARIOS:
            turns = ctx.scaled(CONCURRENCY_TURNS[CONCURRENCY], minimum=2 * CONCURRENCY)
            label = f"unmodified-{scenario}"
            run = load.run_load(servers.url, messages, CONCURRENCY, turns, ctx.warmup, ctx.timeout, label)
            outcome = asyncio.run(run)
            result[f"{scenario}@{CONCURRENCY}"] = outcome.summary()
    finally:
        stop_servers(servers)
    return result


def render_unmodified(ctx: Context, bots: List[Bot]) -> List[str]:
    """Ours against the stock model on both runtimes, turns/s at 32 conversations."""
    rows = []
    for scenario, _ in SCENARIOS:
        key = f"{scenario}@{CONCURRENCY}"
        ours = (get(ctx, "throughput", "ours", key) or {}).get("turns_per_s")
        stock = (get(ctx, "throughput", "stock", key) or {}).get("turns_per_s")
        shipped = get(ctx, "unmodified", "stock", key) or {}
        rows.append(
            [
                scenario,
                fmt(ours, 2),
                fmt(stock, 2),
                fmt(shipped.get("turns_per_s"), 2),
                fmt(ratio(ours, stock), 2),
                fmt(ratio(ours, shipped.get("turns_per_s")), 2),
                f"{shipped.get('error_count', '–')} of {shipped.get('turns', '–')}",
            ]
        )
    headers = [
        "scenario (32 conv.)",
        "ours turns/s",
        "stock on our runtime",
        "stock on unmodified Rasa",
        "ours / stock (our runtime)",
        "ours / stock (unmodified Rasa)",
        "errors unmodified",
    ]
    return [
        "The same stock model on Rasa as shipped (Rasa's `rest` channel and in-memory tracker store, "
        "none of overrides/hot_paths.py; bench/unmodified/), measured in the same run with the same "
        "load. The verdict above uses the stricter column, stock on our runtime.",
        "",
    ] + table(headers, rows)
