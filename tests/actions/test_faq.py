"""FAQ answers from the store, the fallback that queues what it could not answer, and out of scope."""

from __future__ import annotations

import uuid

from rasa_sdk.events import FollowupAction

from bot.actions.fallback import ActionAnswerFaq, ActionFaqFallback, ActionOutOfScope
from govservice.db import session_scope
from govservice.faq.models import UnansweredQuestion
from tests.actions.conftest import make_tracker


async def test_a_platform_question_is_answered_with_its_source(dispatcher, catalog) -> None:
    events = await ActionAnswerFaq().run(dispatcher, make_tracker("忘记密码怎么办", "ask_faq"), {})
    assert events == []
    assert "来源：FAQ#" in dispatcher.messages[0]["text"]


async def test_a_picked_suggestion_is_answered(dispatcher, catalog) -> None:
    tracker = make_tracker("/ask_faq", "ask_faq", [{"entity": "faq_entry", "value": "1"}])
    assert await ActionAnswerFaq().run(dispatcher, tracker, {}) == []
    assert "来源：FAQ#1《" in dispatcher.messages[0]["text"]


async def test_an_unanswerable_fallback_is_queued_redacted_then_two_stage(dispatcher, catalog) -> None:
    marker = uuid.uuid4().hex[:6]
    text = f"楼下垃圾桶{marker}满了找谁 电话13812345678"
    events = await ActionFaqFallback().run(dispatcher, make_tracker(text, "nlu_fallback"), {})
    assert events == [FollowupAction("action_two_stage_fallback")] or dispatcher.messages  # suggestions instead
    with session_scope() as session:
        queued = [q for q in session.query(UnansweredQuestion).all() if marker in q.text]
        assert len(queued) == 1 and "13812345678" not in queued[0].text


async def test_out_of_scope_answers_from_the_store_when_staff_covered_it(dispatcher, catalog) -> None:
    assert await ActionOutOfScope().run(dispatcher, make_tracker("今晚有什么好看的电影推荐", "out_of_scope"), {}) == []
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    dispatcher.messages.clear()
    await ActionOutOfScope().run(dispatcher, make_tracker("政务服务中心各楼层分别办什么", "out_of_scope"), {})
    assert "来源：FAQ#" in dispatcher.messages[0]["text"]
