"""What every channel does to a message before Rasa sees it (connectors/common.py)."""

from __future__ import annotations

from connectors.common import MAX_MESSAGE_CHARS, clean_sender, clean_text
from govservice.catalog.retrieval import simplified


def test_lone_surrogates_are_no_text() -> None:
    # "\ud87b\ud8b7" reached the action server through the REST webhook and OpenCC failed on it.
    assert clean_text("\ud87b\ud8b7").empty
    assert clean_text("身份证\ud800丢了").text == "身份证丢了"
    assert simplified("身份證\udfff") == "身份证"  # the text tools drop them too


def test_overlong_text_is_cut_with_a_note_and_senders_must_be_printable() -> None:
    cut = clean_text("办" * (MAX_MESSAGE_CHARS + 5))
    assert len(cut.text) == MAX_MESSAGE_CHARS and cut.note
    assert clean_sender("\ud8e1") is None and clean_sender("u1") == "u1"
