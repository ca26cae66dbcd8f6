"""One clock: times are stored in UTC, people see them in the office's zone (Asia/Shanghai).

Stored times, every ``DateTime`` column and every ``now`` passed around, are **naive datetimes in
UTC** (:func:`utc_now`): SQLite keeps no zone, and one convention keeps comparisons right across
processes and machines whatever zone a machine runs in. A naive datetime handed to this module
is therefore UTC. Calendar days that matter to people (certificate validity, "today", application
numbers, deadlines) are days in the office's zone (:func:`office_date`). Every time shown to a
citizen or an officer goes through :func:`office_text`; the APIs send :func:`office_iso`
(ISO 8601 with the ``+08:00`` offset).
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Optional, Union
from zoneinfo import ZoneInfo

OFFICE_TZ = "Asia/Shanghai"
"""The zone of the offices and of everything shown to people; the handoff hours default to it."""
MINUTES = "%Y-%m-%d %H:%M"


@cache
def office_zone() -> ZoneInfo:
    """The office's zone."""
    return ZoneInfo(OFFICE_TZ)


def utc_now() -> datetime.datetime:
    """Now, as stored: naive UTC."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def stored(moment: Optional[datetime.datetime] = None) -> datetime.datetime:
    """``moment`` (now by default) as stored: an aware time converted to naive UTC, a naive one kept."""
    if moment is None:
        return utc_now()
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def to_office(moment: Optional[datetime.datetime] = None) -> datetime.datetime:
    """``moment`` (now by default; naive means UTC) as an aware time in the office's zone."""
    if moment is None:
        return datetime.datetime.now(office_zone())
    aware = moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
    return aware.astimezone(office_zone())


def office_date(moment: Optional[datetime.datetime] = None) -> datetime.date:
    """The office's calendar day at ``moment`` (today by default)."""
    return to_office(moment).date()


def office_text(moment: Union[datetime.datetime, str, None], fmt: str = MINUTES) -> str:
    """A time for people, in the office's zone (``2026-03-02 08:05``); "" for None.

    Args:
        moment: a stored (naive UTC) or aware time, or ISO 8601 text (as the APIs send it).
        fmt: the ``strftime`` format.
    """
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return to_office(moment).strftime(fmt)


def office_iso(moment: Optional[datetime.datetime]) -> Optional[str]:
    """ISO 8601 with the office's offset, to the second (``2026-03-02T08:05:00+08:00``); None stays None."""
    if moment is None:
        return None
    return to_office(moment).isoformat(timespec="seconds")
