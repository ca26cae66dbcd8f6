"""Issue 14's throughput target as section 13 decides it (bench/prod_tables.py)."""

from __future__ import annotations

from bench.prod_tables import target


def _levels(turns_per_s: float, paced_p99: float, closed_p99: float = 9000.0) -> dict:
    return {"levels": {"50": {"turns_per_s": turns_per_s, "p99_ms": closed_p99},
                       "50 paced": {"turns_per_s": 7.0, "p99_ms": paced_p99}}}


def test_target_needs_the_capacity_speedup_and_the_paced_p99() -> None:
    assert target({"prod1": _levels(10.0, 800.0), "prod2": _levels(14.0, 900.0)})["held"] is True
    low = target({"prod1": _levels(10.0, 800.0), "prod2": _levels(13.9, 900.0)})
    assert (low["held"], low["speedup_held"], low["p99_held"]) == (False, False, True)
    slow = target({"prod1": _levels(10.0, 800.0), "prod2": _levels(20.0, 1000.1)})
    assert (slow["held"], slow["speedup_held"], slow["p99_held"]) == (False, True, False)


def test_the_closed_loop_p99_is_reported_beside_the_paced_one() -> None:
    decided = target({"prod1": _levels(10.0, 800.0), "prod2": _levels(14.0, 900.0, closed_p99=4321.0)})
    assert (decided["p99_ms"], decided["paced_p99_ms"]) == (4321.0, 900.0)


def test_target_is_undecided_without_both_configurations_or_the_paced_level() -> None:
    assert target({"prod2": _levels(14.0, 900.0)})["held"] is None
    assert target({"prod1": {"error": "did not start"}, "prod2": _levels(14.0, 900.0)})["held"] is None
    unpaced = {"levels": {"50": {"turns_per_s": 14.0, "p99_ms": 900.0}}}
    assert target({"prod1": _levels(10.0, 800.0), "prod2": unpaced})["held"] is None
