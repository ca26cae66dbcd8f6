"""Materials check against the certificate library: held, expired, commitment, upload; chat text; uploads."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.applications.materials_check import (
    COMMITMENT,
    EXPIRED,
    FORM,
    HELD,
    UPLOAD,
    check_materials,
    is_form_material,
    render_check,
    renewal_item,
    store_attachment,
)
from govservice.applications.models import Attachment
from govservice.applications.states import ApplicationError
from govservice.catalog.models import ServiceItem
from govservice.certificates.library import issue_certificate
from govservice.certificates.models import Certificate, CertificateUse
from govservice.clock import office_date
from govservice.db import session_scope
from govservice.identity.models import Person
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from tests.databases import Databases

TODAY = office_date()  # the demo certificates are dated relative to the office's today
ZHANG = "11010519491231002X"
WANG = "350102199001011234"


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    url = databases.create("materials")
    init_db(url)
    with session_scope(url) as session:  # 王五: an expired ID card, a cancelled driving licence
        session.add(Person(id_number=WANG, name="王五", phone="13700137000", address="示范市民生路1号"))
        session.flush()
        card = issue_certificate(session, WANG, "居民身份证", WANG, valid_years=10, today=TODAY.replace(year=2010))
        assert card.valid_until is not None and card.valid_until < TODAY
        licence = issue_certificate(session, WANG, "驾照", WANG, valid_years=6, today=TODAY)
        licence.status = "已注销"
    yield url
    databases.drop(url)


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def _item(session: Session, key: str) -> ServiceItem:
    item = session.get(ServiceItem, key)
    assert item is not None
    return item


def test_zhang_residence_permit(session: Session) -> None:
    item = _item(session, "residence_permit")
    before = session.query(CertificateUse).count()
    check = check_materials(session, item, ZHANG, TODAY)
    statuses = {m.name: m.status for m in check.materials}
    assert statuses["居民身份证"] == HELD
    assert statuses["居住证明"] == COMMITMENT
    assert statuses["《居住证申领登记表》"] == FORM  # the online application fills it in
    assert [m.status for m in check.materials].count(UPLOAD) == 2
    card = next(m for m in check.materials if m.name == "居民身份证")
    held = session.get(Certificate, card.certificate_id)
    assert held is not None and held.holder_id == ZHANG and held.type_name == "居民身份证"
    uses = session.query(CertificateUse).order_by(CertificateUse.id).all()[before:]
    assert uses and all(u.actor_type == "citizen" and u.purpose == "办理居住证申领：材料核验" for u in uses)
    assert all(session.get(Certificate, u.certificate_id).holder_id == ZHANG for u in uses)
    text = render_check(check)
    assert text.startswith(
        "办理居住证申领共需5项材料，其中1项已有电子证照无需提交，1项可告知承诺，1项在线填写，2项需提交："
    )
    assert "1. 居民身份证 —— ✅ 免提交" in text and "2. 居住证明 —— ✍️ 可告知承诺" in text
    assert (
        text.count("📎 需上传") == 2
        and "5. 《居住证申领登记表》 —— 📝 在线填写" in text
        and len(text.encode("utf-8")) < 2048
    )


def test_expired_certificate_points_to_the_renewal(session: Session) -> None:
    check = check_materials(session, _item(session, "residence_permit"), WANG, TODAY)
    card = next(m for m in check.materials if m.name == "居民身份证")
    assert card.status == EXPIRED and card.renewal_item_key == "id_card_renew"
    assert card.certificate_id is not None and check.expired == [card]
    text = render_check(check)
    assert "1项证照已过期" in text and "⚠️ 已过期，建议先办理居民身份证换领" in text


def test_expiry_by_date_and_cancelled_certificates(session: Session) -> None:
    item = _item(session, "driving_licence_renew")
    later = check_materials(session, item, ZHANG, TODAY + datetime.timedelta(days=60))  # 张三's licence: 45 days
    licence = next(m for m in later.materials if m.certificate_type == "机动车驾驶证")
    assert licence.status == EXPIRED and licence.renewal_item_key == "driving_licence_renew"
    now = check_materials(session, item, ZHANG, TODAY)
    assert next(m for m in now.materials if m.certificate_type == "机动车驾驶证").status == HELD
    cancelled = check_materials(session, item, WANG, TODAY)  # 已注销 is neither held nor "expired"
    assert next(m for m in cancelled.materials if m.certificate_type == "机动车驾驶证").status == UPLOAD


def test_renewal_item_lookup(session: Session) -> None:
    assert renewal_item(session, "机动车驾驶证").key == "driving_licence_renew"  # type: ignore[union-attr]
    assert renewal_item(session, "居民身份证").key == "id_card_renew"  # type: ignore[union-attr]
    assert renewal_item(session, "结婚证") is None  # produced, but not renewed by an item


def test_every_item_renders_below_the_limit(session: Session) -> None:
    for item in session.query(ServiceItem).all():
        text = render_check(check_materials(session, item, ZHANG, TODAY))
        assert len(text.encode("utf-8")) < 2048 and text.count("\n") >= len(item.materials)


def test_store_attachment(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    reload_settings()
    data = b"%PDF-1.4 lease contract"
    first = store_attachment(session, data, "C:\\scan\\租房合同.pdf", "application/pdf", ZHANG)
    second = store_attachment(session, data, "../../etc/租房合同.pdf", "application/pdf", ZHANG)
    assert first.id != second.id and first.sha256 == second.sha256 and first.size == len(data)
    assert first.filename == second.filename == "租房合同.pdf"
    stored = Path(first.stored_path)
    assert stored.read_bytes() == data and stored.is_relative_to(tmp_path / "uploads")
    assert session.get(Attachment, first.id) is first
    for content, kind in [(b"", "application/pdf"), (b"MZ\x90", "application/pdf"), (b"%PDF", "text/html")]:
        with pytest.raises(ApplicationError):
            store_attachment(session, content, "x.pdf", kind, ZHANG)


def test_application_forms_are_recognised_by_name() -> None:
    assert is_form_material("《居住证申领登记表》")
    assert is_form_material("《社会保障卡申领登记表》")
    assert not is_form_material("居住证明")
    assert not is_form_material("《告知承诺书》")
