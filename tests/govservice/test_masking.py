"""Masking of identifiers, free-text redaction and log redaction."""

from __future__ import annotations

import io
import logging
from typing import Iterator

import pytest

from govservice.masking import (
    RedactingFilter,
    install_log_redaction,
    mask_certificate_number,
    mask_credit_code,
    mask_id_number,
    mask_identifier,
    mask_phone,
    redact_text,
)

ID = "11010519491231002X"
PHONE = "13800138000"
CREDIT = "91350100M000100Y43"


def test_mask_functions() -> None:
    assert mask_id_number(ID) == "110105********002X"
    assert mask_id_number("610104620927690") == "610104******690"
    assert mask_phone(PHONE) == "138****8000"
    assert mask_phone("138 0013 8000") == "138****8000"
    assert mask_phone("0999-12345") == "*****2345"
    assert mask_credit_code(CREDIT) == "913501********0Y43"
    assert mask_certificate_number("J440300-2015-001234") == "J4" + "*" * 15 + "34"
    assert mask_certificate_number("E12345678") == "E1*****78"
    assert mask_certificate_number("12345678") == "12****78"
    assert mask_certificate_number("A1234") == "*****"
    assert mask_certificate_number("") == ""
    assert mask_identifier(ID) == "110105********002X"
    assert mask_identifier(CREDIT) == "913501********0Y43"
    assert mask_identifier(PHONE) == "138****8000"
    assert mask_identifier("F35010021") == "F3*****21"


def test_redact_text_masks_every_kind() -> None:
    text = f"我的身份证是{ID.lower()}，老号码610104620927690，手机{PHONE}，也可打+86 139-0013-9000，公司代码{CREDIT}。"
    redacted = redact_text(text)
    for raw in (ID, ID.lower(), "610104620927690", PHONE, "13900139000", "139-0013-9000", CREDIT):
        assert raw not in redacted
    assert "110105********002x" in redacted and "138****8000" in redacted and "913501********0Y43" in redacted
    assert "139****9000" in redacted


def test_redact_text_leaves_other_numbers() -> None:
    for text in (
        "订单号1234567890123456789",  # 19 digits: not an ID
        "流水号12345678901234567890",
        "咨询电话0999-12345，办件编号SQ20240612000123",
        "金额12800元，2024-06-12",
        "",
    ):
        assert redact_text(text) == text
    assert redact_text(f"a{ID}b") == "a110105********002Xb"


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
