"""Console login and logout.

The login form is protected against CSRF before any session exists with a double-submit token:
a random value in a short-lived cookie that the form must repeat. Wrong passwords count per
username in the database (:mod:`govservice.accounts.lockout`), shared by every instance: a login
takes a slot in its own transaction before the password is checked, so even parallel guesses get
five checks; then the username's logins are refused for fifteen minutes.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts import lockout as officer_lockout
from govservice.accounts.officers import DEPT_OFFICER, authenticate_password
from govservice.audit import record_audit
from govservice.clock import utc_now
from staff.console.guard import LOGIN_PATH, session_user, staff_user
from staff.console.render import render
from staff.console.sessions import COOKIE_NAME, SESSION_HOURS, csrf_matches, end_session, sign, start_session
from staff.web import in_transaction

LOGIN_CSRF_COOKIE = "staff_login_csrf"
BAD_LOGIN = "用户名或密码错误"
LOCKED = f"登录失败次数过多，请{officer_lockout.LOCK_MINUTES}分钟后再试"


def _set_cookie(request: Request, reply: HTTPResponse, name: str, value: str, max_age: int) -> None:
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["path"], cookie["httponly"], cookie["samesite"], cookie["max-age"] = "/console", True, "Lax", max_age
    # Secure whenever the console is reached over HTTPS (directly or via a proxy that says so).
    if request.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
        cookie["secure"] = True


def _clear_cookie(reply: HTTPResponse, name: str) -> None:
    del reply.cookies[name]
    reply.cookies[name]["path"] = "/console"  # the path it was set with, or the browser keeps it


def _safe_next(target: Optional[str]) -> str:
    # Only our own console paths: an open redirect would make a phishing link look like ours.
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console/"


def _login_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    """The form, with a fresh double-submit token; ``next`` is kept from the query or the form."""
    token = secrets.token_urlsafe(24)
    wanted = request.args.get("next") or (request.form.get("next") if request.method == "POST" else None)
    reply = render(request, "login.html", status=status, login_csrf=token, error=error, next=_safe_next(wanted))
    _set_cookie(request, reply, LOGIN_CSRF_COOKIE, token, 1800)
    return reply


async def login_form(request: Request) -> HTTPResponse:
    """``GET /console/login``: the login form."""
    return _login_page(request)


def _login(username: str, password: str, session: Session) -> Optional[str]:
    """A session token, or None for a wrong password; its slot was taken by the caller."""
    officer = authenticate_password(session, username, password) if username and password else None
    if officer is None:
        return None  # the slot stays taken: it is this failure
    officer_lockout.release(session, username)
    user = staff_user(officer)
    record_audit(session, user.actor, "console_login", "officer", user.username, "登录控制台")
    return start_session(session, user.username)


async def login(request: Request) -> HTTPResponse:
    """``POST /console/login``: check the password and open a session."""
    form = request.form
    submitted, expected = form.get("csrf_token") or "", request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not expected or not secrets.compare_digest(submitted, expected):
        return _login_page(request, "页面已过期，请重新登录", status=403)
    username = (form.get("username") or "").strip()[:40]
    password = (form.get("password") or "")[:200]
    reserve = partial(officer_lockout.reserve, username=username, now=utc_now())
    if not await in_transaction(request, reserve):  # committed before the check: parallel guesses see it
        return _login_page(request, LOCKED, status=429)
    token = await in_transaction(request, partial(_login, username, password))
    if token is None:
        return _login_page(request, BAD_LOGIN, status=401)
    reply = response.redirect(_safe_next(form.get("next")), status=303)
    _set_cookie(request, reply, COOKIE_NAME, sign(token), SESSION_HOURS * 3600)
    _clear_cookie(reply, LOGIN_CSRF_COOKIE)
    return reply


async def logout(request: Request) -> HTTPResponse:
    """``POST /console/logout``: end the session (CSRF-checked) and forget the cookie."""
    user, token = await session_user(request)
    if token is not None and user is not None:
        if not csrf_matches(token, request.form.get("csrf_token") if request.form else None):
            return render(request, "error.html", status=403, message="页面已过期，请刷新后再退出")
        await in_transaction(request, partial(end_session, token=token))
    reply = response.redirect(LOGIN_PATH, status=303)
    _clear_cookie(reply, COOKIE_NAME)
    return reply


async def home(request: Request) -> HTTPResponse:
    """``GET /console/``: the page each role starts on."""
    user, _ = await session_user(request)
    if user is None:
        return response.redirect(LOGIN_PATH, status=303)
    # A department officer's day starts at the window's queue (the workbench); handoffs are one click away.
    return response.redirect("/console/applications" if user.role == DEPT_OFFICER else "/console/faq", status=303)


def blueprint() -> Blueprint:
    """Login routes (a fresh blueprint per app)."""
    bp = Blueprint("console_auth", url_prefix="/console")
    bp.add_route(home, "/", methods=["GET"])
    bp.add_route(login_form, "/login", methods=["GET"])
    bp.add_route(login, "/login", methods=["POST"])
    bp.add_route(logout, "/logout", methods=["POST"])
    return bp
