"""The unanswered-questions queue in the console: two clicks to an answer, escaping, PII already gone."""

from __future__ import annotations

import re

import pytest
from sanic import Sanic

from govservice.db import session_scope
from govservice.faq.models import OPEN, RESOLVED, FaqEntry, UnansweredQuestion
from govservice.faq.search import ANSWER, answer_question
from govservice.faq.unanswered import enqueue
from tests.staff.console_helpers import ESCAPED, SCRIPT, Console


@pytest.fixture()
def editor(app: Sanic) -> Console:
    console = Console(app)
    console.login("faq_editor")
    return console


def _queue(db_url: str, *texts: str) -> int:
    with session_scope(db_url) as session:
        cluster = None
        for text in texts:
            cluster = enqueue(session, text, names=["王小明"])
        assert cluster is not None
        return int(cluster.id)


def test_new_entry_in_two_clicks(editor: Console, db_url: str) -> None:
    cluster_id = _queue(db_url, "王小明问：示范市共享单车押金怎么退", "示范市共享单车押金怎么退啊")
    queue = editor.get("/console/queue").text
    assert "某某问：示范市共享单车押金怎么退" in queue and "王小明" not in queue
    form = editor.get(f"/console/queue/{cluster_id}/new")  # click one: the prefilled form
    assert form.status == 200 and 'value="某某问：示范市共享单车押金怎么退"' in form.text
    response = editor.post(f"/console/queue/{cluster_id}/new", {  # click two: save and publish
        "question": "示范市共享单车押金怎么退", "answer": "在骑行App“我的钱包”中申请退押金。", "category": "交通出行",
    })
    assert response.status == 303 and response.headers["location"] == "/console/queue?done=resolved"
    with session_scope(db_url) as session:
        cluster = session.get(UnansweredQuestion, cluster_id)
        assert cluster.status == RESOLVED and cluster.resolved_by == "知识库编辑（演示）（faq_editor）"
        entry = session.get(FaqEntry, cluster.resolved_entry_id)
        assert entry.status == "published" and "某某问：示范市共享单车押金怎么退" in entry.similar_questions
        result = answer_question(session, "示范市共享单车押金怎么退")
        assert result.kind == ANSWER and result.entry_ids == [entry.id]
    assert f"/console/queue/{cluster_id}/new" not in editor.get("/console/queue").text
    assert editor.get(f"/console/queue/{cluster_id}/new").status == 409  # already resolved


def test_similar_question_in_two_clicks(editor: Console, db_url: str) -> None:
    cluster_id = _queue(db_url, "身份证掉了去哪补呀急")
    queue = editor.get("/console/queue").text
    row = queue[queue.index("身份证掉了去哪补呀急"):]
    entry_id = int(re.search(r'name="entry_id" value="(\d+)"', row).group(1))  # the top retrieval hit
    response = editor.post(f"/console/queue/{cluster_id}/similar", {"entry_id": str(entry_id)})
    assert response.status == 303
    with session_scope(db_url) as session:
        assert "身份证掉了去哪补呀急" in session.get(FaqEntry, entry_id).similar_questions
        assert session.get(UnansweredQuestion, cluster_id).status == RESOLVED
    assert "身份证掉了去哪补呀急" not in editor.get("/console/queue").text
    history = editor.get(f"/console/faq/{entry_id}/history").text
    assert "添加相似问法" in history


def test_dismiss_and_bad_requests(editor: Console, db_url: str) -> None:
    cluster_id = _queue(db_url, "哈哈哈哈哈随便问问嘿")
    assert editor.post(f"/console/queue/{cluster_id}/dismiss").headers["location"].endswith("done=dismissed")
    assert editor.post(f"/console/queue/{cluster_id}/dismiss").status == 409
    assert editor.post(f"/console/queue/{cluster_id}/similar", {"entry_id": "1"}).status == 409
    assert editor.post("/console/queue/99999/similar", {"entry_id": "1"}).status == 404
    other = _queue(db_url, "示范市无人机飞行要报备吗在哪报")
    assert editor.post(f"/console/queue/{other}/similar", {"entry_id": "99999"}).status == 404
    response = editor.post(f"/console/queue/{other}/new", {"question": "问", "answer": "", "category": "测试"})
    assert response.status == 400 and "答案不能为空" in response.text
    with session_scope(db_url) as session:
        assert session.get(UnansweredQuestion, other).status == OPEN


def test_script_in_a_queued_question_is_escaped(editor: Console, db_url: str) -> None:
    cluster_id = _queue(db_url, f"{SCRIPT}示范市养蜂备案找谁")
    for path in ("/console/queue", f"/console/queue/{cluster_id}/new"):
        text = editor.get(path).text
        assert SCRIPT not in text and ESCAPED in text, path
    editor.post(f"/console/queue/{cluster_id}/dismiss")
    audit = editor.get("/console/audit").text
    assert SCRIPT not in audit and ESCAPED in audit
