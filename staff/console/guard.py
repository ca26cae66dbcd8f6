"""Who may use a console route: login, roles and CSRF.

Pages (:func:`page`) send a visitor without a session to the login page and answer a wrong role
with a Chinese 403 page. The console's JSON API (:func:`api`) answers 401/403 as JSON and also
accepts the department API's ``Authorization: Bearer`` token, so scripts and tests can drive the
handoff queue without a browser. Every POST authenticated by the session cookie must carry the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``), else 403; a bearer
token is never sent by a browser on its own, so it needs none.
"""

from __future__ import annotations

from functools import partial, wraps
from typing import Any, Callable, Coroutine, Dict, Optional, Tuple
from urllib.parse import quote

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import Officer
from staff.auth import StaffUser, bearer_token
from staff.auth import authenticate as authenticate_bearer
from staff.console.render import render
from staff.console.sessions import COOKIE_NAME, csrf_matches, csrf_token, session_officer, unsign
from staff.web import ApiError, error_reply, in_transaction

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]
LOGIN_PATH = "/console/login"
NOT_LOGGED_IN = "未登录或登录已过期，请先登录控制台"
WRONG_ROLE = "当前账号的角色无权使用该功能"
BAD_CSRF = "页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试"
MAX_ACTOR_CHARS = 60  # audit and history columns
MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id in a URL must be a 404, not a database error
NOT_FOUND = "未找到该记录"


def staff_user(officer: Officer) -> StaffUser:
    """The officer as the request-scoped, detached :class:`StaffUser`."""
    username, name = str(officer.username), str(officer.display_name)
    room = MAX_ACTOR_CHARS - len(username) - 2  # the actor "姓名（用户名）" must fit the audit columns
    return StaffUser(username=username, display_name=name[: max(room, 1)], role=str(officer.role),
                     department_code=officer.department_code)


def _lookup(token: str, session: Session) -> Optional[StaffUser]:
    found = session_officer(session, token)
    return staff_user(found[0]) if found else None


async def session_user(request: Request) -> Tuple[Optional[StaffUser], Optional[str]]:
    """The officer and session token of the request's console cookie, or (None, None)."""
    token = unsign(request.cookies.get(COOKIE_NAME))
    if token is None:
        return None, None
    user = await in_transaction(request, partial(_lookup, token))
    return (user, token) if user is not None else (None, None)


def _submitted_csrf(request: Request) -> Optional[str]:
    header = request.headers.get("x-csrf-token")
    if header:
        return str(header)
    form = request.form if request.content_type.startswith(("application/x-www-form", "multipart/")) else None
    return form.get("csrf_token") if form else None


def _remember(request: Request, user: StaffUser, token: Optional[str]) -> None:
    request.ctx.staff_user = user
    request.ctx.csrf = csrf_token(token) if token else ""


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    """A console page that only says what went wrong (no stack trace, nothing from the input unescaped)."""
    return render(request, "error.html", status=status, message=message)


def _ids_in_range(kwargs: Dict[str, Any]) -> bool:
    return all(0 < v <= MAX_ID for v in kwargs.values() if isinstance(v, int))


def page(*roles: str) -> Callable[[Handler], Handler]:
    """Guard an HTML route: login required (else a redirect), one of ``roles``, CSRF on POST."""

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            user, token = await session_user(request)
            if user is None or token is None:
                # 303: a form POST becomes a GET of the login page; only pages are worth returning to.
                target = LOGIN_PATH + (f"?next={quote(request.path, safe='/')}" if request.method == "GET" else "")
                return response.redirect(target, status=303)
            _remember(request, user, token)
            if request.method == "POST" and not csrf_matches(token, _submitted_csrf(request)):
                return error_page(request, 403, BAD_CSRF)
            if user.role not in roles:
                return error_page(request, 403, WRONG_ROLE)
            if not _ids_in_range(kwargs):
                return error_page(request, 404, NOT_FOUND)
            return await handler(request, *args, **kwargs)

        return guarded

    return decorator


def api(*roles: str) -> Callable[[Handler], Handler]:
    """Guard a JSON route: a console session (CSRF on POST) or a bearer token, one of ``roles``."""

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            token: Optional[str] = None
            user: Optional[StaffUser]
            if bearer_token(request):
                user = await authenticate_bearer(request)  # raises the department API's 401
            else:
                user, token = await session_user(request)
                if user is None or token is None:
                    return error_reply(401, NOT_LOGGED_IN)
                if request.method == "POST" and not csrf_matches(token, _submitted_csrf(request)):
                    return error_reply(403, BAD_CSRF)
            assert user is not None  # both branches returned or raised without one
            _remember(request, user, token)
            if user.role not in roles:
                raise ApiError(403, WRONG_ROLE)
            if not _ids_in_range(kwargs):
                raise ApiError(404, NOT_FOUND)
            return await handler(request, *args, **kwargs)

        return guarded

    return decorator
