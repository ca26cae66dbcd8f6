"""新生儿出生一件事: each parent's materials, the stated alternatives, and the texts that explain them."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import pytest

from govservice.applications.newborn_materials import (
    HELD,
    STATEMENT,
    UPLOAD,
    explain_newborn,
    materials_for,
    newborn_needs,
    render_plan,
    statement_text,
)
from govservice.catalog.models import ServiceItem
from govservice.db import session_scope

ALL_HELD: Dict[str, Optional[int]] = {"出生医学证明": 1, "居民身份证": 2, "居民户口簿": 3, "结婚证": 4}


def _needs(role: str, marriage: str, settle: str, held: Dict[str, Optional[int]] = ALL_HELD) -> List[Tuple[str, str]]:
    return [(n.label, n.status) for n in newborn_needs(role, held, {"marriage": marriage, "settle_with": settle})]


def test_a_married_father_registering_the_child_with_him() -> None:
    assert _needs("父亲", "已登记结婚", "随父") == [
        ("新生儿的出生医学证明", HELD),
        ("父亲（您本人）的居民身份证", HELD),
        ("母亲的居民身份证", UPLOAD),  # the other parent's certificates are not in his library
        ("落户方父亲（您本人）的居民户口簿", HELD),
        ("父母结婚证", HELD),
    ]


def test_the_household_register_follows_the_choice_and_what_is_not_held_is_uploaded() -> None:
    held = {**ALL_HELD, "结婚证": None}
    assert _needs("父亲", "已登记结婚", "随母", held)[3:] == [
        ("落户方母亲的居民户口簿", UPLOAD),
        ("父母结婚证", UPLOAD),
    ]
    assert _needs("母亲", "已登记结婚", "随母", held)[1:4] == [
        ("母亲（您本人）的居民身份证", HELD),
        ("父亲的居民身份证", UPLOAD),
        ("落户方母亲（您本人）的居民户口簿", HELD),
    ]


@pytest.mark.parametrize(
    ("settle", "extra"),
    [
        ("随母", [("《非婚生育说明》", STATEMENT)]),
        ("随父", [("《非婚生育说明》", STATEMENT), ("亲子鉴定证明（非婚生育随父落户）", UPLOAD)]),
    ],
)
def test_a_non_marital_birth_signs_a_statement_instead_and_a_father_registration_needs_a_paternity_test(
    settle: str, extra: List[Tuple[str, str]]
) -> None:
    assert _needs("母亲", "非婚生育", settle)[4:] == extra


def test_choices_not_made_yet_leave_their_materials_out() -> None:
    assert [n.key for n in newborn_needs("父亲", ALL_HELD, {})] == ["birth", "applicant_id", "other_id"]


def test_the_statement_names_the_child_and_the_other_parent() -> None:
    text = statement_text("李四", {"child_name": "李小满", "mother_name": "陈晓"}, "父亲")
    assert text.startswith("本人李四声明：新生儿李小满系本人与陈晓非婚生育的子女")


def test_each_item_gets_the_materials_it_asks_for(catalog) -> None:  # type: ignore[no-untyped-def]
    needs = newborn_needs("父亲", ALL_HELD, {"marriage": "非婚生育", "settle_with": "随父"})
    with session_scope() as session:
        found = {
            key: {
                need: [m.name for m in materials]
                for need, materials in materials_for(session.get(ServiceItem, key), needs).items()
            }
            for key in ("birth_registration", "medical_insurance_enrol", "social_security_card")
        }
    assert found["birth_registration"] == {
        "birth": ["出生医学证明"],
        "applicant_id": ["父母双方居民身份证"],
        "other_id": ["父母双方居民身份证"],
        "household": ["落户方居民户口簿"],
        "statement": ["《非婚生育说明》"],
        "paternity": ["亲子鉴定证明"],
    }
    assert {k: v for k, v in found["medical_insurance_enrol"].items() if v} == {"birth": ["出生医学证明"]}
    card = {k: v for k, v in found["social_security_card"].items() if v}
    assert card == {"birth": ["出生医学证明"], "applicant_id": ["监护人或代办人居民身份证"]}


def test_the_explanation_before_login_and_the_plan_after(catalog) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        text = explain_newborn(session)
        plan = render_plan(session, newborn_needs("父亲", {**ALL_HELD, "结婚证": None}, {}), "Q3*********16")
    for expected in ("出生登记（示范市公安局（户政））", "城乡居民基本医疗保险参保登记", "社会保障卡申领"):
        assert expected in text and expected in plan
    assert "出生医学证明——医院签发后汇聚到电子证照库" in text and "从本人电子证照库调取" in text
    assert "《非婚生育说明》" in text and "随父落户的还需上传亲子鉴定证明" in text and "随父或随母落户" in text
    assert "· 新生儿的出生医学证明（编号Q3*********16）：✅ 电子证照库已有，免提交" in plan
    assert "· 母亲的居民身份证：📎 需上传照片或扫描件" in plan
    assert len(text.encode()) < 2048 and len(plan.encode()) < 2048
