"""Issue 14's throughput target as section 13 decides it (bench/prod_tables.py)."""

from __future__ import annotations

from bench.prod_tables import scaling_bound, target


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


def _cpu(turns: int, **seconds: float) -> dict:
    return {"levels": {"50": {"ok": turns, "cpu_s": seconds}}}


def test_one_instance_is_bounded_by_its_event_loop_and_two_by_the_cores() -> None:
    # 1,000 turns: Rasa 25 ms/turn -> one loop serves 40 turns/s; the stack and load generator
    # 25 + 10 + 5 = 40 ms/turn on 2 cores -> 50 turns/s; 2 instances: min(80, 2000 / 40) = 50.
    one = _cpu(1000, rasa=25.0, actions=10.0, loadgen=5.0)
    bound = scaling_bound({"prod1": one, "prod2": one}, cores=2)
    assert bound == {"prod1": 40.0, "prod2": 50.0, "ratio": 1.25}


def test_each_configuration_is_bounded_by_its_own_cpu_per_turn() -> None:
    one = _cpu(1000, rasa=20.0, loadgen=0.0)
    two = _cpu(1000, rasa=30.0, actions=10.0, loadgen=10.0)  # dearer per turn with two instances
    bound = scaling_bound({"prod1": one, "prod2": two}, cores=2)
    assert bound is not None and (bound["prod1"], bound["prod2"]) == (50.0, 40.0)


def test_no_bound_without_the_load_generator_or_the_core_count() -> None:
    old = _cpu(1000, rasa=25.0, actions=10.0)  # a report from before the load generator was counted
    assert scaling_bound({"prod1": old, "prod2": old}, cores=2) is None
    one = _cpu(1000, rasa=25.0, loadgen=5.0)
    assert scaling_bound({"prod1": one, "prod2": one}, cores=None) is None
