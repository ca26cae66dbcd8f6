"""Console login lockout: wrong passwords per username, counted in the database.

Counting in the database rather than in a process means every staff-app instance behind a
proxy sees the same failures, so running more instances does not multiply the guesses an
attacker gets. After :data:`MAX_FAILURES` wrong passwords within :data:`LOCK_MINUTES` the
username's logins are refused until the oldest of them leaves the window.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.orm import Session

from govservice.models import Base

MAX_FAILURES = 5
LOCK_MINUTES = 15
USERNAME_CHARS = 40


class OfficerLoginFailure(Base):
    """One wrong password for a console username (existing or not, so names cannot be probed)."""

    __tablename__ = "officer_login_failures"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(USERNAME_CHARS), nullable=False, index=True)
    at = Column(DateTime, nullable=False, index=True)


def _window_start(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(minutes=LOCK_MINUTES)


def is_locked(session: Session, username: str, now: datetime.datetime) -> bool:
    """True when ``username`` had :data:`MAX_FAILURES` wrong passwords within the window."""
    recent = session.query(OfficerLoginFailure).filter(
        OfficerLoginFailure.username == username[:USERNAME_CHARS], OfficerLoginFailure.at > _window_start(now)
    )
    return recent.count() >= MAX_FAILURES


def record_failure(session: Session, username: str, now: datetime.datetime) -> None:
    """Count one wrong password; failures older than the window are dropped, they no longer count."""
    session.query(OfficerLoginFailure).filter(OfficerLoginFailure.at <= _window_start(now)).delete(
        synchronize_session=False
    )
    session.add(OfficerLoginFailure(username=username[:USERNAME_CHARS], at=now))
    session.flush()
