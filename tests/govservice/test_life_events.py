"""新生儿出生一件事: linked applications in several departments, one transaction, idempotent."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Dict

import pytest

from govservice import application_store, config
from govservice.application_models import Application, ApplicationError, ApplicationMaterial
from govservice.applications import accept, approve, start_review
from govservice.certificates import issue_certificate
from govservice.clock import office_date, utc_now
from govservice.db import session_scope
from govservice.life_events import (
    NEWBORN_ITEMS,
    bundle_applications,
    bundle_summary,
    check_newborn,
    newborn_shared_fields,
    render_newborn_plan,
    submit_newborn_bundle,
)
from govservice.materials_check import HELD, UPLOAD, store_attachment
from govservice.models import Certificate, CertificateUse
from govservice.seed import init_db

ZHANG = "11010519491231002X"
LI = "440308199901101512"
NOW = utc_now().replace(microsecond=0)
BIRTH = (NOW.date() - datetime.timedelta(days=10)).isoformat()


def _child(name: str, number: str) -> Dict[str, Any]:
    return {"child_name": name, "child_gender": "女", "birth_date": BIRTH, "birth_certificate_number": number}


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('newborn')}/newborn.db"
    init_db(url)
    with session_scope(url) as s:  # the hospital issued 张小花's 出生医学证明 into her father's library
        issue_certificate(s, ZHANG, "出生医学证明", "Q350100123", attributes={"新生儿姓名": "张小花"})
    return url


@pytest.fixture(autouse=True)
def uploads_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "VAR_DIR", tmp_path)


def _bundle(url: str, key: str, data: Dict[str, Any], person: str = ZHANG, **kw: Any) -> list:
    fields = dict(idempotency_key=key, person_id=person, channel="rest", sender="zhang", shared_data=data)
    return submit_newborn_bundle(url, now=NOW, **fields, **kw)


def test_shared_fields_are_validated() -> None:
    ok = newborn_shared_fields({**_child("张小花", "q350100123"), "guardian": "张三"})
    assert ok["birth_certificate_number"] == "Q350100123" and set(ok) >= {"child_name", "guardian"}
    with pytest.raises(ApplicationError, match="新生儿姓名"):
        newborn_shared_fields({**_child("", "Q350100123"), "guardian": "张三"})
    with pytest.raises(ApplicationError, match="性别"):
        newborn_shared_fields({**_child("张小花", "Q350100123"), "child_gender": "未知", "guardian": "张三"})
    tomorrow = (office_date() + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(ApplicationError, match="不能晚于今天"):
        newborn_shared_fields({**_child("张小花", "Q350100123"), "birth_date": tomorrow, "guardian": "张三"})


def test_birth_certificate_check(db_url: str) -> None:
    with session_scope(db_url) as s:
        held = check_newborn(s, ZHANG, "q350100123")
        assert held.status == HELD and held.certificate_id is not None
        assert "✅ 已在您的电子证照库中" in render_newborn_plan(s, held)
        missing = check_newborn(s, LI, "Q350100123")  # another parent's library does not have it
        assert missing.status == UPLOAD and "📎" in render_newborn_plan(s, missing)


def test_bundle_creates_linked_applications_once(db_url: str) -> None:
    apps = _bundle(db_url, "newborn-1", _child("张小花", "Q350100123"))
    assert [a.item_key for a in apps] == list(NEWBORN_ITEMS) and len(apps) >= 3
    departments = {a.department_code for a in apps}
    assert len(departments) == len(apps) and {"GA", "YB", "RS"} <= departments
    assert len({a.bundle_id for a in apps}) == 1 and apps[0].bundle_id
    assert all(a.status == "已提交" and a.form_data["on_behalf_of"] == "张小花" for a in apps)
    assert all(a.form_data["guardian"] == "张三" for a in apps)
    for app in apps:
        birth = [m for m in app.materials if m.material_name == "出生医学证明"]
        assert len(birth) == 1 and birth[0].source == "certificate" and birth[0].certificate_use_id
    registration = apps[0]
    assert {m.material_name for m in registration.materials} >= {"父母双方居民身份证", "落户方居民户口簿", "父母结婚证"}
    again = _bundle(db_url, "newborn-1", _child("张小花", "Q350100123"))
    assert [a.number for a in again] == [a.number for a in apps]
    with session_scope(db_url) as s:
        assert len(bundle_applications(s, str(apps[0].bundle_id))) == len(NEWBORN_ITEMS)
        assert s.query(Application).filter(Application.idempotency_key.like("newborn-1#%")).count() == 3
    text = bundle_summary(apps)
    assert all(a.number in text for a in apps) and len(text.encode()) < 2048


def test_without_certificate_an_upload_is_needed(db_url: str) -> None:
    with pytest.raises(ApplicationError, match="请先上传出生医学证明"):
        _bundle(db_url, "newborn-2", _child("张小草", "Q350100999"))
    with session_scope(db_url) as s:
        upload = store_attachment(s, b"\xff\xd8\xff scan", "出生证.jpg", "image/jpeg", ZHANG).id
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

    monkeypatch.setattr(application_store, "record_status_change", fail_on_third)
    with pytest.raises(RuntimeError):
        _bundle(db_url, "newborn-3", _child("张小花", "Q350100123"))
    with session_scope(db_url) as s:
        after = (s.query(Application).count(), s.query(ApplicationMaterial).count(), s.query(CertificateUse).count())
        assert after == before
    monkeypatch.undo()
    assert len(_bundle(db_url, "newborn-3", _child("张小花", "Q350100123"))) == 3


def test_approving_on_behalf_of_the_newborn_issues_nothing_to_the_parent(db_url: str) -> None:
    registration = _bundle(db_url, "newborn-1", _child("张小花", "Q350100123"))[0]
    with session_scope(db_url) as s:
        booklets = s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居民户口簿").count()
        accept(s, registration.number, "户籍民警", "GA")
        start_review(s, registration.number, "户籍民警", "GA")
        assert approve(s, registration.number, "户籍民警", "GA").status == "已办结"
        assert s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居民户口簿").count() == booklets
