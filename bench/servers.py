"""Start and stop one bot's servers with scripts/run.sh, and read their peak memory."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
READY_MARKER = "助手已启动"


@dataclass
class Servers:
    """A running scripts/run.sh; its process group holds the Rasa and action servers."""

    proc: subprocess.Popen
    rasa_port: int
    action_port: int
    log_path: Path

    @property
    def url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://localhost:{self.rasa_port}"

    @property
    def pgid(self) -> int:
        """The process group (run.sh was started as a session leader)."""
        return self.proc.pid


def port_in_use(port: int) -> bool:
    """True when something already listens on ``localhost:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def action_endpoint_warning(env: Dict[str, str], action_port: int) -> str | None:
    """Say so when endpoints.yml would send action calls somewhere else than ``action_port``."""
    try:
        config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
        raw = str((config.get("action_endpoint") or {}).get("url", ""))
    except (OSError, yaml.YAMLError) as exc:
        return f"could not read endpoints.yml: {exc}"
    values = {**os.environ, **env}
    url = re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), raw)
    try:
        port = urlparse(url).port if url else None
    except ValueError:
        port = None
    if port != action_port:
        return (
            f"endpoints.yml sends action calls to {url or '(no action_endpoint)'}, not to the action "
            f"server that run.sh started on port {action_port}: action-call turns are not measured "
            "against this bot's own action server."
        )
    return None


def start_servers(
    model: Path,
    var_dir: Path,
    rasa_port: int,
    action_port: int,
    timeout: float = 300.0,
    extra_env: Dict[str, str] | None = None,
) -> Servers:
    """Run scripts/run.sh for ``model`` and wait until it prints that both servers are up.

    Args:
        model: the model archive (env ``MODEL``).
        var_dir: a scratch directory for the back office's database and logs.
        rasa_port: port of the Rasa server.
        action_port: port of the action server.
        timeout: seconds to wait for the ready line.
        extra_env: more environment for run.sh (e.g. ``ENDPOINTS`` and ``CREDENTIALS``).

    Returns:
        The running servers.

    Raises:
        RuntimeError: a port is taken, run.sh exited, or it did not get ready in time.
    """
    for port in (rasa_port, action_port):
        if port_in_use(port):
            raise RuntimeError(f"port {port} is already in use; is another bench running?")
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "servers.log"
    env = dict(os.environ)
    env.update(server_env(model, var_dir, rasa_port, action_port))
    env.update(extra_env or {})
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    servers = Servers(proc, rasa_port, action_port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if READY_MARKER in text:
            return servers
        if proc.poll() is not None:
            stop_servers(servers)
            raise RuntimeError(f"scripts/run.sh exited with {proc.returncode}:\n{text[-2000:]}")
        time.sleep(1)
    stop_servers(servers)
    raise RuntimeError(f"servers not ready after {timeout:.0f}s; see {log_path} and {var_dir / 'log'}/")


BENCH_WECHAT_TOKEN = "bench-wechat-token"
"""The WeChat channel's token in the bench servers, so the bench can sign its XML."""


def server_env(model: Path, var_dir: Path, rasa_port: int, action_port: int) -> Dict[str, str]:
    """Environment for run.sh: ports, model, a private database, and the action endpoint URL."""
    return {
        "MODEL": str(model),
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        # endpoints.yml reads the action server's URL from it; set it so no outer value leaks in.
        "ACTION_SERVER_URL": f"http://localhost:{action_port}/webhook",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'govservice.db'}",
        "PYTHONPATH": str(ROOT),
        "WECHAT_TOKEN": BENCH_WECHAT_TOKEN,
        "STAFF_PORT": str(rasa_port + 75),  # the staff app and the portal, beside the bench's Rasa server
        "PORTAL_PORT": str(rasa_port + 76),
    }


def group_processes(pgid: int) -> Dict[int, str]:
    """Map pid to command line for every live process in the process group ``pgid``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            found[int(entry.name)] = cmdline.strip()
    return found


def server_pids(servers: Servers) -> Dict[str, int]:
    """Find the Rasa server ("rasa") and the action server ("actions") among run.sh's processes."""
    pids: Dict[str, int] = {}
    for pid, cmdline in sorted(group_processes(servers.pgid).items()):
        if "bot.action_server" in cmdline:
            pids.setdefault("actions", pid)
        elif "overrides.serve run" in cmdline and "--model" in cmdline:
            pids.setdefault("rasa", pid)
    return pids


def memory_kb(pid: int) -> Dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of ``pid`` in kB, from /proc/<pid>/status."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def stop_servers(servers: Servers, grace: float = 30.0) -> None:
    """SIGTERM the whole process group, then SIGKILL whatever is left after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(servers.pgid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if servers.proc.poll() is not None and not group_processes(servers.pgid):
                return
            time.sleep(0.5)
    try:
        servers.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
