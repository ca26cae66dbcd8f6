"""Hypothesis strategies: personal identifiers as people type them, and text that holds none.

Every number is synthetic: citizen ID numbers and credit codes get their check character from
python-stdnum, on real address codes, so they pass the same validation real ones do.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import List, Optional, Tuple

import yaml
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

# Real county-level address codes (python-stdnum's table), and Hong Kong's residence-permit code.
ADDRESS_CODES = ["110105", "310101", "350102", "350104", "360426", "440308", "510107", "610104", "810000"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# What people put between the groups of a number: spaces (ASCII, full-width, doubled) and dashes.
SEPARATORS = [" ", "  ", "-", " - ", "\u3000", "\uff0d", "\u2014", "\u2013"]
# Text around a number: Chinese and punctuation, never a digit or a letter (which would make the
# number part of a longer code).
CONTEXT = st.text(alphabet="我的身份证号码是手机电话信用代码请核对谢谢，。：:；（）() 、", max_size=12)


@st.composite
def citizen_ids(draw: st.DrawFn) -> str:
    """A checksum-valid 18-character citizen ID number (birth 1930-2020)."""
    address = draw(st.sampled_from(ADDRESS_CODES))
    born = draw(st.dates(datetime.date(1930, 1, 1), datetime.date(2020, 12, 31)))
    body = f"{address}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + ric.calc_check_digit(body)


def mobiles() -> st.SearchStrategy[str]:
    """An 11-digit mainland mobile number."""
    return st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    """A checksum-valid unified social credit code."""
    head = draw(st.sampled_from(["91", "92", "93", "12", "52"])) + draw(st.sampled_from(ADDRESS_CODES[:-1]))
    body = head + "".join(draw(st.lists(st.sampled_from(USCC_CHARS), min_size=9, max_size=9)))
    return body + uscc.calc_check_digit(body)


def codes() -> st.SearchStrategy[str]:
    """A 6-digit one-time code."""
    return st.from_regex(r"[0-9]{6}", fullmatch=True)


def _full_width(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if char.isascii() and char.isalnum() else char


@st.composite
def typed(draw: st.DrawFn, value: str, sizes: Optional[Tuple[int, ...]] = None) -> str:
    """``value`` as someone may type it: in groups (of ``sizes``, else of 2 to 8 characters or
    none) with spaces or dashes between them, some characters full-width, a lowercase x."""
    chars = list(value)
    if chars[-1] == "X" and draw(st.booleans()):
        chars[-1] = "x"
    groups: List[str] = []
    if sizes is not None:
        for size in sizes:
            groups.append("".join(chars[:size]))
            chars = chars[size:]
    while chars:
        size = draw(st.integers(2, 8))
        if len(chars) - size < 2:  # no group of one character at the end
            size = len(chars)
        groups.append("".join(chars[:size]))
        chars = chars[size:]
    if sizes is None and draw(st.booleans()):
        groups = ["".join(groups)]
    text = groups[0]
    for group in groups[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + group
    widths = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(_full_width(c) if wide else c for c, wide in zip(text, widths, strict=True))


@st.composite
def typed_mobile(draw: st.DrawFn, mobile: str) -> str:
    """``mobile`` as typed: grouped as people group it (3-4-4, 3-8, 4-3-4, 7-4, or not at all),
    sometimes with the country code before it."""
    prefix = draw(st.sampled_from(["", "", "+86 ", "+86", "86", "0086 ", "+86-"]))
    sizes = draw(st.sampled_from([(11,), (3, 4, 4), (3, 8), (4, 3, 4), (7, 4)]))
    return prefix + draw(typed(mobile, sizes))


@st.composite
def identifiers(draw: st.DrawFn) -> Tuple[str, str, str]:
    """An ID number, credit code or mobile: (as typed, the value itself, its kind)."""
    kind = draw(st.sampled_from(["id", "credit", "mobile"]))
    if kind == "mobile":
        value = draw(mobiles())
        return draw(typed_mobile(value)), value, kind
    value = draw(citizen_ids() if kind == "id" else credit_codes())
    return draw(typed(value)), value, kind


ROOT = Path(__file__).resolve().parents[1]
_DAYS = st.dates(datetime.date(1950, 1, 1), datetime.date(2060, 12, 31))
_SIX = st.integers(0, 999999).map("{:06d}".format)
_SERVICE_DAYS = st.dates(datetime.date(2020, 1, 1), datetime.date(2060, 12, 31))
_DEPARTMENT_CODES = sorted(
    d["code"] for d in yaml.safe_load((ROOT / "knowledge_base" / "departments.yml").read_text("utf-8"))["departments"]
)
_DATE_FORMATS = st.sampled_from(["%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"])


def ordinary_numbers() -> st.SearchStrategy[str]:
    """A number that is no personal identifier and must survive redaction untouched."""
    return st.one_of(
        st.tuples(_DAYS, _DATE_FORMATS).map(lambda d: d[0].strftime(d[1])),
        # An application number: the day, the department's code, a daily sequence (since the service began).
        st.tuples(_SERVICE_DAYS, st.sampled_from(_DEPARTMENT_CODES), _SIX).map(lambda d: f"{d[0]:%Y%m%d}{d[1]}{d[2]}"),
        st.tuples(_DAYS, _SIX).map(lambda d: f"SQ{d[0]:%Y%m%d}{d[1]}"),  # an application number
        st.integers(0, 10**7).map("{:,}元".format),
        st.integers(0, 10**6).map(lambda n: f"{n / 100:.2f}元"),
        st.tuples(st.integers(10, 999), st.integers(1000000, 99999999)).map(lambda t: f"0{t[0]}-{t[1]}"),  # landline
        st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}"),
        st.tuples(st.integers(1, 30), st.integers(1, 60)).map(lambda t: f"{t[0]}-{t[1]}个工作日"),
        st.just("12345"),
        _SIX,  # a postcode, or any 6 digits: a code only at a login prompt or after 验证码
    )
