"""Certificate expiry reminders (证照到期提醒): proactive service for citizens who opted in.

A citizen subscribes ("订阅证照到期提醒") or unsubscribes ("退订提醒") in the conversation
(:func:`set_consent`). The job (:func:`run_once`, ``python -m govservice.notifications.reminders``)
finds the subscribers' certificates that expire within their type's window
(knowledge_base/reminders.yml, overridden by ``REMINDER_WINDOWS``) and writes one reminder per
(person, certificate, valid_until). The row is inserted with ``INSERT ... ON CONFLICT DO NOTHING``
in the transaction that also queues its delivery, so a second run, or two runs at once, queue each
reminder once. Delivery follows the citizen's last login: WeChat through the notification outbox
(template message, retried, then the conversation), the web widget (rest/socketio) when the
citizen next talks in it; either way the conversation shows each reminder once (:func:`take_reminders`).
"""

from __future__ import annotations

import argparse
import datetime
import logging
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import yaml
from sqlalchemy import or_
from sqlalchemy.orm import Query, Session

from govservice.catalog.lookup import Catalog
from govservice.catalog.models import ServiceItem
from govservice.certificates.library import expiring_certificates
from govservice.certificates.models import Certificate
from govservice.clock import office_date, stored
from govservice.db import ensure_schema, insert_new, session_scope
from govservice.identity.masking import mask_certificate_number
from govservice.identity.models import Binding, LastLogin
from govservice.notifications.outbox import SHOW_REMINDERS_ACTION as SHOW_REMINDERS_ACTION
from govservice.notifications.outbox import enqueue_reminder
from govservice.notifications.reminder_models import Reminder, ReminderConsent
from govservice.settings import SettingsError, current, database_url

logger = logging.getLogger(__name__)

WIDGET_CHANNELS = ("rest", "socketio")
"""Channels that cannot be reached unasked: the reminder waits for the citizen's next message."""
ACTOR = "证照到期提醒服务"
PURPOSE = "核对已订阅市民的证照有效期，发送到期提醒"


@dataclass(frozen=True)
class WidgetReminder:
    """A reminder to show in the widget: its text and the renewal item the button starts."""

    text: str
    item_key: Optional[str]
    item_name: Optional[str]


@dataclass(frozen=True)
class RunReport:
    """What one run queued: new reminders by delivery (already reminded ones are not counted)."""

    wechat: int = 0
    widget: int = 0

    @property
    def total(self) -> int:
        """All reminders queued by the run."""
        return self.wechat + self.widget


def windows() -> Dict[str, int]:
    """Days before expiry to remind, by certificate type name.

    Raises:
        SettingsError: ``REMINDER_WINDOWS`` is not "类型=天数,…" with whole days.
    """
    settings = current()
    path = settings.knowledge_base / "reminders.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    result = {str(k): int(v) for k, v in ((data or {}).get("windows") or {}).items()}
    for part in filter(None, (p.strip() for p in settings.reminder_windows.replace("，", ",").split(","))):
        name, _, days = part.partition("=")
        if not name.strip() or not days.strip().isdigit():
            raise SettingsError(f"环境变量 REMINDER_WINDOWS 应写成“机动车驾驶证=60,普通护照=120”，现在有 {part!r}")
        result[name.strip()] = int(days)
    return result


def windows_text() -> str:
    """The windows as a citizen reads them: "居民身份证到期前90天、居住证到期前30天…"."""
    return "、".join(f"{name}到期前{days}天" for name, days in windows().items())


def set_consent(session: Session, person_id: str, opted_in: bool, now: Optional[datetime.datetime] = None) -> bool:
    """Record the citizen's choice (flush only); return whether it changed anything."""
    row = session.get(ReminderConsent, person_id)
    if row is not None and bool(row.opted_in) == opted_in:
        return False
    if row is None:
        row = ReminderConsent(person_id=person_id)
        session.add(row)
    row.opted_in, row.updated_at = opted_in, stored(now)
    session.flush()
    return True


def has_consent(session: Session, person_id: str) -> bool:
    """Whether the citizen has opted in to expiry reminders."""
    row = session.get(ReminderConsent, person_id)
    return bool(row is not None and row.opted_in)


def subscribe(person_id: str, opted_in: bool = True, url: Optional[str] = None) -> bool:
    """Opt in (or out with ``opted_in=False``) in its own transaction; return whether it changed."""
    ensure_schema(url)
    with session_scope(url) as session:
        return set_consent(session, person_id, opted_in)


def subscribed(person_id: str, url: Optional[str] = None) -> bool:
    """:func:`has_consent` in its own session."""
    with session_scope(url) as session:
        return has_consent(session, person_id)


def addressee(channel: str, sender: str, url: Optional[str] = None) -> Optional[str]:
    """The person whose reminders go to this conversation (their latest login was here), or None."""
    with session_scope(url) as session:
        row = session.query(LastLogin).filter_by(channel=channel, sender=sender).first()
        return str(row.person_id) if row is not None else None


def reminder_text(cert: Certificate, item_name: Optional[str], today: datetime.date) -> str:
    """The reminder, in Chinese: the certificate, its masked number, the expiry date and days left."""
    left = (cert.valid_until - today).days
    when = "今天" if left == 0 else f"还有{left}天"
    number = f"（{mask_certificate_number(str(cert.number))}）" if cert.number else ""
    text = f"【证照到期提醒】您的{cert.type_name}{number}将于{cert.valid_until:%Y年%-m月%-d日}到期，{when}。"
    if item_name:
        text += f"可点下方按钮在线办理“{item_name}”。"
    return text + "如不再需要提醒，请说“退订提醒”。"


def due_certificates(
    session: Session, person_id: str, today: datetime.date, by_type: Dict[str, int]
) -> List[Certificate]:
    """The person's current certificates, not reminded of yet, that expire within their type's window.

    Only those are read from the library (one 用证记录 each), not every certificate at each run.
    """
    reminded = [cid for (cid,) in session.query(Reminder.certificate_id).filter(Reminder.person_id == person_id)]
    by_days: Dict[int, List[str]] = {}
    for name, days in by_type.items():
        by_days.setdefault(days, []).append(name)
    found: List[Certificate] = []
    for days, names in sorted(by_days.items()):
        found += expiring_certificates(
            session, person_id, days, today, actor_type="system", actor=ACTOR, purpose=PURPOSE,
            type_names=names, exclude_ids=reminded,
        )
    return sorted(found, key=lambda c: (c.valid_until, c.id))


def _subscribers(session: Session) -> List[LastLogin]:
    query = session.query(LastLogin).join(ReminderConsent, ReminderConsent.person_id == LastLogin.person_id)
    return query.filter(ReminderConsent.opted_in.is_(True)).order_by(LastLogin.person_id).all()


def _queue(session: Session, who: LastLogin, cert: Certificate, text: str, item_key: Optional[str],
           now: datetime.datetime) -> bool:
    """Insert the reminder if new and queue a WeChat one in the same transaction; whether it was new."""
    row = {
        "person_id": who.person_id, "certificate_id": cert.id, "valid_until": cert.valid_until, "item_key": item_key,
        "channel": who.channel, "sender": who.sender, "text": text, "created_at": now,
    }
    if insert_new(session, Reminder.__table__, [row], ("person_id", "certificate_id", "valid_until")) != 1:
        return False
    if who.channel not in WIDGET_CHANNELS:
        reminder = (
            session.query(Reminder)
            .filter_by(person_id=who.person_id, certificate_id=cert.id, valid_until=cert.valid_until)
            .one()
        )
        enqueue_reminder(session, int(reminder.id), str(who.person_id), str(who.channel), str(who.sender), text, now)
    return True


def run_once(
    url: Optional[str] = None, today: Optional[datetime.date] = None, now: Optional[datetime.datetime] = None
) -> RunReport:
    """Queue the reminders due today for every subscriber; safe to run twice and concurrently.

    Args:
        url: the database (the configured one by default).
        today: the office's day to judge expiry by.
        now: the time recorded on the reminders.

    Returns:
        How many new reminders were queued, by delivery.
    """
    today, moment = today or office_date(), stored(now)
    url = url or database_url()  # the engine cache is keyed by URL: None would pin the first one
    by_type = windows()
    renewal = Catalog.load(url).renewal_item
    counts = {"wechat": 0, "widget": 0}
    with session_scope(url) as session:
        subscribers = _subscribers(session)
    for who in subscribers:
        # One short transaction per subscriber: concurrent runs wait on the unique key, not on a whole run.
        with session_scope(url) as session:
            for cert in due_certificates(session, str(who.person_id), today, by_type):
                item = renewal(str(cert.type_name))
                text = reminder_text(cert, item.name if item else None, today)
                if _queue(session, who, cert, text, item.key if item else None, moment):
                    counts["widget" if who.channel in WIDGET_CHANNELS else "wechat"] += 1
    return RunReport(**counts)


def _unshown(session: Session, channel: str, sender: str) -> Query:
    """Reminders for this conversation not shown yet: addressed to it, or (widget) to its logged-in person."""
    mine = (Reminder.channel == channel) & (Reminder.sender == sender)
    binding = session.get(Binding, (channel, sender)) if channel in WIDGET_CHANNELS else None
    if binding is not None:
        mine = or_(mine, (Reminder.person_id == binding.person_id) & Reminder.channel.in_(WIDGET_CHANNELS))
    return session.query(Reminder).filter(mine, Reminder.shown_at.is_(None))


def has_unshown(channel: str, sender: str, url: Optional[str] = None) -> bool:
    """Whether :func:`take_reminders` would return something now (one indexed read, no write)."""
    with session_scope(url) as session:
        return _unshown(session, channel, sender).first() is not None


def take_reminders(
    channel: str, sender: str, now: Optional[datetime.datetime] = None, url: Optional[str] = None
) -> List[WidgetReminder]:
    """The reminders not yet shown in this conversation, marked shown (each is returned once).

    A reminder addressed to this conversation is taken; on a widget channel also one addressed to
    the person logged in on it (the widget may have started a new conversation since the login).
    A concurrent caller gets the others. Blocking: call it off the event loop.
    """
    moment = stored(now)
    taken: List[WidgetReminder] = []
    with session_scope(url) as session:
        for row in _unshown(session, channel, sender).order_by(Reminder.id).all():
            won = (
                session.query(Reminder)
                .filter(Reminder.id == row.id, Reminder.shown_at.is_(None))
                .update({"shown_at": moment}, synchronize_session=False)
            )
            item = session.get(ServiceItem, row.item_key) if row.item_key else None
            if won:
                taken.append(WidgetReminder(str(row.text), row.item_key, str(item.name) if item else None))
    return taken


def template_fields(reminder_id: int, url: Optional[str] = None) -> Optional[Dict[str, str]]:
    """The fields of a WeChat template message for a reminder (编号, 事项, 状态, 时间), or None."""
    with session_scope(url) as session:
        reminder = session.get(Reminder, reminder_id)
        cert = session.get(Certificate, reminder.certificate_id) if reminder is not None else None
        if reminder is None or cert is None:
            return None
        return {
            "number": mask_certificate_number(str(cert.number)),
            "item": f"{cert.type_name}到期提醒",
            "status": f"将于{reminder.valid_until:%Y年%-m月%-d日}到期，请及时换证",
            "when": f"{reminder.created_at:%Y-%m-%d}",
        }


def loop(interval: float, runs: Optional[int] = None) -> None:
    """Run :func:`run_once` every ``interval`` seconds (``runs`` times, or for ever); errors are logged."""
    done = 0
    while runs is None or done < runs:
        try:
            report = run_once()
            if report.total:
                logger.info("expiry reminders queued: %s", report)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly down: the next run catches up
            logger.exception("expiry reminder run failed")
        done += 1
        if runs is None or done < runs:
            time.sleep(interval)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """``python -m govservice.notifications.reminders [--once]``."""
    parser = argparse.ArgumentParser(description="证照到期提醒：定时为已订阅的市民发送提醒")
    parser.add_argument("--once", action="store_true", help="只运行一次")
    args = parser.parse_args(argv)
    logging.basicConfig(level=current().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ensure_schema()
    loop(current().reminder_interval_seconds, 1 if args.once else None)


if __name__ == "__main__":
    main()
