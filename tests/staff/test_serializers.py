"""Times staff see are Asia/Shanghai: the API's ISO 8601 with +08:00, the console pages, the transcript.

An application submitted at 16:30 UTC on 1 March was submitted at 00:30 on 2 March in Shanghai:
its number, the API, the console and the date filter all say 2 March.
"""

from __future__ import annotations

import datetime

from sanic import Sanic

from govservice.conversation_archive import message_line
from govservice.db import session_scope
from govservice.handoff import queue as handoff
from staff.console.handoff_actions import ticket_json
from staff.serializers import iso
from tests.staff.conftest import bearer, residence_permit
from tests.staff.console_helpers import Console

NEAR_MIDNIGHT = datetime.datetime(2026, 3, 1, 16, 30)  # stored (UTC)
ISO = "2026-03-02T00:30:00+08:00"


def test_the_department_api_sends_shanghai_times_with_offset(app: Sanic, db_url: str) -> None:
    number = residence_permit(db_url, now=NEAR_MIDNIGHT)
    assert number.startswith("20260302")  # the number carries the Shanghai day
    _, detail = app.test_client.get(f"/api/v1/applications/{number}", headers=bearer("ga_officer"))
    assert detail.status == 200
    assert detail.json["submitted_at"] == ISO and detail.json["updated_at"] == ISO
    assert [change["at"] for change in detail.json["history"]] == [ISO]
    for day, found in (("2026-03-02", True), ("2026-03-01", False)):
        _, listed = app.test_client.get(
            "/api/v1/applications", params={"date_from": day, "date_to": day, "per_page": 100},
            headers=bearer("ga_officer"),
        )
        assert (number in [item["number"] for item in listed.json["items"]]) is found, day


def test_the_console_shows_shanghai_times(app: Sanic, db_url: str) -> None:
    number = residence_permit(db_url, now=NEAR_MIDNIGHT)
    console = Console(app)
    assert console.login("ga_officer").status == 303
    page = console.get("/console/applications").text
    row = page[page.index(number):]
    assert "2026-03-02 00:30" in row[: row.index("</tr>")]


def test_handoff_tickets_and_transcripts_are_in_shanghai_time(db_url: str) -> None:
    with session_scope(db_url) as session:
        ticket, _ = handoff.request_live(session, "rest", "clock-citizen", NEAR_MIDNIGHT)
        shown = ticket_json(ticket)
        session.rollback()
    assert shown["created_at"] == ISO and shown["taken_at"] is None
    stamp = NEAR_MIDNIGHT.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert message_line({"event": "user", "text": "你好", "timestamp": stamp}) == {
        "who": "citizen", "text": "你好", "time": "03-02 00:30:00",
    }


def test_dates_stay_dates() -> None:
    assert iso(datetime.date(2026, 3, 2)) == "2026-03-02" and iso(None) is None
    assert iso(NEAR_MIDNIGHT) == ISO
