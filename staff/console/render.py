"""Server-side rendering of the console pages with Jinja2.

Autoescaping is on for every template, whatever its name: questions, answers and chat messages
are typed by citizens and staff and must show as text, never run as HTML. No template uses
``|safe``. Notices after a redirect are chosen by a fixed code (``?done=published``), so a link
cannot make a page say arbitrary things.
"""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path
from typing import Any, Dict, Optional, Union

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from govservice.accounts.officers import ADMIN, DEPT_OFFICER, FAQ_EDITOR, ROLE_LABELS
from govservice.clock import office_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
EDITORS = (FAQ_EDITOR, ADMIN)
AGENTS = (DEPT_OFFICER, ADMIN)
NOTICES: Dict[str, str] = {
    "created": "已新建问答（草稿）。发布后智能助手即按新内容回答。",
    "created_published": "已新建并发布问答，智能助手已按新内容回答。",
    "saved": "已保存。已发布的问答修改后立即生效。",
    "unchanged": "内容没有变化，未生成新版本。",
    "published": "已发布，智能助手已开始使用该问答。",
    "retired": "已下线，智能助手不再使用该问答。",
    "resolved": "已处理，该问题已移出待处理队列。",
    "dismissed": "已忽略该问题。",
    "taken": "已接入会话，市民将看到“人工客服已接入”。",
    "replied": "回复已发送。",
    "closed": "已结束人工服务，会话已交还智能助手。",
    "message_closed": "留言已标记为已处理。",
    "duty_on": "您已开始值班，市民现在可以转接到您。",
    "duty_off": "您已结束值班。",
    "accepted": "已受理，已通知申请人。",
    "reviewing": "已开始审核，已通知申请人。",
    "correction": "已要求补正，已通知申请人。",
    "approved": "已办结（审核通过），已通知申请人。",
    "rejected": "已不予受理，已通知申请人。",
}


def _date(value: Optional[datetime.date]) -> str:
    return value.isoformat() if value else ""


def _time(value: Union[datetime.datetime, str, None]) -> str:
    return office_text(value)  # a stored time, or ISO text from the JSON API


@cache
def environment() -> Environment:
    """The template environment (autoescape on for all templates)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["date"] = _date
    env.filters["time"] = _time
    env.globals.update(role_labels=ROLE_LABELS, editors=EDITORS, agents=AGENTS)
    return env


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """The page ``template`` with the common context: the officer, the CSRF token and a notice."""
    user = getattr(request.ctx, "staff_user", None)
    common = {
        "user": user,
        "csrf": getattr(request.ctx, "csrf", ""),
        "notice": NOTICES.get(str(request.args.get("done") or ""), ""),
        "path": request.path,
        "can_edit": bool(user and user.role in EDITORS),
        "is_agent": bool(user and user.role in AGENTS),
    }
    body = environment().get_template(template).render(**{**common, **context})
    headers = {
        # Pages show personal data: never cached, never framed; only our own scripts and styles.
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        "Referrer-Policy": "same-origin",
    }
    return response.html(body, status=status, headers=headers)


def redirect(path: str, done: str = "") -> HTTPResponse:
    """A 303 to ``path`` (a console path we built), optionally with a notice code."""
    return response.redirect(f"{path}?done={done}" if done else path, status=303)
