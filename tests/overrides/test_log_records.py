"""The log-record factory redacts every record of the process, and is Rasa-free to remove."""

from __future__ import annotations

import io
import logging

import pytest

from overrides.log_records import install_log_redaction, redacting_factory

ID = "11010519491231002X"
PHONE = "13800138000"


def test_the_factory_builds_the_standard_record_redacted(pristine: None) -> None:
    args = ("test.factory", logging.INFO, __file__, 1, "citizen %s phone %s", (ID, PHONE), None)
    ours, standard = redacting_factory(logging.LogRecord)(*args), logging.LogRecord(*args)
    assert ours.getMessage() == "citizen 110105********002X phone 138****8000"
    assert standard.getMessage() == f"citizen {ID} phone {PHONE}"
    shared = ("name", "levelno", "levelname", "pathname", "lineno", "funcName", "module", "process", "thread")
    assert {key: getattr(ours, key) for key in shared} == {key: getattr(standard, key) for key in shared}


def test_install_redacts_caplog_and_own_handlers(caplog: pytest.LogCaptureFixture, pristine: None) -> None:
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


def test_log_lines_mask_spaced_and_full_width_numbers(caplog: pytest.LogCaptureFixture, pristine: None) -> None:
    install_log_redaction()
    caplog.set_level(logging.INFO)
    spaced_id, wide_phone = "3501 0420 1010 1441 23", "１３８－１２３４－５６７８"
    logging.getLogger("test.masking.spaced").info("citizen %s phone %s", spaced_id, wide_phone)
    assert caplog.records[-1].getMessage() == "citizen 350104********4123 phone 138****5678"


def test_bad_format_arguments_do_not_leak(pristine: None) -> None:
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
