"""Materials of an application: each way a provided material is refused, and what is attached."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.applications.materials import COMMITMENT_TEXT, resolve_materials
from govservice.applications.materials_check import store_attachment
from govservice.applications.models import Application
from govservice.applications.states import ApplicationError
from govservice.applications.store import create_application
from govservice.catalog.models import Material, ServiceItem
from govservice.certificates.models import Certificate
from govservice.db import session_scope
from govservice.settings import reload as reload_settings
from tests.databases import Databases, seeded_database

ZHANG = "11010519491231002X"
LI = "440308199901101512"
NOW = datetime.datetime(2026, 11, 28, 10, 0, 0)


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "materials") as url:
        yield url


@pytest.fixture()
def session(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session whose changes are all rolled back, so each test sees the seeded data."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    reload_settings()
    with session_scope(db_url) as s:
        yield s
        s.rollback()


def _item(session: Session) -> ServiceItem:
    item = session.get(ServiceItem, "residence_permit")
    assert item is not None
    return item


def _material(item: ServiceItem, name: str) -> Material:
    return next(m for m in item.materials if m.name == name)


def _card(session: Session, holder: str = ZHANG) -> Certificate:
    return session.query(Certificate).filter_by(holder_id=holder, type_name="居民身份证").one()


def test_every_source_resolves_to_what_it_refers_to(session: Session) -> None:
    item = _item(session)
    card = _card(session)
    upload = store_attachment(session, b"%PDF-1", "job.pdf", "application/pdf", ZHANG)
    specs = [
        (_material(item, "居民身份证").id, "certificate", card.id),
        (_material(item, "居住证明").id, "commitment", None),
        (_material(item, "就业或就读证明").id, "upload", upload.id),
        (_material(item, "《居住证申领登记表》").id, "form", None),
    ]
    resolved = resolve_materials(session, item, ZHANG, None, specs, NOW.date())
    assert [(m.name, source, obj) for m, source, obj in resolved] == [
        ("居民身份证", "certificate", card),
        ("居住证明", "commitment", None),
        ("就业或就读证明", "upload", upload),
        ("《居住证申领登记表》", "form", None),
    ]


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("居民身份证", "form", "「居民身份证」不是申请表，请上传材料"),
        ("《居住证申领登记表》", "commitment", "「《居住证申领登记表》」不支持告知承诺，请上传材料"),
        ("就业或就读证明", "upload", "未找到「就业或就读证明」的上传文件，请重新上传"),
        ("居住证明", "fax", "未知的材料来源：fax"),
    ],
)
def test_a_wrong_source_gets_its_own_message(session: Session, name: str, source: str, message: str) -> None:
    item = _item(session)
    with pytest.raises(ApplicationError) as error:
        resolve_materials(session, item, ZHANG, None, [(_material(item, name).id, source, None)], NOW.date())
    assert str(error.value) == message


def test_a_material_of_another_item_is_refused(session: Session) -> None:
    other = session.query(Material).filter(Material.item_key != "residence_permit").first()
    assert other is not None
    with pytest.raises(ApplicationError, match=f"材料{other.id}不属于事项「居住证申领」"):
        resolve_materials(session, _item(session), ZHANG, None, [(other.id, "commitment", None)], NOW.date())


def test_another_persons_or_an_inactive_certificate_is_refused(session: Session) -> None:
    item = _item(session)
    card_material = _material(item, "居民身份证").id
    li_card = _card(session, LI)
    with pytest.raises(ApplicationError, match="「居民身份证」所选电子证照无效"):
        resolve_materials(session, item, ZHANG, None, [(card_material, "certificate", li_card.id)], NOW.date())
    card = _card(session)
    card.status = "挂失"
    with pytest.raises(ApplicationError, match="您的居民身份证状态为「挂失」，不能作为申请材料"):
        resolve_materials(session, item, ZHANG, None, [(card_material, "certificate", card.id)], NOW.date())


def test_attached_materials_record_commitment_and_certificate_use(session: Session) -> None:
    item = _item(session)
    specs = [
        (_material(item, "居民身份证").id, "certificate", _card(session).id),
        (_material(item, "居住证明").id, "commitment", None),
    ]
    app = create_application(
        session,
        idempotency_key="materials-test",
        item_key="residence_permit",
        person_id=ZHANG,
        company_code=None,
        channel="rest",
        sender="materials-test",
        form_data={},
        materials=specs,
        now=NOW,
    )
    rows = {row.material_name: row for row in session.get(Application, app.id).materials}
    assert rows["居住证明"].commitment_text == COMMITMENT_TEXT.format(material="居住证明")
    assert rows["居民身份证"].certificate_use_id is not None
    assert rows["居民身份证"].authorized_by == ZHANG
