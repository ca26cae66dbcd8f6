"""Bearer-token authentication of staff requests, with role and department scope.

``Authorization: Bearer <token>`` identifies an officer (:mod:`govservice.accounts.officers`). A missing,
unknown or revoked token gets a 401 and a role the endpoint does not allow a 403. A
department-scoped endpoint acts only for the officer's own department, which comes from the
account and never from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial, wraps
from typing import Any, Callable, Coroutine, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import ROLE_LABELS, ROLES, authenticate_token
from staff.web import ApiError, in_transaction, reply

UNAUTHENTICATED = "未登录或访问令牌无效，请在请求头中提供 Authorization: Bearer <访问令牌>"
WRONG_ROLE = "当前账号的角色无权使用该功能"
NO_DEPARTMENT = "当前账号未归属部门，不能办理办件"

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


@dataclass(frozen=True)
class StaffUser:
    """The authenticated officer, detached from the database session."""

    username: str
    display_name: str
    role: str
    department_code: Optional[str]

    @property
    def actor(self) -> str:
        """How the officer is recorded in an application's history: readable and unique."""
        return f"{self.display_name}（{self.username}）"


def bearer_token(request: Request) -> Optional[str]:
    """The token of an ``Authorization: Bearer …`` header, else None."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _lookup(token: str, session: Session) -> Optional[StaffUser]:
    officer = authenticate_token(session, token)
    if officer is None:
        return None
    return StaffUser(
        username=str(officer.username),
        display_name=str(officer.display_name),
        role=str(officer.role),
        department_code=officer.department_code,
    )


async def authenticate(request: Request) -> StaffUser:
    """The officer holding the request's token.

    Raises:
        ApiError: 401 (with ``WWW-Authenticate``) for a missing, unknown or revoked token.
    """
    token = bearer_token(request)
    user = await in_transaction(request, partial(_lookup, token)) if token else None
    if user is None:
        raise ApiError(401, UNAUTHENTICATED, {"WWW-Authenticate": 'Bearer realm="staff"'})
    return user


def requires(*roles: str, department: bool = False) -> Callable[[Handler], Handler]:
    """Let only officers with one of ``roles`` in; ``department``: they must belong to one.

    The officer is available to the handler as :func:`current_user`.
    """

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            user = await authenticate(request)
            if user.role not in roles:
                raise ApiError(403, WRONG_ROLE)
            if department and not user.department_code:
                raise ApiError(403, NO_DEPARTMENT)
            request.ctx.staff_user = user
            return await handler(request, *args, **kwargs)

        return guarded

    return decorator


def current_user(request: Request) -> StaffUser:
    """The officer authenticated by :func:`requires` for this request."""
    user: StaffUser = request.ctx.staff_user
    return user


@requires(*ROLES)
async def me(request: Request) -> HTTPResponse:
    """``GET /api/v1/me``: who the token belongs to."""
    user = current_user(request)
    return reply(
        {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "department_code": user.department_code,
        }
    )


def blueprint() -> Blueprint:
    """The account routes (a fresh blueprint per app)."""
    bp = Blueprint("staff_account", url_prefix="/api/v1")
    bp.add_route(me, "/me", methods=["GET"])
    return bp
