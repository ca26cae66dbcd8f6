"""An FAQ entry created in the console is answered in chat, for its question and each similar one, as previewed.

Through the running stack: an editor logs in to the console over HTTP, creates and publishes an
entry with similar questions; the chat's reply to each of them is then exactly the text the
console's preview shows for it, and names the entry as its source.
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests

from govservice.accounts.demo_officers import demo_password
from govservice.db import session_scope
from govservice.faq.models import RETIRED, FaqEntry
from govservice.faq.workflow import retire_entry
from tests.rest_client import say
from tests.staff.console_helpers import csrf_of

pytestmark = pytest.mark.server

STAFF = os.environ.get("STAFF_URL", "http://localhost:5080").rstrip("/")
QUESTION = "政务服务中心能借用充电宝吗"
SIMILAR = ("政务中心里手机没电了可以充电吗", "去政务服务中心办事能不能借个充电器")
ANSWER = "可以。示范市政务服务中心一楼综合咨询台免费出借充电宝，凭身份证登记，当日归还。"


def _retire_earlier_runs() -> None:
    """Questions are unique among live entries: an earlier run's entry is retired first."""
    with session_scope() as session:
        for (earlier,) in session.query(FaqEntry.id).filter(FaqEntry.question == QUESTION, FaqEntry.status != RETIRED):
            retire_entry(session, earlier, "测试")


def _editor() -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{STAFF}/console/login", timeout=30)
    form = {"username": "faq_editor", "password": demo_password("faq_editor"), "csrf_token": csrf_of(page.text)}
    response = browser.post(f"{STAFF}/console/login", data=form, allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.text
    return browser


def test_a_console_entry_is_answered_in_chat_as_the_preview_says() -> None:
    _retire_earlier_runs()
    editor = _editor()
    csrf = csrf_of(editor.get(f"{STAFF}/console/faq/new", timeout=30).text)
    form = {"question": QUESTION, "answer": ANSWER, "category": "大厅服务", "similar_questions": "\n".join(SIMILAR),
            "publish": "1", "csrf_token": csrf}
    created = editor.post(f"{STAFF}/console/faq/new", data=form, allow_redirects=False, timeout=30)
    assert created.status_code == 303 and created.headers["location"].endswith("done=created_published")
    entry_id = int(created.headers["location"].split("/")[3])

    for text in (QUESTION, *SIMILAR):
        preview = editor.get(f"{STAFF}/console/api/preview", params={"q": text}, timeout=60).json()
        assert preview["kind"] == "answer" and f"FAQ#{entry_id}" in preview["text"], (text, preview)
        chat = say(f"faq-{uuid.uuid4().hex[:8]}", text)
        assert chat == preview["text"], (text, chat, preview["text"])
        assert ANSWER in chat
