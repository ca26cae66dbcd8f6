"""Issue 14's throughput target as section 13 decides it (bench/prod_tables.py)."""

from __future__ import annotations

from bench.prod_tables import target, utilisation


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


def _cpu(turns: int, rate: float, **seconds: float) -> dict:
    return {"levels": {"50": {"ok": turns, "turns_per_s": rate, "cpu_s": seconds}}}


def test_utilisation_of_each_rasa_server_and_of_the_machine() -> None:
    # 1,000 turns at 40 turns/s: Rasa 20 ms/turn -> 0.8 of a core; 20 + 5 + 5 = 30 ms -> 1.2 of 2 cores.
    one = _cpu(1000, 40.0, rasa=20.0, actions=5.0, loadgen=5.0)
    # Two servers share the Rasa time: 20 ms x 60 turns/s = 1.2 cores, 0.6 each.
    two = _cpu(1000, 60.0, rasa=20.0, actions=5.0, loadgen=5.0)
    busy = utilisation({"prod1": one, "prod2": two}, cores=2)
    assert busy is not None
    assert busy["prod1"] == {"rasa": 0.8, "machine": 0.6}
    assert busy["prod2"]["rasa"] == 0.6 and round(busy["prod2"]["machine"], 6) == 0.9


def test_no_utilisation_without_the_load_generator_or_the_core_count() -> None:
    old = _cpu(1000, 40.0, rasa=25.0, actions=10.0)  # a report from before the load generator was counted
    assert utilisation({"prod1": old, "prod2": old}, cores=2) is None
    one = _cpu(1000, 40.0, rasa=25.0, loadgen=5.0)
    assert utilisation({"prod1": one, "prod2": one}, cores=None) is None
