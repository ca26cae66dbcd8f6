"""The two SQL expressions the dashboard needs that SQLite and PostgreSQL spell differently.

Times are stored as naive UTC (:mod:`govservice.clock`); people count days in the office's zone.
Asia/Shanghai keeps one offset all year (no daylight saving), so a fixed shift is exact.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from govservice.clock import office_zone

_OFFSET = datetime.datetime(2026, 1, 1, tzinfo=office_zone()).utcoffset() or datetime.timedelta(0)
OFFSET_HOURS = int(_OFFSET.total_seconds() // 3600)
"""The office zone's offset from UTC, in hours (+8)."""


class office_day(FunctionElement):  # noqa: N801  (named like the SQL function it stands for)
    """``office_day(stored_time)``: the office's calendar day, as ``YYYY-MM-DD`` text."""

    type = String()
    inherit_cache = True
    name = "office_day"


class seconds_between(FunctionElement):  # noqa: N801
    """``seconds_between(later, earlier)``: the seconds from ``earlier`` to ``later``."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(office_day, "sqlite")
def _office_day_sqlite(element: office_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '{OFFSET_HOURS:+d} hours')"


@compiles(office_day, "postgresql")
def _office_day_postgresql(element: office_day, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char({moment} + interval '{OFFSET_HOURS} hours', 'YYYY-MM-DD')"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
