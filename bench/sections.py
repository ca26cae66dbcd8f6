"""What each benchmark section measures for one bot. Rendering lives in bench/report.py."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from bench import load
from bench.servers import ROOT, Servers, memory_kb, server_pids

RASA = ROOT / ".venv" / "bin" / "rasa"
TRAIN_DATA = ["--domain", "bot/domain", "--data", "bot/nlu_data", "bot/stories"]
GREET, ACTION_QUESTION = "你好", "身份证丢了补办要带什么"
# (scenario, messages each conversation alternates): both messages of a scenario take the same path.
SCENARIOS = [("no_action", [GREET, "谢谢"]), ("action", [ACTION_QUESTION, "要多少钱"])]
# Measured turns at each concurrency at BENCH_SCALE=1.
CONCURRENCY_TURNS = {1: 200, 32: 640}
GROWTH_MESSAGES = ["你好", "居住证要什么材料", "要多少钱", "谢谢"]
GROWTH_TURNS, GROWTH_WINDOW = 300, 20
TED_SKIPPED = re.compile(r"Skipping training of `TEDPolicy`")


@dataclass
class Bot:
    """One of the compared assistants."""

    name: str
    config: Path
    model: Path
    rasa_port: int
    action_port: int
    epochs: int | None = None


@dataclass
class Context:
    """Settings and shared state of one `make bench` run."""

    work: Path
    scale: float = 1.0
    timeout: float = 30.0
    train_timeout: float = 7200.0
    warmup: int = 5
    results: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    servers: Servers | None = None
    _catalog: Any = None

    @property
    def catalog(self) -> Any:
        """The catalog, seeded into this run's private database on first use."""
        if self._catalog is None:
            from govservice.catalog.lookup import Catalog
            from govservice.seed import init_db

            init_db()
            self._catalog = Catalog.load()
        return self._catalog

    def scaled(self, turns: int, minimum: int = 1) -> int:
        """``turns`` times BENCH_SCALE, at least ``minimum``."""
        return max(minimum, round(turns * self.scale))


def _run_logged(cmd: List[str], log: Path, timeout: float, env: Dict[str, str] | None = None) -> float:
    """Run ``cmd`` from the repo root with output to ``log``; return its wall time in seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    return elapsed


def training(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Train ``bot`` from scratch (empty Rasa cache), timed, into var/bench/models."""
    result: Dict[str, Any] = {}
    if not ctx.results.get("training"):
        # Same first step as `make train`: the jieba dictionary and lookup/synonyms from the catalog.
        export_log = ctx.work / "nlu_export.log"
        seconds = _run_logged([sys.executable, "-m", "govservice.catalog.nlu_export"], export_log, 600)
        result["export_s"] = round(seconds, 1)
    cache = ctx.work / f"cache-{bot.name}"
    shutil.rmtree(cache, ignore_errors=True)
    bot.model.unlink(missing_ok=True)
    log = ctx.work / f"train-{bot.name}.log"
    cmd = [str(RASA), "train", "--config", str(bot.config), *TRAIN_DATA]
    cmd += ["--out", str(bot.model.parent), "--fixed-model-name", bot.model.name.removesuffix(".tar.gz")]
    try:
        # An empty training cache, so that nothing from an earlier `make train` is reused.
        seconds = _run_logged(cmd, log, ctx.train_timeout, {"RASA_CACHE_DIRECTORY": str(cache)})
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if not bot.model.exists():
        raise RuntimeError(f"training finished but {bot.model} is missing; see {log}")
    result.update(
        seconds=round(seconds, 1),
        config=str(bot.config.relative_to(ROOT)),
        epochs=bot.epochs,
        model_mb=round(bot.model.stat().st_size / 2**20, 1),
        ted_skipped=bool(TED_SKIPPED.search(log.read_text(encoding="utf-8", errors="replace"))),
        log=str(log.relative_to(ROOT)),
    )
    return result


def nlu(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Intent macro-F1 and service accuracy on tests/nlu/holdout.yml (bench.nlu_eval.evaluate)."""
    from bench.nlu_eval import evaluate

    scores = evaluate(str(bot.model), ctx.catalog)
    per_intent = {k: round(v["f1-score"], 4) for k, v in scores["report"].items() if "f1-score" in v}
    return {
        "examples": scores["examples"],
        "macro_f1": round(scores["macro_f1"], 4),
        "service_examples": scores["service_examples"],
        "service_accuracy": round(scores["service_accuracy"], 4),
        "misclassified": len(scores["errors"]),
        "per_intent_f1": per_intent,
    }


def probe(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Check that the greeting and the action question get the expected kind of answer."""
    assert ctx.servers is not None
    item = ctx.catalog.get("id_card_lost")
    expected = {GREET: "您好", ACTION_QUESTION: item.name if item else "身份证"}
    result = {}
    for message, marker in expected.items():
        turn = asyncio.run(load.probe(ctx.servers.url, message, ctx.timeout))
        looks_right = turn.outcome == "ok" and marker in turn.text
        result[message] = {
            "outcome": turn.outcome,
            "expected": marker,
            "as_expected": looks_right,
            "latency_ms": round(turn.latency * 1000, 1),
            "reply": turn.text[:120],
        }
        if not looks_right:
            reply = turn.text[:40].replace("\n", " ")
            ctx.notes.append(f"{bot.name}: reply to {message!r} lacks {marker!r} ({turn.outcome}: {reply}).")
    return result


def throughput(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Latency percentiles and turns/s per scenario at each concurrency."""
    assert ctx.servers is not None
    result = {}
    for scenario, messages in SCENARIOS:
        for concurrency, base in CONCURRENCY_TURNS.items():
            turns = ctx.scaled(base, minimum=2 * concurrency)
            outcome = asyncio.run(
                load.run_load(
                    ctx.servers.url,
                    messages,
                    concurrency,
                    turns,
                    warmup_turns=ctx.warmup,
                    timeout=ctx.timeout,
                    label=f"{bot.name}-{scenario}-c{concurrency}",
                )
            )
            summary = outcome.summary()
            summary.update(scenario=scenario, concurrency=concurrency, messages=messages)
            result[f"{scenario}@{concurrency}"] = summary
    return result


def growth_windows(turns: int) -> List[range]:
    """Turn windows (0-based): first, middle and last ``GROWTH_WINDOW`` turns; 1-20, 141-160, 281-300."""
    width = min(GROWTH_WINDOW, max(1, turns // 3))
    middle = (turns - width) // 2  # 140 for 300 turns: turns 141-160
    return [range(0, width), range(middle, middle + width), range(turns - width, turns)]


def growth(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Median latency early, midway and late in one long conversation, and last/first."""
    assert ctx.servers is not None
    turns = ctx.scaled(GROWTH_TURNS, minimum=3 * GROWTH_WINDOW)
    measured = asyncio.run(load.run_single(ctx.servers.url, GROWTH_MESSAGES, turns, ctx.timeout))
    medians = {}
    for window in growth_windows(turns):
        ok = [t.latency for t in measured[window.start : window.stop] if t.outcome == "ok"]
        label = f"{window.start + 1}-{window.stop}"
        medians[label] = round(statistics.median(ok) * 1000, 1) if ok else None
    first, last = list(medians.values())[0], list(medians.values())[-1]
    return {
        "turns": turns,
        "messages": GROWTH_MESSAGES,
        "median_ms": medians,
        "ratio_last_first": round(last / first, 2) if first and last else None,
        "error_count": sum(t.outcome != "ok" for t in measured),
    }


def memory(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """Peak RSS (VmHWM) of the Rasa server and the action server, read before shutdown."""
    assert ctx.servers is not None
    result: Dict[str, Any] = {}
    for role, pid in server_pids(ctx.servers).items():
        values = memory_kb(pid)
        result[role] = {
            "pid": pid,
            "peak_rss_mb": round(values["VmHWM"] / 1024, 1) if "VmHWM" in values else None,
            "rss_mb": round(values["VmRSS"] / 1024, 1) if "VmRSS" in values else None,
        }
    for role in ("rasa", "actions"):
        if role not in result:
            ctx.notes.append(f"{bot.name}: the {role} server process was not found for memory.")
    peaks = [r["peak_rss_mb"] for r in result.values()]
    if len(peaks) == 2 and None not in peaks:
        result["total_peak_rss_mb"] = round(sum(peaks), 1)
    return result
