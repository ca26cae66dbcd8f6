"""The audit log: who changed what, for the staff console. Rows are appended, never changed."""

from __future__ import annotations

import datetime
from typing import List, Optional

from sqlalchemy.orm import Session

from govservice.clock import stored
from govservice.faq_models import AuditLog


def record_audit(
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: object,
    detail: str = "",
    now: Optional[datetime.datetime] = None,
) -> AuditLog:
    """Append one audit row; the console uses it too (logins, role changes)."""
    row = AuditLog(
        at=stored(now),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail,
    )
    session.add(row)
    return row


def list_audit(
    session: Session,
    *,
    actor: Optional[str] = None,
    target_type: Optional[str] = None,
    target_id: Optional[object] = None,
    limit: int = 200,
) -> List[AuditLog]:
    """Audit rows, newest first, optionally for one actor or one record."""
    rows = session.query(AuditLog)
    if actor:
        rows = rows.filter(AuditLog.actor == actor)
    if target_type:
        rows = rows.filter(AuditLog.target_type == target_type)
    if target_id is not None:
        rows = rows.filter(AuditLog.target_id == str(target_id))
    return rows.order_by(AuditLog.id.desc()).limit(limit).all()
