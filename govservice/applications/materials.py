"""Materials of an application: check what the citizen provides, then attach it.

A material comes from the certificate library (用证, with its 用证记录), an upload, a 告知承诺
or the online application form. Used by :mod:`govservice.applications.store` on submission and
by :mod:`govservice.applications.workflow` on resubmission; the caller owns the transaction.
"""

from __future__ import annotations

import datetime
from typing import Any, List, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from govservice.applications.materials_check import is_form_material
from govservice.applications.models import Application, ApplicationMaterial, Attachment
from govservice.applications.states import ApplicationError
from govservice.catalog.models import Material, ServiceItem
from govservice.certificates.library import effective_status, get_certificate
from govservice.certificates.models import Certificate, CertificateUse

MaterialSpec = Tuple[int, str, Any]
"""``(material_id, source, ref)``: ref is a certificate id, an attachment id, None for an online
form, and for a commitment None (the standard 告知承诺 text) or the text the applicant signed."""

COMMITMENT_TEXT = "本人承诺已具备「{material}」所证明的条件，所述情况真实，如有不实愿承担相应法律责任。"
"""The 告知承诺 text recorded for a material provided by commitment."""


def resolve_materials(
    session: Session,
    item: ServiceItem,
    app_person: str,
    company: Optional[str],
    specs: Sequence[MaterialSpec],
    today: Optional[datetime.date] = None,
) -> List[Tuple[Material, str, Any]]:
    """Validate ``(material_id, source, ref)`` specs without writing and load what they refer to.

    Raises:
        ApplicationError: a material of another item, another holder's or an invalid
            certificate, a missing upload, or a commitment where none is allowed.
    """
    by_id = {int(m.id): m for m in item.materials}
    resolved: List[Tuple[Material, str, Any]] = []
    for material_id, source, ref in specs:
        material = by_id.get(int(material_id))
        if material is None:
            raise ApplicationError(f"材料{material_id}不属于事项「{item.name}」")
        obj: Any = None
        if source == "certificate":
            obj = session.get(Certificate, int(ref)) if ref is not None else None
            owned = obj is not None and (obj.holder_id == app_person or (company and obj.holder_company == company))
            if not owned or obj.type_name != material.certificate_type:
                raise ApplicationError(f"「{material.name}」所选电子证照无效，请重新选择")
            status = effective_status(obj, today)
            if status != "有效":
                raise ApplicationError(f"您的{obj.type_name}状态为「{status}」，不能作为申请材料，请先办理换证或补领")
        elif source == "upload":
            obj = session.get(Attachment, str(ref)) if ref else None
            if obj is None or obj.uploaded_by != app_person:
                raise ApplicationError(f"未找到「{material.name}」的上传文件，请重新上传")
        elif source == "commitment":
            if not material.commitment_allowed:
                raise ApplicationError(f"「{material.name}」不支持告知承诺，请上传材料")
            obj = str(ref) if ref else None
        elif source == "form":
            if not is_form_material(str(material.name)):
                raise ApplicationError(f"「{material.name}」不是申请表，请上传材料")
        else:
            raise ApplicationError(f"未知的材料来源：{source}")
        resolved.append((material, source, obj))
    return resolved


def add_materials(
    session: Session, app: Application, resolved: Sequence[Tuple[Material, str, Any]], now: datetime.datetime
) -> None:
    """Attach resolved materials to ``app``; a certificate gets its 用证记录 and 用证授权."""
    for material, source, obj in resolved:
        row = ApplicationMaterial(
            application_id=app.id,
            material_id=material.id,
            material_name=material.name,
            source=source,
            submission_round=app.submission_round,
            created_at=now,
        )
        if source == "certificate":
            own = obj.holder_id == app.person_id
            kind, holder = ("person", app.person_id) if own else ("company", app.company_code)
            purpose = f"办件{app.number}调用作为申请材料"
            get_certificate(session, holder, obj.id, "application", app.number, purpose, holder_kind=kind)
            use = (
                session.query(CertificateUse)
                .filter(CertificateUse.certificate_id == obj.id, CertificateUse.actor == app.number)
                .order_by(CertificateUse.id.desc())
                .first()
            )
            row.certificate_id, row.certificate_use_id = obj.id, use.id if use else None
            row.authorized_by, row.authorized_at = app.person_id, now
        elif source == "upload":
            row.attachment_id = obj.id
        elif source == "commitment":
            row.commitment_text = obj or COMMITMENT_TEXT.format(material=material.name)
        session.add(row)
    session.flush()
