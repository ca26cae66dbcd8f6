"""用证记录 as the holder sees it: uses by departments and applications first, own lookups folded."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.certificates import text
from govservice.certificates.library import find_certificates, list_certificates
from govservice.certificates.models import CertificateUse
from govservice.certificates.uses import use_history
from govservice.db import session_scope
from govservice.demo_data import FIXED_COMPANY_CODE
from tests.databases import Databases, seeded_database

TODAY = datetime.date(2026, 11, 20)
ZHANG = "11010519491231002X"
LI = "440308199901101512"


@pytest.fixture(scope="module")
def seeded(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "uses", TODAY) as url:
        yield url


@pytest.fixture()
def session(seeded: str) -> Iterator[Session]:
    """The seeded database, emptied of uses: every test starts without any use recorded."""
    with session_scope(seeded) as s:
        s.query(CertificateUse).delete()
        yield s


def _at(session: Session, when: datetime.datetime) -> None:
    """Date the uses just recorded (the library stamps them with the clock)."""
    for use in session.query(CertificateUse).filter(CertificateUse.used_at > when):
        use.used_at = when
    session.flush()


def test_uses_by_others_come_first_and_own_lookups_are_folded(session: Session) -> None:
    start = datetime.datetime(2026, 11, 1, 9, 0)
    find_certificates(session, ZHANG, ["户口本"], "application", "20261101GA000001", "办件调用作为申请材料")
    _at(session, start)
    find_certificates(session, ZHANG, ["驾照"], "officer", "工号0371", "窗口核验")
    _at(session, start + datetime.timedelta(days=1))
    own = 0
    for day in range(2, 10):  # a citizen who checks the library every day
        own += len(list_certificates(session, ZHANG, "citizen", "本人（智能助手）", "本人查询证照列表"))
        _at(session, start + datetime.timedelta(days=day, hours=2))
    history = use_history(session, ZHANG, limit=20)
    assert [(u.actor_type, u.actor) for u in history.others] == [
        ("officer", "工号0371"),
        ("application", "20261101GA000001"),
    ]
    assert history.own_count == own > 20 and history.own_latest == datetime.datetime(2026, 11, 10, 11, 0)
    rendered = text.render_uses(history)  # stored times are UTC, shown in Asia/Shanghai (+8)
    lines = rendered.splitlines()
    assert lines[0] == "最近2条部门和办件用证记录（最新在前）："
    assert lines[1] == "1. 2026-11-02 17:00 机动车驾驶证" and lines[2] == "   工作人员工号0371查看，用途：窗口核验"
    assert lines[3] == "2. 2026-11-01 17:00 居民户口簿"
    assert lines[-1] == f"另有本人通过智能助手查询{own}次，最近一次2026-11-10 19:00。"
    assert rendered.count("本人") == 1


def test_only_own_lookups_or_none(session: Session) -> None:
    assert text.render_uses(use_history(session, LI)) == "暂无用证记录。"
    list_certificates(session, LI, "citizen", "本人（智能助手）", "本人查询证照列表")
    _at(session, datetime.datetime(2026, 11, 19, 8, 30))
    history = use_history(session, LI)
    assert history.others == [] and history.own_count == 5
    assert (
        text.render_uses(history)
        == "暂无部门或办件调用您的证照。\n另有本人通过智能助手查询5次，最近一次2026-11-19 16:30。"
    )


def test_a_company_history_is_the_company_s_own(session: Session) -> None:
    list_certificates(session, ZHANG, "citizen", "本人（智能助手）", "本人查询证照列表")
    find_certificates(
        session,
        FIXED_COMPANY_CODE,
        ["营业执照"],
        "application",
        "20261101GA000002",
        "变更登记",
        holder_kind="company",
    )
    _at(session, datetime.datetime(2026, 11, 19, 8, 30))
    history = use_history(session, FIXED_COMPANY_CODE, holder_kind="company")
    assert [u.certificate.type_name for u in history.others] == ["营业执照"] and history.own_count == 0
    assert "办件20261101GA000002调用" in text.render_uses(history, company=True)
