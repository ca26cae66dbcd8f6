"""Guess limits: a slot is taken before a secret is checked, in one atomic database step.

Checking first and counting afterwards lets parallel guesses all pass the check before any
of them is counted. Here a guess first takes a slot with one conditional ``UPDATE`` (PostgreSQL
locks the row and re-reads it; SQLite lets one writer at a time), so at most ``max_failures``
guesses are ever checked within the window. A guess that turns out right gives its slot back.

A key's count restarts once its window has passed since the last slot taken; a key with all
slots taken stays locked until then. Keys are plain strings chosen by the caller (a console
username, or keyed hashes for citizens' logins); nothing here knows what they mean.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, case, or_, select, update
from sqlalchemy.orm import Session

from govservice.db import insert_new
from govservice.orm import Base

KEY_CHARS = 100


class AttemptLimit(Base):
    """Slots taken by recent guesses for one key, and when the count restarts."""

    __tablename__ = "attempt_limits"

    key = Column(String(KEY_CHARS), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    expires_at = Column(DateTime, nullable=False)


@dataclass(frozen=True)
class Limit:
    """At most ``max_failures`` guesses, each within ``window`` of the one before."""

    max_failures: int
    window: datetime.timedelta


def _ensure_row(session: Session, key: str, now: datetime.datetime) -> None:
    # Two first guesses at once must not fail on the key.
    insert_new(session, AttemptLimit.__table__, [{"key": key, "failures": 0, "expires_at": now}], ["key"])


def reserve(session: Session, key: str, limit: Limit, now: datetime.datetime) -> Optional[int]:
    """Take a slot for one guess before checking it.

    Returns:
        How many slots are taken now, this one included (1 to ``max_failures``), or None when
        the key is locked and the guess must not be checked.
    """
    key = key[:KEY_CHARS]
    _ensure_row(session, key, now)
    expired = AttemptLimit.expires_at <= now
    taken = session.execute(
        update(AttemptLimit)
        .where(AttemptLimit.key == key, or_(AttemptLimit.failures < limit.max_failures, expired))
        .values(failures=case((expired, 1), else_=AttemptLimit.failures + 1), expires_at=now + limit.window)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    # This transaction holds the row now (the UPDATE locked it), so the count read back is its own.
    failures: int = session.execute(select(AttemptLimit.failures).where(AttemptLimit.key == key)).scalar_one()
    return failures


def release(session: Session, key: str) -> None:
    """Give back one slot: the guess was right (or was never checked)."""
    session.execute(
        update(AttemptLimit)
        .where(AttemptLimit.key == key[:KEY_CHARS], AttemptLimit.failures > 0)
        .values(failures=AttemptLimit.failures - 1)
        .execution_options(synchronize_session=False)
    )


def clear(session: Session, key: str) -> None:
    """Forget every slot of ``key``: its owner has just proved who they are."""
    session.execute(
        update(AttemptLimit)
        .where(AttemptLimit.key == key[:KEY_CHARS])
        .values(failures=0)
        .execution_options(synchronize_session=False)
    )


def locked_until(session: Session, key: str, limit: Limit, now: datetime.datetime) -> Optional[datetime.datetime]:
    """When ``key`` unlocks, or None when it has a slot free (read only; :func:`reserve` decides)."""
    row = session.get(AttemptLimit, key[:KEY_CHARS])
    if row is None or row.expires_at <= now or row.failures < limit.max_failures:
        return None
    until: datetime.datetime = row.expires_at
    return until


def purge(session: Session, now: datetime.datetime) -> int:
    """Delete the keys whose window has passed: they hold nothing that still counts."""
    deleted: int = (
        session.query(AttemptLimit).filter(AttemptLimit.expires_at <= now).delete(synchronize_session=False)
    )
    return deleted
