"""Masking of personal identifiers for chat replies and log lines (PIPL, GB/T 35273-2020).

ID numbers and phone numbers are sensitive personal information: they are masked wherever they
are shown, and :func:`install_log_redaction` makes sure no raw ID or mobile number reaches a log
line, whichever logger or handler writes it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Match, Optional

_ID18 = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_CREDIT = re.compile(r"(?<![0-9A-Za-z])[0-9A-Ya-y][0-9]{7}[0-9A-Za-z]{10}(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86[ -]?)?)(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")

_INSTALLED_MARK = "_govservice_redacting"


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
    if _ID18.fullmatch(text) or _ID15.fullmatch(text):
        return mask_id_number(text)
    if _CREDIT.fullmatch(text):
        return mask_credit_code(text)
    if _MOBILE.fullmatch(text):
        return mask_phone(text)
    return mask_certificate_number(text)


def _mask_mobile(match: Match[str]) -> str:
    return match.group(1) + match.group(2) + "****" + match.group(4)


def redact_text(text: str) -> str:
    """Mask every ID number, 15-digit number, mobile number and credit code in free text.

    18-character ID-like sequences (17 digits and a digit or X), 15-digit runs and mobile numbers
    (1[3-9] and 9 more digits, optionally grouped 3-4-4 or prefixed by +86) are masked when they
    are not inside a longer run of digits; 18-character credit codes when they are not inside a
    longer run of letters and digits.

    Args:
        text: any text, e.g. a formatted log message.

    Returns:
        The text with those sequences masked.
    """
    if not text:
        return text
    text = _ID18.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _CREDIT.sub(lambda m: mask_credit_code(m.group(0)), text)
    text = _ID15.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE.sub(_mask_mobile, text)


def _redact_record(record: logging.LogRecord) -> None:
    """Replace the record's message (and exception text) with a redacted, pre-formatted copy.

    Idempotent: redacting an already redacted record changes nothing.
    """
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: never let the raw arguments through
        message = f"{record.msg} (log arguments dropped: format error)"
    record.msg = redact_text(str(message))
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


class RedactingFilter(logging.Filter):
    """A logging filter that masks IDs, mobiles and credit codes in the formatted message.

    Attach it to a handler (or logger); it never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place and keep it."""
        _redact_record(record)
        return True


def _wrap_factory(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _redact_record(record)
        return record

    setattr(redacting_factory, _INSTALLED_MARK, True)
    return redacting_factory


def install_log_redaction(logger: Optional[logging.Logger] = None) -> None:
    """Redact every log record of the process, whatever logger or handler writes it.

    Two layers: the log-record factory is wrapped, so every record is redacted when it is created
    (this covers loggers with their own handlers, propagated records and handlers added later);
    and a :class:`RedactingFilter` is added to the existing handlers of the root logger (or of
    ``logger``), which also catches records built by hand with ``logging.makeLogRecord``.
    Calling it again is harmless.

    Args:
        logger: the logger whose handlers get the filter; the root logger by default.
    """
    current = logging.getLogRecordFactory()
    if not getattr(current, _INSTALLED_MARK, False):
        logging.setLogRecordFactory(_wrap_factory(current))
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
