"""The staff console in headless Chromium: log in, edit an entry's answer, publish, see the assistant's new answer.

The console is the running staff app at ``STAFF_URL`` when that answers, else a real server
(``python -m staff``) started on a free port over the test database. With ``RASA_URL`` set and
reachable (``scripts/test.sh`` stage "against running servers", whose servers share
``DATABASE_URL``), the assistant's REST webhook must answer with the new text too. A screenshot
is saved to ``test-artifacts/console_preview.png``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator, Optional

import pytest

from govservice.accounts.demo_officers import demo_password, seed_officers
from govservice.db import session_scope
from govservice.faq.models import RETIRED, FaqEntry
from govservice.faq.workflow import EntryFields, create_entry, retire_entry
from govservice.seed import init_db
from govservice.settings import ROOT, database_url

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
QUESTION = "示范市萤火虫保护志愿者怎么报名"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> Optional[bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError):
        return None


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is missing: run scripts/setup_browser.sh")
    pytest.importorskip("playwright.sync_api", reason="Playwright is missing: run scripts/setup_browser.sh")
    running = os.environ.get("STAFF_URL", "").rstrip("/")
    if running and _get(f"{running}/health") is not None:
        yield running
        return
    url = database_url()
    init_db(url)
    with session_scope(url) as session:
        seed_officers(session)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "STAFF_PORT": str(port), "STAFF_HOST": "127.0.0.1",
           "NOTIFY_RETRY_SECONDS": "0", "PYTHONPATH": str(ROOT)}
    log = (tmp_path_factory.mktemp("staff") / "staff.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "staff"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while _get(f"{base}/health") is None:
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the staff server did not start; see {log.name}")
        time.sleep(0.3)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


def _draft() -> int:
    """A draft entry with :data:`QUESTION`; an earlier run's live one is retired (questions are unique)."""
    with session_scope() as session:
        for (earlier,) in session.query(FaqEntry.id).filter(FaqEntry.question == QUESTION, FaqEntry.status != RETIRED):
            retire_entry(session, earlier, "e2e测试")
        fields = EntryFields(question=QUESTION, answer="旧答案：请关注公告。", category="测试分类")
        return int(create_entry(session, "e2e测试", fields, key=f"e2e_{uuid.uuid4().hex[:8]}").id)


def _rasa_answer(rasa: str, text: str) -> Optional[str]:
    body = json.dumps({"sender": f"e2e-{uuid.uuid4().hex[:8]}", "message": text}).encode()
    request = urllib.request.Request(f"{rasa}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return "\n".join(m.get("text", "") for m in json.loads(response.read()))


def test_edit_publish_and_preview_in_the_browser(console_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    entry_id = _draft()
    new_answer = f"请登录“一网通办”填写志愿者报名表（编号{uuid.uuid4().hex[:6]}）。"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN")
        page.goto(f"{console_url}/console/faq")
        expect(page).to_have_url(f"{console_url}/console/login?next=/console/faq")
        page.fill("input[name=username]", "faq_editor")
        page.fill("input[name=password]", demo_password("faq_editor"))
        page.click("button:has-text('登录')")
        expect(page.locator("h1")).to_contain_text("常见问题")

        page.goto(f"{console_url}/console/faq/{entry_id}/edit")
        page.fill("textarea[name=answer]", new_answer)
        page.click("form.editor button:has-text('保存')")
        expect(page.locator(".notice")).to_contain_text("已保存")
        page.click(".status-actions button:has-text('发布')")
        expect(page.locator(".notice")).to_contain_text("已发布")

        page.goto(f"{console_url}/console/preview")
        page.fill("input[name=q]", QUESTION)
        page.click("form.filters button:has-text('预览')")
        expect(page.locator(".preview-result .bubble")).to_contain_text(new_answer)
        expect(page.locator(".preview-result h2")).to_contain_text("直接回答")
        page.screenshot(path=str(ARTIFACTS / "console_preview.png"), full_page=True)
        browser.close()

    rasa = os.environ.get("RASA_URL", "").rstrip("/")
    if rasa and _get(f"{rasa}/") is not None:
        assert new_answer in (_rasa_answer(rasa, QUESTION) or "")
