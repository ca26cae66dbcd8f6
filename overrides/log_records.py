"""The log-record factory: every record of the process is redacted when it is created.

``logging.setLogRecordFactory`` replaces how the standard library builds every record, for every
library in the process, so it belongs behind the door. Rasa, Sanic and rasa_sdk configure their
own loggers and handlers at start; a factory reaches records whichever logger or handler writes
them, including handlers added later and records propagated to them.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from govservice.privacy.log_redaction import RedactingFilter, redact_record

_MARK = "_govservice_redacting"


def redacting_factory(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """``factory`` followed by :func:`govservice.privacy.log_redaction.redact_record`.

    Args:
        factory: the record factory in place (the standard library's, or one another library set).

    Returns:
        A factory building the same records, redacted.
    """

    def build(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        redact_record(record)
        return record

    setattr(build, _MARK, True)
    build.__wrapped__ = factory  # type: ignore[attr-defined]  # the factory it redacts after
    return build


def install_log_redaction(logger: Optional[logging.Logger] = None) -> None:
    """Redact every log record of the process, whatever logger or handler writes it.

    Two layers: the log-record factory is wrapped, so every record is redacted when it is created;
    and a :class:`~govservice.privacy.log_redaction.RedactingFilter` is added to the existing handlers of
    the root logger (or of ``logger``), which also catches records built by hand with
    ``logging.makeLogRecord``. Calling it again is harmless.

    Args:
        logger: the logger whose handlers get the filter; the root logger by default.
    """
    current = logging.getLogRecordFactory()
    if not getattr(current, _MARK, False):
        logging.setLogRecordFactory(redacting_factory(current))
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
