"""Demo citizens, companies and certificates: valid identifiers, required fixtures, determinism."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from typing import Callable, Dict, Iterator, List

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import ric

from govservice.catalog.knowledge import load_knowledge_base
from govservice.certificates.library import effective_status
from govservice.certificates.models import Certificate
from govservice.db import session_scope
from govservice.demo_data import DEMO_CITIZENS, demo_summary, maybe_seed_demo_data, seed_demo_data
from govservice.identity.id_numbers import birth_date, gender, normalize_citizen_id, normalize_credit_code
from govservice.identity.models import Company, Person
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from tests.databases import Databases

TODAY = datetime.date(2025, 12, 20)
ZHANG = "11010519491231002X"
LI = "440308199901101512"
COMPANY = "91350100M000100Y43"


def _fresh(url: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEMO_DATA", "0")
        reload_settings()
        init_db(url)


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    url = databases.create("demo")
    _fresh(url)
    with session_scope(url) as session:
        counts = seed_demo_data(session, TODAY)
    assert counts["persons"] >= 50 and counts["companies"] >= 5
    yield url
    databases.drop(url)


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def _by_holder(session: Session) -> Dict[str, List[Certificate]]:
    held: Dict[str, List[Certificate]] = {}
    for cert in session.query(Certificate).filter(Certificate.holder_id.isnot(None)):
        held.setdefault(cert.holder_id, []).append(cert)
    return held


def test_counts(session: Session) -> None:
    assert session.query(Person).count() >= 50
    assert session.query(Company).count() >= 5
    held = _by_holder(session)
    assert set(held) == {p.id_number for p in session.query(Person)}
    assert all(3 <= len(certs) <= 7 for certs in held.values()), Counter(len(c) for c in held.values())


def test_identifiers_are_valid_and_consistent(session: Session) -> None:
    people = session.query(Person).all()
    fixed = {c["id_number"] for c in DEMO_CITIZENS}
    for person in people:
        assert normalize_citizen_id(person.id_number) == person.id_number
        assert person.gender == gender(person.id_number)
        assert person.birth_date == birth_date(person.id_number)
        assert re.fullmatch(r"1[3-9][0-9]{9}", person.phone)
        if person.id_number not in fixed:
            assert ric.is_valid(person.id_number)  # python-stdnum's strict check, county table included
            assert 1950 <= person.birth_date.year <= 2010
            assert person.phone not in ("13800138000", "13900139000")
    assert len({p.phone for p in people}) == len(people)
    assert len({p.name for p in people}) == len(people)
    for company in session.query(Company).all():
        assert normalize_credit_code(company.credit_code) == company.credit_code
        assert session.get(Person, company.legal_rep_id) is not None


def test_every_adult_has_the_basic_certificates(session: Session) -> None:
    held = _by_holder(session)
    for person in session.query(Person).all():
        names = {c.type_name for c in held[person.id_number]}
        if (TODAY - person.birth_date).days >= 18 * 366:
            assert {"居民身份证", "居民户口簿", "社会保障卡"} <= names, person.name
        id_card = next(c for c in held[person.id_number] if c.type_name == "居民身份证")
        assert id_card.number == person.id_number


def test_zhang_san_and_li_si(session: Session) -> None:
    zhang = session.get(Person, ZHANG)
    assert zhang is not None and (zhang.name, zhang.phone) == ("张三", "13800138000")
    certs = {c.type_name: c for c in _by_holder(session)[ZHANG]}
    assert {"居民身份证", "居民户口簿", "结婚证", "社会保障卡", "机动车驾驶证"} <= set(certs)
    assert effective_status(certs["居民身份证"], TODAY) == "有效"
    licence = certs["机动车驾驶证"]
    assert licence.valid_until == TODAY + datetime.timedelta(days=45) and licence.number == ZHANG
    assert effective_status(licence, TODAY) == "有效"
    li = session.get(Person, LI)
    assert li is not None and (li.name, li.phone) == ("李四", "13900139000")
    li_certs = {c.type_name: c for c in _by_holder(session)[LI]}
    assert {"居民身份证", "机动车驾驶证"} <= set(li_certs)
    for cert in li_certs.values():
        assert effective_status(cert, TODAY) == "有效"
        assert cert.valid_until is None or cert.valid_until > TODAY + datetime.timedelta(days=365)


def test_company_link(session: Session) -> None:
    company = session.get(Company, COMPANY)
    assert company is not None and company.legal_rep_id == ZHANG and "张三" in company.name
    licences = session.query(Certificate).filter_by(holder_company=COMPANY).all()
    assert [(c.type_name, c.number, c.holder_id) for c in licences] == [("营业执照", COMPANY, None)]
    others = session.query(Company).filter(Company.credit_code != COMPANY).all()
    assert len(others) >= 5
    for other in others:
        assert session.query(Certificate).filter_by(holder_company=other.credit_code, type_name="营业执照").count() == 1


def test_expired_and_expiring_exist(session: Session) -> None:
    certs = session.query(Certificate).all()
    statuses = Counter(effective_status(c, TODAY) for c in certs)
    assert statuses["已过期"] >= 5 and statuses["有效"] >= 200
    soon = [
        c
        for c in certs
        if effective_status(c, TODAY) == "有效"
        and c.valid_until is not None
        and c.valid_until <= TODAY + datetime.timedelta(days=60)
    ]
    assert len(soon) >= 5 and len({c.holder_id for c in soon}) >= 4
    assert {c.type_name for c in soon} >= {"居民身份证", "机动车驾驶证"}


def test_knowledge_base_credit_codes_and_aliases() -> None:
    kb = load_knowledge_base()
    codes = [d["credit_code"] for d in kb.departments]
    assert len(set(codes)) == len(codes) == len(kb.departments)
    assert all(normalize_credit_code(c) == c and c.startswith("11449900") for c in codes)
    aliases = [a for t in kb.certificate_types for a in t["aliases"]]
    assert len(aliases) == len(set(aliases))
    names = {t["name"] for t in kb.certificate_types}
    assert not names & set(aliases)
    by_name = {t["name"]: t["aliases"] for t in kb.certificate_types}
    assert {"户口本", "户口簿"} <= set(by_name["居民户口簿"]) and "驾照" in by_name["机动车驾驶证"]


def test_deterministic_apart_from_dates(new_database: Callable[[str], str]) -> None:
    def snapshot(url: str, today: datetime.date) -> List[tuple]:
        _fresh(url)
        with session_scope(url) as session:
            seed_demo_data(session, today)
            rows = session.query(Certificate).order_by(Certificate.id).all()
            return [(c.holder_id, c.holder_company, c.type_name, c.number, c.licence_id) for c in rows]

    first = snapshot(new_database("a"), TODAY)
    assert first == snapshot(new_database("b"), TODAY)


def test_maybe_seed_respects_env_and_existing_rows(new_database: Callable[[str], str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = new_database("env")
    _fresh(url)
    monkeypatch.setenv("DEMO_DATA", "0")
    reload_settings()
    with session_scope(url) as session:
        assert maybe_seed_demo_data(session, TODAY) is False
        assert session.query(Person).count() == 0
    monkeypatch.delenv("DEMO_DATA")
    reload_settings()
    init_db(url)  # persons empty and demo data allowed: seeded now
    with session_scope(url) as session:
        assert session.query(Person).count() >= 50
        assert maybe_seed_demo_data(session, TODAY) is False  # never twice


def test_demo_summary() -> None:
    summary = demo_summary()
    for needle in ("张三", ZHANG, "13800138000", "李四", LI, "13900139000", COMPANY, "机动车驾驶证", "营业执照"):
        assert needle in summary
    assert summary.startswith("| ")
