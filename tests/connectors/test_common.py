"""What every channel does to a message before Rasa sees it (connectors/common.py)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from connectors.common import MAX_MESSAGE_CHARS, clean_sender, clean_text, show_reminders
from govservice.catalog.retrieval import simplified
from govservice.certificates.models import Certificate
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.notifications.reminder_models import Reminder
from govservice.notifications.reminders import take_reminders


def test_lone_surrogates_are_no_text() -> None:
    # "\ud87b\ud8b7" reached the action server through the REST webhook and OpenCC failed on it.
    assert clean_text("\ud87b\ud8b7").empty
    assert clean_text("身份证\ud800丢了").text == "身份证丢了"
    assert simplified("身份證\udfff") == "身份证"  # the text tools drop them too


def test_overlong_text_is_cut_with_a_note_and_senders_must_be_printable() -> None:
    cut = clean_text("办" * (MAX_MESSAGE_CHARS + 5))
    assert len(cut.text) == MAX_MESSAGE_CHARS and cut.note
    assert clean_sender("\ud8e1") is None and clean_sender("u1") == "u1"


class _Lock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None


class _Agent:
    """Records what :func:`connectors.common.show_reminders` asks the agent to run."""

    def __init__(self) -> None:
        self.executed: list = []
        self.lock_store = type("LockStore", (), {"lock": lambda _self, sender: _Lock()})()

    async def execute_action(self, sender: str, action: str, output: object, *_: object) -> None:
        self.executed.append((sender, action))


async def test_unshown_reminders_are_shown_after_the_turn_then_the_bot_listens(catalog) -> None:  # type: ignore[no-untyped-def]
    sender, agent = f"r-{uuid.uuid4().hex}", _Agent()
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    await show_reminders(app, "rest", sender, None)
    assert agent.executed == []
    with session_scope() as s:
        cert = s.query(Certificate).filter_by(holder_id="11010519491231002X", type_name="机动车驾驶证").one()
        s.add(Reminder(person_id=cert.holder_id, certificate_id=cert.id, valid_until=cert.valid_until,
                       channel="rest", sender=sender, text="提醒", created_at=utc_now()))
    await show_reminders(app, "rest", sender, None)
    assert agent.executed == [(sender, "action_show_reminders"), (sender, "action_listen")]
    assert [r.text for r in take_reminders("rest", sender)] == ["提醒"]
    await show_reminders(app, "rest", sender, None)
    assert len(agent.executed) == 2
