"""导出我的数据: the whole record of one citizen, masked login factors, a one-time short-lived link."""

from __future__ import annotations

import datetime
import json
import threading
from typing import Iterator, List, Optional

import pytest
from sqlalchemy.orm import Session

from govservice import conversation_archive
from govservice.applications.ratings import rate
from govservice.applications.workflow import accept, approve, start_review, submit_application
from govservice.certificates import library as certificates
from govservice.db import session_scope
from govservice.identity.models import Binding
from govservice.privacy.models import ExportLink
from govservice.privacy.personal_data import EXPORT_LINK_TTL, create_export_link, export_person, redeem_export_link
from govservice.seed import init_db
from tests.databases import Databases

ZHANG = "11010519491231002X"
LI = "440308199901101512"
NOW = datetime.datetime(2026, 3, 2, 10, 0)


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    url = databases.create("export")
    init_db(url)
    app = submit_application(
        url, idempotency_key="export-1", item_key="social_security_card", person_id=ZHANG,
        channel="rest", sender="zhang", form_data={"联系电话": "13800138000"},
    )
    with session_scope(url) as s:
        accept(s, app.number, "人社小陈", "RS")
        start_review(s, app.number, "人社小陈", "RS")
        approve(s, app.number, "人社小陈", "RS")
        rate(s, app.number, ZHANG, "满意", "窗口很快")
        certificates.list_certificates(s, ZHANG, "citizen", "本人（智能助手）", "本人查询证照列表", NOW.date())
    yield url
    databases.drop(url)


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def test_the_export_holds_the_whole_record_with_login_factors_masked(session: Session) -> None:
    export = export_person(session, ZHANG, NOW)
    text = json.dumps(export, ensure_ascii=False)
    assert export["个人信息"]["姓名"] == "张三"
    assert export["个人信息"]["公民身份号码"] == "110105********002X"
    assert export["个人信息"]["手机号码"] == "138****8000"
    assert ZHANG not in text and "13800138000" not in text  # not even inside the form data
    assert {"居民身份证", "机动车驾驶证", "结婚证"} <= {c["证照类型"] for c in export["电子证照"]}
    (app,) = export["办件"]
    assert app["事项"] and [c["到"] for c in app["状态记录"]] == ["已提交", "已受理", "审核中", "已办结"]
    assert app["评价"]["等级"] == "满意" and app["评价"]["意见"] == "窗口很快"
    assert any("本人" in use["使用方"] for use in export["用证记录"])


def test_the_export_holds_nothing_of_another_citizen(session: Session) -> None:
    export = export_person(session, LI, NOW)
    text = json.dumps(export, ensure_ascii=False)
    assert export["个人信息"]["姓名"] == "李四" and export["办件"] == []
    assert "张三" not in text and "110105" not in text


def test_the_export_holds_the_archived_history_of_the_citizens_conversations_only(session: Session) -> None:
    at = NOW.replace(tzinfo=datetime.timezone.utc).timestamp()
    session.add(Binding(channel="wechat", sender="zhang-wechat", person_id=ZHANG, created_at=NOW, last_seen=NOW))
    conversation_archive.append(session, "zhang-wechat", [
        {"event": "user", "text": "居住证要什么材料", "timestamp": at},
        {"event": "action", "name": "action_answer", "timestamp": at + 1},
        {"event": "bot", "text": "需要身份证和居住证明", "timestamp": at + 2},
    ])
    conversation_archive.append(session, "someone-else", [{"event": "user", "text": "别人的话", "timestamp": at}])
    messages = export_person(session, ZHANG, NOW)["归档的对话记录"]["消息"]
    assert messages == [
        {"时间": "2026-03-02 18:00:00", "发言方": "我", "内容": "居住证要什么材料"},
        {"时间": "2026-03-02 18:00:02", "发言方": "智能助手", "内容": "需要身份证和居住证明"},
    ]
    assert export_person(session, LI, NOW)["归档的对话记录"]["消息"] == []
    session.rollback()


def test_a_link_works_once(session: Session) -> None:
    token = create_export_link(session, ZHANG, NOW)
    assert len(token) >= 43  # 256 random bits, URL-safe
    assert session.get(ExportLink, token) is None  # only the hash is stored
    first = redeem_export_link(session, token, NOW + datetime.timedelta(minutes=1))
    assert first is not None and first["个人信息"]["姓名"] == "张三"
    assert redeem_export_link(session, token, NOW + datetime.timedelta(minutes=2)) is None


def test_a_link_expires_after_ten_minutes_and_a_made_up_one_never_works(session: Session) -> None:
    token = create_export_link(session, ZHANG, NOW)
    assert EXPORT_LINK_TTL == datetime.timedelta(minutes=10)
    assert redeem_export_link(session, token, NOW + EXPORT_LINK_TTL) is None
    other = token[:-1] + ("B" if token.endswith("A") else "A")
    assert redeem_export_link(session, other, NOW) is None
    assert redeem_export_link(session, "", NOW) is None
    assert redeem_export_link(session, "x" * 5000, NOW) is None


def test_two_simultaneous_clicks_get_one_file(db_url: str) -> None:
    with session_scope(db_url) as s:
        token = create_export_link(s, ZHANG, NOW)
    results: List[Optional[dict]] = []
    barrier = threading.Barrier(4)

    def click() -> None:
        barrier.wait()
        with session_scope(db_url) as s:
            results.append(redeem_export_link(s, token, NOW))

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
