"""Console access: login and logout, redirects and 401s, roles, CSRF, cookie flags, odd input."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator, List

import pytest
import requests
from sanic import Sanic

from govservice.accounts import lockout as officer_lockout
from govservice.accounts.demo_officers import demo_password
from govservice.db import session_scope
from govservice.limits import AttemptLimit
from staff.console.views_auth import LOGIN_CSRF_COOKIE
from tests.staff.conftest import bearer, make_app, seed
from tests.staff.console_helpers import Console, csrf_of

PAGES = ["/console/faq", "/console/faq/new", "/console/faq/1/edit", "/console/preview", "/console/queue",
         "/console/audit", "/console/handoff", "/console/faq/export.csv", "/console/applications"]


@pytest.fixture(autouse=True)
def no_lockouts(db_url: str) -> None:
    with session_scope(db_url) as s:
        s.query(AttemptLimit).delete()


def test_pages_redirect_to_login_and_the_api_answers_401(app: Sanic) -> None:
    visitor = Console(app)
    for path in PAGES:
        response = visitor.get(path)
        assert response.status == 303, path
        assert response.headers["location"] == f"/console/login?next={path}"
    assert visitor.post("/console/faq/1/publish").headers["location"] == "/console/login"
    for response in (visitor.get("/console/api/preview?q=护照"), visitor.get("/console/api/handoff"),
                     visitor.api_post("/console/api/handoff/1/take", {})):
        assert response.status == 401 and response.json == {"error": "未登录或登录已过期，请先登录控制台"}
    forged = Console(app)
    forged.cookies["staff_session"] = "made-up.0000"
    assert forged.get("/console/faq").status == 303


def test_login_sets_a_protected_cookie_and_logout_ends_the_session(app: Sanic) -> None:
    editor = Console(app)
    response = editor.login("faq_editor")
    assert response.status == 303 and response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http in the test; see the next test for https
    page = editor.get("/console/faq")
    assert page.status == 200 and "知识库编辑（演示）" in page.text
    copied = dict(editor.cookies)
    assert editor.post("/console/logout").status == 303
    assert editor.get("/console/faq").status == 303
    stolen = Console(app)
    stolen.cookies = copied  # the old cookie no longer works anywhere: the session row is gone
    assert stolen.get("/console/faq").status == 303


def test_the_cookie_is_secure_behind_https(app: Sanic) -> None:
    editor = Console(app)
    page = editor.get("/console/login")
    _, response = app.test_client.post(
        "/console/login", cookies=editor.cookies, allow_redirects=False, headers={"X-Forwarded-Proto": "https"},
        data={"username": "admin", "password": demo_password("admin"), "csrf_token": csrf_of(page.text)},
    )
    assert response.status == 303 and "Secure" in response.headers["set-cookie"]


def test_wrong_passwords_are_refused_then_locked(app: Sanic, db_url: str) -> None:
    visitor = Console(app)
    for _ in range(officer_lockout.MAX_FAILURES):
        response = visitor.login("faq_editor", "wrong-password")
        assert response.status == 401 and "用户名或密码错误" in response.text
    locked = visitor.login("faq_editor")
    assert locked.status == 429 and "登录失败次数过多" in locked.text
    assert Console(app).login("nobody", "whatever1").status == 401
    other_instance = make_app(db_url)  # a second staff app on the same database, as behind a proxy
    try:
        assert Console(other_instance).login("faq_editor").status == 429
        assert Console(other_instance).login("admin").status == 303
    finally:
        other_instance.ctx.delivery.shutdown(wait=True)


@contextmanager
def staff_server(url: str) -> Iterator[str]:
    """The real staff app (``python -m staff``) on ``url`` and a free port; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "STAFF_PORT": str(port), "NOTIFY_RETRY_SECONDS": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "staff"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def parallel_wrong_guesses(base: str, guesses: int) -> List[int]:
    """Fire ``guesses`` wrong passwords for faq_editor at the same moment; the sorted statuses."""
    page = requests.get(f"{base}/console/login", timeout=10)
    form = {"username": "faq_editor", "password": "wrong-password", "csrf_token": csrf_of(page.text)}
    cookies = {LOGIN_CSRF_COOKIE: page.cookies[LOGIN_CSRF_COOKIE]}
    start = threading.Barrier(guesses)

    def guess(_: int) -> int:
        start.wait()
        reply = requests.post(f"{base}/console/login", data=form, cookies=cookies, allow_redirects=False, timeout=60)
        return reply.status_code

    with ThreadPoolExecutor(guesses) as pool:
        return sorted(pool.map(guess, range(guesses)))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_parallel_wrong_passwords_get_at_most_five_checks(request: pytest.FixtureRequest, database: str) -> None:
    # 401 is answered only after a password was checked, 429 when the lock refused it unchecked.
    url = request.getfixturevalue("db_url") if database == "sqlite" else seed(request.getfixturevalue("postgres_url"))
    with staff_server(url) as base:
        statuses = parallel_wrong_guesses(base, 12)
    assert statuses == [401] * officer_lockout.MAX_FAILURES + [429] * (12 - officer_lockout.MAX_FAILURES)


def test_the_login_form_needs_its_csrf_token(app: Sanic) -> None:
    visitor = Console(app)
    visitor.get("/console/login")
    form = {"username": "admin", "password": "x", "csrf_token": "forged"}
    response = visitor.post("/console/login", form, csrf=False)
    assert response.status == 403 and "页面已过期" in response.text


def test_csrf_is_enforced_on_every_post(app: Sanic) -> None:
    editor = Console(app)
    editor.login("faq_editor")
    for path in ("/console/faq/1/retire", "/console/faq/new", "/console/faq/1/edit", "/console/queue/1/dismiss",
                 "/console/faq/import", "/console/logout"):
        for token in (None, "wrong"):
            data = {"csrf_token": token} if token else {}
            response = editor.post(path, data, csrf=False)
            assert response.status == 403, (path, token)
            assert "CSRF" in response.text or "页面已过期" in response.text
    agent = Console(app)
    agent.login("ga_officer")
    assert agent.api_post("/console/api/handoff/duty", {"on_duty": True}, csrf=False).status == 403
    assert agent.api_post("/console/api/handoff/duty", {"on_duty": False}).status == 200
    assert editor.get("/console/faq").status == 200  # still logged in: the refused logout changed nothing


def test_a_dept_officer_cannot_edit_faqs(app: Sanic) -> None:
    officer = Console(app)
    officer.login("ga_officer")
    assert officer.get("/console/faq").status == 200  # reading is fine
    for path in ("/console/faq/new", "/console/faq/1/edit", "/console/faq/import", "/console/faq/export.xlsx",
                 "/console/queue", "/console/audit"):
        response = officer.get(path)
        assert response.status == 403 and "当前账号的角色无权使用该功能" in response.text, path
    for path in ("/console/faq/new", "/console/faq/1/edit", "/console/faq/1/publish", "/console/faq/1/retire",
                 "/console/queue/1/dismiss"):
        assert officer.post(path, {"question": "改", "answer": "改", "category": "改"}).status == 403, path
    assert "编辑</a>" not in officer.get("/console/faq").text
    assert officer.get("/console/applications").status == 200


def test_roles_see_their_own_pages(app: Sanic) -> None:
    editor = Console(app)
    editor.login("faq_editor")
    assert editor.get("/console/handoff").status == 403
    assert editor.get("/console/applications").status == 403
    _, response = app.test_client.get("/console/api/handoff", headers=bearer("faq_editor"))
    assert response.status == 403
    admin = Console(app)
    admin.login("admin")
    for path in ("/console/faq/1/edit", "/console/handoff", "/console/queue", "/console/audit"):
        assert admin.get(path).status == 200, path
    assert admin.get("/console/").headers["location"] == "/console/faq"
    officer = Console(app)
    officer.login("ga_officer")
    assert officer.get("/console/").headers["location"] == "/console/applications"


def test_odd_input_gets_a_chinese_page_not_a_stack_trace(app: Sanic) -> None:
    admin = Console(app)
    admin.login("admin")
    for path in ("/console/faq/99999999999/edit", "/console/faq/0/history", "/console/faq/123456/edit",
                 "/console/handoff/99999", "/console/queue/99999/new"):
        response = admin.get(path)
        assert response.status == 404 and "Traceback" not in response.text, path
    assert admin.get("/console/faq?status=bogus&q=" + "长" * 500).status == 200
    assert admin.post("/console/faq/123456/publish").status == 404
    assert admin.post("/console/queue/1/similar", {"entry_id": "abc"}).status == 400
    response = admin.get("/console/login?next=https://evil.example/")
    assert 'name="next" value="/console/"' in response.text
