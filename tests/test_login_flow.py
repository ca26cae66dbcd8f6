"""Login and the certificate library over the running REST webhook (marker: server)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.rest_client import LI, LI_PHONE, VAR_DIR, ZHANG, ZHANG_PHONE, login, say
from tests.test_application_flow import demo_citizen

pytestmark = pytest.mark.server


def test_certificates_need_login_then_the_request_resumes(zhang) -> None:
    _, (asked, _, sent, done), _ = zhang
    assert "身份号码" in asked and "有效期" not in asked
    assert "如信息匹配，验证码已发送至登记的手机" in sent
    assert "登录成功" in done and "110105********002X" in done
    assert "机动车驾驶证" in done and "天后到期" in done  # listed, flagged as expiring soon
    assert ZHANG not in done


@pytest.mark.parametrize(
    "phrase",
    ["我有哪些证照", "看看我的结婚证", "我的驾驶证什么时候到期", "哪些证快过期了", "谁用过我的证照",
     "查一下我名下的证件", "我的身份证有效期到哪天", "调出我的社保卡信息", "有没有快到期的证件", "查看用证记录"],
)
def test_no_certificate_data_without_login(phrase: str) -> None:
    reply = say(f"anon-{uuid.uuid4().hex[:8]}", phrase)
    assert "身份号码" in reply  # the login form starts
    assert not re.search(r"有效期至|有效|已过期|\*{4}", reply.replace("有效身份", ""))


def test_a_logged_in_user_gets_nothing_of_another_persons() -> None:
    sender = f"iso-{uuid.uuid4().hex[:8]}"
    assert "登录成功" in login(sender, LI, "李四", LI_PHONE)[-1]
    for text in (ZHANG, f"看看{ZHANG}的结婚证", "我的驾驶证什么时候到期", "看看我的结婚证"):
        reply = say(sender, text)
        assert "110105********002X" not in reply and ZHANG not in reply and "张三" not in reply


def test_logout_inside_a_form_ends_the_login() -> None:
    id_number, name, phone = demo_citizen(2)
    sender = f"logout-{uuid.uuid4().hex[:8]}"
    assert "现在开始在线申请" in login(sender, id_number, name, phone, first="我要办居住证")[-1]
    stopped = say(sender, "退出登录")  # asked while the application form waits for an answer
    assert "已停止当前的办理" in stopped and "已退出登录" in stopped
    assert "身份号码" in say(sender, "我有哪些证照")  # the binding is gone: the login form starts again
    assert "已取消登录" in say(sender, "退出账号")  # and logging out inside the login form stops it


def test_wrong_code_brute_force_hits_the_lockout() -> None:
    sender = f"brute-{uuid.uuid4().hex[:8]}"
    say(sender, "我要登录")
    say(sender, "360426199101010071")  # a valid number that may or may not exist: same replies
    say(sender, "王五")
    replies = [say(sender, f"{n:06d}") for n in range(111111, 111117)]
    assert any("锁定" in r for r in replies)
    assert "登录成功" not in "".join(replies)


def test_persisted_tracker_and_logs_hold_no_raw_id_or_code(zhang) -> None:
    sender, _, code = zhang
    db = VAR_DIR / "tracker.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = [r[0] for r in conn.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))]
    assert rows, "the SQL tracker store should hold this conversation"
    blob = "\n".join(rows)
    assert ZHANG not in blob and code not in blob and ZHANG_PHONE not in blob
    assert "110105********002X" in blob
    for log in (VAR_DIR / "log").glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert ZHANG not in text and ZHANG_PHONE not in text and f"验证码为{code}" not in text, log.name
