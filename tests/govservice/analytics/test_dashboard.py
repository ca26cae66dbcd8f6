"""Each dashboard figure equals the count computed here, in plain Python, from the fixture's events.

The events are Rasa event dicts published through Rasa's own SQL event broker and fed into
conversation_events by the feeder (the embedded profile's path); the applications, ratings and
follow-ups go through the back office's own functions with fixed times.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from sqlalchemy import select

from govservice.analytics.dashboard import (
    CHANNEL_LABELS,
    FALLBACK_INTENTS,
    HANDOFF_ACTIONS,
    NO_THEME,
    Filters,
    dashboard,
)
from govservice.analytics.feeder import feed_once, source_engine
from govservice.analytics.labels import intent_label
from govservice.applications.models import FollowUp
from govservice.applications.ratings import rate
from govservice.applications.workflow import accept, approve, reject, start_review, submit_application
from govservice.catalog.models import Department, ServiceItem
from govservice.db import session_scope
from tests.databases import Databases, seeded_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZHANG = "11010519491231002X"
PHONE = "13800138000"
START, END = datetime.date(2026, 11, 2), datetime.date(2026, 11, 5)
CHANNELS = ("rest", "socketio", "wechat")
ITEMS = ("id_card_renew", "id_card_lost", "social_security_card", "passport_issue", "real_estate_query")
INTENTS = ("ask_materials", "ask_fee", "nlu_fallback", "greet", "ask_process", "request_human")


def _local(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def _conversations() -> List[Dict[str, Any]]:
    """Deterministic, varied conversations from 1 to 6 November; some outside the 2nd-5th period."""
    plans = []
    for n in range(40):
        day, hour = 1 + n % 6, [8, 12, 23, 0, 17][n % 5]  # 23:xx and 00:xx test the office day
        intents = [INTENTS[(n + k) % len(INTENTS)] for k in range(1 + n % 3)]
        items = [ITEMS[(n * 3 + k) % len(ITEMS)] for k in range(n % 3)]
        plans.append({"sender": f"conv-{n}", "channel": CHANNELS[n % 3], "at": _local(day, hour, 30),
                      "intents": intents, "items": items, "handoff": n % 7 == 0})
    return plans


def _events(plan: Dict[str, Any]) -> List[Dict[str, Any]]:
    events, moment = [], plan["at"].timestamp()
    for k, intent in enumerate(plan["intents"]):
        text = f"我的电话{PHONE}，身份证{ZHANG}，想问第{k}件事"
        events.append({"event": "user", "text": text, "input_channel": plan["channel"], "timestamp": moment,
                       "parse_data": {"intent": {"name": intent, "confidence": 0.5}, "text": text, "entities": []}})
        events.append({"event": "action", "name": "action_answer_service", "timestamp": moment + 1})
        events.append({"event": "bot", "text": f"好的{PHONE}", "timestamp": moment + 2})
        moment += 60
    for item in plan["items"]:
        events.append({"event": "slot", "name": "service_item", "value": item, "timestamp": moment})
        moment += 1
    events.append({"event": "slot", "name": "login_id", "value": ZHANG, "timestamp": moment})
    if plan["handoff"]:
        events.append({"event": "action", "name": HANDOFF_ACTIONS[0], "timestamp": moment + 1})
    return [{"sender_id": plan["sender"], **event} for event in events]


Step = Optional[Tuple[str, datetime.datetime]]
Seeded = Tuple[str, List[Dict[str, Any]]]
Figures = Dict[str, Dict[Tuple[str, str], float]]
# (item, submitted, decided: (how, when) or None, rating: (level, when) or None)
APPLICATIONS: List[Tuple[str, datetime.datetime, Step, Step]] = [
    ("social_security_card", _local(2, 9), ("approve", _local(3, 15)), ("非常满意", _local(3, 16))),
    ("social_security_card", _local(2, 10), ("reject", _local(4, 11)), ("不满意", _local(4, 12))),
    ("social_security_card", _local(3, 9), ("approve", _local(3, 18)), ("非常不满意", _local(5, 9))),
    ("social_security_card", _local(4, 9), None, None),
    ("social_security_card", _local(6, 9), ("approve", _local(6, 10)), ("满意", _local(6, 11))),  # after the period
    ("id_card_renew", _local(2, 11), ("approve", _local(5, 11)), ("基本满意", _local(5, 12))),
    ("id_card_renew", _local(1, 11), ("approve", _local(2, 11)), ("满意", _local(2, 12))),  # submitted before
]


@pytest.fixture(scope="module")
def seeded(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with seeded_database(databases, "dashboard") as url:
        path = tmp_path_factory.mktemp("broker") / "rasa_events.db"
        broker = SQLEventBroker(db=str(path))
        events = [event for plan in _conversations() for event in _events(plan)]
        for event in events:
            broker.publish(event)
        source = source_engine(f"sqlite:///{path}")
        while feed_once(source, url, batch=97):
            pass
        _applications(url)
        yield url, events


def _applications(url: str) -> None:
    with session_scope(url) as session:
        department = {key: code for key, code in session.execute(select(ServiceItem.key, ServiceItem.department_code))}
    for n, (item, submitted, decided, rating) in enumerate(APPLICATIONS):
        app = submit_application(url, idempotency_key=f"dash-{n}", item_key=item, person_id=ZHANG, channel="rest",
                                 sender="dash", form_data={}, now=submitted)
        if decided is None:
            continue
        how, when = decided
        code = department[item]
        with session_scope(url) as session:
            accept(session, app.number, "officer", code, now=submitted + datetime.timedelta(minutes=5))
            start_review(session, app.number, "officer", code, now=submitted + datetime.timedelta(minutes=6))
            if how == "approve":
                approve(session, app.number, "officer", code, now=when)
            else:
                reject(session, app.number, "officer", code, "材料不全", now=when)
            if rating is not None:
                rate(session, app.number, ZHANG, rating[0], comment=f"联系我{PHONE}", now=rating[1])


def _in_period(timestamp: float, department_senders: Optional[Set[str]] = None, sender: str = "") -> bool:
    day = datetime.datetime.fromtimestamp(timestamp, SHANGHAI).date()
    return START <= day <= END and (department_senders is None or sender in department_senders)


def _expected(url: str, events: List[Dict[str, Any]], department: Optional[str]) -> Figures:
    with session_scope(url) as session:
        items = {key: (name, code, topic) for key, name, code, topic in session.execute(
            select(ServiceItem.key, ServiceItem.name, ServiceItem.department_code, ServiceItem.topic))}
        departments = {code: name for code, name in session.execute(select(Department.code, Department.name))}
    asked = [e for e in events if e["event"] == "slot" and e["name"] == "service_item" and _in_period(e["timestamp"])]
    scope = {e["sender_id"] for e in asked if items[e["value"]][1] == department} if department else None
    kept = [e for e in events if _in_period(e["timestamp"], scope, e["sender_id"])]
    users = [e for e in kept if e["event"] == "user"]
    day = lambda e: datetime.datetime.fromtimestamp(e["timestamp"], SHANGHAI).date().isoformat()  # noqa: E731
    daily: Dict[Tuple[str, str], Set[str]] = defaultdict(set)
    channels: Dict[Tuple[str, str], Set[str]] = defaultdict(set)
    for e in users:
        daily[(day(e), CHANNEL_LABELS[e["input_channel"]])].add(e["sender_id"])
        channels[(CHANNEL_LABELS[e["input_channel"]], "")].add(e["sender_id"])
    intents = Counter(e["parse_data"]["intent"]["name"] for e in users)
    item_convs: Dict[Tuple[str, str], Set[str]] = defaultdict(set)
    topics: Dict[str, Set[str]] = defaultdict(set)
    for e in kept:
        if e in asked and (not department or items[e["value"]][1] == department):
            item_convs[(items[e["value"]][0], "")].add(e["sender_id"])
    fell_back = {e["sender_id"] for e in users if e["parse_data"]["intent"]["name"] in FALLBACK_INTENTS}
    for e in kept:
        if e["event"] == "slot" and e["name"] == "service_item" and e["sender_id"] in fell_back:
            topics[items[e["value"]][2]].add(e["sender_id"])
    themed = set().union(*topics.values()) if topics else set()
    theme_rows = {(t, ""): float(len(s)) for t, s in topics.items()}
    if fell_back - themed:
        theme_rows[(NO_THEME, "")] = float(len(fell_back - themed))
    fallbacks = sum(1 for e in users if e["parse_data"]["intent"]["name"] in FALLBACK_INTENTS)
    conversations = {e["sender_id"] for e in users}
    handed = {e["sender_id"] for e in kept if e["event"] == "action" and e["name"] in HANDOFF_ACTIONS}
    return {
        "daily": {k: float(len(v)) for k, v in daily.items()},
        "channels": {k: float(len(v)) for k, v in channels.items()},
        "intents": {(intent_label(k), ""): float(v) for k, v in intents.items()},
        "items": {k: float(len(v)) for k, v in item_convs.items()},
        "fallback": {("未识别", ""): float(fallbacks), ("已识别", ""): float(len(users) - fallbacks)},
        "themes": theme_rows,
        "handoff": {("转人工", ""): float(len(handed)), ("未转人工", ""): float(len(conversations) - len(handed))},
        **_expected_applications(items, departments, department),
    }


def _expected_applications(items: Dict[str, Tuple[str, str, str]], departments: Dict[str, str],
                           department: Optional[str]) -> Figures:
    def local_day(moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(SHANGHAI).date()

    mine = [a for a in APPLICATIONS if not department or items[a[0]][1] == department]
    submitted = Counter(departments[items[a[0]][1]] for a in mine if START <= local_day(a[1]) <= END)
    spans: Dict[str, List[float]] = defaultdict(list)
    for item, at, decided, _ in mine:
        if decided and START <= local_day(decided[1]) <= END:
            spans[departments[items[item][1]]].append((decided[1] - at).total_seconds() / 3600)
    levels = Counter(a[3][0] for a in mine if a[3] and START <= local_day(a[3][1]) <= END)
    bad = ("不满意", "非常不满意")
    negative = Counter((departments[items[a[0]][1]], "已超期") for a in mine if a[3] and a[3][0] in bad)
    return {
        "applications": {(k, ""): float(v) for k, v in submitted.items()},
        "finish_hours": {(k, ""): round(sum(v) / len(v), 6) for k, v in spans.items()},
        "ratings": {(k, ""): float(v) for k, v in levels.items()},
        "follow_ups": {k: float(v) for k, v in negative.items()},
    }


def _actual(url: str, department: Optional[str]) -> Figures:
    with session_scope(url) as session:
        figures = dashboard(session, Filters(START, END, department), today=datetime.date(2027, 1, 1))
    return {key: {(category, series): value for category, series, value in figure.rows}
            for key, figure in figures.items()}


@pytest.mark.parametrize("department", [None, "GA", "RS"])
def test_every_figure_matches_the_events_counted_here(seeded: Seeded,
                                                      department: Optional[str]) -> None:
    url, events = seeded
    expected, actual = _expected(url, events, department), _actual(url, department)
    assert set(actual) == set(expected)
    for key, rows in expected.items():
        if key in ("intents", "items", "themes"):  # the ten largest; the fixture has fewer
            assert len(rows) <= 10
        assert actual[key] == rows, key
    assert sum(actual["daily"].values()) > 0 and actual["items"] and actual["themes"]


def test_the_figures_hold_no_personal_data(seeded: Seeded) -> None:
    url, events = seeded
    text = str(_actual(url, None))
    for personal in (ZHANG, PHONE, "conv-", "联系我", "第0件事", "dash"):
        assert personal not in text


def test_a_follow_up_is_overdue_after_its_deadline_and_counted_while_open(seeded: Seeded) -> None:
    url, _ = seeded
    with session_scope(url) as session:
        figures = dashboard(session, Filters(START, END), today=END)
    assert {row[1] for row in figures["follow_ups"].rows} == {"未到期"}  # due 15 working days after the rating
    with session_scope(url) as session:
        first = session.scalars(select(FollowUp).order_by(FollowUp.id)).first()
        assert first is not None
        first.status = "closed"
    try:
        with session_scope(url) as session:
            later = dashboard(session, Filters(START, END), today=datetime.date(2027, 1, 1))["follow_ups"].rows
    finally:  # the module's other tests count both again
        with session_scope(url) as session:
            session.execute(FollowUp.__table__.update().values(status="open"))
    assert sum(row[2] for row in later) == 1  # of the two 差评, the closed one no longer counts
