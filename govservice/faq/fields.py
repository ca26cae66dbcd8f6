"""The editable fields of an FAQ entry and their validation, with Chinese messages for staff."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields, replace
from typing import Dict, Iterable, List, Optional

from sqlalchemy.orm import Session

from govservice.catalog.models import Department, ServiceItem
from govservice.catalog.text import normalize
from govservice.faq.models import RETIRED, FaqEntry

MAX_QUESTION_CHARS = 200
MAX_ANSWER_CHARS = 5000
MAX_SIMILAR = 50
FIELD_LABELS: Dict[str, str] = {
    "key": "键",
    "question": "标准问题",
    "similar_questions": "相似问法",
    "answer": "答案",
    "category": "分类",
    "department_code": "所属部门",
    "item_keys": "相关事项",
    "effective_from": "生效日期",
    "expires_on": "失效日期",
    "status": "状态",
}
"""Chinese names of the entry fields, for the console and the audit log."""


class FaqError(ValueError):
    """A change the FAQ refuses; ``str(error)`` is a Chinese message for staff."""


@dataclass
class EntryFields:
    """The editable content of an entry, as staff type it (validated by :func:`validate_fields`)."""

    question: str
    answer: str
    category: str
    similar_questions: List[str] = field(default_factory=list)
    department_code: Optional[str] = None
    item_keys: List[str] = field(default_factory=list)
    effective_from: Optional[datetime.date] = None
    expires_on: Optional[datetime.date] = None

    @classmethod
    def of(cls, entry: FaqEntry) -> EntryFields:
        """The current content of ``entry``."""
        return cls(**{f.name: getattr(entry, f.name) for f in fields(cls)})


def clean_questions(values: Iterable[str], standard: str = "") -> List[str]:
    """Strip, drop empties, duplicates (after normalization) and copies of the standard question."""
    seen = {normalize(standard)} if standard else set()
    kept = []
    for value in values:
        text = (value or "").strip()
        if text and normalize(text) not in seen:
            seen.add(normalize(text))
            kept.append(text)
    return kept


def validate_fields(session: Session, data: EntryFields, entry_id: Optional[int] = None) -> EntryFields:
    """Check and tidy the fields; return the cleaned copy.

    Raises:
        FaqError: with the first problem found, in Chinese.
    """
    question, answer, category = data.question.strip(), data.answer.strip(), data.category.strip()
    if not question:
        raise FaqError("标准问题不能为空")
    if len(question) > MAX_QUESTION_CHARS:
        raise FaqError(f"标准问题不能超过{MAX_QUESTION_CHARS}字")
    if not answer:
        raise FaqError("答案不能为空")
    if len(answer) > MAX_ANSWER_CHARS:
        raise FaqError(f"答案不能超过{MAX_ANSWER_CHARS}字")
    if not category:
        raise FaqError("请填写分类")
    similar = clean_questions(data.similar_questions, question)
    if len(similar) > MAX_SIMILAR:
        raise FaqError(f"相似问法最多{MAX_SIMILAR}条")
    too_long = next((q for q in similar if len(q) > MAX_QUESTION_CHARS), None)
    if too_long:
        raise FaqError(f"相似问法不能超过{MAX_QUESTION_CHARS}字：{too_long[:20]}…")
    department = (data.department_code or "").strip() or None
    if department and session.get(Department, department) is None:
        raise FaqError(f"部门代码 {department} 不存在")
    items = list(dict.fromkeys(k.strip() for k in data.item_keys if k and k.strip()))
    known = {k for (k,) in session.query(ServiceItem.key).filter(ServiceItem.key.in_(items))} if items else set()
    missing = [k for k in items if k not in known]
    if missing:
        raise FaqError(f"事项 {'、'.join(missing)} 不在事项目录中")
    if data.effective_from and data.expires_on and data.expires_on < data.effective_from:
        raise FaqError("失效日期不能早于生效日期")
    _check_duplicate_question(session, question, entry_id)
    return replace(
        data,
        question=question,
        answer=answer,
        category=category,
        similar_questions=similar,
        department_code=department,
        item_keys=items,
    )


def _check_duplicate_question(session: Session, question: str, entry_id: Optional[int]) -> None:
    wanted = normalize(question)
    live = session.query(FaqEntry.id, FaqEntry.question).filter(FaqEntry.status != RETIRED)
    for other_id, other_question in live:
        if other_id != entry_id and normalize(other_question) == wanted:
            raise FaqError(f"已有相同的标准问题：FAQ#{other_id}")
