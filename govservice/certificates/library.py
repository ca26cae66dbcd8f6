"""The electronic certificate library (电子证照库): reads with a 用证记录 each, and issuing.

Every function that returns certificates records one :class:`CertificateUse` per certificate
returned (who read it, when and why). The audit arguments are:

* ``actor_type``: "citizen" (the holder, through the assistant), "application" (a 办件 that
  uses the certificate as a material), "officer" (a member of staff) or "system" (a service
  the holder subscribed to, e.g. expiry reminders);
* ``actor``: the channel (e.g. "智能助手"), the application number or the officer's name/ID;
* ``purpose``: why the certificate was read, in Chinese (e.g. "本人查询证照").

A holder is a person (``holder_kind="person"``, the citizen ID number) or a company
(``holder_kind="company"``, the unified social credit code). Functions never return another
holder's certificates. Functions flush but do not commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime
import uuid
from typing import List, Optional, Sequence

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import Query, Session, aliased, joinedload

from govservice.catalog.models import CertificateType, Department
from govservice.certificates.licence_ids import LICENCE_ROOT as LICENCE_ROOT
from govservice.certificates.licence_ids import is_valid_licence_identifier as is_valid_licence_identifier
from govservice.certificates.licence_ids import licence_identifier
from govservice.certificates.models import Certificate, CertificateUse
from govservice.clock import office_date, utc_now

ACTOR_TYPES = ("citizen", "application", "officer", "system")
"""Allowed values of ``CertificateUse.actor_type``."""

INACTIVE_STATUSES = ("已注销", "挂失")
"""Stored statuses that override the validity dates."""


def effective_status(cert: Certificate, today: Optional[datetime.date] = None) -> str:
    """Return the status to show: a stored 已注销/挂失 wins, then 已过期 by date, else 有效.

    Args:
        cert: the certificate.
        today: the reference date; the office's today by default.
    """
    if cert.status in INACTIVE_STATUSES:
        return str(cert.status)
    today = today or office_date()
    if cert.valid_until is not None and cert.valid_until < today:
        return "已过期"
    return "有效"


def resolve_certificate_type(session: Session, word: str, *, exact: bool = False) -> Optional[str]:
    """Map a name or colloquial alias (驾照, 户口本, 社保卡…) to a certificate type name.

    Args:
        session: the database session.
        word: what the person said.
        exact: only a whole name or alias matches; otherwise the longest name or alias contained
            in ``word`` wins ("我的驾照" → 机动车驾驶证).

    Returns:
        The certificate type name, or None when nothing matches.
    """
    text = (word or "").strip()
    if not text:
        return None
    types = session.query(CertificateType).all()
    for ctype in types:
        if text == ctype.name or text in (ctype.aliases or []):
            return str(ctype.name)
    if exact:
        return None
    candidates = [(len(w), str(t.name)) for t in types for w in [t.name, *(t.aliases or [])] if w in text]
    return max(candidates)[1] if candidates else None


def _holder_query(session: Session, holder_id: str, holder_kind: str) -> Query:
    if holder_kind == "company":
        column = Certificate.holder_company
    elif holder_kind == "person":
        column = Certificate.holder_id
    else:
        raise ValueError(f"unknown holder_kind {holder_kind!r}")
    return (
        session.query(Certificate)
        .join(CertificateType, Certificate.type_name == CertificateType.name)
        .filter(column == holder_id)
        .order_by(CertificateType.code, Certificate.issue_date.desc(), Certificate.id)
    )


def _not_superseded(query: Query) -> Query:
    """Leave out certificates replaced by a newer active one of the same type and holder.

    After 换证 the old certificate is normally marked 已注销; a replacement that arrived without
    that mark (e.g. issued at a window elsewhere) must not leave the old one looking current.
    """
    newer = aliased(Certificate)
    replaced = exists().where(
        newer.type_name == Certificate.type_name,
        or_(newer.holder_id == Certificate.holder_id, newer.holder_company == Certificate.holder_company),
        or_(
            newer.issue_date > Certificate.issue_date,
            and_(newer.issue_date == Certificate.issue_date, newer.id > Certificate.id),
        ),
        or_(newer.status.is_(None), newer.status.notin_(INACTIVE_STATUSES)),
    )
    return query.filter(~replaced)


def renewal_due(
    session: Session, certs: Sequence[Certificate], within_days: int = 60, today: Optional[datetime.date] = None
) -> List[Certificate]:
    """Return the certificates of ``certs`` that need renewing, in the given order.

    Only current certificates count: one that expires within ``within_days`` or has expired,
    and is neither cancelled, lost nor replaced by a newer active certificate of the same type
    (the old card after a renewal). 长期 certificates never need renewing. Reads no new
    certificate, so no 用证记录 is added.
    """
    today = today or office_date()
    limit = today + datetime.timedelta(days=within_days)
    candidates = [
        c for c in certs if c.valid_until is not None and c.valid_until <= limit and c.status not in INACTIVE_STATUSES
    ]
    if not candidates:
        return []
    ids = [c.id for c in candidates]
    current = {row[0] for row in _not_superseded(session.query(Certificate.id).filter(Certificate.id.in_(ids)))}
    return [c for c in candidates if c.id in current]


def _record_uses(session: Session, certs: Sequence[Certificate], actor_type: str, actor: str, purpose: str) -> None:
    if actor_type not in ACTOR_TYPES:
        raise ValueError(f"actor_type must be one of {ACTOR_TYPES}, not {actor_type!r}")
    if not (actor or "").strip() or not (purpose or "").strip():
        raise ValueError("every certificate read needs an actor and a purpose")
    now = utc_now()
    for cert in certs:
        session.add(
            CertificateUse(certificate_id=cert.id, actor_type=actor_type, actor=actor, purpose=purpose, used_at=now)
        )
    session.flush()


def list_certificates(
    session: Session,
    holder_id: str,
    actor_type: str,
    actor: str,
    purpose: str,
    today: Optional[datetime.date] = None,
    *,
    holder_kind: str = "person",
) -> List[Certificate]:
    """Return all certificates of a holder (ordered by type) and record a use for each.

    Args:
        session: the database session.
        holder_id: the citizen ID number (or credit code when ``holder_kind="company"``).
        actor_type: "citizen", "application" or "officer".
        actor: who reads (channel, application number or officer).
        purpose: why, in Chinese.
        today: unused for filtering; kept for a uniform signature.
        holder_kind: "person" or "company".
    """
    certs = _holder_query(session, holder_id, holder_kind).all()
    _record_uses(session, certs, actor_type, actor, purpose)
    return certs


def find_certificates(
    session: Session,
    holder_id: str,
    type_names: Sequence[str],
    actor_type: str,
    actor: str,
    purpose: str,
    today: Optional[datetime.date] = None,
    *,
    holder_kind: str = "person",
) -> List[Certificate]:
    """Return the holder's certificates of the given types (names or aliases); record the uses.

    Words that resolve to no type are ignored; when none resolves the result is empty.
    """
    names = {name for name in (resolve_certificate_type(session, w) for w in type_names) if name}
    if not names:
        return []
    query = _holder_query(session, holder_id, holder_kind).filter(Certificate.type_name.in_(sorted(names)))
    certs = query.all()
    _record_uses(session, certs, actor_type, actor, purpose)
    return certs


def expiring_certificates(
    session: Session,
    holder_id: str,
    within_days: int = 60,
    today: Optional[datetime.date] = None,
    *,
    actor_type: str,
    actor: str,
    purpose: str,
    holder_kind: str = "person",
    type_names: Optional[Sequence[str]] = None,
    exclude_ids: Sequence[int] = (),
) -> List[Certificate]:
    """Return the holder's current valid certificates that expire within ``within_days``, soonest first.

    A certificate expiring today is still valid and included; expired, cancelled, lost,
    replaced (see :func:`renewal_due`) or long-term (长期) certificates are not. Records a use
    for each one returned. ``type_names`` (exact names) and ``exclude_ids`` narrow the read, so a
    periodic reader (expiry reminders) records uses only for what it acts on.
    """
    today = today or office_date()
    limit = today + datetime.timedelta(days=within_days)
    query = (
        _not_superseded(_holder_query(session, holder_id, holder_kind))
        .filter(Certificate.valid_until.isnot(None))
        .filter(Certificate.valid_until >= today, Certificate.valid_until <= limit)
        .filter(or_(Certificate.status.is_(None), Certificate.status.notin_(INACTIVE_STATUSES)))
    )
    if type_names is not None:
        query = query.filter(Certificate.type_name.in_(list(type_names)))
    if exclude_ids:
        query = query.filter(Certificate.id.notin_(list(exclude_ids)))
    certs = query.order_by(None).order_by(Certificate.valid_until, Certificate.id).all()
    _record_uses(session, certs, actor_type, actor, purpose)
    return certs


def held_by_companies(session: Session, type_names: Sequence[str]) -> bool:
    """Whether companies hold certificates of any of these types (营业执照), so a person may mean their company's."""
    query = session.query(Certificate.id).filter(
        Certificate.holder_company.isnot(None), Certificate.type_name.in_(list(type_names))
    )
    return query.first() is not None


def get_certificate(
    session: Session,
    holder_id: str,
    cert_id: int,
    actor_type: str,
    actor: str,
    purpose: str,
    today: Optional[datetime.date] = None,
    *,
    holder_kind: str = "person",
) -> Optional[Certificate]:
    """Return one certificate of the holder, or None (also for another holder's certificate)."""
    cert = _holder_query(session, holder_id, holder_kind).filter(Certificate.id == cert_id).one_or_none()
    if cert is not None:
        _record_uses(session, [cert], actor_type, actor, purpose)
    return cert


def uses_for_holder(
    session: Session, holder_id: str, limit: int = 20, *, holder_kind: str = "person"
) -> List[CertificateUse]:
    """Return the 用证记录 of the holder's certificates, newest first (certificate loaded)."""
    column = Certificate.holder_company if holder_kind == "company" else Certificate.holder_id
    return (
        session.query(CertificateUse)
        .join(Certificate, CertificateUse.certificate_id == Certificate.id)
        .options(joinedload(CertificateUse.certificate))
        .filter(column == holder_id)
        .order_by(CertificateUse.used_at.desc(), CertificateUse.id.desc())
        .limit(limit)
        .all()
    )


def issue_certificate(
    session: Session,
    holder_id: Optional[str],
    type_name: str,
    number: str,
    issuer_department_code: Optional[str] = None,
    valid_years: Optional[int] = None,
    attributes: Optional[dict] = None,
    today: Optional[datetime.date] = None,
    *,
    holder_company: Optional[str] = None,
) -> Certificate:
    """Issue a certificate into the library (used when an application is approved).

    Args:
        session: the database session.
        holder_id: the person's ID number (None for a company certificate).
        type_name: a certificate type name or alias.
        number: the certificate number.
        issuer_department_code: the issuing department; the type's issuer by default.
        valid_years: years of validity from ``today``; None for 长期.
        attributes: extra fields shown in the detail view (Chinese labels).
        today: the issue date; the office's today by default.
        holder_company: the company's credit code for company certificates.

    Returns:
        The new certificate, flushed, with its licence identifier.

    Raises:
        ValueError: unknown type or department, or no holder.
    """
    if not holder_id and not holder_company:
        raise ValueError("a certificate needs a holder")
    resolved = resolve_certificate_type(session, type_name, exact=True)
    ctype = session.get(CertificateType, resolved) if resolved else None
    if ctype is None:
        raise ValueError(f"unknown certificate type {type_name!r}")
    dept = session.get(Department, issuer_department_code or ctype.issuer_department)
    if dept is None:
        raise ValueError(f"unknown issuing department for {type_name!r}")
    today = today or office_date()
    until = None
    if valid_years is not None:
        try:
            until = today.replace(year=today.year + valid_years)
        except ValueError:  # 29 February
            until = today.replace(year=today.year + valid_years, day=28)
    cert = Certificate(
        type_name=ctype.name,
        holder_id=holder_id,
        holder_company=holder_company,
        number=number,
        issuer=dept.name,
        issue_date=today,
        valid_from=today,
        valid_until=until,
        status="有效",
        licence_id=f"pending-{uuid.uuid4().hex}",
        attributes=dict(attributes or {}),
    )
    session.add(cert)
    session.flush()
    serial = f"{today:%Y%m%d}{cert.id:08d}"
    cert.licence_id = licence_identifier(ctype.code, dept.credit_code or "", serial)
    session.flush()
    return cert
