"""The audit log: who changed what, for the staff console. Rows are appended, never changed."""

from __future__ import annotations

import datetime
from typing import List, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text
from sqlalchemy.orm import Session

from govservice.clock import stored, utc_now
from govservice.orm import Base


def _now() -> datetime.datetime:
    return utc_now()


class AuditLog(Base):
    """Who did what to which record, for the console's audit view; never edited or deleted."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=_now, index=True)
    actor = Column(String(60), nullable=False, index=True)
    action = Column(String(40), nullable=False)
    target_type = Column(String(40), nullable=False)  # faq_entry / unanswered / ...
    target_id = Column(String(80), nullable=False)
    detail = Column(Text, nullable=False, default="")  # a Chinese one-line summary




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
