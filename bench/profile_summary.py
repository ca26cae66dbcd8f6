"""Where a Rasa server's time goes under load: py-spy samples summarised for the report.

``py-spy record --format raw`` writes collapsed stacks (``frame;frame;...;leaf count``, one line
per distinct stack, idle samples left out). :func:`summarise` turns them into the share of samples
spent inside each function (inclusive) and on each function itself (its own), which the report
prints. py-spy is a tool, not a dependency of the assistant (requirements.in installs it for the
bench): it is used from ``BENCH_PYSPY``, the venv or PATH, and the report says when it was not found.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

ROOT = f"{Path(__file__).resolve().parent.parent}/"
"""The checkout's own files are named from its root, wherever it is."""

TOP = 12
IDLE_LEAVES = frozenset({
    "concurrent/futures/thread.py:_worker",  # a thread-pool worker waiting for work
    "threading.py:wait",
    "queue.py:get",
    "selectors.py:select",
})
"""Python frames that, at the top of a stack, mean the thread waits in C (py-spy counts it as busy)."""
_FRAME = re.compile(r"^(?P<function>[^ (]+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """``process_message (rasa/core/processor.py:123)`` → ``rasa/core/processor.py:process_message``."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", ROOT):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{match['function']}"


def parse(lines: Iterable[str]) -> List[Tuple[List[str], int]]:
    """Collapsed stacks as (frames from the root, samples); malformed lines are skipped."""
    stacks = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([frame_name(f) for f in stack.split(";") if f.strip()], int(count)))
    return stacks


def summarise(stacks: List[Tuple[List[str], int]], top: int = TOP) -> Dict[str, Any]:
    """Samples in all, and the ``top`` functions by inclusive and by own share (percent) of the busy ones."""
    waiting = sum(count for frames, count in stacks if frames and frames[-1] in IDLE_LEAVES)
    stacks = [(frames, count) for frames, count in stacks if not frames or frames[-1] not in IDLE_LEAVES]
    total = sum(count for _, count in stacks)
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for frames, count in stacks:
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
    if not total:
        return {"samples": 0, "waiting": waiting, "inclusive": [], "own": []}

    def share(counter: Counter, limit: int) -> List[List[Any]]:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]  # ties by name: stable
        return [[name, round(100.0 * n / total, 1)] for name, n in ranked]

    # More inclusive rows than shown: the report leaves out the start-up chain on every busy stack.
    return {"samples": total, "waiting": waiting, "inclusive": share(inclusive, 3 * top), "own": share(own, top)}


def pyspy() -> Optional[str]:
    """The py-spy executable: ``BENCH_PYSPY``, else the venv's (requirements.in), else the one on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return os.environ.get("BENCH_PYSPY") or (str(beside) if beside.exists() else shutil.which("py-spy"))


def start_record(pid: int, seconds: int, out: Path) -> Optional[subprocess.Popen]:
    """Start sampling ``pid`` for ``seconds`` into ``out`` (raw collapsed stacks); None without py-spy."""
    tool = pyspy()
    if tool is None:
        return None
    cmd = [tool, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
           "--format", "raw", "--output", str(out), "--nonblocking"]
    with open(out.with_suffix(".log"), "wb") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def finish_record(proc: Optional[subprocess.Popen], out: Path, timeout: float = 60.0) -> Dict[str, Any]:
    """Wait for the recording and summarise it (or say why there is none)."""
    if proc is None:
        return {"error": "py-spy not found (set BENCH_PYSPY or put py-spy on PATH)"}
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not out.exists():
        log = out.with_suffix(".log")
        return {"error": f"py-spy wrote nothing: {log.read_text(errors='replace')[-300:] if log.exists() else ''}"}
    return summarise(parse(out.read_text(encoding="utf-8", errors="replace").splitlines()))


if __name__ == "__main__":  # summarise a recording again: python -m bench.profile_summary FILE
    import json
    import sys

    print(json.dumps(summarise(parse(Path(sys.argv[1]).read_text(encoding="utf-8").splitlines())), indent=1))
