"""One source per fact: a department's or hall's phone, hours and address, an item's time limits.

Departments (``departments.yml``) own their contacts; the city block there owns the hotline and
the area code; a hall run by one department (``department:`` in ``halls.yml``) takes that
department's phone and hours instead of repeating them; items (``catalog/*.yml``) own their time
limits. Texts written elsewhere refer to a fact instead of copying it: a FAQ seed answer says
``{{phone:GA}}`` or ``{{promised:id_card_lost}}`` and :func:`expand` writes the current value in.

Placeholders: ``phone``, ``hours``, ``address`` of a department code or a hall name; ``promised``,
``legal`` of an item key (“15个工作日” or “即办（当场办结）”); ``hotline``, ``hotline_remote``
with the key ``city``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Tuple

import yaml

from govservice import settings
from govservice.catalog.guide import days_text
from govservice.catalog.knowledge import load_knowledge_base

PLACEHOLDER = re.compile(r"\{\{(\w+):([^{}]+?)\}\}")
"""``{{kind:key}}`` in a text that refers to a fact."""


class FactError(KeyError):
    """A placeholder names a fact no source has."""


def _read(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=4)
def _sources(directory: Path) -> Tuple[Dict[str, Any], Dict[str, Dict[str, Any]], Dict[str, Dict[str, Any]]]:
    """(city, departments by code, items by key with their department code), from the knowledge base."""
    kb = load_knowledge_base(directory)
    city_block = dict(_read(directory / "departments.yml").get("city") or {})
    return city_block, {str(d["code"]): d for d in kb.departments}, dict(kb.item_by_key)


def city() -> Dict[str, Any]:
    """The city block of ``departments.yml``: name, area code, hotline."""
    return _sources(settings.current().knowledge_base)[0]


def departments() -> Dict[str, Dict[str, Any]]:
    """Every department of ``departments.yml`` by code."""
    return _sources(settings.current().knowledge_base)[1]


def items() -> Dict[str, Dict[str, Any]]:
    """Every catalog item by key, with its department code under ``department``."""
    return _sources(settings.current().knowledge_base)[2]


def fact(kind: str, key: str) -> str:
    """The current value of one fact.

    Raises:
        FactError: unknown kind or key.
    """
    from govservice.catalog.halls import hall_named  # halls derive from departments, so imported late

    _, depts, items = _sources(settings.current().knowledge_base)
    key = key.strip()
    if kind in ("hotline", "hotline_remote") and key == "city":
        hotline = str(city().get("hotline") or "")
        return hotline if kind == "hotline" else f"{city().get('area_code')}-{hotline}"
    if kind in ("promised", "legal") and key in items:
        return days_text(int(items[key][f"{kind}_limit_days"]))
    fields = {"phone": ("consult_phone", "phone"), "hours": ("office_hours", "office_hours")}
    fields["address"] = ("window_address", "address")
    if kind in fields and key in depts:
        return str(depts[key][fields[kind][0]])
    hall = hall_named(key) if kind in fields else None
    if hall is not None:
        return str(getattr(hall, fields[kind][1]))
    raise FactError(f"{{{{{kind}:{key}}}}}：没有这项事实（部门代码、大厅名称或事项键不对？）")


def expand(text: str) -> str:
    """Write the current value of every ``{{kind:key}}`` into ``text``.

    Raises:
        FactError: a placeholder names a fact no source has.
    """
    return PLACEHOLDER.sub(lambda m: fact(m.group(1), m.group(2)), text or "")
