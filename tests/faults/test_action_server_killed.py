"""Fault: one action server killed with SIGKILL under load; the profile's supervisor restarts it."""

from __future__ import annotations

from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, kill_server


def test_one_action_server_killed_under_load(stack: Stack) -> None:
    run_fault(stack, "action server killed", lambda: kill_server(stack, "actions", 0), offsets=[3]).assert_clean()
