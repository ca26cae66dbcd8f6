"""Shared plumbing of the staff web app: JSON replies, request parsing, errors and transactions.

Every error reaches the client as ``{"error": "<中文说明>"}`` with a fitting status: bad input is
a 4xx, never a 500 or a stack trace. Back-office refusals are mapped here, in one place, so all
blueprints answer them alike.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from functools import partial
from typing import Any, Callable, Dict, Optional, TypeVar

from sanic import Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.applications.states import (
    ApplicationError,
    ApplicationNotFound,
    RatingError,
    ScopeError,
    TransitionError,
)
from govservice.db import session_scope

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TEXT_CHARS = 1000
"""Longest reason, opinion or note accepted from an officer."""


class ApiError(Exception):
    """A refusal with an HTTP status and a Chinese message for the client."""

    def __init__(self, status: int, message: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def reply(body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    """A JSON response with Chinese kept readable (non-ASCII characters are not escaped)."""
    return response.json(body, status=status, headers=headers, ensure_ascii=False)


def error_reply(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    """The JSON error body shared by every endpoint."""
    return reply({"error": message}, status=status, headers=headers)


def json_body(request: Request, *, optional: bool = False) -> Dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` when ``optional``.

    Raises:
        ApiError: 400 for a body that is not a JSON object.
    """
    raw = request.body or b""
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(400, "请求体不能为空，请提交 JSON 对象")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "请求体不是合法的 JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, '请求体必须是 JSON 对象，例如 {"reason": "……"}')
    return body


def _text(body: Dict[str, Any], name: str, label: str) -> str:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"{label}（{name}）必须是字符串")
    text = (value or "").strip()
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(400, f"{label}不能超过{MAX_TEXT_CHARS}字")
    return text


def optional_text(body: Dict[str, Any], name: str, label: str) -> Optional[str]:
    """A trimmed string field of ``body``, or None; ``label`` names it in the Chinese error.

    Raises:
        ApiError: 400 when it is not a string or too long.
    """
    return _text(body, name, label) or None


def required_text(body: Dict[str, Any], name: str, label: str) -> str:
    """A trimmed, non-empty string field of ``body``; ``label`` names it in the Chinese error.

    Raises:
        ApiError: 400 when it is missing, blank, not a string or too long.
    """
    text = _text(body, name, label)
    if not text:
        raise ApiError(400, f"请填写{label}（{name}）")
    return text


def int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"参数 {name} 必须是整数") from None
    if not low <= value <= high:
        raise ApiError(400, f"参数 {name} 须在{low}到{high}之间")
    return value


def date_arg(request: Request, name: str) -> Optional[datetime.date]:
    """A ``YYYY-MM-DD`` query parameter, or None when absent."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"参数 {name} 的日期格式应为 YYYY-MM-DD，例如 2026-01-05") from None


async def in_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in ONE transaction on a worker thread, so the event loop never blocks.

    Commits when ``work`` returns, rolls back when it raises; its exception propagates.
    """
    url = request.app.ctx.database_url
    return await asyncio.get_running_loop().run_in_executor(None, partial(_run, url, work))


def _run(url: str, work: Callable[[Session], T]) -> T:
    with session_scope(url) as session:
        return work(session)


def _api_error(request: Request, error: ApiError) -> HTTPResponse:
    return error_reply(error.status, error.message, error.headers)


def _not_found_message(request: Request) -> str:
    number = (request.match_info or {}).get("number")
    return f"未找到办件{number}" if number else "未找到该记录，或其不属于本部门"


def _govservice_error(request: Request, error: Exception) -> HTTPResponse:
    # Another department's application looks exactly like a missing one: its existence is not revealed.
    if isinstance(error, (ApplicationNotFound, ScopeError)):
        return error_reply(404, _not_found_message(request))
    if isinstance(error, (TransitionError, RatingError)):
        return error_reply(409, str(error))
    return error_reply(400, str(error))


def _sanic_error(request: Request, error: SanicException) -> HTTPResponse:
    if isinstance(error, NotFound):
        return error_reply(404, "接口不存在，请核对地址")
    if isinstance(error, MethodNotSupported):
        return error_reply(405, "该接口不支持此请求方法")
    status = int(getattr(error, "status_code", 500) or 500)
    if status >= 500:
        logger.error("server error on %s %s: %s", request.method, request.path, error)
        return error_reply(status, "服务器内部错误，请稍后重试")
    return error_reply(status, "请求有误，请核对后重试")


def _unexpected(request: Request, error: Exception) -> HTTPResponse:
    logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return error_reply(500, "服务器内部错误，请稍后重试")


def register_error_handlers(app: Sanic) -> None:
    """Answer every error as JSON with a Chinese message; log server errors without showing them."""
    app.exception(ApiError)(_api_error)
    app.exception(ApplicationError, ApplicationNotFound, ScopeError)(_govservice_error)
    app.exception(SanicException)(_sanic_error)
    app.exception(Exception)(_unexpected)
