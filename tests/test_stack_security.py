"""The started stack (marker: server): the action server's lock, and private files under ``VAR_DIR``.

Runs against the servers of ``scripts/test.sh`` (``ACTION_PORT``, ``VAR_DIR``), after the other
server tests of the top folder have logged in, uploaded and chatted, so ``VAR_DIR`` holds the
databases, the SMS outbox, uploads and logs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Dict, List, Set

import pytest
import requests

from govservice.settings.secrets import ACTION_TOKEN, stored_secret
from tests.bot.test_action_server import action_call

pytestmark = pytest.mark.server

ACTION_PORT = int(os.environ.get("ACTION_PORT", "5055"))
ACTION_URL = f"http://127.0.0.1:{ACTION_PORT}"
VAR_DIR = Path(os.environ.get("VAR_DIR", "var"))
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net spells them


def test_the_running_action_server_refuses_a_forged_call_and_serves_rasa() -> None:
    call = action_call("action_nearest_hall")
    for headers in ({}, {"Authorization": "Bearer forged"}):
        refused = requests.post(f"{ACTION_URL}/webhook", json=call, headers=headers, timeout=30)
        assert refused.status_code == 401 and "未授权" in refused.json()["error"]
    assert requests.get(f"{ACTION_URL}/actions", timeout=30).status_code == 401
    rasa_headers = {"Authorization": f"Bearer {stored_secret(ACTION_TOKEN, VAR_DIR)}"}  # what run.sh gave Rasa
    served = requests.post(f"{ACTION_URL}/webhook", json=call, headers=rasa_headers, timeout=30)
    assert served.status_code == 200 and served.json()["responses"]


def listening_addresses(port: int) -> List[str]:
    """Local addresses (hex, as in /proc/net/tcp and tcp6) with a socket listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def test_the_action_server_listens_on_loopback_only() -> None:
    addresses = listening_addresses(ACTION_PORT)
    assert addresses, f"nothing listens on port {ACTION_PORT}"
    assert set(addresses) <= LOOPBACK, addresses


def test_every_file_under_var_is_private() -> None:
    modes: Dict[str, int] = {}
    for path in [VAR_DIR, *VAR_DIR.rglob("*")]:
        try:
            modes[str(path.relative_to(VAR_DIR))] = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:  # SQLite removed a -wal/-journal file after the listing: nothing to read
            continue
    expected: Set[str] = {"govservice.db", "tracker.db", "sms_outbox.jsonl", "rasa_token", "action_token",
                          "demo_secret", "secret.key", "log/rasa.log", "log/actions.log", "log/staff.log"}
    assert expected <= set(modes), sorted(expected - set(modes))
    assert any(name.startswith("uploads/") for name in modes)  # the application flow uploaded scans
    loose = {name: oct(mode) for name, mode in modes.items()
             if mode != (0o700 if (VAR_DIR / name).is_dir() else 0o600)}
    assert not loose, loose
