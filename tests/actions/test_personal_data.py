"""导出我的数据 / 删除我的数据 in the chat: login first, a one-time link, deletion only after confirmation."""

from __future__ import annotations

import time
import uuid

from rasa_sdk.events import FollowupAction, SlotSet

from bot.actions.login import LOGIN_SLOTS, RESUME_ACTIONS
from bot.actions.personal_data import (
    COMPANY_SESSION,
    ActionAskDeleteMyData,
    ActionDeleteMyData,
    ActionExportMyData,
    public_url,
)
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity.models import Binding, Company, Person
from govservice.privacy.data_deletion import KEPT_TEXT
from govservice.privacy.models import ConversationErasure
from govservice.privacy.personal_data import EXPORT_PATH, redeem_export_link
from govservice.settings import reload as reload_settings
from tests.actions.conftest import make_tracker
from tests.actions.test_applications import ZHANG, bind

LI = "440308199901101512"


def _someone_else() -> str:
    """A generated demo citizen, so deleting their data disturbs no other test."""
    with session_scope() as session:
        reps = {code for (code,) in session.query(Company.legal_rep_id)}
        people = session.query(Person.id_number).filter(Person.id_number.notin_([ZHANG, LI, *reps]))
        return str(people.order_by(Person.id_number.desc()).first()[0])


def _export(sender: str):  # type: ignore[no-untyped-def]
    return make_tracker("导出我的数据", "export_my_data", sender_id=sender)


def _confirm(sender: str, asked_at: float):  # type: ignore[no-untyped-def]
    return make_tracker("确认删除", "confirm_delete_my_data", sender_id=sender, slots={"delete_requested_at": asked_at})


async def test_export_without_login_starts_the_login_and_resumes_with_the_export(dispatcher, catalog) -> None:
    tracker = make_tracker("导出我的数据", "export_my_data", sender_id=f"anon-{uuid.uuid4().hex}")
    events = await ActionExportMyData().run(dispatcher, tracker, {})
    assert events == [
        *[SlotSet(slot, None) for slot in LOGIN_SLOTS],
        SlotSet("pending_request", "export_my_data"),
        FollowupAction("login_form"),
    ]
    assert "需要先登录" in dispatcher.messages[0]["text"]
    assert RESUME_ACTIONS["export_my_data"] == "action_export_my_data"
    assert RESUME_ACTIONS["delete_my_data"] == "action_ask_delete_my_data"


async def test_export_replies_with_a_one_time_link_to_the_citizens_own_data(dispatcher, catalog, monkeypatch) -> None:
    monkeypatch.setenv("RASA_PUBLIC_URL", "https://zw.example.cn/")
    reload_settings()
    sender = f"exp-{uuid.uuid4().hex}"
    bind(sender)
    events = await ActionExportMyData().run(dispatcher, _export(sender), {})
    assert events == []
    (message,) = dispatcher.messages
    prefix = f"{public_url()}{EXPORT_PATH}"
    assert prefix == "https://zw.example.cn/webhooks/upload/export/" and prefix in message["text"]
    assert "10分钟" in message["text"] and "一次" in message["text"]
    token = message["text"].split(prefix, 1)[1].strip()
    with session_scope() as session:
        export = redeem_export_link(session, token, utc_now())
    assert export is not None and export["个人信息"]["姓名"] == "张三"


async def test_a_company_session_is_told_to_log_in_as_a_person(dispatcher, catalog) -> None:
    sender = f"co-{uuid.uuid4().hex}"
    bind(sender)
    with session_scope() as session:
        binding = session.get(Binding, ("rest", sender))
        binding.company_code = session.query(Company.credit_code).filter_by(legal_rep_id=ZHANG).scalar()
    events = await ActionExportMyData().run(dispatcher, _export(sender), {})
    assert events == [] and dispatcher.messages[0]["text"] == COMPANY_SESSION


async def test_delete_asks_first_and_deletes_only_after_a_recent_confirmation(dispatcher, catalog) -> None:
    person = _someone_else()
    sender = f"del-{uuid.uuid4().hex}"
    bind(sender, person)
    ask_tracker = make_tracker("删除我的数据", "delete_my_data", sender_id=sender)
    ask = await ActionAskDeleteMyData().run(dispatcher, ask_tracker, {})
    assert len(ask) == 1 and ask[0]["name"] == "delete_requested_at" and abs(ask[0]["value"] - time.time()) < 5
    preview = dispatcher.messages[0]
    assert KEPT_TEXT in preview["text"] and "确认删除" in preview["text"]
    assert [b["payload"] for b in preview["buttons"]] == ["/confirm_delete_my_data", "/cancel"]
    with session_scope() as session:
        assert session.get(Binding, ("rest", sender)) is not None  # nothing deleted yet

    stale = await ActionDeleteMyData().run(dispatcher, _confirm(sender, time.time() - 601), {})
    assert stale == [SlotSet("delete_requested_at", None)]
    assert "请先说“删除我的数据”" in dispatcher.messages[-1]["text"]
    with session_scope() as session:
        assert session.get(Binding, ("rest", sender)) is not None

    events = await ActionDeleteMyData().run(dispatcher, _confirm(sender, ask[0]["value"]), {})
    assert events == [
        SlotSet("delete_requested_at", None),
        SlotSet("logged_in", False),
        SlotSet("pending_request", None),
    ]
    assert "已删除您的数据" in dispatcher.messages[-1]["text"] and KEPT_TEXT in dispatcher.messages[-1]["text"]
    with session_scope() as session:
        assert session.query(Binding).filter_by(person_id=person).count() == 0
        assert session.query(ConversationErasure).filter_by(sender=sender, done_at=None).count() == 1


async def test_a_confirmation_without_a_login_deletes_nothing(dispatcher, catalog) -> None:
    events = await ActionDeleteMyData().run(dispatcher, _confirm(f"anon-{uuid.uuid4().hex}", time.time()), {})
    assert events == [SlotSet("delete_requested_at", None), SlotSet("logged_in", False)]
    assert "数据未删除" in dispatcher.messages[0]["text"]
