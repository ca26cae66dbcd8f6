"""Markdown tables for the report: one renderer per benchmark section, ours and stock side by side."""

from __future__ import annotations

from typing import Any, List, Tuple

from bench.sections import CONCURRENCY_TURNS, GROWTH_MESSAGES, SCENARIOS, Bot, Context

DASH = "–"
Row = Tuple[str, Tuple[str, ...], str]
"""A side-by-side row: label, path into a bot's result, and "ratio", "diff" or ""."""


def get(ctx: Context, section: str, bot: str, *path: str) -> Any:
    """A nested value of ``ctx.results[section][bot]``, or None."""
    value: Any = ctx.results.get(section, {}).get(bot)
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def fmt(value: Any, digits: int = 1) -> str:
    """Numbers rounded, None as a dash, booleans as yes/no."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ratio(a: Any, b: Any) -> float | None:
    """A / b when both are positive numbers."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
        return round(a / b, 2)
    return None


def table(headers: List[str], rows: List[List[str]]) -> List[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def side_by_side(
    ctx: Context, bots: List[Bot], section: str, rows: List[Row]
) -> List[str]:
    """One row per metric: a value per bot and ours/stock ("ratio"), ours - stock ("diff") or nothing."""
    names = [b.name for b in bots]
    out = []
    for label, path, compare in rows:
        values = [get(ctx, section, n, *path) for n in names]
        ours, stock = get(ctx, section, "ours", *path), get(ctx, section, "stock", *path)
        extra = DASH
        if compare == "ratio":
            extra = fmt(ratio(ours, stock), 2)
        elif compare == "diff" and isinstance(ours, (int, float)) and isinstance(stock, (int, float)):
            extra = f"{ours - stock:+.3f}"
        out.append([label, *[fmt(v, 3 if compare == "diff" else 1) for v in values], extra])
    errors = [f"{n}: {get(ctx, section, n, 'error')}" for n in names if get(ctx, section, n, "error")]
    return (
        table(["", *names, "ours/stock" if any(r[2] == "ratio" for r in rows) else "ours − stock"], out)
        + [f"Error — {e}" for e in errors]
        + ([""] if errors else [])
    )


def render_training(ctx: Context, bots: List[Bot]) -> List[str]:
    """Training wall time, from an empty Rasa cache."""
    return [
        "`rasa train` wall time from an empty training cache (includes Rasa's start-up).",
        "",
    ] + side_by_side(
        ctx,
        bots,
        "training",
        [
            ("training (s)", ("seconds",), "ratio"),
            ("catalog export before it (s)", ("export_s",), ""),
            ("model archive (MB)", ("model_mb",), "ratio"),
            ("DIET/TED epochs", ("epochs",), ""),
            ("TEDPolicy skipped (no story data)", ("ted_skipped",), ""),
        ],
    )


def render_nlu(ctx: Context, bots: List[Bot]) -> List[str]:
    """Macro-F1 and service accuracy on tests/nlu/holdout.yml."""
    return side_by_side(
        ctx,
        bots,
        "nlu",
        [
            ("intent macro-F1", ("macro_f1",), "diff"),
            ("service identification accuracy", ("service_accuracy",), "diff"),
            ("held-out examples", ("examples",), ""),
            ("examples naming a service", ("service_examples",), ""),
            ("misclassified intents", ("misclassified",), ""),
        ],
    )


def render_probe(ctx: Context, bots: List[Bot]) -> List[str]:
    """Whether each scenario's message got the expected kind of reply before the load."""
    rows = []
    for bot in bots:
        for message, result in (ctx.results.get("probe", {}).get(bot.name) or {}).items():
            if isinstance(result, dict):
                reply = str(result.get("reply", "")).replace("\n", " ").replace("|", "/")[:60]
                rows.append([bot.name, message, result["outcome"], fmt(result["as_expected"]), reply])
            else:
                rows.append([bot.name, message, str(result), DASH, DASH])
    return table(["bot", "message", "outcome", "as expected", "reply (start)"], rows)


def render_throughput(ctx: Context, bots: List[Bot]) -> List[str]:
    """Latency percentiles and turns/s per scenario and concurrency."""
    rows = []
    for scenario, messages in SCENARIOS:
        for concurrency in CONCURRENCY_TURNS:
            key = f"{scenario}@{concurrency}"
            cell = {b.name: get(ctx, "throughput", b.name, key) or {} for b in bots}
            row = [f"{scenario} ({' / '.join(messages)})", str(concurrency)]
            row += [" / ".join(fmt(c.get(p)) for p in ("p50_ms", "p95_ms", "p99_ms")) for c in cell.values()]
            row += [fmt(c.get("turns_per_s"), 2) for c in cell.values()]
            row.append(
                fmt(
                    ratio(cell.get("ours", {}).get("turns_per_s"), cell.get("stock", {}).get("turns_per_s")),
                    2,
                )
            )
            row.append(" / ".join(f"{c.get('error_count', DASH)} of {c.get('turns', DASH)}" for c in cell.values()))
            rows.append(row)
    names = [b.name for b in bots]
    headers = [
        "scenario",
        "conv.",
        *[f"{n} p50/p95/p99 ms" for n in names],
        *[f"{n} turns/s" for n in names],
        "ours/stock turns/s",
        "errors " + " / ".join(names),
    ]
    return [
        "Latencies over successful turns; errors = HTTP errors, timeouts and 'busy' replies.",
        "",
    ] + table(headers, rows)


def render_growth(ctx: Context, bots: List[Bot]) -> List[str]:
    """Median latency at the start, middle and end of one long conversation."""
    windows = next(
        (list(get(ctx, "growth", b.name, "median_ms") or {}) for b in bots if get(ctx, "growth", b.name, "median_ms")),
        [],
    )
    rows: List[Row] = [(f"median ms, turns {w}", ("median_ms", w), "ratio") for w in windows]
    rows += [("last / first", ("ratio_last_first",), "ratio"), ("errors", ("error_count",), "")]
    return [f"Messages cycled: {' / '.join(GROWTH_MESSAGES)}.", ""] + side_by_side(ctx, bots, "growth", rows)


def render_memory(ctx: Context, bots: List[Bot]) -> List[str]:
    """VmHWM of both server processes, read just before shutdown."""
    return side_by_side(
        ctx,
        bots,
        "memory",
        [
            ("Rasa server peak RSS (MB)", ("rasa", "peak_rss_mb"), "ratio"),
            ("action server peak RSS (MB)", ("actions", "peak_rss_mb"), "ratio"),
            ("both (MB)", ("total_peak_rss_mb",), "ratio"),
        ],
    )
