"""Sections for issues 5 and 6: the WeChat channel's latency, and FAQ retrieval accuracy and latency."""

from __future__ import annotations

from typing import Any, Dict, List

from bench.sections import Bot, Context
from bench.servers import BENCH_WECHAT_TOKEN
from bench.tables import table

WECHAT_TURNS, WECHAT_CONVERSATIONS = 200, 16


def wechat(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Signed WeChat XML to the running servers: median/p95 latency and the passive fraction."""
    from bench.wechat_bench import wechat_latency

    assert ctx.servers is not None
    turns = ctx.scaled(WECHAT_TURNS, minimum=2 * WECHAT_CONVERSATIONS)
    return wechat_latency(ctx.servers.url, turns, WECHAT_CONVERSATIONS, token=BENCH_WECHAT_TOKEN)


def faq(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Top-1/top-3 on the held-out paraphrases against a keyword baseline; latency at 1k and 10k entries."""
    if bot.name != "ours":
        return {"skipped": "the FAQ store is bot-independent; measured once"}
    from bench.faq_bench import faq_bench

    result = faq_bench()
    for name in ("retriever", "baseline"):
        result[name]["misses"] = len(result[name].get("misses", []))
    return result


def render_wechat(ctx: Context, bots: List[Bot]) -> List[str]:
    """WeChat channel latency per bot."""
    rows = []
    for bot in bots:
        r = ctx.results.get("wechat", {}).get(bot.name) or {}
        passive = r.get("passive_fraction")
        share = f"{passive:.3f}" if isinstance(passive, float) else "–"
        outcomes = str(r.get("outcomes", r.get("error", "–")))
        rows.append([bot.name, str(r.get("turns", "–")), str(r.get("p50_ms", "–")), str(r.get("p95_ms", "–")), share,
                     outcomes])
    return [
        f"Signed plain-mode XML (as WeChat's servers send it) to `/webhooks/wechat/webhook`, "
        f"{WECHAT_CONVERSATIONS} OpenIDs in parallel. A turn is answered passively when the reply is the "
        "bot's XML within the passive budget; otherwise the channel answers `success` and delivers later "
        "through the customer-service API.",
        "",
    ] + table(["bot", "turns", "p50 ms", "p95 ms", "answered passively", "outcomes"], rows)


def render_faq(ctx: Context, bots: List[Bot]) -> List[str]:
    """Retrieval accuracy against the keyword baseline, and latency by store size."""
    r = ctx.results.get("faq", {}).get("ours") or {}
    if "error" in r:
        return [f"Error — {r['error']}", ""]
    rows = [[name, str((r.get(name) or {}).get("top1", "–")), str((r.get(name) or {}).get("top3", "–"))]
            for name in ("retriever", "baseline")]
    lat = [[size, str(v.get("median_ms")), str(v.get("p95_ms")), str(v.get("first_query_ms")),
            str(v.get("first_query_after_edit_ms")), "yes" if v.get("edit_visible") else "no"]
           for size, v in (r.get("latency") or {}).items()]
    return (
        [f"{r.get('holdout', '–')} held-out paraphrases (`tests/faq/holdout_paraphrases.yml`, written apart from "
         f"the {r.get('entries', '–')} seed entries, never used to tune). Baseline: plain keyword match.", ""]
        + table(["ranker", "top-1", "top-3"], rows)
        + ["Retrieval latency by store size (synthetic extra entries):", ""]
        + table(["entries", "median ms", "p95 ms", "first query ms (index build)", "first query after an edit ms",
                 "edit visible"], lat)
    )
