"""The unanswered-question queue: redaction, clustering, counting, resolving into the FAQ."""

from __future__ import annotations

import datetime
from typing import Callable

import pytest

from govservice.db import session_scope
from govservice.faq.models import DISMISSED, OPEN, PUBLISHED, RESOLVED, FaqEntry, UnansweredQuestion
from govservice.faq.search import ANSWER, answer_question
from govservice.faq.unanswered import (
    QueueNotFound,
    cluster_key,
    dismiss,
    enqueue,
    list_queue,
    redact,
    resolve_as_new_entry,
    resolve_as_similar,
)
from govservice.faq.workflow import FaqError, create_entry, list_audit, publish_entry
from tests.govservice.faq.helpers import fields, fresh_db


def _queued(session, message: str, **kwargs) -> UnansweredQuestion:  # type: ignore[no-untyped-def]
    queued = enqueue(session, message, **kwargs)
    assert queued is not None
    return queued


PARKING = ["图书馆停车收费吗", "图书馆停车收费吗？", "图书馆停车要收费吗", "圖書館停車收費嗎"]


@pytest.fixture()
def url(new_database: Callable[[str], str]) -> str:
    return fresh_db(new_database)


def test_ids_phones_and_the_citizens_name_are_redacted(url: str) -> None:
    message = "我叫张三，身份证11010519491231002X，手机138 0013 8000，张三的社保怎么查"
    with session_scope(url) as session:
        queued = _queued(session, message, names=["张三", "李"])
    with session_scope(url) as session:
        stored = session.get(UnansweredQuestion, queued.id)
        assert stored.text == "我叫某某，身份证110105********002X，手机138****8000，某某的社保怎么查"
        raw = f"{stored.text}{stored.normalized}{stored.variants}"
        assert "张三" not in raw and "11010519491231002X" not in raw and "0013" not in raw


def test_spaced_hyphenated_and_full_width_numbers_are_redacted(url: str) -> None:
    """Issue 12, item 11: these forms reached the queue raw."""
    message = (
        "身份证3501 0420 1010 1441 23，另一个１１０１０５１９４９１２３１００２Ｘ，"
        "电话138-1234-5678或138 1234 5678，社保怎么转"
    )
    with session_scope(url) as session:
        queued = _queued(session, message)
    with session_scope(url) as session:
        stored = session.get(UnansweredQuestion, queued.id)
        assert stored.text == (
            "身份证350104********4123，另一个110105********002X，电话138****5678或138****5678，社保怎么转"
        )
        raw = f"{stored.text}{stored.normalized}{stored.variants}"
        assert "1441" not in raw and "１００２" not in raw and "1234" not in raw


def test_redaction_ignores_one_character_names() -> None:
    assert redact("李子园公交站在哪", names=["李"]) == "李子园公交站在哪"


def test_near_duplicates_share_a_cluster_and_are_counted(url: str) -> None:
    start = datetime.datetime(2026, 11, 20, 9)
    with session_scope(url) as session:
        for minute, message in enumerate(PARKING):
            enqueue(session, message, now=start + datetime.timedelta(minutes=minute))
        enqueue(session, "博物馆周一开门吗", now=start)
        enqueue(session, "博物馆周一开门吗", now=start)
        enqueue(session, "市民卡能坐地铁吗", now=start)
    with session_scope(url) as session:
        queue = list_queue(session)
        assert [(q.text, q.count) for q in queue] == [
            ("图书馆停车收费吗", 4),
            ("博物馆周一开门吗", 2),
            ("市民卡能坐地铁吗", 1),
        ]
        parking = queue[0]
        assert parking.variants == ["图书馆停车要收费吗"]  # same normalized text is not a new variant
        assert (parking.first_seen, parking.last_seen) == (start, start + datetime.timedelta(minutes=3))
        assert parking.status == OPEN and parking.status_label == "待处理"


def test_masked_numbers_do_not_split_clusters() -> None:
    assert cluster_key("身份证110105********002X查不到") == cluster_key("身份证440308********1512查不到")


@pytest.mark.parametrize("message", ["", "？！。", "啊"])
def test_messages_without_words_are_not_queued(url: str, message: str) -> None:
    with session_scope(url) as session:
        assert enqueue(session, message) is None
        assert session.query(UnansweredQuestion).count() == 0


def test_resolving_into_a_new_entry_answers_it_and_leaves_the_queue(url: str) -> None:
    with session_scope(url) as session:
        for message in PARKING:
            enqueue(session, message)
        question_id = list_queue(session)[0].id
        entry = resolve_as_new_entry(
            session,
            question_id,
            "编辑甲",
            answer="图书馆地下停车场前两小时免费（示例）。",
            category="公共文化",
        )
    with session_scope(url) as session:
        stored = session.get(FaqEntry, entry.id)
        assert stored.status == PUBLISHED and stored.question == "图书馆停车收费吗"
        assert stored.similar_questions == ["图书馆停车要收费吗"]
        cluster = session.get(UnansweredQuestion, question_id)
        assert (cluster.status, cluster.resolved_by, cluster.resolved_entry_id) == (RESOLVED, "编辑甲", entry.id)
        assert list_queue(session) == []
        reply = answer_question(session, "图书馆停车收费吗")
        assert reply.kind == ANSWER and reply.entry_ids == [entry.id]
        actions = [a.action for a in list_audit(session)]
        assert actions[:2] == ["unanswered_resolved", "faq_create"]


def test_resolving_into_a_similar_question_of_an_existing_entry(url: str) -> None:
    with session_scope(url) as session:
        library = create_entry(session, "编辑甲", fields())
        publish_entry(session, library.id, "编辑甲")
        queued = _queued(session, "周一去图书馆会不会吃闭门羹")
        resolve_as_similar(session, queued.id, library.id, "编辑乙")
    with session_scope(url) as session:
        entry = session.get(FaqEntry, library.id)
        assert entry.similar_questions[-1] == "周一去图书馆会不会吃闭门羹"
        assert entry.versions[-1].action == "add_similar" and entry.versions[-1].changed_by == "编辑乙"
        assert answer_question(session, "周一去图书馆会不会吃闭门羹").entry_ids[:1] == [library.id]
        assert session.get(UnansweredQuestion, queued.id).status == RESOLVED


def test_a_closed_question_cannot_be_resolved_again_and_reopens_as_new(url: str) -> None:
    with session_scope(url) as session:
        first = _queued(session, "市民卡能坐地铁吗")
        dismiss(session, first.id, "编辑甲")
        assert session.get(UnansweredQuestion, first.id).status == DISMISSED
        with pytest.raises(FaqError, match="已处理（已忽略）"):
            resolve_as_new_entry(session, first.id, "编辑甲", answer="可以。", category="交通")
        with pytest.raises(QueueNotFound, match="不存在"):
            dismiss(session, 12345, "编辑甲")
        again = _queued(session, "市民卡能坐地铁吗")
        assert again.id != first.id and again.count == 1
