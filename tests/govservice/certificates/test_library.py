"""Certificate library: audit trail, isolation, status, expiry, licence identifiers and chat texts."""

from __future__ import annotations

import datetime
import re
from typing import Iterator, List

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import ric

from govservice.certificates import text
from govservice.certificates.library import (
    effective_status,
    expiring_certificates,
    find_certificates,
    get_certificate,
    is_valid_licence_identifier,
    issue_certificate,
    licence_identifier,
    list_certificates,
    renewal_due,
    resolve_certificate_type,
    uses_for_holder,
)
from govservice.certificates.models import Certificate, CertificateUse
from govservice.certificates.uses import use_history
from govservice.clock import office_date, utc_now
from govservice.db import session_scope
from govservice.identity.models import Person
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from tests.databases import Databases, seeded_database

TODAY = datetime.date(2025, 6, 15)
ZHANG = "11010519491231002X"
LI = "440308199901101512"
WHO = {"actor_type": "citizen", "actor": "智能助手", "purpose": "本人查询证照"}
LICENCE = re.compile(r"^1\.2\.156\.3005\.2\.[0-9A-Z]{18}\.[0-9A-Z]{18}\.[0-9]+\.[0-9]+\.[0-9X]$")


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "certs", TODAY) as url:
        yield url


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def _uses(session: Session) -> int:
    return session.query(CertificateUse).count()


def test_every_read_records_a_use(session: Session) -> None:
    before = _uses(session)
    started = utc_now() - datetime.timedelta(seconds=1)
    certs = list_certificates(session, ZHANG, "citizen", "智能助手", "本人查询证照", TODAY)
    assert len(certs) >= 5 and _uses(session) == before + len(certs)
    found = find_certificates(session, ZHANG, ["驾照", "户口本"], "application", "SQ2025061500001", "办件调用材料")
    assert {c.type_name for c in found} == {"机动车驾驶证", "居民户口簿"}
    assert _uses(session) == before + len(certs) + 2
    soon = expiring_certificates(session, ZHANG, 60, TODAY, actor_type="officer", actor="王五", purpose="到期提醒")
    assert len(soon) == 1 and _uses(session) == before + len(certs) + 3
    one = get_certificate(session, ZHANG, certs[0].id, "citizen", "智能助手", "查看详情")
    assert one is not None and _uses(session) == before + len(certs) + 4
    latest = uses_for_holder(session, ZHANG, limit=4)
    assert [u.purpose for u in latest] == ["查看详情", "到期提醒", "办件调用材料", "办件调用材料"]
    assert latest[1].actor_type == "officer" and latest[1].actor == "王五"
    assert all(u.used_at >= started for u in latest)
    assert len(uses_for_holder(session, ZHANG, limit=100)) == len(certs) + 4


def test_reads_need_who_and_why(session: Session) -> None:
    with pytest.raises(ValueError):
        list_certificates(session, ZHANG, "robot", "x", "y")
    with pytest.raises(ValueError):
        list_certificates(session, ZHANG, "citizen", "智能助手", " ")


def test_another_holders_certificate_is_never_returned(session: Session) -> None:
    zhang_ids = [c.id for c in list_certificates(session, ZHANG, **WHO)]
    before = _uses(session)
    for cert_id in zhang_ids:
        assert get_certificate(session, LI, cert_id, **WHO) is None
    assert _uses(session) == before
    assert find_certificates(session, LI, ["结婚证", "户口本", "驾照"], **WHO)
    assert all(c.holder_id == LI for c in find_certificates(session, LI, ["结婚证", "户口本", "驾照"], **WHO))
    assert find_certificates(session, LI, ["结婚证"], **WHO) == []
    assert all(c.holder_id == LI for c in list_certificates(session, LI, **WHO))
    assert all(u.certificate.holder_id == LI for u in uses_for_holder(session, LI, limit=100))
    assert get_certificate(session, "91350100M000100Y43", zhang_ids[0], **WHO, holder_kind="company") is None
    company = list_certificates(session, "91350100M000100Y43", **WHO, holder_kind="company")
    assert [c.type_name for c in company] == ["营业执照"]


def test_effective_status() -> None:
    def cert(status: str, until: datetime.date | None) -> Certificate:
        return Certificate(status=status, valid_until=until)

    assert effective_status(cert("有效", None), TODAY) == "有效"
    assert effective_status(cert("有效", TODAY), TODAY) == "有效"
    assert effective_status(cert("有效", TODAY - datetime.timedelta(days=1)), TODAY) == "已过期"
    assert effective_status(cert("已注销", TODAY + datetime.timedelta(days=99)), TODAY) == "已注销"
    assert effective_status(cert("挂失", TODAY - datetime.timedelta(days=9)), TODAY) == "挂失"


def test_expiring(session: Session) -> None:
    soon = expiring_certificates(session, ZHANG, 60, TODAY, **WHO)
    assert [(c.type_name, c.valid_until) for c in soon] == [("机动车驾驶证", TODAY + datetime.timedelta(days=45))]
    assert expiring_certificates(session, ZHANG, 30, TODAY, **WHO) == []
    assert expiring_certificates(session, LI, 60, TODAY, **WHO) == []
    for person in session.query(Person).all():
        certs = expiring_certificates(session, person.id_number, 60, TODAY, **WHO)
        dates = [c.valid_until for c in certs]
        assert dates == sorted(dates)
        assert all(effective_status(c, TODAY) == "有效" for c in certs)
        assert all(TODAY <= c.valid_until <= TODAY + datetime.timedelta(days=60) for c in certs)


def _mod_11_2(digits: str) -> str:
    """Independent ISO 7064 MOD 11-2 for the test oracle."""
    p = 0
    for d in digits:
        p = ((p + int(d)) * 2) % 11
    check = (12 - p) % 11
    return "X" if check == 10 else str(check)


def test_licence_identifier() -> None:
    ident = licence_identifier("11100000000000009X", "11449900000000303F", "00000005", 1)
    assert LICENCE.match(ident), ident
    body, check = ident.rsplit(".", 1)
    digits = "".join(c if c.isdigit() else str(ord(c) - 55) for c in body if c.isalnum())
    assert check == _mod_11_2(digits)
    assert is_valid_licence_identifier(ident)
    tampered = ident.replace(".00000005.", ".00000006.")
    assert not is_valid_licence_identifier(tampered)
    assert licence_identifier("11100000000000009X", "11449900000000303F", "00000005", 2) != ident


def test_demo_licence_ids_are_valid_and_unique(session: Session) -> None:
    ids = [c.licence_id for c in session.query(Certificate).all()]
    assert len(ids) == len(set(ids))
    assert all(LICENCE.match(i) and is_valid_licence_identifier(i) for i in ids)


def test_resolve_certificate_type(session: Session) -> None:
    expected = {
        "驾照": "机动车驾驶证",
        "驾驶本": "机动车驾驶证",
        "户口本": "居民户口簿",
        "社保卡": "社会保障卡",
        "结婚证书": "结婚证",
        "出生证": "出生医学证明",
        "我的驾驶执照": "机动车驾驶证",
        "营业执照": "营业执照",
        "身份证": "居民身份证",
    }
    for word, name in expected.items():
        assert resolve_certificate_type(session, word) == name, word
    assert resolve_certificate_type(session, "天气") is None
    assert resolve_certificate_type(session, "飞行执照") is None
    assert resolve_certificate_type(session, "我的驾照", exact=True) is None
    assert resolve_certificate_type(session, "") is None


def _all_texts(session: Session, holder: str) -> List[str]:
    certs = list_certificates(session, holder, **WHO)
    texts = [text.render_list(certs, TODAY)] + [text.render_detail(c, TODAY) for c in certs]
    texts.append(text.render_expiring(expiring_certificates(session, holder, 60, TODAY, **WHO), TODAY))
    texts.append(text.render_uses(use_history(session, holder)))
    return texts


def test_rendered_texts_mask_numbers_and_fit_wechat(session: Session) -> None:
    for person in session.query(Person).all():
        for rendered in _all_texts(session, person.id_number):
            assert person.id_number not in rendered and person.phone not in rendered
            assert len(rendered.encode("utf-8")) < 2048
            assert not re.search(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])", rendered.split("电子证照标识")[0])


def test_rendered_texts_content(session: Session) -> None:
    certs = list_certificates(session, ZHANG, **WHO)
    listing = text.render_list(certs, TODAY)
    assert "110105********002X" in listing and "（45天后到期，请及时办理）" in listing and "长期" in listing
    licence = next(c for c in certs if c.type_name == "机动车驾驶证")
    detail = text.render_detail(licence, TODAY)
    assert "发证机关：示范市公安局交通警察支队车辆管理所" in detail and licence.licence_id in detail
    social = next(c for c in certs if c.type_name == "社会保障卡")
    assert "社会保障号码：110105********002X" in text.render_detail(social, TODAY)
    assert text.render_expiring([], TODAY) == "暂无60天内到期的证照。"
    assert "还剩45天" in text.render_expiring([licence], TODAY)
    find_certificates(session, ZHANG, ["户口本"], "application", "SQ2025061500002", "户籍业务调用")
    find_certificates(session, ZHANG, ["户口本"], "officer", "工号0371", "窗口核验")
    rendered = text.render_uses(use_history(session, ZHANG, limit=2))
    assert "工作人员工号0371查看" in rendered and "办件SQ2025061500002调用" in rendered
    assert "另有本人通过智能助手查询" in rendered
    assert text.render_list([], TODAY) == "您的电子证照库中暂无证照。"


def test_long_list_is_truncated() -> None:
    certs = [
        Certificate(
            type_name="不动产权证书",
            number=f"闽（2020）示范市不动产权第{i:07d}号",
            status="有效",
            valid_until=TODAY + datetime.timedelta(days=i),
        )
        for i in range(40)
    ]
    rendered = text.render_list(certs, TODAY)
    assert len(rendered.encode("utf-8")) < 2048 and "…共40项" in rendered
    expired = Certificate(type_name="普通护照", number="E12345678", status="有效", valid_until=TODAY.replace(year=2020))
    assert "（已过期）" in text.render_list([expired], TODAY)


def test_issue_certificate_then_list(session: Session) -> None:
    cert = issue_certificate(session, LI, "结婚证书", "J350102-2025-000001", None, None, {"持证人": "李四"}, TODAY)
    assert cert.type_name == "结婚证" and cert.valid_until is None and cert.issuer == "示范市民政局"
    assert is_valid_licence_identifier(cert.licence_id) and LICENCE.match(cert.licence_id)
    passport = issue_certificate(session, LI, "护照", "E99887766", "CRJ", 10, None, TODAY)
    assert passport.valid_until == TODAY.replace(year=TODAY.year + 10)
    listed = list_certificates(session, LI, **WHO)
    assert {cert.id, passport.id} <= {c.id for c in listed}
    assert "结婚证" in text.render_list(listed, TODAY)
    with pytest.raises(ValueError):
        issue_certificate(session, LI, "飞行执照", "X1", None, 1, None, TODAY)
    with pytest.raises(ValueError):
        issue_certificate(session, None, "结婚证", "X1", None, 1, None, TODAY)


def test_demo_data_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_DATA", raising=False)
    reload_settings()
    init_db(postgres_url)
    today = office_date()  # the day the demo data was dated from
    with session_scope(postgres_url) as session:
        certs = list_certificates(session, ZHANG, **WHO)
        names = {c.type_name for c in certs}
        assert {"居民身份证", "居民户口簿", "结婚证", "社会保障卡", "机动车驾驶证"} <= names
        soon = expiring_certificates(session, ZHANG, 60, today, **WHO)
        assert [c.valid_until for c in soon] == [today + datetime.timedelta(days=45)]
        assert len(uses_for_holder(session, ZHANG, limit=100)) == len(certs) + 1
        assert ZHANG not in text.render_list(certs, today)


def _new_person(session: Session, body: str, name: str) -> str:
    """A synthetic person with a checksum-valid ID number and an empty library."""
    id_number = body + ric.calc_check_digit(body + "0")
    session.add(Person(id_number=id_number, name=name, phone="13700000000"))
    session.flush()
    return id_number


def test_only_current_certificates_need_renewing(session: Session) -> None:
    holder = _new_person(session, "35010219900101123", "周测")
    six_years_ago = TODAY.replace(year=TODAY.year - 6) + datetime.timedelta(days=30)
    old = issue_certificate(session, holder, "驾照", holder, None, 6, None, six_years_ago)
    assert old.valid_until == TODAY + datetime.timedelta(days=30)
    assert renewal_due(session, [old], 60, TODAY) == [old]
    assert expiring_certificates(session, holder, 60, TODAY, **WHO) == [old]
    # Renewed elsewhere: the new licence arrives without the old one being marked 已注销.
    new = issue_certificate(session, holder, "驾照", holder, None, 10, None, TODAY)
    assert renewal_due(session, [old, new], 60, TODAY) == []
    assert expiring_certificates(session, holder, 60, TODAY, **WHO) == []
    assert renewal_due(session, [new], 60, TODAY.replace(year=TODAY.year + 10)) == [new]
    expired = issue_certificate(
        session, holder, "护照", "E11223344", None, 10, None, TODAY.replace(year=TODAY.year - 11)
    )
    assert renewal_due(session, [expired], 60, TODAY) == [expired]  # expired and not replaced: renew it
    expired.status = "已注销"
    assert renewal_due(session, [expired], 60, TODAY) == []
    assert renewal_due(session, [issue_certificate(session, holder, "结婚证", "J1", None, None, None, TODAY)]) == []
