"""Log redaction: masked IDs, phones and credit codes in every log line, whoever writes it."""

from __future__ import annotations

import io
import logging
from typing import Iterator

import pytest

from govservice.log_redaction import RedactingFilter, install_log_redaction

ID = "11010519491231002X"
PHONE = "13800138000"
CREDIT = "91350100M000100Y43"


@pytest.fixture()
def restore_logging() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    root = logging.getLogger()
    filters = {h: list(h.filters) for h in root.handlers}
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        for handler, kept in filters.items():
            handler.filters = kept


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


def test_install_redacts_caplog_and_own_handlers(caplog: pytest.LogCaptureFixture, restore_logging: None) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    stream = io.StringIO()
    own = logging.getLogger("test.masking.own")
    own.propagate = False
    handler = logging.StreamHandler(stream)  # added after installation, no filter of its own
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    own.addHandler(handler)
    try:
        own.error("person %s with phone %s", ID, PHONE)
        own.info({"id_number": ID})
        try:
            {}[ID]
        except KeyError:
            own.exception("lookup failed")
    finally:
        own.removeHandler(handler)
    output = stream.getvalue()
    assert "ERROR person 110105********002X with phone 138****8000" in output
    assert ID not in output and PHONE not in output

    caplog.set_level(logging.INFO)
    propagating = logging.getLogger("test.masking.propagating")
    propagating.info("citizen %s called from %s", ID, PHONE)
    assert ID not in caplog.text and PHONE not in caplog.text
    assert "citizen 110105********002X called from 138****8000" in caplog.text
    assert caplog.records[-1].getMessage() == "citizen 110105********002X called from 138****8000"


def test_log_lines_mask_spaced_and_full_width_numbers(caplog: pytest.LogCaptureFixture, restore_logging: None) -> None:
    install_log_redaction()
    caplog.set_level(logging.INFO)
    spaced_id, wide_phone = "3501 0420 1010 1441 23", "１３８－１２３４－５６７８"
    logging.getLogger("test.masking.spaced").info("citizen %s phone %s", spaced_id, wide_phone)
    assert caplog.records[-1].getMessage() == "citizen 350104********4123 phone 138****5678"


def test_bad_format_arguments_do_not_leak(restore_logging: None) -> None:
    install_log_redaction()
    stream = io.StringIO()
    logger = logging.getLogger("test.masking.badformat")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("two placeholders %s %s", ID)
    finally:
        logger.removeHandler(handler)
    assert ID not in stream.getvalue()
