"""CPU seconds of each server process, by role, read with psutil before and after a measured window.

Roles come from ``scripts/run_prod.sh``'s pid files (``$VAR_DIR/pids/<role>-<i>.pid``) or from the
process group of ``scripts/run.sh``; a role's CPU includes its child processes (nginx's workers).
The shared services are found by name: PostgreSQL backends serving the configuration's database
(their process title names it) and RabbitMQ's Erlang VM (``beam.smp``, shared with anything else
using the broker on this machine, which the report says).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import psutil

from bench.servers import group_processes

PidTimes = Dict[int, float]
Snapshot = Dict[str, PidTimes]
"""Role -> pid -> CPU seconds (user + system) so far."""
_PID_FILE = re.compile(r"^(?P<role>[a-z_]+)-(?P<index>\d+)\.pid$")
_RUN_SH_ROLES: Tuple[Tuple[str, str], ...] = (
    ("overrides.serve run", "rasa"),  # scripts/run.sh starts Rasa through the door (overrides/serve.py)
    ("bot.action_server", "actions"),
    ("-m staff", "staff"),
    ("-m portal", "portal"),
)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _tree(pid: int) -> PidTimes:
    """CPU seconds of ``pid`` and each of its descendants."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    found = {}
    for process in family:
        try:
            found[process.pid] = _cpu(process)
        except psutil.Error:
            continue
    return found


def pid_file_roles(pid_dir: Path) -> Dict[str, List[int]]:
    """Role -> pids from ``<role>-<i>.pid`` files (unreadable files are skipped)."""
    roles: Dict[str, List[int]] = {}
    for path in sorted(pid_dir.glob("*.pid")) if pid_dir.is_dir() else []:
        match = _PID_FILE.match(path.name)
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            continue
        if match:
            roles.setdefault(match["role"], []).append(pid)
    return roles


def run_sh_roles(pgid: int) -> Dict[str, List[int]]:
    """Role -> pids among the processes of a ``scripts/run.sh`` process group."""
    roles: Dict[str, List[int]] = {}
    for pid, cmdline in sorted(group_processes(pgid).items()):
        role = next((name for marker, name in _RUN_SH_ROLES if marker in cmdline), None)
        if role and not cmdline.startswith(("bash", "/bin/bash", "/usr/bin/bash")):
            roles.setdefault(role, []).append(pid)
    return roles


def named_processes(names: Iterable[str], cmdline_part: Optional[str] = None) -> List[int]:
    """Pids of processes called one of ``names`` (with ``cmdline_part`` in the title, if given)."""
    wanted, found = set(names), []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            name, cmdline = process.info["name"] or "", " ".join(process.info["cmdline"] or [])
        except psutil.Error:
            continue
        if name in wanted and (cmdline_part is None or f" {cmdline_part} " in f" {cmdline} "):
            found.append(process.pid)
    return found


def snapshot(roles: Dict[str, List[int]]) -> Snapshot:
    """CPU seconds of every pid (and descendants) of each role, now."""
    result: Snapshot = {}
    for role, pids in roles.items():
        times: PidTimes = {}
        for pid in pids:
            times.update(_tree(pid))
        result[role] = times
    return result


def cpu_delta(before: Snapshot, after: Snapshot) -> Dict[str, float]:
    """CPU seconds per role spent between two snapshots; a pid new in ``after`` counts from zero.

    A process that exited in between is lost (its CPU is not counted); the roles are long-lived.
    """
    delta = {}
    for role, times in after.items():
        earlier = before.get(role, {})
        delta[role] = round(sum(max(0.0, t - earlier.get(pid, 0.0)) for pid, t in times.items()), 3)
    return delta


def service_roles(database: Optional[str]) -> Dict[str, List[int]]:
    """PostgreSQL backends of ``database`` (when given) and RabbitMQ's Erlang VM."""
    roles = {"rabbitmq": named_processes(["beam.smp"])}
    if database:
        roles["postgres"] = named_processes(["postgres"], database)
    return roles
