"""A company login and the newborn bundle over the running REST webhook (marker: server)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.rest_client import ZHANG, ZHANG_PHONE, latest_code, say

pytestmark = pytest.mark.server
COMPANY = "91350100M000100Y43"  # 示范市张三商贸有限公司, legal representative 张三 (demo data)


def test_the_newborn_bundle_is_explained_before_any_login() -> None:
    reply = say(f"nb-{uuid.uuid4().hex[:8]}", "我家宝宝刚生，要办哪些手续")
    assert "一次申请，同时办理以下3个事项" in reply and "出生登记" in reply
    assert "从本人电子证照库调取" in reply and "《非婚生育说明》" in reply
    assert "身份号码" not in reply  # the login is offered, not started


def test_a_company_login_sees_the_company_library() -> None:
    sender = f"corp-{uuid.uuid4().hex[:8]}"
    assert "统一社会信用代码" in say(sender, "企业登录")
    assert "法定代表人" in say(sender, COMPANY)
    started = time.time()
    say(sender, ZHANG)
    assert "登录成功" in say(sender, latest_code(ZHANG_PHONE, started))
    reply = say(sender, "我们公司的营业执照什么时候到期")
    assert "营业执照" in reply and "有效期至：长期" in reply and "暂无" not in reply
    reply = say(sender, "查看本单位证照")
    assert "本单位的电子证照共1项" in reply and "机动车驾驶证" not in reply and "居民身份证" not in reply
