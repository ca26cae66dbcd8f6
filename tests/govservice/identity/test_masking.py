"""Masking of identifiers and free-text redaction: the one normaliser, in every typed form."""

from __future__ import annotations

from typing import Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govservice.identity.masking import (
    find_identifiers,
    fold_text,
    mask_certificate_number,
    mask_credit_code,
    mask_id_number,
    mask_identifier,
    mask_phone,
    redact_text,
)
from tests.pii_strategies import CONTEXT, codes, identifiers, ordinary_numbers, typed

ID = "11010519491231002X"
PHONE = "13800138000"
CREDIT = "91350100M000100Y43"


def test_mask_functions() -> None:
    assert mask_id_number(ID) == "110105********002X"
    assert mask_id_number("610104620927690") == "610104******690"
    assert mask_phone(PHONE) == "138****8000"
    assert mask_phone("138 0013 8000") == "138****8000"
    assert mask_phone("0999-12345") == "*****2345"
    assert mask_credit_code(CREDIT) == "913501********0Y43"
    assert mask_certificate_number("J440300-2015-001234") == "J4" + "*" * 15 + "34"
    assert mask_certificate_number("E12345678") == "E1*****78"
    assert mask_certificate_number("12345678") == "12****78"
    assert mask_certificate_number("A1234") == "*****"
    assert mask_certificate_number("") == ""
    assert mask_identifier(ID) == "110105********002X"
    assert mask_identifier(CREDIT) == "913501********0Y43"
    assert mask_identifier(PHONE) == "138****8000"
    assert mask_identifier("F35010021") == "F3*****21"


def test_redact_text_masks_every_kind() -> None:
    text = f"我的身份证是{ID.lower()}，老号码610104620927690，手机{PHONE}，也可打+86 139-0013-9000，公司代码{CREDIT}。"
    redacted = redact_text(text)
    for raw in (ID, ID.lower(), "610104620927690", PHONE, "13900139000", "139-0013-9000", CREDIT):
        assert raw not in redacted
    assert "110105********002x" in redacted and "138****8000" in redacted and "913501********0Y43" in redacted
    assert "139****9000" in redacted


def test_redact_text_leaves_other_numbers() -> None:
    for text in (
        "订单号1234567890123456789",  # 19 digits: not an ID
        "流水号12345678901234567890",
        "咨询电话0999-12345，办件编号SQ20240612000123",
        "金额12800元，2024-06-12",
        "",
    ):
        assert redact_text(text) == text
    assert redact_text(f"a{ID}b") == "a110105********002Xb"


# The forms of issue 12, item 11: spaced, hyphenated, full-width and mixed.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证3501 0420 1010 1441 23请查", "身份证350104********4123请查"),
        ("１１０１０５１９４９１２３１００２Ｘ", "110105********002X"),
        ("110105-19491231-002x", "110105********002x"),
        ("１１０１０５ 1949１２３１ 002X", "110105********002X"),
        ("3501 0420 1010 1441 2X", "350104********412X"),
        ("电话138-1234-5678", "电话138****5678"),
        ("电话138 1234 5678，", "电话138****5678，"),
        ("１３８\u3000１２３４\u3000５６７８", "138****5678"),
        ("138－1234 ５６７８", "138****5678"),
        ("1381-234-5678，1381234 5678，138 12345678", "138****5678，138****5678，138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("0086-13812345678", "0086-138****5678"),
        ("8613812345678", "86138****5678"),
        ("9135 0100 M000 100Y 43", "913501********0Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "913501********0Y43"),
        ("2024-06-12 13800138000", "2024-06-12 138****8000"),
    ],
)
def test_spaced_hyphenated_and_full_width_numbers_are_masked(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_codes_are_masked_at_login_or_after_a_code_word_only() -> None:
    assert redact_text("验证码是 483 920") == "验证码是 ******"
    assert redact_text("我的验证码４８３９２０收不到") == "我的验证码******收不到"
    assert redact_text("483920") == "483920"  # a postcode, an amount...
    assert redact_text("483920", codes=True) == "******"
    assert redact_text("邮编350001，验证码483920", codes=True) == "邮编******，验证码******"


@pytest.mark.parametrize(
    "text",
    [
        "申请编号20261128GA000001已受理",
        "办件编号SQ20261128000123",
        "2026-11-28 09:00至2026-12-01 17:00",
        "咨询电话0591-87654321，12345热线",
        "证照编号J440300-2015-001234",
        "1 3 5 7 9 11 13 15",
        "第1-3个工作日，金额12,800.00元，邮编350001",
        "、0275-50315755 029427",  # 18 characters in groups with a valid credit-code check character
        "邮编130000 12345",  # a postcode and the hotline: 11 digits, but no mobile's grouping
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


GLUE = "，。：、 办理时间电话金额编号至于"  # words between numbers, a space included


def _compact(text: str) -> str:
    return "".join(c for c in fold_text(text) if c.isalnum()).upper()


@pytest.mark.fuzz
@given(identifier=identifiers(), before=CONTEXT, after=CONTEXT)
def test_any_typed_form_of_an_identifier_is_masked(identifier: Tuple[str, str, str], before: str, after: str) -> None:
    shown, value, kind = identifier
    expected = {"id": mask_id_number, "credit": mask_credit_code, "mobile": mask_phone}[kind](value)
    redacted = redact_text(before + shown + after)
    assert value not in _compact(redacted)
    assert redacted.startswith(before) and redacted.endswith(after)  # the words around stay
    assert expected.upper() in redacted.upper()
    assert redact_text(redacted) == redacted  # masking twice changes nothing


@pytest.mark.fuzz
@given(data=st.data())
def test_a_code_typed_at_a_login_prompt_is_masked_in_any_form(data: st.DataObject) -> None:
    code = data.draw(codes())
    redacted = redact_text(data.draw(typed(code)), codes=True)
    assert code not in _compact(redacted) and "******" in redacted


@pytest.mark.fuzz
@given(
    numbers=st.lists(ordinary_numbers(), min_size=1, max_size=4),
    glue=st.lists(st.text(alphabet=GLUE, min_size=1, max_size=4), min_size=4, max_size=4),
)
def test_dates_amounts_and_application_numbers_survive(numbers: list, glue: list) -> None:
    text = "".join(g + n for g, n in zip(glue[: len(numbers)], numbers, strict=True))
    assert redact_text(text) == text
    assert find_identifiers(text) == []


def test_groups_dashed_to_other_numbers_are_no_mobile() -> None:
    # Found by the full property run: a landline and a date next to each other.
    assert redact_text("、2000-01-01、010-1300000 2000-01-01") == "、2000-01-01、010-1300000 2000-01-01"
    assert redact_text("+86-138-1234-5678") == "+86-138****5678"  # a country code still belongs to it
