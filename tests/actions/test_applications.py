"""The online application: start (login first), each form step, submission and its idempotency."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from bot.actions.application_form import ValidateApplicationForm
from bot.actions.application_questions import ActionAskAppConfirm, ActionAskAppField
from bot.actions.applications import ActionApplicationDone, ActionStartApplication, reset_application
from bot.actions.login import LOGIN_SLOTS
from bot.actions.my_applications import ActionMyApplications
from govservice.applications.delivery import LIBRARY_ADDRESS
from govservice.applications.forms import summary_text
from govservice.applications.materials_check import store_attachment
from govservice.applications.models import Application, Attachment
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.demo_data import FIXED_COMPANY_CODE
from govservice.identity.models import Binding
from tests.actions.conftest import make_tracker, service

ZHANG = "11010519491231002X"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
FORM_SLOTS = ["app_eligible", "app_prefill_ok", "app_field", "app_material", "app_confirm"]
DOMAIN: Dict[str, Any] = {
    "forms": {"application_form": {"required_slots": FORM_SLOTS}},
    "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in FORM_SLOTS},
}


def bind(sender: str, person_id: str = ZHANG, company_code: Optional[str] = None) -> None:
    """Log ``sender`` in on the REST channel, as the person or their company (login: test_login.py)."""
    now = utc_now()
    with session_scope() as session:
        session.merge(
            Binding(
                channel="rest",
                sender=sender,
                person_id=person_id,
                company_code=company_code,
                created_at=now,
                last_seen=now,
            )
        )


def upload(person_id: str = ZHANG) -> str:
    with session_scope() as session:
        return str(store_attachment(session, PNG + uuid.uuid4().bytes, "photo.png", "image/png", person_id).id)


async def test_applying_without_login_starts_the_login_and_remembers_the_item(dispatcher, catalog) -> None:
    tracker = make_tracker("我要办居住证", "apply_service", [service("居住证")], sender_id=f"anon-{uuid.uuid4().hex}")
    events = await ActionStartApplication().run(dispatcher, tracker, {})
    assert events == [
        SlotSet("service_item", "residence_permit"),
        *[SlotSet(slot, None) for slot in LOGIN_SLOTS],
        SlotSet("pending_request", "apply_service|residence_permit"),
        FollowupAction("login_form"),
    ]
    assert "需要先登录" in dispatcher.messages[0]["text"]


async def start(dispatcher, sender: str) -> Dict[str, Any]:  # type: ignore[no-untyped-def]
    tracker = make_tracker("我要办居住证", "apply_service", [service("居住证")], sender_id=sender)
    events = await ActionStartApplication().run(dispatcher, tracker, {})
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"} | {"_events": events}


async def test_logged_in_start_checks_materials_and_opens_the_form(dispatcher, catalog) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    slots = await start(dispatcher, sender)
    events: List[Dict[str, Any]] = slots.pop("_events")
    plan = slots["app_plan"]
    assert events == [
        SlotSet("service_item", "residence_permit"),
        SlotSet("service_topic", "居住证"),
        *reset_application(),
        SlotSet("app_plan", plan),
        SlotSet("app_key", slots["app_key"]),
        SlotSet("app_answers", {}),
        SlotSet("app_provided", {}),
        SlotSet("app_cancelled", False),
        FollowupAction("application_form"),
    ]
    check = dispatcher.messages[0]["text"]
    assert "1. 居民身份证 —— ✅ 免提交" in check and "在线填写" in check
    assert [m["name"] for m in plan["collect"]] == ["居住证明", "就业或就读证明", "近期免冠彩色证件照（数码相片回执）"]
    assert plan["prefill"]["公民身份号码"] == "110105********002X"  # masked, never the raw number


def form_turn(text: str, intent: str, slot: str, slots: Dict[str, Any], sender: str, entities=None):  # type: ignore[no-untyped-def]
    events = [{"event": "user", "text": text, "input_channel": "rest"}, {"event": "slot", "name": slot, "value": text}]
    return make_tracker(
        text,
        intent,
        entities,
        {**slots, slot: text, "requested_slot": slot},
        sender_id=sender,
        events=events,
        active_loop="application_form",
    )


async def answer(
    slots: Dict[str, Any], sender: str, slot: str, text: str, intent: str = "inform_service", entities=None
):  # type: ignore[no-untyped-def]
    dispatcher_ = __import__("rasa_sdk.executor", fromlist=["CollectingDispatcher"]).CollectingDispatcher()
    events = await ValidateApplicationForm().run(
        dispatcher_, form_turn(text, intent, slot, slots, sender, entities), DOMAIN
    )
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
    return events, [m.get("text") for m in dispatcher_.messages]


async def test_the_form_collects_answers_and_submits_exactly_once(dispatcher, catalog) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    slots = await start(dispatcher, sender)
    slots.pop("_events")
    await answer(slots, sender, "app_eligible", "符合", "affirm")
    assert slots["app_eligible"] == "yes"
    await answer(slots, sender, "app_prefill_ok", "确认无误", "affirm")
    _, said = await answer(slots, sender, "app_field", "居住证要多少钱？", "ask_fee")
    assert slots["app_field"] is None and "工本费" in said[0] and "继续" in said[1]  # answered, then resumes
    await answer(slots, sender, "app_field", "示范市民生路88号3栋502室")
    assert slots["app_field"] is None and slots["app_answers"] == {"residence_address": "示范市民生路88号3栋502室"}
    _, said = await answer(slots, sender, "app_field", "打工")
    assert "就业、就读、合法稳定住所" in said[0]
    await answer(slots, sender, "app_field", "就业")
    assert slots["app_field"] == "done"
    await answer(slots, sender, "app_material", "我承诺", "affirm")
    for _ in range(2):
        attachment = upload()
        entity = [{"entity": "attachment_id", "value": attachment}]
        await answer(
            slots,
            sender,
            "app_material",
            f'/upload_material{{"attachment_id":"{attachment}"}}',
            "upload_material",
            entity,
        )
    assert slots["app_material"] == "done"
    await answer(slots, sender, "app_confirm", "确认提交", "affirm")
    number = slots["app_number"]
    assert slots["app_confirm"] == "done" and number
    again = dict(slots, app_number=None, app_confirm=None)
    await answer(again, sender, "app_confirm", "确认提交", "affirm")  # a double tap or a channel retry
    assert again["app_number"] == number
    with session_scope() as session:
        apps = session.query(Application).filter(Application.sender == sender).all()
        assert [a.number for a in apps] == [number]
        sources = sorted(m.source for m in apps[0].materials)
        assert sources == ["certificate", "commitment", "form", "upload", "upload"]
        assert apps[0].form_data == {"示范市居住地址": "示范市民生路88号3栋502室", "申领依据": "就业"}
        assert all(session.get(Attachment, m.attachment_id) for m in apps[0].materials if m.source == "upload")


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("app_eligible", "不符合", "deny"),
        ("app_field", "算了不办了", "deny"),
        ("app_confirm", "不对，不提交", "deny"),
    ],
)
async def test_declining_ends_the_form_without_submitting(
    dispatcher, catalog, slot: str, text: str, intent: str
) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    slots = await start(dispatcher, sender)
    slots.pop("_events")
    events, said = await answer(slots, sender, slot, text, intent)
    assert slots["app_cancelled"] is True and said
    required = await ValidateApplicationForm().required_slots(
        FORM_SLOTS, dispatcher, form_turn(text, intent, slot, slots, sender), DOMAIN
    )
    assert required == []
    done = await ActionApplicationDone().run(dispatcher, make_tracker("", "deny", slots=slots, sender_id=sender), {})
    assert done == reset_application()
    with session_scope() as session:
        assert session.query(Application).filter(Application.sender == sender).count() == 0


async def test_someone_elses_upload_is_not_accepted(dispatcher, catalog) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    slots = await start(dispatcher, sender)
    slots.pop("_events")
    foreign = upload("440308199901101512")
    entity = [{"entity": "attachment_id", "value": foreign}]
    _, said = await answer(slots, sender, "app_material", "/upload_material", "upload_material", entity)
    assert slots["app_material"] is None and slots["app_provided"] == {} and "没有找到" in said[0]


async def test_a_company_login_applies_in_the_company_s_name_with_the_company_s_library(dispatcher, catalog) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender, ZHANG, FIXED_COMPANY_CODE)
    tracker = make_tracker(
        "我们公司要办有限公司设立登记", "apply_service", [service("有限公司设立登记")], sender_id=sender
    )
    events = await ActionStartApplication().run(dispatcher, tracker, {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    plan = slots["app_plan"]
    assert events[-1] == FollowupAction("application_form") and plan["applicant"] == "company"
    assert plan["prefill"] == {
        "申请单位": "示范市张三商贸有限公司",
        "统一社会信用代码": "913501********0Y43",
        "法定代表人": "张三",
        "联系电话": "138****8000",
        "单位地址": "示范市示范大道100号2楼",
        "法人股东主体资格证明": "已调用电子证照（免提交）",
    }
    check = dispatcher.messages[0]["text"]
    assert "法人股东主体资格证明 —— ✅ 免提交" in check  # the company's 营业执照
    assert "自然人股东身份证明 —— 📎 需上传" in check  # the representative's ID card is not the company's
    provided = {
        str(m["id"]): ["commitment", None] if m["commitment"] else ["upload", upload()] for m in plan["collect"]
    }
    slots.update(app_provided=provided, app_answers={})
    await answer(slots, sender, "app_confirm", "确认提交", "affirm")
    assert slots["app_confirm"] == "done"
    with session_scope() as session:
        app = session.query(Application).filter(Application.number == slots["app_number"]).one()
        assert (app.person_id, app.company_code) == (ZHANG, FIXED_COMPANY_CODE)
    dispatcher.messages.clear()
    await ActionMyApplications().run(dispatcher, make_tracker("进度", "query_applications", sender_id=sender), {})
    assert slots["app_number"] in dispatcher.messages[0]["text"]
    person = f"app-{uuid.uuid4().hex}"
    bind(person, ZHANG)
    await ActionMyApplications().run(dispatcher, make_tracker("进度", "query_applications", sender_id=person), {})
    assert slots["app_number"] not in dispatcher.messages[-1]["text"]  # the person's own list is the person's


async def test_a_company_login_cannot_apply_for_a_personal_item_nor_switch_before_confirming(
    dispatcher, catalog
) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender, ZHANG, FIXED_COMPANY_CODE)
    tracker = make_tracker("我要办居住证", "apply_service", [service("居住证")], sender_id=sender)
    events = await ActionStartApplication().run(dispatcher, tracker, {})
    assert events == [SlotSet("service_item", "residence_permit"), SlotSet("service_topic", "居住证")]
    assert dispatcher.messages[-1]["text"].startswith("当前为企业登录，居住证申领是面向个人的事项。")
    person = f"app-{uuid.uuid4().hex}"
    bind(person, ZHANG)
    slots = await start(dispatcher, person)
    slots.pop("_events")
    bind(person, ZHANG, FIXED_COMPANY_CODE)  # logged out and in again as the company mid-application
    _, said = await answer(slots, person, "app_confirm", "确认提交", "affirm")
    assert slots["app_cancelled"] is True and slots.get("app_number") is None and "登录身份已变化" in said[0]


async def test_postal_delivery_asks_for_the_address_prefilled_from_the_library(dispatcher, catalog) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    tracker = make_tracker("我要换身份证", "apply_service", [service("身份证换领")], sender_id=sender)
    events = await ActionStartApplication().run(dispatcher, tracker, {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["app_plan"]["address"]["masked"] == "示范市示范大道***号"  # the raw address is not in the tracker
    assert "示范大道100号" not in str(events)
    _, said = await answer(slots, sender, "app_field", "邮寄到家")
    assert slots["app_answers"] == {"delivery": "邮寄到家"} and slots["app_field"] is None
    ask = ActionAskAppField().question(form_turn("", "inform", "app_field", slots, sender), slots["app_plan"])
    assert ask == {
        "text": "将寄到您居民户口簿上登记的地址：示范市示范大道***号。"
        "地址无误请回复“地址无误”；要寄到其他地方，请直接输入新的收件地址。",
        "buttons": [{"title": "地址无误", "payload": "地址无误"}],
    }
    _, said = await answer(slots, sender, "app_field", "还没想好")
    assert "请输入详细的收件地址" in said[0] and "delivery_address" not in slots["app_answers"]
    await answer(slots, sender, "app_field", "地址无误", "affirm")
    assert slots["app_field"] == "done" and slots["app_answers"]["delivery_address"] == LIBRARY_ADDRESS
    provided = {str(m["id"]): ["upload", upload()] for m in slots["app_plan"]["collect"]}
    slots.update(app_provided=provided)
    summary = ActionAskAppConfirm().question(form_turn("", "inform", "app_confirm", slots, sender), slots["app_plan"])
    assert "· 收件地址：示范市示范大道***号（居民户口簿登记地址）" in summary["text"]
    await answer(slots, sender, "app_confirm", "确认提交", "affirm")
    with session_scope() as session:
        app = session.query(Application).filter(Application.number == slots["app_number"]).one()
        assert app.form_data == {"领取方式": "邮寄到家", "收件地址": "示范市示范大道100号"}


async def test_a_new_postal_address_is_taken_and_shown_masked(dispatcher, catalog) -> None:
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    tracker = make_tracker("驾照到期换证", "apply_service", [service("驾驶证期满换证")], sender_id=sender)
    slots = {
        e["name"]: e["value"]
        for e in await ActionStartApplication().run(dispatcher, tracker, {})
        if e["event"] == "slot"
    }
    await answer(slots, sender, "app_field", "邮寄到家")
    await answer(slots, sender, "app_field", "寄到示范市民生路88号3栋502室吧")
    assert slots["app_answers"]["delivery_address"] == "寄到示范市民生路88号3栋502室吧"
    text = summary_text(slots["app_plan"], slots["app_answers"], {})
    assert "· 收件地址：寄到示范市民生路**号*栋***室吧" in text and "88号" not in text
    pickup = {"app_plan": slots["app_plan"], "app_answers": {}}
    await answer(pickup, sender, "app_field", "窗口自取")
    assert pickup["app_field"] == "done" and pickup["app_answers"] == {"delivery": "窗口自取"}


@pytest.mark.parametrize(
    ("slot", "before"),
    [("app_eligible", {}), ("app_prefill_ok", {"app_eligible": "yes"}), ("app_field", {"app_eligible": "yes"})],
)
async def test_an_unplaced_question_inside_the_form_is_answered_then_the_prompt_resumes(
    dispatcher, catalog, slot: str, before: Dict[str, Any]
) -> None:
    """Issue 13: "男的能领吗" (the NLU cannot place it) gets the item's conditions, never a field error."""
    sender = f"app-{uuid.uuid4().hex}"
    bind(sender)
    slots = await start(dispatcher, sender)
    slots.pop("_events")
    slots.update(before)
    _, said = await answer(slots, sender, slot, "男的能领吗", "nlu_fallback")
    assert slots[slot] is None and not slots.get("app_cancelled")
    assert said[0].startswith("【居住证申领】") and "申请条件" in said[0]
    assert said[-1] == "好的，我们继续刚才的申请："
