"""主动服务 actions: 订阅/退订提醒 (login first), showing a reminder once, and 我可以办什么 with reasons."""

from __future__ import annotations

import datetime
import random
import uuid

from rasa_sdk.events import FollowupAction, SlotSet

from bot.actions.login import LOGIN_SLOTS
from bot.actions.my_applications import ActionMyApplications
from bot.actions.proactive import (
    ActionRecommendServices,
    ActionShowReminders,
    ActionSubscribeReminders,
    ActionUnsubscribeReminders,
)
from govservice.applications.workflow import accept, approve, start_review, submit_application
from govservice.certificates.models import Certificate
from govservice.clock import office_date, utc_now
from govservice.db import session_scope
from govservice.identity.models import LastLogin
from govservice.notifications import reminders
from govservice.notifications.reminder_models import Reminder
from tests.actions.conftest import make_tracker
from tests.actions.test_applications import ZHANG, bind
from tests.govservice.notifications.test_reminders import add_cert, add_person


def _login_first(pending: str) -> list:
    return [*[SlotSet(s, None) for s in LOGIN_SLOTS], SlotSet("pending_request", pending), FollowupAction("login_form")]


def _citizen() -> str:
    """A new synthetic citizen with a driving licence expiring in 30 days."""
    rng = random.Random(uuid.uuid4().int)
    with session_scope() as s:
        birth = datetime.date(1980, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
        pid = add_person(s, birth, rng.randrange(1000))
        add_cert(s, pid, "机动车驾驶证", 30, number=pid)
    return pid


async def test_subscribing_needs_login_first(dispatcher, catalog) -> None:
    tracker = make_tracker("订阅证照到期提醒", "subscribe_reminders", sender_id=f"anon-{uuid.uuid4().hex}")
    assert await ActionSubscribeReminders().run(dispatcher, tracker, {}) == _login_first("subscribe_reminders")
    assert dispatcher.messages[0]["text"] == "订阅证照到期提醒需要先登录，以便核对您本人的证照。"


async def test_subscribe_then_unsubscribe_through_the_actions(dispatcher, catalog) -> None:
    pid, sender = _citizen(), f"me-{uuid.uuid4().hex}"
    bind(sender, pid)
    subscribe = make_tracker("订阅证照到期提醒", "subscribe_reminders", sender_id=sender)
    assert await ActionSubscribeReminders().run(dispatcher, subscribe, {}) == []
    assert await ActionSubscribeReminders().run(dispatcher, subscribe, {}) == []
    assert reminders.subscribed(pid) is True
    stop = make_tracker("退订提醒", "unsubscribe_reminders", sender_id=sender)
    assert await ActionUnsubscribeReminders().run(dispatcher, stop, {}) == []
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_reminders_on", "utter_reminders_already_on", "utter_reminders_off"
    ]
    assert reminders.subscribed(pid) is False


async def test_unsubscribing_where_the_reminders_arrive_needs_no_login(dispatcher, catalog) -> None:
    pid, sender = _citizen(), f"wx-{uuid.uuid4().hex}"
    reminders.subscribe(pid)
    with session_scope() as s:
        s.add(LastLogin(person_id=pid, channel="rest", sender=sender, logged_in_at=utc_now()))
    stop = make_tracker("别再提醒我了", "unsubscribe_reminders", sender_id=sender)
    assert await ActionUnsubscribeReminders().run(dispatcher, stop, {}) == []
    assert dispatcher.messages[0]["response"] == "utter_reminders_off"
    assert reminders.subscribed(pid) is False
    elsewhere = make_tracker("退订提醒", "unsubscribe_reminders", sender_id=f"anon-{uuid.uuid4().hex}")
    assert await ActionUnsubscribeReminders().run(dispatcher, elsewhere, {}) == _login_first("unsubscribe_reminders")


async def test_a_reminder_is_shown_once_with_a_button_that_sets_the_renewal_item(dispatcher, catalog) -> None:
    pid, sender = _citizen(), f"me-{uuid.uuid4().hex}"
    with session_scope() as s:
        cert = s.query(Certificate).filter_by(holder_id=pid).one()
        s.add(Reminder(person_id=pid, certificate_id=cert.id, valid_until=cert.valid_until,
                       item_key="driving_licence_renew", channel="rest", sender=sender, text="【证照到期提醒】测试",
                       created_at=utc_now()))
    tracker = make_tracker("你好", "greet", sender_id=sender)
    shown = await ActionShowReminders().run(dispatcher, tracker, {})
    assert shown == [SlotSet("service_item", "driving_licence_renew")]
    assert await ActionShowReminders().run(dispatcher, tracker, {}) == []
    assert [(m["text"], m["buttons"]) for m in dispatcher.messages] == [
        ("【证照到期提醒】测试",
         [{"title": "一键办理机动车驾驶证期满换证", "payload": '/apply_service{"service":"driving_licence_renew"}'}])
    ]


async def test_what_can_i_do_needs_login_first(dispatcher, catalog) -> None:
    tracker = make_tracker("我可以办什么", "what_can_i_do", sender_id=f"anon-{uuid.uuid4().hex}")
    assert await ActionRecommendServices().run(dispatcher, tracker, {}) == _login_first("what_can_i_do")


async def test_what_can_i_do_lists_the_renewal_with_its_reason(dispatcher, catalog) -> None:
    sender = f"me-{uuid.uuid4().hex}"
    bind(sender, ZHANG)
    with session_scope() as s:
        until = s.query(Certificate).filter_by(holder_id=ZHANG, type_name="机动车驾驶证").one().valid_until
    assert 0 <= (until - office_date()).days <= 90
    reminders.subscribe(ZHANG, False)
    tracker = make_tracker("有什么我能办的", "what_can_i_do", sender_id=sender)
    assert await ActionRecommendServices().run(dispatcher, tracker, {}) == []
    first, second = dispatcher.messages
    assert first["text"] == (
        "根据您的情况，您可以办理：\n"
        f"1. 机动车驾驶证期满换证（因为您的机动车驾驶证将于{until.year}年{until.month}月{until.day}日到期）"
    )
    assert first["buttons"] == [
        {"title": "办理机动车驾驶证期满换证", "payload": '/apply_service{"service":"driving_licence_renew"}'}
    ]
    assert second["text"] == "如需在证照到期前收到提醒，请说“订阅证照到期提醒”。"


async def test_the_finish_notice_and_my_applications_suggest_what_follows(dispatcher, catalog) -> None:
    pid, sender = _citizen(), f"me-{uuid.uuid4().hex}"
    app = submit_application(None, idempotency_key=f"t-{uuid.uuid4().hex}", item_key="marriage_registration",
                             person_id=pid, channel="rest", sender=sender, form_data={})
    dept = catalog.get("marriage_registration").department_code
    with session_scope() as s:
        accept(s, app.number, "民政小李", dept)
        start_review(s, app.number, "民政小李", dept)
        approve(s, app.number, "民政小李", dept)
    entities = [{"entity": "application_no", "value": app.number}, {"entity": "application_status", "value": "已办结"}]
    notice = make_tracker("", "query_applications", entities, sender_id=sender)
    assert await ActionMyApplications().run(dispatcher, notice, {}) == [
        SlotSet("rating_number", app.number), FollowupAction("rating_form")
    ]
    following = "1. 夫妻投靠落户、生育登记（因为您已办结结婚登记）"
    buttons = [
        {"title": "办理夫妻投靠落户", "payload": '/apply_service{"service":"hukou_spouse_join"}'},
        {"title": "办理生育登记", "payload": '/apply_service{"service":"birth_service_registration"}'},
    ]
    assert dispatcher.messages[0]["text"].startswith(f"【办件通知】您的办件{app.number}")
    assert (dispatcher.messages[1]["text"], dispatcher.messages[1]["buttons"]) == (
        "接下来您可能还需要办理：\n" + following, buttons
    )
    dispatcher.messages.clear()
    bind(sender, pid)
    mine = make_tracker("我的申请", "query_applications", sender_id=sender)
    assert await ActionMyApplications().run(dispatcher, mine, {}) == []
    assert app.number in dispatcher.messages[0]["text"]
    assert (dispatcher.messages[1]["text"], dispatcher.messages[1]["buttons"]) == (
        "根据您已办结的事项，接下来您可能还需要办理：\n" + following, buttons
    )
