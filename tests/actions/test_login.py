"""Login form validation and what follows it, with the real back office underneath."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet

from bot.actions.login import (
    CODE_MASK,
    LOGIN_SLOTS,
    NOT_LOGGED_IN,
    ActionLoginComplete,
    ActionRememberRequest,
    ValidateLoginForm,
)
from bot.actions.logout import ActionLogout
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.faq.models import UnansweredQuestion
from govservice.identity import auth
from govservice.identity.models import Person
from govservice.identity.sms import get_gateway
from tests.actions.conftest import make_tracker, service

ZHANG = "11010519491231002X"
DOMAIN: Dict[str, Any] = {
    "forms": {"login_form": {"required_slots": ["login_id", "login_name", "login_code"]}},
    "slots": {name: {"type": "text", "mappings": [{"type": "custom"}]} for name in [*LOGIN_SLOTS, "logged_in"]},
}


def _last_code() -> str:
    get_gateway().join()  # the SMS goes out in the background
    outbox = Path(os.environ["VAR_DIR"]) / "sms_outbox.jsonl"
    last = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    assert last["phone"] == "13800138000"
    return re.search(r"\d{6}", last["text"]).group(0)


def _form_turn(
    slot: str,
    value: str,
    sender: str,
    slots: Dict[str, Any],
    intent: str = "inform_id_number",
    entities: List[Dict[str, Any]] | None = None,
) -> Any:
    """A tracker just after action_extract_slots put the citizen's text into ``slot``."""
    events = [
        {"event": "user", "text": value, "input_channel": "rest"},
        {"event": "slot", "name": slot, "value": value},
    ]
    return make_tracker(
        value,
        intent,
        entities=entities,
        slots={**slots, slot: value, "requested_slot": slot},
        sender_id=sender,
        events=events,
        active_loop="login_form",
    )


async def validate(dispatcher, slot: str, value: str, sender: str, **slots: Any) -> Any:  # type: ignore[no-untyped-def]
    return await ValidateLoginForm().run(dispatcher, _form_turn(slot, value, sender, slots), DOMAIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4403081999011", "身份证号码应为18位"), ("360426199113010079", "出生日期"), ("36042619910102009X", "校验")],
)
async def test_invalid_id_numbers_get_their_own_reply(dispatcher, catalog, text: str, expected: str) -> None:
    events = await validate(dispatcher, "login_id", text, "bad-id")
    assert events == [SlotSet("login_id", None)]
    assert expected in dispatcher.messages[0]["text"]


async def test_full_login_then_the_pending_request_is_answered(dispatcher, catalog) -> None:
    sender = "login-ok"
    events = await ValidateLoginForm().run(
        dispatcher, _form_turn("login_id", f"我的身份证号是{ZHANG.lower()}", sender, {}), DOMAIN
    )
    ref = events[1]["value"]
    assert events == [SlotSet("login_id", "110105********002X"), SlotSet("login_ref", ref)]
    assert len(ref) == 32

    events = await ValidateLoginForm().run(
        dispatcher, _form_turn("login_name", "张三", sender, {"login_ref": ref}), DOMAIN
    )
    assert events == [SlotSet("login_name", "张*")]
    assert dispatcher.messages[-1]["text"] == "如信息匹配，验证码已发送至登记的手机，5分钟内有效。"

    code = _last_code()
    events = await ValidateLoginForm().run(
        dispatcher, _form_turn("login_code", code, sender, {"login_ref": ref}), DOMAIN
    )
    assert events == [SlotSet("login_code", CODE_MASK), SlotSet("logged_in", True)]

    tracker = make_tracker("", "inform_id_number", slots={"pending_request": "query_certificates"}, sender_id=sender)
    complete = ActionLoginComplete()
    after = await complete.run(dispatcher, tracker, DOMAIN)
    assert after == [
        *(SlotSet(s, None) for s in LOGIN_SLOTS),
        SlotSet("logged_in", True),
        SlotSet("pending_request", None),
    ]
    texts = [m["text"] for m in dispatcher.messages]
    assert "登录成功，欢迎您，张*（110105********002X）。" in texts
    listing = next(t for t in texts if "机动车驾驶证" in t)
    assert ZHANG not in listing and "天后到期" in listing

    events = await ActionLogout().run(dispatcher, make_tracker("退出登录", "logout", sender_id=sender), DOMAIN)
    assert events == [AllSlotsReset()]
    assert dispatcher.messages[-1]["text"].startswith("已退出登录")


async def test_wrong_codes_end_the_form_at_the_lockout(dispatcher, catalog) -> None:
    sender = "login-brute"
    events = await validate(dispatcher, "login_id", "440308199901101512", sender)
    ref = events[1]["value"]
    await validate(dispatcher, "login_name", "李四", sender, login_ref=ref)
    results = []
    for guess in ("000001", "000002", "000003", "000004", "000005"):
        results.append(
            await ValidateLoginForm().run(
                dispatcher, _form_turn("login_code", guess, sender, {"login_ref": ref}), DOMAIN
            )
        )
    assert results[:4] == [[SlotSet("login_code", None)]] * 4
    assert results[4] == [SlotSet("login_code", NOT_LOGGED_IN)]
    assert "锁定" in dispatcher.messages[-1]["text"]


async def test_a_guide_question_mid_login_is_answered_and_not_taken_as_a_name(dispatcher, catalog) -> None:
    # Nine Chinese characters would pass as a name; the question must not send a code.
    text, entities = "身份证丢了要多少钱", [service("身份证丢了")]
    turn = _form_turn("login_name", text, "ask-mid-login", {}, intent="ask_fee", entities=entities)
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_name", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].startswith("【居民身份证补领】收费标准") and texts[1] == "好的，我们继续登录："


async def test_a_question_without_an_item_mid_login_uses_the_item_under_discussion(dispatcher, catalog) -> None:
    # "想办个营业执照" set service_item before the login began; "要带啥" is about that item.
    slots = {"service_item": "business_licence_individual"}
    turn = _form_turn("login_id", "要带啥", "colloquial-question", slots, intent="ask_materials")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].startswith("办理【个体工商户设立登记】需准备以下") and texts[1] == "好的，我们继续登录："


@pytest.mark.parametrize(
    ("text", "entities", "asked"),
    [
        ("多久能拿到", [], "您问的是哪个事项？请连同事项名称再问一次，比如“居住证申领要带什么材料”。"),
        (
            "驾照要带啥",
            [service("机动车驾驶证")],
            "您问的是「机动车驾驶证期满换证」、「机动车驾驶证遗失补证」中的哪一项？"
            "请连同事项名称再问一次，比如“机动车驾驶证期满换证要带什么材料”。",
        ),
    ],
)
async def test_a_question_about_no_known_item_mid_login_asks_which(
    dispatcher, catalog, text: str, entities: List[Dict[str, Any]], asked: str
) -> None:
    turn = _form_turn("login_id", text, "which-item", {}, intent="ask_time_limit", entities=entities)
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None)]
    assert [m["text"] for m in dispatcher.messages] == [asked, "好的，我们继续登录："]


async def test_a_name_that_fits_several_items_means_the_one_under_discussion(dispatcher, catalog) -> None:
    turn = _form_turn(
        "login_id", "身份证要多少钱", "renewal-fee", {"service_item": "id_card_renew"}, intent="ask_fee",
        entities=[service("居民身份证")],
    )
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].startswith("【居民身份证换领】收费标准") and texts[1] == "好的，我们继续登录："


async def test_a_question_about_the_login_itself_is_not_a_guide_question(dispatcher, catalog) -> None:
    slots = {"service_item": "business_licence_individual", "login_ref": "some-ref"}
    turn = _form_turn("login_code", "验证码是多少", "code-question", slots, intent="ask_fee")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_code", None)]
    expected = "验证码是短信中的6位数字，请直接输入这6位数字；说“取消”可停止登录。"
    assert [m["text"] for m in dispatcher.messages] == [expected]


async def test_another_personal_request_mid_login_replaces_the_remembered_one(dispatcher) -> None:
    text, entity = "我的驾驶证什么时候到期", {"entity": "certificate", "value": "机动车驾驶证", "start": 2, "end": 5}
    turn = _form_turn("login_name", text, "other-request", {}, intent="query_certificate_expiry", entities=[entity])
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_name", None), SlotSet("pending_request", "query_certificate_expiry|驾驶证")]
    assert [m["text"] for m in dispatcher.messages] == ["好的，登录后马上为您办理这个查询。"]


async def test_a_name_is_an_answer_whatever_the_classifier_says(dispatcher, catalog) -> None:
    turn = _form_turn("login_name", "张三", "name-as-request", {}, intent="query_certificates")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events[0] == SlotSet("login_name", "张*")


async def test_remember_request_keeps_intent_and_typed_certificate_word(dispatcher) -> None:
    entities = [{"entity": "certificate", "value": "婚姻登记", "start": 3, "end": 6}]
    tracker = make_tracker("看看我结婚证", "show_certificate", entities=entities)
    events = await ActionRememberRequest().run(dispatcher, tracker, DOMAIN)
    assert events == [*(SlotSet(s, None) for s in LOGIN_SLOTS), SlotSet("pending_request", "show_certificate|结婚证")]
    assert [m["text"] for m in dispatcher.messages] == ["查询您本人的电子证照需要先登录，登录后马上为您查询。"]


async def test_first_message_is_not_taken_as_an_answer_when_the_form_starts(dispatcher) -> None:
    text = "我有哪些证照"
    events = [{"event": "user", "text": text, "input_channel": "rest"}]
    events += [{"event": "slot", "name": s, "value": text} for s in ("login_id", "login_name", "login_code")]
    slots = {"login_id": text, "login_name": text, "login_code": text, "requested_slot": None}
    tracker = make_tracker(text, "query_certificates", slots=slots, events=events, active_loop="login_form")
    result = await ValidateLoginForm().run(dispatcher, tracker, DOMAIN)
    assert result == [SlotSet("login_id", None), SlotSet("login_name", None), SlotSet("login_code", None)]
    assert dispatcher.messages == []


async def test_company_login_sends_the_code_to_the_representative(dispatcher, catalog) -> None:
    from bot.actions.login import ValidateCompanyLoginForm

    domain = {
        "forms": {"company_login_form": {"required_slots": ["company_code", "login_rep_id", "login_code"]}},
        "slots": DOMAIN["slots"],
    }

    async def step(slot: str, value: str, **slots: Any) -> Any:
        tracker = _form_turn(slot, value, "corp-1", slots)
        tracker.active_loop = {"name": "company_login_form"}
        return await ValidateCompanyLoginForm().run(dispatcher, tracker, domain)

    bad = await step("company_code", "91350100M000100Y44")
    assert bad == [SlotSet("company_code", None)] and "校验" in dispatcher.messages[-1]["text"]
    events = await step("company_code", "91350100M000100Y43")
    ref = events[1]["value"]
    assert events == [SlotSet("company_code", "913501********0Y43"), SlotSet("login_ref", ref)]
    events = await step("login_rep_id", ZHANG, login_ref=ref)
    assert events == [SlotSet("login_rep_id", "110105********002X")]
    events = await step("login_code", _last_code(), login_ref=ref)
    assert events == [SlotSet("login_code", CODE_MASK), SlotSet("logged_in", True)]


def _logout_in_form(form: str, sender: str) -> Tracker:
    """The tracker action_logout sees after the rules stopped ``form`` for a "退出登录"."""
    events = [
        {"event": "active_loop", "name": form},
        {"event": "user", "text": "退出登录", "input_channel": "rest", "parse_data": {"intent": {"name": "logout"}}},
        {"event": "action", "name": "action_deactivate_loop"},
        {"event": "active_loop", "name": None},
    ]
    return make_tracker("退出登录", "logout", slots={"logged_in": True, "app_plan": {"prefill": "住址"}},
                        sender_id=sender, events=events)


def _bind(sender: str, offset: int) -> None:
    """Log a demo citizen (not 张三 or 李四, who log in elsewhere) in for ``sender``."""
    with session_scope() as session:
        person = session.query(Person).filter(Person.name.notin_(["张三", "李四"])).order_by(Person.id_number)[offset]
        ref = auth.begin_login(session, "person", person.id_number, "rest", sender, utc_now())
        auth.request_code(session, ref, person.name, get_gateway(), utc_now())
        phone = person.phone
    get_gateway().join()
    outbox = Path(os.environ["VAR_DIR"]) / "sms_outbox.jsonl"
    last = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    assert last["phone"] == phone
    with session_scope() as session:
        code = re.search(r"\d{6}", last["text"]).group(0)
        assert auth.verify_code(session, ref, code, "rest", sender, utc_now()).status == "ok"


LOGGED_OUT = "已退出登录，您的个人信息不会再在本会话中显示。"


@pytest.mark.parametrize(
    ("offset", "form", "said"),
    [
        (0, "application_form", ["已停止当前的办理，未提交的内容不会保存。", LOGGED_OUT]),
        (1, "login_form", [LOGGED_OUT]),
    ],
)
async def test_logout_inside_a_form_ends_the_binding_and_forgets_the_slots(
    dispatcher, catalog, offset: int, form: str, said: List[str]
) -> None:
    sender = f"logout-in-{form}"
    _bind(sender, offset)
    events = await ActionLogout().run(dispatcher, _logout_in_form(form, sender), DOMAIN)
    assert events == [AllSlotsReset()]
    assert [m["text"] for m in dispatcher.messages] == said
    with session_scope() as session:
        assert auth.current_subject(session, "rest", sender, utc_now()) is None


async def test_logout_in_a_login_form_without_a_binding_cancels_the_login(dispatcher, catalog) -> None:
    events = await ActionLogout().run(dispatcher, _logout_in_form("login_form", "never-bound"), DOMAIN)
    assert events == [AllSlotsReset()]
    assert [m["response"] for m in dispatcher.messages] == ["utter_login_cancelled"]


@pytest.mark.parametrize("intent", ["nlu_fallback", "ask_faq", "ask_conditions"])
async def test_an_unplaced_question_at_the_id_prompt_is_answered_not_validated(
    dispatcher, catalog, intent: str
) -> None:
    """Issue 13: "男的能领吗" at the ID prompt is a question about the item a login will resume."""
    slots = {"pending_request": "apply_service|residence_permit"}
    turn = _form_turn("login_id", "男的能领吗", "unplaced-question", slots, intent=intent)
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert not any("18位" in text for text in texts)
    assert texts[0].startswith("【居住证申领】") and "申请条件" in texts[0]
    assert texts[-1] == "好的，我们继续登录："


async def test_an_unplaced_question_with_no_item_asks_which_item(dispatcher, catalog) -> None:
    """Without an item in view the citizen is asked to name one (and staff see the question queued)."""
    # A marker of letters: random hex digits made the message look like a mistyped ID number.
    question = f"男的能领吗{uuid.uuid4().hex[:6].translate(str.maketrans('0123456789', 'ghijklmnop'))}"
    turn = _form_turn("login_id", question, "unplaced-no-item", {}, intent="nlu_fallback")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].startswith("您问的是哪个事项？") and texts[-1] == "好的，我们继续登录："
    with session_scope() as session:
        assert [q.text for q in session.query(UnansweredQuestion).filter(UnansweredQuestion.text == question)]


async def test_a_platform_question_at_the_name_prompt_gets_the_faq_answer(dispatcher, catalog) -> None:
    """A question the guide cannot place is looked up in the FAQ store, never taken as a name."""
    turn = _form_turn("login_name", "忘记密码怎么办", "faq-at-name", {}, intent="ask_faq")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_name", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert "来源：FAQ#" in texts[0] and texts[-1] == "好的，我们继续登录："


async def test_an_id_number_worded_as_a_question_is_still_an_answer(dispatcher, catalog) -> None:
    """Digits make an answer: "是11010519491231002X吗" is validated, not answered as a question."""
    turn = _form_turn("login_id", f"是{ZHANG}吗", "id-as-question", {}, intent="ask_faq")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events[0] == SlotSet("login_id", "110105********002X")


async def test_a_new_request_that_needs_login_replaces_the_remembered_one(dispatcher, catalog) -> None:
    """"我要评价" at the ID prompt is a request: it is remembered for after the login."""
    turn = _form_turn("login_id", "我要评价", "new-request", {}, intent="rate_service")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None), SlotSet("pending_request", "rate_service")]
    assert [m["text"] for m in dispatcher.messages] == ["好的，登录后马上为您办理这个请求。"]


@pytest.mark.parametrize("text", ["转人工", "取消", "人工客服"])
def test_stop_and_handoff_words_are_never_a_name(text: str) -> None:
    """Should the classifier miss them, 转人工 and 取消 are still no name to send a code for."""
    assert auth.normalize_name(text) is None


@pytest.mark.parametrize("text", ["你好", "好的"])
async def test_a_message_without_digits_at_the_id_prompt_gets_no_length_error(dispatcher, catalog, text: str) -> None:
    """No attempt at a number: the citizen hears what is wanted and the way out, not "应为18位"."""
    turn = _form_turn("login_id", text, "no-digits", {}, intent="greet")
    events = await ValidateLoginForm().run(dispatcher, turn, DOMAIN)
    assert events == [SlotSet("login_id", None)]
    texts = [m["text"] for m in dispatcher.messages]
    assert texts == ["请直接输入18位公民身份号码；如需先咨询其他事项，可以直接提问，或说“取消”。"]
