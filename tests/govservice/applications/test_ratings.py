"""好差评: only the applicant, only finished applications, one rating each; 差评 → follow-up in 15 working days."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.applications.models import FollowUp, Rating
from govservice.applications.queries import next_step_text
from govservice.applications.ratings import (
    HOLIDAYS,
    add_working_days,
    close_followup,
    followups_for_department,
    rate,
    rating_reply,
)
from govservice.applications.states import ApplicationNotFound, RatingError, ScopeError
from govservice.applications.workflow import accept, approve, reject, start_review, submit_application
from govservice.db import session_scope
from tests.databases import Databases, seeded_database

ZHANG = "11010519491231002X"
LI = "440308199901101512"
MONDAY = datetime.datetime(2025, 11, 3, 10, 0)


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "ratings") as url:
        yield url


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def _application(url: str, key: str, finish: str = "approve") -> str:
    """Submit a 社会保障卡 application (人社) and take it to 已办结 / 不予受理 / 审核中."""
    app = submit_application(
        url,
        idempotency_key=key,
        item_key="social_security_card",
        person_id=ZHANG,
        channel="rest",
        sender="zhang",
        form_data={},
    )
    with session_scope(url) as s:
        accept(s, app.number, "人社小陈", "RS")
        start_review(s, app.number, "人社小陈", "RS")
        if finish == "approve":
            approve(s, app.number, "人社小陈", "RS")
        elif finish == "reject":
            reject(s, app.number, "人社小陈", "RS", "照片不符合要求")
    return str(app.number)


def test_working_days() -> None:
    friday = datetime.date(2025, 11, 7)
    assert add_working_days(friday, 1) == datetime.date(2025, 11, 10)  # Saturday and Sunday skipped
    assert add_working_days(MONDAY.date(), 15) == datetime.date(2025, 11, 24)
    assert add_working_days(datetime.date(2025, 9, 30), 1) == datetime.date(2025, 10, 9)  # 国庆中秋
    assert add_working_days(friday, 0) == friday
    assert all(day.year in (2025, 2026) for day in HOLIDAYS)


def test_only_finished_applications_of_the_applicant(db_url: str, session: Session) -> None:
    pending = _application(db_url, "rate-pending", finish="none")
    with pytest.raises(RatingError, match="办结后才能评价"):
        rate(session, pending, ZHANG, "满意")
    number = _application(db_url, "rate-ok")
    with pytest.raises(ScopeError):
        rate(session, number, LI, "满意")
    with pytest.raises(RatingError, match="请选择评价等级"):
        rate(session, number, ZHANG, "还行")
    with pytest.raises(ApplicationNotFound):
        rate(session, "20000101RS000001", ZHANG, "满意")


def test_one_rating_per_application(db_url: str) -> None:
    number = _application(db_url, "rate-once")
    with session_scope(db_url) as s:
        rating = rate(s, number, ZHANG, "非常满意", "很快", MONDAY)
        assert rating.follow_up is None and "感谢您" in rating_reply(rating)
        assert next_step_text(rating.application) == "已办结，感谢您的评价"
    with session_scope(db_url) as s, pytest.raises(RatingError, match="已评价过，每件办件只能评价一次"):
        rate(s, number, ZHANG, "不满意", "改主意了")
    with session_scope(db_url) as s:
        assert s.query(Rating).filter(Rating.comment == "很快").count() == 1
        assert s.query(FollowUp).count() == 0


def test_bad_rating_opens_a_follow_up(db_url: str) -> None:
    number = _application(db_url, "rate-bad", finish="reject")  # 不予受理 may be rated as well
    with session_scope(db_url) as s:
        rating = rate(s, number, ZHANG, "非常不满意", "窗口态度差", MONDAY)
        follow_up = rating.follow_up
        assert follow_up is not None and follow_up.status == "open" and follow_up.department_code == "RS"
        assert follow_up.deadline == datetime.date(2025, 11, 24)  # 15 working days, weekends skipped
        assert "窗口态度差" in follow_up.note and "2025年11月24日" in rating_reply(rating)
    with session_scope(db_url) as s:
        assert [f.application.number for f in followups_for_department(s, "RS")] == [number]
        assert followups_for_department(s, "GA") == []
        with pytest.raises(ScopeError):
            close_followup(s, follow_up.id, "GA", "已回访")
        with pytest.raises(RatingError):
            close_followup(s, follow_up.id, "RS", "")
        closed = close_followup(s, follow_up.id, "RS", "已电话回访并致歉")
        assert closed.status == "closed" and "已电话回访并致歉" in closed.note
    with session_scope(db_url) as s:
        assert followups_for_department(s, "RS") == []
        assert len(followups_for_department(s, "RS", status=None)) == 1
