"""Life events (一件事): one request, several linked applications in several departments.

"新生儿出生" combines 出生登记 (公安), 城乡居民医保参保登记 (医保) and 社会保障卡申领 (人社).
The newborn's 出生医学证明 is the shared key material: it must be in the parent's certificate
library (matched by its number) or be uploaded. The applications share one ``bundle_id`` and
are created in ONE transaction, idempotently by key.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence

from sqlalchemy.orm import Session

from govservice.application_materials import MaterialSpec
from govservice.application_models import Application, ApplicationError
from govservice.application_store import Target, create_application, run_idempotent
from govservice.certificates import effective_status, find_certificates
from govservice.clock import office_date, stored
from govservice.materials_check import HELD, UPLOAD, MaterialStatus, fit_message
from govservice.models import Certificate, Person, ServiceItem

NEWBORN_EVENT = "新生儿出生"
NEWBORN_CHECK_ITEM = "birth_medical_certificate"
"""The 出生医学证明 is issued by this item; the bundle only checks that the certificate exists."""
NEWBORN_ITEMS = ("birth_registration", "medical_insurance_enrol", "social_security_card")
"""The items applied for together, each in its own department."""
BIRTH_CERTIFICATE = "出生医学证明"
NEWBORN_FIELDS: Dict[str, str] = {
    "child_name": "新生儿姓名",
    "child_gender": "新生儿性别",
    "birth_date": "出生日期",
    "birth_certificate_number": "出生医学证明编号",
    "guardian": "监护人姓名",
}
"""The fields shared by all applications of the bundle, with their Chinese labels."""
GUARDIAN_WORDS = ("父母", "监护人", "落户方")
"""A material naming these is the parent's own certificate; other certificate materials are the newborn's."""
_CERT_NUMBER = re.compile(r"^[A-Z0-9]{6,20}$")


def newborn_shared_fields(data: Mapping[str, Any], today: Optional[datetime.date] = None) -> Dict[str, str]:
    """Validate and normalize the shared fields of the newborn bundle.

    Args:
        data: child_name, child_gender (男/女), birth_date (YYYY-MM-DD), birth_certificate_number
            and guardian; other keys are ignored.
        today: the reference date; the birth date may not be later.

    Returns:
        The five fields as strings.

    Raises:
        ApplicationError: a missing or invalid field, named in Chinese.
    """
    fields = {key: str(data.get(key) or "").strip() for key in NEWBORN_FIELDS}
    missing = [label for key, label in NEWBORN_FIELDS.items() if not fields[key]]
    if missing:
        raise ApplicationError("请补充以下信息：" + "、".join(missing))
    if fields["child_gender"] not in ("男", "女"):
        raise ApplicationError("新生儿性别请填写“男”或“女”")
    try:
        born = datetime.date.fromisoformat(fields["birth_date"])
    except ValueError:
        raise ApplicationError("出生日期格式应为YYYY-MM-DD，例如2026-01-05") from None
    if born > (today or office_date()):
        raise ApplicationError("出生日期不能晚于今天")
    fields["birth_certificate_number"] = fields["birth_certificate_number"].upper()
    if not _CERT_NUMBER.match(fields["birth_certificate_number"]):
        raise ApplicationError("出生医学证明编号应为6至20位字母或数字")
    if len(fields["child_name"]) > 20 or len(fields["guardian"]) > 20:
        raise ApplicationError("姓名过长，请核对")
    return fields


def _library(
    session: Session, person_id: str, types: Sequence[str], today: datetime.date, actor: str
) -> Dict[str, List[Certificate]]:
    """The parent's valid certificates of ``types`` (one 用证记录 per certificate read)."""
    purpose = f"{NEWBORN_EVENT}一件事：材料核验"
    certs = find_certificates(session, person_id, list(types), "citizen", actor, purpose, today)
    valid: Dict[str, List[Certificate]] = {}
    for cert in certs:
        if effective_status(cert, today) == "有效":
            valid.setdefault(str(cert.type_name), []).append(cert)
    return valid


def _birth_status(library: Dict[str, List[Certificate]], number: str) -> MaterialStatus:
    cert = next((c for c in library.get(BIRTH_CERTIFICATE, []) if str(c.number).upper() == number), None)
    return MaterialStatus(
        material_id=0,
        name=BIRTH_CERTIFICATE,
        status=HELD if cert is not None else UPLOAD,
        certificate_type=BIRTH_CERTIFICATE,
        certificate_id=int(cert.id) if cert is not None else None,
    )


def check_newborn(
    session: Session,
    person_id: str,
    birth_certificate_number: str,
    today: Optional[datetime.date] = None,
    *,
    actor: str = "智能助手",
) -> MaterialStatus:
    """Check whether the newborn's 出生医学证明 is in the parent's library ("held") or must be uploaded."""
    today = today or office_date()
    library = _library(session, person_id, [BIRTH_CERTIFICATE], today, actor)
    return _birth_status(library, (birth_certificate_number or "").strip().upper())


def _materials(item: ServiceItem, library: Dict[str, List[Certificate]], birth: MaterialSpec) -> List[MaterialSpec]:
    """The bundle's materials for one item: the birth certificate and the parent's own certificates."""
    specs: List[MaterialSpec] = []
    for material in sorted(item.materials, key=lambda m: m.position):
        ctype = material.certificate_type
        if ctype == BIRTH_CERTIFICATE:
            specs.append((int(material.id), birth[1], birth[2]))
        elif ctype and any(word in material.name for word in GUARDIAN_WORDS) and library.get(ctype):
            specs.append((int(material.id), "certificate", int(library[ctype][0].id)))
    return specs


def submit_newborn_bundle(
    target: Target,
    *,
    idempotency_key: str,
    person_id: str,
    channel: str,
    sender: str,
    shared_data: Mapping[str, Any],
    now: Optional[datetime.datetime] = None,
    birth_certificate_attachment_id: Optional[str] = None,
) -> List[Application]:
    """Apply for all :data:`NEWBORN_ITEMS` at once: linked applications in ONE transaction.

    Args:
        target: a database URL (None: the configured one) or a session factory.
        idempotency_key: a retry with the same key returns the same applications.
        person_id: the parent (applicant); the applications are made on behalf of the newborn.
        channel: the channel to notify on.
        sender: the sender id on that channel.
        shared_data: see :func:`newborn_shared_fields`; guardian defaults to the applicant's name.
        now: the submission time; now (UTC, as stored) by default.
        birth_certificate_attachment_id: the uploaded 出生医学证明, when the parent's library
            does not hold it.

    Returns:
        The applications, in the order of :data:`NEWBORN_ITEMS`, sharing one ``bundle_id``.

    Raises:
        ApplicationError: invalid shared data, or no 出生医学证明 in the library and none uploaded.
    """
    moment = stored(now)
    keys = [f"{idempotency_key}#{key}" for key in NEWBORN_ITEMS]

    def create(session: Session) -> List[Application]:
        person = session.get(Person, person_id)
        if person is None:
            raise ApplicationError("未找到申请人信息，请先登录")
        fields = newborn_shared_fields({"guardian": person.name, **dict(shared_data)}, office_date(moment))
        library = _library(
            session, person_id, [BIRTH_CERTIFICATE, "居民身份证", "居民户口簿", "结婚证"], office_date(moment), channel
        )
        birth = _birth_status(library, fields["birth_certificate_number"])
        if birth.status == HELD:
            spec: MaterialSpec = (0, "certificate", birth.certificate_id)
        elif birth_certificate_attachment_id:
            spec = (0, "upload", birth_certificate_attachment_id)
        else:
            raise ApplicationError(
                "未在您的电子证照库中找到该新生儿的出生医学证明，请先上传出生医学证明（可向出生医院申请首次签发）"
            )
        bundle_id = f"NB{office_date(moment):%Y%m%d}{uuid.uuid4().hex[:12]}"
        form = {**fields, "life_event": NEWBORN_EVENT, "on_behalf_of": fields["child_name"]}
        apps = []
        for item_key, key in zip(NEWBORN_ITEMS, keys, strict=True):
            item = session.get(ServiceItem, item_key)
            if item is None:
                raise ApplicationError(f"事项{item_key}暂未开通，无法联办")
            apps.append(
                create_application(
                    session,
                    idempotency_key=key,
                    item_key=item_key,
                    person_id=person_id,
                    company_code=None,
                    channel=channel,
                    sender=sender,
                    form_data=form,
                    materials=_materials(item, library, spec),
                    bundle_id=bundle_id,
                    now=moment,
                )
            )
        return apps

    return run_idempotent(target, keys, create)


def render_newborn_plan(session: Session, birth: MaterialStatus) -> str:
    """The Chinese overview shown before confirming: the linked items and the birth certificate status."""
    lines = [f"“{NEWBORN_EVENT}一件事”将一次提交、同时办理以下{len(NEWBORN_ITEMS)}个事项："]
    for index, key in enumerate(NEWBORN_ITEMS, start=1):
        item = session.get(ServiceItem, key)
        if item is not None:
            lines.append(f"{index}. {item.name}（{item.department.name}）")
    if birth.status == HELD:
        lines.append("出生医学证明：✅ 已在您的电子证照库中，免提交")
    else:
        lines.append("出生医学证明：📎 未在电子证照库中找到，请上传出生医学证明照片或扫描件")
    lines.append("需填写一次：" + "、".join(NEWBORN_FIELDS.values()))
    return fit_message(lines)


def bundle_summary(apps: Sequence[Application]) -> str:
    """The Chinese confirmation after submission: one line per linked application."""
    lines = [f"已提交“{NEWBORN_EVENT}一件事”，共{len(apps)}件办件，各部门将分别受理："]
    lines += [f"{i}. {app.item_name}｜{app.number}" for i, app in enumerate(apps, start=1)]
    return fit_message(lines)


def bundle_applications(session: Session, bundle_id: str) -> List[Application]:
    """The applications of one bundle, in creation order."""
    return session.query(Application).filter(Application.bundle_id == bundle_id).order_by(Application.id).all()


def newborn_prefill(session: Session, person_id: str, today: Optional[datetime.date] = None) -> Dict[str, str]:
    """Shared fields known from the parent's newest valid 出生医学证明 (empty without one)."""
    today = today or office_date()
    certs = [
        c
        for c in find_certificates(
            session, person_id, [BIRTH_CERTIFICATE], "citizen", "智能助手", "新生儿出生一件事：调取出生医学证明", today
        )
        if effective_status(c, today) == "有效"
    ]
    if not certs:
        return {}
    cert = max(certs, key=lambda c: c.issue_date)
    attributes = dict(cert.attributes or {})
    found = {
        "child_name": attributes.get("新生儿姓名", ""),
        "child_gender": attributes.get("新生儿性别", ""),
        "birth_date": cert.issue_date.isoformat(),
        "birth_certificate_number": cert.number,
    }
    return {key: str(value) for key, value in found.items() if value}
