"""The holder's view of the 用证记录: uses by others in full, the holder's own lookups folded.

Every lookup in the assistant records one use per certificate shown, so a holder's own
queries soon outnumber the uses that matter to them: a department or an application reading
their certificates. Those are listed; the holder's own lookups are only counted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import List, Optional

from sqlalchemy import func
from sqlalchemy.orm import Query, Session, joinedload

from govservice.certificates.models import Certificate, CertificateUse

OWN_ACTOR_TYPE = "citizen"
"""Uses recorded for the holder's own lookups (``certificates.ACTOR_TYPES``)."""


@dataclass
class UseHistory:
    """Uses of a holder's certificates by others (newest first) and a count of the holder's own."""

    others: List[CertificateUse] = field(default_factory=list)
    own_count: int = 0
    own_latest: Optional[datetime.datetime] = None


def _for_holder(session: Session, holder_id: str, holder_kind: str) -> Query:
    column = Certificate.holder_company if holder_kind == "company" else Certificate.holder_id
    return (
        session.query(CertificateUse)
        .join(Certificate, CertificateUse.certificate_id == Certificate.id)
        .filter(column == holder_id)
    )


def use_history(session: Session, holder_id: str, limit: int = 20, *, holder_kind: str = "person") -> UseHistory:
    """Return the holder's 用证记录: up to ``limit`` uses by others, and the own lookups counted.

    Args:
        session: the database session.
        holder_id: the citizen ID number (or credit code when ``holder_kind="company"``).
        limit: how many uses by others to return at most.
        holder_kind: "person" or "company".
    """
    others = (
        _for_holder(session, holder_id, holder_kind)
        .filter(CertificateUse.actor_type != OWN_ACTOR_TYPE)
        .options(joinedload(CertificateUse.certificate))
        .order_by(CertificateUse.used_at.desc(), CertificateUse.id.desc())
        .limit(limit)
        .all()
    )
    count, latest = (
        _for_holder(session, holder_id, holder_kind)
        .filter(CertificateUse.actor_type == OWN_ACTOR_TYPE)
        .with_entities(func.count(CertificateUse.id), func.max(CertificateUse.used_at))
        .one()
    )
    return UseHistory(others=others, own_count=int(count or 0), own_latest=latest)
