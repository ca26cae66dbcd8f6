"""The unanswered-questions queue: clusters with counts, resolved in two clicks.

"新建问答" opens the entry form prefilled from the cluster (click one); "保存并发布" creates and
publishes the entry (click two). "加为相似问法" opens the cluster's top retrieval hits (click
one); choosing one adds the cluster's wordings to that entry (click two). Either way the cluster
leaves the queue. Questions were redacted before they were queued (:mod:`govservice.faq.unanswered`).
"""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.faq.search import search
from govservice.faq.unanswered import (
    QueueNotFound,
    dismiss,
    get_queued,
    list_queue,
    resolve_as_new_entry,
    resolve_as_similar,
)
from govservice.faq.workflow import FaqError
from staff.auth import current_user
from staff.console.forms import empty_form, field, int_field, keys, raw_form
from staff.console.guard import error_page, page
from staff.console.render import EDITORS, redirect, render
from staff.console.views_faq import choices
from staff.web import in_transaction

CANDIDATES = 3
SHOWN_CLUSTERS = 100


def _queue(session: Session) -> Dict[str, Any]:
    clusters = list_queue(session, limit=SHOWN_CLUSTERS)
    return {"rows": [{"cluster": c, "hits": search(session, c.text, limit=CANDIDATES)} for c in clusters]}


async def queue(request: Request) -> HTTPResponse:
    """``GET /console/queue``: open clusters, most asked first, each with its top retrieval hits."""
    return render(request, "queue.html", **await in_transaction(request, _queue))


async def _new_page(request: Request, question_id: int, form: Dict[str, str], error: str = "",
                    status: int = 200) -> HTTPResponse:
    def work(session: Session) -> Dict[str, Any]:
        return {"cluster": get_queued(session, question_id), **choices(session)}

    try:
        data = await in_transaction(request, work)
    except QueueNotFound as failure:
        return error_page(request, 404, str(failure))
    except FaqError as failure:  # already resolved, e.g. by a colleague
        return error_page(request, 409, str(failure))
    form = form or empty_form(question=data["cluster"].text)
    return render(request, "queue_new.html", status=status, form=form, error=error, **data)


async def new_form(request: Request, question_id: int) -> HTTPResponse:
    """``GET /console/queue/<id>/new``: the new-entry form prefilled from the queued question."""
    return await _new_page(request, question_id, {})


async def create(request: Request, question_id: int) -> HTTPResponse:
    """``POST /console/queue/<id>/new``: create and publish the entry; the cluster leaves the queue."""
    actor = current_user(request).actor

    def work(session: Session) -> int:
        entry = resolve_as_new_entry(
            session, question_id, actor, answer=field(request, "answer"), category=field(request, "category"),
            question=field(request, "question") or None, department_code=field(request, "department_code") or None,
            item_keys=keys(field(request, "item_keys")),
        )
        return int(entry.id)

    try:
        await in_transaction(request, work)
    except QueueNotFound as failure:
        return error_page(request, 404, str(failure))
    except FaqError as failure:
        return await _new_page(request, question_id, raw_form(request), str(failure), status=400)
    return redirect("/console/queue", "resolved")


async def add_similar(request: Request, question_id: int) -> HTTPResponse:
    """``POST /console/queue/<id>/similar`` with ``entry_id``: add the wordings to that entry."""
    entry_id = int_field(request, "entry_id")
    if entry_id is None:
        return error_page(request, 400, "请选择要加入相似问法的问答")
    actor = current_user(request).actor
    try:
        await in_transaction(request, lambda session: resolve_as_similar(session, question_id, entry_id, actor))
    except LookupError as failure:  # the question or the chosen entry does not exist
        return error_page(request, 404, str(failure))
    except FaqError as failure:
        return error_page(request, 409, str(failure))
    return redirect("/console/queue", "resolved")


async def dismiss_question(request: Request, question_id: int) -> HTTPResponse:
    """``POST /console/queue/<id>/dismiss``: drop a cluster without an answer (noise, out of scope)."""
    actor = current_user(request).actor
    try:
        await in_transaction(request, lambda session: dismiss(session, question_id, actor))
    except QueueNotFound as failure:
        return error_page(request, 404, str(failure))
    except FaqError as failure:
        return error_page(request, 409, str(failure))
    return redirect("/console/queue", "dismissed")


def blueprint() -> Blueprint:
    """Queue routes (a fresh blueprint per app)."""
    bp = Blueprint("console_queue", url_prefix="/console/queue")
    bp.add_route(page(*EDITORS)(queue), "", methods=["GET"])
    bp.add_route(page(*EDITORS)(new_form), "/<question_id:int>/new", methods=["GET"])
    bp.add_route(page(*EDITORS)(create), "/<question_id:int>/new", methods=["POST"])
    bp.add_route(page(*EDITORS)(add_similar), "/<question_id:int>/similar", methods=["POST"])
    bp.add_route(page(*EDITORS)(dismiss_question), "/<question_id:int>/dismiss", methods=["POST"])
    return bp
