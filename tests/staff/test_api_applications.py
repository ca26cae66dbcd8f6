"""Department API: authentication, department scope, the review flow, errors, follow-ups, PostgreSQL."""

from __future__ import annotations

import datetime
from typing import Any, List

import pytest
from sanic import Sanic

from govservice.applications.models import Application
from govservice.applications.ratings import rate
from govservice.applications.workflow import accept, approve, start_review
from govservice.audit import list_audit
from govservice.certificates.models import Certificate
from govservice.clock import office_date
from govservice.db import session_scope
from govservice.notifications.outbox import DELIVERED, Notification, OutgoingNotification, register_sender
from tests.staff.conftest import ZHANG, bearer, make_app, residence_permit, seed, wait_for

GA, YB = bearer("ga_officer"), bearer("yb_officer")
BASE = "/api/v1/applications"


def _post(app: Sanic, path: str, headers: Any = GA, **kw: Any) -> Any:
    return app.test_client.post(path, headers=headers, **kw)[1]


def _get(app: Sanic, path: str, headers: Any = GA, **kw: Any) -> Any:
    return app.test_client.get(path, headers=headers, **kw)[1]


def _status(url: str, number: str) -> str:
    with session_scope(url) as s:
        return str(s.query(Application).filter_by(number=number).one().status)


def test_requests_without_a_valid_token_get_401(app: Sanic) -> None:
    for headers in ({}, {"Authorization": "Basic Z2E6eA=="}, {"Authorization": "Bearer nope"}, {"Authorization": ""}):
        response = _get(app, BASE, headers=headers)
        assert response.status == 401 and "访问令牌" in response.json["error"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert _post(app, f"{BASE}/X/accept", headers={}).status == 401


def test_roles_other_than_dept_officer_get_403(app: Sanic) -> None:
    for username in ("faq_editor", "admin"):
        response = _get(app, BASE, headers=bearer(username))
        assert response.status == 403 and response.json["error"] == "当前账号的角色无权使用该功能"
        assert _get(app, "/api/v1/followups", headers=bearer(username)).status == 403
        assert _get(app, "/api/v1/me", headers=bearer(username)).json["role"] == username
    me = _get(app, "/api/v1/me").json
    assert me == {
        "username": "ga_officer",
        "display_name": "示范市公安局（户政）办件员（演示）",
        "role": "dept_officer",
        "role_label": "部门办件人员",
        "department_code": "GA",
    }


def test_another_departments_application_is_not_found(app: Sanic, db_url: str) -> None:
    number = residence_permit(db_url)
    for response in (
        _get(app, f"{BASE}/{number}", headers=YB),
        _post(app, f"{BASE}/{number}/accept", headers=YB),
        _post(app, f"{BASE}/{number}/reject", headers=YB, json={"reason": "越权"}),
    ):
        assert response.status == 404 and response.json == {"error": f"未找到办件{number}"}
    assert number not in [a["number"] for a in _get(app, BASE, headers=YB).json["items"]]
    assert _get(app, f"{BASE}/20000101GA999999").json == {"error": "未找到办件20000101GA999999"}
    assert _status(db_url, number) == "已提交"


def test_accept_review_approve_issues_the_residence_permit(app: Sanic, db_url: str, sent: List[Any]) -> None:
    with session_scope(db_url) as s:
        s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居住证").delete()
    number = residence_permit(db_url)
    queue = _get(app, BASE, params={"status": "已提交", "per_page": 100}).json
    row = next(item for item in queue["items"] if item["number"] == number)
    assert row["applicant_name"] == "张三" and row["applicant_id_masked"] == "110105********002X"
    accepted = _post(app, f"{BASE}/{number}/accept")
    assert accepted.status == 200 and accepted.json["event"]["status"] == "已受理"
    assert number in accepted.json["event"]["notification_text"]
    assert _post(app, f"{BASE}/{number}/review", data="").json["application"]["status"] == "审核中"
    approved = _post(app, f"{BASE}/{number}/approve", json={"reason": "材料齐全，准予办理"})
    assert approved.status == 200
    detail = approved.json["application"]
    assert (detail["status"], detail["status_reason"], detail["next_step"]) == (
        "已办结",
        "材料齐全，准予办理",
        "已办结，欢迎评价",
    )
    assert [step["to_status"] for step in detail["history"]] == ["已提交", "已受理", "审核中", "已办结"]
    assert detail["history"][1]["actor"] == "示范市公安局（户政）办件员（演示）（ga_officer）"
    assert detail["history"][0]["actor"] == "110105********002X"
    assert detail["applicant"]["id_number"] == ZHANG
    card = next(m for m in detail["materials"] if m["source"] == "certificate")
    assert card["certificate"]["type_name"] == "居民身份证" and card["certificate"]["use_id"]
    with session_scope(db_url) as s:
        permit = s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居住证").one()
        assert permit.status == "有效" and permit.attributes["办件编号"] == number
        audited = list_audit(s, target_type="application", target_id=number)  # officer_step, as the console's buttons
        assert [row.action for row in reversed(audited)] == ["application_accept", "application_review",
                                                             "application_approve"]
    expected = [(number, status) for status in ("已受理", "审核中", "已办结")]
    assert wait_for(
        lambda: (
            [(m.application_number, m.application_status) for m in sent if m.application_number == number] == expected
        )
    )
    assert wait_for(lambda: _get(app, f"{BASE}/{number}").json["notifications"][-1]["delivery_status"] == DELIVERED)


def test_correction_needs_a_reason(app: Sanic, db_url: str) -> None:
    number = residence_permit(db_url)
    _post(app, f"{BASE}/{number}/accept")
    _post(app, f"{BASE}/{number}/review")
    for body, message in (
        ({}, "请填写补正原因（reason）"),
        ({"reason": "   "}, "请填写补正原因（reason）"),
        ({"reason": 42}, "补正原因（reason）必须是字符串"),
        ({"reason": "长" * 1001}, "补正原因不能超过1000字"),
    ):
        response = _post(app, f"{BASE}/{number}/correction", json=body)
        assert response.status == 400 and response.json["error"] == message
    response = _post(app, f"{BASE}/{number}/correction", json={"reason": "就业证明不清晰"})
    assert response.status == 200 and response.json["application"]["status"] == "需补正"
    assert response.json["event"]["next_step"] == "需补正：就业证明不清晰，请上传材料后重新提交"


def test_reject_and_invalid_transitions_get_409(app: Sanic, db_url: str) -> None:
    number = residence_permit(db_url)
    response = _post(app, f"{BASE}/{number}/approve")
    assert (
        response.status == 409 and response.json["error"] == f"办件{number}当前状态为「已提交」，不能变更为「已办结」"
    )
    assert _post(app, f"{BASE}/{number}/review").status == 409
    assert _post(app, f"{BASE}/{number}/reject", json={}).status == 400
    rejected = _post(app, f"{BASE}/{number}/reject", json={"reason": "不符合居住满半年条件"})
    assert rejected.status == 200 and rejected.json["application"]["status"] == "不予受理"
    again = _post(app, f"{BASE}/{number}/accept")
    assert again.status == 409 and "不予受理" in again.json["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "请求体不是合法的 JSON"),
        ("[]", "请求体必须是 JSON 对象"),
        ("null", "请求体必须是 JSON 对象"),
        ("", "请求体不能为空"),
    ],
)
def test_bad_json_gets_400(app: Sanic, db_url: str, body: str, message: str) -> None:
    number = residence_permit(db_url)
    response = _post(app, f"{BASE}/{number}/reject", content=body, headers={**GA, "Content-Type": "application/json"})
    assert response.status == 400 and response.json["error"].startswith(message)
    assert _status(db_url, number) == "已提交"


def test_unknown_routes_and_ids_are_json_404(app: Sanic) -> None:
    assert _get(app, "/api/v1/nope").json == {"error": "接口不存在，请核对地址"}
    for path in ("/api/v1/followups/99999999999999999999/close", "/api/v1/followups/0/close"):
        response = _post(app, path, json={"note": "已回访"})
        assert response.status == 404 and "不属于本部门" in response.json["error"]
    assert _get(app, "/health", headers={}).json == {"status": "ok"}


@pytest.mark.filterwarnings("ignore:You have set a listener")  # ASGI mode runs startup listeners early: fine here
async def test_wrong_method_is_json_405(db_url: str) -> None:
    # sanic-testing's server client installs its own 405 handler: a fresh app on the ASGI client keeps ours.
    _, response = await make_app(db_url).asgi_client.delete(BASE, headers=GA)
    assert response.status == 405 and response.json == {"error": "该接口不支持此请求方法"}


def test_list_filters_and_paging(app: Sanic, db_url: str) -> None:
    old_day = datetime.datetime(2024, 3, 5, 10, 0)
    numbers = [residence_permit(db_url, now=old_day + datetime.timedelta(minutes=i)) for i in range(3)]
    params = {"date_from": "2024-03-05", "date_to": "2024-03-05", "item": "residence_permit", "per_page": 2}
    first = _get(app, BASE, params=params).json
    second = _get(app, BASE, params={**params, "page": 2}).json
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    assert [a["number"] for a in first["items"] + second["items"]] == numbers
    assert _get(app, BASE, params={**params, "item": "passport"}).json["total"] == 0
    assert _get(app, BASE, params={**params, "status": "已办结"}).json["total"] == 0
    for bad, message in (
        ({"status": "done"}, "未知的办件状态"),
        ({"date_from": "2024-13-01"}, "日期格式"),
        ({"date_from": "2024-03-06", "date_to": "2024-03-05"}, "开始日期不能晚于结束日期"),
        ({"page": "0"}, "参数 page 须在"),
        ({"per_page": "abc"}, "参数 per_page 必须是整数"),
        ({"per_page": "101"}, "参数 per_page 须在"),
        ({"item": "x" * 61}, "参数 item 过长"),
    ):
        response = _get(app, BASE, params=bad)
        assert response.status == 400 and message in response.json["error"], bad


def _rated_badly(url: str) -> str:
    """A finished 居住证 application that 张三 rated 不满意."""
    number = residence_permit(url)
    with session_scope(url) as s:
        accept(s, number, "王警官", "GA")
        start_review(s, number, "王警官", "GA")
        approve(s, number, "王警官", "GA")
        rate(s, number, ZHANG, "不满意", "窗口排队太久")
    return number


def test_bad_rating_is_a_followup_to_close(app: Sanic, db_url: str) -> None:
    number = _rated_badly(db_url)
    items = _get(app, "/api/v1/followups").json["items"]
    item = next(i for i in items if i["application_number"] == number)
    assert (item["rating_level"], item["rating_comment"], item["status"], item["overdue"]) == (
        "不满意",
        "窗口排队太久",
        "open",
        False,
    )
    assert item["status_label"] == "待处理" and item["deadline"] > office_date().isoformat()
    assert all(i["application_number"] != number for i in _get(app, "/api/v1/followups", headers=YB).json["items"])
    close = f"/api/v1/followups/{item['id']}/close"
    assert _post(app, close, headers=YB, json={"note": "越权"}).status == 404
    assert _post(app, close, json={"note": " "}).json["error"] == "请填写整改或回访情况（note）"
    closed = _post(app, close, json={"note": "已电话回访，增开窗口"})
    assert closed.status == 200 and closed.json["status"] == "closed" and "已电话回访" in closed.json["note"]
    assert _post(app, close, json={"note": "再次"}).status == 409
    assert any(i["id"] == item["id"] for i in _get(app, "/api/v1/followups", params={"status": "closed"}).json["items"])
    assert _get(app, "/api/v1/followups", params={"status": "x"}).status == 400


def test_delivery_failure_does_not_fail_the_call(app: Sanic, db_url: str, sent: List[Any]) -> None:
    def down(message: OutgoingNotification) -> None:
        raise ConnectionError("Rasa 不可用")

    register_sender("rest", down)
    try:
        number = residence_permit(db_url)
        assert _post(app, f"{BASE}/{number}/accept").status == 200
        with session_scope(db_url) as s:
            row = s.query(Notification).filter_by(application_number=number).one()
            assert row.application_status == "已受理"  # committed with the change, before any delivery

        def attempted() -> bool:
            with session_scope(db_url) as s:
                found = s.query(Notification).filter_by(application_number=number).one()
                return bool(found.attempts == 1 and found.last_error and "Rasa 不可用" in found.last_error)

        assert wait_for(attempted)
    finally:
        register_sender("rest", sent.append)


def test_flow_on_postgresql(postgres_url: str, sent: List[Any]) -> None:
    seed(postgres_url)
    app = make_app(postgres_url)
    number = residence_permit(postgres_url)
    assert _get(app, f"{BASE}/{number}", headers=YB).status == 404
    for action in ("accept", "review", "approve"):
        assert _post(app, f"{BASE}/{number}/{action}").status == 200
    assert _post(app, f"{BASE}/{number}/reject", json={"reason": "晚了"}).status == 409
    with session_scope(postgres_url) as s:
        assert s.query(Certificate).filter_by(holder_id=ZHANG, type_name="居住证").count() == 1
        assert s.query(Notification).filter_by(application_number=number).count() == 3
    assert wait_for(lambda: len([m for m in sent if m.application_number == number]) == 3)
    assert _get(app, BASE, params={"status": "已办结"}).json["total"] == 1
    app.ctx.delivery.shutdown(wait=True)
