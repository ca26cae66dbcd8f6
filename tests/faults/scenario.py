"""One fault under load: citizens chat through nginx, applications are confirmed, the fault strikes.

:func:`run_fault` prepares the applications, starts a bounded load (``FAULT_LOAD`` concurrent
conversations, default 4), injects the fault on a thread, measures the seconds from injection to
the first normal reply on a fresh conversation, lets the load run on, then checks what the
citizens saw and what the stores hold. Its :class:`FaultReport` goes into the summary table
that ``make faults`` prints (tests/faults/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

from tests.faults import applications
from tests.faults.citizens import Citizens, Turn
from tests.faults.stack import Stack

LOAD = int(os.environ.get("FAULT_LOAD", "4"))
WARM_UP_SECONDS = 5
AFTER_SECONDS = 10


@dataclass
class FaultReport:
    """What one fault did to the citizens and the stores."""

    name: str
    recovery_seconds: float = 0.0
    restored_seconds: Any = None  # what the injector returned: the server back, Redis answering...
    counts: Dict[str, int] = field(default_factory=dict)
    bad: List[str] = field(default_factory=list)
    lost: List[str] = field(default_factory=list)
    applications: Dict[str, List[str]] = field(default_factory=dict)  # confirmed number -> rows found
    turns: List[Turn] = field(default_factory=list)

    def doubled_or_missing(self) -> List[str]:
        """Every confirmed application that is not in the database exactly once."""
        return [f"{number}: {rows}" for number, rows in self.applications.items() if rows != [number]]

    def line(self) -> str:
        """One row of the summary table."""
        apps = f"{len(self.applications) - len(self.doubled_or_missing())}/{len(self.applications)}"
        return (f"{self.name:<32} {self.recovery_seconds:>9} {str(self.restored_seconds):>9} "
                f"{self.counts.get('ok', 0):>5} {self.counts.get('busy', 0):>5} {self.counts.get('bad', 0):>4} "
                f"{len(self.lost):>5} {apps:>6}")

    def assert_clean(self) -> None:
        """Fail with the first problems found, if any."""
        problems = [*self.bad[:5], *(f"lost turn {t}" for t in self.lost[:5]), *self.doubled_or_missing()]
        assert not problems, f"{self.name}: " + "; ".join(problems)


HEADER = (f"{'fault':<32} {'recover s':>9} {'restore s':>9} {'ok':>5} {'busy':>5} {'bad':>4} "
          f"{'lost':>5} {'apps':>6}")
RESULTS: List[FaultReport] = []
"""Every fault run in this session, for the summary table."""


async def _under_load(stack: Stack, report: FaultReport, inject: Callable[[], Any], offsets: List[int]) -> None:
    async with Citizens(stack.url, stack.rasa_token, f"fault{len(RESULTS)}") as citizens:
        applicants = [await applications.prepare(citizens, offset) for offset in offsets]
        stop = asyncio.Event()
        load = [asyncio.create_task(citizens.chat(worker, stop)) for worker in range(LOAD)]
        await asyncio.sleep(WARM_UP_SECONDS)
        since = time.monotonic()
        injected = asyncio.create_task(asyncio.to_thread(inject))
        confirms = [asyncio.create_task(applications.confirm(citizens, a)) for a in applicants]
        try:
            report.recovery_seconds = await citizens.first_normal_reply(since)
            report.restored_seconds = await injected
            numbers = await asyncio.gather(*confirms)
            await asyncio.sleep(AFTER_SECONDS)
        finally:
            stop.set()
            await asyncio.gather(*load, return_exceptions=True)
        report.turns, report.counts, report.bad = citizens.turns, citizens.counts(), citizens.bad_turns()
        report.lost = await citizens.lost_turns()
        for applicant, number in zip(applicants, numbers, strict=True):
            report.applications[number] = applications.numbers_of(stack.database_url, applicant.sender)


def run_fault(stack: Stack, name: str, inject: Callable[[], Any], offsets: List[int]) -> FaultReport:
    """Run ``inject`` under load with one application per demo-citizen offset; report and record it."""
    report = FaultReport(name)
    RESULTS.append(report)
    asyncio.run(_under_load(stack, report, inject, offsets))
    print(f"\n{HEADER}\n{report.line()}")
    return report
