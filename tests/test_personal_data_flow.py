"""导出我的数据 and 删除我的数据 over the running servers (marker: server).

A generated demo citizen is used: deleting 张三's or 李四's data would log out the other tests.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import uuid

import pytest
import requests

from govservice.db import session_scope
from govservice.identity.models import Binding, Company, Person
from tests.rest_client import LI, ZHANG, login, say

pytestmark = pytest.mark.server
LINK = re.compile(r"https?://\S+/webhooks/upload/export/[A-Za-z0-9_-]+")


def _someone() -> Person:
    with session_scope() as session:
        reps = {code for (code,) in session.query(Company.legal_rep_id)}
        people = session.query(Person).filter(Person.id_number.notin_([ZHANG, LI, *reps]))
        return people.order_by(Person.id_number).first()


def _stored_events(sender: str) -> int:
    with sqlite3.connect(os.environ["TRACKER_DB"]) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_export_then_delete_my_data() -> None:
    person = _someone()
    sender = f"pd-{uuid.uuid4().hex[:8]}"
    asked, *_, done = login(sender, person.id_number, person.name, person.phone, first="导出我的数据")
    assert "需要先登录" in asked and "登录成功" in done
    url = LINK.search(done).group(0)  # type: ignore[union-attr]
    assert "10分钟" in done and requests.get(url, timeout=10).status_code == 200  # the page spends nothing
    download = requests.post(url, timeout=30)
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    export = download.json()
    assert export["个人信息"]["姓名"] == person.name and export["电子证照"]
    assert person.id_number not in download.text and person.phone not in download.text
    assert requests.post(url, timeout=10).status_code == 404  # once only

    preview = say(sender, "删除我的数据")
    assert "依法保留" in preview and "确认删除" in preview
    assert _stored_events(sender) > 0
    deleted = say(sender, "确认删除")
    assert "已删除您的数据" in deleted and "办件" in deleted
    with session_scope() as session:
        assert session.query(Binding).filter_by(person_id=person.id_number).count() == 0
    for _ in range(60):  # the Rasa server's retention task polls every second in tests
        if _stored_events(sender) == 0:
            break
        time.sleep(0.5)
    assert _stored_events(sender) == 0
    assert "身份号码" in say(sender, "我有哪些证照")  # logged out: a new login starts
