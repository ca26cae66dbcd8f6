"""Read the staff-editable files under ``knowledge_base/`` and check their consistency."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from govservice import settings


class KnowledgeBaseError(ValueError):
    """The knowledge base files are inconsistent; the message says where."""


@dataclass
class KnowledgeBase:
    """Parsed contents of the knowledge base directory."""

    departments: List[Dict[str, Any]]
    certificate_types: List[Dict[str, Any]]
    topics: List[Dict[str, Any]]
    items: List[Dict[str, Any]]
    fingerprint: str = ""
    item_by_key: Dict[str, Dict[str, Any]] = field(default_factory=dict)


def _read(path: Path) -> Dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_knowledge_base(directory: Optional[Path] = None) -> KnowledgeBase:
    """Parse and validate every file of the knowledge base.

    Args:
        directory: the ``knowledge_base`` folder; the configured one by default.

    Returns:
        The parsed knowledge base with a content fingerprint.

    Raises:
        KnowledgeBaseError: when references between the files do not resolve.
    """
    directory = directory or settings.current().knowledge_base
    files = [directory / "departments.yml", directory / "certificate_types.yml", directory / "topics.yml"]
    catalog_files = sorted((directory / "catalog").glob("*.yml"))
    digest = hashlib.sha256()
    for path in files + catalog_files:
        digest.update(path.name.encode() + path.read_bytes())
    items: List[Dict[str, Any]] = []
    for path in catalog_files:
        data = _read(path)
        for item in data.get("items") or []:
            items.append({**item, "department": data["department"]})
    kb = KnowledgeBase(
        departments=_read(files[0])["departments"],
        certificate_types=_read(files[1])["certificate_types"],
        topics=_read(files[2])["topics"],
        items=items,
        fingerprint=digest.hexdigest(),
    )
    _validate(kb)
    return kb


def _validate(kb: KnowledgeBase) -> None:
    departments = {d["code"] for d in kb.departments}
    cert_types = {c["name"] for c in kb.certificate_types}
    topics = {t["topic"]: t for t in kb.topics}
    for item in kb.items:
        key = item["key"]
        if key in kb.item_by_key:
            raise KnowledgeBaseError(f"事项 {key} 重复定义")
        kb.item_by_key[key] = item
        if item["department"] not in departments:
            raise KnowledgeBaseError(f"事项 {key} 的部门 {item['department']} 不存在")
        if item["topic"] not in topics:
            raise KnowledgeBaseError(f"事项 {key} 的主题 {item['topic']} 不在 topics.yml 中")
        if item.get("handling") not in ("online", "offline", "both"):
            raise KnowledgeBaseError(f"事项 {key} 的 handling 必须是 online/offline/both")
        wanted = [m.get("certificate_type") for m in item["materials"]] + [item.get("outputs_certificate")]
        for cert in filter(None, wanted):
            if cert not in cert_types:
                raise KnowledgeBaseError(f"事项 {key} 引用的证照类型 {cert} 不存在")
    for topic in kb.topics:
        for key in topic["items"]:
            if key not in kb.item_by_key:
                raise KnowledgeBaseError(f"主题 {topic['topic']} 引用的事项 {key} 不存在")
