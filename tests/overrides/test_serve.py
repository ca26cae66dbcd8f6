"""python -m overrides.serve: the door opens before Rasa's CLI starts, or the process stops with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import overrides

ROOT = Path(__file__).resolve().parents[2]


def _serve_on(rasa_version: str, *arguments: str, switch: str = "on") -> subprocess.CompletedProcess:
    """Run the entry point in a fresh interpreter that reports ``rasa_version`` as Rasa's version."""
    code = (
        f"from rasa import version; version.__version__ = {rasa_version!r}; "
        f"from overrides.serve import main; main({list(arguments)!r})"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), overrides.SWITCH: switch}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_refusing_process_exits_non_zero_with_the_message() -> None:
    done = _serve_on("3.7.0", "run", "--port", "5259")
    assert done.returncode == 1
    assert "替换层拒绝启动" in done.stderr and "3.7.0" in done.stderr and "3.6.21" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_switch_value_stops_the_process_with_the_message() -> None:
    done = _serve_on("3.6.21", "run", switch="maybe")
    assert done.returncode == 1 and "RASA_OVERRIDES" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("rasa_version", "switch", "said"),
    [("3.6.21", "on", "替换层：hot_paths、log_records"), ("3.7.0", "off", "替换层：已关闭")],
)
def test_rasas_cli_gets_the_arguments_after_the_door(rasa_version: str, switch: str, said: str) -> None:
    done = _serve_on(rasa_version, "--version", switch=switch)  # Rasa's CLI prints its versions and exits
    assert done.returncode == 0, done.stderr
    assert "Rasa Version" in done.stdout and "Rasa SDK Version" in done.stdout
    assert said in done.stderr
