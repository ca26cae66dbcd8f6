"""Parse the text fields of a published 政务服务事项 record into catalog values.

Each parser takes the field as published (a province's export writes "30(工作日)", "无",
"办理地点：……", "020-1234567、020-7654321") and returns what the catalog stores. A value that
cannot be read raises :class:`RecordError` with a Chinese message; the importer reports the
record and goes on with the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional

NOT_STATED = "办事指南未载明"
"""How a limit, place or phone the record leaves out is shown."""

_NONE_VALUES = frozenset({"", "无", "暂无", "-", "—", "/", "null", "None"})


class RecordError(ValueError):
    """A record, or one of its fields, cannot be imported; the message says why, in Chinese."""


def is_blank(value: Any) -> bool:
    """True for a field the publisher left empty or filled with 无."""
    return value is None or (isinstance(value, str) and value.strip().rstrip("。.") in _NONE_VALUES)


@dataclass(frozen=True)
class TimeLimit:
    """A legal or promised time limit: a number of working or calendar days, or none stated."""

    days: Optional[int]
    unit: str = "工作日"  # 工作日 / 自然日

    @property
    def text(self) -> str:
        """The limit as a citizen reads it: 即办, 20个工作日, 90个自然日 or 办事指南未载明."""
        if self.days is None:
            return NOT_STATED
        return "即办（当场办结）" if self.days == 0 else f"{self.days}个{self.unit}"


_LIMIT = re.compile(r"^(\d{1,4})\s*[(（]?\s*个?\s*(工作日|自然日|天|日)\s*[)）]?$")
_ON_THE_SPOT = frozenset({"即办", "即时办结", "当场办结", "立即办结"})


def parse_time_limit(value: Any) -> TimeLimit:
    """Read a limit such as "30(工作日)", "90(自然日)", "20个工作日", "即办" or "无".

    Raises:
        RecordError: any other wording.
    """
    if is_blank(value):
        return TimeLimit(None)
    text = str(value).strip()
    if text in _ON_THE_SPOT:
        return TimeLimit(0)
    match = _LIMIT.match(text)
    if not match:
        raise RecordError(f"无法识别的办结时限“{text[:30]}”")
    unit = "工作日" if match.group(2) == "工作日" else "自然日"
    return TimeLimit(int(match.group(1)), unit)


# A list marker at the start or after whitespace/punctuation: 1、 1. 1） (1) 一、 （一）.
_MARKER = re.compile(
    r"(?<![^\s：:；;。，,])\s*(?:\d{1,2}[、.．)）](?!\d)|[（(]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])"
)


def parse_conditions(value: Any) -> List[str]:
    """Split 受理条件 into one condition per entry: the lead sentence, then each numbered point."""
    if is_blank(value):
        return []
    parts = (part.strip().rstrip("；;，,").strip() for part in _MARKER.split(str(value)))
    return [part for part in parts if part]


_PHONE = re.compile(
    r"(?<!\d)(?P<other>1[3-9]\d{9}|400-?\d{3,4}-?\d{3,4}|12\d{3}|95\d{3})(?!\d)"
    r"|(?:[(（](?:\+?86)?0?(?P<bracketed>\d{2,3})[)）]|(?:\+?86-?)?0(?P<area>\d{2,3})[-－\s]?)?"
    r"(?<!\d)(?P<local>[2-8]\d{2,3}[\s-]?\d{4})(?:[-－转](?P<ext>\d{1,5}))?(?!\d)"
)
_LABEL = re.compile(r"\s*[(（]([^()（）\d]{1,20})[)）]")


def _tidy_phone(match: re.Match) -> str:
    if match.group("other"):
        return match.group("other")
    area = match.group("bracketed") or match.group("area")
    phone = re.sub(r"[\s-]", "", match.group("local"))
    if area:
        phone = f"0{area}-{phone}"
    return f"{phone}-{match.group('ext')}" if match.group("ext") else phone


def parse_phones(value: Any) -> List[str]:
    """Every phone number in 咨询电话, in order, with the label a number carries: "020-1234567（总机）".

    A short text with no readable number is kept as published; a long one without a number yields none.
    """
    if is_blank(value):
        return []
    text = str(value)
    phones: List[str] = []
    for match in _PHONE.finditer(text):
        phone = _tidy_phone(match)
        label = _LABEL.match(text, match.end())
        if label:
            phone += f"（{label.group(1).strip()}）"
        if phone not in phones:
            phones.append(phone)
    if not phones and len(text.strip()) <= 40:
        phones.append(text.strip())  # not a number we can read (020-837288891): shown as published
    return phones


_PLACE_PREFIX = re.compile(r"^(?:办理地点|办公地点|地址)\s*[:：]\s*")
_NO_WINDOW = frozenset({"无线下办理窗口", "无办理窗口", "网上办理", "全程网办"})


def parse_place(value: Any) -> Optional[str]:
    """The window address of 办理地点, or None when the item has no window (全程网办)."""
    if is_blank(value):
        return None
    text = _PLACE_PREFIX.sub("", str(value).strip()).strip()
    return None if text in _NO_WINDOW or is_blank(text) else text


NATURAL_PERSON = "自然人"
LEGAL_PERSON = "法人"


def applicant_types(service_objects: Iterable[str]) -> List[str]:
    """The catalog's applicant types (自然人 / 法人) of published service objects.

    企业法人, 事业法人, 社会组织法人, 非法人企业, 行政机关 and 其他组织 apply as 法人 (法人及其他组织).

    Raises:
        RecordError: no service object is given.
    """
    objects = [str(o).strip() for o in service_objects if str(o).strip()]
    if not objects:
        raise RecordError("缺少服务对象")
    kinds = {NATURAL_PERSON if o in (NATURAL_PERSON, "个人") else LEGAL_PERSON for o in objects}
    return [kind for kind in (NATURAL_PERSON, LEGAL_PERSON) if kind in kinds]


def handling_of(online: Any, place: Optional[str]) -> str:
    """The handling (online / offline / both) from the 可网办 flag (ONLINECHECK) and the window, if any."""
    can_online = str(online).strip() in ("1", "是", "true", "True")
    if can_online:
        return "both" if place else "online"
    return "offline"


def material_names(value: Any) -> List[str]:
    """The material names of ``material_intro``: a list of names, or 无 for none.

    Raises:
        RecordError: anything but a list of names or a blank value.
    """
    if is_blank(value):
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise RecordError("申请材料（material_intro）应为材料名称列表")
    return [name.strip() for name in value if name.strip()]


# How a name says which copy to bring, or whose it is; neither changes which certificate it is.
_QUALIFIERS = re.compile(r"[（(][^（）()]*[)）]")
_FORM_SUFFIX = re.compile(r"(?:原件(?:及|和|或)复印件|彩色扫描件|复印件|原件|扫描件|副本|正本|电子版|照片)$")
_OWN_PREFIX = re.compile(r"^(?:中华人民共和国|广东省|中国|有效的?|申请人本人的?|申请人的?|本人的?|参保人的?|企业)")
_ALTERNATIVES = re.compile(r"或者|或|、|/|／")


class CertificateLinker:
    """Links a material to a certificate type when the names match.

    A material matches when one of its alternatives ("营业执照或事业单位法人证书"), without the
    copy it asks for (原件, 复印件 …), a bracketed note, or a prefix saying it is the applicant's
    own (申请人, 本人, 中华人民共和国 …), is exactly a type's name or alias. Someone else's
    certificate (监护人身份证, 代办人身份证) and other documents (身份证明, 身份证件,
    残疾人证申请表) stay unlinked: the materials check reads only the applicant's library.
    """

    def __init__(self, certificate_types: Iterable[Mapping[str, Any]]) -> None:
        """Index the names and aliases of ``certificate_types`` (knowledge_base/certificate_types.yml)."""
        self._types: Dict[str, str] = {}
        for cert in certificate_types:
            for name in [cert["name"], *(cert.get("aliases") or [])]:
                self._types.setdefault(str(name), str(cert["name"]))

    @staticmethod
    def _core(alternative: str) -> str:
        previous = None
        text = alternative.strip()
        while text != previous:
            previous = text
            text = _OWN_PREFIX.sub("", _FORM_SUFFIX.sub("", text)).strip()
        return text

    def link(self, material: str) -> Optional[str]:
        """The certificate type ``material`` is, or None."""
        text = _QUALIFIERS.sub("", material.strip().rstrip("。.；;，,"))
        for position, alternative in enumerate(_ALTERNATIVES.split(text)):
            core = self._core(alternative)
            found = self._types.get(core)
            if found:
                return found
            if position == 0 and any(core.endswith(name) for name in self._types):
                return None  # someone else's (代办人身份证或社会保障卡): so are the alternatives
        return None
