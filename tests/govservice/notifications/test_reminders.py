"""Expiry reminders: selection by window and consent, once per certificate even with concurrent runs."""

from __future__ import annotations

import datetime
import threading
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from stdnum.cn import ric

from govservice.certificates.models import Certificate, CertificateUse
from govservice.db import session_scope
from govservice.identity.models import Binding, LastLogin, Person
from govservice.notifications import outbox
from govservice.notifications import reminders as rem
from govservice.notifications.outbox import Notification, OutgoingNotification, deliver_pending, register_sender
from govservice.notifications.reminder_models import Reminder
from govservice.seed import init_db
from govservice.settings import reload as reload_settings

TODAY = datetime.date(2026, 12, 3)
NOW = datetime.datetime(2026, 12, 3, 1, 0)


def citizen_id(birth: datetime.date, seq: int) -> str:
    """A valid synthetic ID number (region 350102) born on ``birth``."""
    body = f"350102{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def add_person(session, birth: datetime.date, seq: int, name: str = "测试") -> str:  # type: ignore[no-untyped-def]
    pid = citizen_id(birth, seq)
    session.add(Person(id_number=pid, name=name, phone=f"139{seq:08d}"))
    session.flush()
    return pid


def add_cert(session, pid: str, type_name: str, days_left: Optional[int], number: str = "AB12345678",  # type: ignore[no-untyped-def]
             issued_days_ago: int = 3000, status: str = "有效") -> Certificate:
    issued = TODAY - datetime.timedelta(days=issued_days_ago)
    until = None if days_left is None else TODAY + datetime.timedelta(days=days_left)
    cert = Certificate(type_name=type_name, holder_id=pid, number=number, issuer="示范市公安局", issue_date=issued,
                       valid_from=issued, valid_until=until, status=status,
                       licence_id=f"test-{pid}-{type_name}-{days_left}-{number}", attributes={})
    session.add(cert)
    session.flush()
    return cert


def login_at(session, pid: str, channel: str, sender: str) -> None:  # type: ignore[no-untyped-def]
    session.merge(LastLogin(person_id=pid, channel=channel, sender=sender, logged_in_at=NOW))


@pytest.fixture()
def db(new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database (no demo people) that the module's session_scope() also uses."""
    url = new_database("reminders")
    monkeypatch.setenv("DEMO_DATA", "0")
    monkeypatch.setenv("DATABASE_URL", url)
    reload_settings()
    init_db(url, faq=False)
    yield url


@pytest.fixture()
def people(db: str) -> Dict[str, str]:
    """Four citizens: subscribed on the widget, subscribed on WeChat, not subscribed, unsubscribed."""
    with session_scope(db) as s:
        web = add_person(s, datetime.date(1980, 5, 1), 11)
        add_cert(s, web, "机动车驾驶证", 80, number=web)  # within 90: due
        add_cert(s, web, "普通护照", 200, number="E12345678")  # 180: not yet
        add_cert(s, web, "居住证", 40, number="JZ350102001")  # 30: not yet
        add_cert(s, web, "居民身份证", None, number=web)  # 长期: never
        wx = add_person(s, datetime.date(1990, 2, 3), 22)
        add_cert(s, wx, "普通护照", 170, number="E87654321")  # within 180: due
        add_cert(s, wx, "居民身份证", -3, number=wx)  # expired: not a reminder
        add_cert(s, wx, "居住证", 30, number="JZ350102002", status="已注销")  # cancelled: never
        silent = add_person(s, datetime.date(1985, 7, 7), 33)
        add_cert(s, silent, "机动车驾驶证", 10, number=silent)  # due, but no consent
        gone = add_person(s, datetime.date(1975, 8, 8), 44)
        add_cert(s, gone, "居民身份证", 20, number=gone)
        for pid, channel in ((web, "rest"), (wx, "wechat"), (silent, "rest"), (gone, "socketio")):
            login_at(s, pid, channel, f"{channel}-{pid[-4:]}")
        rem.set_consent(s, web, True, NOW)
        rem.set_consent(s, wx, True, NOW)
        rem.set_consent(s, gone, True, NOW)
        rem.set_consent(s, gone, False, NOW)
    return {"web": web, "wx": wx, "silent": silent, "gone": gone}


def _reminders(url: str) -> List[Tuple[str, str, datetime.date]]:
    with session_scope(url) as s:
        rows = s.query(Reminder, Certificate).join(Certificate, Certificate.id == Reminder.certificate_id).all()
        return sorted((r.person_id, c.type_name, r.valid_until) for r, c in rows)


def test_selection_by_window_and_consent(db: str, people: Dict[str, str]) -> None:
    report = rem.run_once(db, TODAY, NOW)
    assert report == rem.RunReport(wechat=1, widget=1)
    assert _reminders(db) == sorted([
        (people["web"], "机动车驾驶证", TODAY + datetime.timedelta(days=80)),
        (people["wx"], "普通护照", TODAY + datetime.timedelta(days=170)),
    ])
    with session_scope(db) as s:
        text = s.query(Reminder).filter_by(person_id=people["web"]).one().text
        assert s.query(Reminder).filter_by(person_id=people["web"]).one().item_key == "driving_licence_renew"
    expected_number = people["web"][:2] + "*" * 14 + people["web"][-2:]
    assert text == (
        f"【证照到期提醒】您的机动车驾驶证（{expected_number}）将于2027年2月21日到期，还有80天。"
        "可点下方按钮在线办理“机动车驾驶证期满换证”。如不再需要提醒，请说“退订提醒”。"
    )


def test_windows_follow_the_environment(db: str, people: Dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDER_WINDOWS", "居住证=45，机动车驾驶证=60")
    reload_settings()
    assert rem.windows() == {"居民身份证": 90, "机动车驾驶证": 60, "居住证": 45, "普通护照": 180}
    rem.run_once(db, TODAY, NOW)
    assert [(p, t) for p, t, _ in _reminders(db) if p == people["web"]] == [(people["web"], "居住证")]


def test_bad_window_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDER_WINDOWS", "机动车驾驶证=九十")
    reload_settings()
    with pytest.raises(rem.SettingsError, match="REMINDER_WINDOWS"):
        rem.windows()


def _system_reads(url: str) -> int:
    with session_scope(url) as s:
        return s.query(CertificateUse).filter(CertificateUse.actor_type == "system").count()


def test_second_run_sends_nothing_new(db: str, people: Dict[str, str]) -> None:
    assert rem.run_once(db, TODAY, NOW).total == 2
    assert _system_reads(db) == 2  # only the two certificates reminded of were read from the library
    assert rem.run_once(db, TODAY, NOW).total == 0
    assert _system_reads(db) == 2
    assert rem.run_once(db, TODAY + datetime.timedelta(days=1), NOW).total == 0
    assert len(_reminders(db)) == 2
    with session_scope(db) as s:
        assert s.query(Notification).filter(Notification.reminder_id.isnot(None)).count() == 1


def test_concurrent_runs_queue_each_reminder_once(db: str, people: Dict[str, str]) -> None:
    with session_scope(db) as s:  # more work, so that the runs overlap
        for seq in range(50, 70):
            pid = add_person(s, datetime.date(1970, 1, 1) + datetime.timedelta(days=seq), seq)
            add_cert(s, pid, "机动车驾驶证", seq, number=pid)
            login_at(s, pid, "wechat" if seq % 2 else "rest", f"s-{seq}")
            rem.set_consent(s, pid, True, NOW)
    start = threading.Barrier(4)
    reports: List[rem.RunReport] = []
    errors: List[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(rem.run_once(db, TODAY, NOW))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(r.total for r in reports) == 22
    assert len(_reminders(db)) == 22
    with session_scope(db) as s:
        assert s.query(Notification).filter(Notification.reminder_id.isnot(None)).count() == 11


def test_unsubscribe_stops_reminders(db: str, people: Dict[str, str]) -> None:
    rem.run_once(db, TODAY, NOW)
    assert rem.subscribe(people["web"], False, db) is True
    assert rem.subscribe(people["web"], False, db) is False
    with session_scope(db) as s:
        assert rem.has_consent(s, people["web"]) is False
        add_cert(s, people["web"], "居民身份证", 30, number="X" + people["web"][1:], issued_days_ago=10)
    assert rem.run_once(db, TODAY, NOW).total == 0
    assert rem.subscribe(people["web"], url=db) is True
    assert rem.run_once(db, TODAY, NOW) == rem.RunReport(widget=1)


def test_widget_reminder_is_shown_once_in_the_login_conversation_or_a_new_one(db: str, people: Dict[str, str]) -> None:
    rem.run_once(db, TODAY, NOW)
    web = people["web"]
    assert rem.take_reminders("rest", "someone-else", url=db) == []
    with session_scope(db) as s:  # the citizen opened the widget again: a new conversation, logged in
        s.add(Binding(channel="rest", sender="new-conv", person_id=web, created_at=NOW, last_seen=NOW))
    shown = rem.take_reminders("rest", "new-conv", url=db)
    assert [(r.item_key, r.item_name) for r in shown] == [("driving_licence_renew", "机动车驾驶证期满换证")]
    assert shown[0].text.startswith("【证照到期提醒】您的机动车驾驶证")
    assert rem.take_reminders("rest", "new-conv", url=db) == []
    assert rem.take_reminders("rest", f"rest-{web[-4:]}", url=db) == []


def test_wechat_reminder_goes_through_the_outbox(db: str, people: Dict[str, str]) -> None:
    rem.run_once(db, TODAY, NOW)
    sent: List[OutgoingNotification] = []
    saved = dict(outbox._SENDERS)
    register_sender("wechat", sent.append)
    try:
        report = deliver_pending(db)
    finally:
        outbox._SENDERS.clear()
        outbox._SENDERS.update(saved)
    assert report.delivered == 1
    assert [(m.channel, m.sender, m.application_number) for m in sent] == [
        ("wechat", f"wechat-{people['wx'][-4:]}", "")
    ]
    assert sent[0].reminder_id is not None and "普通护照（E8*****21）" in sent[0].text
    assert rem.template_fields(sent[0].reminder_id, db) == {
        "number": "E8*****21",
        "item": "普通护照到期提醒",
        "status": "将于2027年5月22日到期，请及时换证",
        "when": "2026-12-03",
    }


def test_the_job_runs_once_from_the_command_line(db: str, people: Dict[str, str]) -> None:
    rem.main(["--once"])  # today's date: 张三-like demo data is absent, the synthetic people are due
    assert {p for p, _, _ in _reminders(db)} == {people["web"], people["wx"]}
    rem.main(["--once"])
    assert len(_reminders(db)) == 2
