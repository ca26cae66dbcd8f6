"""Recommendations: the next services after a finished application, and "我可以办什么" with exact reasons."""

from __future__ import annotations

import datetime
from typing import Dict

import pytest

from govservice.applications import recommendations as rec
from govservice.applications.models import Application
from govservice.applications.recommendations import Suggestion
from govservice.catalog.lookup import Catalog
from govservice.clock import utc_now
from govservice.db import session_scope
from tests.govservice.notifications.test_reminders import TODAY, add_cert, add_person, db  # noqa: F401

NEWBORN_NEXT = [("birth_registration", "出生登记"), ("medical_insurance_enrol", "城乡居民基本医疗保险参保登记"),
                ("social_security_card", "社会保障卡申领（含补换）")]


@pytest.fixture()
def people(db: str) -> Dict[str, str]:  # noqa: F811
    """Synthetic citizens: a new parent, one turning 60, one with an expired licence, one with nothing due."""
    with session_scope(db) as s:
        parent = add_person(s, datetime.date(1994, 3, 9), 101)
        birth = add_cert(s, parent, "出生医学证明", None, number="Q350103261120", issued_days_ago=10)
        birth.attributes = {"新生儿姓名": "王小满"}
        sixty = add_person(s, datetime.date(1967, 2, 14), 102)  # 60 on 2027-02-14
        add_cert(s, sixty, "居民身份证", None, number=sixty)
        expired = add_person(s, datetime.date(1988, 6, 1), 103)
        add_cert(s, expired, "机动车驾驶证", -5, number=expired)
        add_cert(s, expired, "普通护照", 120, number="E11112222")  # within 180: renew
        add_cert(s, expired, "社会保障卡", 400, number="F3501")  # far off
        calm = add_person(s, datetime.date(1990, 1, 1), 104)
        add_cert(s, calm, "居民身份证", 2000, number=calm)
    return {"parent": parent, "sixty": sixty, "expired": expired, "calm": calm}


def _for(db: str, pid: str) -> list:  # noqa: F811
    with session_scope(db) as s:
        return rec.for_person(s, pid, Catalog.load(db).renewal_item, TODAY)


def test_newborn_turning_60_and_expired_certificates_have_their_reasons(db: str, people: Dict[str, str]) -> None:  # noqa: F811
    reason = "因为王小满的出生医学证明已于2026年11月23日签发，还没有办理出生登记"
    assert _for(db, people["parent"]) == [Suggestion(k, n, reason) for k, n in NEWBORN_NEXT]
    assert _for(db, people["sixty"]) == [
        Suggestion("pension_claim", "企业职工基本养老金申领", "因为您将于2027年2月14日年满60周岁"),
        Suggestion("hpf_retirement_withdrawal", "离休、退休提取住房公积金", "因为您将于2027年2月14日年满60周岁"),
    ]
    assert _for(db, people["expired"]) == [
        Suggestion("passport_renew", "普通护照换发", "因为您的普通护照将于2027年4月2日到期"),
        Suggestion("driving_licence_renew", "机动车驾驶证期满换证", "因为您的机动车驾驶证已于2026年11月28日过期"),
    ]
    assert _for(db, people["calm"]) == []


def test_a_birth_registration_applied_for_ends_the_newborn_suggestion(db: str, people: Dict[str, str]) -> None:  # noqa: F811
    with session_scope(db) as s:
        now = utc_now()
        s.add(Application(number="T-1", item_key="birth_registration", item_name="出生登记", department_code="GA",
                          person_id=people["parent"], channel="rest", sender="x", status="已提交",
                          form_data={"birth_certificate_number": "Q350103261120"}, idempotency_key="t-1",
                          created_at=now, updated_at=now))
    assert _for(db, people["parent"]) == []


def test_after_a_finished_application_the_life_event_follows(db: str, people: Dict[str, str]) -> None:  # noqa: F811
    with session_scope(db) as s:
        assert rec.after_finishing(s, "marriage_registration") == [
            Suggestion("hukou_spouse_join", "夫妻投靠落户", "因为您已办结结婚登记"),
            Suggestion("birth_service_registration", "生育登记", "因为您已办结结婚登记"),
        ]
        assert rec.after_finishing(s, "hpf_account_query") == []


def test_every_item_in_the_life_events_file_is_in_the_catalog(db: str) -> None:  # noqa: F811
    data = rec.life_events()
    keys = {k for v in data["after"].values() for k in v["next"]} | set(data["after"])
    keys |= {k for v in data["personal"].values() for k in v["next"]}
    catalog = Catalog.load(db)
    assert sorted(k for k in keys if catalog.get(k) is None) == []
