"""Log redaction: no raw ID number, credit code or mobile reaches a log line (PIPL, GB/T 35273-2020).

Every record is masked with :func:`govservice.identity.masking.redact_text`, the normaliser all redaction
uses, whichever logger or handler writes it: :func:`overrides.log_records.install_log_redaction`
(run by :func:`overrides.install` at each server's start) puts :func:`redact_record` in the
process's log-record factory and :class:`RedactingFilter` on the root logger's handlers.
"""

from __future__ import annotations

import logging

from govservice.identity.masking import redact_text


def redact_record(record: logging.LogRecord) -> None:
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
        redact_record(record)
        return True
