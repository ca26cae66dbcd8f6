"""Applications as the bot and the channels call them: each call is one transaction.

The actions and connectors never open a database session or touch a model (issue 14, item 5):
these functions open the session, do the work of :mod:`~govservice.applications.forms`,
:mod:`~govservice.applications.workflow` and their neighbours, and hand back texts, plain values
and dataclasses. Refusals raise the errors of :mod:`govservice.applications.states`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from govservice.applications import life_events, newborn_materials, queries, ratings, workflow
from govservice.applications.forms import ApplicationPlan, plan_application
from govservice.applications.forms import submission_form_data as _submission_form_data
from govservice.applications.materials_check import check_materials, render_check, store_attachment
from govservice.applications.models import Application, Attachment
from govservice.applications.states import CORRECTION, RATABLE_STATUSES, SUBMITTED, ApplicationError, TransitionError
from govservice.catalog import guide
from govservice.catalog.models import ServiceItem
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity import auth


@dataclass(frozen=True)
class StartedApplication:
    """An item's application planned for one citizen: the plan, or why it cannot start."""

    location: str
    """Where the item's window is (the guide's ``location`` answer), for items done at the window."""
    plan: Optional[ApplicationPlan] = None
    refusal: str = ""


@dataclass(frozen=True)
class StoredUpload:
    """A file stored for the logged-in person, as the upload endpoint reports it."""

    attachment_id: str
    filename: str
    sha256: str


def start_application(item_key: str, person_id: str, company_code: Optional[str]) -> Optional[StartedApplication]:
    """Plan the application of ``item_key`` for the citizen; None when the item is not in the catalog."""
    with session_scope() as session:
        item = session.get(ServiceItem, item_key)
        if item is None:
            return None
        location = guide.answer(item, "location")
        try:
            plan = plan_application(session, item, person_id, company_code=company_code)
        except ApplicationError as error:
            return StartedApplication(location, refusal=str(error))
        return StartedApplication(location, plan)


def materials_check_text(item_key: str, holder_id: str, holder_kind: str) -> Optional[str]:
    """Which materials of the item the holder's certificate library covers, as a chat text."""
    with session_scope() as session:
        item = session.get(ServiceItem, item_key)
        if item is None:
            return None
        return render_check(check_materials(session, item, holder_id, holder_kind=holder_kind))


def submission_form_data(
    plan: Mapping[str, Any], answers: Mapping[str, str], holder_id: str, holder_kind: str
) -> Dict[str, str]:
    """The form data an application is submitted with (:func:`forms.submission_form_data`)."""
    with session_scope() as session:
        return _submission_form_data(session, plan, answers, holder_id, holder_kind)


def owns_attachment(attachment_id: str, person_id: str) -> bool:
    """Whether ``attachment_id`` is a file this person uploaded."""
    with session_scope() as session:
        found = session.get(Attachment, attachment_id)
        return found is not None and found.uploaded_by == person_id


def store_upload(channel: str, sender: str, data: bytes, filename: str, content_type: str) -> Optional[StoredUpload]:
    """Store a file for the person logged in on ``sender``; None when nobody is logged in there.

    Raises:
        ApplicationError: an empty, too large or unsupported file (Chinese message).
    """
    with session_scope() as session:
        subject = auth.current_subject(session, channel, sender, utc_now())  # one transaction with the file
        if subject is None:
            return None
        stored = store_attachment(session, data, filename, content_type, subject.person_id)
        return StoredUpload(str(stored.id), str(stored.filename), str(stored.sha256))


def status_notice(number: str, sender: str) -> Optional[Tuple[str, bool]]:
    """The status notice of application ``number`` for the conversation that applied.

    Returns:
        The notice and whether the application can be rated now; None for an unknown number or
        another conversation's application.
    """
    with session_scope() as session:
        app = session.query(Application).filter(Application.number == number).one_or_none()
        if app is None or app.sender != sender:
            return None  # never tell one conversation about another person's application
        text = f"【办件通知】您的办件{app.number}（{app.item_name}）状态更新为「{app.status}」。"
        text += queries.next_step_text(app) + "。"
        return text, app.status in RATABLE_STATUSES and app.rating is None


def applications_text(person_id: str, company_code: Optional[str], number: Optional[str] = None) -> str:
    """The citizen's applications with status and next step; only ``number`` when it is one of them."""
    with session_scope() as session:
        apps = queries.applications_for_person(session, person_id, company_code=company_code)
        if number:
            apps = [a for a in apps if a.number == number] or apps
        return queries.render_applications(apps)


def withdraw(person_id: str, company_code: Optional[str], number: Optional[str] = None) -> str:
    """Withdraw application ``number``, else the newest one still 已提交; the reply to the citizen."""
    with session_scope() as session:
        apps = queries.applications_for_person(session, person_id, company_code=company_code)
        target = next((a for a in apps if a.number == number), None) if number else None
        target = target or next((a for a in apps if a.status == SUBMITTED), None)
        if target is None:
            return "您没有可以撤回的申请（窗口受理后不能在线撤回，如需撤回请联系受理窗口）。"
        try:
            event = workflow.withdraw(session, target.number, person_id, now=utc_now())
        except (TransitionError, ApplicationError) as error:
            return str(error)
        return f"已撤回办件{event.number}。如需办理，可以随时重新申请。"


def correction_target(person_id: str, company_code: Optional[str]) -> Optional[Tuple[str, int]]:
    """The newest application in 需补正, as (number, the material a correction upload is filed under)."""
    with session_scope() as session:
        apps = queries.applications_for_person(session, person_id, company_code=company_code)
        target = next((a for a in apps if a.status == CORRECTION), None)
        if target is None:
            return None
        # The first uploaded material, else the first material.
        uploaded = [m.material_id for m in target.materials if m.source == "upload"]
        return str(target.number), int(uploaded[0] if uploaded else target.materials[0].material_id)


def resubmit(number: str, person_id: str, material_id: int, attachment_id: str) -> str:
    """Resubmit a corrected application with the uploaded file; the reply to the citizen.

    Raises:
        ApplicationError: the application cannot be resubmitted (Chinese message).
    """
    with session_scope() as session:
        event = workflow.resubmit(session, number, person_id, [(material_id, attachment_id)])
        return f"补正材料已提交，办件{event.number}重新进入审核。"


def rating_target(
    person_id: str, company_code: Optional[str], number: Optional[str] = None
) -> Optional[Tuple[str, str]]:
    """The finished application to rate (``number``, else the newest one not rated): (number, item name)."""
    with session_scope() as session:
        apps = queries.applications_for_person(session, person_id, company_code=company_code)
        open_apps = [a for a in apps if a.status in RATABLE_STATUSES and a.rating is None]
        target = next((a for a in open_apps if a.number == number), None) or next(iter(open_apps), None)
        return (str(target.number), str(target.item_name)) if target is not None else None


def rate(number: str, person_id: str, level: str, comment: Optional[str]) -> str:
    """Rate a finished application (好差评); the reply to the citizen.

    Raises:
        RatingError: not finished, already rated or an unknown level. ScopeError: not theirs.
    """
    with session_scope() as session:
        return ratings.rating_reply(ratings.rate(session, number, person_id, level, comment))


def start_newborn(person_id: str) -> Tuple[life_events.NewbornStart, str]:
    """What the 新生儿出生一件事 starts from for the applicant, and the plan of materials as a text."""
    with session_scope() as session:
        start = life_events.start_newborn(session, person_id)
        return start, newborn_materials.render_plan(session, start.needs, start.birth_masked)


def explain_newborn() -> str:
    """What the 新生儿出生一件事 is and which items it bundles, before any login."""
    with session_scope() as session:
        return newborn_materials.explain_newborn(session)


def submit(**application: Any) -> str:
    """Submit an application in its own transaction; its number.

    Args:
        **application: the keyword arguments of :func:`workflow.submit_application`.

    Raises:
        ApplicationError: the back office refuses it (Chinese message).
    """
    return str(workflow.submit_application(None, **application).number)
