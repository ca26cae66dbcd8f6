"""The window clerk's workbench in headless Chromium, against the running servers of scripts/test.sh.

A citizen applies for a 居住证 in a REST conversation, uploading the two photographed materials
through the upload route as the widget does (nothing is seeded through the back office). The
公安 officer logs in, finds the application in the queue, opens it, sees the uploaded image
inline and the 居民身份证 record, accepts, starts the review and approves it by the buttons; the
citizen's conversation receives the notifications (read from the Rasa tracker: the outbox
delivers through trigger_intent). The citizen rates it 非常不满意; the officer finds the 差评 and
reveals the citizen's phone by a click. The 医保 officer can neither list, open nor fetch the
file. Screenshots go to ``test-artifacts/workbench_*.png``.

Needs ``RASA_URL`` and ``STAFF_URL`` (servers sharing ``DATABASE_URL``) and ``VAR_DIR`` (the SMS
outbox for the login code, the demo officers' secret and the Rasa token).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Iterator, List

import pytest
import requests

from govservice.accounts.demo_officers import demo_password
from govservice.settings import ROOT
from tests.rest_client import BASE, VAR_DIR, login, say, session_of
from tests.staff.workbench_helpers import png
from tests.test_application_flow import demo_citizen

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=3).ok
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def staff_url() -> Iterator[str]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is missing: run scripts/setup_browser.sh")
    pytest.importorskip("playwright.sync_api", reason="Playwright is missing: run scripts/setup_browser.sh")
    staff = os.environ.get("STAFF_URL", "").rstrip("/")
    if not (staff and _up(f"{staff}/health") and _up(f"{BASE}/")):
        pytest.skip("needs the running servers (RASA_URL and STAFF_URL): scripts/test.sh starts them")
    yield staff


def _apply(sender: str, id_number: str, name: str, phone: str) -> str:
    """A citizen's 居住证 application with two uploaded photos; its number."""
    assert "现在开始在线申请" in login(sender, id_number, name, phone, first="我要办居住证")[-1]
    for text in ("符合", "确认无误", "示范市文教路18号", "就业", "我承诺"):
        say(sender, text)
    for label in ("劳动合同", "证件照"):
        files = {"file": (f"{label}.png", png(uuid.uuid4().bytes, 480, 320), "image/png")}
        form = {"sender": sender, "session": session_of(sender), "channel": "rest"}
        uploaded = requests.post(f"{BASE}/webhooks/upload/file", data=form, files=files, timeout=30)
        assert uploaded.ok, uploaded.text
        assert "已收到上传文件" in say(sender, uploaded.json()["message"])
    reply = say(sender, "确认提交")
    assert "办件编号" in reply, reply
    return reply.split("办件编号：")[1].split()[0]


def _bot_texts(sender: str) -> List[str]:
    token = os.environ.get("RASA_TOKEN") or (VAR_DIR / "rasa_token").read_text().strip()
    tracker = requests.get(f"{BASE}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
    return [e.get("text") or "" for e in tracker.get("events", []) if e.get("event") == "bot"]


def _notified(sender: str, number: str, status: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(number in t and f"「{status}」" in t for t in _bot_texts(sender)):
            return True
        time.sleep(0.5)
    return False


def test_officer_views_the_upload_accepts_and_approves_and_the_citizen_is_notified(staff_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    sender = f"e2e-wb-{uuid.uuid4().hex[:8]}"
    id_number, name, phone = demo_citizen(2)  # 0 and 1 are the flow and crash tests' citizens
    number = _apply(sender, id_number, name, phone)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        officer = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        officer.goto(f"{staff_url}/console/login")
        officer.fill("input[name=username]", "ga_officer")
        officer.fill("input[name=password]", demo_password("ga_officer"))
        officer.click("button:has-text('登录')")
        officer.click("header nav a:has-text('本部门办件')")
        officer.select_option("select[name=status]", "已提交")
        officer.click("form.filters button:has-text('筛选')")
        row = officer.locator("table.queue tr", has_text=number)
        expect(row).to_contain_text("居住证")
        expect(row).to_contain_text("已提交")
        officer.screenshot(path=str(ARTIFACTS / "workbench_queue.png"), full_page=True)

        row.locator(f"a:has-text('{number}')").click()
        expect(officer.locator("h1")).to_contain_text(number)
        images = officer.locator("img.material")
        expect(images).to_have_count(2)
        for index in range(2):
            images.nth(index).scroll_into_view_if_needed()
            loaded = images.nth(index).evaluate("img => img.complete && img.naturalWidth")
            assert loaded == 480  # the uploaded picture itself, served by the authorised file route
        source = images.first.get_attribute("src")
        served = officer.request.get(f"{staff_url}{source}")
        assert served.status == 200 and served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        expect(officer.locator("ul.materials")).to_contain_text("电子证照")
        expect(officer.locator("ul.materials")).to_contain_text("告知承诺")
        officer.screenshot(path=str(ARTIFACTS / "workbench_application.png"), full_page=True)
        officer.click("ul.materials a:has-text('查看居民身份证证照信息')")
        expect(officer.locator(".certificate")).to_contain_text("【居民身份证】")
        officer.screenshot(path=str(ARTIFACTS / "workbench_certificate.png"), full_page=True)
        officer.go_back()

        officer.click("form.review-accept button")
        expect(officer.locator(".notice")).to_contain_text("已受理")
        officer.click("form.review-review button")
        expect(officer.locator(".notice")).to_contain_text("已开始审核")
        officer.fill("form.review-approve input[name=reason]", "材料齐全，准予发证")
        officer.click("form.review-approve button")
        expect(officer.locator(".notice")).to_contain_text("已办结")
        expect(officer.locator("table.history")).to_contain_text("材料齐全，准予发证")
        officer.screenshot(path=str(ARTIFACTS / "workbench_approved.png"), full_page=True)
        assert _notified(sender, number, "已受理") and _notified(sender, number, "已办结")

        say(sender, "非常不满意")  # the notification asked for a rating: a 差评 opens a follow-up
        assert "很抱歉" in say(sender, "窗口回复太慢了")
        officer.click("header nav a:has-text('差评回访')")
        item = officer.locator("table.followups tr", has_text=number)
        expect(item).to_contain_text("窗口回复太慢了")
        expect(item).not_to_contain_text(phone)
        officer.screenshot(path=str(ARTIFACTS / "workbench_followups.png"), full_page=True)
        item.locator("button:has-text('查看联系方式')").click()
        expect(officer.locator("td.phone")).to_have_text(phone)
        officer.screenshot(path=str(ARTIFACTS / "workbench_followup_contact.png"), full_page=True)

        stranger = browser.new_context(locale="zh-CN").new_page()
        stranger.goto(f"{staff_url}/console/login")
        stranger.fill("input[name=username]", "yb_officer")
        stranger.fill("input[name=password]", demo_password("yb_officer"))
        stranger.click("button:has-text('登录')")
        stranger.goto(f"{staff_url}/console/applications")
        expect(stranger.locator("table.queue")).not_to_contain_text(number)
        opened = stranger.goto(f"{staff_url}/console/applications/{number}")
        assert opened is not None and opened.status == 404
        expect(stranger.locator(".error")).to_contain_text("未找到该办件")
        stranger.screenshot(path=str(ARTIFACTS / "workbench_other_department.png"), full_page=True)
        assert stranger.request.get(f"{staff_url}{source}").status == 404
        browser.close()
