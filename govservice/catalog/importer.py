"""Import a province's published service guides (政务服务事项 records) beside the curated catalog.

``knowledge_base/imported/sources.yml`` lists the exported files (one JSON record a line, the
standard record shape: ``TASK_CODE``, ``TASK_NAME``, ``DEPT_NAME``, ``handle_time`` …, see
``knowledge_base/imported/SOURCE.md``) with their source and year. Each record becomes an
:class:`ImportedItem`; a record that cannot be read is reported with its line and the reason,
never fatal. Seeding (:mod:`govservice.seed`) writes the items with ``layer="imported"``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

import yaml

from govservice import settings
from govservice.catalog.import_fields import (
    CertificateLinker,
    RecordError,
    applicant_types,
    handling_of,
    is_blank,
    material_names,
    parse_conditions,
    parse_phones,
    parse_place,
    parse_time_limit,
)
from govservice.catalog.knowledge import KnowledgeBaseError

IMPORTED_DIR = settings.current().knowledge_base / "imported"
IMPORTER_VERSION = "1"
"""Part of the seed fingerprint: bump it when parsing changes, so existing databases are reseeded."""

IMPORTED = "imported"
CURATED = "curated"

_MAX = {"TASK_CODE": 40, "TASK_NAME": 100, "DEPT_NAME": 100}  # the catalog's column sizes
_MAX_URL = 300


@dataclass(frozen=True)
class ImportSource:
    """One exported catalog file and where it comes from (an entry of ``sources.yml``)."""

    path: Path
    key_prefix: str
    source: str
    source_date: str
    department: Dict[str, Any]


_DEPARTMENT_FIELDS = ("code", "name", "window_address", "office_hours", "consult_phone")


def load_sources(directory: Path = IMPORTED_DIR) -> List[ImportSource]:
    """The catalog files listed in ``directory/sources.yml``; none when the directory has no list.

    Raises:
        KnowledgeBaseError: an entry misses a field, or its file does not exist.
    """
    listing = directory / "sources.yml"
    if not listing.exists():
        return []
    data = yaml.safe_load(listing.read_text(encoding="utf-8")) or {}
    sources = []
    for number, entry in enumerate(data.get("sources") or [], start=1):
        try:
            source = ImportSource(
                path=directory / str(entry["file"]),
                key_prefix=str(entry["key_prefix"]),
                source=str(entry["source"]),
                source_date=str(entry["source_date"]),
                department={k: entry["department"][k] for k in _DEPARTMENT_FIELDS} | dict(entry["department"]),
            )
        except (KeyError, TypeError) as error:
            raise KnowledgeBaseError(f"imported/sources.yml 第{number}项缺少字段 {error}") from None
        if not source.path.is_file():
            raise KnowledgeBaseError(f"imported/sources.yml 第{number}项的文件 {source.path.name} 不存在")
        sources.append(source)
    return sources


def fingerprint(sources: Iterable[ImportSource], directory: Path = IMPORTED_DIR) -> str:
    """A digest of the source list, the files and the importer version (reseed when any changes)."""
    digest = hashlib.sha256(IMPORTER_VERSION.encode())
    listing = directory / "sources.yml"
    if listing.exists():
        digest.update(listing.read_bytes())
    for source in sources:
        digest.update(source.path.name.encode() + source.path.read_bytes())
    return digest.hexdigest()


@dataclass
class ImportedMaterial:
    """A material of an imported item: the published name, and the certificate type it is, if any."""

    name: str
    certificate_type: Optional[str] = None


@dataclass
class ImportedItem:
    """One imported record: ``columns`` are :class:`~govservice.models.ServiceItem` columns."""

    columns: Dict[str, Any]
    materials: List[ImportedMaterial]

    @property
    def key(self) -> str:
        """The item key: the source's prefix and the 事项编码."""
        return str(self.columns["key"])


@dataclass(frozen=True)
class Problem:
    """A record that was not imported: its line in the file, its code if known, and why."""

    line: int
    code: str
    reason: str

    def __str__(self) -> str:
        """The problem in Chinese, for the seed log: 第12行（事项编码 …）：缺少事项名称."""
        where = f"第{self.line}行" + (f"（事项编码 {self.code}）" if self.code else "")
        return f"{where}：{self.reason}"


@dataclass
class ImportResult:
    """The items read from one file, and the records that could not be."""

    source: ImportSource
    items: List[ImportedItem] = field(default_factory=list)
    problems: List[Problem] = field(default_factory=list)

    @property
    def linked_materials(self) -> int:
        """How many materials were linked to a certificate type."""
        return sum(1 for item in self.items for m in item.materials if m.certificate_type)


def _text(record: Mapping[str, Any], name: str, label: str) -> str:
    value = record.get(name)
    if is_blank(value) or not isinstance(value, str):
        raise RecordError(f"缺少{label}（{name}）")
    text = value.strip()
    if len(text) > _MAX.get(name, len(text)):
        raise RecordError(f"{label}（{name}）超过{_MAX[name]}字")
    return text


def _list(record: Mapping[str, Any], name: str) -> List[str]:
    value = record.get(name)
    if is_blank(value):
        return []
    if not isinstance(value, list):
        raise RecordError(f"{name} 应为列表")
    return [str(v).strip() for v in value if str(v).strip()]


def parse_record(record: Any, source: ImportSource, linker: CertificateLinker) -> ImportedItem:
    """Turn one published record into an item of the catalog.

    Raises:
        RecordError: the record is not an object, misses its code, name or department, or has a
            field that cannot be read (a time limit in an unknown wording, no service object …).
    """
    if not isinstance(record, dict):
        raise RecordError("记录不是JSON对象")
    code = _text(record, "TASK_CODE", "事项编码")
    name = _text(record, "TASK_NAME", "事项名称")
    department = _text(record, "DEPT_NAME", "实施部门")
    service_objects = _list(record, "service_object_name")
    legal = parse_time_limit(record.get("handle_time"))
    promised = parse_time_limit(record.get("handle_time_limit"))
    place = parse_place(record.get("handle_location"))
    phones = parse_phones(record.get("consult_phone"))
    url = record.get("URL")
    item_type = record.get("TASK_TYPE_TEXT")
    columns: Dict[str, Any] = {
        "key": f"{source.key_prefix}_{code}",
        "code": code,
        "name": name,
        "aliases": [],
        "topic": (_list(record, "theme_category") or ["其他"])[0][:60],
        "variant": None,
        "variant_keywords": [],
        "department_code": source.department["code"],
        "item_type": str(item_type).strip()[:20] if not is_blank(item_type) else "其他",
        "applicant_types": applicant_types(service_objects),
        "conditions": parse_conditions(record.get("accept_standard")),
        "legal_limit_days": legal.days or 0,
        "promised_limit_days": promised.days or 0,
        "fee_fen": 0,  # the records publish no fee; the guide says so instead of 不收费
        "fee_note": "",
        "handling": handling_of(record.get("ONLINECHECK"), place),
        "online_url": url.strip() if isinstance(url, str) and 0 < len(url.strip()) <= _MAX_URL else None,
        "window_address": place,
        "office_hours": None,
        "consult_phone": phones[0][:40] if phones else None,
        "outputs_certificate": None,
        "process": [],
        "source": source.source,
        "layer": IMPORTED,
        "source_date": source.source_date,
        "department_name": department,
        "service_objects": service_objects,
        "themes": _list(record, "theme_category"),
        "phones": phones,
        "legal_limit_text": legal.text,
        "promised_limit_text": promised.text,
        "duplicate_of": None,
    }
    materials = [ImportedMaterial(n[:200], linker.link(n)) for n in material_names(record.get("material_intro"))]
    return ImportedItem(columns=columns, materials=materials)


def import_file(source: ImportSource, linker: CertificateLinker) -> ImportResult:
    """Read every record of ``source``; unreadable records are reported in ``problems``, not raised."""
    result = ImportResult(source=source)
    seen: Dict[str, int] = {}
    with source.path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            code = ""
            try:
                record = json.loads(line)
                code = str(record.get("TASK_CODE") or "") if isinstance(record, dict) else ""
                item = parse_record(record, source, linker)
            except json.JSONDecodeError:
                result.problems.append(Problem(number, "", "不是有效的JSON"))
                continue
            except RecordError as error:
                result.problems.append(Problem(number, code, str(error)))
                continue
            if item.key in seen:
                result.problems.append(Problem(number, code, f"事项编码与第{seen[item.key]}行重复"))
                continue
            seen[item.key] = number
            result.items.append(item)
    return result


_NAME_NOISE = re.compile(r"[\s《》〈〉“”\"'（）()【】\[\]、，,。·]")


def name_key(name: str) -> str:
    """A name for comparing items: without spaces, brackets and punctuation."""
    return _NAME_NOISE.sub("", name)


def mark_duplicates(items: Iterable[ImportedItem], curated: Iterable[Mapping[str, Any]]) -> int:
    """Point each imported item named like a curated one (its name or an alias) at that item.

    The curated item answers; the imported one keeps ``duplicate_of`` so identification can
    leave it out. Returns how many were marked.
    """
    names: Dict[str, str] = {}
    for item in curated:
        for name in [item["name"], *(item.get("aliases") or [])]:
            names.setdefault(name_key(str(name)), str(item["key"]))
    marked = 0
    for imported in items:
        duplicate = names.get(name_key(str(imported.columns["name"])))
        imported.columns["duplicate_of"] = duplicate
        marked += duplicate is not None
    return marked
