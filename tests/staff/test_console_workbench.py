"""The window clerk's workbench in the console: scope, filters, deadlines, materials, files and buttons."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any, List

import pytest
from sanic import Sanic

from govservice.applications.models import Application
from govservice.applications.workflow import accept, start_review
from govservice.audit import AuditLog
from govservice.certificates.models import Certificate, CertificateUse
from govservice.db import session_scope
from govservice.identity.models import Person
from tests.staff.conftest import ZHANG, wait_for
from tests.staff.console_helpers import Console
from tests.staff.workbench_helpers import permit_with_upload, png

GA_ACTOR = "示范市公安局（户政）办件员（演示）（ga_officer）"


@pytest.fixture()
def ga(app: Sanic) -> Console:
    console = Console(app)
    assert console.login("ga_officer").status == 303
    return console


@pytest.fixture()
def yb(app: Sanic) -> Console:
    console = Console(app)
    assert console.login("yb_officer").status == 303
    return console


def _status(url: str, number: str) -> str:
    with session_scope(url) as s:
        return str(s.query(Application).filter_by(number=number).one().status)


def _audits(url: str, number: str) -> List[str]:
    with session_scope(url) as s:
        rows = s.query(AuditLog).filter_by(target_type="application", target_id=number).order_by(AuditLog.id)
        return [f"{r.actor}|{r.action}" for r in rows]


def test_queue_is_the_departments_own_filtered_and_paged(ga: Console, yb: Console, db_url: str) -> None:
    numbers = [permit_with_upload(db_url)[0] for _ in range(21)]
    with session_scope(db_url) as s:
        submitted = s.query(Application).filter_by(department_code="GA", status="已提交",
                                                   item_key="residence_permit").count()
    first = ga.get("/console/applications?status=已提交&item=residence_permit")
    assert first.status == 200 and f"共{submitted}件" in first.text
    shown = re.findall(r'href="/console/applications/([^"/]+)"', first.text)
    assert len(shown) == 20 and "下一页" in first.text and "page=2" in first.text
    last_page = -(-submitted // 20)
    last = ga.get(f"/console/applications?status=已提交&item=residence_permit&page={last_page}")
    assert numbers[-1] in last.text and "上一页" in last.text
    assert numbers[0] not in ga.get("/console/applications?status=已办结").text
    assert numbers[0] not in ga.get("/console/applications?item=id_card_first").text
    other = yb.get("/console/applications")
    assert other.status == 200 and not any(n in other.text for n in numbers)
    assert ga.get("/console/applications?status=bogus&page=abc").status == 200  # odd input: everything, page 1


def test_overdue_applications_are_marked(ga: Console, db_url: str) -> None:
    number, _, _ = permit_with_upload(db_url, now=datetime.datetime(2025, 3, 3, 2, 0))
    page = ga.get("/console/applications?status=已提交&item=residence_permit").text
    row = page[page.index(number):].split("</tr>")[0]
    assert "2025-03-17" in row and "已超期" in row  # 10 working days after Monday 3 March 2025
    fresh, _, _ = permit_with_upload(db_url)
    detail = ga.get(f"/console/applications/{fresh}").text
    assert "已超期" not in detail and "办结时限" in detail


def test_application_page_shows_form_materials_and_history_masked(ga: Console, yb: Console, db_url: str) -> None:
    form = {"居住地址": "示范市新港路1号", "联系电话": "13800138000"}
    number, attachment_id, card_id = permit_with_upload(db_url, form=form)
    page = ga.get(f"/console/applications/{number}")
    assert page.status == 200
    text = page.text
    assert ZHANG not in text and "110105********002X" in text
    assert "13800138000" not in text and "138****8000" in text and "示范市新港路1号" in text
    assert f'href="/console/applications/{number}/certificates/{card_id}"' in text and "电子证照" in text
    assert "告知承诺" in text
    assert f'<img class="material" src="/console/applications/{number}/files/{attachment_id}"' in text
    assert "已提交" in text and "受理" in text  # the history and the first button
    assert yb.get(f"/console/applications/{number}").status == 404
    assert ga.get("/console/applications/NOPE123").status == 404


def test_uploaded_file_is_served_inline_safely_and_only_to_the_department(
    ga: Console, yb: Console, db_url: str
) -> None:
    number, attachment_id, _ = permit_with_upload(db_url)
    other_number, other_attachment, _ = permit_with_upload(db_url)
    path = f"/console/applications/{number}/files/{attachment_id}"
    served = ga.get(path)
    assert served.status == 200 and served.headers["content-type"] == "image/png"
    assert served.body.startswith(b"\x89PNG") and served.body[:16] == png()[:16]
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in served.headers["content-security-policy"]
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["content-disposition"].startswith("inline")
    assert yb.get(path).status == 404  # another department: as if it did not exist
    assert ga.get(f"/console/applications/{number}/files/{other_attachment}").status == 404  # not this one's
    assert ga.get(f"/console/applications/{other_number}/files/{other_attachment}").status == 200


@pytest.mark.parametrize(
    ("data", "stored", "served", "disposition"),
    [
        (b"%PDF-1.4\n%%EOF\n", "application/pdf", "application/pdf", "inline"),
        (b"PK\x03\x04ofd", "application/ofd", "application/octet-stream", "attachment"),
    ],
)
def test_pdf_is_inline_without_sandbox_and_other_types_download(
    ga: Console, db_url: str, data: bytes, stored: str, served: str, disposition: str
) -> None:
    number, attachment_id, _ = permit_with_upload(db_url, upload=(data + uuid.uuid4().bytes, stored))
    response = ga.get(f"/console/applications/{number}/files/{attachment_id}")
    assert response.status == 200 and response.body.startswith(data)
    assert response.headers["content-type"] == served and response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith(disposition)
    assert "default-src 'none'" in response.headers["content-security-policy"]
    sandboxed = "sandbox" in response.headers["content-security-policy"]
    assert sandboxed == (stored != "application/pdf")  # Chromium's PDF viewer refuses to run sandboxed
    page = ga.get(f"/console/applications/{number}").text
    assert ('<iframe class="material"' in page) == (stored == "application/pdf")


def test_certificate_record_is_readable_as_a_material_and_the_read_is_recorded(
    ga: Console, yb: Console, db_url: str
) -> None:
    number, _, card_id = permit_with_upload(db_url)
    page = ga.get(f"/console/applications/{number}/certificates/{card_id}")
    assert page.status == 200 and "居民身份证" in page.text and ZHANG not in page.text
    with session_scope(db_url) as s:
        uses = s.query(CertificateUse).filter_by(certificate_id=card_id, actor_type="officer").all()
        assert any(u.actor == GA_ACTOR and u.purpose == f"审核办件{number}" for u in uses)
        other = s.query(Certificate).filter(Certificate.holder_id == ZHANG, Certificate.id != card_id).first()
        other_id = int(other.id)
    assert ga.get(f"/console/applications/{number}/certificates/{other_id}").status == 404
    assert yb.get(f"/console/applications/{number}/certificates/{card_id}").status == 404


def test_buttons_change_the_status_with_an_audit_entry_and_a_notification(
    ga: Console, db_url: str, sent: List[Any]
) -> None:
    number, _, _ = permit_with_upload(db_url)
    refused = ga.post(f"/console/applications/{number}/accept", csrf=False)
    assert refused.status == 403 and "CSRF" in refused.text and _status(db_url, number) == "已提交"
    done = ga.post(f"/console/applications/{number}/accept")
    assert done.status == 303 and done.headers["location"] == f"/console/applications/{number}?done=accepted"
    assert _status(db_url, number) == "已受理" and "已受理，已通知申请人" in ga.get(done.headers["location"]).text
    assert ga.post(f"/console/applications/{number}/review").status == 303
    empty = ga.post(f"/console/applications/{number}/correction", {"reason": "  "})
    assert empty.status == 400 and "请注明需补正的材料及原因" in empty.text and _status(db_url, number) == "审核中"
    assert ga.post(f"/console/applications/{number}/correction", {"reason": "照片不清晰"}).status == 303
    wrong = ga.post(f"/console/applications/{number}/approve")
    assert wrong.status == 409 and "当前状态为「需补正」" in wrong.text and "Traceback" not in wrong.text
    no_reason = ga.post(f"/console/applications/{number}/reject", {"reason": ""})
    assert no_reason.status == 400 and "请注明不予受理的理由" in no_reason.text
    assert ga.post(f"/console/applications/{number}/reject", {"reason": "材料不实"}).status == 303
    assert _status(db_url, number) == "不予受理"
    actions = ["accept", "review", "correction", "reject"]
    assert _audits(db_url, number) == [f"{GA_ACTOR}|application_{a}" for a in actions]
    delivered = ["已受理", "审核中", "需补正", "不予受理"]  # each button's notification, after its commit
    assert wait_for(lambda: [m.application_status for m in sent if m.application_number == number] == delivered)
    assert ga.post(f"/console/applications/{number}/bogus").status == 404


def test_approve_button_finishes_and_another_department_cannot_act(
    ga: Console, yb: Console, db_url: str
) -> None:
    number, _, _ = permit_with_upload(db_url)
    with session_scope(db_url) as s:
        accept(s, number, "王警官", "GA")
        start_review(s, number, "王警官", "GA")
    denied = yb.post(f"/console/applications/{number}/approve")
    assert denied.status == 404 and number not in denied.text and _status(db_url, number) == "审核中"
    assert ga.post(f"/console/applications/{number}/approve", {"reason": "准予发证"}).status == 303
    assert _status(db_url, number) == "已办结"
    assert _audits(db_url, number) == [f"{GA_ACTOR}|application_approve"]
    with session_scope(db_url) as s:
        issued = s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居住证", status="有效").count()
        assert issued >= 1 and s.get(Person, ZHANG) is not None
    assert "该办件已结束" in ga.get(f"/console/applications/{number}").text
