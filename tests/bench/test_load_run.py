"""A load level's summary and its scratch dump (bench/load_run.py)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Tuple

from bench.load_run import NUMBER_RE, LevelRun, Sent, _Client, _TimeUp, dump, summary


def _run() -> LevelRun:
    sent = [
        Sent("a", "rest", "catalog", "你好", False, "ok", 0.1),
        Sent("a", "rest", "catalog", "要多少钱", False, "ok", 0.3),
        Sent("b", "rest", "login", "11010519491231002X", True, "busy", 2.0, "系统暂时繁忙"),
        Sent("o_1", "wechat", "wechat", "谢谢", False, "ok", 0.2),
    ]
    return LevelRun(sent, ["20261202GA000001"], {"catalog": 1, "login": 1, "wechat": 1}, wall=2.0)


def test_summary_counts_answered_turns_per_second_and_failures() -> None:
    result = summary(_run())
    assert result["turns"] == 4 and result["ok"] == 3
    assert result["turns_per_s"] == 1.5
    assert result["errors"] == {"busy": 1}
    assert result["p50_ms"] == 200.0
    assert result["by_channel"] == {"rest": 3, "wechat": 1}
    assert result["applications_answered"] == 1


def test_dump_leaves_login_answers_out(tmp_path: Path) -> None:
    out = tmp_path / "turns.jsonl"
    dump(_run(), out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    assert "11010519491231002X" not in out.read_text(encoding="utf-8")
    assert rows[2]["text"] == "（已隐去）"


def test_application_number_is_read_from_the_reply() -> None:
    match = NUMBER_RE.search("✅ 申请已提交！\n办件编号：20261202GJJ000123\n事项：公积金账户查询")
    assert match is not None and match.group(1) == "20261202GJJ000123"


def test_a_paced_client_waits_before_each_turn_and_stops_at_the_deadline() -> None:
    async def go() -> Tuple[float, bool]:
        deadline = time.perf_counter() + 0.5
        client = _Client(None, None, None, LevelRun(), deadline, think=(0.05, 0.1))  # type: ignore[arg-type]
        started = time.perf_counter()
        await client._next_turn()
        waited = time.perf_counter() - started
        client.deadline = time.perf_counter()
        try:
            await client._next_turn()
        except _TimeUp:
            return waited, True
        return waited, False

    waited, stopped = asyncio.run(go())
    assert 0.05 <= waited < 0.5 and stopped
