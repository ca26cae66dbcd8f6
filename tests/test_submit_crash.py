"""Nothing lost, nothing doubled: the action server dies in the middle of a submission (marker: crash).

Runs last, against the servers of `make test`: scripts/run.sh restarts a crashed action server.
The test holds the submission's transaction open (govservice.applications.store's fault file),
kills the action server with SIGKILL inside it, checks that nothing was written, and retries.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.rest_client import BASE, VAR_DIR, login, say, session_of
from tests.test_application_flow import applications_of, demo_citizen

pytestmark = pytest.mark.crash
ACTION_URL = f"http://localhost:{os.environ.get('ACTION_PORT', '5055')}"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def action_server_pid() -> int:
    port = os.environ.get("ACTION_PORT", "5055")
    found = subprocess.run(["pgrep", "-f", f"bot.action_server --port {port}"],
                           capture_output=True, text=True).stdout.split()
    assert found, "the action server is not running"
    return int(found[0])


def wait_healthy(timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(f"{ACTION_URL}/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError("the action server did not come back")


def fill_application(sender: str) -> None:
    """Everything up to the confirmation of a 居住证 application."""
    for text in ("符合", "确认无误", "示范市文教路9号", "就读", "我承诺"):
        say(sender, text)
    for _ in range(2):
        files = {"file": ("scan.png", PNG + uuid.uuid4().bytes, "image/png")}
        form = {"sender": sender, "session": session_of(sender), "channel": "rest"}
        reply = requests.post(f"{BASE}/webhooks/upload/file", data=form, files=files, timeout=30)
        assert reply.ok, reply.text
        say(sender, reply.json()["message"])


def test_a_submission_killed_midway_leaves_nothing_and_a_retry_completes_it() -> None:
    id_number, name, phone = demo_citizen(1)
    sender = f"crash-{uuid.uuid4().hex[:8]}"
    assert "现在开始在线申请" in login(sender, id_number, name, phone, first="我要办居住证")[-1]
    fill_application(sender)
    flag = Path(VAR_DIR) / "fault_submit_pause"
    flag.write_text("8", encoding="utf-8")
    replies: list = []
    try:
        confirm = threading.Thread(target=lambda: replies.append(say(sender, "确认提交")))
        confirm.start()
        time.sleep(3)  # the action server is now inside the open transaction
        os.kill(action_server_pid(), signal.SIGKILL)
        confirm.join(timeout=60)
    finally:
        flag.unlink(missing_ok=True)
    assert replies and "办件编号" not in replies[0]  # the citizen was told it did not go through
    assert applications_of(sender) == []  # no half-written application
    wait_healthy()
    retry = say(sender, "确认提交")
    assert "办件编号" in retry, retry
    assert len(applications_of(sender)) == 1
    assert "办件编号" not in say(sender, "确认提交")  # a further 确认 creates nothing
    assert len(applications_of(sender)) == 1
