"""py-spy's collapsed stacks summarised for the report (bench/profile_summary.py)."""

from __future__ import annotations

from bench.profile_summary import ROOT, frame_name, parse, summarise

RAW = [
    "run (asyncio/base_events.py:600);handle (rasa/core/processor.py:120);loads (json/__init__.py:346) 6\n",
    "run (asyncio/base_events.py:600);handle (rasa/core/processor.py:120);predict (bot/policies.py:80) 3\n",
    "run (asyncio/base_events.py:600);select (selectors.py:469) 1\n",
    "_bootstrap (threading.py:973);_worker (concurrent/futures/thread.py:81) 40\n",
    " 1\n",
    "garbage\n",
]


def test_frame_names_keep_the_package_path_and_the_function() -> None:
    assert frame_name(f"handle ({ROOT}.venv/lib/python3.10/site-packages/rasa/core/processor.py:120)") == (
        "rasa/core/processor.py:handle"
    )
    assert frame_name(f"_run_turn ({ROOT}connectors/rest.py:120)") == "connectors/rest.py:_run_turn"
    assert frame_name("<module> (<frozen site>:616)") == "<frozen site>:<module>"
    assert frame_name("odd frame") == "odd frame"


def test_summary_counts_inclusive_and_own_shares() -> None:
    summary = summarise(parse(RAW))
    assert summary["samples"] == 9 and summary["waiting"] == 41
    assert summary["inclusive"][0] == ["asyncio/base_events.py:run", 100.0]
    assert ["rasa/core/processor.py:handle", 100.0] in summary["inclusive"]
    assert summary["own"] == [["json/__init__.py:loads", 66.7], ["bot/policies.py:predict", 33.3]]


def test_an_empty_recording_is_no_error() -> None:
    assert summarise([]) == {"samples": 0, "waiting": 0, "inclusive": [], "own": []}
