"""Fault: one action server killed with SIGKILL under load; the profile's supervisor restarts it.

The second test kills the action server at the worst moment of a submission: after the commit,
before the reply. The citizen is told the system is busy, says “确认提交” again and gets the same
application, which exists once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

from govservice.applications.store import COMMITTED_PAUSE_FILE
from tests.faults import applications
from tests.faults.citizens import Citizens
from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, kill_server, wait_until

INSTANCES = int(os.environ.get("PROD_INSTANCES", "2"))


def test_one_action_server_killed_under_load(stack: Stack) -> None:
    run_fault(stack, "action server killed", lambda: kill_server(stack, "actions", 0), offsets=[3]).assert_clean()


def stuck_action_server(stack: Stack) -> int:
    """The index of the action server that stopped answering (it sleeps inside the submission)."""
    found: list = []

    def one_is_stuck() -> bool:
        found[:] = [i for i in range(INSTANCES) if not stack.healthy("actions", i)]
        return len(found) == 1

    wait_until(one_is_stuck, 60, "the submitting action server pausing after its commit")
    return int(found[0])


async def _killed_after_commit(stack: Stack) -> None:
    async with Citizens(stack.url, stack.rasa_token, "committed") as citizens:
        applicant = await applications.prepare(citizens, 7)
        flag = stack.var_dir / COMMITTED_PAUSE_FILE
        flag.write_text("60", encoding="utf-8")
        try:
            first = asyncio.create_task(citizens.say(applicant.sender, "确认提交", timeout=120))
            index = await asyncio.to_thread(stuck_action_server, stack)
            assert len(applications.numbers_of(stack.database_url, applicant.sender)) == 1  # committed
            os.kill(stack.server_pid("actions", index), signal.SIGKILL)
            flag.unlink()
            turn = await first
        finally:
            flag.unlink(missing_ok=True)
        assert turn.outcome == "busy", f"{turn.problem or turn.texts}"  # told, not silence, not a number
        started = time.monotonic()
        number = await applications.confirm(citizens, applicant)
        print(f"\nretry confirmed {number} {time.monotonic() - started:.1f} s after the kill")
        assert applications.numbers_of(stack.database_url, applicant.sender) == [number]
        again = await citizens.say_until_served(applicant.sender, "确认提交")
        assert "办件编号" not in "\n".join(again.texts)  # the form is done: nothing more is submitted
        assert applications.numbers_of(stack.database_url, applicant.sender) == [number]


def test_a_submission_committed_by_a_killed_action_server_is_confirmed_once_on_retry(stack: Stack) -> None:
    asyncio.run(_killed_after_commit(stack))
