"""CPU accounting by role (bench/proc_cpu.py): pid files, deltas, and this very process."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.proc_cpu import cpu_delta, pid_file_roles, snapshot


def test_pid_files_give_roles(tmp_path: Path) -> None:
    (tmp_path / "rasa-0.pid").write_text("101\n")
    (tmp_path / "rasa-1.pid").write_text("102")
    (tmp_path / "redis-0.pid").write_text("7")
    (tmp_path / "broken-0.pid").write_text("not a pid")
    (tmp_path / "notes.txt").write_text("1")
    assert pid_file_roles(tmp_path) == {"rasa": [101, 102], "redis": [7]}
    assert pid_file_roles(tmp_path / "missing") == {}


def test_delta_counts_new_pids_from_zero_and_never_goes_negative() -> None:
    before = {"rasa": {1: 10.0, 2: 5.0}, "postgres": {9: 1.0}}
    after = {"rasa": {1: 12.5, 2: 5.5}, "postgres": {9: 0.5, 10: 0.25}}
    assert cpu_delta(before, after) == {"rasa": 3.0, "postgres": 0.25}


def test_snapshot_sees_this_process_burn_cpu() -> None:
    roles = {"me": [os.getpid()], "gone": [2**22 + 12345]}
    before = snapshot(roles)
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    spent = cpu_delta(before, snapshot(roles))
    assert spent["me"] >= 0.15
    assert spent["gone"] == 0
