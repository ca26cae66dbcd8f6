"""`make bench`: our pipeline against Rasa's stock Chinese pipeline, side by side, in one run.

Sections are functions registered in ``SECTIONS``; each runs once per bot and has a renderer
in bench/report.py. Offline sections (training, NLU accuracy) run first for every bot; then,
one bot at a time, the servers are started with scripts/run.sh and the server sections run
in list order (memory last, read just before shutdown). A failing section is recorded as an
error in the results and the run goes on; servers are always stopped.

Environment:
    BENCH_SCALE: multiplies the turn counts (default 1; e.g. 0.05 for a quick trial).
    BENCH_STOCK_EPOCHS: DIET/TED epochs of the stock bot (default 100; lower only for a trial).
    BENCH_TIMEOUT: seconds per webhook request (default 30).
    BENCH_TRAIN_TIMEOUT: seconds per training (default 7200).
    BENCH_START_RETRIES: extra attempts to start a bot's servers (default 2).
    BENCH_RASA_PORT, BENCH_ACTION_PORT: server ports (default 5205 and 5255).
    BENCH_BOTS: comma-separated subset of ``ours,stock``.
    BENCH_SECTIONS: comma-separated subset of the section keys; without ``training`` the
        models already in var/bench/models are used.
    BENCH_RENDER_ONLY: 1 to measure nothing and write bench/REPORT.md again from the committed
        bench/results.json (after a change to the report's wording or tables).

A full run (scale 1, 100 epochs, every bot and section) writes bench/REPORT.md and
bench/results.json; any other run writes var/bench/REPORT.trial.md and results.trial.json.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

from bench import (
    applications_bench,
    channel_sections,
    dashboard_bench,
    eval_bench,
    flat_bench,
    identity_bench,
    prod_bench,
    prod_tables,
    report,
    retrieval_bench,
    sections,
    tables,
    tables_extra,
    unmodified,
)
from bench.sections import Bot, Context
from bench.servers import ROOT, action_endpoint_warning, server_env, start_servers, stop_servers

WORK = ROOT / "var" / "bench"
STOCK_CONFIG = Path(__file__).resolve().parent / "stock_config.yml"
DEFAULT_EPOCHS = 100


@dataclass(frozen=True)
class Section:
    """A measurement, run once per bot, and how to render it for the report."""

    key: str
    title: str
    run: Callable[[Context, Bot], Dict[str, Any]]
    render: Callable[[Context, List[Bot]], List[str]]
    needs_server: bool = False


SECTIONS: List[Section] = [
    Section("training", "1. Training time", sections.training, tables.render_training),
    Section("nlu", "2. Held-out NLU accuracy", sections.nlu, tables.render_nlu),
    Section("probe", "Reply check", sections.probe, tables.render_probe, needs_server=True),
    Section("throughput", "3. REST latency and throughput", sections.throughput, tables.render_throughput, True),
    Section("unmodified", "3b. Stock model on unmodified Rasa", unmodified.unmodified_runtime,
            unmodified.render_unmodified),
    Section("growth", "4. Latency growth in one conversation", sections.growth, tables.render_growth, True),
    # Starts its own servers (Redis, then PostgreSQL tracker store), so it is not a server section.
    Section("flat", "4c. Flat cost: turn 1,000 against turn 10 on Redis and PostgreSQL", flat_bench.flat,
            flat_bench.render_flat),
    Section("login", "5. Login turns (一号)", identity_bench.login, tables_extra.render_login, needs_server=True),
    Section("validation", "6. ID/credit-code validation", identity_bench.validation, tables_extra.render_validation),
    Section("applications", "7. 1,000 applications (一窗)", applications_bench.applications,
            tables_extra.render_applications, needs_server=True),
    Section("wechat", "8. WeChat channel (一网)", channel_sections.wechat, channel_sections.render_wechat, True),
    Section("faq", "9. FAQ retrieval", channel_sections.faq, channel_sections.render_faq),
    Section("retrieval", "11. Item identification at 2,500 items", retrieval_bench.section, retrieval_bench.render),
    Section("eval", "12. 一窗: the evaluation set through the assistant (issue 13)", eval_bench.evaluate,
            eval_bench.render_eval, needs_server=True),
    Section("prod", "13. Production profile under load (issue 14)", prod_bench.section, prod_tables.render),
    Section("dashboard", "14. Dashboard queries at 10,000 and 100,000 conversations (issue 15)",
            dashboard_bench.section, dashboard_bench.render),
    # Keep last: peak RSS is read just before the servers are stopped.
    Section("memory", "10. Peak memory", sections.memory, tables.render_memory, needs_server=True),
]


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        sys.exit(f"{name} must be a number, not {raw!r}")


def stock_config(epochs: int) -> Path:
    """bench/stock_config.yml, or a copy under var/bench/ with other DIET/TED epochs."""
    if epochs == DEFAULT_EPOCHS:
        return STOCK_CONFIG
    text = STOCK_CONFIG.read_text(encoding="utf-8")
    patched = WORK / "stock_config.patched.yml"
    patched.write_text(text.replace(f"epochs: {DEFAULT_EPOCHS}", f"epochs: {epochs}"), encoding="utf-8")
    return patched


def make_bots(stock_epochs: int) -> List[Bot]:
    """Both bots, trained into var/bench/models; the same two ports for each bot, one at a time."""
    models = WORK / "models"
    models.mkdir(parents=True, exist_ok=True)
    ports = int(_env_number("BENCH_RASA_PORT", 5205)), int(_env_number("BENCH_ACTION_PORT", 5255))
    return [
        Bot("ours", ROOT / "config.yml", models / "ours.tar.gz", *ports),
        Bot("stock", stock_config(stock_epochs), models / "stock.tar.gz", *ports, epochs=stock_epochs),
    ]


def _select(env: str, names: List[str]) -> List[str]:
    wanted = [n.strip() for n in os.environ.get(env, "").split(",") if n.strip()]
    unknown = set(wanted) - set(names)
    if unknown:
        sys.exit(f"{env}: unknown {sorted(unknown)}; choose from {names}")
    return [n for n in names if not wanted or n in wanted]


def run_section(ctx: Context, section: Section, bot: Bot) -> None:
    """Run one section for one bot; an exception becomes an ``error`` entry, not a crash."""
    print(f"[bench] {bot.name}: {section.title}", flush=True)
    try:
        result = section.run(ctx, bot)
    except Exception as exc:  # keep measuring the rest; the report shows the error
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
        ctx.notes.append(f"{bot.name}: section {section.key} failed: {result['error'][:300]}")
    ctx.results.setdefault(section.key, {})[bot.name] = result


def run_server_sections(ctx: Context, chosen: List[Section], bot: Bot) -> None:
    """Start ``bot``'s servers, run the server sections against them, always stop them."""
    var_dir = WORK / f"run-{bot.name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    env = server_env(bot.model, var_dir, bot.rasa_port, bot.action_port)
    warning = action_endpoint_warning(env, bot.action_port)
    if warning and warning not in ctx.notes:
        ctx.notes.append(warning)
    print(f"[bench] {bot.name}: starting servers on {bot.rasa_port}/{bot.action_port}", flush=True)
    attempts, message = 1 + int(_env_number("BENCH_START_RETRIES", 2)), ""
    for attempt in range(1, attempts + 1):
        try:
            ctx.servers = start_servers(bot.model, var_dir, bot.rasa_port, bot.action_port)
            break
        except Exception as exc:  # run.sh gives the Rasa server 180 s, which a busy machine can miss
            message = f"servers did not start (attempt {attempt} of {attempts}): {exc}"[:2000]
            print(f"[bench] {bot.name}: {message}", flush=True)
    else:
        ctx.notes.append(f"{bot.name}: {message[:300]}")
        for section in chosen:
            ctx.results.setdefault(section.key, {})[bot.name] = {"error": message}
        return
    try:
        for section in chosen:
            run_section(ctx, section, bot)
    finally:
        stop_servers(ctx.servers)
        ctx.servers = None


def _quiet_logs() -> None:
    """Keep in-process model loading (NLU scoring) from printing a debug line per parsed message."""
    import structlog

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def render_only() -> int:
    """Write bench/REPORT.md again from bench/results.json; the numbers are not re-measured."""
    out_dir = Path(__file__).resolve().parent
    json_path = out_dir / "results.json"
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    meta = payload["meta"]
    ctx = Context(work=WORK, scale=meta["scale"], results=payload["results"], notes=payload["notes"])
    bots = make_bots(meta["stock_epochs"])
    renderers = [(s.key, s.title, s.render) for s in SECTIONS]
    report.write(ctx, bots, renderers, meta, out_dir / "REPORT.md", json_path, full=True)
    print("[bench] re-rendered bench/REPORT.md from bench/results.json", flush=True)
    return 0


def main() -> int:
    """Run every selected section for every selected bot and write the report and results."""
    if os.environ.get("BENCH_RENDER_ONLY") == "1":
        return render_only()
    _quiet_logs()
    WORK.mkdir(parents=True, exist_ok=True)
    own = WORK / "self"
    # The bench's own back-office database (catalog for scoring): fresh each run, under var/bench/.
    shutil.rmtree(own, ignore_errors=True)
    os.environ["VAR_DIR"] = str(own)
    os.environ["DATABASE_URL"] = f"sqlite:///{own / 'govservice.db'}"
    own.mkdir(exist_ok=True)
    scale = _env_number("BENCH_SCALE", 1.0)
    epochs = int(_env_number("BENCH_STOCK_EPOCHS", DEFAULT_EPOCHS))
    ctx = Context(
        work=WORK,
        scale=scale,
        timeout=_env_number("BENCH_TIMEOUT", 30.0),
        train_timeout=_env_number("BENCH_TRAIN_TIMEOUT", 7200.0),
    )
    bot_names = _select("BENCH_BOTS", ["ours", "stock"])
    section_keys = _select("BENCH_SECTIONS", [s.key for s in SECTIONS])
    bots = [b for b in make_bots(epochs) if b.name in bot_names]
    chosen = [s for s in SECTIONS if s.key in section_keys]
    meta = report.start_meta(ctx, bots, chosen)
    for bot in bots:
        for section in (s for s in chosen if not s.needs_server):
            run_section(ctx, section, bot)
    server_sections = [s for s in chosen if s.needs_server]
    if server_sections:
        for bot in bots:
            run_server_sections(ctx, server_sections, bot)
    full = scale == 1.0 and epochs == DEFAULT_EPOCHS and len(bots) == 2 and len(chosen) == len(SECTIONS)
    out_dir, suffix = (Path(__file__).resolve().parent, "") if full else (WORK, ".trial")
    md_path, json_path = out_dir / f"REPORT{suffix}.md", out_dir / f"results{suffix}.json"
    report.write(ctx, bots, [(s.key, s.title, s.render) for s in chosen], meta, md_path, json_path, full)
    print(f"[bench] wrote {md_path.relative_to(ROOT)} and {json_path.relative_to(ROOT)}", flush=True)
    failed = any("error" in r for per_bot in ctx.results.values() for r in per_bot.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
