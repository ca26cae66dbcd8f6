"""Fault: the profile's Redis (tracker store, lock store) shut down and started again under load."""

from __future__ import annotations

from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, restart_redis


def test_redis_restarted_under_load(stack: Stack) -> None:
    # The AOF keeps the trackers: no answered turn may be missing afterwards.
    run_fault(stack, "Redis restarted", lambda: restart_redis(stack), offsets=[2]).assert_clean()
