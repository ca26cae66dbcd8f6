"""Validation of citizen ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

Checksums, birth dates and the county table come from python-stdnum (``stdnum.cn.ric``,
``stdnum.cn.uscc``); nothing here re-implements a checksum.

Citizen ID policy (also returned by :func:`id_policy_text` for the README):

* Spaces and hyphens are removed, full-width digits and letters are converted to ASCII, and a
  lowercase ``x`` is accepted as the check character ``X``.
* Checks run in this order and the first failure is reported: length (a 15-digit number is
  ``legacy15``, any other length than 18 is ``length``), format (17 digits and a final digit or
  ``X``), birth date (a real calendar date, not in the future), province code, check character,
  full address code.
* 15-digit first-generation numbers are rejected, never upgraded: the person must give the
  18-digit number printed on the card they hold now.
* Hong Kong, Macao and Taiwan residence-permit numbers (港澳台居民居住证, issued since 2018) are
  accepted when the address code is exactly 810000, 820000 or 830000, although python-stdnum
  rejects them; any other address code starting with 81-83 is invalid.
* For other numbers the province (first two digits) must be real: 11-15, 21-23, 31-37, 41-46,
  50-54, 61-65, 71 (checked before the check character). After the check character, the full
  6-digit code must appear in python-stdnum's table of address codes for some year; a county
  code that was not yet or no longer in use in the birth year is accepted (historical codes stay
  on real cards, e.g. 440401 珠海市市辖区), although python-stdnum rejects such numbers.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Dict, Optional

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent, ValidationError

from govservice.clock import office_date

PROVINCE_CODES = frozenset(
    [f"{n}" for n in range(11, 16)]
    + [f"{n}" for n in range(21, 24)]
    + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)]
    + [f"{n}" for n in range(50, 55)]
    + [f"{n}" for n in range(61, 66)]
    + ["71"]
)
"""Province-level codes that appear in the first two digits of a citizen ID number."""

RESIDENCE_PERMIT_CODES: Dict[str, str] = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
"""Address codes of Hong Kong, Macao and Taiwan residents' residence-permit numbers."""

CITIZEN_ID_MESSAGES: Dict[str, str] = {
    "empty": "请输入18位身份证号码。",
    "length": "身份证号码应为18位，您输入的是{length}位，请核对后重新输入。",
    "legacy15": "您输入的是15位的第一代身份证号码，该号码已停止使用。请输入您现在所持身份证上的18位号码。",
    "format": "身份证号码应由17位数字加最后一位数字或X组成，不能含有其他字符，请核对后重新输入。",
    "date": "身份证号码中的出生日期（第7-14位）不是有效日期，请核对。",
    "region": "身份证号码前6位地址码无效，请核对。",
    "checksum": "身份证号码最后一位校验码不正确，请检查是否有数字输错。",
}
"""Chinese replies per error code; ``{length}`` is filled with the number of characters given."""

CREDIT_CODE_MESSAGES: Dict[str, str] = {
    "empty": "请输入18位统一社会信用代码。",
    "length": "统一社会信用代码应为18位，您输入的是{length}位，请核对后重新输入。",
    "format": "统一社会信用代码前8位应为数字，其余为数字或大写字母，且不使用字母I、O、S、V、Z，请核对后重新输入。",
    "checksum": "统一社会信用代码最后一位校验码不正确，请检查是否有字符输错。",
}
"""Chinese replies per error code for unified social credit codes."""

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_]+")
_ID_BODY = re.compile(r"^[0-9]{17}[0-9X]$")
_USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")


class IdentifierError(ValueError):
    """An identifier a person typed is invalid; ``message`` is the Chinese reply to show them.

    Attributes:
        code: one of "empty", "length", "format", "legacy15", "date", "region", "checksum".
        message: a specific Chinese explanation of what is wrong.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def citizen_id_message(code: str, length: int = 0) -> str:
    """Return the Chinese reply for a citizen ID error code.

    Args:
        code: an :class:`IdentifierError` code.
        length: the number of characters given (used by "length").

    Returns:
        The message text.
    """
    return CITIZEN_ID_MESSAGES[code].format(length=length)


def credit_code_message(code: str, length: int = 0) -> str:
    """Return the Chinese reply for a credit code error code.

    Args:
        code: "empty", "length", "format" or "checksum".
        length: the number of characters given (used by "length").

    Returns:
        The message text.
    """
    return CREDIT_CODE_MESSAGES[code].format(length=length)


def _clean(raw: str) -> str:
    """Apply NFKC (full-width to ASCII), drop spaces and hyphens, upper-case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return _SEPARATORS.sub("", text).upper()


def _address_code_known(address: str) -> bool:
    """Return whether python-stdnum's address table has this 6-digit code for any year."""
    parts = numdb.get("cn/loc").info(address)
    return any("county" in props for _part, props in parts)


def _id_error(code: str, length: int = 0) -> IdentifierError:
    return IdentifierError(code, citizen_id_message(code, length))


def normalize_citizen_id(raw: str, *, today: Optional[datetime.date] = None) -> str:
    """Normalize and validate a citizen ID number under the module's policy.

    Args:
        raw: what the person typed (may contain spaces, hyphens, full-width digits, a lowercase x).
        today: the reference date for "birth date in the future"; the office's today by default.

    Returns:
        The 18-character number with an upper-case ``X``.

    Raises:
        IdentifierError: with the code of the first failed check.
    """
    number = _clean(raw)
    if not number:
        raise _id_error("empty")
    if len(number) == 15 and number.isdigit():
        raise _id_error("legacy15")
    if len(number) != 18:
        raise _id_error("length", len(number))
    if not _ID_BODY.match(number):
        raise _id_error("format")
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        raise _id_error("date") from None
    if born > (today or office_date()):
        raise _id_error("date")
    address, province = number[:6], number[:2]
    if address not in RESIDENCE_PERMIT_CODES:
        if province in ("81", "82", "83") or province not in PROVINCE_CODES:
            raise _id_error("region")
    if number[-1] != ric.calc_check_digit(number):
        raise _id_error("checksum")
    if address in RESIDENCE_PERMIT_CODES:
        return number  # not in python-stdnum's table; accepted by policy
    if not _address_code_known(address):
        raise _id_error("region")
    try:
        ric.validate(number)
    except InvalidComponent:
        pass  # a county code not in use in the birth year: accepted by policy
    return number


def normalize_credit_code(raw: str) -> str:
    """Normalize and validate a unified social credit code (统一社会信用代码).

    Args:
        raw: what the person typed (spaces, hyphens, lowercase and full-width are tolerated).

    Returns:
        The 18-character upper-case code.

    Raises:
        IdentifierError: code "empty", "length", "format" or "checksum".
    """
    code = _clean(raw)
    if not code:
        raise IdentifierError("empty", credit_code_message("empty"))
    if len(code) != 18:
        raise IdentifierError("length", credit_code_message("length", len(code)))
    if not code[:8].isdigit() or not code.isascii() or any(c not in _USCC_ALPHABET for c in code):
        raise IdentifierError("format", credit_code_message("format"))
    if code[-1] != uscc.calc_check_digit(code):
        raise IdentifierError("checksum", credit_code_message("checksum"))
    return str(uscc.validate(code))


def is_valid_citizen_id(raw: str) -> bool:
    """Return whether ``raw`` passes :func:`normalize_citizen_id`."""
    try:
        normalize_citizen_id(raw)
    except IdentifierError:
        return False
    return True


def is_valid_credit_code(raw: str) -> bool:
    """Return whether ``raw`` passes :func:`normalize_credit_code`."""
    try:
        normalize_credit_code(raw)
    except IdentifierError:
        return False
    return True


def birth_date(id_number: str) -> datetime.date:
    """Return the birth date encoded in a citizen ID number.

    Raises:
        IdentifierError: when the number is invalid.
    """
    return ric.get_birth_date(normalize_citizen_id(id_number))


def gender(id_number: str) -> str:
    """Return "男" or "女" from the 17th digit (odd: male).

    Raises:
        IdentifierError: when the number is invalid.
    """
    return "男" if int(normalize_citizen_id(id_number)[16]) % 2 else "女"


def id_policy_text() -> str:
    """Return the citizen ID acceptance policy in Markdown, for the README."""
    return (
        "**身份证号码校验规则**（GB 11643-1999，校验由 python-stdnum 完成）\n\n"
        "- 自动去除空格和连字符，全角数字转为半角，末位小写 x 视同 X。\n"
        "- 依次检查：位数（15位为第一代号码，其他非18位为位数错误）→ 字符（17位数字加末位数字或X）"
        "→ 出生日期（须为真实日期且不晚于今天）→ 省级代码 → 校验码 → 6位地址码，报告第一个错误。\n"
        "- 不接受15位第一代身份证号码，也不自动升位：请使用现持身份证上的18位号码。\n"
        "- 接受港澳台居民居住证号码，地址码须恰为 810000（香港）、820000（澳门）、830000（台湾）；"
        "python-stdnum 不认这些号码，本系统按国家标准接受。81-83 开头的其他地址码无效。\n"
        "- 其他号码前两位须为真实的省级代码（11-15、21-23、31-37、41-46、50-54、61-65、71），"
        "6位地址码须是曾经使用过的行政区划代码；出生年份时尚未启用或已撤销的县级代码"
        "（如 440401 珠海市市辖区等历史代码，真实证件上仍在使用）照常接受，尽管 python-stdnum 不认。\n"
    )
