"""Section 14 on a small scale: the synthetic data goes in, every figure is timed, the table renders."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import dashboard_bench


def test_a_small_run_times_every_figure_at_each_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard_bench, "WORK", tmp_path / "dashboard")
    result = dashboard_bench.measure(sizes=(200, 400), repeats=2)
    assert list(result["sizes"]) == ["200", "400"]
    for size, figures in (("200", result["sizes"]["200"]), ("400", result["sizes"]["400"])):
        assert figures["events"] == int(size) * 8 and figures["applications"] == int(size) // 20
        assert all(ms > 0 for ms in figures["dashboard_ms"].values())
        assert set(figures["figures_ms"]) >= {"daily", "items", "themes", "ratings", "follow_ups"}
    lines = dashboard_bench.render(SimpleNamespace(results={"dashboard": {"ours": result}}), [])
    assert any(line.startswith("| 400 | 3,200 | 20 |") for line in lines)


def test_the_stock_bot_is_skipped() -> None:
    assert "skipped" in dashboard_bench.section(None, SimpleNamespace(name="stock"))
