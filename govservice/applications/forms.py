"""The online application (在线申请) of one item for one citizen: what is prefilled, what is asked.

The fields each item asks for are in ``knowledge_base/application_forms.yml``; everything else
comes from the citizen's identity and certificate library, shown for confirmation rather than
retyped. Materials are planned from :func:`govservice.applications.materials_check.check_materials`: held
certificates are referenced, application forms are filled online, the rest is uploaded or, where
allowed, replaced by a commitment (告知承诺).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml
from sqlalchemy.orm import Session

from govservice import settings
from govservice.applications.delivery import (
    LIBRARY_ADDRESS,
    address_on_file,
    library_address,
    looks_like_address,
    mask_address,
)
from govservice.applications.materials import MaterialSpec
from govservice.applications.materials_check import COMMITMENT, EXPIRED, FORM, HELD, MaterialsCheck, check_materials
from govservice.applications.states import ApplicationError
from govservice.catalog import guide
from govservice.catalog.models import ServiceItem
from govservice.identity.masking import mask_credit_code, mask_id_number, mask_phone
from govservice.identity.models import Company, Person

COMPANY_APPLICANT = "法人"
"""The applicant type (``applicant_types`` in the catalog) a company login may apply for."""


@dataclass(frozen=True)
class FormField:
    """One field the citizen fills in during the application."""

    key: str
    label: str
    ask: str
    choices: Sequence[str] = ()
    min_length: int = 1
    when: Mapping[str, str] = field(default_factory=dict)
    """Ask only when the earlier answers have these values (e.g. ``{"delivery": "邮寄到家"}``)."""
    prefill: str = ""
    """``library_address``: offer the address on file in the library for confirmation first."""

    def applies(self, answers: Mapping[str, str]) -> bool:
        """Whether the field is asked, given the answers so far."""
        return all(answers.get(key) == value for key, value in self.when.items())

    def parse(self, text: str) -> str:
        """The field's value from the citizen's answer.

        Raises:
            ApplicationError: the answer does not fit (Chinese message naming what is expected).
        """
        answer = (text or "").strip()
        if self.prefill == "library_address" and not looks_like_address(answer):
            raise ApplicationError(f"请输入详细的{self.label}，包括街道和门牌号，例如“示范市民生路88号3栋502室”。")
        if self.choices:
            found = [c for c in self.choices if c in answer]
            if not found:
                raise ApplicationError(f"请从以下选项中回复一个：{'、'.join(self.choices)}。")
            return max(found, key=len)
        if len(answer) < self.min_length or len(answer) > 200:
            raise ApplicationError(f"{self.label}请至少填写{self.min_length}个字、不超过200字。")
        return answer


@lru_cache(maxsize=4)
def _load_fields(path: Path) -> Dict[str, List[FormField]]:
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): [FormField(**entry) for entry in entries or []] for key, entries in raw.items()}


def form_fields(item_key: str) -> List[FormField]:
    """The fields item ``item_key`` asks for (none when the file does not list it)."""
    return _load_fields(settings.current().knowledge_base / "application_forms.yml").get(item_key, [])


@dataclass
class ApplicationPlan:
    """Everything the application dialogue needs about one item for one citizen."""

    item_key: str
    item_name: str
    department: str
    conditions: List[str]
    online: bool
    check: MaterialsCheck
    prefill: Dict[str, str] = field(default_factory=dict)
    fields: List[FormField] = field(default_factory=list)
    address: Optional[Dict[str, Any]] = None
    """The address on file offered for 邮寄到家 (masked, with its certificate), if a field wants it."""
    applicant: str = "person"
    """"person", or "company" for an application in a company's name (a company login)."""

    @property
    def blocking(self) -> List[str]:
        """Reasons the application cannot start now (expired certificates to renew first)."""
        return [
            f"您的{m.certificate_type or m.name}已过期，请先办理{m.renewal_item_name or '换证'}。"
            for m in self.check.materials
            if m.status == EXPIRED
        ]

    def to_slot(self) -> Dict[str, Any]:
        """A JSON-serialisable copy for the conversation, so the library is checked only once."""
        fixed: List[List[Any]] = []
        collect: List[Dict[str, Any]] = []
        for m in self.check.materials:
            if m.status == HELD:
                fixed.append([m.material_id, "certificate", m.certificate_id])
            elif m.status == FORM:
                fixed.append([m.material_id, "form", None])
            else:
                collect.append({"id": m.material_id, "name": m.name, "commitment": m.status == COMMITMENT})
        return {
            "item_key": self.item_key,
            "item_name": self.item_name,
            "department": self.department,
            "conditions": self.conditions,
            "online": self.online,
            "prefill": self.prefill,
            "fields": [vars(f) | {"choices": list(f.choices)} for f in self.fields],
            "fixed": fixed,
            "collect": collect,
            "blocking": self.blocking,
            "applicant": self.applicant,
            "address": self.address,
        }


def _company_prefill(session: Session, item: ServiceItem, company_code: str) -> Dict[str, str]:
    company = session.get(Company, company_code)
    if company is None:
        raise ApplicationError("未找到本单位信息，请重新登录")
    if COMPANY_APPLICANT not in (item.applicant_types or []):
        raise ApplicationError(
            f"当前为企业登录，{item.name}是面向个人的事项。请先说“退出登录”，再以个人身份登录后申请。"
        )
    rep = company.legal_rep
    prefill = {
        "申请单位": str(company.name),
        "统一社会信用代码": mask_credit_code(str(company.credit_code)),
        "法定代表人": str(rep.name),
        "联系电话": mask_phone(str(rep.phone)),
    }
    if company.address:
        prefill["单位地址"] = str(company.address)
    return prefill


def plan_application(
    session: Session,
    item: ServiceItem,
    person_id: str,
    today: Optional[datetime.date] = None,
    *,
    company_code: Optional[str] = None,
) -> ApplicationPlan:
    """Plan the application of ``item`` by ``person_id`` (records the 用证记录 of the check).

    With ``company_code`` (a company login) the application is the company's: the item must be
    open to 法人, and the materials are checked against the company's library only.

    Raises:
        ApplicationError: unknown person or company, a personal item in a company login, or an
            imported item (applied for at its own department).
    """
    if guide.is_imported(item):  # a province's published guide: applied for at its department, not here
        raise ApplicationError(guide.apply_elsewhere(item))
    person = session.get(Person, person_id)
    if person is None:
        raise ApplicationError("未找到您的身份信息，请重新登录")
    holder, kind = (company_code, "company") if company_code else (person_id, "person")
    fields = form_fields(str(item.key))
    address = None
    if any(f.prefill == "library_address" for f in fields):
        found = library_address(session, holder, f"办理{item.name}：预填邮寄地址", today, holder_kind=kind)
        address = found.to_slot() if found else None
    if company_code:
        prefill = _company_prefill(session, item, company_code)
        check = check_materials(session, item, company_code, today, holder_kind="company")
    else:
        check = check_materials(session, item, person_id, today)
        prefill = {
            "申请人": str(person.name),
            "公民身份号码": mask_id_number(str(person.id_number)),
            "联系电话": mask_phone(str(person.phone)),
        }
        if person.address:
            prefill["户籍地址"] = mask_address(str(person.address))
    for entry in check.materials:
        if entry.status == HELD:
            prefill[entry.name] = "已调用电子证照（免提交）"
    return ApplicationPlan(
        item_key=str(item.key),
        item_name=str(item.name),
        department=str(item.department.name) if item.department else "",
        conditions=list(item.conditions or []),
        online=item.handling in ("online", "both"),
        check=check,
        prefill=prefill,
        fields=fields,
        address=address,
        applicant="company" if company_code else "person",
    )


def material_specs(plan: Mapping[str, Any], provided: Mapping[str, Sequence[Any]]) -> List[MaterialSpec]:
    """The materials of a submission: held certificates, online forms, and what the citizen provided.

    Args:
        plan: :meth:`ApplicationPlan.to_slot` of the application.
        provided: material id (as a string, as kept in a slot) → ``("upload", attachment_id)``
            or ``("commitment", None)``.

    Raises:
        ApplicationError: a material that is neither held nor provided.
    """
    specs: List[MaterialSpec] = [(int(m), str(source), ref) for m, source, ref in plan.get("fixed", [])]
    for material in plan.get("collect", []):
        given = provided.get(str(material["id"]))
        if not given:
            raise ApplicationError(f"还缺少材料「{material['name']}」，请先上传")
        specs.append((int(material["id"]), str(given[0]), given[1]))
    return specs


def next_field(plan: Mapping[str, Any], answers: Mapping[str, str]) -> Optional[FormField]:
    """The first field of the plan not answered yet."""
    for entry in plan.get("fields", []):
        form_field = FormField(**entry)
        if entry["key"] not in answers and form_field.applies(answers):
            return form_field
    return None


def shown_answer(plan: Mapping[str, Any], key: str, value: str) -> str:
    """An answer as chat texts show it: addresses masked, the library's with its source."""
    entry: Mapping[str, Any] = next((f for f in plan.get("fields", []) if f["key"] == key), {})
    if entry.get("prefill") != "library_address":
        return value
    address = plan.get("address") or {}
    if value == LIBRARY_ADDRESS and address:
        return f"{address['masked']}（{address['source']}登记地址）"
    return mask_address(value)


def submission_form_data(
    session: Session, plan: Mapping[str, Any], answers: Mapping[str, str], holder_id: str, holder_kind: str
) -> Dict[str, str]:
    """The form data stored with the application, by Chinese label; a confirmed library address is read now.

    Raises:
        ApplicationError: the address on file is no longer in the holder's library.
    """
    labels = {f["key"]: f["label"] for f in plan.get("fields", [])}
    data = {}
    for key, value in answers.items():
        if value == LIBRARY_ADDRESS:
            purpose = f"办理{plan.get('item_name', '')}：邮寄送达地址"
            certificate_id = (plan.get("address") or {}).get("certificate_id")
            found = (
                address_on_file(session, holder_id, int(certificate_id), purpose, holder_kind=holder_kind)
                if certificate_id is not None
                else None
            )
            if not found:
                raise ApplicationError("电子证照中的地址已无法调取，请说“不办了”后重新申请，并直接输入收件地址。")
            value = found
        data[labels.get(key, key)] = value
    return data


def next_material(plan: Mapping[str, Any], provided: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The first material of the plan still to provide: ``{"id", "name", "commitment"}``."""
    return next((m for m in plan.get("collect", []) if str(m["id"]) not in provided), None)


def summary_text(plan: Mapping[str, Any], answers: Mapping[str, str], provided: Mapping[str, Sequence[Any]]) -> str:
    """The summary shown before the citizen confirms the submission."""
    lines = [f"请核对您的申请：{plan['item_name']}（受理部门：{plan['department']}）"]
    lines += [f"· {label}：{value}" for label, value in plan.get("prefill", {}).items()]
    lines += [
        f"· {f['label']}：{shown_answer(plan, f['key'], answers[f['key']])}"
        for f in plan.get("fields", [])
        if f["key"] in answers
    ]
    for material in plan.get("collect", []):
        source = (provided.get(str(material["id"])) or [None])[0]
        lines.append(f"· {material['name']}：{'已签署告知承诺' if source == 'commitment' else '已上传'}")
    lines.append("确认无误请回复“确认提交”；说“不办了”可取消，不会提交任何内容。")
    return "\n".join(lines)

