"""Life events (一件事): one request, several linked applications in several departments.

"新生儿出生" combines 出生登记 (公安), 城乡居民医保参保登记 (医保) and 社会保障卡申领 (人社).
The materials are checked per parent (:mod:`govservice.applications.newborn_materials`): the newborn's
出生医学证明 and the applying parent's own certificates come from their library, the other
parent's are uploaded, and 非婚生育 replaces the 结婚证 by a signed statement. The applications
share one ``bundle_id`` and are created in ONE transaction, idempotently by key.

The 出生医学证明 number is kept raw only here, in the back office (the applications' form data);
conversations hold the certificate's id and a masked copy.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from govservice.applications.materials import MaterialSpec
from govservice.applications.materials_check import fit_message, is_form_material
from govservice.applications.models import Application
from govservice.applications.newborn_materials import (
    BIRTH_CERTIFICATE,
    FATHER,
    HELD,
    MARRIAGE_CHOICES,
    PARENT_TYPES,
    SETTLE_CHOICES,
    STATEMENT,
    Need,
    materials_for,
    newborn_needs,
    role_of,
    statement_text,
)
from govservice.applications.newborn_materials import NEWBORN_ITEMS as NEWBORN_ITEMS
from govservice.applications.states import ApplicationError
from govservice.applications.store import Target, create_application, run_idempotent
from govservice.catalog import lexicon
from govservice.catalog.models import ServiceItem
from govservice.certificates.library import effective_status, find_certificates
from govservice.certificates.models import Certificate
from govservice.clock import office_date, stored
from govservice.identity.id_numbers import gender
from govservice.identity.masking import mask_certificate_number
from govservice.identity.models import Person

NEWBORN_EVENT = "新生儿出生"
NEWBORN_CHECK_ITEM = "birth_medical_certificate"
"""The 出生医学证明 is issued by this item; the bundle only checks that the certificate exists."""
NEWBORN_FIELDS: Dict[str, str] = {
    "child_name": "新生儿姓名",
    "child_gender": "新生儿性别",
    "birth_date": "出生日期",
    "birth_certificate_number": "出生医学证明编号",
    "father_name": "父亲姓名",
    "mother_name": "母亲姓名",
    "marriage": "父母婚姻状况",
    "settle_with": "落户方式",
    "guardian": "监护人姓名",
}
"""The fields shared by all applications of the bundle, with their Chinese labels."""
SIGNED = "signed"
"""What ``provided["statement"]`` holds once the applicant has signed the 《非婚生育说明》."""
_CERT_NUMBER = re.compile(r"^[A-Z0-9]{6,20}$")


def newborn_shared_fields(data: Mapping[str, Any], today: Optional[datetime.date] = None) -> Dict[str, str]:
    """Validate and normalize the shared fields of the newborn bundle.

    Args:
        data: the keys of :data:`NEWBORN_FIELDS` (child_gender 男/女, birth_date YYYY-MM-DD,
            marriage 已登记结婚/非婚生育, settle_with 随父/随母); other keys are ignored.
        today: the reference date; the birth date may not be later.

    Returns:
        The fields as strings.

    Raises:
        ApplicationError: a missing or invalid field, named in Chinese.
    """
    fields = {key: str(data.get(key) or "").strip() for key in NEWBORN_FIELDS}
    missing = [label for key, label in NEWBORN_FIELDS.items() if not fields[key]]
    if missing:
        raise ApplicationError("请补充以下信息：" + "、".join(missing))
    if fields["child_gender"] not in lexicon.groups("choices")["child_gender"]:
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
    if fields["marriage"] not in MARRIAGE_CHOICES:
        raise ApplicationError("父母婚姻状况请填写：" + " 或 ".join(MARRIAGE_CHOICES))
    if fields["settle_with"] not in SETTLE_CHOICES:
        raise ApplicationError("落户方式请填写：" + " 或 ".join(SETTLE_CHOICES))
    names = ("child_name", "father_name", "mother_name", "guardian")
    if any(len(fields[key]) > 20 for key in names):
        raise ApplicationError("姓名过长，请核对")
    return fields


def _library(session: Session, person_id: str, today: datetime.date, actor: str) -> Dict[str, List[Certificate]]:
    """The parent's valid certificates the bundle uses, newest first (one 用证记录 per certificate read)."""
    purpose = f"{NEWBORN_EVENT}一件事：材料核验"
    types = [BIRTH_CERTIFICATE, *PARENT_TYPES]
    valid: Dict[str, List[Certificate]] = {}
    for cert in find_certificates(session, person_id, types, "citizen", actor, purpose, today):
        if effective_status(cert, today) == "有效":
            valid.setdefault(str(cert.type_name), []).append(cert)
    for certs in valid.values():
        certs.sort(key=lambda c: (c.issue_date, c.id), reverse=True)
    return valid


def _held(library: Mapping[str, List[Certificate]], birth: Optional[Certificate]) -> Dict[str, Optional[int]]:
    held: Dict[str, Optional[int]] = {t: int(library[t][0].id) if library.get(t) else None for t in PARENT_TYPES}
    held[BIRTH_CERTIFICATE] = int(birth.id) if birth is not None else None
    return held


def _birth(library: Mapping[str, List[Certificate]], *, number: str = "", cert_id: Any = None) -> Optional[Certificate]:
    for cert in library.get(BIRTH_CERTIFICATE, []):
        if (cert_id is not None and str(cert.id) == str(cert_id)) or (number and str(cert.number).upper() == number):
            return cert
    return None


@dataclass
class NewbornStart:
    """What the conversation starts from: the applicant's role, what they hold, what is known."""

    role: str
    applicant: str
    held: Dict[str, Optional[int]]
    data: Dict[str, str] = field(default_factory=dict)
    birth_certificate_id: Optional[int] = None
    birth_masked: str = ""

    @property
    def needs(self) -> List[Need]:
        """The materials as far as the choices made so far decide them."""
        return newborn_needs(self.role, self.held, self.data)


def name_field(role: str) -> str:
    """father_name for 父亲, mother_name for 母亲."""
    return "father_name" if role == FATHER else "mother_name"


def _applicant(session: Session, person_id: str) -> Tuple[Person, str]:
    person = session.get(Person, person_id)
    if person is None:
        raise ApplicationError("未找到申请人信息，请先登录")
    return person, role_of(person.gender or gender(person_id))


def start_newborn(
    session: Session, person_id: str, today: Optional[datetime.date] = None, *, actor: str = "智能助手"
) -> NewbornStart:
    """Read the applicant's library once: their role, the certificates held, and the newest 出生医学证明.

    The shared data known from the 出生医学证明 and the applicant (names) is prefilled; the
    certificate's number is only masked here.
    """
    today = today or office_date()
    person, role = _applicant(session, person_id)
    library = _library(session, person_id, today, actor)
    births = library.get(BIRTH_CERTIFICATE, [])
    birth = births[0] if births else None
    data = {name_field(role): str(person.name)}
    if birth is not None:
        attributes = dict(birth.attributes or {})
        found = {
            "child_name": attributes.get("新生儿姓名", ""),
            "child_gender": attributes.get("新生儿性别", ""),
            "birth_date": birth.issue_date.isoformat(),
            "father_name": attributes.get("父亲姓名", ""),
            "mother_name": attributes.get("母亲姓名", ""),
        }
        data.update({key: str(value) for key, value in found.items() if value and key not in data})
    return NewbornStart(
        role=role,
        applicant=str(person.name),
        held=_held(library, birth),
        data=data,
        birth_certificate_id=int(birth.id) if birth is not None else None,
        birth_masked=mask_certificate_number(str(birth.number)) if birth is not None else "",
    )


def _specs(needs: Sequence[Need], provided: Mapping[str, str], statement: str) -> Dict[str, Tuple[str, Any]]:
    """Need key → (source, ref) of the material that provides it; every need must be met."""
    specs: Dict[str, Tuple[str, Any]] = {}
    missing = []
    for need in needs:
        if need.status == HELD:
            specs[need.key] = ("certificate", need.certificate_id)
        elif need.status == STATEMENT and provided.get(need.key) == SIGNED:
            specs[need.key] = ("commitment", statement)
        elif need.status not in (HELD, STATEMENT) and provided.get(need.key):
            specs[need.key] = ("upload", provided[need.key])
        else:
            missing.append(need)
    if any(need.key == "birth" for need in missing):
        raise ApplicationError(
            "未在您的电子证照库中找到该新生儿的出生医学证明，请先上传出生医学证明（可向出生医院申请首次签发）"
        )
    if missing:
        raise ApplicationError("还缺少以下材料：" + "、".join(need.label for need in missing))
    return specs


def _item_materials(
    item: ServiceItem, needs: Sequence[Need], specs: Mapping[str, Tuple[str, Any]]
) -> List[MaterialSpec]:
    found = materials_for(item, needs)
    materials: List[MaterialSpec] = [
        (int(m.id), specs[need.key][0], specs[need.key][1]) for need in needs for m in found[need.key]
    ]
    materials += [(int(m.id), "form", None) for m in item.materials if is_form_material(str(m.name))]
    return materials


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
    provided: Optional[Mapping[str, str]] = None,
) -> List[Application]:
    """Apply for all :data:`NEWBORN_ITEMS` at once: linked applications in ONE transaction.

    Args:
        target: a database URL (None: the configured one) or a session factory.
        idempotency_key: a retry with the same key returns the same applications.
        person_id: the applying parent; the applications are made on behalf of the newborn.
        channel: the channel to notify on.
        sender: the sender id on that channel.
        shared_data: see :func:`newborn_shared_fields`; the applicant's own name and the guardian
            default to the applicant's. Instead of ``birth_certificate_number`` a conversation
            passes ``birth_certificate_id``, a certificate of the applicant's library.
        now: the submission time; now (UTC, as stored) by default.
        birth_certificate_attachment_id: the uploaded 出生医学证明, when the library does not hold it.
        provided: need key (see :func:`newborn_materials.newborn_needs`) → attachment id of an
            upload, or :data:`SIGNED` for the signed 《非婚生育说明》.

    Returns:
        The applications, in the order of :data:`NEWBORN_ITEMS`, sharing one ``bundle_id``.

    Raises:
        ApplicationError: invalid shared data, or a material neither held nor provided.
    """
    moment = stored(now)
    keys = [f"{idempotency_key}#{key}" for key in NEWBORN_ITEMS]
    given = dict(provided or {})
    if birth_certificate_attachment_id:
        given["birth"] = birth_certificate_attachment_id

    def create(session: Session) -> List[Application]:
        person, role = _applicant(session, person_id)
        data = {name_field(role): str(person.name), "guardian": str(person.name), **dict(shared_data)}
        library = _library(session, person_id, office_date(moment), channel)
        birth = _birth(library, cert_id=data.get("birth_certificate_id"))
        if birth is not None:
            data["birth_certificate_number"] = str(birth.number)
        fields = newborn_shared_fields(data, office_date(moment))
        birth = birth or _birth(library, number=fields["birth_certificate_number"])
        needs = newborn_needs(role, _held(library, birth), fields)
        specs = _specs(needs, given, statement_text(str(person.name), fields, role))
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
                    materials=_item_materials(item, needs, specs),
                    bundle_id=bundle_id,
                    now=moment,
                )
            )
        return apps

    return run_idempotent(target, keys, create)


def bundle_summary(apps: Sequence[Application]) -> str:
    """The Chinese confirmation after submission: one line per linked application."""
    lines = [f"已提交“{NEWBORN_EVENT}一件事”，共{len(apps)}件办件，各部门将分别受理："]
    lines += [f"{i}. {app.item_name}｜{app.number}" for i, app in enumerate(apps, start=1)]
    return fit_message(lines)


def bundle_applications(session: Session, bundle_id: str) -> List[Application]:
    """The applications of one bundle, in creation order."""
    return session.query(Application).filter(Application.bundle_id == bundle_id).order_by(Application.id).all()
