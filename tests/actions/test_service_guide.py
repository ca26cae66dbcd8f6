"""action_answer_service: answers, follow-ups with the slot, clarifying buttons."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.service_guide import ActionAnswerService
from govservice.catalog import guide
from govservice.catalog.lookup import Catalog
from tests.actions.conftest import make_tracker, service


async def _run(dispatcher: CollectingDispatcher, tracker) -> List[Dict[str, Any]]:  # type: ignore[no-untyped-def]
    return await ActionAnswerService().run(dispatcher, tracker, {})


@pytest.mark.asyncio
async def test_lost_id_card_materials(dispatcher, catalog: Catalog) -> None:
    tracker = make_tracker("身份证丢了怎么补办，要带什么", "ask_materials", [service("居民身份证")])
    events = await _run(dispatcher, tracker)
    item = catalog.get("id_card_lost")
    assert events == [
        SlotSet("service_item", "id_card_lost"),
        SlotSet("service_topic", "居民身份证"),
        SlotSet("service_aspect", "materials"),
    ]
    assert dispatcher.messages[0]["text"] == guide.answer(item, "materials")


@pytest.mark.asyncio
async def test_follow_up_fee_uses_the_item_in_discussion(dispatcher, catalog: Catalog) -> None:
    slots = {"service_item": "id_card_lost", "service_topic": "居民身份证", "service_aspect": "materials"}
    events = await _run(dispatcher, make_tracker("要多少钱", "ask_fee", slots=slots))
    assert events == [
        SlotSet("service_item", "id_card_lost"),
        SlotSet("service_topic", "居民身份证"),
        SlotSet("service_aspect", "fee"),
    ]
    assert dispatcher.messages[0]["text"] == guide.answer(catalog.get("id_card_lost"), "fee")


@pytest.mark.asyncio
async def test_ambiguous_topic_asks_with_buttons(dispatcher) -> None:
    events = await _run(dispatcher, make_tracker("身份证要带什么", "ask_materials", [service("居民身份证")]))
    assert events == [
        SlotSet("service_item", None),
        SlotSet("service_topic", "居民身份证"),
        SlotSet("service_aspect", "materials"),
    ]
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert sorted(payloads) == sorted(
        f'/ask_materials{{"service":"{key}"}}' for key in ("id_card_first", "id_card_renew", "id_card_lost")
    )


@pytest.mark.asyncio
async def test_variant_word_after_clarifying_question(dispatcher, catalog: Catalog) -> None:
    slots = {"service_item": None, "service_topic": "居民身份证", "service_aspect": "materials"}
    events = await _run(dispatcher, make_tracker("补领", "inform_service", slots=slots))
    assert events[0] == SlotSet("service_item", "id_card_lost")
    assert dispatcher.messages[0]["text"] == guide.answer(catalog.get("id_card_lost"), "materials")


@pytest.mark.asyncio
async def test_another_service_keeps_the_aspect(dispatcher, catalog: Catalog) -> None:
    slots = {"service_item": "id_card_lost", "service_topic": "居民身份证", "service_aspect": "fee"}
    events = await _run(dispatcher, make_tracker("那护照呢", "inform_service", [service("普通护照")], slots))
    assert events == [
        SlotSet("service_item", "passport_issue"),
        SlotSet("service_topic", "普通护照"),
        SlotSet("service_aspect", "fee"),
    ]
    assert dispatcher.messages[0]["text"] == guide.answer(catalog.get("passport_issue"), "fee")


@pytest.mark.asyncio
async def test_no_service_known_asks_which(dispatcher) -> None:
    events = await _run(dispatcher, make_tracker("那个怎么收费", "ask_fee"))
    assert events == [SlotSet("service_aspect", "fee")]
    message = dispatcher.messages[0]
    assert "哪项业务的收费标准" in message["text"]
    assert {b["title"] for b in message["buttons"]} >= {"居民身份证", "居住证"}


@pytest.mark.asyncio
async def test_retrieval_finds_the_item_the_nlu_did_not_name(dispatcher, catalog: Catalog) -> None:
    # No entity: traditional characters the lookup tables do not hold.
    events = await _run(dispatcher, make_tracker("身份證丟了怎麼補辦，要帶什麼", "ask_materials"))
    assert events[0] == SlotSet("service_item", "id_card_lost")
    assert dispatcher.messages[0]["text"] == guide.answer(catalog.get("id_card_lost"), "materials")


@pytest.mark.asyncio
async def test_retrieval_offers_close_candidates_as_buttons(dispatcher, catalog: Catalog) -> None:
    events = await _run(dispatcher, make_tracker("身份证多少钱", "ask_fee"))
    assert events[:2] == [SlotSet("service_item", None), SlotSet("service_topic", "居民身份证")]
    payloads = {b["payload"] for b in dispatcher.messages[0]["buttons"]}
    topic_items = [key for key, item in catalog.items.items() if item.topic == "居民身份证"]
    assert len(payloads) >= 2
    assert payloads <= {f'/ask_fee{{"service":"{key}"}}' for key in topic_items}


@pytest.mark.asyncio
async def test_close_candidates_do_not_replace_the_item_under_discussion(dispatcher, catalog: Catalog) -> None:
    slots = {"service_item": "id_card_lost", "service_topic": "居民身份证", "service_aspect": "materials"}
    events = await _run(dispatcher, make_tracker("要带户口本吗", "ask_materials", slots=slots))
    assert events[0] == SlotSet("service_item", "id_card_lost")
    assert dispatcher.messages[0]["text"] == guide.answer(catalog.get("id_card_lost"), "materials")


RESIDENCE = {"service_item": "residence_permit", "service_topic": "居住证", "service_aspect": "materials"}


@pytest.mark.asyncio
async def test_an_item_named_with_a_typo_is_answered_not_the_one_discussed_before(dispatcher, catalog: Catalog) -> None:
    # Found chatting: after a 居住证 question, "结昏登记" (婚 mistyped) got the 居住证's materials.
    events = await _run(dispatcher, make_tracker("结昏登记要啥材料", "ask_materials", slots=RESIDENCE))
    assert events == [
        SlotSet("service_item", "marriage_registration"),
        SlotSet("service_topic", catalog.get("marriage_registration").topic),
        SlotSet("service_aspect", "materials"),
    ]
    assert dispatcher.messages[0]["text"] == guide.answer(catalog.get("marriage_registration"), "materials")


@pytest.mark.asyncio
async def test_a_certificate_named_is_a_material_of_the_item_discussed(dispatcher, catalog: Catalog) -> None:
    certificate = {"entity": "certificate", "value": "结婚证", "start": 2, "end": 5,
                   "extractor": "RegexEntityExtractor"}
    events = await _run(dispatcher, make_tracker("要带结婚证吗", "ask_materials", [certificate], slots=RESIDENCE))
    assert events == [
        SlotSet("service_item", "residence_permit"),
        SlotSet("service_topic", "居住证"),
        SlotSet("service_aspect", "materials"),
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "service", "certificate"),
    [("要带结婚证吗", ("婚姻登记", 2, 5), ("婚姻登记", 2, 5)), ("还要户口本吗", ("户口", 2, 4), ("户口本", 2, 5))],
)
async def test_a_certificate_the_nlu_also_tags_as_a_service_is_still_a_material(
    dispatcher, text: str, service: tuple, certificate: tuple
) -> None:
    # As the trained model tags them: the certificate's words are a service entity too.
    entities = [{"entity": name, "value": value, "start": start, "end": end, "extractor": "RegexEntityExtractor"}
                for name, (value, start, end) in (("service", service), ("certificate", certificate))]
    events = await _run(dispatcher, make_tracker(text, "ask_materials", entities, slots=RESIDENCE))
    assert events[0] == SlotSet("service_item", "residence_permit")


@pytest.mark.asyncio
async def test_no_item_but_a_near_faq_entry_offers_it_and_still_asks_which(dispatcher) -> None:
    # Found chatting: a 容缺受理 question with no item named got only "which item?".
    events = await _run(dispatcher, make_tracker("能不能先提交后面再补材料", "ask_materials"))
    assert events == [SlotSet("service_aspect", "materials")]
    suggestion, which = dispatcher.messages
    assert suggestion["text"] == "您是不是想问："
    assert any("容缺" in b["title"] for b in suggestion["buttons"])
    assert "哪项业务的" in which["text"]


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["在哪办", "多久能办好", "那个怎么收费"])
async def test_a_bare_question_gets_which_item_without_faq_noise(dispatcher, text: str) -> None:
    await _run(dispatcher, make_tracker(text, "ask_location"))
    assert len(dispatcher.messages) == 1 and "哪项业务的" in dispatcher.messages[0]["text"]


def _after(action: str, text: str) -> List[Dict[str, Any]]:
    return [
        {"event": "user", "text": "孩子刚出生要办哪些手续"},
        {"event": "action", "name": action},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]


@pytest.mark.asyncio
async def test_materials_right_after_the_newborn_bundle_are_the_bundles(dispatcher) -> None:
    # Found chatting: "那要带什么材料" after the 新生儿出生一件事 overview got the generic FAQ answer.
    from govservice.applications import service as applications

    text = "那要带什么材料"
    events = await _run(dispatcher, make_tracker(text, "ask_materials", events=_after("action_start_newborn", text)))
    assert events == [SlotSet("service_aspect", "materials")]
    assert dispatcher.messages[0]["text"] == applications.explain_newborn()
    assert dispatcher.messages[1]["buttons"] == [{"title": "登录办理", "payload": "/newborn_event"}]


@pytest.mark.asyncio
async def test_materials_after_anything_else_are_not_the_bundles(dispatcher) -> None:
    from govservice.applications import service as applications

    text = "那要带什么材料"
    await _run(dispatcher, make_tracker(text, "ask_materials", events=_after("action_answer_faq", text)))
    assert applications.explain_newborn() not in [m.get("text") for m in dispatcher.messages]


@pytest.mark.asyncio
async def test_a_time_limit_right_after_the_newborn_bundle_is_not_answered_with_its_overview(dispatcher) -> None:
    from govservice.applications import service as applications

    text = "要多久能办好"
    await _run(dispatcher, make_tracker(text, "ask_time_limit", events=_after("action_start_newborn", text)))
    assert applications.explain_newborn() not in [m.get("text") for m in dispatcher.messages]
