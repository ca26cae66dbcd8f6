"""The production profile under test (scripts/run_prod.sh) and the faults injected into it.

The profile's interface is in docs/operations.md ("Production profile"): ports from
``PROD_PORT``/``PROD_BASE_PORT``, one pid file per supervised server under ``$VAR_DIR/pids``.
Each injector here does one fault the way an operator would see it happen and returns only
when it is done; the profile's supervisor, not the test, brings killed servers back.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, List, Optional

import requests
import sqlalchemy
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
READY = "助手已启动"
HEALTH = {"rasa": "/", "actions": "/health", "staff": "/health"}
OFFSET = {"rasa": 0, "actions": 20, "staff": 40}


@dataclass
class Stack:
    """Where the profile listens and keeps its state."""

    var_dir: Path
    port: int
    base_port: int
    redis_port: int
    database_url: str
    rasa_token: str

    @property
    def url(self) -> str:
        """nginx, the one public door."""
        return f"http://127.0.0.1:{self.port}"

    def health_url(self, role: str, index: int) -> str:
        """The health URL of server ``index`` of ``role`` (rasa, actions, staff), bypassing nginx."""
        return f"http://127.0.0.1:{self.base_port + OFFSET[role] + index}{HEALTH[role]}"

    def healthy(self, role: str, index: int) -> bool:
        """Whether that server answers its health URL now."""
        try:
            return requests.get(self.health_url(role, index), timeout=2).ok
        except requests.RequestException:
            return False

    def pid_file(self, role: str, index: int) -> Path:
        """``$VAR_DIR/pids/<role>-<index>.pid``, written by run_prod.sh."""
        return self.var_dir / "pids" / f"{role}-{index}.pid"

    def server_pid(self, role: str, index: int) -> int:
        """The pid of the server itself (the pid file may name its supervising shell)."""
        pid = int(self.pid_file(role, index).read_text().split()[0])
        return _server_process(pid) or pid


def _cmdline(pid: int) -> List[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _server_process(pid: int) -> Optional[int]:
    """``pid`` if it runs a server (python, redis-server, nginx), else its first descendant that does."""
    if any(part.endswith(("python", "python3", "python3.10", "redis-server", "nginx")) or "redis-server" in part
           for part in _cmdline(pid)[:1]):
        return pid
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            found = _server_process(int(child))
            if found:
                return found
    return None


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> float:
    """Poll ``predicate`` every 0.2 s; the seconds it took, or an AssertionError naming ``what``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return round(time.monotonic() - started, 1)
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def kill_server(stack: Stack, role: str, index: int, timeout: float = 900) -> float:
    """SIGKILL one server; the seconds until the supervisor's replacement answers its health URL."""
    pid = stack.server_pid(role, index)
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), 10, f"{role}-{index} ({pid}) dying")
    wait_until(lambda: stack.server_pid(role, index) != pid and stack.healthy(role, index), timeout,
               f"{role}-{index} coming back")
    return round(time.monotonic() - started, 1)


def redis_ping(port: int) -> bool:
    """Whether the profile's redis-server answers."""
    run = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, timeout=5)
    return run.stdout.strip() == "PONG"


def restart_redis(stack: Stack, down_seconds: float = 3) -> float:
    """Shut the profile's own redis-server down (AOF flushed) and start it with the same arguments.

    If the profile's supervisor brings it back first, that one is kept. Returns the seconds
    until Redis answered again; a server this test started is stopped by :func:`stop_stack`.
    """
    pid = stack.server_pid("redis", 0)
    argv, cwd = _cmdline(pid), os.readlink(f"/proc/{pid}/cwd")
    started = time.monotonic()
    subprocess.run(["redis-cli", "-p", str(stack.redis_port), "shutdown"], capture_output=True, timeout=30)
    wait_until(lambda: not alive(pid), 30, "redis shutting down")
    time.sleep(down_seconds)
    if not redis_ping(stack.redis_port):
        STARTED.append(subprocess.Popen([a for a in argv if a], cwd=cwd, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_until(lambda: redis_ping(stack.redis_port), 60, "redis answering again")
    return round(time.monotonic() - started, 1)


STARTED: List[subprocess.Popen] = []
"""Servers a fault started itself (a restarted redis-server), stopped with the profile."""


_TERMINATE = sqlalchemy.text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
)


def drop_postgres_connections(stack: Stack, rounds: int = 3) -> int:
    """pg_terminate_backend every connection of the profile to its database, a few times; how many."""
    url = make_url(stack.database_url)
    admin = sqlalchemy.create_engine(url.set(database="postgres"))
    dropped = 0
    try:
        for _ in range(rounds):
            with admin.begin() as conn:
                dropped += len(conn.execute(_TERMINATE, {"db": url.database}).all())
            time.sleep(1)
    finally:
        admin.dispose()
    return dropped


def rabbitmqctl(command: str) -> None:
    """``rabbitmqctl stop_app`` / ``start_app`` on the system RabbitMQ (the only fault that touches it)."""
    subprocess.run(["rabbitmqctl", command], check=True, capture_output=True, timeout=120)


def fresh_database(database_url: str) -> None:
    """Drop the fault tests' own database (its name starts with "faults"); run_prod.sh creates it."""
    url = make_url(database_url)
    if not str(url.database or "").startswith("faults"):
        return  # someone else's database: never dropped
    admin = sqlalchemy.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def profile_from_env() -> Stack:
    """The profile's ports, state and token from the environment (``make faults`` sets them)."""
    return Stack(
        var_dir=Path(os.environ["VAR_DIR"]).resolve(),
        port=int(os.environ.get("PROD_PORT", "8600")),
        base_port=int(os.environ.get("PROD_BASE_PORT", "8610")),
        redis_port=int(os.environ.get("PROD_REDIS_PORT", "8690")),
        database_url=os.environ["DATABASE_URL"],
        rasa_token=os.environ.setdefault("RASA_TOKEN", secrets.token_urlsafe(24)),
    )


def start_stack(log: IO[str], attach: bool = False) -> tuple[Stack, Optional[subprocess.Popen]]:
    """Start scripts/run_prod.sh (or, with ``attach``, use the running one); wait for its ready line."""
    stack = profile_from_env()
    if attach:
        return stack, None
    fresh_database(stack.database_url)
    env = {**os.environ, "PROD_PORT": str(stack.port), "PROD_BASE_PORT": str(stack.base_port),
           "PROD_REDIS_PORT": str(stack.redis_port), "VAR_DIR": str(stack.var_dir)}
    process = subprocess.Popen(["scripts/run_prod.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, text=True)
    started = time.monotonic()
    while READY not in Path(log.name).read_text(encoding="utf-8", errors="replace"):
        if process.poll() is not None or time.monotonic() - started > 900:
            stop_stack(process)
            raise AssertionError(f"run_prod.sh did not start; see {log.name}")
        time.sleep(2)
    return stack, process


def stop_stack(process: subprocess.Popen) -> None:
    """Stop the profile (its process group) and any server a fault started."""
    for started in [*STARTED, process]:
        try:
            os.killpg(started.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        try:
            started.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(started.pid, signal.SIGKILL)
            started.wait(timeout=10)
