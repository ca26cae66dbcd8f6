"""Shared set-up for the FAQ tests: a fresh database with the catalog and, optionally, the seed FAQ."""

from __future__ import annotations

from typing import Any, Callable

from govservice.faq.workflow import EntryFields
from govservice.seed import init_db


def fresh_db(create: Callable[[str], str], seed: bool = False) -> str:
    """A new database from ``create`` with the catalog (and the seed FAQ when ``seed``); returns its URL."""
    url = create("faq")
    init_db(url, faq=seed)
    return url


def fields(**overrides: Any) -> EntryFields:
    """Valid entry fields about a fictional library, unlike anything in the seed files."""
    values: dict = {
        "question": "示范市图书馆星期一开门吗？",
        "answer": "示范市图书馆周一闭馆，周二至周日 9:00-21:00 开放（示例）。",
        "category": "公共文化",
        "similar_questions": ["图书馆周一开不开", "图书馆休息日是哪天"],
        "department_code": None,
        "item_keys": [],
    }
    values.update(overrides)
    return EntryFields(**values)
