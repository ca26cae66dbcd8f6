"""Console login lockout: wrong passwords per username, counted in the database.

Counting in the database rather than in a process means every staff-app instance behind a
proxy sees the same failures, so running more instances does not multiply the guesses an
attacker gets. A login takes a slot (:mod:`govservice.limits`) before its password is checked
and gives it back when the password is right, so parallel guesses cannot all be checked: after
:data:`MAX_FAILURES` wrong passwords, each within :data:`LOCK_MINUTES` of the one before, the
username's logins are refused for :data:`LOCK_MINUTES`. Unknown usernames count alike, so
names cannot be probed.
"""

from __future__ import annotations

import datetime

from sqlalchemy.orm import Session

from govservice import limits

MAX_FAILURES = 5
LOCK_MINUTES = 15
USERNAME_CHARS = 40
LIMIT = limits.Limit(MAX_FAILURES, datetime.timedelta(minutes=LOCK_MINUTES))


def _key(username: str) -> str:
    return f"officer:{username[:USERNAME_CHARS]}"


def reserve(session: Session, username: str, now: datetime.datetime) -> bool:
    """Take a slot for checking one password of ``username``; False when the username is locked.

    Run it in its own transaction before the check, so the slot counts at once for every instance.
    """
    return limits.reserve(session, _key(username), LIMIT, now) is not None


def release(session: Session, username: str) -> None:
    """The password was right: its slot does not count as a failure."""
    limits.release(session, _key(username))

