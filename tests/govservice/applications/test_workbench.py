"""The workbench's back office: deadlines in working days, overdue, the audited review step, scoping."""

from __future__ import annotations

import datetime
import uuid
from typing import Iterator

import pytest

from govservice.applications.models import Application
from govservice.applications.states import ApplicationError, ScopeError, TransitionError
from govservice.applications.workbench import (
    allowed_steps,
    department_queue,
    material_file,
    officer_step,
    queue_rows,
    reveal_contact,
)
from govservice.applications.workflow import submit_application
from govservice.audit import list_audit
from govservice.catalog.models import ServiceItem
from govservice.certificates.models import Certificate
from govservice.db import session_scope
from tests.databases import Databases, seeded_database

ZHANG = "11010519491231002X"
MONDAY = datetime.datetime(2026, 3, 2, 2, 0)  # 10:00 in Shanghai


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "workbench", datetime.date(2026, 3, 1), faq=False) as url:
        yield url


def _submit(url: str, now: datetime.datetime) -> str:
    with session_scope(url) as s:
        item = s.get(ServiceItem, "residence_permit")
        card = s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居民身份证").first()
        materials = [(m.id, "certificate", card.id) for m in item.materials if m.certificate_type == "居民身份证"]
    app = submit_application(url, idempotency_key=uuid.uuid4().hex, item_key="residence_permit", person_id=ZHANG,
                             channel="rest", sender="wb", form_data={}, materials=materials, now=now)
    return str(app.number)


def _row(url: str, number: str, today: datetime.date) -> tuple:
    with session_scope(url) as s:
        row = queue_rows(s, [s.query(Application).filter_by(number=number).one()], today)[0]
        return row.deadline, row.overdue


def test_deadline_counts_the_promised_working_days_from_submission_then_from_acceptance(db_url: str) -> None:
    number = _submit(db_url, MONDAY)
    # 居住证申领 promises 10 working days: Tue 3 … Mon 16 March.
    assert _row(db_url, number, datetime.date(2026, 3, 16)) == (datetime.date(2026, 3, 16), False)
    assert _row(db_url, number, datetime.date(2026, 3, 17)) == (datetime.date(2026, 3, 16), True)
    with session_scope(db_url) as s:
        officer_step(s, "accept", number, "王警官", "GA")
        change = s.query(Application).filter_by(number=number).one().changes[-1]
        change.at = datetime.datetime(2026, 4, 1, 2, 0)  # accepted on Wednesday 1 April
    # Thu 2, Fri 3; the 清明 holiday (Sat 4 … Mon 6) is skipped; Tue 7 … Thu 16 April.
    assert _row(db_url, number, datetime.date(2026, 4, 16)) == (datetime.date(2026, 4, 16), False)


def test_finished_applications_are_never_overdue(db_url: str) -> None:
    number = _submit(db_url, MONDAY)
    with session_scope(db_url) as s:
        officer_step(s, "reject", number, "王警官", "GA", "材料不实")
    assert _row(db_url, number, datetime.date(2027, 1, 1))[1] is False


def test_officer_step_writes_one_audit_entry_and_refuses_in_chinese(db_url: str) -> None:
    number = _submit(db_url, MONDAY)
    with session_scope(db_url) as s:
        assert allowed_steps(s.query(Application).filter_by(number=number).one()) == ["accept", "reject"]
        with pytest.raises(TransitionError, match="当前状态为「已提交」"):
            officer_step(s, "approve", number, "王警官", "GA")
        with pytest.raises(ApplicationError, match="未知的办理操作"):
            officer_step(s, "delete", number, "王警官", "GA")
        with pytest.raises(ScopeError):
            officer_step(s, "accept", number, "李医保", "YB")
        event = officer_step(s, "accept", number, "王警官", "GA")
        entries = list_audit(s, target_type="application", target_id=number)
        assert event.status == "已受理" and [(e.actor, e.action) for e in entries] == [("王警官", "application_accept")]
        assert entries[0].detail == f"办件{number}：受理，状态变为「已受理」"


def test_queue_scoping_and_other_departments_records(db_url: str) -> None:
    number = _submit(db_url, MONDAY)
    with session_scope(db_url) as s:
        ga = department_queue(s, "GA", status="已提交", per_page=1000)
        assert number in [r.app.number for r in ga.rows] and ga.total == len(ga.rows)
        assert ("residence_permit", "居住证申领") in ga.items
        assert department_queue(s, "YB").total == 0
        with pytest.raises(ScopeError):
            material_file(s, number, "0" * 32, "GA")  # not a material of it
        with pytest.raises(ScopeError):
            reveal_contact(s, 2**31 - 1, "GA", "王警官")
