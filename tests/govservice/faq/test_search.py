"""FAQ retrieval: answers with their source, suggestions, nothing, and edits visible at once."""

from __future__ import annotations

import datetime
import re
from typing import Callable, Iterator

import pytest
from sqlalchemy import text

from govservice.clock import office_date, utc_now
from govservice.db import session_scope
from govservice.faq.models import FaqEntry
from govservice.faq.search import ANSWER, NONE, SUGGEST, Bm25, FaqHit, answer_entry, answer_question, decide, search
from govservice.faq.workflow import create_entry, publish_entry, retire_entry, update_entry
from tests.databases import Databases
from tests.govservice.faq.helpers import fields, fresh_db

LIBRARY = "示范市图书馆星期一开门吗？"


@pytest.fixture(scope="module")
def seeded(databases: Databases) -> Iterator[str]:
    url = fresh_db(databases.create, seed=True)
    yield url
    databases.drop(url)


@pytest.fixture()
def empty(new_database: Callable[[str], str]) -> str:
    return fresh_db(new_database)


def test_a_clear_question_is_answered_with_its_source_and_date(seeded: str) -> None:
    with session_scope(seeded) as session:
        reply = answer_question(session, "办事大厅几点上班？")
        entry = session.query(FaqEntry).filter_by(key="hall_hours").one()
    assert reply.kind == ANSWER and reply.entry_ids == [entry.id]
    assert reply.text.startswith(entry.answer)
    source = f"（来源：FAQ#{entry.id}《{entry.question}》，更新于{office_date(entry.updated_at).isoformat()}）"
    assert reply.text.endswith(source)


def test_traditional_and_full_width_characters_match(seeded: str) -> None:
    with session_scope(seeded) as session:
        reply = answer_question(session, "身份證丟了要先掛失嗎？")
    assert reply.kind == ANSWER and reply.hits[0].key == "id_lost_report"


def test_a_vague_question_gets_three_suggestions(seeded: str) -> None:
    with session_scope(seeded) as session:
        reply = answer_question(session, "公积金")
    assert reply.kind == SUGGEST and len(reply.entry_ids) == 3
    lines = reply.text.splitlines()
    assert lines[0] == "您是不是想问：" and all(re.match(r"^[123]\. .*公积金", line) for line in lines[1:])


@pytest.mark.parametrize("message", ["今天天气怎么样", "？？？", ""])
def test_off_topic_or_empty_gets_nothing(seeded: str, message: str) -> None:
    with session_scope(seeded) as session:
        reply = answer_question(session, message)
    assert reply.kind == NONE and reply.text == ""


def test_create_publish_edit_retire_show_in_the_next_answer(empty: str) -> None:
    with session_scope(empty) as session:
        entry_id = create_entry(session, "编辑甲", fields()).id
    with session_scope(empty) as session:
        assert answer_question(session, LIBRARY).kind == NONE  # a draft is never used
        publish_entry(session, entry_id, "编辑甲")
    with session_scope(empty) as session:
        reply = answer_question(session, LIBRARY)
        assert reply.kind == ANSWER and "周二至周日" in reply.text and f"FAQ#{entry_id}" in reply.text
        update_entry(session, entry_id, "编辑乙", answer="图书馆改为每天开放。")
    with session_scope(empty) as session:
        assert answer_question(session, LIBRARY).text.startswith("图书馆改为每天开放。")
        retire_entry(session, entry_id, "编辑乙")
    with session_scope(empty) as session:
        assert answer_question(session, LIBRARY).kind == NONE


def test_an_edit_by_another_process_is_seen(empty: str) -> None:
    with session_scope(empty) as session:
        entry = create_entry(session, "编辑甲", fields())
        publish_entry(session, entry.id, "编辑甲")
    with session_scope(empty) as session:
        assert "周二至周日" in answer_question(session, LIBRARY).text
    # As the console would, from its own process: plain SQL, a new updated_at and version.
    with session_scope(empty) as session:
        session.execute(
            text("UPDATE faq_entries SET answer = :a, version = version + 1, updated_at = :t WHERE id = :i"),
            {"a": "控制台改过的答案。", "t": utc_now(), "i": entry.id},
        )
    with session_scope(empty) as session:
        assert answer_question(session, LIBRARY).text.startswith("控制台改过的答案。")


def test_effective_and_expiry_dates(empty: str) -> None:
    today = datetime.date(2026, 11, 20)
    window = fields(effective_from=datetime.date(2026, 12, 1), expires_on=datetime.date(2026, 12, 31))
    with session_scope(empty) as session:
        entry = create_entry(session, "编辑甲", window)
        publish_entry(session, entry.id, "编辑甲")
    with session_scope(empty) as session:
        assert answer_question(session, LIBRARY, today=today).kind == NONE
        assert answer_question(session, LIBRARY, today=datetime.date(2026, 12, 1)).kind == ANSWER
        assert answer_question(session, LIBRARY, today=datetime.date(2027, 1, 1)).kind == NONE


def test_a_picked_suggestion_is_answered_until_retired(seeded: str) -> None:
    with session_scope(seeded) as session:
        suggestion = answer_question(session, "公积金")
        picked = answer_entry(session, suggestion.entry_ids[1])
        assert picked.kind == ANSWER and picked.entry_ids == [suggestion.entry_ids[1]]
        assert "（来源：FAQ#" in picked.text
        assert answer_entry(session, 999999).kind == NONE


def test_console_preview_ranks_with_confidence(seeded: str) -> None:
    with session_scope(seeded) as session:
        hits = search(session, "护照多少钱", limit=5)
    assert hits[0].key == "passport_fee" and len(hits) == 5
    assert all(0 <= h.confidence <= 1 for h in hits) and hits[0].score >= hits[1].score


def _hit(confidence: float, number: int = 1) -> FaqHit:
    return FaqHit(number, f"k{number}", "问", confidence * 10, confidence)


def test_decide_thresholds_margin_and_intent_bonus() -> None:
    assert decide([]) == NONE
    assert decide([_hit(0.2)]) == NONE
    assert decide([_hit(0.9), _hit(0.3, 2)]) == ANSWER
    assert decide([_hit(0.9), _hit(0.85, 2)]) == SUGGEST  # too close to the runner-up
    assert decide([_hit(0.45)]) == SUGGEST
    assert decide([_hit(0.45)], intent_is_faq=True) == ANSWER


def test_bm25_scores_only_matching_documents() -> None:
    index = Bm25([["身份证", "补办"], ["护照", "费用"], ["身份证", "费用", "多少"]])
    scores = index.scores(["身份证", "费用"])
    assert set(scores) == {0, 1, 2} and scores[2] == max(scores.values())
    assert index.scores(["驾照"]) == {}
    assert index.ideal(["身份证", "费用", "多少"]) >= scores[2]
