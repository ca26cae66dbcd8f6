"""Applications: numbering under concurrency, idempotent atomic submission, state machine, scope, queries."""

from __future__ import annotations

import datetime
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from sqlalchemy.orm import Session

from connectors.common import MAX_SENDER_CHARS
from govservice.applications import store as application_store
from govservice.applications.materials_check import store_attachment
from govservice.applications.models import IDEMPOTENCY_KEY_CHARS, Application, ApplicationMaterial, StatusChange
from govservice.applications.queries import (
    applications_for_department,
    applications_for_person,
    get_for_department,
    get_for_person,
    next_step_text,
    render_applications,
)
from govservice.applications.states import ApplicationError, ApplicationNotFound, ScopeError, TransitionError
from govservice.applications.workflow import (
    accept,
    approve,
    next_number,
    reject,
    request_correction,
    resubmit,
    start_review,
    submission_key,
    submit_application,
    withdraw,
)
from govservice.catalog.models import ServiceItem
from govservice.certificates.models import Certificate, CertificateUse
from govservice.clock import office_date, utc_now
from govservice.db import session_scope
from govservice.identity.ids import opaque_id
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from tests.databases import Databases, seeded_database

ZHANG = "11010519491231002X"
LI = "440308199901101512"
NOW = utc_now().replace(microsecond=0)
NUMBER = re.compile(rf"^{office_date(NOW):%Y%m%d}GA\d{{6}}$")  # the Shanghai day


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "apps") as url:
        yield url


@pytest.fixture(autouse=True)
def uploads_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    reload_settings()


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def _materials(url: str, person: str = ZHANG) -> List[Tuple[int, str, Any]]:
    """Residence-permit materials: ID card from the library, 居住证明 by commitment, the rest uploaded."""
    with session_scope(url) as s:
        item = s.get(ServiceItem, "residence_permit")
        card = s.query(Certificate).filter_by(holder_id=person, type_name="居民身份证").first()
        specs: List[Tuple[int, str, Any]] = []
        for m in item.materials:
            if m.certificate_type == "居民身份证":
                specs.append((m.id, "certificate", card.id))
            elif m.commitment_allowed:
                specs.append((m.id, "commitment", None))
            else:
                upload = store_attachment(s, b"%PDF-1", f"{m.position}.pdf", "application/pdf", person)
                specs.append((m.id, "upload", upload.id))
        return specs


def _submit(url: str, key: str, person: str = ZHANG, materials: Optional[list] = None, **kw: Any) -> Application:
    data: Dict[str, Any] = {"居住地址": "示范市新港路1号"}
    return submit_application(
        url,
        idempotency_key=key,
        item_key=kw.pop("item_key", "residence_permit"),
        person_id=person,
        channel="rest",
        sender=f"user-{person}",
        form_data=data,
        materials=_materials(url, person) if materials is None else materials,
        now=kw.pop("now", NOW),
        **kw,
    )


def _count(url: str, model: Any, **filters: Any) -> int:
    with session_scope(url) as s:
        return s.query(model).filter_by(**filters).count()


def test_the_longest_sender_a_channel_accepts_can_submit_exactly_once(db_url: str) -> None:
    # A 128-character sender (connectors/common.py MAX_SENDER_CHARS) made a key of 171 characters,
    # refused as incomplete before revision 0004_application_idempotency widened the column.
    key = submission_key("wechat", "o" * MAX_SENDER_CHARS, opaque_id())
    first = _submit(db_url, key)
    assert _submit(db_url, key).id == first.id and _count(db_url, Application, idempotency_key=key) == 1
    assert len(f"{key}#social_security_card") <= IDEMPOTENCY_KEY_CHARS  # a life event's keys fit too


def test_submit_is_idempotent_and_uses_certificates(db_url: str) -> None:
    first = _submit(db_url, "conv-1:confirm-1")
    assert NUMBER.match(first.number) and first.status == "已提交" and first.department_code == "GA"
    assert {m.source for m in first.materials} == {"certificate", "commitment", "upload"}
    again = _submit(db_url, "conv-1:confirm-1")
    assert again.number == first.number and again.id == first.id
    assert _count(db_url, Application, idempotency_key="conv-1:confirm-1") == 1
    uses = _count(db_url, CertificateUse, actor_type="application", actor=first.number)
    assert uses == 1
    with session_scope(db_url) as s:
        use = s.query(CertificateUse).filter_by(actor=first.number).one()
        assert use.purpose == f"办件{first.number}调用作为申请材料"
        row = s.query(ApplicationMaterial).filter_by(application_id=first.id, source="certificate").one()
        assert (row.certificate_use_id, row.authorized_by) == (use.id, ZHANG)
        assert [c.to_status for c in s.query(StatusChange).filter_by(application_id=first.id)] == ["已提交"]


def test_invalid_materials_are_refused(db_url: str) -> None:
    specs = _materials(db_url)
    card_spec = next(s for s in specs if s[1] == "certificate")
    with pytest.raises(ApplicationError, match="电子证照无效"):  # 张三's ID card used by 李四
        _submit(db_url, "bad-1", person=LI, materials=[card_spec])
    upload_spec = next(s for s in specs if s[1] == "upload")
    with pytest.raises(ApplicationError, match="上传文件"):
        _submit(db_url, "bad-2", person=LI, materials=[upload_spec])
    with pytest.raises(ApplicationError, match="不支持告知承诺"):
        _submit(db_url, "bad-3", materials=[(upload_spec[0], "commitment", None)])
    with pytest.raises(ApplicationError, match="未找到事项"):
        _submit(db_url, "bad-4", materials=[], item_key="no_such_item")
    with pytest.raises(ScopeError):  # 李四 is not the company's legal representative
        _submit(db_url, "bad-5", person=LI, materials=[], company_code="91350100M000100Y43")
    assert _count(db_url, Application, person_id=LI) == 0


def test_the_committed_pause_holds_the_reply_after_the_commit(db_url: str, tmp_path: Path) -> None:
    # uploads_dir points VAR_DIR at tmp_path: the fault test's flag file lives there.
    (tmp_path / application_store.COMMITTED_PAUSE_FILE).write_text("3", encoding="utf-8")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(_submit, db_url, "paused-after-commit")
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline and not _count(db_url, Application, idempotency_key="paused-after-commit"):
            time.sleep(0.1)
        assert not pending.done()  # the reply is still held...
        assert _count(db_url, Application, idempotency_key="paused-after-commit") == 1  # ...but it is committed
        (tmp_path / application_store.COMMITTED_PAUSE_FILE).unlink()
        assert pending.result(timeout=30).number == _submit(db_url, "paused-after-commit").number


def test_crash_mid_submit_leaves_nothing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = _materials(db_url)
    counts = (_count(db_url, ApplicationMaterial), _count(db_url, CertificateUse, actor_type="application"))

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(application_store, "record_status_change", boom)
    with pytest.raises(RuntimeError):
        _submit(db_url, "crash-1", materials=specs)
    assert _count(db_url, Application, idempotency_key="crash-1") == 0
    assert (_count(db_url, ApplicationMaterial), _count(db_url, CertificateUse, actor_type="application")) == counts
    monkeypatch.undo()
    done = _submit(db_url, "crash-1", materials=specs)
    assert done.status == "已提交" and len(done.materials) == len(specs)
    assert _count(db_url, ApplicationMaterial, application_id=done.id) == len(specs)


def _concurrent_numbers(url: str, keys: List[str], materials: list) -> List[str]:
    barrier = threading.Barrier(len(keys))

    def one(key: str) -> str:
        barrier.wait()
        return _submit(url, key, materials=materials).number

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return list(pool.map(one, keys))


def _check_concurrency(url: str) -> None:
    materials = _materials(url)  # a library certificate (用证记录 per application), a commitment, uploads
    numbers = _concurrent_numbers(url, [f"thread-{i}" for i in range(50)], materials)
    assert len(set(numbers)) == 50 and all(NUMBER.match(n) for n in numbers)
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 51))
    same = _concurrent_numbers(url, ["same-key"] * 10, materials)
    assert len(set(same)) == 1 and _count(url, Application, idempotency_key="same-key") == 1
    assert _count(url, Application) == 51
    assert _count(url, CertificateUse, actor_type="application") == 51
    assert _count(url, ApplicationMaterial) == 51 * len(materials)


def test_fifty_concurrent_submissions_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/concurrent.db"
    init_db(url)
    _check_concurrency(url)


def test_fifty_concurrent_submissions_on_postgresql(postgres_url: str) -> None:
    init_db(postgres_url)
    _check_concurrency(postgres_url)


def test_next_number_is_per_day_and_department(session: Session) -> None:
    day = datetime.date(2030, 1, 2)
    assert next_number(session, "GA", day) == "20300102GA000001"
    assert next_number(session, "GA", day) == "20300102GA000002"
    assert next_number(session, "YB", day) == "20300102YB000001"
    assert next_number(session, "GA", day + datetime.timedelta(days=1)) == "20300103GA000001"
    session.rollback()  # a rolled-back transaction gives its numbers back
    assert next_number(session, "GA", day) == "20300102GA000001"
    session.rollback()


def test_full_state_machine_issues_the_residence_permit(db_url: str, session: Session) -> None:
    app = _submit(db_url, "flow-1")
    number = app.number
    with pytest.raises(TransitionError):
        approve(session, number, "王警官", "GA")
    with pytest.raises(ScopeError):
        accept(session, number, "医保局小李", "YB")
    assert get_for_department(session, number, "YB") is None and get_for_department(session, number, "GA")
    event = accept(session, number, "王警官", "GA")
    assert (event.status, event.channel, event.sender) == ("已受理", "rest", f"user-{ZHANG}")
    assert number in event.text and "已受理" in event.text
    with pytest.raises(TransitionError):
        withdraw(session, number, ZHANG)
    with pytest.raises(TransitionError):
        resubmit(session, number, ZHANG, [])
    assert start_review(session, number, "王警官", "GA").next_step == "审核中，预计10个工作日内办结"
    with pytest.raises(ApplicationError):
        request_correction(session, number, "王警官", "GA", " ")
    event = request_correction(session, number, "王警官", "GA", "就业证明不清晰")
    assert event.next_step == "需补正：就业证明不清晰，请上传材料后重新提交"
    with pytest.raises(TransitionError):
        start_review(session, number, "王警官", "GA")  # only the applicant's resubmission resumes the review
    material = next(m for m in app.materials if m.source == "upload")
    attachment = store_attachment(session, b"\x89PNG new", "就业证明.png", "image/png", ZHANG)
    with pytest.raises(ScopeError):
        resubmit(session, number, LI, [(material.material_id, attachment.id)])
    with pytest.raises(ApplicationError):
        resubmit(session, number, ZHANG, [])
    assert resubmit(session, number, ZHANG, [(material.material_id, attachment.id)]).status == "审核中"
    assert session.query(Certificate).filter_by(holder_id=ZHANG, type_name="居住证").count() == 0
    event = approve(session, number, "王警官", "GA")
    assert event.status == "已办结" and event.next_step == "已办结，欢迎评价"
    permit = session.query(Certificate).filter_by(holder_id=ZHANG, type_name="居住证").one()
    assert permit.status == "有效" and (permit.valid_until - permit.valid_from).days in (365, 366)
    assert permit.attributes["办件编号"] == number and permit.attributes["居住地址"] == "示范市新港路1号"
    with pytest.raises(TransitionError):
        reject(session, number, "王警官", "GA", "已办结不能再驳回")
    stored = session.query(Application).filter_by(number=number).one()
    steps = [(c.from_status, c.to_status, c.actor) for c in stored.changes]
    assert steps == [
        (None, "已提交", ZHANG),
        ("已提交", "已受理", "王警官"),
        ("已受理", "审核中", "王警官"),
        ("审核中", "需补正", "王警官"),
        ("需补正", "审核中", ZHANG),
        ("审核中", "已办结", "王警官"),
    ]
    assert stored.changes[3].reason == "就业证明不清晰" and stored.submission_round == 2
    assert [m.submission_round for m in stored.materials][-1] == 2


def test_concurrent_officers_cannot_both_accept(db_url: str) -> None:
    number = _submit(db_url, "race-accept", materials=[]).number
    barrier = threading.Barrier(5)

    def one(officer: str) -> str:
        barrier.wait()
        try:
            with session_scope(db_url) as s:
                return accept(s, number, officer, "GA").status
        except TransitionError:
            return "refused"

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = sorted(pool.map(one, [f"窗口{i}" for i in range(5)]))
    assert outcomes == ["refused"] * 4 + ["已受理"]
    with session_scope(db_url) as s:
        app = s.query(Application).filter_by(number=number).one()
        assert [c.to_status for c in app.changes] == ["已提交", "已受理"]


def test_withdraw_and_reject(db_url: str, session: Session) -> None:
    first, second = _submit(db_url, "wd-1", materials=[]), _submit(db_url, "rj-1", materials=[])
    with pytest.raises(ScopeError):
        withdraw(session, first.number, LI)
    assert withdraw(session, first.number, ZHANG).status == "已撤回"
    with pytest.raises(TransitionError):
        accept(session, first.number, "王警官", "GA")
    with pytest.raises(ApplicationError):
        reject(session, second.number, "王警官", "GA", "")
    event = reject(session, second.number, "王警官", "GA", "不符合居住满半年条件")
    assert event.status == "不予受理" and "不符合居住满半年条件" in event.next_step
    with pytest.raises(ApplicationNotFound):
        accept(session, "20000101GA000001", "王警官", "GA")


def test_queries_and_texts(db_url: str, session: Session) -> None:
    older = _submit(db_url, "q-1", materials=[], now=NOW - datetime.timedelta(hours=1))
    newer = _submit(db_url, "q-2", materials=[])
    mine = applications_for_person(session, ZHANG)
    assert [a.number for a in mine].index(newer.number) < [a.number for a in mine].index(older.number)
    assert applications_for_person(session, LI) == []
    queue = applications_for_department(session, "GA", status="已提交", item_key="residence_permit")
    assert {older.number, newer.number} <= {a.number for a in queue} and all(a.status == "已提交" for a in queue)
    assert applications_for_department(session, "YB") == []
    assert get_for_person(session, newer.number, LI) is None
    assert next_step_text(newer) == "等待窗口受理"
    text = render_applications(mine)
    assert text.startswith(f"您共有{len(mine)}件办件") and newer.number in text and len(text.encode()) < 2048
    assert render_applications([]) == "您暂无办件记录。"


def test_reseeding_the_catalog_keeps_applications(db_url: str) -> None:
    from dataclasses import replace

    from govservice.catalog.knowledge import load_knowledge_base

    app = _submit(db_url, "reseed-1")
    assert init_db(db_url, replace(load_knowledge_base(), fingerprint="changed")) is True
    with session_scope(db_url) as s:
        stored = s.query(Application).filter_by(number=app.number).one()
        assert stored.item is not None and len(stored.materials) == len(app.materials)
        assert next_step_text(stored) == "等待窗口受理"
