"""Section 14: the console dashboard's query time at 10,000 and 100,000 conversations (issue 15).

Synthetic data is inserted in bulk into a fresh SQLite database (the embedded default) under
``var/bench/dashboard/``, seeded with the catalog and the demo people: per conversation eight
``conversation_events`` rows as the feeder stores them (session start, two user messages with an
intent and a channel, two actions, a ``service_item`` slot, two bot messages; some fallbacks and
handoffs), spread over 90 days; and one application per 20 conversations with its status history,
a rating for the finished ones and a follow-up for each 差评. Then
:func:`govservice.analytics.dashboard.dashboard` (every figure) runs ``REPEATS`` times per
filter; medians are reported, with each figure's median for the default filter.

    python -m bench.dashboard_bench            # measure and print JSON
    python -m bench.dashboard_bench --write    # also merge into bench/results.json, render REPORT.md

``make bench`` runs it as section ``dashboard``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import shutil
import statistics
import sys
import time
from functools import partial
from typing import Any, Callable, Dict, List, Sequence

from sqlalchemy import insert, select

from bench.servers import ROOT

WORK = ROOT / "var" / "bench" / "dashboard"
SIZES = (10_000, 100_000)
REPEATS = 5
DAYS = 90
CHANNELS = ("rest", "rest", "rest", "socketio", "wechat")
INTENTS = ("ask_materials", "ask_fee", "ask_process", "ask_time_limit", "greet", "thanks", "affirm", "nlu_fallback")


def _median_ms(call: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def _events(rng: random.Random, start: int, count: int, now: datetime.datetime, keys: Sequence[str]) -> List[Dict]:
    rows: List[Dict[str, Any]] = []
    for n in range(start, start + count):
        sender, channel = f"{n:064x}", rng.choice(CHANNELS)
        at = now - datetime.timedelta(seconds=rng.randrange(DAYS * 86400))
        kinds = [("session_started", None, None), ("user", rng.choice(INTENTS), channel),
                 ("action", "action_answer_service", None), ("slot", "service_item", None),
                 ("bot", None, None), ("user", rng.choice(INTENTS), channel),
                 ("action", "action_request_human" if rng.random() < 0.03 else "action_listen", None),
                 ("bot", None, None)]
        for k, (kind, name, chan) in enumerate(kinds):
            rows.append({"digest": f"{n:056x}{k:08x}", "sender_hash": sender, "event_type": kind, "name": name,
                         "channel": chan, "occurred_at": at + datetime.timedelta(seconds=k),
                         "item_key": rng.choice(keys) if kind == "slot" else None})
    return rows


def _applications(session: Any, rng: random.Random, start: int, count: int, now: datetime.datetime,
                  items: Sequence[Any], people: Sequence[str]) -> None:
    from govservice.applications.models import Application, FollowUp, Rating, StatusChange
    from govservice.applications.states import NEGATIVE_LEVELS, RATING_LEVELS

    for n in range(start, start + count):
        item = rng.choice(items)
        created = now - datetime.timedelta(seconds=rng.randrange(DAYS * 86400))
        finished = rng.random() < 0.7
        app = Application(number=f"B{n:012d}", item_key=item.key, item_name=item.name,
                          department_code=item.department_code, person_id=rng.choice(people), channel="rest",
                          sender=f"bench-{n}", form_data={}, status="已办结" if finished else "已提交",
                          idempotency_key=f"bench-{n}", created_at=created, updated_at=created)
        session.add(app)
        session.flush()
        session.add(StatusChange(application_id=app.id, to_status="已提交", actor_type="citizen", actor="c",
                                 at=created))
        if not finished:
            continue
        done = created + datetime.timedelta(hours=rng.uniform(1, 240))
        session.add(StatusChange(application_id=app.id, from_status="审核中", to_status="已办结", actor_type="officer",
                                 actor="o", at=done))
        level = rng.choice(RATING_LEVELS)
        rating = Rating(application_id=app.id, person_id=app.person_id, level=level, at=done)
        session.add(rating)
        if level in NEGATIVE_LEVELS:
            session.flush()
            session.add(FollowUp(rating_id=rating.id, application_id=app.id, department_code=app.department_code,
                                 deadline=(done + datetime.timedelta(days=21)).date(), created_at=done))


def measure(sizes: Sequence[int] = SIZES, repeats: int = REPEATS) -> Dict[str, Any]:
    """Fill the database up to each size in turn and time the dashboard's queries there."""
    from govservice.analytics.dashboard import FIGURES, Filters, dashboard, follow_ups
    from govservice.catalog.models import ServiceItem
    from govservice.conversation_events import ConversationEvent
    from govservice.db import session_scope
    from govservice.identity.models import Person
    from govservice.seed import init_db

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    url = f"sqlite:///{WORK / 'dashboard.db'}"
    init_db(url, faq=False)
    rng, now = random.Random(15), datetime.datetime.utcnow().replace(microsecond=0)
    with session_scope(url) as session:
        items = list(session.scalars(select(ServiceItem).where(ServiceItem.layer == "curated")))
        people = [str(p) for p in session.scalars(select(Person.id_number))]
    keys = [item.key for item in items]
    department = max({i.department_code for i in items}, key=lambda code: sum(i.department_code == code for i in items))
    today = now.date()
    filters = {"30 days": Filters.last_days(30, today), "90 days": Filters.last_days(DAYS, today),
               f"30 days, {department}": Filters.last_days(30, today, department)}
    results: Dict[str, Any] = {"started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                               "database": "SQLite", "repeats": repeats, "sizes": {}}
    done = 0
    for size in sizes:
        inserting = time.perf_counter()
        for chunk in range(done, size, 10_000):
            count = min(10_000, size - chunk)
            with session_scope(url) as session:
                session.execute(insert(ConversationEvent.__table__), _events(rng, chunk, count, now, keys))
                _applications(session, rng, chunk // 20, count // 20, now, items, people)
        done = size
        per_size: Dict[str, Any] = {"events": size * 8, "applications": size // 20,
                                    "insert_s": round(time.perf_counter() - inserting, 1), "dashboard_ms": {}}
        with session_scope(url) as session:
            for label, chosen in filters.items():
                per_size["dashboard_ms"][label] = _median_ms(partial(dashboard, session, chosen), repeats)
            default = filters["30 days"]
            queries = {**FIGURES, "follow_ups": follow_ups}
            per_size["figures_ms"] = {key: _median_ms(partial(query, session, default), repeats)
                                      for key, query in queries.items()}
        results["sizes"][str(size)] = per_size
        print(f"[bench] dashboard at {size:,} conversations: {per_size['dashboard_ms']}", flush=True)
    results["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return results


def section(ctx: Any, bot: Any) -> Dict[str, Any]:
    """The bench section: bot-independent, so measured once (for ``ours``)."""
    if bot.name != "ours":
        return {"skipped": "the dashboard's queries are bot-independent; measured once"}
    return measure()


def render(ctx: Any, bots: Any) -> List[str]:
    """Median query time of the whole dashboard per size and filter, and of each figure, as Markdown."""
    from bench.tables import table

    r = ctx.results.get("dashboard", {}).get("ours") or {}
    if "error" in r or "sizes" not in r:
        return [f"Error — {r.get('error', 'not measured')}", ""]
    sizes = list(r["sizes"])
    labels = list(r["sizes"][sizes[0]]["dashboard_ms"])
    rows = [[f"{int(s):,}", f"{r['sizes'][s]['events']:,}", f"{r['sizes'][s]['applications']:,}"]
            + [str(r["sizes"][s]["dashboard_ms"][label]) for label in labels] for s in sizes]
    figures = list(r["sizes"][sizes[0]]["figures_ms"])
    per_figure = [[key] + [str(r["sizes"][s]["figures_ms"][key]) for s in sizes] for key in figures]
    return (
        [f"`govservice.analytics.dashboard.dashboard` (every figure of `/console/dashboard`) on {r['database']}, "
         f"synthetic data inserted in bulk (bench/dashboard_bench.py): eight conversation events per conversation "
         f"over {DAYS} days, one application per 20 conversations. Median of {r['repeats']} runs, ms. "
         f"Measured {r['started']} → {r['finished']}.", ""]
        + table(["conversations", "events", "applications"] + [f"all figures, {label} (ms)" for label in labels], rows)
        + ["Each figure, default filter (30 days, all departments), median ms:", ""]
        + table(["figure"] + [f"{int(s):,} conversations" for s in sizes], per_figure)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; with ``--write`` merge into bench/results.json and render bench/REPORT.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    results = measure(sizes)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if not args.write:
        return 0
    if tuple(sizes) != SIZES:
        sys.exit("--write needs the default sizes")
    from bench import run

    json_path = ROOT / "bench" / "results.json"
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    payload["results"]["dashboard"] = {"ours": results}
    payload["notes"] = [n for n in payload["notes"] if not n.startswith("dashboard (section 14)")]
    payload["notes"].append(f"dashboard (section 14) measured on its own by `python -m bench.dashboard_bench --write` "
                            f"from {results['started']} to {results['finished']} and merged here.")
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return run.render_only()


if __name__ == "__main__":
    raise SystemExit(main())
