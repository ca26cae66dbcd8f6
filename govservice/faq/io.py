"""FAQ import and export (CSV and Excel) and seeding from ``knowledge_base/faq/*.yml``.

A file uses Chinese column headers (:data:`COLUMNS`); rows are matched to entries by 键 (key).
An import is checked completely before anything is written: with any error nothing changes and
the report lists every problem by row number. Similar questions are one per line in their cell.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from govservice import settings
from govservice.catalog import facts
from govservice.clock import office_text
from govservice.faq.models import ENTRY_STATUSES, PUBLISHED, STATUS_LABELS, FaqEntry
from govservice.faq.workflow import EntryFields, FaqError, create_entry, set_status, update_entry, validate_fields

FAQ_DIR = settings.current().knowledge_base / "faq"
SEED_ACTOR = "系统初始化"
COLUMNS: List[Tuple[str, str]] = [
    ("key", "键"),
    ("question", "标准问题"),
    ("similar_questions", "相似问法"),
    ("answer", "答案"),
    ("category", "分类"),
    ("department_code", "部门代码"),
    ("item_keys", "相关事项"),
    ("effective_from", "生效日期"),
    ("expires_on", "失效日期"),
    ("status", "状态"),
    ("version", "版本"),
    ("updated_at", "更新时间"),
    ("updated_by", "更新人"),
]
"""Exported columns (field, header); 版本, 更新时间 and 更新人 are ignored on import."""
_STATUS_BY_TEXT = {**{s: s for s in ENTRY_STATUSES}, **{label: s for s, label in STATUS_LABELS.items()}}


@dataclass
class ImportReport:
    """What an import did, or why it did nothing (``errors``, in Chinese, by row)."""

    created: List[str] = field(default_factory=list)
    updated: List[str] = field(default_factory=list)
    unchanged: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


_FORMULA_START = ("=", "+", "-", "@")


def defuse(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with a quote (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _restore(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _row(entry: FaqEntry) -> List[str]:
    values: Dict[str, Any] = {
        **{name: getattr(entry, name) for name, _ in COLUMNS},
        "similar_questions": "\n".join(entry.similar_questions),
        "item_keys": ",".join(entry.item_keys),
        "status": STATUS_LABELS.get(entry.status, entry.status),
        "updated_at": office_text(entry.updated_at, "%Y-%m-%d %H:%M:%S"),
    }
    return ["" if values[name] is None else str(values[name]) for name, _ in COLUMNS]


def _entries(session: Session) -> List[FaqEntry]:
    return session.query(FaqEntry).order_by(FaqEntry.id).all()


def export_csv(session: Session) -> bytes:
    """All entries as UTF-8 CSV with a byte-order mark, so Excel opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for _, header in COLUMNS])
    writer.writerows([defuse(value) for value in _row(entry)] for entry in _entries(session))
    return buffer.getvalue().encode("utf-8-sig")


def export_excel(session: Session) -> bytes:
    """All entries as an .xlsx workbook with one sheet named 常见问题."""
    book = Workbook()
    sheet = book.active
    sheet.title = "常见问题"
    sheet.append([header for _, header in COLUMNS])
    for entry in _entries(session):
        sheet.append(_row(entry))
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # a text starting with "=" stays text, never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _records(header: List[str], rows: Iterable[Iterable[Any]]) -> List[Dict[str, Any]]:
    fields_by_header = {header_text: name for name, header_text in COLUMNS}
    names = [fields_by_header.get(str(h or "").strip(), "") for h in header]
    if "question" not in names or "answer" not in names:
        raise FaqError("文件缺少“标准问题”或“答案”列，请使用导出的模板")
    return [{n: v for n, v in zip(names, row, strict=False) if n} for row in rows]


def read_csv(data: bytes) -> List[Dict[str, Any]]:
    """Rows of a CSV file (UTF-8, with or without BOM) keyed by field name."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FaqError("CSV 文件须为 UTF-8 编码") from error
    rows = list(csv.reader(io.StringIO(text)))
    return _records(rows[0], rows[1:]) if rows else []


def read_excel(data: bytes) -> List[Dict[str, Any]]:
    """Rows of the first sheet of an .xlsx file keyed by field name."""
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # openpyxl raises many types for a file that is not a workbook
        raise FaqError("无法读取 Excel 文件，请上传 .xlsx 格式") from error
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return _records(rows[0], rows[1:]) if rows else []


def _text(value: Any) -> str:
    return "" if value is None else _restore(str(value).strip())


def _date(value: Any, label: str) -> Optional[datetime.date]:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError as error:
        raise FaqError(f"{label}格式应为 2026-01-31") from error


def _fields(record: Dict[str, Any]) -> EntryFields:
    return EntryFields(
        question=_text(record.get("question")),
        answer=_text(record.get("answer")),
        category=_text(record.get("category")),
        similar_questions=_text(record.get("similar_questions")).splitlines(),
        department_code=_text(record.get("department_code")) or None,
        item_keys=[k.strip() for k in _text(record.get("item_keys")).replace("，", ",").split(",") if k.strip()],
        effective_from=_date(record.get("effective_from"), "生效日期"),
        expires_on=_date(record.get("expires_on"), "失效日期"),
    )


def _status(record: Dict[str, Any]) -> Optional[str]:
    text = _text(record.get("status"))
    if text and text not in _STATUS_BY_TEXT:
        raise FaqError(f"状态应为 草稿/已发布/已下线，而不是“{text}”")
    return _STATUS_BY_TEXT.get(text)


def import_records(session: Session, records: List[Dict[str, Any]], actor: str) -> ImportReport:
    """Create or update entries from parsed rows; all-or-nothing (see the module docstring)."""
    report = ImportReport()
    planned = []
    for number, record in enumerate(records, start=2):  # row 1 is the header
        if not any(_text(v) for v in record.values()):
            continue
        try:
            key = _text(record.get("key")) or None
            existing = session.query(FaqEntry).filter_by(key=key).one_or_none() if key else None
            data = validate_fields(session, _fields(record), existing.id if existing else None)
            planned.append((number, key, existing, data, _status(record)))
        except FaqError as error:
            report.errors.append(f"第{number}行：{error}")
    if report.errors:
        return report
    for number, key, existing, data, status in planned:
        try:
            report_list = _apply(session, key, existing, data, status, actor)
        except FaqError as error:  # e.g. two rows with the same new question
            report.errors.append(f"第{number}行：{error}")
            raise FaqError("；".join(report.errors)) from error
        getattr(report, report_list[0]).append(report_list[1])
    return report


def _apply(
    session: Session,
    key: Optional[str],
    existing: Optional[FaqEntry],
    data: EntryFields,
    status: Optional[str],
    actor: str,
) -> Tuple[str, str]:
    if existing is None:
        entry = create_entry(session, actor, data, key=key, status=status or "draft", action="import")
        return "created", entry.key
    before = existing.version
    update_entry(session, existing.id, actor, action="import", **vars(data))
    if status and status != existing.status:
        set_status(session, existing.id, status, actor)
    return ("updated" if existing.version != before else "unchanged"), existing.key


def import_csv(session: Session, data: bytes, actor: str) -> ImportReport:
    """Import a CSV file in the export format."""
    return import_records(session, read_csv(data), actor)


def import_excel(session: Session, data: bytes, actor: str) -> ImportReport:
    """Import an .xlsx file in the export format."""
    return import_records(session, read_excel(data), actor)


def load_seed_entries(directory: Path = FAQ_DIR) -> List[Dict[str, Any]]:
    """Every entry of the seed files, each with its file's category and default department.

    Facts written as placeholders in an answer (``{{phone:GA}}``, see :mod:`govservice.catalog.facts`)
    are filled in from their one source.

    Raises:
        FaqError: a duplicate key, an entry without key, question or answer, or an unknown fact.
    """
    entries: List[Dict[str, Any]] = []
    seen = set()
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in data.get("entries") or []:
            key = raw.get("key")
            if not key or not raw.get("question") or not raw.get("answer"):
                raise FaqError(f"{path.name}：条目 {key or '（无键）'} 缺少键、标准问题或答案")
            if key in seen:
                raise FaqError(f"{path.name}：键 {key} 重复")
            seen.add(key)
            try:
                answer = facts.expand(str(raw["answer"]))
            except facts.FactError as error:
                raise FaqError(f"{path.name}：条目 {key} 的答案引用了不存在的事实 {error}") from None
            entries.append(
                {"category": data["category"], "department": data.get("department"), **raw, "answer": answer}
            )
    return entries


def seed_faq(session: Session, directory: Path = FAQ_DIR) -> int:
    """Insert the seed entries whose key is not in the database yet; return how many.

    Idempotent, and it never overwrites: an entry staff edited or retired keeps their version.
    """
    existing = {key for (key,) in session.query(FaqEntry.key)}
    inserted = 0
    for raw in load_seed_entries(directory):
        if raw["key"] in existing:
            continue
        data = EntryFields(
            question=raw["question"],
            answer=raw["answer"],
            category=raw["category"],
            similar_questions=list(raw.get("similar") or []),
            department_code=raw.get("department"),
            item_keys=list(raw.get("items") or []),
            effective_from=raw.get("effective_from"),
            expires_on=raw.get("expires_on"),
        )
        try:
            create_entry(session, SEED_ACTOR, data, key=raw["key"], status=raw.get("status", PUBLISHED))
        except FaqError as error:
            raise FaqError(f"FAQ 种子条目 {raw['key']}：{error}") from error
        inserted += 1
    return inserted
