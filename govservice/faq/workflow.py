"""The FAQ workflow for staff: create, edit, publish and retire entries, with history and audit.

Every save writes a :class:`FaqVersion` with the full snapshot and an :class:`AuditLog` row.
Editing a published entry changes the live answer at once (the search index notices the new
``updated_at``); an editor who wants a review first retires the entry, edits and publishes again.
Fields and their validation live in :mod:`govservice.faq.fields`, the audit log in
:mod:`govservice.audit`; both are re-exported here. Functions flush but do not commit: the caller
owns the transaction. Escaping is the renderer's job: text is stored as typed. Error messages are
Chinese, for the console to show as they are.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import fields, replace
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy.orm import Session

from govservice.audit import list_audit as list_audit  # re-exported for the console
from govservice.audit import record_audit
from govservice.catalog.text import normalize
from govservice.clock import stored
from govservice.faq.fields import FIELD_LABELS, EntryFields, FaqError, validate_fields
from govservice.faq.fields import clean_questions as clean_questions  # re-exported
from govservice.faq.models import DRAFT, ENTRY_STATUSES, PUBLISHED, RETIRED, STATUS_LABELS, FaqEntry, FaqVersion

KEY_PATTERN = re.compile(r"^[a-z0-9_]{1,80}$")
ACTION_LABELS: Dict[str, str] = {
    "create": "新建",
    "edit": "编辑",
    "publish": "发布",
    "retire": "下线",
    "import": "导入",
    "add_similar": "添加相似问法",
}


class FaqNotFound(LookupError):
    """No FAQ entry with that id; ``str(error)`` is a Chinese message."""


def snapshot(entry: FaqEntry) -> Dict[str, Any]:
    """The entry's content as JSON-ready values (dates as ISO strings), as kept in the history."""
    data: Dict[str, Any] = {name: getattr(entry, name) for name in FIELD_LABELS}
    for name in ("effective_from", "expires_on"):
        data[name] = data[name].isoformat() if data[name] else None
    return data


def _actor(actor: str) -> str:
    if not (actor or "").strip():
        raise FaqError("缺少操作人")
    return actor.strip()


def _save(
    session: Session,
    entry: FaqEntry,
    actor: str,
    action: str,
    changes: Sequence[str],
    now: Optional[datetime.datetime],
    note: str = "",
) -> FaqEntry:
    """Stamp the entry, then append its version and the audit row."""
    moment = stored(now)
    if entry.id is not None:
        entry.version += 1
    entry.updated_at, entry.updated_by = moment, _actor(actor)
    session.flush()
    session.add(
        FaqVersion(
            entry_id=entry.id,
            version=entry.version,
            action=action,
            snapshot=snapshot(entry),
            changes=list(changes),
            changed_by=entry.updated_by,
            changed_at=moment,
            note=note or None,
        )
    )
    labels = "、".join(FIELD_LABELS.get(c, c) for c in changes)
    detail = f"{ACTION_LABELS.get(action, action)} FAQ#{entry.id}《{entry.question[:30]}》"
    detail += f"：{labels}" if labels else ""
    record_audit(session, entry.updated_by, f"faq_{action}", "faq_entry", entry.id, detail, moment)
    session.flush()
    return entry


def create_entry(
    session: Session,
    actor: str,
    data: EntryFields,
    *,
    key: Optional[str] = None,
    status: str = DRAFT,
    now: Optional[datetime.datetime] = None,
    action: str = "create",
) -> FaqEntry:
    """Create an entry (a draft unless ``status`` says otherwise) and its first version.

    Raises:
        FaqError: invalid fields, key or status.
    """
    actor = _actor(actor)
    clean = validate_fields(session, data)
    key = key or f"staff_{uuid.uuid4().hex[:12]}"
    if not KEY_PATTERN.match(key):
        raise FaqError(f"键 {key} 只能由小写字母、数字和下划线组成")
    if session.query(FaqEntry.id).filter_by(key=key).first() is not None:
        raise FaqError(f"键 {key} 已被使用")
    if status not in ENTRY_STATUSES:
        raise FaqError(f"未知状态：{status}")
    entry = FaqEntry(key=key, status=status, version=1, **vars(clean))
    moment = stored(now)
    entry.created_at = moment
    session.add(entry)
    return _save(session, entry, actor, action, list(FIELD_LABELS), moment)


def get_entry(session: Session, entry_id: int) -> FaqEntry:
    """The entry with ``entry_id``.

    Raises:
        FaqNotFound: no such entry.
    """
    entry = session.get(FaqEntry, entry_id)
    if entry is None:
        raise FaqNotFound(f"FAQ#{entry_id} 不存在")
    return entry


def update_entry(
    session: Session,
    entry_id: int,
    actor: str,
    now: Optional[datetime.datetime] = None,
    action: str = "edit",
    **changes: Any,
) -> FaqEntry:
    """Change some fields of an entry (any of :class:`EntryFields`); its status stays as it is.

    Returns:
        The entry; unchanged, with no new version, when nothing actually changed.

    Raises:
        FaqNotFound: no such entry.
        FaqError: an unknown field or an invalid value.
    """
    entry = get_entry(session, entry_id)
    unknown = set(changes) - {f.name for f in fields(EntryFields)}
    if unknown:
        raise FaqError(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    clean = validate_fields(session, replace(EntryFields.of(entry), **changes), entry.id)
    changed = [name for name, value in vars(clean).items() if getattr(entry, name) != value]
    if not changed:
        return entry
    for name in changed:
        setattr(entry, name, getattr(clean, name))
    return _save(session, entry, actor, action, changed, now)


def set_status(
    session: Session,
    entry_id: int,
    status: str,
    actor: str,
    now: Optional[datetime.datetime] = None,
) -> FaqEntry:
    """Move an entry to ``status``: draft, published or retired; one version and audit row each."""
    entry = get_entry(session, entry_id)
    if status not in ENTRY_STATUSES:
        raise FaqError(f"未知状态：{status}")
    if entry.status == status:
        raise FaqError(f"FAQ#{entry.id} 已是“{STATUS_LABELS[status]}”状态")
    action = {PUBLISHED: "publish", RETIRED: "retire"}.get(status, "edit")
    entry.status = status
    return _save(session, entry, actor, action, ["status"], now)


def publish_entry(session: Session, entry_id: int, actor: str, now: Optional[datetime.datetime] = None) -> FaqEntry:
    """Publish a draft or retired entry: the assistant answers with it from now on."""
    return set_status(session, entry_id, PUBLISHED, actor, now)


def retire_entry(session: Session, entry_id: int, actor: str, now: Optional[datetime.datetime] = None) -> FaqEntry:
    """Retire an entry: the assistant stops using it; it stays in the list and its history."""
    return set_status(session, entry_id, RETIRED, actor, now)


def entry_history(session: Session, entry_id: int) -> List[FaqVersion]:
    """Every saved version of an entry, oldest first."""
    return get_entry(session, entry_id).versions


def list_entries(
    session: Session,
    query: str = "",
    *,
    status: Optional[str] = None,
    category: Optional[str] = None,
    department_code: Optional[str] = None,
) -> List[FaqEntry]:
    """Entries for the staff list, newest edit first, filtered by status, category and department.

    ``query`` matches (after normalization, so traditional characters match too) the key, the
    standard and similar questions, or the answer. Filtering by text happens in Python because
    the similar questions are a JSON list; the FAQ has thousands of entries at most.
    """
    rows = session.query(FaqEntry)
    if status:
        rows = rows.filter(FaqEntry.status == status)
    if category:
        rows = rows.filter(FaqEntry.category == category)
    if department_code:
        rows = rows.filter(FaqEntry.department_code == department_code)
    entries = rows.order_by(FaqEntry.updated_at.desc(), FaqEntry.id.desc()).all()
    wanted = normalize(query)
    if not wanted:
        return entries
    return [e for e in entries if any(wanted in normalize(t) for t in _texts(e))]


def _texts(entry: FaqEntry) -> List[str]:
    return [entry.key, entry.question, entry.answer, *entry.similar_questions]
