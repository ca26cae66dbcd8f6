"""新生儿出生一件事: the materials, checked per parent, and the texts that explain them.

The parent who applies is logged in; their own certificates (居民身份证, 居民户口簿, 结婚证) come
from their library. The other parent's certificates are not in it and are uploaded. Where the
guide states an alternative it is offered: 非婚生育 replaces the 结婚证 by a signed 《非婚生育说明》,
and a 随父 registration then needs a paternity test certificate (国办发〔2015〕96号). The
落户方's 居民户口簿 follows the 随父/随母 choice.

:func:`newborn_needs` is pure: the conversation computes it from what it keeps (which types are
held, by certificate id) and the submission computes it again from the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

from sqlalchemy.orm import Session

from govservice.catalog import lexicon
from govservice.catalog.models import Material, ServiceItem

BIRTH_CERTIFICATE = "出生医学证明"
FATHER, MOTHER = "父亲", "母亲"
MARRIED, UNMARRIED = "已登记结婚", "非婚生育"
MARRIAGE_CHOICES = (MARRIED, UNMARRIED)
WITH_FATHER, WITH_MOTHER = "随父", "随母"
SETTLE_CHOICES = (WITH_FATHER, WITH_MOTHER)
PARENT_TYPES = ("居民身份证", "居民户口簿", "结婚证")
"""The applying parent's own certificates the bundle reads from their library."""

HELD = "held"
UPLOAD = "upload"
STATEMENT = "statement"
STATEMENT_NAME = "《非婚生育说明》"
STATEMENT_TEXT = (
    "本人{applicant}声明：新生儿{child}系本人与{other}非婚生育的子女，"
    "本人自愿为其申报出生登记，以上情况属实，如有不实愿承担相应法律责任。"
)
NEWBORN_ITEMS = ("birth_registration", "medical_insurance_enrol", "social_security_card")
"""The items applied for together, each in its own department."""
BUNDLE_ONLY_ITEM = "birth_registration"
"""Applied for online only within the bundle: its materials depend on the parents' choices."""


@dataclass(frozen=True)
class Need:
    """One material of the bundle: whose it is, and whether it is held, to upload or to sign."""

    key: str
    label: str
    status: str
    certificate_id: Optional[int] = None

    @property
    def tag(self) -> str:
        """The Chinese status shown in the chat."""
        if self.status == HELD:
            return "✅ 电子证照库已有，免提交"
        if self.status == STATEMENT:
            return "✍️ 在线签署"
        return "📎 需上传照片或扫描件"


def other_parent(role: str) -> str:
    """父亲 for 母亲 and the other way round."""
    return MOTHER if role == FATHER else FATHER


def role_of(gender: Optional[str]) -> str:
    """The applying parent's role from their gender (男: 父亲)."""
    return FATHER if gender == "男" else MOTHER


def _own(key: str, label: str, held: Mapping[str, Optional[int]], ctype: str) -> Need:
    found = held.get(ctype)
    return Need(key, label, HELD if found else UPLOAD, found)


def newborn_needs(role: str, held: Mapping[str, Optional[int]], data: Mapping[str, str]) -> List[Need]:
    """The bundle's materials for the applying parent ``role``, given their held certificates.

    Args:
        role: 父亲 or 母亲, the applying (logged-in) parent.
        held: certificate type → the id of the applicant's valid certificate of it, or None
            (出生医学证明 included).
        data: the shared data; ``marriage`` and ``settle_with`` decide the conditional materials
            and are left out while unknown.

    Returns:
        The needs in the order the guide lists them.
    """
    other = other_parent(role)
    needs = [
        _own("birth", "新生儿的出生医学证明", held, BIRTH_CERTIFICATE),
        _own("applicant_id", f"{role}（您本人）的居民身份证", held, "居民身份证"),
        Need("other_id", f"{other}的居民身份证", UPLOAD),
    ]
    settle = data.get("settle_with")
    if settle in SETTLE_CHOICES:
        settles_with = FATHER if settle == WITH_FATHER else MOTHER
        if settles_with == role:
            needs.append(_own("household", f"落户方{role}（您本人）的居民户口簿", held, "居民户口簿"))
        else:
            needs.append(Need("household", f"落户方{other}的居民户口簿", UPLOAD))
    marriage = data.get("marriage")
    if marriage == MARRIED:
        needs.append(_own("marriage", "父母结婚证", held, "结婚证"))
    elif marriage == UNMARRIED:
        needs.append(Need("statement", STATEMENT_NAME, STATEMENT))
        if settle == WITH_FATHER:
            needs.append(Need("paternity", "亲子鉴定证明（非婚生育随父落户）", UPLOAD))
    return needs


def statement_text(applicant: str, data: Mapping[str, str], role: str) -> str:
    """The 《非婚生育说明》 the applying parent signs."""
    other = data.get("mother_name" if role == FATHER else "father_name") or other_parent(role)
    return STATEMENT_TEXT.format(applicant=applicant, child=data.get("child_name", ""), other=other)


_MATCHES = {
    "birth": lambda m: m.certificate_type == BIRTH_CERTIFICATE,
    "applicant_id": lambda m: m.certificate_type == "居民身份证" and lexicon.has_any(m.name, "guardian"),
    "other_id": lambda m: m.certificate_type == "居民身份证" and "父母双方" in m.name,
    "household": lambda m: m.certificate_type == "居民户口簿" and "落户方" in m.name,
    "marriage": lambda m: m.certificate_type == "结婚证",
    "statement": lambda m: "非婚生育说明" in m.name,
    "paternity": lambda m: "亲子鉴定" in m.name,
}
"""Which catalog material of an item a need provides (the newborn's own ID card is no parent's)."""


def materials_for(item: ServiceItem, needs: Sequence[Need]) -> Dict[str, List[Material]]:
    """Need key → the item's materials it provides (an item asks only for some of them)."""
    return {
        need.key: [m for m in sorted(item.materials, key=lambda m: m.position) if _MATCHES[need.key](m)]
        for need in needs
    }


def _item_lines(session: Session) -> List[str]:
    lines = []
    for index, key in enumerate(NEWBORN_ITEMS, start=1):
        item = session.get(ServiceItem, key)
        if item is not None:
            lines.append(f"{index}. {item.name}（{item.department.name}）")
    return lines


def explain_newborn(session: Session) -> str:
    """What the bundle covers and needs, before any login: which materials the library provides."""
    lines = [f"“新生儿出生一件事”一次申请，同时办理以下{len(NEWBORN_ITEMS)}个事项，不用分别跑部门："]
    lines += _item_lines(session)
    lines += [
        "需要的材料（按父母分别核验）：",
        "· 新生儿：出生医学证明——医院签发后汇聚到电子证照库，登录后直接调取",
        "· 登录办理的一方（父亲或母亲）：居民身份证——从本人电子证照库调取",
        "· 另一方：居民身份证——需上传照片或扫描件",
        "· 落户方：居民户口簿——随登录一方落户的从电子证照库调取，随另一方落户的上传其户口簿",
        f"· 父母结婚证——从电子证照库调取；非婚生育的改为在线签署{STATEMENT_NAME}，随父落户的还需上传亲子鉴定证明",
        "只需填写一次：新生儿姓名、性别、出生日期，另一方姓名，婚姻情况，随父或随母落户。",
    ]
    return "\n".join(lines)


def render_plan(session: Session, needs: Sequence[Need], birth_masked: str) -> str:
    """The overview after login: the linked items and the applicant's materials, checked."""
    lines = [f"“新生儿出生一件事”将一次提交、同时办理以下{len(NEWBORN_ITEMS)}个事项："]
    lines += _item_lines(session)
    lines.append("材料核验（按父母分别核验）：")
    for need in needs:
        number = f"（编号{birth_masked}）" if need.key == "birth" and need.status == HELD and birth_masked else ""
        lines.append(f"· {need.label}{number}：{need.tag}")
    lines.append(f"· 落户方的居民户口簿、父母结婚证（非婚生育的改为在线签署{STATEMENT_NAME}）：按您稍后的选择核验")
    return "\n".join(lines)
