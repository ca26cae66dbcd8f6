"""FAQ pages: list and search, create, edit, publish, retire and version history.

Every role may read the FAQ (an agent answering a citizen looks answers up); only ``faq_editor``
and ``admin`` change it. Changes go through :mod:`govservice.faq.workflow`, which keeps every version and
the audit trail; the assistant's retrieval notices a change on its next question.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import ROLES
from govservice.catalog.models import Department
from govservice.faq.models import DRAFT, ENTRY_STATUSES, PUBLISHED, STATUS_LABELS, FaqEntry
from govservice.faq.workflow import (
    ACTION_LABELS,
    FIELD_LABELS,
    FaqError,
    FaqNotFound,
    create_entry,
    entry_history,
    get_entry,
    list_entries,
    publish_entry,
    retire_entry,
    update_entry,
)
from staff.auth import current_user
from staff.console.forms import empty_form, entry_fields, entry_form, field, int_field, raw_form
from staff.console.guard import error_page, page
from staff.console.render import EDITORS, redirect, render
from staff.web import in_transaction

MAX_QUERY_CHARS = 100
STALE = "该问答已被他人修改（当前为第{version}版），请刷新页面，在最新内容上重新编辑"


class StaleEdit(FaqError):
    """The form was opened on an older version than the one saved since."""


def choices(session: Session) -> Dict[str, Any]:
    """Departments and the categories in use, for the form's selects."""
    departments = [(d.code, d.name) for d in session.query(Department).order_by(Department.code)]
    categories = sorted({c for (c,) in session.query(FaqEntry.category).distinct()})
    return {"departments": departments, "categories": categories}


async def faq_list(request: Request) -> HTTPResponse:
    """``GET /console/faq``: entries, searchable, filtered by status and category."""
    query = (request.args.get("q") or "").strip()[:MAX_QUERY_CHARS]
    status = request.args.get("status") or ""
    status = status if status in ENTRY_STATUSES else ""
    category = (request.args.get("category") or "").strip()[:40]

    def work(session: Session) -> Dict[str, Any]:
        entries = list_entries(session, query, status=status or None, category=category or None)
        return {"entries": entries, **choices(session)}

    data = await in_transaction(request, work)
    return render(
        request, "faq_list.html", q=query, status_filter=status, category=category, status_labels=STATUS_LABELS, **data
    )


def _form_page(request: Request, session_data: Dict[str, Any], form: Dict[str, str], *, entry: Optional[FaqEntry],
               error: str = "", status: int = 200) -> HTTPResponse:
    return render(request, "faq_form.html", status=status, form=form, entry=entry, error=error, **session_data)


async def new_form(request: Request) -> HTTPResponse:
    """``GET /console/faq/new``: an empty form (``?question=`` prefills the question)."""
    data = await in_transaction(request, choices)
    form = empty_form(question=(request.args.get("question") or "")[:200])
    return _form_page(request, data, form, entry=None)


async def create(request: Request) -> HTTPResponse:
    """``POST /console/faq/new``: save a draft, or publish at once with ``publish=1``."""
    actor = current_user(request).actor
    publish = field(request, "publish") == "1"

    def work(session: Session) -> int:
        status = PUBLISHED if publish else DRAFT
        return int(create_entry(session, actor, entry_fields(request), status=status).id)

    try:
        entry_id = await in_transaction(request, work)
    except FaqError as error:
        data = await in_transaction(request, choices)
        return _form_page(request, data, raw_form(request), entry=None, error=str(error), status=400)
    return redirect(f"/console/faq/{entry_id}/edit", "created_published" if publish else "created")


async def edit_form(request: Request, entry_id: int) -> HTTPResponse:
    """``GET /console/faq/<id>/edit``: the entry's form."""

    def work(session: Session) -> Dict[str, Any]:
        entry = get_entry(session, entry_id)
        return {"entry": entry, "form": entry_form(entry), **choices(session)}

    try:
        data = await in_transaction(request, work)
    except FaqNotFound as error:
        return error_page(request, 404, str(error))
    return render(request, "faq_form.html", error="", **data)


async def update(request: Request, entry_id: int) -> HTTPResponse:
    """``POST /console/faq/<id>/edit``: save the changes (a new version only when something changed)."""
    actor = current_user(request).actor
    seen_version = int_field(request, "version")

    def work(session: Session) -> bool:
        entry = get_entry(session, entry_id)
        if seen_version is not None and seen_version != entry.version:
            raise StaleEdit(STALE.format(version=entry.version))
        before = entry.version
        update_entry(session, entry_id, actor, **vars(entry_fields(request)))
        return bool(entry.version != before)

    try:
        changed = await in_transaction(request, work)
    except FaqNotFound as error:
        return error_page(request, 404, str(error))
    except FaqError as error:
        def reload(session: Session) -> Dict[str, Any]:
            return {"entry": get_entry(session, entry_id), **choices(session)}

        data = await in_transaction(request, reload)
        entry = data.pop("entry")
        status = 409 if isinstance(error, StaleEdit) else 400
        return _form_page(request, data, raw_form(request), entry=entry, error=str(error), status=status)
    return redirect(f"/console/faq/{entry_id}/edit", "saved" if changed else "unchanged")


async def _change_status(request: Request, entry_id: int, publish: bool) -> HTTPResponse:
    actor = current_user(request).actor
    step = publish_entry if publish else retire_entry
    try:
        await in_transaction(request, lambda session: step(session, entry_id, actor))
    except FaqNotFound as error:
        return error_page(request, 404, str(error))
    except FaqError as error:
        return error_page(request, 409, str(error))
    back = "/console/faq" if field(request, "back") == "list" else f"/console/faq/{entry_id}/edit"
    return redirect(back, "published" if publish else "retired")


async def publish(request: Request, entry_id: int) -> HTTPResponse:
    """``POST /console/faq/<id>/publish``."""
    return await _change_status(request, entry_id, publish=True)


async def retire(request: Request, entry_id: int) -> HTTPResponse:
    """``POST /console/faq/<id>/retire``."""
    return await _change_status(request, entry_id, publish=False)


def _versions(session: Session, entry_id: int) -> Dict[str, Any]:
    entry = get_entry(session, entry_id)
    rows: List[Dict[str, Any]] = [
        {
            "version": v.version,
            "action": ACTION_LABELS.get(v.action, v.action),
            "changes": [FIELD_LABELS.get(c, c) for c in v.changes],
            "by": v.changed_by,
            "at": v.changed_at,
            "note": v.note or "",
            "snapshot": v.snapshot,
        }
        for v in reversed(entry_history(session, entry_id))
    ]
    return {"entry": entry, "versions": rows}


async def history(request: Request, entry_id: int) -> HTTPResponse:
    """``GET /console/faq/<id>/history``: every saved version, newest first."""
    try:
        data = await in_transaction(request, partial(_versions, entry_id=entry_id))
    except FaqNotFound as error:
        return error_page(request, 404, str(error))
    return render(request, "faq_history.html", field_labels=FIELD_LABELS, status_labels=STATUS_LABELS, **data)


def blueprint() -> Blueprint:
    """FAQ routes (a fresh blueprint per app)."""
    bp = Blueprint("console_faq", url_prefix="/console/faq")
    bp.add_route(page(*ROLES)(faq_list), "", methods=["GET"])
    bp.add_route(page(*EDITORS)(new_form), "/new", methods=["GET"])
    bp.add_route(page(*EDITORS)(create), "/new", methods=["POST"])
    bp.add_route(page(*EDITORS)(edit_form), "/<entry_id:int>/edit", methods=["GET"])
    bp.add_route(page(*EDITORS)(update), "/<entry_id:int>/edit", methods=["POST"])
    bp.add_route(page(*EDITORS)(publish), "/<entry_id:int>/publish", methods=["POST"])
    bp.add_route(page(*EDITORS)(retire), "/<entry_id:int>/retire", methods=["POST"])
    bp.add_route(page(*ROLES)(history), "/<entry_id:int>/history", methods=["GET"])
    return bp
