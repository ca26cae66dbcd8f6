"""Fault: one of the two Rasa servers killed with SIGKILL under load; nginx sends turns to the other."""

from __future__ import annotations

from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, kill_server


def test_one_rasa_server_killed_under_load(stack: Stack) -> None:
    run_fault(stack, "Rasa server killed", lambda: kill_server(stack, "rasa", 0), offsets=[5]).assert_clean()
