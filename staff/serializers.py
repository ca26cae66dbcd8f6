"""JSON shapes of the staff API (documented in ``docs/openapi.yml``).

Lists mask the applicant's ID number; the detail of one application shows it in full because
the officer handling it has to verify the applicant, and only officers of the application's
department can read it.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Iterable, Optional

from sqlalchemy.orm import Session

from govservice.applications.models import Application, ApplicationMaterial, FollowUp, StatusChange
from govservice.applications.queries import next_step_text
from govservice.applications.states import StatusEvent
from govservice.certificates.models import Certificate
from govservice.clock import office_iso
from govservice.identity.masking import mask_id_number, mask_phone
from govservice.identity.models import Person
from govservice.notifications.outbox import notifications_for_application

FOLLOW_UP_LABELS = {"open": "待处理", "closed": "已办结"}


def iso(value: Optional[datetime.date]) -> Optional[str]:
    """ISO 8601 text of a date, or of a time in the office's zone with its offset (``…T08:05:00+08:00``), or None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return office_iso(value)
    return value.isoformat()


def applicant_names(session: Session, apps: Iterable[Application]) -> Dict[str, str]:
    """The applicants' names by ID number, in one query."""
    ids = {str(app.person_id) for app in apps}
    if not ids:
        return {}
    return {str(p.id_number): str(p.name) for p in session.query(Person).filter(Person.id_number.in_(ids))}


def application_summary(app: Application, applicant_name: str) -> Dict[str, Any]:
    """One row of the work queue."""
    return {
        "number": app.number,
        "item_key": app.item_key,
        "item_name": app.item_name,
        "department_code": app.department_code,
        "status": app.status,
        "status_reason": app.status_reason,
        "next_step": next_step_text(app),
        "applicant_name": applicant_name,
        "applicant_id_masked": mask_id_number(str(app.person_id)),
        "company_code": app.company_code,
        "channel": app.channel,
        "bundle_id": app.bundle_id,
        "submission_round": app.submission_round,
        "submitted_at": iso(app.created_at),
        "updated_at": iso(app.updated_at),
    }


def _material(session: Session, row: ApplicationMaterial) -> Dict[str, Any]:
    certificate = session.get(Certificate, row.certificate_id) if row.certificate_id else None
    attachment = row.attachment
    return {
        "material_name": row.material_name,
        "source": row.source,
        "submission_round": row.submission_round,
        "certificate": None
        if certificate is None
        else {
            "id": certificate.id,
            "type_name": certificate.type_name,
            "licence_id": certificate.licence_id,
            "use_id": row.certificate_use_id,
            "authorized_at": iso(row.authorized_at),
        },
        "attachment": None
        if attachment is None
        else {
            "id": attachment.id,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
        "commitment_text": row.commitment_text,
    }


def _change(change: StatusChange) -> Dict[str, Any]:
    actor = mask_id_number(str(change.actor)) if change.actor_type == "citizen" else change.actor
    return {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "actor_type": change.actor_type,
        "actor": actor,
        "reason": change.reason,
        "at": iso(change.at),
    }


def application_detail(session: Session, app: Application) -> Dict[str, Any]:
    """Everything an officer needs to handle one application."""
    person = session.get(Person, app.person_id)
    detail = application_summary(app, str(person.name) if person else "")
    detail["applicant"] = {
        "name": person.name if person else None,
        "id_number": app.person_id,
        "phone_masked": mask_phone(str(person.phone)) if person else None,
    }
    detail["form_data"] = app.form_data or {}
    detail["materials"] = [_material(session, row) for row in app.materials]
    detail["history"] = [_change(change) for change in app.changes]
    detail["notifications"] = [
        {
            "application_status": n.application_status,
            "delivery_status": n.status,
            "attempts": n.attempts,
            "created_at": iso(n.created_at),
            "delivered_at": iso(n.delivered_at),
        }
        for n in notifications_for_application(session, str(app.number))
    ]
    return detail


def event_json(event: StatusEvent) -> Dict[str, Any]:
    """The status change just made, with the text sent to the citizen."""
    return {
        "number": event.number,
        "status": event.status,
        "reason": event.reason,
        "at": iso(event.at),
        "next_step": event.next_step,
        "notification_text": event.text,
    }


def followup_json(follow_up: FollowUp, today: datetime.date) -> Dict[str, Any]:
    """One 差评 follow-up item of the department."""
    rating, app = follow_up.rating, follow_up.application
    return {
        "id": follow_up.id,
        "application_number": app.number,
        "item_name": app.item_name,
        "rating_level": rating.level,
        "rating_comment": rating.comment,
        "rated_at": iso(rating.at),
        "note": follow_up.note,
        "deadline": iso(follow_up.deadline),
        "overdue": follow_up.status == "open" and follow_up.deadline < today,
        "status": follow_up.status,
        "status_label": FOLLOW_UP_LABELS.get(str(follow_up.status), str(follow_up.status)),
        "created_at": iso(follow_up.created_at),
        "closed_at": iso(follow_up.closed_at),
    }
