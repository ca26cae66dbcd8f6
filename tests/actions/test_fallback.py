"""action_default_ask_affirmation: Chinese suggestions, about the service in context."""

from __future__ import annotations

import pytest

from bot.actions.fallback import ActionAskAffirmation
from tests.actions.conftest import make_tracker

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.6},
    {"name": "ask_fee", "confidence": 0.2},
    {"name": "greet", "confidence": 0.1},
    {"name": "ask_location", "confidence": 0.05},
]


@pytest.mark.asyncio
async def test_suggests_top_service_intents_for_the_item_in_context(dispatcher, catalog) -> None:
    slots = {"service_item": "residence_permit", "service_topic": "居住证"}
    tracker = make_tracker("嗯那个钱啥的", "nlu_fallback", slots=slots, ranking=RANKING)
    events = await ActionAskAffirmation().run(dispatcher, tracker, {})
    assert events == []
    message = dispatcher.messages[0]
    assert message["text"] == "抱歉，我不太确定您的意思。您是不是想问："
    assert [b["payload"] for b in message["buttons"]] == [
        '/ask_fee{"service":"residence_permit"}',
        '/ask_location{"service":"residence_permit"}',
        "/deny",
    ]
    assert message["buttons"][0]["title"] == f"{catalog.get('residence_permit').name}：收费标准"


@pytest.mark.asyncio
async def test_without_context_offers_generic_choices(dispatcher) -> None:
    tracker = make_tracker("😀😀", "nlu_fallback", ranking=RANKING)
    await ActionAskAffirmation().run(dispatcher, tracker, {})
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/ask_fee", "/ask_location", "/deny"]
