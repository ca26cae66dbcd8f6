"""删除我的数据: what the law lets go is deleted, applications and others' uses of certificates stay."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Callable

import pytest

from govservice.applications.materials_check import store_attachment
from govservice.applications.models import Application, ApplicationMaterial, Attachment, FollowUp, Rating
from govservice.applications.ratings import rate
from govservice.applications.workflow import accept, approve, reject, start_review, submit_application
from govservice.certificates import library as certificates
from govservice.certificates.models import Certificate, CertificateUse
from govservice.db import session_scope
from govservice.handoff.models import CLOSED, WAITING, HandoffTicket
from govservice.identity.models import Binding, LoginAttempt, OtpCode
from govservice.privacy.data_deletion import KEPT_TEXT, delete_person_data
from govservice.privacy.models import ConversationErasure, ExportLink
from govservice.privacy.personal_data import create_export_link
from govservice.seed import init_db

ZHANG = "11010519491231002X"
LI = "440308199901101512"
NOW = datetime.datetime(2026, 3, 2, 10, 0)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _finished(url: str, key: str, person: str, sender: str, finish: str = "approve") -> str:
    app = submit_application(
        url, idempotency_key=key, item_key="social_security_card", person_id=person,
        channel="rest", sender=sender, form_data={},
    )
    with session_scope(url) as s:
        accept(s, app.number, "人社小陈", "RS")
        start_review(s, app.number, "人社小陈", "RS")
        if finish == "approve":
            approve(s, app.number, "人社小陈", "RS")
        else:
            reject(s, app.number, "人社小陈", "RS", "不符合")
    return app.number


@pytest.fixture()
def url(new_database: Callable[[str], str]) -> str:
    db = new_database("deletion")
    init_db(db)
    return db


def test_deletion_removes_what_may_go_and_keeps_what_the_law_keeps(url: str) -> None:
    good = _finished(url, "del-1", ZHANG, "zhang-web")
    bad = _finished(url, "del-2", ZHANG, "zhang-web", "reject")
    li_app = _finished(url, "del-3", LI, "li-web")
    with session_scope(url) as s:
        rate(s, good, ZHANG, "满意", "办得很快，谢谢小陈")
        rate(s, bad, ZHANG, "不满意", "材料要求前后不一致")  # opens a follow-up: its text stays
        rate(s, li_app, LI, "满意", "李四的意见")
        for who, sender in ((ZHANG, "zhang-web"), (ZHANG, "zhang-wx"), (LI, "li-web")):
            s.add(Binding(channel="rest", sender=sender, person_id=who, created_at=NOW, last_seen=NOW))
        for ref, sender, used in (("r-zhang", "zhang-old", NOW), ("r-stranger", "stranger", None)):
            s.add(LoginAttempt(ref=ref, subject_kind="person", subject_id=ZHANG, channel="wechat",
                               sender=sender, proof_hash="h" * 64, created_at=NOW))
            s.add(OtpCode(ref=ref, subject_id=ZHANG, code_hash="x" * 64, created_at=NOW,
                          expires_at=NOW, used_at=used))
        certificates.list_certificates(s, ZHANG, "citizen", "本人（智能助手）", "本人查询证照列表", NOW.date())
        certificates.list_certificates(s, ZHANG, "officer", "人社小陈", "窗口核验", NOW.date())
        certificates.list_certificates(s, LI, "citizen", "本人（智能助手）", "本人查询证照列表", NOW.date())
        loose = store_attachment(s, PNG + b"loose", "loose.png", "image/png", ZHANG, NOW)
        used = store_attachment(s, PNG + b"used", "used.png", "image/png", ZHANG, NOW)
        app_id = s.query(Application.id).filter_by(number=good).scalar()
        s.add(ApplicationMaterial(application_id=app_id, material_id=1, material_name="照片", source="upload",
                                  attachment_id=used.id, created_at=NOW))
        s.add(HandoffTicket(channel="rest", sender="zhang-web", status=CLOSED, contact="13800138000",
                            message="我的电话13800138000", created_at=NOW))
        s.add(HandoffTicket(channel="rest", sender="zhang-web", status=WAITING, contact="13800138000", created_at=NOW))
        create_export_link(s, ZHANG, NOW)
        loose_path, loose_id, used_path = Path(loose.stored_path), loose.id, Path(used.stored_path)

    with session_scope(url) as s:
        report = delete_person_data(s, ZHANG, "zhang-web", NOW)

    assert (report.bindings, report.rating_comments, report.uploads, report.handoff_contacts) == (2, 1, 1, 1)
    assert report.own_lookups >= 5  # 张三 holds at least 5 certificates, each listed once
    assert report.conversations == ["zhang-old", "zhang-web", "zhang-wx"]
    assert "保留" in report.text and KEPT_TEXT in report.text and "个人信息保护法" in report.text
    with session_scope(url) as s:
        assert {b.sender for b in s.query(Binding)} == {"li-web"}
        assert {s.get(LoginAttempt, ref).proof_hash for ref in ("r-zhang", "r-stranger")} == {None}
        uses = s.query(CertificateUse).join(Certificate).filter(Certificate.holder_id == ZHANG).all()
        assert uses and {u.actor_type for u in uses} == {"officer"}  # others' uses stay
        assert s.query(CertificateUse).join(Certificate).filter(Certificate.holder_id == LI).count() >= 4
        comments = {r.application.number: r.comment for r in s.query(Rating)}
        assert comments == {good: None, bad: "材料要求前后不一致", li_app: "李四的意见"}
        assert {r.level for r in s.query(Rating).filter_by(person_id=ZHANG)} == {"满意", "不满意"}
        assert s.query(FollowUp).count() == 1
        assert s.query(Application).filter_by(person_id=ZHANG).count() == 2  # legal retention
        assert s.get(Attachment, loose_id) is None and s.query(Attachment).count() == 1
        tickets = {t.status: (t.contact, t.message) for t in s.query(HandoffTicket)}
        assert tickets == {CLOSED: (None, None), WAITING: ("13800138000", None)}
        assert s.query(ExportLink).count() == 0
        assert [e.sender for e in s.query(ConversationErasure).order_by(ConversationErasure.sender)] == [
            "zhang-old", "zhang-web", "zhang-wx"
        ]
    assert not loose_path.exists() and used_path.exists()


def test_deletion_ends_the_reminder_subscription_and_removes_the_reminders(url: str) -> None:
    from govservice.identity.models import LastLogin
    from govservice.notifications.outbox import Notification
    from govservice.notifications.reminder_models import Reminder, ReminderConsent
    from govservice.notifications.reminders import run_once, set_consent

    now = datetime.datetime(2026, 12, 3, 1, 0)
    with session_scope(url) as s:
        for person, channel in ((ZHANG, "wechat"), (LI, "wechat")):
            s.add(LastLogin(person_id=person, channel=channel, sender=f"wx-{person}", logged_in_at=now))
            set_consent(s, person, True, now)
    with session_scope(url) as s:
        licences = s.query(Certificate.valid_until).filter(Certificate.holder_id.in_([ZHANG, LI]))
        days = sorted(until for (until,) in licences.filter(Certificate.type_name == "机动车驾驶证"))
    for until in days:  # each licence 30 days before it expires
        run_once(url, until - datetime.timedelta(days=30), now)
    with session_scope(url) as s:
        assert {r.person_id for r in s.query(Reminder)} == {ZHANG, LI}
        report = delete_person_data(s, ZHANG, "zhang-web", now)
    assert "wx-" + ZHANG in report.conversations
    with session_scope(url) as s:
        assert {r.person_id for r in s.query(Reminder)} == {LI}
        assert {n.person_id for n in s.query(Notification)} == {LI}
        assert [c.person_id for c in s.query(ReminderConsent)] == [LI]
        assert [c.person_id for c in s.query(LastLogin)] == [LI]
