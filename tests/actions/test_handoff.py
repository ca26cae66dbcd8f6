"""转人工: queue and pause when an agent is on duty in office hours, otherwise take a message."""

from __future__ import annotations

import datetime
from typing import Any, Dict, Iterator

import pytest
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.handoff import (
    ActionRequestHuman,
    ActionSubmitHandoffMessage,
    ValidateHandoffMessageForm,
)
from govservice.accounts.demo_officers import seed_officers
from govservice.db import session_scope
from govservice.handoff import queue as handoff
from govservice.handoff.hours import office_hours
from govservice.settings import reload as reload_settings
from tests.actions.conftest import make_tracker

FORM_SLOTS = ["handoff_message", "handoff_contact"]
DOMAIN: Dict[str, Any] = {
    "forms": {"handoff_message_form": {"required_slots": FORM_SLOTS}},
    "slots": {name: {"type": "text", "mappings": [{"type": "custom"}]} for name in FORM_SLOTS},
}
CLEARED = [SlotSet("handoff_message", None), SlotSet("handoff_contact", None)]


@pytest.fixture(autouse=True)
def back_office(catalog: Any) -> None:  # the catalog fixture migrated the database
    with session_scope() as s:
        seed_officers(s)


@pytest.fixture()
def always_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_DAYS", "1-7")
    monkeypatch.setenv("HANDOFF_HOURS", "00:00-24:00")
    reload_settings()


@pytest.fixture()
def agent_on_duty(always_open: None) -> Iterator[str]:
    with session_scope() as s:
        handoff.set_on_duty(s, "ga_officer", True, "测试")
    yield "ga_officer"
    with session_scope() as s:
        handoff.set_on_duty(s, "ga_officer", False, "测试")
        for ticket in handoff.list_tickets(s, [handoff.WAITING, handoff.ACTIVE]):
            handoff.close(s, ticket.id, "测试")


async def _ask(sender: str, channel: str = "rest") -> Any:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("我要找真人客服", "request_human", sender_id=sender,
                           events=[{"event": "user", "text": "我要找真人客服", "input_channel": channel}])
    events = await ActionRequestHuman().run(dispatcher, tracker, {})
    return events, [m["text"] for m in dispatcher.messages]


async def test_on_duty_the_conversation_is_queued_and_the_bot_pauses(agent_on_duty: str) -> None:
    events, texts = await _ask("citizen-a", "socketio")
    assert events == [SlotSet("handoff_available", True), ConversationPaused()]
    assert texts == ["已为您转接人工客服，您前面还有0位，客服马上为您接入。人工客服接入后会直接在这里回复您，"
                     "在此期间智能助手暂停应答。"]
    events, texts = await _ask("citizen-b")
    assert events == [SlotSet("handoff_available", True), ConversationPaused()]
    assert texts[0].startswith("已为您转接人工客服，您前面还有1位，请耐心等候。")
    with session_scope() as s:
        ticket = handoff.open_ticket(s, "socketio", "citizen-a")
        assert ticket is not None and ticket.status == handoff.WAITING


async def test_without_an_agent_on_duty_the_citizen_may_leave_a_message(always_open: None) -> None:
    events, texts = await _ask("citizen-c")
    assert events == [SlotSet("handoff_available", False), *CLEARED]
    assert texts == ["抱歉，目前暂无人工客服在线。您可以留言并留下联系方式，工作人员会尽快与您联系。"
                     "如有急事，也可拨打12345政务服务便民热线。"]


async def test_outside_office_hours_the_citizen_may_leave_a_message(
    agent_on_duty: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tomorrow in the office's zone (Asia/Shanghai), not the machine's: from 16:00 UTC they differ.
    tomorrow = (office_hours().local().date() + datetime.timedelta(days=1)).isoweekday()
    monkeypatch.setenv("HANDOFF_DAYS", str(tomorrow))  # today is never in office hours
    reload_settings()
    events, texts = await _ask("citizen-d")
    assert events == [SlotSet("handoff_available", False), *CLEARED]
    assert texts[0].startswith("抱歉，现在是非工作时间（人工客服服务时间：")
    with session_scope() as s:
        assert handoff.open_ticket(s, "rest", "citizen-d") is None


def _form_turn(slot: str, value: str) -> Any:
    events = [
        {"event": "user", "text": value, "input_channel": "wechat"},
        {"event": "slot", "name": slot, "value": value},
    ]
    return make_tracker(value, "inform", slots={slot: value, "requested_slot": slot}, sender_id="openid-9",
                        events=events, active_loop="handoff_message_form")


@pytest.mark.parametrize(
    ("slot", "typed", "expected", "reply"),
    [
        ("handoff_message", "好", None, "请简要说明您要咨询或反映的问题"),
        ("handoff_message", "长" * 501, None, "留言请控制在500字以内"),
        ("handoff_message", "公积金提取被退回了，想问原因", "公积金提取被退回了，想问原因", None),
        ("handoff_contact", "不方便", None, "没有识别到有效的联系方式"),
        ("handoff_contact", "我的电话是 138 0013 8000", "13800138000", None),
        ("handoff_contact", "138-0013-8000", "13800138000", None),
    ],
)
async def test_the_form_checks_message_and_contact(slot: str, typed: str, expected: Any, reply: Any) -> None:
    dispatcher = CollectingDispatcher()
    events = await ValidateHandoffMessageForm().run(dispatcher, _form_turn(slot, typed), DOMAIN)
    assert events == [SlotSet(slot, expected)]
    assert [m["text"][: len(reply)] for m in dispatcher.messages] == ([reply] if reply else [])


async def test_the_message_becomes_a_console_ticket() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("13800138000", "inform", sender_id="openid-10",
                           slots={"handoff_message": "公积金提取被退回了，想问原因", "handoff_contact": "13800138000"},
                           events=[{"event": "user", "text": "13800138000", "input_channel": "wechat"}])
    events = await ActionSubmitHandoffMessage().run(dispatcher, tracker, {})
    assert events == CLEARED
    with session_scope() as s:
        ticket = handoff.list_tickets(s, [handoff.MESSAGE])[-1]
        assert (ticket.channel, ticket.sender, ticket.contact) == ("wechat", "openid-10", "13800138000")
        assert ticket.message == "公积金提取被退回了，想问原因"
    assert [m["text"] for m in dispatcher.messages] == [
        f"已收到您的留言（编号{ticket.id}）。工作人员将在工作时间内通过138****8000与您联系，请留意。"
    ]


async def test_a_masked_contact_is_not_saved() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("x", "inform", sender_id="openid-11",
                           slots={"handoff_message": "问题", "handoff_contact": "138****8000"})
    assert await ActionSubmitHandoffMessage().run(dispatcher, tracker, {}) == CLEARED
    assert dispatcher.messages[0]["text"].startswith("抱歉，留言未能保存")
