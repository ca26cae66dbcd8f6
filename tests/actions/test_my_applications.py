"""The citizen's applications: progress, notifications to the sender who applied, withdrawal."""

from __future__ import annotations

import uuid

from rasa_sdk.events import FollowupAction, SlotSet

from bot.actions.login import LOGIN_SLOTS
from bot.actions.my_applications import ActionMyApplications, ActionWithdrawApplication
from govservice.applications.workflow import submit_application
from tests.actions.conftest import make_tracker
from tests.actions.test_applications import ZHANG, bind


def _submit(sender: str) -> str:
    app = submit_application(
        None,
        idempotency_key=f"t-{uuid.uuid4().hex}",
        item_key="hpf_account_query",
        person_id=ZHANG,
        channel="rest",
        sender=sender,
        form_data={},
    )
    return str(app.number)


async def test_progress_needs_login_first(dispatcher, catalog) -> None:
    events = await ActionMyApplications().run(
        dispatcher, make_tracker("我的申请到哪了", "query_applications", sender_id=f"anon-{uuid.uuid4().hex}"), {}
    )
    assert events == [
        *[SlotSet(s, None) for s in LOGIN_SLOTS],
        SlotSet("pending_request", "query_applications"),
        FollowupAction("login_form"),
    ]


async def test_progress_lists_the_own_applications_with_the_next_step(dispatcher, catalog) -> None:
    sender = f"me-{uuid.uuid4().hex}"
    bind(sender)
    number = _submit(sender)
    assert (
        await ActionMyApplications().run(dispatcher, make_tracker("进度", "query_applications", sender_id=sender), {})
        == []
    )
    text = dispatcher.messages[0]["text"]
    assert number in text and "等待窗口受理" in text


async def test_a_notification_reaches_only_the_sender_who_applied(dispatcher, catalog) -> None:
    sender = f"me-{uuid.uuid4().hex}"
    number = _submit(sender)
    entities = [{"entity": "application_no", "value": number}, {"entity": "application_status", "value": "已受理"}]
    other = make_tracker("", "query_applications", entities, sender_id=f"other-{uuid.uuid4().hex}")
    assert await ActionMyApplications().run(dispatcher, other, {}) == [] and dispatcher.messages == []
    own = make_tracker("", "query_applications", entities, sender_id=sender)
    assert await ActionMyApplications().run(dispatcher, own, {}) == []
    assert dispatcher.messages[0]["text"].startswith(f"【办件通知】您的办件{number}")


async def test_withdraw_the_newest_submitted_application(dispatcher, catalog) -> None:
    sender = f"me-{uuid.uuid4().hex}"
    bind(sender)
    number = _submit(sender)
    tracker = make_tracker("撤回申请", "withdraw_application", sender_id=sender)
    assert await ActionWithdrawApplication().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["text"] == f"已撤回办件{number}。如需办理，可以随时重新申请。"
