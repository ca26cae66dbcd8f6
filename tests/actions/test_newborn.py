"""新生儿出生一件事 in the chat: prefilled from the 出生医学证明, one confirmation, linked applications."""

from __future__ import annotations

import uuid
from typing import Any, Dict

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from bot.actions.newborn import NB_SLOTS, ActionStartNewborn, ValidateNewbornForm, parse_field
from govservice.application_models import Application, ApplicationError
from govservice.db import session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_applications import bind

LI = "440308199901101512"
DOMAIN: Dict[str, Any] = {
    "forms": {"newborn_form": {"required_slots": ["nb_field", "nb_confirm"]}},
    "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in NB_SLOTS},
}


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("child_gender", "是个女孩", "女"),
        ("birth_date", "2026年11月6日", "2026-11-06"),
        ("birth_certificate_number", "q3501 0326", "Q35010326"),
        ("child_name", "李小满", "李小满"),
    ],
)
def test_fields_are_read_from_colloquial_answers(key: str, text: str, value: str) -> None:
    assert parse_field(key, text) == value


def test_an_unclear_gender_is_asked_again() -> None:
    with pytest.raises(ApplicationError, match="男”或“女"):
        parse_field("child_gender", "还不知道")


async def test_the_bundle_is_prefilled_and_submitted_once(dispatcher, catalog) -> None:
    sender = f"nb-{uuid.uuid4().hex}"
    bind(sender, LI)
    events = await ActionStartNewborn().run(
        dispatcher, make_tracker("孩子出生了要办什么", "newborn_event", sender_id=sender), {}
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    data = slots["nb_data"]
    assert events == [
        *[SlotSet(s, None) for s in NB_SLOTS],
        SlotSet("nb_data", data),
        SlotSet("nb_key", slots["nb_key"]),
        FollowupAction("newborn_form"),
    ]
    assert data["child_name"] == "李小满" and data["child_gender"] == "女" and data["birth_certificate_number"]
    said = " ".join(m["text"] for m in dispatcher.messages)
    assert "出生医学证明：✅ 已在您的电子证照库中" in said and "李小满" in said
    numbers = []
    for _ in range(2):  # a double tap on 确认提交
        turn = make_tracker(
            "确认提交",
            "affirm",
            slots={**slots, "nb_confirm": "确认提交", "requested_slot": "nb_confirm"},
            sender_id=sender,
            events=[
                {"event": "user", "text": "确认提交", "input_channel": "rest"},
                {"event": "slot", "name": "nb_confirm", "value": "确认提交"},
            ],
            active_loop="newborn_form",
        )
        result = await ValidateNewbornForm().run(dispatcher, turn, DOMAIN)
        summary = next(e["value"] for e in result if e["event"] == "slot" and e["name"] == "nb_result")
        numbers.append(summary)
    assert numbers[0] == numbers[1] and numbers[0].count("｜") == 3
    with session_scope() as session:
        apps = session.query(Application).filter(Application.sender == sender).all()
        assert len(apps) == 3 and len({a.bundle_id for a in apps}) == 1
        assert {a.department_code for a in apps} == {"GA", "YB", "RS"}


async def test_login_comes_first(dispatcher, catalog) -> None:
    events = await ActionStartNewborn().run(
        dispatcher, make_tracker("新生儿一件事", "newborn_event", sender_id=f"anon-{uuid.uuid4().hex}"), {}
    )
    assert events[-2:] == [SlotSet("pending_request", "newborn_event"), FollowupAction("login_form")]
