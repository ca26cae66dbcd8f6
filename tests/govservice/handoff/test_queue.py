"""Handoff tickets and agents' duty: queue positions, taking, closing, messages, office hours, PostgreSQL."""

from __future__ import annotations

import datetime
from typing import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.accounts.demo_officers import seed_officers
from govservice.audit import AuditLog
from govservice.db import session_scope
from govservice.handoff import queue as handoff
from govservice.handoff.hours import OfficeHours, office_hours, parse_office_hours
from govservice.handoff.models import mask_contact
from govservice.seed import init_db
from govservice.settings import reload as reload_settings

T0 = datetime.datetime(2026, 3, 2, 2, 0)  # stored (UTC): Monday 10:00 in Shanghai


def _seed(url: str) -> str:
    init_db(url)
    with session_scope(url) as s:
        seed_officers(s)
    return url


@pytest.fixture()
def url(new_database: Callable[[str], str]) -> str:
    return _seed(new_database("handoff"))


@pytest.fixture()
def session(url: str) -> Iterator[Session]:
    with session_scope(url) as s:
        yield s


def _queue_three(session: Session) -> list:
    return [handoff.request_live(session, "rest", f"c{n}", T0 + datetime.timedelta(minutes=n))[0] for n in range(3)]


def test_positions_follow_arrival_and_asking_again_keeps_the_place(session: Session) -> None:
    first, second, third = _queue_three(session)
    assert [handoff.ahead_of(session, t) for t in (first, second, third)] == [0, 1, 2]
    again, ahead = handoff.request_live(session, "rest", "c1", T0 + datetime.timedelta(minutes=9))
    assert (again.id, ahead) == (second.id, 1)
    assert handoff.open_ticket(session, "socketio", "c1") is None  # a conversation is per channel


def test_take_moves_the_queue_and_only_one_agent_gets_a_ticket(session: Session) -> None:
    first, second, _ = _queue_three(session)
    taken = handoff.take(session, first.id, "ga_officer", "户政办件员（ga_officer）", T0)
    assert (taken.status, taken.agent, handoff.ahead_of(session, taken)) == (handoff.ACTIVE, "ga_officer", 0)
    assert handoff.ahead_of(session, second) == 0
    assert handoff.take(session, first.id, "ga_officer", "户政办件员（ga_officer）").id == first.id  # idempotent
    with pytest.raises(handoff.HandoffError, match="已由户政办件员"):
        handoff.take(session, first.id, "admin", "管理员（admin）")
    audit = session.query(AuditLog).filter_by(action="handoff_take").one()
    assert audit.target_id == str(first.id) and audit.actor == "户政办件员（ga_officer）"


def test_close_ends_a_ticket_once(session: Session) -> None:
    ticket, _ = handoff.request_live(session, "rest", "c9", T0)
    handoff.take(session, ticket.id, "ga_officer", "甲", T0)
    closed = handoff.close(session, ticket.id, "甲", T0 + datetime.timedelta(minutes=5))
    assert (closed.status, closed.closed_by) == (handoff.CLOSED, "甲")
    with pytest.raises(handoff.HandoffError, match="已结束"):
        handoff.close(session, ticket.id, "甲")
    with pytest.raises(handoff.HandoffError, match="已结束"):
        handoff.take(session, ticket.id, "admin", "乙")
    assert handoff.request_live(session, "rest", "c9", T0)[0].id != ticket.id  # a new request, a new ticket


def test_messages_are_redacted_and_contacts_checked(session: Session) -> None:
    ticket = handoff.leave_message(
        session, "wechat", "openid-1", "我的身份证11010519491231002X办不了居住证，请回电", " 138 0013 8000 ", T0
    )
    assert ticket.status == handoff.MESSAGE and ticket.kind == handoff.LEFT_MESSAGE
    assert "11010519491231002X" not in ticket.message and "110105********002X" in ticket.message
    assert (ticket.contact, ticket.masked_contact) == ("13800138000", "138****8000")
    with pytest.raises(handoff.HandoffError, match="联系方式"):
        handoff.leave_message(session, "rest", "x", "问题", "随便")
    with pytest.raises(handoff.HandoffError, match="留言内容"):
        handoff.leave_message(session, "rest", "x", "  ", "13800138000")
    with pytest.raises(handoff.HandoffError, match="无需接入"):
        handoff.take(session, ticket.id, "ga_officer", "甲")
    assert [t.id for t in handoff.list_tickets(session, [handoff.MESSAGE])] == [ticket.id]
    assert handoff.close(session, ticket.id, "甲").status == handoff.CLOSED


def test_spaced_and_full_width_numbers_in_a_message_are_redacted(session: Session) -> None:
    """Issue 12, item 11: a ticket kept 3501 0420 1010 1441 23 and １３８… raw."""
    message = "身份证3501 0420 1010 1441 23，手机１３８－１２３４－５６７８，电话138 1234 5678"
    ticket = handoff.leave_message(session, "rest", "c9", message, "13800138000", T0)
    assert ticket.message == "身份证350104********4123，手机138****5678，电话138****5678"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("１３８\u3000００１３－８０００", "13800138000"),
        ("0591-12345678", "0591-12345678"),
        ("（0591）87654321", "0591-87654321"),
        ("Zhang.San@Example.cn", "zhang.san@example.cn"),
        ("邮箱 zhang@example.cn 谢谢", "zhang@example.cn"),
        ("座机0591-87654321，上班时间打", "0591-87654321"),
        ("138001380001", None),
        ("12345", None),
        ("我不想留", None),
        ("", None),
    ],
)
def test_contacts(typed: str, expected: str) -> None:
    assert handoff.clean_contact(typed) == expected


def test_masked_contacts() -> None:
    assert mask_contact("zhang@example.cn") == "z***@example.cn"
    assert mask_contact("0591-12345678") == "********5678"


def test_duty_and_availability(session: Session) -> None:
    hours = OfficeHours()
    assert handoff.agents_on_duty(session) == []
    assert not handoff.agent_available(session, T0, hours)
    handoff.set_on_duty(session, "ga_officer", True, "甲", T0)
    assert handoff.agents_on_duty(session) == ["ga_officer"] and handoff.is_on_duty(session, "ga_officer")
    assert handoff.agent_available(session, T0, hours)
    assert not handoff.agent_available(session, T0.replace(hour=18), hours)
    assert not handoff.agent_available(session, T0 + datetime.timedelta(days=5), hours)  # Saturday
    handoff.set_on_duty(session, "ga_officer", False, "甲", T0)
    assert not handoff.is_on_duty(session, "ga_officer")
    assert [r.detail for r in session.query(AuditLog).filter_by(action="handoff_duty")] == ["开始值班", "结束值班"]


def test_office_hours_in_the_offices_time_zone() -> None:
    hours = OfficeHours()
    shanghai_morning = datetime.datetime(2026, 3, 2, 1, 30, tzinfo=datetime.timezone.utc)  # 09:30 in Shanghai
    assert hours.is_open(shanghai_morning)
    assert not hours.is_open(datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.timezone.utc))  # 17:30 there
    assert hours.describe() == "周一至周五 9:00-17:00"
    weekend = parse_office_hours("6,7", "10:00-24:00", "Asia/Shanghai")
    assert weekend.is_open(datetime.datetime(2026, 3, 7, 15, 59)) and not weekend.is_open(T0)  # Sat 23:59 there
    assert weekend.describe() == "周六至周日 10:00-24:00"
    for days, span in (("0-5", "09:00-17:00"), ("1-5", "17:00-09:00"), ("x", "09:00-17:00")):
        with pytest.raises(ValueError):
            parse_office_hours(days, span, "Asia/Shanghai")


def test_a_malformed_setting_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_HOURS", "nine to five")
    reload_settings()
    assert office_hours() == OfficeHours()
    monkeypatch.setenv("HANDOFF_HOURS", "08:30-12:00")
    monkeypatch.setenv("HANDOFF_DAYS", "1-6")
    reload_settings()
    assert office_hours().describe() == "周一至周六 8:30-12:00"


def test_the_handoff_model_on_postgresql(postgres_url: str) -> None:
    _seed(postgres_url)
    with session_scope(postgres_url) as s:
        handoff.set_on_duty(s, "ga_officer", True, "甲", T0)
        first, second, third = _queue_three(s)
        handoff.take(s, first.id, "ga_officer", "户政办件员（ga_officer）", T0)
        message = handoff.leave_message(s, "rest", "m1", "想咨询公积金", "zhang@example.cn", T0)
    with session_scope(postgres_url) as s:
        assert handoff.agents_on_duty(s) == ["ga_officer"]
        waiting = handoff.list_tickets(s, [handoff.WAITING])
        assert [t.id for t in waiting] == [second.id, third.id]
        assert [handoff.ahead_of(s, t) for t in waiting] == [0, 1]
        with pytest.raises(handoff.HandoffError):
            handoff.take(s, first.id, "admin", "管理员")
        assert handoff.get_ticket(s, message.id).masked_contact == "z***@example.cn"
