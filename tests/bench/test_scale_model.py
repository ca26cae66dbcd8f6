"""The scale model's arithmetic (bench/scale_model.py), worked by hand for issue 14's province."""

from __future__ import annotations

import pytest

from bench.scale_model import (
    Assumptions,
    cores_needed,
    first_to_saturate,
    machines,
    model,
    peak_turns_per_s,
    per_turn,
    store_capacity,
)

PROVINCE = Assumptions()


def test_peak_of_the_province() -> None:
    # 10,000,000 × 1 % = 100,000 citizens × 8 turns = 800,000 turns a day; 15 % in one hour.
    assert peak_turns_per_s(PROVINCE) == pytest.approx(120_000 / 3600)


def test_per_turn_divides_by_answered_turns_and_refuses_an_empty_window() -> None:
    assert per_turn({"rasa": 30.0, "redis": 1.5}, 600) == {"rasa": 0.05, "redis": 0.0025}
    assert per_turn({"rasa": 30.0}, 0) == {}


def test_cores_are_kept_at_the_target_utilisation() -> None:
    # 100 turns/s × 0.03 s = 3 busy cores; at 60 % utilisation that needs 5.
    assert cores_needed({"rasa": 0.03}, 100.0, PROVINCE) == {"rasa": pytest.approx(5.0)}


def test_machines_pack_stateless_cores_and_keep_a_spare() -> None:
    assert machines({"rasa": 20.0, "actions": 10.0, "redis": 50.0}, PROVINCE) == 2  # 30 cores, redis sized apart
    assert machines({"rasa": 40.0, "actions": 9.0}, PROVINCE) == 4  # 49 / 16 → 4
    assert machines({"rasa": 0.1}, PROVINCE) == PROVINCE.min_machines


def test_store_capacity_gives_single_threaded_stores_one_core() -> None:
    capacity = store_capacity({"redis": 0.001, "postgres": 0.004, "rabbitmq": 0.002}, PROVINCE)
    assert capacity["redis"] == pytest.approx(600.0)  # 1 core × 0.6 / 1 ms
    assert capacity["postgres"] == pytest.approx(2400.0)  # 16 cores × 0.6 / 4 ms
    assert capacity["rabbitmq"] == pytest.approx(300.0)
    assert first_to_saturate(capacity) == "rabbitmq"


def test_an_unmeasured_store_is_left_out_of_the_comparison() -> None:
    capacity = store_capacity({"redis": 0.001}, PROVINCE)
    assert capacity["postgres"] is None
    assert first_to_saturate(capacity) == "redis"
    assert first_to_saturate(store_capacity({}, PROVINCE)) is None


def test_model_puts_it_together() -> None:
    result = model({"rasa": 0.06, "actions": 0.012, "redis": 0.0005}, redis_ops_per_turn=12.0)
    peak = 120_000 / 3600
    assert result["peak_turns_per_s"] == round(peak, 2)
    assert result["cores"]["rasa"] == round(peak * 0.06 / 0.6, 2)
    assert result["app_cores"] == round(peak * 0.072 / 0.6, 2)
    assert result["app_machines"] == 2
    assert result["store_headroom"]["redis"] == round(0.6 / 0.0005 / peak, 1)
    assert result["redis_ops_at_peak"] == 400
    assert result["first_to_saturate"] == "redis"
    assert result["assumptions"]["machine_cores"] == 16
