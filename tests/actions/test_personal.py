"""Requests about the logged-in holder's library: a person's own, or the company's after a company login."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Dict, List, Optional

from stdnum.cn import ric

from bot.actions.personal import ActionPersonalRequest
from govservice.applications import workflow as applications
from govservice.certificates.library import issue_certificate
from govservice.certificates.models import Certificate
from govservice.certificates.service import COMPANY_SESSION_NOTE, PERSON_SESSION_NOTE
from govservice.clock import office_date
from govservice.db import session_scope
from govservice.demo_data import FIXED_COMPANY_CODE
from govservice.identity.models import Person
from tests.actions.conftest import make_tracker
from tests.actions.test_applications import bind

ZHANG = "11010519491231002X"
RENEWAL_HINT = "有证照即将到期或已过期，需要看看换证办理指南吗？"


def login(person_id: str, company_code: Optional[str] = None) -> str:
    """A new REST sender logged in as the person (or, with ``company_code``, as that company)."""
    sender = f"personal-{uuid.uuid4().hex}"
    bind(sender, person_id, company_code)
    return sender


def certificate(word: str, start: int) -> Dict[str, Any]:
    return {"entity": "certificate", "value": word, "start": start, "end": start + len(word)}


async def ask(dispatcher, sender: str, text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None) -> str:  # type: ignore[no-untyped-def]
    """Run one request; return what was said. Nothing but messages comes back once logged in."""
    dispatcher.messages.clear()
    events = await ActionPersonalRequest().run(dispatcher, make_tracker(text, intent, entities, sender_id=sender), {})
    assert events == []
    return "\n".join(m["text"] for m in dispatcher.messages)


async def test_a_company_login_sees_the_company_library(dispatcher, catalog) -> None:
    sender = login(ZHANG, FIXED_COMPANY_CODE)
    said = await ask(
        dispatcher, sender, "我们公司的营业执照什么时候到期", "query_certificate_expiry", [certificate("营业执照", 5)]
    )
    assert "营业执照" in said and "有效期至：长期" in said and "暂无" not in said
    said = await ask(dispatcher, sender, "查看本单位证照", "query_certificates")
    assert "当前为企业登录：示范市张三商贸有限公司。" in said and "本单位的电子证照共1项：" in said
    assert "营业执照" in said and "机动车驾驶证" not in said and "居民身份证" not in said
    said = await ask(dispatcher, sender, "哪些证快到期了", "expiring_certificates")
    assert said == "暂无60天内到期的证照。"  # the representative's driving licence (45 days) is not the company's
    said = await ask(dispatcher, sender, "我的驾照什么时候到期", "query_certificate_expiry", [certificate("驾照", 2)])
    assert said == f"本单位的电子证照库中暂无机动车驾驶证。{COMPANY_SESSION_NOTE}"
    said = await ask(dispatcher, sender, "本单位的用证记录", "certificate_uses")
    assert "另有本单位通过智能助手查询" in said and "机动车驾驶证" not in said  # the company's uses only


async def test_a_person_login_asking_for_the_company_is_told_how(dispatcher, catalog) -> None:
    sender = login(ZHANG)
    assert await ask(dispatcher, sender, "查看本单位证照", "query_certificates") == PERSON_SESSION_NOTE
    assert await ask(dispatcher, sender, "咱們公司有哪些證照", "query_certificates") == PERSON_SESSION_NOTE
    said = await ask(dispatcher, sender, "营业执照啥时候到期", "query_certificate_expiry", [certificate("营业执照", 0)])
    assert said.startswith("您的电子证照库中暂无营业执照。") and PERSON_SESSION_NOTE in said
    said = await ask(dispatcher, sender, "我有哪些证照", "query_certificates")
    assert "您的电子证照共" in said and "机动车驾驶证" in said and "营业执照" not in said


def _driver(days_left: int) -> str:
    """A new citizen whose driving licence (the only certificate) expires in ``days_left`` days."""
    body = f"350102198{uuid.uuid4().int % 10}0101{uuid.uuid4().int % 900 + 100:03d}"
    id_number = body + ric.calc_check_digit(body + "0")
    today = office_date()
    with session_scope() as session:
        session.merge(Person(id_number=id_number, name="周测", phone="13700000000"))
        session.flush()
        issued = today.replace(year=today.year - 6) + datetime.timedelta(days=days_left)
        issue_certificate(session, id_number, "机动车驾驶证", id_number, None, 6, {"准驾车型": "C1"}, issued)
    return id_number


async def test_after_a_renewal_the_cancelled_licence_no_longer_triggers_the_hint(dispatcher, catalog) -> None:
    driver = _driver(30)
    sender = login(driver)
    said = await ask(dispatcher, sender, "我有哪些证照", "query_certificates")
    assert "30天后到期" in said and RENEWAL_HINT in said
    app = applications.submit_application(
        None,
        idempotency_key=f"test:{uuid.uuid4().hex}",
        item_key="driving_licence_renew",
        person_id=driver,
        channel="rest",
        sender=sender,
        form_data={"领取方式": "窗口自取"},
    )
    with session_scope() as session:
        applications.accept(session, app.number, "车管所王警官", "JJ")
        applications.start_review(session, app.number, "车管所王警官", "JJ")
        applications.approve(session, app.number, "车管所王警官", "JJ")
    with session_scope() as session:
        statuses = [c.status for c in session.query(Certificate).filter(Certificate.holder_id == driver)]
    assert sorted(statuses) == ["已注销", "有效"]
    said = await ask(dispatcher, sender, "我有哪些证照", "query_certificates")
    assert "已注销" in said and RENEWAL_HINT not in said
    said = await ask(dispatcher, sender, "驾照啥时候到期", "query_certificate_expiry", [certificate("驾照", 0)])
    assert RENEWAL_HINT not in said
    assert await ask(dispatcher, sender, "哪些证快到期了", "expiring_certificates") == "暂无60天内到期的证照。"
