"""好差评: one rating per finished application; a 差评 opens a follow-up for the department.

A rating of 不满意 or 非常不满意 opens a :class:`FollowUp` whose deadline is 15 working days
after the rating (weekends and the statutory holidays in :data:`HOLIDAYS` are skipped).
Functions flush but do not commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime
from typing import FrozenSet, Iterable, List, Optional

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govservice.applications.models import FollowUp, Rating
from govservice.applications.states import NEGATIVE_LEVELS, RATABLE_STATUSES, RATING_LEVELS, RatingError, ScopeError
from govservice.applications.store import load_application
from govservice.clock import office_date, stored

FOLLOW_UP_WORKING_DAYS = 15
"""A 差评 must be followed up within this many working days."""

MAX_COMMENT_CHARS = 500


def _days(first: str, last: str) -> List[datetime.date]:
    start, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


HOLIDAYS: FrozenSet[datetime.date] = frozenset(
    day
    for first, last in [
        ("2025-01-01", "2025-01-01"),
        ("2025-01-28", "2025-02-04"),
        ("2025-04-04", "2025-04-06"),
        ("2025-05-01", "2025-05-05"),
        ("2025-05-31", "2025-06-02"),
        ("2025-10-01", "2025-10-08"),
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ]
    for day in _days(first, last)
)
"""Statutory holidays (法定节假日) of 2025-2026, a small illustrative list; 调休 workdays are ignored."""


def add_working_days(start: datetime.date, days: int, holidays: Iterable[datetime.date] = HOLIDAYS) -> datetime.date:
    """Return the date ``days`` working days after ``start`` (Saturdays, Sundays and holidays skipped).

    Args:
        start: the day the period starts (not counted).
        days: the number of working days, at least 0.
        holidays: non-working weekdays.
    """
    closed = set(holidays)
    day, left = start, days
    while left > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            left -= 1
    return day


def rate(
    session: Session,
    app_number: str,
    person_id: str,
    level: str,
    comment: Optional[str] = None,
    now: Optional[datetime.datetime] = None,
) -> Rating:
    """Record the applicant's rating of a finished (已办结/不予受理) application.

    Args:
        session: the database session (the caller commits).
        app_number: the application number.
        person_id: the rater, who must be the applicant.
        level: one of 非常满意/满意/基本满意/不满意/非常不满意.
        comment: the citizen's comment (optional, up to 500 characters).
        now: the rating time; now (UTC, as stored) by default.

    Returns:
        The rating; a 差评 has its ``follow_up`` for the department.

    Raises:
        RatingError: unknown level, application not finished, or already rated.
        ScopeError: another person's application.
        ApplicationNotFound: no such application.
    """
    level = (level or "").strip()
    if level not in RATING_LEVELS:
        raise RatingError("请选择评价等级：" + "、".join(RATING_LEVELS))
    app = load_application(session, app_number, person_id=person_id)
    if app.status not in RATABLE_STATUSES:
        raise RatingError(f"办件{app.number}当前状态为「{app.status}」，办结后才能评价")
    if session.query(Rating).filter(Rating.application_id == app.id).first() is not None:
        raise RatingError(f"办件{app.number}已评价过，每件办件只能评价一次")
    text = (comment or "").strip()[:MAX_COMMENT_CHARS] or None
    moment = stored(now)
    rating = Rating(application_id=app.id, person_id=person_id, level=level, comment=text, at=moment)
    session.add(rating)
    try:
        session.flush()  # the UNIQUE application_id settles a concurrent second rating
    except IntegrityError as error:
        raise RatingError(f"办件{app.number}已评价过，每件办件只能评价一次") from error
    if level in NEGATIVE_LEVELS:
        note = f"差评（{level}）" + (f"：{text}" if text else "")
        session.add(
            FollowUp(
                rating_id=rating.id,
                application_id=app.id,
                department_code=app.department_code,
                deadline=add_working_days(office_date(moment), FOLLOW_UP_WORKING_DAYS),
                status="open",
                note=note,
                created_at=moment,
            )
        )
        session.flush()
    session.refresh(rating)
    return rating


def followups_for_department(session: Session, department_code: str, status: Optional[str] = "open") -> List[FollowUp]:
    """The department's follow-ups (open ones by default; None: all), earliest deadline first."""
    query = session.query(FollowUp).filter(FollowUp.department_code == department_code)
    if status:
        query = query.filter(FollowUp.status == status)
    return query.order_by(FollowUp.deadline, FollowUp.id).all()


def close_followup(
    session: Session, followup_id: int, department_code: str, note: str, now: Optional[datetime.datetime] = None
) -> FollowUp:
    """Close a follow-up of the department with a note on what was done (整改/回访情况).

    Raises:
        ScopeError: the follow-up belongs to another department (or does not exist).
        RatingError: no note, or already closed.
    """
    follow_up = session.get(FollowUp, followup_id)
    if follow_up is None or follow_up.department_code != department_code:
        raise ScopeError("该差评回访不属于本部门")
    if follow_up.status != "open":
        raise RatingError("该差评回访已办结")
    if not (note or "").strip():
        raise RatingError("请填写整改或回访情况")
    follow_up.status, follow_up.closed_at = "closed", stored(now)
    follow_up.note = f"{follow_up.note or ''}\n处理情况：{note.strip()}".strip()
    session.flush()
    return follow_up


def rating_reply(rating: Rating) -> str:
    """The Chinese reply to the citizen after rating."""
    follow_up = rating.follow_up
    if follow_up is None:
        return f"感谢您对办件{rating.application.number}的评价（{rating.level}）！"
    return (
        f"感谢您的反馈，很抱歉给您带来不好的体验。您的意见已转交{rating.application.department.name}，"
        f"将在{follow_up.deadline:%Y年%m月%d日}前联系您回访整改。"
    )
