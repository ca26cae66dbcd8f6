"""The window through the actions: routing, policy, greeting + request, out of scope, and the queue."""

from __future__ import annotations

import uuid

import pytest

from bot.actions.fallback import ActionFaqFallback, ActionGreet, ActionOutOfScope
from bot.actions.service_guide import ActionAnswerService
from govservice.catalog import facts
from govservice.db import session_scope
from govservice.faq.models import UnansweredQuestion
from tests.actions.conftest import make_tracker, service


def _queued(marker: str) -> list:
    with session_scope() as session:
        return [q.text for q in session.query(UnansweredQuestion).all() if marker in q.text]


@pytest.mark.asyncio
async def test_a_government_question_the_nlu_called_out_of_scope_is_routed_and_queued(dispatcher, catalog) -> None:
    marker = uuid.uuid4().hex[:6]
    text = f"楼下餐馆油烟太大{marker}，找哪个部门管，我电话13912345678"
    await ActionOutOfScope().run(dispatcher, make_tracker(text, "out_of_scope"), {})
    reply = dispatcher.messages[0]
    dept = facts.departments()["CG"]
    assert "城市管理" in reply["text"] and dept["name"] in reply["text"] and dept["consult_phone"] in reply["text"]
    assert "超出了我的服务范围" not in reply["text"]
    payloads = [b["payload"] for b in reply["buttons"]]
    assert "/request_human" in payloads
    queued = _queued(marker)
    assert len(queued) == 1 and "13912345678" not in queued[0] and "139****5678" in queued[0]


@pytest.mark.asyncio
async def test_everyday_talk_is_out_of_scope_and_not_queued(dispatcher, catalog) -> None:
    marker = uuid.uuid4().hex[:6]
    await ActionOutOfScope().run(dispatcher, make_tracker(f"周末想去海边玩{marker}有什么推荐", "out_of_scope"), {})
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert _queued(marker) == []


@pytest.mark.asyncio
async def test_a_policy_question_gets_the_policy_channel_and_is_queued(dispatcher, catalog) -> None:
    marker = uuid.uuid4().hex[:6]
    text = f"请问生育津贴的标准今年会不会提高{marker}"
    await ActionFaqFallback().run(dispatcher, make_tracker(text, "nlu_fallback"), {})
    reply = dispatcher.messages[0]["text"]
    assert "政策" in reply and "0999-12393" in reply and "不能替部门作答" in reply
    assert len(_queued(marker)) == 1


@pytest.mark.asyncio
async def test_a_greeting_in_front_of_a_request_is_the_request(dispatcher, catalog) -> None:
    events = await ActionGreet().run(dispatcher, make_tracker("您好，居住证网上能办吗", "greet"), {})
    assert catalog.get("residence_permit").name in dispatcher.messages[0]["text"]
    assert {"event": "slot", "timestamp": None, "name": "service_item", "value": "residence_permit"} in events


@pytest.mark.asyncio
async def test_a_plain_greeting_is_greeted(dispatcher, catalog) -> None:
    await ActionGreet().run(dispatcher, make_tracker("您好呀", "greet"), {})
    assert dispatcher.messages[0]["response"] == "utter_greet"


@pytest.mark.asyncio
async def test_an_unresolved_service_question_with_a_theme_is_routed_not_a_bare_which_item(dispatcher, catalog) -> None:
    # No curated item covers prepaid-card refunds; the theme (企业, 市场监管) still answers.
    marker = uuid.uuid4().hex[:6]
    await ActionAnswerService().run(dispatcher, make_tracker(f"预付卡{marker}退费要什么材料", "ask_materials"), {})
    reply = dispatcher.messages[0]["text"]
    assert "示范市市场监督管理局" in reply and "请问您想了解哪项业务" not in reply
    assert len(_queued(marker)) == 1


@pytest.mark.asyncio
async def test_a_long_post_is_answered_for_its_question(dispatcher, catalog) -> None:
    post = (
        "尊敬的领导您好！我今年三月从外地调到这边工作，单位已经给我交了半年社保，租的房子离单位很近。"
        "现在想问一下，居住证要带哪些材料去办？另外多久能拿到？盼复，谢谢！"
    )
    await ActionOutOfScope().run(dispatcher, make_tracker(post, "out_of_scope"), {})
    reply = dispatcher.messages[0]["text"]
    item = catalog.get("residence_permit")
    assert item.name in reply and all(m.name in reply for m in item.materials)


@pytest.mark.asyncio
async def test_a_long_post_classified_as_a_service_question_is_answered_for_its_question(dispatcher, catalog) -> None:
    post = (
        "您好，我家孩子今年九月上小学，报名的事已经办好了。我自己的居住证明年三月到期，"
        "平时上班很忙，想问一下居住证到期了能不能在网上续签？谢谢！"
    )
    await ActionAnswerService().run(dispatcher, make_tracker(post, "ask_online", [service("入学")]), {})
    # The question is the residence permit, not the school place of the background: either its
    # guide or the residence-permit items to choose from (申领 / 签注 are both close to 续签).
    reply = dispatcher.messages[0]
    offered = reply["text"] + "".join(button["title"] for button in reply.get("buttons") or [])
    assert "居住证" in offered and "入学" not in reply["text"].split("\n")[0]


@pytest.mark.asyncio
async def test_a_provincial_guide_also_names_the_citys_department(dispatcher, catalog) -> None:
    # 法律援助 is only in the imported provincial catalog: its guide, then where to ask in the city.
    await ActionAnswerService().run(dispatcher, make_tracker("请不起律师能申请法律援助吗", "ask_process"), {})
    reply = dispatcher.messages[0]["text"]
    assert reply.startswith("【法律援助") and "广东省政务服务网" in reply
    assert "本市咨询：示范市司法局" in reply
