"""Markdown for the sections added after the foundation: login turns and identifier validation."""

from __future__ import annotations

from typing import List

from bench.identity_bench import STEPS
from bench.sections import Bot, Context
from bench.tables import Row, get, side_by_side, table

STEP_LABELS = {
    "ask": "我有哪些证照 → asks for the ID number",
    "id_number": "ID number → asks for the name",
    "name": "name → code sent (SMS outbox)",
    "code": "code → logged in, certificates listed",
    "all_turns": "all login turns",
}


def render_login(ctx: Context, bots: List[Bot]) -> List[str]:
    """Median and p95 per login turn, demo citizens logging in concurrently."""
    rows: List[Row] = []
    for step in (*STEPS, "all_turns"):
        label = STEP_LABELS[step]
        rows.append((f"{label}: p50 (ms)", (step, "p50_ms"), "ratio"))
        rows.append((f"{label}: p95 (ms)", (step, "p95_ms"), "ratio"))
    rows += [("citizens", ("citizens",), ""), ("logged in", ("logged_in",), ""), ("concurrent", ("concurrency",), "")]
    lines = [
        "Each demo citizen logs in on its own conversation over REST: 我有哪些证照 → ID number → name → "
        "the 6-digit code read from the servers' `sms_outbox.jsonl`; the last turn checks the code, binds "
        "the sender and resumes the certificate query.",
        "",
    ]
    failures = {b.name: get(ctx, "login", b.name, "failures") for b in bots}
    notes = [f"{name}: failed logins by step {f}" for name, f in failures.items() if f]
    return lines + side_by_side(ctx, bots, "login", rows) + notes + ([""] if notes else [])


def render_validation(ctx: Context, bots: List[Bot]) -> List[str]:
    """python-stdnum calls per second, raw and through govservice.identity.id_numbers."""
    result = ctx.results.get("validation", {}).get("ours") or {}
    if "error" in result:
        return [f"Error — {result['error']}", ""]
    rows = []
    for key, label in (
        ("stdnum_ric_validate", "`stdnum.cn.ric.validate` (citizen ID)"),
        ("normalize_citizen_id", "`govservice.identity.id_numbers.normalize_citizen_id` (with Chinese errors)"),
        ("stdnum_uscc_validate", "`stdnum.cn.uscc.validate` (credit code)"),
        ("normalize_credit_code", "`govservice.identity.id_numbers.normalize_credit_code`"),
    ):
        timing = result.get(key) or {}
        rows.append([label, str(timing.get("per_s", "–")), str(timing.get("us_per_call", "–"))])
    inputs = result.get("inputs", {})
    return [
        f"Single process, one core; inputs cycled: {inputs.get('id_numbers', '–')} ID numbers (demo citizens "
        f"and the invalid vectors of `tests/govservice/identity/id_vectors.json`), {inputs.get('credit_codes', '–')} "
        "credit codes. Invalid inputs raise and are counted too.",
        "",
    ] + table(["function", "calls/s", "µs per call"], rows)


def render_applications(ctx: Context, bots: List[Bot]) -> List[str]:
    """Throughput and latency of whole applications, and the database check."""
    result = ctx.results.get("applications", {}).get("ours") or {}
    if "error" in result:
        return [f"Error — {result['error']}", ""]
    application, turn = result.get("application", {}), result.get("turn", {})
    rows = [
        ["applications attempted / submitted", f"{result.get('attempted')} / {result.get('submitted')}"],
        ["concurrent conversations", str(result.get("concurrency"))],
        ["wall time (s)", str(result.get("wall_s"))],
        ["applications per second", str(result.get("applications_per_s"))],
        ["one application, start to number: p50 / p95 (ms)",
         f"{application.get('p50_ms')} / {application.get('p95_ms')}"],
        ["one turn: p50 / p95 (ms)", f"{turn.get('p50_ms')} / {turn.get('p95_ms')}"],
        ["in the database / unique numbers", f"{result.get('in_database')} / {result.get('unique_numbers')}"],
        ["all submitted, stored once, numbered uniquely", "yes" if result.get("verified") else "**no**"],
    ]
    return [
        "Ours only. One conversation per application, 50 at any time, over REST; each sender is bound to a "
        "demo citizen directly in the database (logins are section 5). Each applies for 公积金账户查询: "
        "start, 符合, 确认无误, the one material (upload through `/webhooks/upload/file`, or 承诺), 确认提交.",
        "",
    ] + table(["", "ours"], rows)
