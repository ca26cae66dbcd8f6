"""Reading the console's HTML forms into back-office values, with Chinese errors for bad input."""

from __future__ import annotations

import datetime
import re
from typing import Any, Dict, List, Optional

from sanic.request import Request

from govservice.faq.models import FaqEntry
from govservice.faq.workflow import EntryFields, FaqError

MAX_FIELD_CHARS = 6000  # above the longest answer the FAQ accepts, so its own message is shown
_LIST_SEPARATORS = re.compile(r"[,，;；\s]+")


def field(request: Request, name: str) -> str:
    """A form field as trimmed text ('' when missing), cut to a sane length."""
    value = request.form.get(name) if request.form else None
    return (value or "").strip()[:MAX_FIELD_CHARS]


def int_field(request: Request, name: str) -> Optional[int]:
    """A form field holding a positive integer, else None."""
    text = field(request, name)
    return int(text) if text.isdigit() and len(text) < 10 else None


def lines(text: str) -> List[str]:
    """Non-empty lines of a textarea."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def keys(text: str) -> List[str]:
    """Catalog item keys separated by commas, semicolons, spaces or new lines."""
    return [key for key in _LIST_SEPARATORS.split(text) if key]


def date_field(request: Request, name: str, label: str) -> Optional[datetime.date]:
    """A ``YYYY-MM-DD`` form field, None when empty.

    Raises:
        FaqError: a malformed date, in Chinese.
    """
    text = field(request, name)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise FaqError(f"{label}格式应为 2026-01-31") from None


def entry_fields(request: Request) -> EntryFields:
    """The FAQ entry form as :class:`EntryFields` (checked further by the back office).

    Raises:
        FaqError: a malformed date.
    """
    return EntryFields(
        question=field(request, "question"),
        answer=field(request, "answer"),
        category=field(request, "category"),
        similar_questions=lines(field(request, "similar_questions")),
        department_code=field(request, "department_code") or None,
        item_keys=keys(field(request, "item_keys")),
        effective_from=date_field(request, "effective_from", "生效日期"),
        expires_on=date_field(request, "expires_on", "失效日期"),
    )


FORM_FIELDS = ("question", "answer", "category", "similar_questions", "department_code", "item_keys",
               "effective_from", "expires_on", "version")


def raw_form(request: Request) -> Dict[str, str]:
    """What was typed, to show the form again after an error (escaped by the template)."""
    return {name: field(request, name) for name in FORM_FIELDS}


def empty_form(**values: str) -> Dict[str, str]:
    """A blank entry form, with ``values`` prefilled."""
    return {**{name: "" for name in FORM_FIELDS}, **values}


def entry_form(entry: FaqEntry) -> Dict[str, Any]:
    """An entry's current values as the form shows them."""
    return {
        "question": entry.question,
        "answer": entry.answer,
        "category": entry.category,
        "similar_questions": "\n".join(entry.similar_questions),
        "department_code": entry.department_code or "",
        "item_keys": ", ".join(entry.item_keys),
        "effective_from": entry.effective_from.isoformat() if entry.effective_from else "",
        "expires_on": entry.expires_on.isoformat() if entry.expires_on else "",
        "version": str(entry.version),
    }
