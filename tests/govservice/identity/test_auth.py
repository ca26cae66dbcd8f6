"""Login: codes, limits, lockout, no enumeration, bindings."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timedelta
from typing import Callable, Iterator, List, Tuple

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from govservice.db import session_scope
from govservice.identity import auth, login_limits
from govservice.identity.models import Company, OtpCode, Person
from govservice.identity.sms import FileOutboxGateway, get_gateway
from govservice.seed import init_db
from govservice.settings import reload as reload_settings

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
def session(new_database: Callable[[str], str]) -> Iterator[Session]:
    url = new_database("auth")
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
    after = T0 + login_limits.LOCK_TIME + timedelta(seconds=1)
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
    unknown_id = "440308199901101512"
    unknown = auth.request_code(
        session, auth.begin_login(session, "person", unknown_id, "rest", "c", T0), "王五", gateway, T0
    )
    assert known == unknown == auth.CodeResult("sent", "如信息匹配，验证码已发送至登记的手机，5分钟内有效。")
    assert len(gateway.sent) == 1  # only the real match got an SMS


def _wrong_code(gateway: RecordingGateway) -> str:
    """A code that is certainly wrong, also when real ones were sent."""
    sent = {re.search(r"验证码为(\d{6})", message).group(1) for _, message in gateway.sent}
    return next(code for code in ("000000", "000001", "000002") if code not in sent)


def _what_a_caller_sees(session: Session, name: str, tag: str, t: datetime) -> List[Tuple[str, str]]:
    """The code request for ``name``, repeats from this and another sender, then wrong codes until locked."""
    gateway = RecordingGateway()
    first = auth.begin_login(session, "person", ZHANG, "rest", f"{tag}-a", t)
    second = auth.begin_login(session, "person", ZHANG, "rest", f"{tag}-b", t)
    seen = [
        auth.request_code(session, first, name, gateway, t),
        auth.request_code(session, first, None, gateway, t + timedelta(seconds=10)),
        auth.request_code(session, second, name, gateway, t + timedelta(seconds=20)),  # another sender, too
        auth.request_code(session, second, name, gateway, t + timedelta(seconds=70)),
    ]
    wrong = _wrong_code(gateway)
    seen += [auth.verify_code(session, first, wrong, "rest", f"{tag}-a", t + timedelta(seconds=80)) for _ in range(3)]
    seen += [auth.verify_code(session, second, wrong, "rest", f"{tag}-b", t + timedelta(seconds=90)) for _ in range(3)]
    seen.append(auth.request_code(session, first, None, gateway, t + timedelta(minutes=3)))
    return [(r.status, r.message) for r in seen]


def test_the_reply_to_a_name_and_the_limits_after_it_do_not_depend_on_whether_it_matches(session) -> None:
    right = _what_a_caller_sees(session, "张三", "right", T0)
    wrong = _what_a_caller_sees(session, "李四", "wrong", T0)
    assert right == wrong
    statuses = [status for status, _ in right]
    assert statuses == ["sent", "too_soon", "too_soon", "sent"] + ["wrong"] * 4 + ["locked"] * 3
    left = [re.search(r"还可尝试(\d)次", message) for _, message in right]
    assert [int(match.group(1)) for match in left if match] == [4, 3, 2, 1]


class SlowGateway:
    """A gateway that takes seconds per message, as a real SMS API may.

    Three seconds, so that a step which waited for it (3 s or more) stays far from one that does
    not, even on a loaded machine (at 1 s, a PostgreSQL run under load took 0.508 s of 0.5).
    """

    DELAY = 3.0
    sent: List[Tuple[str, str]] = []
    lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        time.sleep(self.DELAY)
        with self.lock:
            SlowGateway.sent.append((phone, text))


def test_the_name_step_does_the_same_work_and_takes_no_longer_when_the_name_matches(session, monkeypatch) -> None:
    monkeypatch.setenv("SMS_GATEWAY", f"{__name__}:SlowGateway")
    reload_settings()
    gateway = get_gateway()  # as the login action gets it
    statements: List[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    work = {}
    for name in ("张三", "李四"):
        ref = auth.begin_login(session, "person", ZHANG, "rest", f"timing-{name}", T0)
        session.flush()
        statements.clear()
        started = time.perf_counter()
        assert auth.request_code(session, ref, name, gateway, T0).message == auth.SENT
        session.flush()
        work[name] = (time.perf_counter() - started, list(statements))
    assert work["张三"][1] == work["李四"][1]  # the same statements, in the same order
    assert work["张三"][0] < SlowGateway.DELAY / 2 and work["李四"][0] < SlowGateway.DELAY / 2
    deadline = time.monotonic() + 10
    while not SlowGateway.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [phone for phone, _ in SlowGateway.sent] == ["13800138000"]  # sent, in the background


def test_a_stranger_with_only_the_number_cannot_lock_the_owner_out(session) -> None:
    gateway = RecordingGateway()
    # A wrong name, from a new sender and address every two minutes: all the codes a day allows.
    for i in range(login_limits.DAILY_LIMIT + 1):
        t = T0 + timedelta(minutes=2 * i)
        ref = auth.begin_login(session, "person", ZHANG, "rest", f"stranger-{i}", t, source=f"rest:10.0.0.{i}")
        status = auth.request_code(session, ref, "李四", gateway, t).status
        assert status == ("sent" if i < login_limits.DAILY_LIMIT else "daily_limit")
    # Other wrong names: wrong codes until each is locked.
    for i, name in enumerate(("王五", "赵六", "孙七")):
        t = T0 + timedelta(minutes=30 + 2 * i)
        ref = auth.begin_login(session, "person", ZHANG, "rest", f"guesser-{i}", t, source=f"rest:10.1.0.{i}")
        assert auth.request_code(session, ref, name, gateway, t).status == "sent"
        guesses = [auth.verify_code(session, ref, "123456", "rest", f"guesser-{i}", t).status for _ in range(6)]
        assert guesses == ["wrong"] * 4 + ["locked"] * 2
    assert gateway.sent == []
    # The owner, right after, from their own phone: a code at once, and the login works.
    now = T0 + timedelta(minutes=40)
    ref = auth.begin_login(session, "person", ZHANG, "wechat", "owner-openid", now, source="wechat:owner-openid")
    assert auth.request_code(session, ref, "张三", gateway, now).status == "sent"
    assert auth.verify_code(session, ref, gateway.last_code(), "wechat", "owner-openid", now).status == "ok"


def test_limits_apply_per_sender_and_per_source(session) -> None:
    gateway = RecordingGateway()
    numbers = [f"3504261991010{i:04d}" for i in range(12)]  # made-up numbers: auth does not check them
    # One sender: a second code within the minute is refused even for another number, and five
    # wrong codes across numbers lock the sender.
    first = auth.begin_login(session, "person", numbers[0], "rest", "one-sender", T0)
    assert auth.request_code(session, first, "王五", gateway, T0).status == "sent"
    other = auth.begin_login(session, "person", numbers[1], "rest", "one-sender", T0)
    assert auth.request_code(session, other, "王五", gateway, T0 + timedelta(seconds=30)).status == "too_soon"
    assert auth.request_code(session, other, "王五", gateway, T0 + timedelta(minutes=1)).status == "sent"
    statuses = [auth.verify_code(session, ref, "123456", "rest", "one-sender", T0 + timedelta(minutes=2)).status
                for ref in (first, first, other, other, other)]
    assert statuses == ["wrong"] * 4 + ["locked"]
    third = auth.begin_login(session, "person", numbers[2], "rest", "one-sender", T0 + timedelta(minutes=3))
    assert auth.request_code(session, third, "王五", gateway, T0 + timedelta(minutes=3)).status == "locked"
    # One source, a new sender for every number: five guesses each, until the source's limit.
    source = "rest:203.0.113.7"
    senders = login_limits.SOURCE.guesses.max_failures // login_limits.MAX_FAILURES
    for i in range(senders + 1):
        t = T0 + timedelta(minutes=10 + i)
        ref = auth.begin_login(session, "person", numbers[3 + i], "rest", f"rotating-{i}", t, source=source)
        status = auth.request_code(session, ref, "王五", gateway, t).status
        if i == senders:
            assert status == "locked"  # a fresh sender and number, the same source
            break
        guesses = [auth.verify_code(session, ref, "123456", "rest", f"rotating-{i}", t).status for _ in range(5)]
        assert guesses == ["wrong"] * 4 + ["locked"]
    now = T0 + timedelta(minutes=30)
    elsewhere = auth.begin_login(session, "person", numbers[-1], "rest", "elsewhere", now, source="rest:198.51.100.1")
    assert auth.request_code(session, elsewhere, "王五", gateway, now).status == "sent"


def _login_rows(session: Session) -> str:
    """Everything the login tables hold, as text."""
    session.flush()
    tables = ("login_attempts", "otp_codes", "login_sends", "attempt_limits")
    return "\n".join(str(tuple(row)) for table in tables for row in session.execute(text(f"SELECT * FROM {table}")))


def test_a_login_keeps_the_name_only_hashed_and_the_number_only_until_it_ends(session) -> None:
    gateway = RecordingGateway()
    ref = _login(session, gateway)
    abandoned = auth.begin_login(session, "person", "440308199901101512", "rest", "u2", T0)
    auth.request_code(session, abandoned, "王五", gateway, T0)  # a wrong name: no code sent
    held = _login_rows(session)
    assert "张三" not in held and "王五" not in held and ZHANG in held
    assert auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", T0).status == "ok"
    live = auth.begin_login(session, "person", "440308199901101512", "rest", "u3", T0 + timedelta(minutes=20))

    auth.purge_expired(session, T0 + timedelta(minutes=1))  # the finished login goes at once
    assert ZHANG not in _login_rows(session) and "440308199901101512" in _login_rows(session)
    auth.purge_expired(session, T0 + auth.ATTEMPT_TTL)  # the abandoned one when it has expired
    assert [attempt for (attempt,) in session.execute(text("SELECT ref FROM login_attempts"))] == [live]
    assert session.query(OtpCode).count() == 0
    assert auth.request_code(session, abandoned, None, gateway, T0 + timedelta(minutes=2)).status == "no_login"
    auth.purge_expired(session, T0 + timedelta(hours=25))  # send records after a day, limits after their window
    assert "login" not in _login_rows(session).replace(live, "")
    assert session.execute(text("SELECT count(*) FROM login_sends")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM attempt_limits")).scalar() == 0


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


def test_a_login_records_where_the_person_last_logged_in(session) -> None:
    from govservice.identity.models import LastLogin

    gateway = RecordingGateway()
    ref = _login(session, gateway)
    assert auth.verify_code(session, ref, gateway.last_code(), "rest", "u1", T0).status == "ok"
    later = T0 + timedelta(minutes=2)
    ref = auth.begin_login(session, "person", ZHANG, "wechat", "o_zhang", later)
    assert auth.request_code(session, ref, "张三", gateway, later).status == "sent"
    assert auth.verify_code(session, ref, gateway.last_code(), "wechat", "o_zhang", later).status == "ok"
    session.flush()
    row = session.get(LastLogin, ZHANG)
    assert (row.channel, row.sender, row.logged_in_at) == ("wechat", "o_zhang", later)
