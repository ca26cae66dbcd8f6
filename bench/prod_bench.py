"""`make bench-prod`: `make run` vs the production profile with 1 and 2 instances, under the same load.

One configuration runs at a time on this machine's ports 5500-5599: ``run`` (scripts/run.sh, the
embedded default), ``prod1`` and ``prod2`` (scripts/run_prod.sh with PROD_INSTANCES=1 and 2, its own
Redis, a fresh PostgreSQL database ``load_bench_<config>``, RabbitMQ). Each plays the traffic mix of
:mod:`bench.load_mix` at 10, 50 and 200 concurrent conversations for a fixed time with no pause
between turns (the capacity), then at 50 and 200 at citizen pace (each conversation waits
:data:`THINK` seconds before a turn, as a citizen reads and types: the latency a citizen sees).
After each level it checks the stored trackers, the applications and the status codes
(:mod:`bench.load_checks`), and measures the CPU seconds of every process in the window
(:mod:`bench.proc_cpu`). The scale model (:mod:`bench.scale_model`) uses the CPU per turn of
``prod2`` at 50 conversations.

Environment:
    BENCH_PROD_SECONDS: seconds of traffic per level (default 40).
    BENCH_PROD_LEVELS: concurrency levels (default 10,50,200).
    BENCH_PROD_PACED: concurrency levels at citizen pace (default 50,200).
    BENCH_PROD_CONFIGS: subset of run,prod1,prod2.
    BENCH_PROD_PORT: first port of the block used (default 5500; the block is 100 ports).

A run with every configuration and level and at least 30 s per level is merged into
bench/results.json (section ``prod``) and bench/REPORT.md is rendered again; any other run writes
var/bench/prod.trial.json only.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bench import load, load_checks, load_mix, load_run, proc_cpu, profile_summary, scale_model
from bench.applications_bench import bind_senders
from bench.identity_bench import demo_citizens
from bench.sections import Bot, Context
from bench.servers import BENCH_WECHAT_TOKEN, READY_MARKER, ROOT, Servers, start_servers, stop_servers

WORK = ROOT / "var" / "bench" / "prod"
CONFIGS = ("run", "prod1", "prod2")
LEVELS = (10, 50, 200)
PACED_LEVELS = (50, 200)
THINK = (3.0, 10.0)
"""Seconds a paced conversation waits before each turn: shorter than most citizens take to read a
reply and type a question on a phone, so the load is if anything heavier than real."""
PACED_SECONDS = 60.0  # a paced conversation sends a turn every ~6.5 s: a longer window for the p99
MODEL_LEVEL = ("prod2", 50)
RASA_TOKEN = "bench-load-rasa-token"
START_TIMEOUT = 420.0
START_ATTEMPTS = 3


@dataclass
class Running:
    """One started configuration: its servers and how to find its processes and data."""

    name: str
    servers: Servers
    url: str
    var_dir: Path
    database_url: str
    database: Optional[str]
    roles: Callable[[], Dict[str, List[int]]]
    redis_url: Optional[str] = None


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _recreate_database(name: str) -> str:
    """Drop and create PostgreSQL database ``name`` on localhost; its URL."""
    from sqlalchemy import create_engine, text

    admin = create_engine("postgresql://postgres@localhost:5432/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql://postgres@localhost:5432/{name}"


def _start_prod(name: str, instances: int, base: int, model: Path) -> Running:
    """scripts/run_prod.sh with ``instances`` of each server, on ports from ``base``."""
    var_dir = WORK / name
    shutil.rmtree(var_dir, ignore_errors=True)
    (var_dir / "log").mkdir(parents=True)
    database = f"load_bench_{name}"
    database_url = _recreate_database(database)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MODEL": str(model),
        "PROD_INSTANCES": str(instances),
        "PROD_PORT": str(base + 20),
        "PROD_BASE_PORT": str(base + 30),
        "PROD_REDIS_PORT": str(base + 98),
        "PROD_EVENTS_QUEUE": "load_bench_events",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "RASA_TOKEN": RASA_TOKEN,
        "WECHAT_TOKEN": BENCH_WECHAT_TOKEN,
    }
    env.pop("REDIS_URL", None)  # run_prod.sh starts its own Redis on PROD_REDIS_PORT
    log_path = var_dir / "run_prod.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["scripts/run_prod.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    servers = Servers(proc, base + 20, base + 50, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while READY_MARKER not in log_path.read_text(encoding="utf-8", errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_servers(servers)
            raise RuntimeError(f"run_prod.sh did not get ready: see {log_path}")
        time.sleep(1)
    pid_dir = var_dir / "pids"
    return Running(name, servers, servers.url, var_dir, database_url, database,
                   lambda: proc_cpu.pid_file_roles(pid_dir), f"redis://localhost:{base + 98}/0")


def _start_run(base: int, model: Path) -> Running:
    """scripts/run.sh (the embedded default) on ports ``base`` (Rasa) and ``base + 1`` (actions)."""
    var_dir = WORK / "run"
    shutil.rmtree(var_dir, ignore_errors=True)
    servers = start_servers(model, var_dir, base, base + 1, timeout=START_TIMEOUT, extra_env={"RASA_TOKEN": RASA_TOKEN})
    database_url = f"sqlite:///{var_dir / 'govservice.db'}"
    return Running("run", servers, servers.url, var_dir, database_url, None,
                   lambda: proc_cpu.run_sh_roles(servers.pgid))


def _redis_commands(url: Optional[str]) -> Optional[int]:
    if not url:
        return None
    import redis

    try:
        return int(redis.Redis.from_url(url).info("stats")["total_commands_processed"])
    except redis.RedisError:
        return None


def paced(concurrency: int) -> str:
    """The results key of a level at citizen pace."""
    return f"{concurrency} paced"


def measure_level(running: Running, messages: load_mix.Messages, target: load_run.Target,
                  concurrency: int, seconds: float, think: Optional[Tuple[float, float]] = None) -> Dict[str, Any]:
    """One level: traffic with CPU and Redis commands counted around it, then the checks."""
    roles = {**running.roles(), **proc_cpu.service_roles(running.database)}
    door_log = running.var_dir / "log" / "nginx-access.log"
    door_offset = door_log.stat().st_size if door_log.exists() else 0
    profiled = think is None and (running.name, concurrency) == MODEL_LEVEL and roles.get("rasa")
    profile_out = running.var_dir / f"profile-rasa-0-{concurrency}.txt"
    before, commands_before = proc_cpu.snapshot(roles), _redis_commands(running.redis_url)
    recorder = profile_summary.start_record(roles["rasa"][0], int(seconds), profile_out) if profiled else None
    # The load generator shares the cores: its own CPU (this process, not py-spy) bounds the ratio too.
    loadgen_before = time.process_time()
    run = asyncio.run(load_run.run_level(target, messages, concurrency, seconds, think=think))
    loadgen_s = time.process_time() - loadgen_before
    roles_after = {**running.roles(), **proc_cpu.service_roles(running.database)}
    cpu = proc_cpu.cpu_delta(before, proc_cpu.snapshot(roles_after))
    commands_after = _redis_commands(running.redis_url)
    profile = profile_summary.finish_record(recorder, profile_out) if profiled else None
    time.sleep(3)  # WeChat turns answered "success" finish in the background
    load_run.dump(run, running.var_dir / f"turns-{concurrency}{'-paced' if think else ''}.jsonl")
    result = load_run.summary(run)
    if think is not None:
        result["think_s"] = list(think)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result["cpu_s"] = {**cpu, "loadgen": loadgen_s}
    if profile is not None:
        result["profile_rasa_0"] = profile
    if commands_before is not None and commands_after is not None:
        result["redis_commands"] = commands_after - commands_before
    senders = sorted({s.sender for s in run.sent})
    trackers = asyncio.run(load_checks.fetch_trackers(running.url, RASA_TOKEN, senders))
    applying = sorted({s.sender for s in run.sent if s.kind == "apply"})
    stored, per_sender = load_checks.application_rows(running.database_url, run.numbers, applying)
    result["checks"] = {
        "trackers": load_checks.tracker_report(run.sent, trackers),
        "applications": load_checks.exactly_once(run.numbers, stored, per_sender),
        "http_5xx": load_checks.server_errors(run.sent),
    }
    if door_log.exists():
        with open(door_log, encoding="utf-8", errors="replace") as lines:
            lines.seek(door_offset)
            result["checks"]["upstream_5xx"] = load_checks.upstream_errors(lines)
    return result


def measure_config(running: Running, levels: List[int], seconds: float, paced_levels: List[int]) -> Dict[str, Any]:
    """Every level on one started configuration, closed loop and then at citizen pace."""
    messages = load_mix.load_messages()
    citizens = [load_mix.Citizen(*c) for c in demo_citizens(running.database_url, 500)]
    out: Dict[str, Any] = {"citizens": len(citizens), "levels": {}}
    pool = load_mix.CitizenPool(citizens)
    plan: List[Tuple[str, int, float, Optional[Tuple[float, float]]]] = [(str(n), n, seconds, None) for n in levels]
    plan += [(paced(n), n, max(seconds, PACED_SECONDS), THINK) for n in paced_levels]
    for key, concurrency, window, think in plan:
        prefix = f"apply{key.replace(' ', '')}"
        senders = bind_senders(running.database_url, concurrency * 2 + 10, prefix)
        target = load_run.Target(running.url, BENCH_WECHAT_TOKEN, running.var_dir / "sms_outbox.jsonl", pool, senders)
        waited = load.settle(running.url)
        print(f"[bench-prod] {running.name}: {key} conversations for {window:.0f} s (settled in {waited} s)",
              flush=True)
        out["levels"][key] = {**measure_level(running, messages, target, concurrency, window, think),
                              "settled_s": waited}
    return out


def start(name: str, base: int, model: Path, attempts: int = START_ATTEMPTS) -> Running:
    """Start configuration ``name``; again when it gives up (a busy machine can miss run.sh's wait)."""
    for attempt in range(1, attempts + 1):
        try:
            return _start_run(base, model) if name == "run" else _start_prod(name, int(name[-1]), base, model)
        except RuntimeError as exc:
            if attempt == attempts:
                raise
            print(f"[bench-prod] {name} did not start (attempt {attempt}): {str(exc)[-300:]}", flush=True)
    raise AssertionError("unreachable")


def measure(configs: List[str], levels: List[int], seconds: float, base: int, model: Path,
            paced_levels: List[int]) -> Dict[str, Any]:
    """Every configuration one after the other; a configuration that fails is recorded, not fatal."""
    results: Dict[str, Any] = {
        "settings": {"seconds_per_level": seconds, "levels": levels, "configs": configs, "mix": load_mix.KINDS,
                     "cores": os.cpu_count(), "paced_levels": paced_levels, "think_s": list(THINK),
                     "paced_seconds": max(seconds, PACED_SECONDS)},
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "configs": {},
    }
    for name in configs:
        print(f"[bench-prod] starting {name}", flush=True)
        started = time.perf_counter()
        try:
            running = start(name, base, model)
        except Exception as exc:  # recorded in the report; the other configurations still run
            results["configs"][name] = {"error": f"{type(exc).__name__}: {exc}"[:1000]}
            continue
        try:
            results["configs"][name] = {"start_s": round(time.perf_counter() - started, 1),
                                        **measure_config(running, levels, seconds, paced_levels)}
        except Exception as exc:  # the servers are stopped either way
            results["configs"][name] = {"error": f"{type(exc).__name__}: {exc}"[:1000]}
        finally:
            stop_servers(running.servers)
    results["scale_model"] = scale_from(results)
    results["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return results


def scale_from(results: Dict[str, Any]) -> Dict[str, Any]:
    """The scale model from the CPU per turn of :data:`MODEL_LEVEL` (None when it was not measured)."""
    config, level = MODEL_LEVEL
    measured = results["configs"].get(config, {}).get("levels", {}).get(str(level))
    if not measured or not measured.get("ok"):
        return {"error": f"{config} at {level} conversations was not measured"}
    cpu = scale_model.per_turn(measured["cpu_s"], measured["ok"])
    ops = measured.get("redis_commands")
    return {"from": f"{config}@{level}",
            **scale_model.model(cpu, redis_ops_per_turn=None if ops is None else ops / measured["ok"])}


def section(ctx: Context, bot: Bot) -> Dict[str, Any]:
    """`make bench`'s hook: the whole production load test, for our bot only."""
    if bot.name != "ours":
        return {"skipped": "the production profile serves our bot only"}
    seconds = float(_int_env("BENCH_PROD_SECONDS", 40))
    return measure(list(CONFIGS), list(LEVELS), seconds, _int_env("BENCH_PROD_PORT", 5500), bot.model,
                   list(PACED_LEVELS))


def main() -> int:
    """Measure, then merge into bench/results.json and re-render bench/REPORT.md (or write a trial)."""
    configs = [c for c in os.environ.get("BENCH_PROD_CONFIGS", ",".join(CONFIGS)).split(",") if c]
    levels = [int(x) for x in os.environ.get("BENCH_PROD_LEVELS", ",".join(map(str, LEVELS))).split(",") if x]
    paced_levels = [int(x) for x in os.environ.get("BENCH_PROD_PACED", ",".join(map(str, PACED_LEVELS))).split(",")
                    if x]
    seconds = float(_int_env("BENCH_PROD_SECONDS", 40))
    if set(configs) - set(CONFIGS):
        sys.exit(f"BENCH_PROD_CONFIGS: choose from {CONFIGS}")
    model = ROOT / os.environ.get("MODEL", "models/current.tar.gz")
    results = measure(configs, levels, seconds, _int_env("BENCH_PROD_PORT", 5500), model, paced_levels)
    full = (tuple(configs) == CONFIGS and tuple(levels) == LEVELS and tuple(paced_levels) == PACED_LEVELS
            and seconds >= 30)
    if not full:
        path = ROOT / "var" / "bench" / "prod.trial.json"
        path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"[bench-prod] trial written to {path.relative_to(ROOT)}", flush=True)
        return 0
    from bench import run

    json_path = ROOT / "bench" / "results.json"
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    payload["results"]["prod"] = {"ours": results}
    payload["notes"] = [n for n in payload["notes"] if not n.startswith("prod (section 13)")]
    payload["notes"].append(f"prod (section 13) measured on its own by `make bench-prod` from {results['started']} "
                            f"to {results['finished']} and merged here; the other sections are from the runs above.")
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return run.render_only()


if __name__ == "__main__":
    sys.exit(main())
