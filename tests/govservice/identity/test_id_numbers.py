"""Citizen ID and credit code validation against the shared test vectors and the documented policy."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from stdnum.cn import uscc

from govservice.identity.id_numbers import (
    CITIZEN_ID_MESSAGES,
    IdentifierError,
    birth_date,
    citizen_id_message,
    credit_code_message,
    gender,
    id_policy_text,
    is_valid_citizen_id,
    is_valid_credit_code,
    normalize_citizen_id,
    normalize_credit_code,
)

# A verbatim copy of the team's shared id_vectors.json; sources and licences are inside the file
# ("sources") and in tests/VECTORS.md.
VECTORS_PATH = Path(__file__).with_name("id_vectors.json")
VECTORS: Dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
RIC = VECTORS["resident_id"]

# Every number of the vector file that the policy accepts, with the reason.
ACCEPTED = {
    "360426199101010071": "valid for python-stdnum and id-validator",
    "44011320141005001x": "valid; a lowercase x is accepted as X",
    "110101199003078670": "valid for both libraries",
    "440308199901101512": "valid for both libraries",
    "140120197901010008": "historical code 太原市市区, known to stdnum for 1979",
    "500154199804106120": "开州区 code is [2016-] in stdnum; county unknown for the birth year only",
    "500154199301135886": "开州区 code is [2016-] in stdnum; county unknown for the birth year only",
    "411082198901010002": "长葛市 code is [1993-] in stdnum; county unknown for the birth year only",
    "44040119580101000X": "historical code 珠海市市辖区 ([1984-] in stdnum), on real cards",
    "441282198101011230": "罗定市 code is [1993-1994] in stdnum; county unknown for the birth year only",
    "810000199408230021": "Hong Kong/Macao residence permit (810000), valid since 2018",
    "830000199201300022": "Taiwan residence permit (830000), valid since 2018",
}
# Numbers a library accepts that the policy rejects, with the code given.
POLICY_REJECTED = {"610104620927690": "legacy15"}


def _invalid_cases() -> List[Dict[str, Any]]:
    cases = [c for c in RIC["python_stdnum_cases"] if c["call"] == "validate" and "expect_exception" in c]
    for key in ("id_validator_php_isValid", "id_validator_py_is_valid"):
        cases += [c for c in RIC[key] if not c["expect_valid"] and not c["strict_mode"]]
    unique: Dict[str, Dict[str, Any]] = {}
    for case in cases:
        unique.setdefault(case["input"], case)
    return list(unique.values())


def _expected_code(case: Dict[str, Any]) -> str:
    """Derive the code from the vector's independent checks, in the policy's check order."""
    number = case["input"].replace(" ", "").upper()
    check = case.get("independent_check", {})
    if len(number) == 15 and number.isdigit():
        return "legacy15"  # length is checked first, whatever else is wrong
    if len(number) != 18:
        return "length"
    if check.get("format_ok") is False or not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return "format"
    if check.get("date_ok") is False:
        return "date"  # checked before the checksum, so it wins when both fail
    if check.get("checksum_ok") is False:
        return "checksum"
    # Format, date and checksum are fine: stdnum rejects the birth place (e.g. province 99).
    assert case.get("expect_exception", case.get("observed_python_stdnum_2_2")) == "InvalidComponent"
    return "region"


INVALID = _invalid_cases()


def test_vector_file_has_the_expected_cases() -> None:
    assert len(INVALID) >= 9
    assert {_expected_code(c) for c in INVALID} >= {"length", "format", "legacy15", "date", "region", "checksum"}


@pytest.mark.parametrize("case", INVALID, ids=[c["input"] for c in INVALID])
def test_invalid_vectors_get_the_specific_code_and_message(case: Dict[str, Any]) -> None:
    code = _expected_code(case)
    with pytest.raises(IdentifierError) as err:
        normalize_citizen_id(case["input"])
    length = len(case["input"].replace(" ", ""))
    assert (err.value.code, err.value.message) == (code, citizen_id_message(code, length))
    assert str(err.value) == err.value.message


@pytest.mark.parametrize("number", sorted(ACCEPTED))
def test_policy_accepts(number: str) -> None:
    assert normalize_citizen_id(number) == number.upper()


def test_every_vector_is_either_rejected_or_listed() -> None:
    inputs = {c["input"] for c in RIC["python_stdnum_cases"] if c["call"] == "validate"}
    for key in ("id_validator_php_isValid", "id_validator_py_is_valid"):
        inputs |= {c["input"] for c in RIC[key]}
    invalid = {c["input"] for c in INVALID}
    assert inputs - invalid == set(ACCEPTED) | set(POLICY_REJECTED)
    for number, code in POLICY_REJECTED.items():
        with pytest.raises(IdentifierError) as err:
            normalize_citizen_id(number)
        assert err.value.code == code


def test_examples_of_each_message() -> None:
    with pytest.raises(IdentifierError) as err:
        normalize_citizen_id("44030819990110")
    assert err.value.message == "身份证号码应为18位，您输入的是14位，请核对后重新输入。"
    with pytest.raises(IdentifierError) as err:
        normalize_citizen_id("440308199901101513")
    assert err.value.message == "身份证号码最后一位校验码不正确，请检查是否有数字输错。"
    with pytest.raises(IdentifierError) as err:
        normalize_citizen_id("610104620932690")
    assert "15位" in err.value.message and "18位" in err.value.message
    for raw, code in [
        ("", "empty"),
        ("   ", "empty"),
        ("11010519491231002Y", "format"),
        ("1101051949123100XX", "format"),
    ]:
        with pytest.raises(IdentifierError) as err:
            normalize_citizen_id(raw)
        assert (err.value.code, err.value.message) == (code, CITIZEN_ID_MESSAGES[code])


def test_lowercase_x_full_width_and_separators() -> None:
    expected = "11010519491231002X"
    for raw in [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105 19491231 002X",
        "110105-19491231-002x",
        " 11010519491231002X\u3000",
    ]:
        assert normalize_citizen_id(raw) == expected


def test_future_birth_date_and_region_rules() -> None:
    future = "11010520990101001"
    from stdnum.cn import ric

    with pytest.raises(IdentifierError) as err:
        normalize_citizen_id(future + ric.calc_check_digit(future + "0"))
    assert err.value.code == "date"
    born = "110105" + "20200101" + "001"
    number = born + ric.calc_check_digit(born + "0")
    with pytest.raises(IdentifierError):
        normalize_citizen_id(number, today=datetime.date(2019, 12, 31))
    assert normalize_citizen_id(number, today=datetime.date(2020, 1, 1)) == number
    for address in ("810101", "820100", "990426", "000000", "160101"):
        body = address + "19900101001"
        with pytest.raises(IdentifierError) as err:
            normalize_citizen_id(body + ric.calc_check_digit(body + "0"))
        assert err.value.code == "region", address
    for address in ("111111", "110199", "440399"):  # real province, code never used: after the checksum
        body = address + "19900101001"
        with pytest.raises(IdentifierError) as err:
            normalize_citizen_id(body + ric.calc_check_digit(body + "0"))
        assert err.value.code == "region", address
    body = "820000" + "19900101002"
    assert is_valid_citizen_id(body + ric.calc_check_digit(body + "0"))


def test_birth_date_and_gender() -> None:
    assert birth_date("11010519491231002x") == datetime.date(1949, 12, 31)
    assert gender("11010519491231002X") == "女"
    assert gender("440308199901101512") == "男"
    with pytest.raises(IdentifierError):
        gender("440308199901101513")


def test_uscc_valid_list_and_cases() -> None:
    valid = [c["input"] for c in VECTORS["uscc"]["python_stdnum_valid_list"]]
    assert len(valid) == VECTORS["uscc"]["valid_list_count"] == 200
    assert all(normalize_credit_code(code) == code for code in valid)
    for case in VECTORS["uscc"]["python_stdnum_cases"]:
        if case["call"] != "validate":
            continue
        if "expect" in case:
            assert normalize_credit_code(case["input"]) == case["expect"].strip("'")
        else:
            code = {"InvalidLength": "length", "InvalidFormat": "format", "InvalidChecksum": "checksum"}
            with pytest.raises(IdentifierError) as err:
                normalize_credit_code(case["input"])
            assert err.value.code == code[case["expect_exception"]]
            assert err.value.message == credit_code_message(err.value.code, len(case["input"]))


def test_uscc_mutations_fail_with_checksum() -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    valid = [c["input"] for c in VECTORS["uscc"]["python_stdnum_valid_list"]][:40]
    for i, code in enumerate(valid):
        position = 8 + i % 9  # inside the organisation code section
        old = code[position]
        new = alphabet[(alphabet.index(old) + 1 + i % 5) % 31]
        mutated = code[:position] + new + code[position + 1 :]
        with pytest.raises(IdentifierError) as err:
            normalize_credit_code(mutated)
        assert err.value.code == "checksum", mutated
        assert err.value.message == "统一社会信用代码最后一位校验码不正确，请检查是否有字符输错。"


def test_uscc_normalization_and_messages() -> None:
    assert normalize_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert normalize_credit_code("91-350100-M000100Y43") == "91350100M000100Y43"
    assert is_valid_credit_code("91350100M000100Y43") and not is_valid_credit_code("91350100M000100Y44")
    with pytest.raises(IdentifierError) as err:
        normalize_credit_code("91350100M0001O0Y43")
    assert err.value.code == "format" and "I、O、S、V、Z" in err.value.message
    with pytest.raises(IdentifierError) as err:
        normalize_credit_code("9135")
    assert err.value.message == "统一社会信用代码应为18位，您输入的是4位，请核对后重新输入。"
    with pytest.raises(IdentifierError) as err:
        normalize_credit_code("")
    assert err.value.code == "empty"
    assert uscc.is_valid("91350100M000100Y43")


def test_policy_text_mentions_every_rule() -> None:
    text = id_policy_text()
    for phrase in ("小写 x", "15位", "810000", "820000", "830000", "校验码", "440401"):
        assert phrase in text
    import govservice.identity.id_numbers as identity

    assert "810000" in (identity.__doc__ or "") and "lowercase" in (identity.__doc__ or "")
