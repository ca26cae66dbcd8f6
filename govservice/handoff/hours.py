"""Office hours of the human handoff (转人工), configurable through the environment.

``HANDOFF_DAYS`` ("1-5", or a list such as "1,2,3,4,5,6"; 1 = Monday), ``HANDOFF_HOURS``
("09:00-17:00") and ``HANDOFF_TZ`` (the office's zone, :data:`govservice.clock.OFFICE_TZ`) are
read on every call, so a change takes effect without a restart of the action server.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import FrozenSet, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from govservice import settings
from govservice.clock import OFFICE_TZ, stored

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfficeHours:
    """When agents answer: days of the week (1 = Monday) and a daily window, in one time zone."""

    days: FrozenSet[int] = frozenset(range(1, 6))
    opens: datetime.time = datetime.time(9, 0)
    closes: datetime.time = datetime.time(17, 0)
    zone: str = OFFICE_TZ

    def is_open(self, moment: Optional[datetime.datetime] = None) -> bool:
        """True when ``moment`` (now by default; a naive one is UTC, as stored) is in hours."""
        local = self.local(moment)
        return local.isoweekday() in self.days and self.opens <= local.time() < self.closes

    def local(self, moment: Optional[datetime.datetime] = None) -> datetime.datetime:
        """``moment`` (now by default; a naive one is UTC, as stored) in the hours' zone."""
        return stored(moment).replace(tzinfo=datetime.timezone.utc).astimezone(ZoneInfo(self.zone))

    def describe(self) -> str:
        """E.g. ``周一至周五 9:00-17:00``."""
        names = "一二三四五六日"
        ordered = sorted(self.days)
        if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
            days = f"周{names[ordered[0] - 1]}至周{names[ordered[-1] - 1]}"
        else:
            days = "、".join(f"周{names[d - 1]}" for d in ordered)
        closes = "24:00" if self.closes == datetime.time.max else f"{self.closes.hour}:{self.closes.minute:02d}"
        return f"{days} {self.opens.hour}:{self.opens.minute:02d}-{closes}"


def parse_office_hours(days: str, hours: str, zone: str) -> OfficeHours:
    """Office hours from ``HANDOFF_DAYS`` ("1-5" or "1,2,3"), ``HANDOFF_HOURS`` ("09:00-17:00") and a zone.

    Raises:
        ValueError: a malformed value.
    """
    chosen: set = set()
    for part in days.replace("，", ",").split(","):
        first, _, last = part.strip().partition("-")
        chosen.update(range(int(first), int(last or first) + 1))
    if not chosen or not chosen <= set(range(1, 8)):
        raise ValueError(f"bad HANDOFF_DAYS: {days}")
    opens, _, closes = hours.partition("-")
    start = datetime.time.fromisoformat(opens.strip())
    # "24:00" closes at midnight: the whole day, which time.fromisoformat cannot spell.
    end = datetime.time.max if closes.strip() == "24:00" else datetime.time.fromisoformat(closes.strip())
    if start >= end:
        raise ValueError(f"bad HANDOFF_HOURS: {hours}")
    try:
        ZoneInfo(zone)
    except ZoneInfoNotFoundError as error:
        raise ValueError(f"bad HANDOFF_TZ: {zone}") from error
    return OfficeHours(frozenset(chosen), start, end, zone)


def office_hours() -> OfficeHours:
    """The configured office hours (:mod:`govservice.settings`); Mon-Fri 9:00-17:00, office zone, by default.

    A malformed setting is logged and the default used: a typo must not break the handoff action.
    """
    try:
        configured = settings.current()
        return parse_office_hours(configured.handoff_days, configured.handoff_hours, configured.handoff_tz)
    except ValueError as error:
        logger.warning("handoff office hours: %s; using Mon-Fri 09:00-17:00 %s", error, OFFICE_TZ)
        return OfficeHours()
