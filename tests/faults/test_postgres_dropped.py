"""Fault: every PostgreSQL connection of the profile terminated (pg_terminate_backend) under load."""

from __future__ import annotations

from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, drop_postgres_connections


def test_postgres_connections_dropped_under_load(stack: Stack) -> None:
    report = run_fault(stack, "PostgreSQL connections dropped", lambda: drop_postgres_connections(stack), offsets=[4])
    report.assert_clean()
    assert report.restored_seconds, "no connection of the profile was there to drop"
