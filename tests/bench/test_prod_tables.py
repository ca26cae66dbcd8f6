"""Issue 14's throughput target as section 13 decides it (bench/prod_tables.py)."""

from __future__ import annotations

from bench.prod_tables import target


def _levels(turns_per_s: float, p99: float) -> dict:
    return {"levels": {"50": {"turns_per_s": turns_per_s, "p99_ms": p99}}}


def test_target_needs_the_speedup_and_the_p99() -> None:
    assert target({"prod1": _levels(10.0, 800.0), "prod2": _levels(14.0, 900.0)})["held"] is True
    assert target({"prod1": _levels(10.0, 800.0), "prod2": _levels(13.9, 900.0)})["held"] is False
    assert target({"prod1": _levels(10.0, 800.0), "prod2": _levels(20.0, 1000.1)})["held"] is False


def test_target_is_undecided_without_both_configurations() -> None:
    assert target({"prod2": _levels(14.0, 900.0)})["held"] is None
    assert target({"prod1": {"error": "did not start"}, "prod2": _levels(14.0, 900.0)})["held"] is None
