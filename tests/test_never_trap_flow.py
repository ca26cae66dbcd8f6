"""Never trap (issue 13) over the running REST webhook (marker: server).

At any prompt a message that is not an answer is treated as what it is: a question is answered
and the prompt resumes, 转人工 and 取消 work; a general question about a kind of certificate gets
the guide first, and login is asked for only when the citizen's own data is needed.
"""

from __future__ import annotations

import time
import uuid
from typing import Tuple

import pytest

from tests.rest_client import latest_code, say
from tests.test_application_flow import demo_citizen

pytestmark = pytest.mark.server

ID_PROMPT = "请输入您的18位公民身份号码"


def handed_over(reply: str) -> bool:
    """The handoff reply: queued for an agent on duty, or (none online) asked to leave a message."""
    return "转接人工客服" in reply or ("人工客服" in reply and "请简要说明您要咨询或反映的问题" in reply)


def send_name(sender: str, name: str) -> Tuple[str, float]:
    """Answer the name prompt; the reply and when the code went out (waits out a code < 1 min old)."""
    started = time.time()
    reply = say(sender, name)
    if "过于频繁" in reply:  # a rerun within the minute: the same citizen got a code just now
        time.sleep(61)
        started = time.time()
        reply = say(sender, name)
    return reply, started


def _sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_question_at_the_id_prompt_is_answered_then_the_login_goes_on() -> None:
    id_number, name, phone = demo_citizen(3)
    sender = _sender("trap-id")
    assert ID_PROMPT in say(sender, "我要办居住证")
    reply = say(sender, "男的能领吗")
    assert "18位" not in reply.replace(ID_PROMPT, "")  # never "身份证号码应为18位"
    assert "申请条件" in reply and "继续登录" in reply and ID_PROMPT in reply  # answered, then asked again
    assert "姓名" in say(sender, id_number)
    sent, started = send_name(sender, name)
    assert "验证码" in sent
    done = say(sender, latest_code(phone, started))
    assert "登录成功" in done and "现在开始在线申请" in done  # the remembered request resumes


def test_questions_at_the_name_and_code_prompts_are_answered() -> None:
    id_number, name, phone = demo_citizen(4)
    sender = _sender("trap-name")
    say(sender, "我有哪些证照")
    say(sender, id_number)
    reply = say(sender, "护照办下来要几天？")
    assert "办结时限" in reply and "继续登录" in reply and "姓名" in reply
    sent, started = send_name(sender, name)
    assert "验证码" in sent
    assert "6位" in say(sender, "验证码怎么还没到呢")  # about the login itself: no guide answer
    assert "登录成功" in say(sender, latest_code(phone, started))


@pytest.mark.parametrize("step", ["我有哪些证照", "企业登录"])
def test_handoff_at_a_login_prompt_reaches_an_agent(step: str) -> None:
    sender = _sender("trap-human")
    say(sender, step)
    reply = say(sender, "转人工")
    assert handed_over(reply) and "18位" not in reply


def test_cancel_at_the_code_prompt_stops_the_login() -> None:
    id_number, name, _ = demo_citizen(5)
    sender = _sender("trap-cancel")
    say(sender, "我有哪些证照")
    say(sender, id_number)
    say(sender, name)
    assert "已取消登录" in say(sender, "取消")


def test_inside_the_application_form_a_question_is_answered_and_handoff_works() -> None:
    id_number, name, phone = demo_citizen(6)
    sender = _sender("trap-form")
    say(sender, "我要办居住证")
    say(sender, id_number)
    _, started = send_name(sender, name)
    assert "申请条件" in say(sender, latest_code(phone, started))  # the form asks: 符合 or not
    reply = say(sender, "男的能领吗")
    assert "【居住证申领】" in reply and "继续刚才的申请" in reply and "符合" in reply
    assert handed_over(say(sender, "转人工"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [("驾照到期了在哪换", "期满换证"), ("怎么查驾驶证有效期", "驾驶证"), ("孩子刚出生怎么上户口", "出生登记")],
)
def test_a_general_certificate_question_gets_the_guide_not_a_login(question: str, expected: str) -> None:
    reply = say(_sender("guide"), question)
    assert expected in reply and ID_PROMPT not in reply


def test_the_guide_offers_the_own_certificate_check_which_then_asks_for_login() -> None:
    sender = _sender("offer")
    assert "查看本人证照需先登录" in say(sender, "驾驶证期满换证在哪里办")
    assert ID_PROMPT in say(sender, '/query_certificate_expiry{"certificate":"机动车驾驶证"}')


def test_a_social_security_card_password_is_not_the_portal_password() -> None:
    reply = say(_sender("sscard"), "我的社保卡密码忘记了怎么办")
    assert "社会保障卡" in reply and "在登录页点击“忘记密码”" not in reply
