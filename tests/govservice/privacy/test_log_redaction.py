"""Redacting a log record: masked IDs, phones and credit codes (the factory: tests/overrides/test_log_records.py)."""

from __future__ import annotations

import io
import logging

from govservice.privacy.log_redaction import RedactingFilter, redact_record

ID = "11010519491231002X"
PHONE = "13800138000"
CREDIT = "91350100M000100Y43"


def test_filter_on_a_handler_redacts_args_and_exceptions() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.masking.filter")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("login %s phone %s", ID, PHONE)
        try:
            raise ValueError(f"duplicate key {ID}")
        except ValueError:
            logger.exception("insert failed for %s", CREDIT)
        record = logging.makeLogRecord({"msg": f"hand-made {PHONE}", "levelno": logging.INFO, "levelname": "INFO"})
        handler.handle(record)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "110105********002X" in output and "138****8000" in output and "913501********0Y43" in output
    assert ID not in output and PHONE not in output and CREDIT not in output
    assert "hand-made 138****8000" in output


def test_redacting_a_record_twice_changes_nothing() -> None:
    record = logging.makeLogRecord({"msg": "id %s phone %s", "args": (ID, PHONE), "levelno": logging.INFO})
    redact_record(record)
    once = record.getMessage()
    redact_record(record)
    assert record.getMessage() == once == "id 110105********002X phone 138****8000"
