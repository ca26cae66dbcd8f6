"""Which measurement feeds the scale model (bench/prod_bench.py), on made-up results."""

from __future__ import annotations

import pytest

from bench.prod_bench import scale_from


def test_scale_model_uses_prod2_at_50_conversations() -> None:
    level = {"ok": 1000, "cpu_s": {"rasa": 60.0, "redis": 2.0}, "redis_commands": 40000}
    results = {"configs": {"prod2": {"levels": {"50": level}}, "prod1": {"levels": {"50": {"ok": 5}}}}}
    model = scale_from(results)
    assert model["from"] == "prod2@50"
    assert model["cpu_ms_per_turn"] == {"rasa": pytest.approx(60.0), "redis": pytest.approx(2.0)}
    assert model["redis_ops_at_peak"] == round(40 * 120_000 / 3600)


def test_scale_model_says_when_its_level_is_missing() -> None:
    assert "error" in scale_from({"configs": {"prod2": {"error": "did not start"}}})
    assert "error" in scale_from({"configs": {"prod2": {"levels": {"50": {"ok": 0, "cpu_s": {}}}}}})
