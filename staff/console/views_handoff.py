"""Human handoff in the console: the queue page, a conversation page, and the same as a JSON API.

Pages (session + CSRF): ``/console/handoff``, ``/console/handoff/<id>`` and POST ``…/take``,
``…/reply``, ``…/close``, ``/console/handoff/duty``. JSON API (session + ``X-CSRF-Token``, or a
bearer token): ``GET /console/api/handoff``, ``GET /console/api/handoff/<id>``, POST
``…/take``, ``…/reply`` (``{"text": "…"}``), ``…/close``, ``/console/api/handoff/duty``
(``{"on_duty": true}``). Agents are ``dept_officer`` and ``admin`` accounts.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from govservice.handoff.queue import HandoffError
from staff.auth import current_user
from staff.console import handoff_actions as actions
from staff.console.forms import field
from staff.console.guard import api, error_page, page
from staff.console.rasa_client import RasaUnavailable
from staff.console.render import AGENTS, redirect, render
from staff.web import ApiError, json_body, reply

Step = Callable[[], Awaitable[Any]]


async def queue_page(request: Request) -> HTTPResponse:
    """``GET /console/handoff``: waiting and active conversations, open messages, the duty switch."""
    return render(request, "handoff.html", **await actions.overview(request, current_user(request)))


async def ticket_page(request: Request, ticket_id: int) -> HTTPResponse:
    """``GET /console/handoff/<id>``: the ticket, its transcript and what the agent can do."""
    try:
        data = await actions.detail(request, ticket_id)
    except HandoffError as error:
        return error_page(request, 404, str(error))
    return render(request, "handoff_ticket.html", ticket=data, error=request.args.get("error") == "rasa")


async def _page_step(request: Request, ticket_id: int, step: Step, done: str) -> HTTPResponse:
    try:
        await step()
    except HandoffError as error:
        return error_page(request, 409, str(error))
    except RasaUnavailable as error:
        return error_page(request, 502, f"{error}。工单状态已保存，可稍后重试。")
    return redirect(f"/console/handoff/{ticket_id}", done)


async def take_page(request: Request, ticket_id: int) -> HTTPResponse:
    """``POST /console/handoff/<id>/take``."""
    user = current_user(request)
    return await _page_step(request, ticket_id, lambda: actions.take(request, user, ticket_id), "taken")


async def reply_page(request: Request, ticket_id: int) -> HTTPResponse:
    """``POST /console/handoff/<id>/reply`` with ``text``."""
    user, text = current_user(request), field(request, "text")
    return await _page_step(request, ticket_id, lambda: actions.reply(request, user, ticket_id, text), "replied")


async def close_page(request: Request, ticket_id: int) -> HTTPResponse:
    """``POST /console/handoff/<id>/close``: hand back to the bot, or mark a message answered."""
    user = current_user(request)
    try:
        closed = await actions.close(request, user, ticket_id)
    except HandoffError as error:
        return error_page(request, 409, str(error))
    except RasaUnavailable as error:
        return error_page(request, 502, f"{error}。会话仍由人工服务，请稍后重试。")
    return redirect("/console/handoff", "message_closed" if closed["kind"] == "message" else "closed")


async def duty_page(request: Request) -> HTTPResponse:
    """``POST /console/handoff/duty`` with ``on_duty`` 1 or 0."""
    on_duty = await actions.set_duty(request, current_user(request), field(request, "on_duty") == "1")
    return redirect("/console/handoff", "duty_on" if on_duty else "duty_off")


async def _api_step(step: Step) -> HTTPResponse:
    try:
        result = await step()
    except HandoffError as error:
        raise ApiError(409, str(error)) from None
    except RasaUnavailable as error:
        raise ApiError(502, str(error)) from None
    return reply(result if isinstance(result, dict) else {"ok": True})


async def queue_api(request: Request) -> HTTPResponse:
    """``GET /console/api/handoff``: the queue as JSON."""
    return reply(await actions.overview(request, current_user(request)))


async def ticket_api(request: Request, ticket_id: int) -> HTTPResponse:
    """``GET /console/api/handoff/<id>``: one ticket with its transcript."""
    try:
        return reply(await actions.detail(request, ticket_id))
    except HandoffError as error:
        raise ApiError(404, str(error)) from None


async def take_api(request: Request, ticket_id: int) -> HTTPResponse:
    """``POST /console/api/handoff/<id>/take``."""
    return await _api_step(lambda: actions.take(request, current_user(request), ticket_id))


async def reply_api(request: Request, ticket_id: int) -> HTTPResponse:
    """``POST /console/api/handoff/<id>/reply`` with ``{"text": "…"}``."""
    text = json_body(request).get("text")
    if not isinstance(text, str):
        raise ApiError(400, '请提供回复内容，例如 {"text": "您好"}')
    return await _api_step(lambda: actions.reply(request, current_user(request), ticket_id, text))


async def close_api(request: Request, ticket_id: int) -> HTTPResponse:
    """``POST /console/api/handoff/<id>/close``: hand back to the bot."""
    return await _api_step(lambda: actions.close(request, current_user(request), ticket_id))


async def duty_api(request: Request) -> HTTPResponse:
    """``POST /console/api/handoff/duty`` with ``{"on_duty": true|false}``."""
    body: Dict[str, Any] = json_body(request)
    if not isinstance(body.get("on_duty"), bool):
        raise ApiError(400, '请提供值班状态，例如 {"on_duty": true}')
    on_duty = await actions.set_duty(request, current_user(request), body["on_duty"])
    return reply({"on_duty": on_duty})


def blueprint() -> Blueprint:
    """Handoff routes (a fresh blueprint per app)."""
    bp = Blueprint("console_handoff", url_prefix="/console")
    for path, handler, method in (
        ("/handoff", queue_page, "GET"),
        ("/handoff/duty", duty_page, "POST"),
        ("/handoff/<ticket_id:int>", ticket_page, "GET"),
        ("/handoff/<ticket_id:int>/take", take_page, "POST"),
        ("/handoff/<ticket_id:int>/reply", reply_page, "POST"),
        ("/handoff/<ticket_id:int>/close", close_page, "POST"),
    ):
        bp.add_route(page(*AGENTS)(handler), path, methods=[method])
    for path, handler, method in (
        ("/api/handoff", queue_api, "GET"),
        ("/api/handoff/duty", duty_api, "POST"),
        ("/api/handoff/<ticket_id:int>", ticket_api, "GET"),
        ("/api/handoff/<ticket_id:int>/take", take_api, "POST"),
        ("/api/handoff/<ticket_id:int>/reply", reply_api, "POST"),
        ("/api/handoff/<ticket_id:int>/close", close_api, "POST"),
    ):
        bp.add_route(api(*AGENTS)(handler), path, methods=[method])
    return bp
