"""Bench section 4c: session blocks, windows and the summary that the report quotes."""

from __future__ import annotations

from bench import load
from bench.flat_bench import NEW_SESSION, SESSION_TURNS, paired_ratio, session_messages, summarise, windows


def test_a_new_session_starts_once_per_block_away_from_the_measured_windows() -> None:
    block = session_messages()
    assert len(block) == SESSION_TURNS and block.count(NEW_SESSION) == 1
    starts = {i for i in range(1000) if block[i % len(block)] == NEW_SESSION}
    first, _, last = windows(1000)
    assert not starts & set(first) and not starts & set(last)
    assert (first, last) == (range(0, 20), range(980, 1000))


def test_the_summary_takes_window_medians_and_does_not_count_a_silent_session_start_as_failed() -> None:
    block = session_messages()
    measured = [
        load.Turn(i, 0.1 if i < 20 else 0.12, "busy" if block[i % len(block)] == NEW_SESSION else "ok")
        for i in range(300)
    ]
    measured[5] = load.Turn(5, 9.0, "timeout")
    summary = summarise(measured, block)
    assert summary["median_ms"] == {"1-20": 100.0, "141-160": 120.0, "281-300": 120.0}
    assert summary["ratio_last_first"] == 1.2
    assert (summary["error_count"], summary["new_sessions"]) == (1, 3)


def test_the_paired_ratio_compares_the_long_conversations_last_turns_with_a_fresh_ones_first() -> None:
    long = [load.Turn(i, 0.3, "ok") for i in range(100)]
    fresh = [load.Turn(i, 0.2, "ok") for i in range(20)] + [load.Turn(20, 0.0, "timeout")]
    assert paired_ratio(long, fresh) == {"fresh_first_ms": 200.0, "long_last_ms": 300.0, "ratio": 1.5}
    assert paired_ratio(long, [])["ratio"] is None
