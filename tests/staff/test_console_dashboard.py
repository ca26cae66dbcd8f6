"""The dashboard page and its CSV: login required, the filter applied, counts only, no personal data."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import uuid
from typing import Any, Dict, List

import pytest
from sanic import Sanic

from govservice.clock import office_date
from govservice.conversation_events import record_many
from govservice.db import session_scope
from tests.staff.console_helpers import Console

ID = "11010519491231002X"
PHONE = "13900139000"


def _publish(sender: str, when: datetime.datetime, **event: Any) -> bytes:
    return json.dumps({"sender_id": sender, "timestamp": when.timestamp(), **event}, ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def events(db_url: str) -> Dict[str, Any]:
    """Two conversations today (one about a 公安 item, one 人社) and one forty days ago."""
    now = datetime.datetime.now(datetime.timezone.utc)
    senders = [f"dash-{uuid.uuid4().hex[:6]}-{ID}" for _ in range(3)]
    bodies: List[bytes] = []
    for sender, item, when in ((senders[0], "id_card_renew", now), (senders[1], "social_security_card", now),
                               (senders[2], "id_card_lost", now - datetime.timedelta(days=40))):
        text = f"我叫张三，手机{PHONE}"
        bodies.append(_publish(sender, when, event="user", text=text, input_channel="rest",
                               parse_data={"intent": {"name": "ask_materials"}, "text": text}))
        bodies.append(_publish(sender, when, event="slot", name="service_item", value=item))
    with session_scope(db_url) as session:
        record_many(session, bodies)
    return {"senders": senders}


@pytest.fixture()
def officer(app: Sanic) -> Console:
    console = Console(app)
    console.login("ga_officer")
    return console


def _chart_data(html: str) -> Dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def _csv(body: bytes) -> List[List[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_dashboard_needs_a_console_login(app: Sanic) -> None:
    anonymous = Console(app)
    for path in ("/console/dashboard", "/console/dashboard.csv"):
        response = anonymous.get(path)
        assert response.status == 303 and response.headers["location"].startswith("/console/login")


def test_the_page_draws_every_figure_from_the_vendored_echarts(officer: Console, events: Dict[str, Any]) -> None:
    response = officer.get("/console/dashboard")
    assert response.status == 200 and "数据看板" in response.text
    assert '/console/static/vendor/echarts/echarts.min.js' in response.text and "//cdn" not in response.text
    charts = _chart_data(response.text)
    assert {"daily", "channels", "intents", "items", "fallback", "themes", "handoff", "applications",
            "finish_hours", "ratings", "follow_ups"} <= set(charts)
    items = {row[0]: row[2] for row in charts["items"]["rows"]}
    assert items["居民身份证换领"] >= 1 and items["社会保障卡申领（含补换）"] >= 1
    assert "居民身份证补领" not in items  # forty days ago: outside the default thirty days
    assert officer.get("/console/static/vendor/echarts/echarts.min.js").status == 200


def test_the_filter_narrows_period_and_department(officer: Console, events: Dict[str, Any]) -> None:
    today, old = office_date(), office_date() - datetime.timedelta(days=40)
    gone = _chart_data(officer.get(f"/console/dashboard?start={today}&end={today}&department=RS").text)
    assert [row[0] for row in gone["items"]["rows"]] == ["社会保障卡申领（含补换）"]
    past = _chart_data(officer.get(f"/console/dashboard?start={old}&end={old}").text)
    assert [row[0] for row in past["items"]["rows"]] == ["居民身份证补领"]
    for bad in ("start=yesterday", f"start={today}&end={old}", "start=2020-01-01&end=2026-01-01"):
        response = officer.get(f"/console/dashboard?{bad}")
        assert response.status == 400 and "统计期间无效" in response.text


def test_the_csv_holds_the_page_figures(officer: Console, events: Dict[str, Any]) -> None:
    today = office_date()
    response = officer.get(f"/console/dashboard.csv?start={today}&end={today}&department=GA")
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = _csv(response.body)
    assert rows[0] == [f"统计期间：{today} 至 {today}；部门：GA"] and rows[1][0] == "指标"
    items = [row for row in rows[2:] if row[0] == "热门咨询事项"]
    assert [(row[1], row[3]) for row in items] == [("居民身份证换领", "1")]
    page = _chart_data(officer.get(f"/console/dashboard?start={today}&end={today}&department=GA").text)
    assert len(rows) - 2 == sum(len(chart["rows"]) for chart in page.values())


def test_nothing_personal_reaches_the_page_or_the_csv(officer: Console, events: Dict[str, Any]) -> None:
    old = office_date() - datetime.timedelta(days=60)
    html = officer.get(f"/console/dashboard?start={old}&end={office_date()}").text
    body = officer.get(f"/console/dashboard.csv?start={old}&end={office_date()}").body.decode("utf-8-sig")
    for text in (html, body):
        assert ID not in text and PHONE not in text and "张三" not in text
        assert not any(sender in text for sender in events["senders"]) and "dash-" not in text
