"""The portal page and its chat widget in headless Chromium, against a running stack.

Needs Rasa (with the channel connectors.socketio.SocketIOInput) and the action server at ``$RASA_URL`` (default
http://localhost:5005), Debian's chromium and Playwright (``scripts/setup_browser.sh``). The test
starts its own portal server on a free port. The SMS code is read from the development gateway's
outbox: ``$E2E_VAR_DIR``, else ``$VAR_DIR``, else ``var/`` (the stack's VAR_DIR). Screenshots
go to ``test-artifacts/``.

张三 can be sent one code a minute (the login test waits that out) and ten a day per database.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import requests

from tests import conftest as root_conftest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
RASA_URL = os.environ.get("RASA_URL", "http://localhost:5005").rstrip("/")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ZHANG_ID, ZHANG_NAME, ZHANG_PHONE = "11010519491231002X", "张三", "13800138000"
CODE = re.compile(r"验证码为?(\d{6})")
REPLY_TIMEOUT_MS = 30_000


def _var_dir() -> Path:
    if os.environ.get("E2E_VAR_DIR"):
        return Path(os.environ["E2E_VAR_DIR"])
    # tests/conftest.py points VAR_DIR at a temp folder for unit tests when it was not set.
    var = os.environ.get("VAR_DIR")
    return Path(var) if var and var != root_conftest._TMP else ROOT / "var"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def portal_url() -> Iterator[str]:
    """``python -m portal`` on a free port, pointed at the running Rasa."""
    try:
        requests.get(RASA_URL, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        pytest.fail(f"Rasa is not running at {RASA_URL} ({exc}); start the stack (scripts/run.sh) first")
    port = _free_port()
    env = {**os.environ, "PORTAL_PORT": str(port), "RASA_PUBLIC_URL": RASA_URL}
    proc = subprocess.Popen([sys.executable, "-m", "portal"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None:
                pytest.fail("the portal server exited")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; never a browser Playwright downloads itself."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run scripts/setup_browser.sh")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup_browser.sh")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (empty localStorage) showing desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: List[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


# --- helpers -----------------------------------------------------------------------------------


def open_widget(page: Any, portal_url: str) -> None:
    page.goto(portal_url)
    page.get_by_role("button", name="打开政务服务智能助手").click()
    page.get_by_role("textbox", name="输入您的问题").wait_for()


def bot_messages(page: Any) -> Any:
    return page.locator("#govchat-widget .message.bot")


def wait_for_bot_text(page: Any, expect: str, since: int = 0) -> str:
    """Wait until the bot messages from index ``since`` on contain ``expect``; return their text."""
    deadline = time.monotonic() + REPLY_TIMEOUT_MS / 1000
    while True:
        replies = " ".join(bot_messages(page).all_inner_texts()[since:])
        if bot_messages(page).count() > since and expect in replies:
            return replies
        if time.monotonic() > deadline:
            raise AssertionError(f"no bot reply containing {expect!r}; got {replies!r}")
        time.sleep(0.2)


def say(page: Any, text: str, expect: str) -> str:
    """Type ``text``, press Enter, and return the new bot messages' text once one contains ``expect``."""
    before = bot_messages(page).count()
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill(text)
    box.press("Enter")
    return wait_for_bot_text(page, expect, since=before)


def outbox_lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def newest_code(path: Path, after_line: int, timeout: float = 15) -> str:
    """The code in the newest SMS to 张三's phone written after ``after_line``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text(encoding="utf-8").splitlines()[after_line:] if path.exists() else []
        for line in reversed(lines):
            sms = json.loads(line)
            match = CODE.search(sms.get("text", ""))
            if sms.get("phone") == ZHANG_PHONE and match:
                return match.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no new SMS to {ZHANG_PHONE} in {path}")


def upload(page: Any, name: str, data: bytes) -> None:
    """Choose a file through the 📎 button, as a citizen would."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=re.compile("上传办事材料")).click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/pdf", "buffer": data}])


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), animations="disabled")


# --- tests -------------------------------------------------------------------------------------


def test_question_login_certificates_and_reload(page: Any, portal_url: str) -> None:
    open_widget(page, portal_url)
    log = page.get_by_role("log", name="对话记录")
    assert log.get_attribute("aria-live") == "polite"

    answer = say(page, "身份证丢了怎么补办，要带什么", expect="材料")
    assert "居民户口簿" in answer
    shot(page, "e2e-01-catalog-answer.png")

    say(page, "我有哪些证照", expect="身份号码")
    say(page, ZHANG_ID, expect="姓名")
    outbox = _var_dir() / "sms_outbox.jsonl"
    sent_before = outbox_lines(outbox)
    if "过于频繁" in say(page, ZHANG_NAME, expect="验证码"):
        time.sleep(61)  # another test got 张三 a code less than a minute ago
        sent_before = outbox_lines(outbox)
        say(page, ZHANG_NAME, expect="验证码")
    box = page.get_by_role("textbox", name="输入您的问题")
    # While a code is expected, phones get the digit keypad and one-time-code autofill.
    assert box.get_attribute("inputmode") == "numeric"
    assert box.get_attribute("autocomplete") == "one-time-code"
    code = newest_code(outbox, sent_before)
    before = bot_messages(page).count()
    say(page, code, expect="登录成功")
    # After login the assistant carries on with the original request: the certificate list.
    certificates = wait_for_bot_text(page, "机动车驾驶证", since=before)
    assert "居民身份证" in certificates
    assert box.get_attribute("inputmode") == "text"
    # The ID number and the code are masked in the replies, on screen and in browser storage.
    stored = page.evaluate(
        """() => Object.keys(localStorage).filter((k) => k.endsWith(":transcript"))
              .flatMap((k) => JSON.parse(localStorage.getItem(k)).map((e) => e.text)).join("\\n")"""
    )
    on_screen = page.locator("#govchat-widget .log").inner_text()
    assert ZHANG_ID not in on_screen and ZHANG_ID not in stored and "110105********002X" in stored
    assert code not in on_screen and code not in stored and "验证码已隐藏" in on_screen
    shot(page, "e2e-02-logged-in-certificates.png")

    # A reload keeps the panel open, the transcript and the session (still logged in).
    page.reload()
    box = page.get_by_role("textbox", name="输入您的问题")
    box.wait_for()
    assert "登录成功" in _all_bot_text(page) and "机动车驾驶证" in _all_bot_text(page)
    follow_up = say(page, "我的驾驶证什么时候到期", expect="驾驶证")
    assert "身份号码" not in follow_up, f"asked to log in again: {follow_up}"
    assert re.search(r"到期|有效期", follow_up), follow_up
    shot(page, "e2e-03-after-reload.png")

    # A material upload through 📎: stored for the logged-in citizen, then handed to the bot.
    before = bot_messages(page).count()
    upload(page, "户口簿.pdf", b"%PDF-1.4\n% demo material\n%%EOF\n")
    page.locator("#govchat-widget .message.user").filter(has_text="已上传：户口簿.pdf").wait_for()
    wait_for_bot_text(page, "", since=before)
    shot(page, "e2e-04-upload.png")


def _all_bot_text(page: Any) -> str:
    return " ".join(bot_messages(page).all_inner_texts())


def test_quick_replies_keyboard_and_large_text(page: Any, portal_url: str) -> None:
    open_widget(page, portal_url)
    box = page.get_by_role("textbox", name="输入您的问题")
    assert box.evaluate("el => el.getRootNode().activeElement === el"), "opening focuses the input"

    # A quick reply shows its title as the citizen's message and sends its payload.
    say(page, "办身份证要带什么", expect="哪一项")
    page.get_by_role("group", name="可选的回复").get_by_role("button", name="补领").click()
    users = page.locator("#govchat-widget .message.user").all_inner_texts()
    assert users[-1].endswith("补领") and "/ask_materials" not in users[-1]
    wait_for_bot_text(page, "居民身份证补领")
    # The guide may bring its own offers (查看我的证照 / 我要办理); the spent choices are gone.
    spent = page.get_by_role("group", name="可选的回复").get_by_role("button", name="补领", exact=True)
    assert spent.count() == 0, "spent quick replies are removed"

    # Bot and user text is text, never markup.
    say(page, "<img src=x onerror=\"window.pwned=1\"><b>粗体</b>", expect="")
    assert page.locator("#govchat-widget .message img").count() == 0
    assert page.evaluate("window.pwned === undefined")

    # Not logged in: the upload endpoint's Chinese error is shown, nothing is sent to the bot.
    users_before = page.locator("#govchat-widget .message.user").count()
    upload(page, "材料.pdf", b"%PDF-1.4\n%%EOF\n")
    page.locator("#govchat-widget .message.notice").filter(has_text="登录").wait_for()
    assert page.locator("#govchat-widget .message.user").count() == users_before

    # 大字模式 persists across reloads.
    page.get_by_role("button", name="大字").click()
    size = page.locator("#govchat-widget .bubble").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 20
    page.reload()
    toggle = page.get_by_role("button", name="大字")
    toggle.wait_for()
    assert toggle.get_attribute("aria-pressed") == "true"

    # Esc closes the panel and gives focus back to the launcher.
    page.get_by_role("textbox", name="输入您的问题").press("Escape")
    launcher = page.get_by_role("button", name="打开政务服务智能助手")
    launcher.wait_for()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert launcher.evaluate("el => el.getRootNode().activeElement === el")

    # 结束对话 (after a confirmation) starts a new session with an empty transcript.
    launcher.click()
    session_key = next(k for k in page.evaluate("Object.keys(localStorage)") if k.endswith(":session"))
    old_session = page.evaluate("k => localStorage.getItem(k)", session_key)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="结束对话").click()
    page.wait_for_function("([k, old]) => localStorage.getItem(k) !== old", arg=[session_key, old_session])
    page.locator("#govchat-widget .message.user").first.wait_for(state="detached")
    assert bot_messages(page).count() == 1 and "您好" in _all_bot_text(page)
    say(page, "居住证要什么材料", expect="居住证")


def test_phone_full_screen(browser: Any, portal_url: str) -> None:
    phone = {"width": 375, "height": 740}
    context = browser.new_context(viewport=phone, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        open_widget(page, portal_url)
        panel = page.get_by_role("dialog", name="政务服务智能助手")
        box = panel.bounding_box()
        assert box is not None and box["width"] >= 374 and box["height"] >= 739, box
        assert panel.get_attribute("aria-modal") == "true"
        # Full screen, the panel is modal: Tab from the last control comes back to the first.
        page.get_by_role("button", name="发送").focus()
        page.keyboard.press("Tab")
        assert page.get_by_role("button", name="大字模式").evaluate("el => el.getRootNode().activeElement === el")
        say(page, "居住证几天能拿到", expect="居住证")
        page.get_by_role("button", name="大字").click()
        shot(page, "e2e-05-phone-large-text.png")
    finally:
        context.close()


def test_works_where_websocket_is_blocked(page: Any, portal_url: str) -> None:
    # WebSocket connections that never open, as behind a proxy that drops them: long polling carries on.
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: None)
    open_widget(page, portal_url)
    say(page, "居住证要什么材料", expect="居住证")
