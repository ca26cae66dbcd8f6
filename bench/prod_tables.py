"""Report section 13: `make run` vs the production profile (1 and 2 instances) under the traffic mix."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any, Callable, Dict, List, Optional

from bench.sections import Bot, Context
from bench.tables import DASH, fmt, get, ratio, table

TARGET_LEVEL, TARGET_SPEEDUP, TARGET_P99_MS = "50", 1.4, 1000.0
LABELS = {"run": "`make run`", "prod1": "prod, 1 instance", "prod2": "prod, 2 instances"}
LOOP_ROOT, THREAD_ROOT = "sanic/server/runners.py:serve", "threading.py:_bootstrap"
"""The outermost frames of a Rasa server's event loop and of its worker threads in py-spy's stacks."""
CPU_ROLES = ("rasa", "actions", "nginx", "redis", "postgres", "rabbitmq", "consumer", "staff", "portal")


def _level(configs: Dict[str, Any], name: str, level: str) -> Dict[str, Any]:
    return ((configs.get(name) or {}).get("levels") or {}).get(level) or {}


def _held(value: Optional[float], ok: Callable[[float], bool]) -> Optional[bool]:
    return None if value is None else ok(value)


def target(configs: Dict[str, Any]) -> Dict[str, Any]:
    """Issue 14's target: 2 instances >= 1.4x the turns/s of 1 instance at 50 conversations, p99 <= 1 s.

    The turns/s are the capacity (closed loop, no pause). The p99 is the one citizens see at 50
    conversations, at citizen pace; the closed loop's p99 is reported beside it, because with every
    conversation always waiting the mean latency is conversations ÷ turns/s (Little's law).
    """
    one, two = _level(configs, "prod1", TARGET_LEVEL), _level(configs, "prod2", TARGET_LEVEL)
    speedup = ratio(two.get("turns_per_s"), one.get("turns_per_s"))
    paced_p99: Optional[float] = _level(configs, "prod2", f"{TARGET_LEVEL} paced").get("p99_ms")
    parts = [_held(speedup, lambda v: v >= TARGET_SPEEDUP), _held(paced_p99, lambda v: v <= TARGET_P99_MS)]
    held = None if None in parts else all(parts)
    return {"speedup": speedup, "p99_ms": two.get("p99_ms"), "paced_p99_ms": paced_p99,
            "speedup_held": parts[0], "p99_held": parts[1], "held": held}


def _cpu_ms(level: Dict[str, Any], role: str) -> Optional[float]:
    turns, cpu = level.get("ok") or 0, level.get("cpu_s") or {}
    return cpu[role] / turns * 1000 if turns and role in cpu else None


def utilisation(configs: Dict[str, Any], cores: Optional[int]) -> Optional[Dict[str, Dict[str, float]]]:
    """How busy the Rasa servers and the whole machine were at the target level, 0..1.

    ``rasa``: the CPU seconds per second of one Rasa server (its event loop and its worker threads
    share one GIL, so about 1 is its limit); ``machine``: every process of the stack plus the load
    generator, over all cores. A configuration far below both was waiting, not computing.
    """
    busy = {}
    for name, instances in (("prod1", 1), ("prod2", 2)):
        level = _level(configs, name, TARGET_LEVEL)
        rate, rasa, loadgen = level.get("turns_per_s"), _cpu_ms(level, "rasa"), _cpu_ms(level, "loadgen")
        if not cores or not rate or rasa is None or loadgen is None:
            return None
        stack = sum(_cpu_ms(level, r) or 0.0 for r in CPU_ROLES) + loadgen
        busy[name] = {"rasa": rasa * rate / 1000 / instances, "machine": stack * rate / 1000 / cores}
    return busy


def _checks(level: Dict[str, Any]) -> List[str]:
    checks = level.get("checks") or {}
    trackers, apps = checks.get("trackers") or {}, checks.get("applications") or {}
    order = f"{fmt(trackers.get('in_order'))}/{fmt(trackers.get('conversations'))}"
    if trackers.get("unreadable"):
        order += f" ({trackers['unreadable']} unreadable)"
    once = f"{fmt(apps.get('numbers'))} → {fmt(apps.get('ok'))}"
    if apps and not apps.get("ok"):
        once += (f" (missing {apps.get('missing')}, repeated {apps.get('repeated')}, "
                 f"two per sender {apps.get('senders_with_two')})")
    five = fmt(checks.get("http_5xx"))
    if "upstream_5xx" in checks:
        five += f" (upstream {checks['upstream_5xx']})"
    return [order, once, five]


def _latency_rows(configs: Dict[str, Any]) -> List[List[str]]:
    rows = []
    for name, label in LABELS.items():
        config = configs.get(name) or {}
        if "error" in config:
            rows.append([label, "–", f"error: {config['error'][:200]}"] + [DASH] * 9)
            continue
        for level, m in (config.get("levels") or {}).items():
            failed = ", ".join(f"{k} {v}" for k, v in sorted((m.get("errors") or {}).items())) or "0"
            rows.append([label, level, fmt(m.get("p50_ms")), fmt(m.get("p95_ms")), fmt(m.get("p99_ms")),
                         fmt(m.get("turns_per_s"), 2), f"{m.get('ok')}/{m.get('turns')}", failed, *_checks(m),
                         fmt((m.get("loadavg_after") or [None])[0])])
    return rows


def _cpu_rows(configs: Dict[str, Any], cores: Optional[int]) -> List[List[str]]:
    rows = []
    for name, label in LABELS.items():
        m = ((configs.get(name) or {}).get("levels") or {}).get(TARGET_LEVEL) or {}
        turns, cpu = m.get("ok") or 0, m.get("cpu_s") or {}
        if not turns:
            continue
        cells = [fmt(cpu[r] / turns * 1000, 2) if r in cpu else DASH for r in CPU_ROLES]
        total = sum(cpu.get(r, 0.0) for r in CPU_ROLES) / turns * 1000
        commands = m.get("redis_commands")
        ceiling = DASH if not cores or not total else fmt(cores / total * 1000, 1)
        loadgen = _cpu_ms(m, "loadgen")
        rows.append([label, *cells, fmt(total, 2), DASH if loadgen is None else fmt(loadgen, 2),
                     DASH if commands is None else fmt(commands / turns, 1), ceiling])
    return rows


def _busy_lines(configs: Dict[str, Any], cores: Optional[int]) -> List[str]:
    busy = utilisation(configs, cores)
    if busy is None:
        return []
    one, two = busy["prod1"], busy["prod2"]
    return [f"How busy the CPUs were at {TARGET_LEVEL} conversations (CPU per turn × turns/s): 1 instance — its "
            f"Rasa server {one['rasa']:.0%} of a core, the machine {one['machine']:.0%} of its {cores} cores; "
            f"2 instances — each Rasa server {two['rasa']:.0%}, the machine {two['machine']:.0%}.", ""]


def _scale_lines(model: Dict[str, Any]) -> List[str]:
    if "error" in model or not model:
        return [f"Scale model: {model.get('error', 'not measured')}.", ""]
    a = model["assumptions"]
    lines = [
        f"Scale model (CPU per turn of {model['from']}): {a['citizens']:,} citizens × {a['chatting_share']:.0%} "
        f"chatting on a busy day × {a['turns_each']} turns, {a['peak_hour_share']:.0%} of the day in the peak hour "
        f"→ **{model['peak_turns_per_s']} turns/s** at peak. Cores at {a['target_utilisation']:.0%} target "
        f"utilisation; application machines of {a['machine_cores']} cores, at least {a['min_machines']} so one "
        "can fail.",
        "",
    ]
    cores = model["cores"]
    lines += table(["role", "CPU ms/turn", "cores at peak"],
                   [[r, fmt(model["cpu_ms_per_turn"].get(r), 2), fmt(cores.get(r), 2)] for r in cores])
    capacity, headroom = model["store_capacity_turns_per_s"], model["store_headroom"]
    lines += table(["store", "one instance's capacity (turns/s)", "× the peak"],
                   [[s, fmt(capacity[s]), fmt(headroom[s])] for s in capacity])
    lines += [
        f"Stateless roles (Rasa, actions, nginx, consumer, staff): {model['app_cores']} cores → "
        f"**{model['app_machines']} machines**. First store to saturate: **{model['first_to_saturate'] or DASH}** "
        f"(Redis: its command loop is one thread, so one core; RabbitMQ: one queue is one Erlang process, one "
        f"core; PostgreSQL: one {a['machine_cores']}-core machine; each at the target utilisation). Redis "
        f"commands at peak: {fmt(model.get('redis_ops_at_peak'))}/s.",
        "",
    ]
    return lines


def _profile_lines(configs: Dict[str, Any]) -> List[str]:
    levels = (configs.get("prod2") or {}).get("levels") or {}
    profile = (levels.get(TARGET_LEVEL) or {}).get("profile_rasa_0")
    if not profile:
        return []
    if "error" in profile:
        return [f"Profile of Rasa instance 0 (prod, 2 instances, {TARGET_LEVEL} conversations): "
                f"{profile['error']}.", ""]
    # The start-up chain (rasa's main, sanic's serve ...) is on every event-loop stack and
    # threading's bootstrap on every worker thread's: left out, their shares said in words.
    shares = dict((name, share) for name, share in profile["inclusive"])
    loop, threads = shares.get(LOOP_ROOT), shares.get(THREAD_ROOT)
    roots = [r for r in (loop, threads) if r]
    inclusive = [row for row in profile["inclusive"]
                 if not any(abs(row[1] - r) <= 0.01 * r for r in roots)][: len(profile["own"])]
    rows = [[f"`{a[0]}`" if a else DASH, fmt(a[1]) if a else DASH, f"`{b[0]}`" if b else DASH, fmt(b[1]) if b else DASH]
            for a, b in zip_longest(inclusive, profile["own"])]
    split = (f" {fmt(loop)}% of them on the event loop, {fmt(threads)}% in worker threads (the blocking calls "
             "the channels hand to `asyncio.to_thread` and `run_in_executor`);") if loop and threads else ""
    return [f"Where Rasa instance 0's CPU time goes (prod, 2 instances, {TARGET_LEVEL} conversations; py-spy, "
            f"{profile['samples']} samples while busy, % of them;{split} {fmt(profile.get('waiting'))} samples of "
            "threads waiting for work left out, and the start-up chains of the loop and the threads):", ""
            ] + table(["inside (inclusive)", "%", "on itself (own)", "%"], rows)


def render(ctx: Context, bots: List[Bot]) -> List[str]:
    """Latency, throughput and checks per configuration and level; CPU per turn; the scale model."""
    result = get(ctx, "prod", "ours") or {}
    if "error" in result or "configs" not in result:
        return [f"Not measured: {result.get('error', 'run `make bench-prod`')}.", ""]
    settings, configs = result["settings"], result["configs"]
    decided = target(configs)
    words = {True: "HELD", False: "DID NOT HOLD", None: "COULD NOT BE DECIDED"}
    word = words[decided["held"]]
    think = settings.get("think_s") or [None, None]
    lines = [
        f"`make bench-prod` (bench/prod_bench.py), {result['started']} → {result['finished']}: one "
        f"configuration at a time, {settings['seconds_per_level']:.0f} s of traffic per level, closed loop "
        "(each concurrent conversation sends its next turn when the last is answered, at once; rows marked "
        f"\"paced\": after a pause of {fmt(think[0])}–{fmt(think[1])} s, as a citizen reads the reply and types, "
        f"{fmt(settings.get('paced_seconds'))} s per level). Mix per worker, in turn: "
        + ", ".join(settings["mix"]) + " (bench/load_mix.py: catalog questions and follow-ups from "
        "tests/nlu/holdout*.yml, FAQ questions from tests/faq/holdout_paraphrases.yml, logins with the SMS "
        "code and a certificate query, applications with an upload, signed WeChat XML).",
        "",
        f"Target (2 instances ≥ {TARGET_SPEEDUP}× the turns/s of 1 instance at {TARGET_LEVEL} conversations, "
        f"p99 ≤ {TARGET_P99_MS / 1000:g} s): **{word}** — capacity (closed loop): "
        f"{fmt(decided['speedup'], 2)}× ({words[decided['speedup_held']]}); p99 of 2 instances at "
        f"{TARGET_LEVEL} conversations at citizen pace: {fmt(decided['paced_p99_ms'])} ms "
        f"({words[decided['p99_held']]}); in the closed loop, where no conversation ever pauses, p99 "
        f"{fmt(decided['p99_ms'])} ms: there the mean latency is conversations ÷ turns/s (Little's law), so "
        f"1 s would take {TARGET_LEVEL} turns/s, above the CPU ceiling below.",
        "",
    ]
    headers = ["configuration", "conversations", "p50 ms", "p95 ms", "p99 ms", "turns/s", "answered",
               "failed turns", "trackers in order", "applications → exactly once", "HTTP 5xx", "load avg"]
    lines += table(headers, _latency_rows(configs))
    lines += ["Failed turns: the citizen got the busy reply (\"busy\") or no answer in time. HTTP 5xx: as the "
              "client saw them; in brackets, requests a Rasa instance answered 5xx or nginx could not pass on "
              "(its access log), which the door turns into the busy reply.", ""]
    lines += [f"CPU milliseconds per answered turn at {TARGET_LEVEL} conversations (psutil, each process and its "
              "children over the window; PostgreSQL: the backends of the configuration's database; RabbitMQ: "
              "the broker's Erlang VM, shared with anything else on this machine):", ""]
    cores = settings.get("cores")
    headers = ["configuration", *CPU_ROLES, "total", "load generator", "Redis commands/turn",
               f"CPU ceiling on {cores or '?'} cores"]
    lines += table(headers, _cpu_rows(configs, cores))
    lines += ["CPU ceiling: the turns/s at which these processes alone would keep every core of this machine "
              "busy (cores ÷ total CPU per turn); the load generator (the bench process itself, outside the "
              "total) and everything else on the machine share the same cores. Load avg: the 1-minute load "
              "average after the level (the machine is shared).", ""]
    lines += _busy_lines(configs, cores)
    return lines + _profile_lines(configs) + _scale_lines(result.get("scale_model") or {})
