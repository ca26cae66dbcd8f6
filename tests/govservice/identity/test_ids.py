"""Identifiers kept in conversations survive the tracker store's redaction."""

from __future__ import annotations

from govservice.identity.ids import opaque_id
from govservice.identity.masking import redact_text


def test_a_hex_uuid_can_look_like_a_phone_number() -> None:
    hexed = "ab13812345678cd0f1e2d3c4b5a69788"  # a possible uuid4().hex
    assert redact_text(hexed) != hexed  # why hex ids were corrupted in stored trackers


def test_opaque_ids_are_letters_only_unique_and_never_redacted() -> None:
    ids = {opaque_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(len(i) == 32 and i.isalpha() and i.islower() for i in ids)
    assert all(redact_text(i) == i for i in ids)
