"""好差评 in the chat: the five levels, one rating per application, a 差评 opens a follow-up."""

from __future__ import annotations

import uuid

import pytest
from rasa_sdk.events import SlotSet

from bot.actions.rating import RATING_SLOTS, ActionRatingDone, parse_level
from govservice.applications.workflow import accept, approve, start_review, submit_application
from govservice.db import session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_applications import ZHANG, bind


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("非常不满意", "非常不满意"),
        ("不满意，太慢", "不满意"),
        ("满意", "满意"),
        ("基本满意吧", "基本满意"),
        ("还行", None),
    ],
)
def test_the_longest_level_named_wins(text: str, level: str) -> None:
    assert parse_level(text) == level


async def test_a_bad_rating_tells_when_the_department_follows_up(dispatcher, catalog) -> None:
    sender = f"rate-{uuid.uuid4().hex}"
    bind(sender)
    app = submit_application(
        None,
        idempotency_key=f"t-{uuid.uuid4().hex}",
        item_key="hpf_account_query",
        person_id=ZHANG,
        channel="rest",
        sender=sender,
        form_data={},
    )
    with session_scope() as session:
        for step in (accept, start_review):
            step(session, app.number, "窗口甲", "GJJ")
        approve(session, app.number, "窗口甲", "GJJ", "办结")
    slots = {"rating_number": app.number, "rating_level": "非常不满意", "rating_comment": "排队太久"}
    tracker = make_tracker("排队太久", "rate_service", slots=slots, sender_id=sender)
    assert await ActionRatingDone().run(dispatcher, tracker, {}) == [SlotSet(s, None) for s in RATING_SLOTS]
    assert "将在" in dispatcher.messages[0]["text"] and "回访整改" in dispatcher.messages[0]["text"]
    dispatcher.messages.clear()
    await ActionRatingDone().run(dispatcher, tracker, {})  # one rating per application
    assert "已评价" in dispatcher.messages[0]["text"] or "评价过" in dispatcher.messages[0]["text"]
