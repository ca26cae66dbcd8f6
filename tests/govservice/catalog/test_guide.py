"""Chat formatting of 办事指南 answers."""

from __future__ import annotations

import re

import pytest

from govservice.catalog import guide
from govservice.catalog.lookup import Catalog


def test_materials_are_a_numbered_list_of_every_material(catalog: Catalog) -> None:
    item = catalog.get("id_card_lost")
    text = guide.answer(item, "materials")
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", text, flags=re.M)]
    assert numbers == list(range(1, len(item.materials) + 1))
    for material in item.materials:
        assert material.name in text
    assert guide.DISCLAIMER in text


def test_fee_states_amount_or_free(catalog: Catalog) -> None:
    for item in catalog.items.values():
        text = guide.answer(item, "fee")
        if guide.is_imported(item):  # the published records give no fee: never claimed to be free
            assert "办事指南未载明" in text and "不收费" not in text
        else:
            assert ("不收费" in text) if item.fee == 0 else (f"{item.fee.normalize():f}元" in text)


def test_location_names_department_address_hours_and_phone(catalog: Catalog) -> None:
    item = catalog.get("residence_permit")
    text = guide.answer(item, "location")
    for part in (item.department.name, item.address, item.hours, item.phone):
        assert part in text


@pytest.mark.parametrize("aspect", guide.ASPECTS)
def test_every_aspect_renders_for_every_item(catalog: Catalog, aspect: str) -> None:
    for item in catalog.items.values():
        text = guide.answer(item, aspect)
        assert item.name in text and len(text.encode()) < 2048


def test_time_limits_in_working_days() -> None:
    assert guide.days_text(0) == "即办（当场办结）"
    assert guide.days_text(20) == "20个工作日"


def test_which_item_question_names_the_candidates(catalog: Catalog) -> None:
    candidates = catalog.resolve(["居民身份证"], "身份证").candidates
    first = str(candidates[0].name)
    choices = "、".join(f"「{c.name}」" for c in candidates)
    assert guide.which_item_question(candidates) == (
        f"您问的是{choices}中的哪一项？请连同事项名称再问一次，比如“{first}要带什么材料”。"
    )
    assert guide.which_item_question([]) == "您问的是哪个事项？请连同事项名称再问一次，比如“居住证申领要带什么材料”。"
