"""Retention: login records go when their purpose ends, old conversation text goes after RETENTION_DAYS."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Callable

import pytest

from govservice.db import session_scope
from govservice.faq.models import UnansweredQuestion
from govservice.handoff.models import CLOSED, HandoffTicket
from govservice.identity import auth
from govservice.identity.models import Binding, LoginAttempt, OtpCode
from govservice.privacy.models import ConversationErasure, ExportLink
from govservice.privacy.personal_data import create_export_link
from govservice.privacy.retention import (
    DEFAULT_DAYS,
    DEFAULT_LOGGED_IN_DAYS,
    Policy,
    in_memory_store,
    main,
    mark_erased,
    pending_erasures,
    purge_back_office,
    purge_login_records,
)
from govservice.seed import init_db
from govservice.settings import reload as reload_settings

ZHANG = "11010519491231002X"
NOW = datetime.datetime(2026, 3, 2, 10, 0)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def url(new_database: Callable[[str], str]) -> str:
    db = new_database("retention")
    init_db(db, faq=False)
    return db


def _attempt(ref: str, at: datetime.datetime, used: bool = False) -> list:
    code = OtpCode(ref=ref, subject_id=ZHANG, code_hash="x" * 64, created_at=at, expires_at=at + auth.CODE_TTL)
    code.used_at = at if used else None
    return [LoginAttempt(ref=ref, subject_kind="person", subject_id=ZHANG, channel="rest", sender=f"s-{ref}",
                         created_at=at), code]


def test_login_records_go_once_the_login_has_ended(url: str) -> None:
    with session_scope(url) as s:
        s.add_all(_attempt("abandoned", NOW - auth.ATTEMPT_TTL - datetime.timedelta(minutes=1)))
        s.add_all(_attempt("finished", NOW - datetime.timedelta(minutes=2), used=True))
        s.add_all(_attempt("in-progress", NOW - datetime.timedelta(minutes=2)))
        idle_since = NOW - auth.IDLE_TIMEOUT * 2
        s.add(Binding(channel="rest", sender="idle", person_id=ZHANG, created_at=NOW, last_seen=idle_since))
        s.add(Binding(channel="rest", sender="active", person_id=ZHANG, created_at=NOW, last_seen=NOW))
        token_old = create_export_link(s, ZHANG, NOW - datetime.timedelta(hours=1))
        create_export_link(s, ZHANG, NOW)
    with session_scope(url) as s:
        counts = purge_login_records(s, NOW)
    assert counts == {"login_records": 4, "bindings": 1, "export_links": 1}  # 2 logins with their codes
    with session_scope(url) as s:
        assert [a.ref for a in s.query(LoginAttempt)] == ["in-progress"]
        assert [c.ref for c in s.query(OtpCode)] == ["in-progress"]
        assert [b.sender for b in s.query(Binding)] == ["active"]
        assert s.query(ExportLink).count() == 1 and token_old


def test_old_conversation_text_in_the_back_office_is_deleted_or_anonymised(url: str) -> None:
    policy = Policy(days=180, logged_in_days=30)
    old, recent = NOW - datetime.timedelta(days=181), NOW - datetime.timedelta(days=179)
    with session_scope(url) as s:
        for text, seen in (("老问题", old), ("新问题", recent)):
            s.add(UnansweredQuestion(text=text, normalized=text, variants=[], first_seen=seen, last_seen=seen))
        for when in (old, recent):
            s.add(HandoffTicket(channel="rest", sender=f"t-{when:%j}", status=CLOSED, contact="13800138000",
                                message="请回电", created_at=when))
        s.add(ConversationErasure(sender="done-long-ago", requested_at=old, done_at=old))
    with session_scope(url) as s:
        counts = purge_back_office(s, policy, NOW)
    assert counts["unanswered_questions"] == 1 and counts["handoff_tickets_anonymised"] == 1
    assert counts["erasure_log"] == 1
    with session_scope(url) as s:
        assert [q.text for q in s.query(UnansweredQuestion)] == ["新问题"]
        tickets = {t.created_at: (t.contact, t.message) for t in s.query(HandoffTicket)}
        assert tickets == {old: (None, None), recent: ("13800138000", "请回电")}


def test_erasure_requests_are_pending_until_marked_done(url: str) -> None:
    with session_scope(url) as s:
        s.add_all([ConversationErasure(sender=f"c{i}", requested_at=NOW) for i in range(3)])
    with session_scope(url) as s:
        pending = pending_erasures(s)
        assert [sender for _, sender in pending] == ["c0", "c1", "c2"]
        mark_erased(s, [row_id for row_id, _ in pending[:2]], NOW)
    with session_scope(url) as s:
        assert [sender for _, sender in pending_erasures(s)] == ["c2"]


def test_the_policy_reads_the_environment_with_a_shorter_default_for_logged_in(monkeypatch, capsys) -> None:
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    monkeypatch.delenv("RETENTION_LOGGED_IN_DAYS", raising=False)
    reload_settings()
    assert Policy.configured() == Policy(DEFAULT_DAYS, DEFAULT_LOGGED_IN_DAYS) == Policy(180, 30)
    monkeypatch.setenv("RETENTION_DAYS", "90")
    monkeypatch.setenv("RETENTION_LOGGED_IN_DAYS", "7")
    reload_settings()
    policy = Policy.configured()
    assert policy == Policy(90, 7)
    assert policy.is_expired(NOW - datetime.timedelta(days=8), True, NOW)
    assert not policy.is_expired(NOW - datetime.timedelta(days=8), False, NOW)
    monkeypatch.setenv("RETENTION_DAYS", "半年")
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        reload_settings()
    assert main([]) == 2 and "RETENTION_DAYS" in capsys.readouterr().err
    monkeypatch.setenv("RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="至少"):
        reload_settings()


def test_the_cli_knows_which_tracker_stores_live_inside_the_rasa_server(tmp_path: Path) -> None:
    assert in_memory_store(str(ROOT / "endpoints.yml"))
    assert not in_memory_store(str(ROOT / "tests" / "config" / "endpoints.sql.yml"))
    redis = tmp_path / "redis.yml"
    redis.write_text("tracker_store:\n  type: redis\n  url: localhost\n")
    assert not in_memory_store(str(redis))
    none = tmp_path / "none.yml"
    none.write_text("action_endpoint:\n  url: http://localhost:5055/webhook\n")
    assert in_memory_store(str(none))
