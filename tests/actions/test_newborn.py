"""新生儿出生一件事 in the chat: explained before login, each parent's materials, one confirmation."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.applications import ActionStartApplication
from bot.actions.login import LOGIN_SLOTS
from bot.actions.newborn import COMPANY_NOTE, LOGIN_NOTE, START_BUTTON, ActionStartNewborn
from bot.actions.newborn_form import (
    NB_SLOTS,
    ActionAskNbConfirm,
    ActionAskNbMaterial,
    ValidateNewbornForm,
    parse_field,
)
from govservice.applications.models import Application
from govservice.applications.states import ApplicationError
from govservice.db import session_scope
from govservice.demo_data import FIXED_COMPANY_CODE
from tests.actions.conftest import make_tracker, service
from tests.actions.test_applications import ZHANG, bind, upload

LI = "440308199901101512"
RAW_BIRTH_NUMBER = "Q350103261116"  # 李小满's 出生医学证明 in 李四's library (demo data)
FORM_SLOTS = ["nb_field", "nb_material", "nb_confirm"]
DOMAIN: Dict[str, Any] = {
    "forms": {"newborn_form": {"required_slots": FORM_SLOTS}},
    "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in NB_SLOTS},
}


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("child_gender", "是个女孩", "女"),
        ("birth_date", "2026年11月6日", "2026-11-06"),
        ("child_name", "李小满", "李小满"),
        ("mother_name", "孩子妈妈叫陈晓", "陈晓"),
        ("marriage", "我们还没结婚", "非婚生育"),
        ("marriage", "早就领证了", "已登记结婚"),
        ("marriage", "已結婚", "已登记结婚"),
        ("settle_with", "跟爸爸", "随父"),
        ("settle_with", "隨母落戶", "随母"),
    ],
)
def test_fields_are_read_from_colloquial_answers(key: str, text: str, value: str) -> None:
    assert parse_field(key, text) == value


@pytest.mark.parametrize(
    ("key", "text"), [("child_gender", "还不知道"), ("settle_with", "爸爸妈妈都行"), ("marriage", "嗯")]
)
def test_an_unclear_answer_is_asked_again(key: str, text: str) -> None:
    with pytest.raises(ApplicationError, match="请回复"):
        parse_field(key, text)


async def test_a_question_is_answered_with_the_bundle_before_any_login(dispatcher, catalog) -> None:
    tracker = make_tracker("我家宝宝刚生，要办哪些手续", "newborn_event", sender_id=f"anon-{uuid.uuid4().hex}")
    events = await ActionStartNewborn().run(dispatcher, tracker, {})
    assert events == [SlotSet("nb_explained", True)]  # no login yet
    explained, offer = dispatcher.messages
    assert explained["text"].startswith("“新生儿出生一件事”一次申请，同时办理以下3个事项")
    assert "出生登记" in explained["text"] and "从本人电子证照库调取" in explained["text"]
    assert offer["text"] == LOGIN_NOTE + "现在办理请点“登录办理”。" and offer["buttons"] == [START_BUTTON]


async def test_a_request_is_explained_then_the_login_starts_and_no_second_explanation(dispatcher, catalog) -> None:
    sender = f"anon-{uuid.uuid4().hex}"
    events = await ActionStartNewborn().run(
        dispatcher, make_tracker("新生儿出生一件事", "newborn_event", sender_id=sender), {}
    )
    login = [
        *[SlotSet(slot, None) for slot in LOGIN_SLOTS],
        SlotSet("pending_request", "newborn_event"),
        FollowupAction("login_form"),
    ]
    assert events == [SlotSet("nb_explained", True), *login]
    assert (
        dispatcher.messages[0]["text"].startswith("“新生儿出生一件事”") and dispatcher.messages[1]["text"] == LOGIN_NOTE
    )
    dispatcher.messages.clear()
    button = make_tracker("/newborn_event", "newborn_event", slots={"nb_explained": True}, sender_id=sender)
    assert await ActionStartNewborn().run(dispatcher, button, {}) == login
    assert [m["text"] for m in dispatcher.messages] == [LOGIN_NOTE]


async def test_a_company_login_is_sent_to_a_personal_one(dispatcher, catalog) -> None:
    sender = f"nb-{uuid.uuid4().hex}"
    bind(sender, ZHANG, FIXED_COMPANY_CODE)
    assert (
        await ActionStartNewborn().run(dispatcher, make_tracker("新生儿一件事", "newborn_event", sender_id=sender), {})
        == []
    )
    assert dispatcher.messages[0]["text"] == COMPANY_NOTE


async def test_applying_for_the_birth_registration_alone_goes_to_the_bundle(dispatcher, catalog) -> None:
    tracker = make_tracker(
        "我要给孩子报户口", "apply_service", [service("出生登记")], sender_id=f"anon-{uuid.uuid4().hex}"
    )
    events = await ActionStartApplication().run(dispatcher, tracker, {})
    assert events == [SlotSet("service_item", "birth_registration"), FollowupAction("action_start_newborn")]


def _turn(slots: Dict[str, Any], slot: str, text: str, sender: str, intent: str, entities: Optional[List[Any]] = None):  # type: ignore[no-untyped-def]
    return make_tracker(
        text,
        intent,
        entities,
        slots={**slots, slot: text, "requested_slot": slot},
        sender_id=sender,
        events=[
            {"event": "user", "text": text, "input_channel": "rest"},
            {"event": "slot", "name": slot, "value": text},
        ],
        active_loop="newborn_form",
    )


async def _answer(
    slots: Dict[str, Any], slot: str, text: str, sender: str, intent: str = "inform", entities=None
) -> List[str]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    for event in await ValidateNewbornForm().run(
        dispatcher, _turn(slots, slot, text, sender, intent, entities), DOMAIN
    ):
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
    return [m["text"] for m in dispatcher.messages]


async def _upload(slots: Dict[str, Any], sender: str) -> List[str]:
    attachment = upload(LI)
    entity = [{"entity": "attachment_id", "value": attachment}]
    return await _answer(
        slots, "nb_material", f'/upload_material{{"attachment_id":"{attachment}"}}', sender, "upload_material", entity
    )


async def test_a_father_not_married_registers_the_child_with_him(dispatcher, catalog) -> None:
    sender = f"nb-{uuid.uuid4().hex}"
    bind(sender, LI)
    events = await ActionStartNewborn().run(
        dispatcher, make_tracker("孩子出生了要办什么", "newborn_event", sender_id=sender), {}
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert events == [
        *[SlotSet(s, None) for s in NB_SLOTS],
        SlotSet("nb_data", slots["nb_data"]),
        SlotSet("nb_start", slots["nb_start"]),
        SlotSet("nb_provided", {}),
        SlotSet("nb_key", slots["nb_key"]),
        FollowupAction("newborn_form"),
    ]
    assert slots["nb_data"] == {
        "father_name": "李四",
        "child_name": "李小满",
        "child_gender": "女",
        "birth_date": slots["nb_data"]["birth_date"],
        "mother_name": "陈晓",
    }
    assert slots["nb_start"]["role"] == "父亲" and slots["nb_start"]["birth_masked"] == "Q3*********16"
    said = "\n".join(m["text"] for m in dispatcher.messages)
    assert "父亲（您本人）的居民身份证：✅" in said and "母亲的居民身份证：📎" in said and "Q3*********16" in said
    assert RAW_BIRTH_NUMBER not in said + str(events)  # masked in every reply and slot
    await _answer(slots, "nb_field", "我们还没结婚", sender)
    assert slots["nb_data"]["marriage"] == "非婚生育" and slots["nb_field"] is None
    await _answer(slots, "nb_field", "随爸爸", sender)
    assert slots["nb_field"] == "done"
    required = await ValidateNewbornForm().required_slots(
        FORM_SLOTS, dispatcher, _turn(slots, "nb_material", "", sender, "inform"), DOMAIN
    )
    assert required == FORM_SLOTS
    asked: List[str] = []
    for answer in ("upload", "同意签署", "upload"):  # her ID card, the statement, the paternity test
        ask = CollectingDispatcher()
        await ActionAskNbMaterial().run(ask, _turn(slots, "nb_material", "", sender, "inform"), DOMAIN)
        asked.append(ask.messages[0]["text"])
        said_back = await (
            _upload(slots, sender) if answer == "upload" else _answer(slots, "nb_material", answer, sender, "affirm")
        )
        assert said_back and "已" in said_back[0]
    assert (
        asked[0].startswith("请上传母亲的居民身份证")
        and "本人李四声明：新生儿李小满系本人与陈晓非婚生育的子女" in asked[1]
    )
    assert asked[2].startswith("请上传亲子鉴定证明") and slots["nb_material"] == "done"
    summary = CollectingDispatcher()
    await ActionAskNbConfirm().run(summary, _turn(slots, "nb_confirm", "", sender, "inform"), DOMAIN)
    text = summary.messages[0]["text"]
    assert "出生医学证明编号：Q3*********16" in text and RAW_BIRTH_NUMBER not in text
    assert "· 落户方父亲（您本人）的居民户口簿：电子证照库调取" in text and "· 《非婚生育说明》：已签署" in text
    results = []
    for _ in range(2):  # a double tap on 确认提交
        confirm = dict(slots)
        await _answer(confirm, "nb_confirm", "确认提交", sender, "affirm")
        results.append(confirm["nb_result"])
    assert results[0] == results[1] and results[0].count("｜") == 3
    with session_scope() as session:
        apps = session.query(Application).filter(Application.sender == sender).all()
        assert len(apps) == 3 and len({a.bundle_id for a in apps}) == 1
        assert {a.department_code for a in apps} == {"GA", "YB", "RS"}
        registration = next(a for a in apps if a.item_key == "birth_registration")
        assert registration.form_data["birth_certificate_number"] == RAW_BIRTH_NUMBER  # the back office keeps it
        names = sorted(m.material_name for m in registration.materials)
        assert names == sorted(
            [
                "出生医学证明",
                "父母双方居民身份证",
                "父母双方居民身份证",
                "落户方居民户口簿",
                "《非婚生育说明》",
                "亲子鉴定证明",
                "《出生登记申报表》",
            ]
        )


async def test_married_parents_with_every_certificate_held_skip_the_material_step(dispatcher, catalog) -> None:
    sender = f"nb-{uuid.uuid4().hex}"
    bind(sender, LI)
    events = await ActionStartNewborn().run(
        dispatcher, make_tracker("新生儿一件事", "newborn_event", sender_id=sender), {}
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    slots["nb_start"]["held"]["结婚证"] = 1  # as if the marriage certificate were in his library
    slots["nb_provided"] = {"other_id": upload(LI)}
    await _answer(slots, "nb_field", "领证了", sender)
    await _answer(slots, "nb_field", "随父", sender)
    required = await ValidateNewbornForm().required_slots(
        FORM_SLOTS, dispatcher, _turn(slots, "nb_material", "", sender, "inform"), DOMAIN
    )
    assert required == ["nb_field", "nb_confirm"]
    said = await _answer(slots, "nb_confirm", "算了不办了", sender, "deny")
    assert slots["nb_confirm"] == "no" and said == ["好的，已取消，没有提交任何内容。"]


async def test_a_question_at_a_newborn_prompt_is_answered_not_taken_as_the_answer(dispatcher, catalog) -> None:
    """Issue 13: "男的能领吗" at the marriage question is answered (出生登记) and the question comes again."""
    sender = f"nb-{uuid.uuid4().hex}"
    bind(sender, LI)
    events = await ActionStartNewborn().run(
        dispatcher, make_tracker("孩子出生了要办什么", "newborn_event", sender_id=sender), {}
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    said = await _answer(slots, "nb_field", "男孩子能随妈妈落户吗", sender, "nlu_fallback")
    assert "marriage" not in slots["nb_data"] and slots["nb_field"] is None
    assert said[0].startswith("【出生登记】") and said[-1] == "好的，我们继续办理新生儿出生一件事："
    await _answer(slots, "nb_field", "我们还没结婚", sender)
    assert slots["nb_data"]["marriage"] == "非婚生育"  # the form goes on where it was
