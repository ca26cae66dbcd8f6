"""Masking of personal identifiers for chat replies and log lines (PIPL, GB/T 35273-2020).

ID numbers and phone numbers are sensitive personal information: they are masked wherever they
are shown, and :func:`govservice.privacy.log_redaction.install_log_redaction` makes sure no raw ID or
mobile number reaches a log line, whichever logger or handler writes it.

:func:`find_identifiers` is the one normaliser that finds them in free text, whether typed in one
piece, in groups with spaces or dashes, in full-width or mixed characters; :func:`redact_text`
masks what it finds and is what every redaction uses (replies, logs, the tracker store, the
unanswered queue, handoff tickets). What it deliberately leaves alone: landlines, dates, amounts,
postcodes, digits inside longer runs or codes (``20261128GA000001``, ``SQ20261128000123``), and
6-digit numbers except at a login prompt (``codes=True``) or right after a word such as 验证码.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional

from stdnum.cn import uscc

from govservice.identity.id_numbers import PROVINCE_CODES


def mask_id_number(id_number: str) -> str:
    """Mask a citizen ID number: keep the 6-digit address code and the last 4 characters.

    >>> mask_id_number("11010519491231002X")
    '110105********002X'
    """
    value = (id_number or "").strip()
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if len(value) == 15:
        return value[:6] + "*" * 6 + value[-3:]
    return mask_certificate_number(value)


def mask_phone(phone: str) -> str:
    """Mask a phone number: ``138****8000`` for mobiles, only the last 4 digits kept otherwise."""
    value = (phone or "").strip()
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_credit_code(code: str) -> str:
    """Mask a unified social credit code: keep the first 6 and the last 4 characters."""
    value = (code or "").strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_certificate_number(number: str) -> str:
    """Mask a certificate number: keep the first 2 and last 2 characters, at least 4 stars.

    Numbers shorter than 8 characters are fully masked; the number of stars still equals the
    number of characters, so the length stays visible.
    """
    value = (number or "").strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_identifier(value: str) -> str:
    """Mask any identifier with the rule that fits its shape (ID, credit code, mobile, other)."""
    text = (value or "").strip()
    found = find_identifiers(text)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
        return found[0].masked
    return mask_certificate_number(text)


# One character for one, so a position in the folded text is the same position in the original:
# full-width ASCII to ASCII, ideographic and no-break spaces and tabs to a space, dashes to "-".
_FOLD = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
        **{space: " " for space in "\u3000\u00a0\t"},
        **{dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"},
    }
)
_ANY_DIGIT = re.compile(r"[0-9\uff10-\uff19]")
_FOLDABLE = re.compile("[\uff01-\uff5e\u3000\u00a0\t\u2010-\u2015\u2212]")
# Between the groups of a number people type up to three spaces, or a dash with spaces around it.
_SEP = r"(?: {1,3}| {0,2}-{1,2} {0,2})"
_DIGIT_RUN = re.compile(rf"[0-9]+(?:{_SEP}[0-9]+)*")
_DIGITS = re.compile(r"[0-9]+")
_LAST_GROUP = re.compile(r"[0-9]+$")
# The check character X of an ID number: right after the digits, or after a separator when no
# word goes on after it.
_CHECK_X = re.compile(rf"([Xx])|{_SEP}([Xx])(?![0-9A-Za-z])")
_CREDIT = re.compile(r"(?<![0-9A-Za-z])[0-9A-Ya-y][0-9]{7}[0-9A-Za-z]{10}(?![0-9A-Za-z])")
_APPLICATION_NUMBER = re.compile(r"[0-9]{8}[A-Z]{2,4}[0-9]{6}")
_CREDIT_AUTHORITIES = "123456789ANY"  # GB 32100-2015 registration authorities
_CREDIT_SHAPE = re.compile(r"[0-9A-Ya-y][0-9]{7}[0-9A-Za-z]{10}")
_ALNUM_RUN = re.compile(rf"(?<![0-9A-Za-z])[0-9A-Za-z]+(?:{_SEP}[0-9A-Za-z]+)+")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_MOBILE = re.compile(r"((?:00)?86)?(1[3-9][0-9]{9})")
_CODE_WORDS = re.compile(r"验证码|校验码|动态码|短信码|动态密码")
_CODE_WORD_WINDOW = 8  # characters before a 6-digit number searched for a code word
_ID_PROVINCES = PROVINCE_CODES | {"81", "82", "83"}  # with Hong Kong, Macao and Taiwan residence permits
_MOBILE_FIRST_GROUPS = (3, 4, 7)  # how people group a mobile: 3-4-4, 3-8, 4-3-4, 7-4
_LONGEST = 20  # no identifier has more digits (0086 and a mobile: 15)
_LENGTHS = frozenset({6, 11, 13, 15, 17, 18})  # digits of a code, mobile (with 86, 0086), ID (without X)


def fold_text(text: str) -> str:
    """``text`` with full-width digits and letters, odd spaces and dashes as ASCII; same length."""
    return text.translate(_FOLD) if _FOLDABLE.search(text) else text


@dataclass(frozen=True)
class Identifier:
    """An identifier found in a text.

    Attributes:
        start: where it starts in the text.
        end: where it ends (exclusive); ``text[start:end]`` is what was typed, separators included.
        kind: "id" (citizen ID number, 18 or 15 digits), "credit" (unified social credit code),
            "mobile" or "code" (a 6-digit one-time code).
        value: ASCII, separators dropped; a mobile without the country code.
        prefix: a country code typed in the same group as a mobile (``86``/``0086``), kept visible.
    """

    start: int
    end: int
    kind: str
    value: str
    prefix: str = ""

    @property
    def masked(self) -> str:
        """The masked form that replaces it: the kind's mask applied to ``value``."""
        if self.kind == "id":
            return mask_id_number(self.value)
        if self.kind == "credit":
            return mask_credit_code(self.value)
        if self.kind == "mobile":
            return self.prefix + mask_phone(self.value)
        return "*" * len(self.value)


def _plausible_id(digits: str) -> bool:
    """A real province (or HK/Macao/Taiwan) code and a real birth date: an ID typed in groups."""
    try:
        born = datetime.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return digits[:2] in _ID_PROVINCES and 1900 <= born.year <= 2100


def _plausible_credit(chars: str) -> bool:
    """A credit code typed in groups: a real registration authority and province, a valid check character."""
    code = chars.upper()
    return (
        code[0] in _CREDIT_AUTHORITIES and code[2:4] in PROVINCE_CODES and bool(_CREDIT_SHAPE.fullmatch(code))
    ) and uscc.is_valid(code)


def _classify(folded: str, start: int, end: int, digits: str, first_group: int, codes: bool) -> Optional[Identifier]:
    """The identifier the digits ``folded[start:end]`` form, if any.

    A number typed in groups (``grouped``) must also look like what it is, so that a date and an
    unrelated number next to it are not taken for one: an ID number needs a real province and
    birth date, a mobile starts with a group of 3, 4 or 7 of its digits (``138 1234 5678``,
    ``1381-234-5678``, ``1381234 5678``; a ``86`` before it is in that group or none), and
    15-digit IDs (first generation, out of use) count only in one piece. ``first_group`` is the length of the first
    digit group.
    """
    grouped = first_group < len(digits)
    if len(digits) == 17:
        check = _CHECK_X.match(folded, end)
        if check:
            digits, end = digits + (check.group(1) or check.group(2)), check.end()
    if len(digits) == 18 and (not grouped or _plausible_id(digits)):
        return Identifier(start, end, "id", digits)
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        leading = first_group - len(mobile.group(1) or "")  # digits of the mobile in the first group
        if leading > 0 and (not grouped or leading in _MOBILE_FIRST_GROUPS):
            return Identifier(start, end, "mobile", mobile.group(2), mobile.group(1) or "")
    if len(digits) == 15 and not grouped:
        return Identifier(start, end, "id", digits)
    if len(digits) == 6 and (codes or _CODE_WORDS.search(folded, max(0, start - _CODE_WORD_WINDOW), start)):
        return Identifier(start, end, "code", digits)
    return None


def _number_candidates(folded: str, codes: bool) -> Iterator[Identifier]:
    """ID numbers, mobiles and codes: every span of whole digit groups of a run that forms one.

    In a span of several groups every group has at least 2 digits: lists of small numbers
    ("1 3 5 7 9 11 13 15") are not phone numbers.
    """
    for run in _DIGIT_RUN.finditer(folded):
        typed = run.group()
        if len(typed) < 6:
            continue
        if typed.isdigit():  # one group, the common case
            found = _classify(folded, run.start(), run.end(), typed, len(typed), codes)
            if found is not None:
                yield found
            continue
        groups = [(run.start() + g.start(), run.start() + g.end(), g.group()) for g in _DIGITS.finditer(typed)]
        for i, (start, _, first) in enumerate(groups):
            digits = ""
            for j, (_, end, group) in enumerate(groups[i:]):
                # "1441 2X": the check character counts as a digit of the last group
                if j and (len(first) < 2 or len(group) < 2 and not _CHECK_X.match(folded, end)):
                    break
                digits += group
                if len(digits) > _LONGEST:
                    break
                if len(digits) in _LENGTHS and not (j and _dash_glued(folded, start, end)):
                    found = _classify(folded, start, end, digits, len(first), codes)
                    if found is not None:
                        yield found


def _dash_glued(folded: str, start: int, end: int) -> bool:
    """Whether the groups ``folded[start:end]`` are joined by a dash to more digits on either side.

    Such groups are part of a longer number: "010-1300000 2000-01-01" is a landline and a date,
    not the mobile 1300000 2000 (found by the masking property test).
    """
    before, after = folded[:start].rstrip(" "), folded[end:].lstrip(" ")
    left = _LAST_GROUP.search(before.rstrip(" -")) if before.endswith("-") else None
    # A country code in front ("+86-138-1234-5678") belongs to the mobile, not to another number.
    glued_left = left is not None and left.group() not in ("86", "0086")
    return glued_left or (after.startswith("-") and after.lstrip(" -")[:1].isdigit())


def _application_number(code: str) -> bool:
    """Shaped like an application number: a day, a department's letters, a daily sequence (20311101SCJG000001)."""
    if not _APPLICATION_NUMBER.fullmatch(code):
        return False
    try:
        datetime.date(int(code[:4]), int(code[4:6]), int(code[6:8]))
    except ValueError:
        return False
    return True


def _one_piece_credit(code: str) -> bool:
    """A credit code typed in one piece: a valid check character, or a real authority and province.

    A mistyped check character is still masked; a number of the application shape is not.
    """
    if uscc.is_valid(code):
        return True
    return code[0] in _CREDIT_AUTHORITIES and code[2:4] in PROVINCE_CODES and not _application_number(code)


def _credit_candidates(folded: str) -> Iterator[Identifier]:
    """Credit codes typed in one piece (by shape), or in groups (shape, authority, province, check character)."""
    for match in _CREDIT.finditer(folded):
        if _one_piece_credit(match.group().upper()):
            yield Identifier(match.start(), match.end(), "credit", match.group())
    for run in _ALNUM_RUN.finditer(folded):
        if run.end() - run.start() < 18:
            continue
        groups = [(run.start() + g.start(), run.start() + g.end(), g.group()) for g in _ALNUM.finditer(run.group())]
        for i, (start, _, _) in enumerate(groups):
            chars = ""
            for j, (_, end, group) in enumerate(groups[i:]):
                chars += group
                if len(chars) >= 18:
                    if j and len(chars) == 18 and _plausible_credit(chars):
                        yield Identifier(start, end, "credit", chars)
                    break


def find_identifiers(text: str, *, codes: bool = False) -> List[Identifier]:
    """Find ID numbers, credit codes, mobiles and (optionally) one-time codes, in any typed form.

    This is the one normaliser behind every redaction (replies, logs, the tracker store, the
    unanswered queue, handoff tickets). Digits and letters may be full-width or mixed, and groups
    may be separated by spaces or dashes (``3501 0420 1010 1441 23``, ``138-1234-5678``,
    ``１３８ １２３４ ５６７８``). A number counts only as a whole: digits inside a longer run of
    digits (order and serial numbers) or glued to letters and digits (``20261128GA000001``,
    ``SQ20240612000123``) are left alone, except that letters around an ID number or mobile do not
    hide it. Overlapping finds are resolved longest first.

    A 6-digit number is a one-time code only when ``codes`` is set (text typed during a login) or
    when a code word (验证码, 校验码, 动态码, ...) comes just before it: postcodes, amounts and
    dates elsewhere keep their digits. Landlines and other numbers are never masked.

    Args:
        text: any text.
        codes: whether every 6-digit number is a one-time code.

    Returns:
        The identifiers, in text order, not overlapping.
    """
    if not text or len(_ANY_DIGIT.findall(text)) < 6:  # every identifier has 6 digits or more
        return []
    folded = fold_text(text)
    candidates = [*_number_candidates(folded, codes), *_credit_candidates(folded)]
    chosen: List[Identifier] = []
    for found in sorted(candidates, key=lambda f: (-len(f.value), f.start)):
        if all(found.end <= other.start or found.start >= other.end for other in chosen):
            chosen.append(found)
    return sorted(chosen, key=lambda f: f.start)


def redact_text(text: str, *, codes: bool = False) -> str:
    """Mask every ID number, credit code and mobile (and code, see below) in free text.

    Each identifier :func:`find_identifiers` finds is replaced by its masked form, written in
    ASCII without the separators it was typed with (``3501 0420 1010 1441 23`` becomes
    ``350104********4123``); everything else is left as it was.

    Args:
        text: any text, e.g. a formatted log message or a citizen's message.
        codes: mask every 6-digit number as a one-time code (text typed during a login); without
            it only a 6-digit number right after a code word is masked.

    Returns:
        The text with those identifiers masked.
    """
    found = find_identifiers(text, codes=codes)
    if not found:
        return text
    parts, position = [], 0
    for each in found:
        parts += [text[position : each.start], each.masked]
        position = each.end
    parts.append(text[position:])
    return "".join(parts)
