"""Materials check (材料核验): which materials of an item the citizen's certificate library covers.

For each material of an item the citizen learns whether it is already covered by a valid
electronic certificate (免提交), covered by an expired one (renew first), can be replaced by a
告知承诺, or has to be uploaded. Reading the library records a 用证记录 per certificate read.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy.orm import Session

from govservice import settings
from govservice.applications.models import Attachment
from govservice.applications.states import ApplicationError
from govservice.catalog import lexicon
from govservice.catalog.guide import MAX_MESSAGE_BYTES
from govservice.catalog.models import Material, ServiceItem
from govservice.certificates.library import effective_status, find_certificates
from govservice.certificates.models import Certificate
from govservice.clock import office_date, stored
from govservice.identity.ids import opaque_id
from govservice.settings.secrets import write_private

HELD = "held"
EXPIRED = "expired"
UPLOAD = "upload"
COMMITMENT = "commitment"
FORM = "form"
"""An application form (申请表/登记表) that the online application fills in: nothing to hand in."""
_FORM_NAME = re.compile(r"《[^》]*(申请|登记|申领|申报)[^》]*表》")


MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Largest accepted upload."""

UPLOAD_SIGNATURES = {
    "application/pdf": b"%PDF",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG",
    "application/ofd": b"PK",
}
"""Accepted upload types and the leading bytes their content must start with."""


@dataclass
class MaterialStatus:
    """The outcome of the check for one material."""

    material_id: int
    name: str
    status: str  # held / expired / upload / commitment
    certificate_type: Optional[str] = None
    certificate_id: Optional[int] = None
    renewal_item_key: Optional[str] = None
    renewal_item_name: Optional[str] = None

    @property
    def tag(self) -> str:
        """The Chinese status tag shown in the chat."""
        if self.status == HELD:
            return "✅ 免提交（已有电子证照）"
        if self.status == EXPIRED:
            advice = f"，建议先办理{self.renewal_item_name}" if self.renewal_item_name else "，请先办理换证"
            return f"⚠️ 已过期{advice}"
        if self.status == COMMITMENT:
            return "✍️ 可告知承诺"
        if self.status == FORM:
            return "📝 在线填写，无需另交"
        return "📎 需上传"


@dataclass
class MaterialsCheck:
    """The check of all materials of one item for one citizen."""

    item_key: str
    item_name: str
    materials: List[MaterialStatus] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Number of materials with ``status``."""
        return sum(1 for m in self.materials if m.status == status)

    def by_status(self, status: str) -> List[MaterialStatus]:
        """The materials with ``status``, in catalog order."""
        return [m for m in self.materials if m.status == status]

    @property
    def expired(self) -> List[MaterialStatus]:
        """Materials whose certificate has expired."""
        return self.by_status(EXPIRED)


def renewal_item(session: Session, certificate_type: str) -> Optional[ServiceItem]:
    """Return the item that renews ``certificate_type`` (期满换证), or None.

    The renewal item outputs the certificate type and has 到期/期满/过期 among its variant keywords.
    """
    producers = (
        session.query(ServiceItem)
        .filter(ServiceItem.outputs_certificate == certificate_type)
        .order_by(ServiceItem.key)
        .all()
    )
    for item in producers:
        if any(word in (item.variant_keywords or []) for word in lexicon.words("renewal")):
            return item
    return None


def _best(certs: List[Certificate], today: datetime.date) -> Dict[str, Certificate]:
    """Pick one certificate per type: a valid one first, otherwise the latest issued."""
    best: Dict[str, Certificate] = {}
    for cert in certs:
        current = best.get(str(cert.type_name))
        valid = effective_status(cert, today) == "有效"
        if current is None:
            best[str(cert.type_name)] = cert
            continue
        current_valid = effective_status(current, today) == "有效"
        if (valid and not current_valid) or (valid == current_valid and cert.issue_date > current.issue_date):
            best[str(cert.type_name)] = cert
    return best


def is_form_material(name: str) -> bool:
    """True for a material that is the application form itself, e.g. 《居住证申领登记表》."""
    return bool(_FORM_NAME.search(name or ""))


def _status(material: Material, cert: Optional[Certificate], today: datetime.date) -> str:
    if is_form_material(str(material.name)):
        return FORM
    if cert is not None and effective_status(cert, today) == "有效":
        return HELD
    if material.commitment_allowed:
        return COMMITMENT
    if cert is not None and effective_status(cert, today) == "已过期":
        return EXPIRED
    return UPLOAD


def check_materials(
    session: Session,
    item: ServiceItem,
    person_id: str,
    today: Optional[datetime.date] = None,
    *,
    actor: str = "智能助手",
    holder_kind: str = "person",
) -> MaterialsCheck:
    """Check every material of ``item`` against the applicant's certificate library.

    Args:
        session: the database session (the caller commits; the 用证记录 are flushed).
        item: the service item.
        person_id: the citizen's ID number, or the credit code when ``holder_kind="company"``.
        today: the reference date for validity; the office's today by default.
        actor: the channel recorded in the 用证记录.
        holder_kind: "person", or "company" for an application made in a company login (the
            company's library only: the representative's own certificates are not its).

    Returns:
        The check, one :class:`MaterialStatus` per material in catalog order: "held" (a valid
        certificate of the material's type is held), "commitment" (告知承诺 allowed and no valid
        certificate), "expired" (only an expired certificate, with the renewal item if any) or
        "upload".
    """
    today = today or office_date()
    materials = sorted(item.materials, key=lambda m: m.position)
    types = sorted({str(m.certificate_type) for m in materials if m.certificate_type})
    certs: List[Certificate] = []
    if types:
        purpose = f"办理{item.name}：材料核验"
        certs = find_certificates(session, person_id, types, "citizen", actor, purpose, today, holder_kind=holder_kind)
    best = _best(certs, today)
    result = MaterialsCheck(item_key=str(item.key), item_name=str(item.name))
    renewals: Dict[str, Optional[ServiceItem]] = {}
    for material in materials:
        ctype = material.certificate_type
        cert = best.get(ctype) if ctype else None
        status = _status(material, cert, today)
        entry = MaterialStatus(
            material_id=int(material.id),
            name=str(material.name),
            status=status,
            certificate_type=ctype,
            certificate_id=int(cert.id) if cert is not None and status in (HELD, EXPIRED) else None,
        )
        if status == EXPIRED and ctype:
            if ctype not in renewals:
                renewals[ctype] = renewal_item(session, ctype)
            renewal = renewals[ctype]
            if renewal is not None:
                entry.renewal_item_key, entry.renewal_item_name = str(renewal.key), str(renewal.name)
        result.materials.append(entry)
    return result


def _summary(check: MaterialsCheck) -> str:
    parts = []
    for status, label in (
        (HELD, "已有电子证照无需提交"),
        (EXPIRED, "证照已过期"),
        (COMMITMENT, "可告知承诺"),
        (FORM, "在线填写"),
        (UPLOAD, "需提交"),
    ):
        if check.count(status):
            parts.append(f"{check.count(status)}项{label}")
    total = len(check.materials)
    if not total:
        return f"办理{check.item_name}无需提交材料。"
    return f"办理{check.item_name}共需{total}项材料，其中" + "，".join(parts) + "："


def fit_message(lines: List[str], limit: int = MAX_MESSAGE_BYTES) -> str:
    """Join ``lines`` with newlines, dropping trailing lines so the text stays under ``limit`` bytes."""
    text = "\n".join(lines)
    kept = list(lines)
    while len(text.encode("utf-8")) >= limit and len(kept) > 1:
        kept.pop()
        text = "\n".join(kept + ["……（其余内容请在办件详情中查看）"])
    return text


def render_check(check: MaterialsCheck) -> str:
    """Render the check as a Chinese chat message (< 2048 bytes): a summary, then one line per material."""
    lines = [_summary(check)]
    for number, entry in enumerate(check.materials, start=1):
        lines.append(f"{number}. {entry.name} —— {entry.tag}")
    if check.count(COMMITMENT):
        lines.append("提示：可告知承诺的材料签署承诺书即可，无需提交证明。")
    return fit_message(lines)


def store_attachment(
    session: Session,
    data: bytes,
    filename: str,
    content_type: str,
    uploaded_by: str,
    now: Optional[datetime.datetime] = None,
) -> Attachment:
    """Store an uploaded material under ``VAR_DIR/uploads/<sha256[:2]>/<sha256>`` and record it.

    Args:
        session: the database session (the caller commits).
        data: the file content.
        filename: the original file name (only its last path component is kept).
        content_type: the declared type; PDF, JPEG, PNG and OFD are accepted and checked
            against the content's leading bytes.
        uploaded_by: the uploader's ID number.
        now: the upload time; now (UTC, as stored) by default.

    Raises:
        ApplicationError: empty, too large or unsupported file.
    """
    signature = UPLOAD_SIGNATURES.get(content_type)
    if not data:
        raise ApplicationError("上传的文件为空，请重新上传")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApplicationError("文件超过10MB，请压缩后重新上传")
    if signature is None or not data.startswith(signature):
        raise ApplicationError("仅支持上传PDF、JPG、PNG或OFD格式的文件")
    digest = hashlib.sha256(data).hexdigest()
    path = settings.current().var_dir / "uploads" / digest[:2] / digest
    if not path.exists():
        write_private(path, data)  # atomic: a concurrent identical upload writes the same bytes
    name = Path((filename or "").replace("\\", "/")).name[:200] or "upload"
    attachment = Attachment(
        id=opaque_id(),
        sha256=digest,
        filename=name,
        content_type=content_type,
        size=len(data),
        stored_path=str(path),
        uploaded_by=uploaded_by,
        created_at=stored(now),
    )
    session.add(attachment)
    session.flush()
    return attachment
