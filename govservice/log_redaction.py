"""Log redaction: no raw ID number, credit code or mobile reaches a log line (PIPL, GB/T 35273-2020).

Every record is masked with :func:`govservice.masking.redact_text`, the normaliser all redaction
uses, whichever logger or handler writes it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from govservice.masking import redact_text

_INSTALLED_MARK = "_govservice_redacting"


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
