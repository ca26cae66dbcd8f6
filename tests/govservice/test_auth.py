"""Login: codes, limits, lockout, no enumeration, bindings."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Iterator, List, Tuple

import pytest
from sqlalchemy.orm import Session

from govservice import auth
from govservice.db import session_scope
from govservice.models import Company, OtpCode, Person
from govservice.seed import init_db
from govservice.sms import FileOutboxGateway

T0 = datetime(2026, 11, 28, 9, 0, 0)
ZHANG = "11010519491231002X"
COMPANY = "91350100M000100Y43"


class RecordingGateway:
    def __init__(self) -> None:
        self.sent: List[Tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))

    def last_code(self) -> str:
        return re.search(r"验证码为(\d{6})", self.sent[-1][1]).group(1)


@pytest.fixture()
def session(tmp_path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path}/auth.db"
    init_db(url)
    with session_scope(url) as s:
        if s.get(Person, ZHANG) is None:
            s.add(Person(id_number=ZHANG, name="张三", phone="13800138000"))
            s.add(Company(credit_code=COMPANY, name="示范公司", legal_rep_id=ZHANG))
        s.flush()
        yield s


def _login(session: Session, gateway: RecordingGateway, name: str = "张三", now: datetime = T0) -> str:
    ref = auth.begin_login(session, "person", ZHANG, "rest", "u1", now)
    result = auth.request_code(session, ref, name, gateway, now)
    assert result.status == "sent"
    return ref


def test_code_logs_in_once_and_binds_the_sender(session) -> None:
    gateway = RecordingGateway()
    ref = _login(session, gateway)
    code = gateway.last_code()
    assert gateway.sent[0][0] == "13800138000"
    assert auth.verify_code(session, ref, code, "rest", "u1", T0).status == "ok"
    assert auth.current_subject(session, "rest", "u1", T0) == auth.Subject(person_id=ZHANG)
    # single use
    assert auth.verify_code(session, ref, code, "rest", "u1", T0).status == "expired"
    # stored hashed only
    assert all(code not in row.code_hash for row in session.query(OtpCode))


def test_expired_code_is_refused(session) -> None:
    gateway = RecordingGateway()
    ref = _login(session, gateway)
    later = T0 + auth.CODE_TTL + timedelta(seconds=1)
    assert auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", later).status == "expired"
    assert auth.current_subject(session, "rest", "u1", later) is None


def test_five_wrong_codes_lock_for_fifteen_minutes(session) -> None:
    gateway = RecordingGateway()
    ref = _login(session, gateway)
    real = gateway.last_code()
    wrong = f"{(int(real) + 1) % 10**6:06d}"
    statuses = [auth.verify_code(session, ref, wrong, "rest", "u1", T0).status for _ in range(5)]
    assert statuses == ["wrong"] * 4 + ["locked"]
    # even the right code is refused while locked, and no new code is sent
    assert auth.verify_code(session, ref, real, "rest", "u1", T0).status == "locked"
    assert auth.request_code(session, ref, "张三", gateway, T0 + timedelta(minutes=2)).status == "locked"
    after = T0 + auth.LOCK_TIME + timedelta(seconds=1)
    assert auth.request_code(session, ref, "张三", gateway, after).status == "sent"
    assert auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", after).status == "ok"


def test_send_limits_one_a_minute_ten_a_day(session) -> None:
    gateway = RecordingGateway()
    ref = auth.begin_login(session, "person", ZHANG, "rest", "u1", T0)
    assert auth.request_code(session, ref, "张三", gateway, T0).status == "sent"
    assert auth.request_code(session, ref, "张三", gateway, T0 + timedelta(seconds=30)).status == "too_soon"
    for minute in range(1, 10):
        assert auth.request_code(session, ref, "张三", gateway, T0 + timedelta(minutes=minute)).status == "sent"
    assert auth.request_code(session, ref, "张三", gateway, T0 + timedelta(minutes=11)).status == "daily_limit"
    assert len(gateway.sent) == 10


def test_replies_do_not_reveal_whether_the_number_exists(session) -> None:
    gateway = RecordingGateway()
    known = auth.request_code(session, auth.begin_login(session, "person", ZHANG, "rest", "a", T0), "张三", gateway, T0)
    wrong_name = auth.request_code(
        session, auth.begin_login(session, "person", ZHANG, "rest", "b", T0), "李四", gateway, T0 + timedelta(minutes=2)
    )
    unknown_id = "440308199901101512"
    unknown = auth.request_code(
        session, auth.begin_login(session, "person", unknown_id, "rest", "c", T0), "王五", gateway, T0
    )
    shape = re.compile(r"^如信息匹配，验证码已发送至尾号\d{4}的手机，5分钟内有效。$")
    assert all(shape.match(r.message) for r in (known, wrong_name, unknown))
    assert len(gateway.sent) == 1  # only the real match got an SMS
    # the decoy tail is stable, so asking twice shows nothing either
    again = auth.request_code(
        session,
        auth.begin_login(session, "person", unknown_id, "rest", "c", T0),
        "王五",
        gateway,
        T0 + timedelta(minutes=2),
    )
    assert again.message == unknown.message


def test_binding_ends_after_thirty_minutes_idle_and_on_logout(session) -> None:
    gateway = RecordingGateway()
    ref = _login(session, gateway)
    auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", T0)
    assert auth.current_subject(session, "rest", "u1", T0 + timedelta(minutes=29)) is not None
    assert auth.current_subject(session, "rest", "u1", T0 + timedelta(minutes=58)) is not None  # refreshed
    assert auth.current_subject(session, "rest", "u1", T0 + timedelta(minutes=89)) is None
    ref = _login(session, gateway, now=T0 + timedelta(hours=2))
    auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", T0 + timedelta(hours=2))
    assert auth.logout(session, "rest", "u1") is True
    assert auth.current_subject(session, "rest", "u1", T0 + timedelta(hours=2)) is None


def test_company_login_needs_the_representatives_id(session) -> None:
    gateway = RecordingGateway()
    ref = auth.begin_login(session, "company", COMPANY, "rest", "corp", T0)
    assert auth.request_code(session, ref, "440308199901101512", gateway, T0).status == "sent"
    assert gateway.sent == []  # not the representative: no SMS, same reply
    ref = auth.begin_login(session, "company", COMPANY, "rest", "corp", T0 + timedelta(minutes=2))
    auth.request_code(session, ref, ZHANG, gateway, T0 + timedelta(minutes=2))
    assert gateway.sent[-1][0] == "13800138000"
    assert auth.verify_code(session, ref, gateway.last_code(), "rest", "corp", T0 + timedelta(minutes=2)).status == "ok"
    assert auth.current_subject(session, "rest", "corp", T0 + timedelta(minutes=3)) == auth.Subject(ZHANG, COMPANY)


def test_file_outbox_writes_one_json_line_per_message(tmp_path) -> None:
    gateway = FileOutboxGateway(tmp_path / "outbox.jsonl")
    gateway.send("13800138000", "验证码为123456")
    gateway.send("13900139000", "验证码为654321")
    lines = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(x["phone"], x["text"]) for x in lines] == [
        ("13800138000", "验证码为123456"),
        ("13900139000", "验证码为654321"),
    ]
    assert all("time" in x for x in lines)


def test_resend_uses_the_name_given_before(session) -> None:
    gateway = RecordingGateway()
    ref = _login(session, gateway)
    assert auth.request_code(session, ref, None, gateway, T0 + timedelta(minutes=1, seconds=1)).status == "sent"
    assert len(gateway.sent) == 2
    assert auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", T0 + timedelta(minutes=2)).status == "ok"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("张三", "张三"),
        ("我叫李四", "李四"),
        ("欧阳娜娜。", "欧阳娜娜"),
        ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
        ("我有哪些证照", None),
        ("123456", None),
        ("张", None),
        ("居住证怎么办", None),
    ],
)
def test_normalize_name(text: str, name) -> None:
    assert auth.normalize_name(text) == name
