"""新生儿出生一件事: linked applications in several departments, one transaction, idempotent, per-parent materials."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

from govservice.applications import store as application_store
from govservice.applications.life_events import (
    NEWBORN_ITEMS,
    SIGNED,
    bundle_applications,
    bundle_summary,
    newborn_shared_fields,
    start_newborn,
    submit_newborn_bundle,
)
from govservice.applications.materials_check import store_attachment
from govservice.applications.models import Application, ApplicationMaterial
from govservice.applications.states import ApplicationError
from govservice.applications.workflow import accept, approve, start_review
from govservice.certificates.library import issue_certificate
from govservice.certificates.models import Certificate, CertificateUse
from govservice.clock import office_date, utc_now
from govservice.db import session_scope
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from tests.databases import Databases

ZHANG = "11010519491231002X"
LI = "440308199901101512"
NOW = utc_now().replace(microsecond=0)
BIRTH = (NOW.date() - datetime.timedelta(days=10)).isoformat()


def _child(name: str, number: str, marriage: str = "已登记结婚", settle: str = "随母") -> Dict[str, Any]:
    return {
        "child_name": name,
        "child_gender": "女",
        "birth_date": BIRTH,
        "birth_certificate_number": number,
        "father_name": "王建国",
        "marriage": marriage,
        "settle_with": settle,
    }


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    url = databases.create("newborn")
    init_db(url)
    with session_scope(url) as s:  # 张小花's 出生医学证明, in her mother's library (张三's ID number is a woman's)
        issue_certificate(
            s, ZHANG, "出生医学证明", "Q350100123", attributes={"新生儿姓名": "张小花", "父亲姓名": "王建国"}
        )
    yield url
    databases.drop(url)


@pytest.fixture(autouse=True)
def uploads_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    reload_settings()


def _upload(url: str, person: str = ZHANG) -> str:
    with session_scope(url) as s:
        return str(
            store_attachment(s, b"\xff\xd8\xff scan" + NOW.isoformat().encode(), "scan.jpg", "image/jpeg", person).id
        )


def _bundle(url: str, key: str, data: Dict[str, Any], provided: Optional[Dict[str, str]] = None, **kw: Any) -> list:
    if provided is None:
        provided = {"other_id": _upload(url)}
    fields = dict(idempotency_key=key, person_id=ZHANG, channel="rest", sender="zhang", shared_data=data)
    return submit_newborn_bundle(url, now=NOW, provided=provided, **fields, **kw)


def test_shared_fields_are_validated() -> None:
    ok = newborn_shared_fields({**_child("张小花", "q350100123"), "guardian": "张三", "mother_name": "张三"})
    assert ok["birth_certificate_number"] == "Q350100123" and ok["settle_with"] == "随母"
    with pytest.raises(ApplicationError, match="新生儿姓名"):
        newborn_shared_fields({**_child("", "Q350100123"), "guardian": "张三", "mother_name": "张三"})
    with pytest.raises(ApplicationError, match="性别"):
        newborn_shared_fields(
            {**_child("张小花", "Q350100123"), "child_gender": "未知", "guardian": "张三", "mother_name": "张三"}
        )
    tomorrow = (office_date() + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(ApplicationError, match="不能晚于今天"):
        newborn_shared_fields(
            {**_child("张小花", "Q350100123"), "birth_date": tomorrow, "guardian": "张三", "mother_name": "张三"}
        )
    with pytest.raises(ApplicationError, match="已登记结婚 或 非婚生育"):
        newborn_shared_fields(
            {**_child("张小花", "Q350100123", marriage="离异"), "guardian": "张三", "mother_name": "张三"}
        )
    with pytest.raises(ApplicationError, match="母亲姓名"):
        newborn_shared_fields({**_child("张小花", "Q350100123"), "guardian": "张三"})


def test_the_start_reads_the_applicant_s_library_once_and_masks_the_number(db_url: str) -> None:
    with session_scope(db_url) as s:
        before = s.query(CertificateUse).count()
        start = start_newborn(s, ZHANG)
        assert s.query(CertificateUse).count() == before + 4  # 出生医学证明, 身份证, 户口簿, 结婚证
        assert start.role == "母亲" and start.birth_masked == "Q3******23" and start.birth_certificate_id
        assert all(start.held[t] for t in ("居民身份证", "居民户口簿", "结婚证", "出生医学证明"))
        assert start.data["mother_name"] == "张三" and start.data["father_name"] == "王建国"
        assert "Q350100123" not in str(start.data)
        li = start_newborn(s, LI)
        assert li.role == "父亲" and li.held["结婚证"] is None and li.data["mother_name"] == "陈晓"
        assert [n.status for n in li.needs] == ["held", "held", "upload"]  # 出生医学证明, his ID card, hers


def test_bundle_creates_linked_applications_once_with_both_parents_materials(db_url: str) -> None:
    apps = _bundle(db_url, "newborn-1", _child("张小花", "Q350100123"))
    assert [a.item_key for a in apps] == list(NEWBORN_ITEMS)
    assert {a.department_code for a in apps} == {"GA", "YB", "RS"}
    assert len({a.bundle_id for a in apps}) == 1 and apps[0].bundle_id
    assert all(a.status == "已提交" and a.form_data["on_behalf_of"] == "张小花" for a in apps)
    assert all(a.form_data["guardian"] == "张三" and a.form_data["mother_name"] == "张三" for a in apps)
    assert apps[0].form_data["birth_certificate_number"] == "Q350100123"  # raw only in the back office
    for app in apps:
        birth = [m for m in app.materials if m.material_name == "出生医学证明"]
        assert len(birth) == 1 and birth[0].source == "certificate" and birth[0].certificate_use_id
    registration = sorted((m.material_name, m.source) for m in apps[0].materials)
    assert registration == [
        ("《出生登记申报表》", "form"),
        ("出生医学证明", "certificate"),
        ("父母双方居民身份证", "certificate"),  # the mother's, from her library
        ("父母双方居民身份证", "upload"),  # the father's, uploaded
        ("父母结婚证", "certificate"),
        ("落户方居民户口簿", "certificate"),  # 随母: the mother's
    ]
    again = _bundle(db_url, "newborn-1", _child("张小花", "Q350100123"))
    assert [a.number for a in again] == [a.number for a in apps]
    with session_scope(db_url) as s:
        assert len(bundle_applications(s, str(apps[0].bundle_id))) == len(NEWBORN_ITEMS)
        assert s.query(Application).filter(Application.idempotency_key.like("newborn-1#%")).count() == 3
    text = bundle_summary(apps)
    assert all(a.number in text for a in apps) and len(text.encode()) < 2048


def test_each_parent_s_material_is_required(db_url: str) -> None:
    with pytest.raises(ApplicationError, match="还缺少以下材料：父亲的居民身份证"):
        _bundle(db_url, "newborn-4", _child("张小花", "Q350100123"), provided={})
    with pytest.raises(ApplicationError, match="落户方父亲的居民户口簿"):
        _bundle(db_url, "newborn-4", _child("张小花", "Q350100123", settle="随父"))
    provided = {"other_id": _upload(db_url), "household": _upload(db_url)}
    apps = _bundle(db_url, "newborn-4", _child("张小花", "Q350100123", settle="随父"), provided)
    booklet = [m.source for m in apps[0].materials if m.material_name == "落户方居民户口簿"]
    assert booklet == ["upload"]


def test_non_marital_birth_signs_the_statement_and_a_father_registration_needs_a_paternity_test(db_url: str) -> None:
    data = _child("张小花", "Q350100123", marriage="非婚生育", settle="随父")
    with pytest.raises(ApplicationError, match="《非婚生育说明》、亲子鉴定证明"):
        _bundle(db_url, "newborn-5", data)
    provided = {"other_id": _upload(db_url), "household": _upload(db_url), "statement": SIGNED}
    provided["paternity"] = _upload(db_url)
    registration = _bundle(db_url, "newborn-5", data, provided)[0]
    materials = {m.material_name: m for m in registration.materials}
    assert "父母结婚证" not in materials
    assert materials["《非婚生育说明》"].source == "commitment"
    assert "新生儿张小花系本人与王建国非婚生育的子女" in materials["《非婚生育说明》"].commitment_text
    assert materials["亲子鉴定证明"].source == "upload"
    with_mother = _child("张小花", "Q350100123", marriage="非婚生育", settle="随母")
    provided = {"other_id": _upload(db_url), "statement": SIGNED}
    registration = _bundle(db_url, "newborn-6", with_mother, provided)[0]
    assert "亲子鉴定证明" not in {m.material_name for m in registration.materials}


def test_the_conversation_passes_the_certificate_not_its_number(db_url: str) -> None:
    with session_scope(db_url) as s:
        cert_id = start_newborn(s, ZHANG).birth_certificate_id
    data = {k: v for k, v in _child("张小花", "").items() if k != "birth_certificate_number"}
    apps = _bundle(db_url, "newborn-7", {**data, "birth_certificate_id": cert_id})
    assert apps[0].form_data["birth_certificate_number"] == "Q350100123"


def test_without_certificate_an_upload_is_needed(db_url: str) -> None:
    with pytest.raises(ApplicationError, match="请先上传出生医学证明"):
        _bundle(db_url, "newborn-2", _child("张小草", "Q350100999"))
    upload = _upload(db_url)
    apps = _bundle(db_url, "newborn-2", _child("张小草", "Q350100999"), birth_certificate_attachment_id=upload)
    for app in apps:
        assert [m.source for m in app.materials if m.material_name == "出生医学证明"] == ["upload"]


def test_bundle_is_atomic(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(db_url) as s:
        before = (s.query(Application).count(), s.query(ApplicationMaterial).count(), s.query(CertificateUse).count())
    calls = []
    original = application_store.record_status_change

    def fail_on_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("department system down")
        return original(*args, **kwargs)

    provided = {"other_id": _upload(db_url)}
    monkeypatch.setattr(application_store, "record_status_change", fail_on_third)
    with pytest.raises(RuntimeError):
        _bundle(db_url, "newborn-3", _child("张小花", "Q350100123"), provided)
    with session_scope(db_url) as s:
        after = (s.query(Application).count(), s.query(ApplicationMaterial).count(), s.query(CertificateUse).count())
        assert after == before
    monkeypatch.undo()
    assert len(_bundle(db_url, "newborn-3", _child("张小花", "Q350100123"), provided)) == 3


def test_approving_on_behalf_of_the_newborn_issues_nothing_to_the_parent(db_url: str) -> None:
    registration = _bundle(db_url, "newborn-1", _child("张小花", "Q350100123"))[0]
    with session_scope(db_url) as s:
        booklets = s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居民户口簿").count()
        accept(s, registration.number, "户籍民警", "GA")
        start_review(s, registration.number, "户籍民警", "GA")
        assert approve(s, registration.number, "户籍民警", "GA").status == "已办结"
        assert s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居民户口簿").count() == booklets
