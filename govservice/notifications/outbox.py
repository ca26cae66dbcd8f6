"""Notification outbox (通知发件箱): a status change reaches the citizen on the channel they used.

A status change and its notification are written in ONE transaction: :func:`enqueue_status_change`
only flushes into the caller's session, so a committed change always has its notification and a
rolled-back change never has one. Delivery happens afterwards and outside any request:
:func:`deliver_pending` claims the due notifications, hands each to the sender registered for its
channel (Rasa's ``trigger_intent`` by default) and records the outcome. A failure is retried with
exponential backoff up to :data:`MAX_ATTEMPTS` times. Delivery is at least once: a process that
dies in the middle of a send leaves a claim that expires after :data:`CLAIM_TIMEOUT` and is retried.
"""

from __future__ import annotations

import datetime
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, and_, or_
from sqlalchemy.orm import Session

from govservice.applications.models import Application
from govservice.applications.states import StatusEvent
from govservice.applications.store import Target, open_session
from govservice.clock import stored
from govservice.notifications import reminder_models  # noqa: F401  (declares the table reminder_id points at)
from govservice.orm import Base
from govservice.settings import rasa

logger = logging.getLogger(__name__)

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
"""Delivery states of a notification."""
MAX_ATTEMPTS = 8
"""After this many failed attempts a notification is marked failed and no longer retried."""
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)
"""A notification claimed longer ago than this is assumed lost with its process and is retried."""
MAX_BACKOFF = datetime.timedelta(hours=1)
EVENT_INTENT = "query_applications"
"""The intent Rasa is asked to trigger: the citizen's own "我的申请到哪一步了", with entities naming
the application and its new status, so the bot reports the change with the next step. An
intent with training data keeps `rasa data validate --fail-on-warnings` meaningful."""
RASA_TIMEOUT_SECONDS = 10.0
SHOW_REMINDERS_ACTION = "action_show_reminders"
"""What Rasa is asked to run for an expiry reminder: it shows the conversation's unshown reminders."""


class Notification(Base):
    """One message to a citizen about a status change of their application."""

    __tablename__ = "notifications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # None for a certificate expiry reminder (reminder_id names it instead).
    application_number = Column(String(40), ForeignKey("applications.number"), index=True)
    reminder_id = Column(Integer, ForeignKey("certificate_reminders.id"))
    person_id = Column(String(18), ForeignKey("persons.id_number"), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    sender = Column(String(128), nullable=False)
    application_status = Column(String(10), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default=PENDING, index=True)
    attempts = Column(Integer, nullable=False, default=0)  # attempts started, also the claim version
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False)
    next_attempt_at = Column(DateTime, nullable=False, index=True)
    claimed_at = Column(DateTime)
    delivered_at = Column(DateTime)


@dataclass(frozen=True)
class OutgoingNotification:
    """What a sender gets: a plain snapshot, usable without a database session."""

    id: int
    application_number: str
    application_status: str
    channel: str
    sender: str
    text: str
    attempt: int = 1
    reminder_id: Optional[int] = None
    """Set for an expiry reminder (:mod:`govservice.notifications.reminders`), not a status change."""


@dataclass(frozen=True)
class DeliveryReport:
    """Outcome of one :func:`deliver_pending` run."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0


Sender = Callable[[OutgoingNotification], None]
"""Delivers one notification; raises on failure (any exception counts as a failed attempt)."""


def rasa_trigger_intent(message: OutgoingNotification) -> None:
    """The default sender: let the assistant tell the citizen, on their latest channel.

    Rasa's ``POST /conversations/{sender}/trigger_intent?output_channel=latest`` (an expiry
    reminder: ``execute`` of :data:`SHOW_REMINDERS_ACTION`), through the one
    Rasa client (:mod:`govservice.settings.rasa`: ``RASA_URL`` and ``RASA_TOKEN``).

    Raises:
        urllib.error.URLError: Rasa is unreachable or answered with an HTTP error status.
    """
    if message.reminder_id is not None:  # not about an application: no intent, just show it
        url = rasa.conversation_url(message.sender, "execute", {"output_channel": "latest"})
        # Then listen, as after any turn: the citizen's next message is read after action_listen.
        for action in (SHOW_REMINDERS_ACTION, "action_listen"):
            rasa.call(url, {"name": action}, timeout=RASA_TIMEOUT_SECONDS)
        return
    url = rasa.conversation_url(message.sender, "trigger_intent", {"output_channel": "latest"})
    entities = {"application_no": message.application_number, "application_status": message.application_status}
    rasa.call(url, {"name": EVENT_INTENT, "entities": entities}, timeout=RASA_TIMEOUT_SECONDS)


_SENDERS: Dict[str, Sender] = {}


def register_sender(channel: str, sender: Optional[Sender]) -> None:
    """Use ``sender`` for notifications on ``channel`` (e.g. "wechat"); None restores the default."""
    if sender is None:
        _SENDERS.pop(channel, None)
    else:
        _SENDERS[channel] = sender


def sender_for(channel: str) -> Sender:
    """The sender registered for ``channel``, else :func:`rasa_trigger_intent`."""
    return _SENDERS.get(channel, rasa_trigger_intent)


def enqueue_status_change(session: Session, app: Application, event: StatusEvent) -> Notification:
    """Add the notification of ``event`` to the outbox in the caller's transaction (flush only).

    Args:
        session: the session in which the status change was made; the caller commits both.
        app: the application that changed.
        event: the change, as returned by the state-machine functions of :mod:`govservice.applications.workflow`.

    Returns:
        The pending notification, due at once.
    """
    notification = Notification(
        application_number=event.number,
        person_id=app.person_id,
        channel=event.channel,
        sender=event.sender,
        application_status=event.status,
        text=event.text,
        status=PENDING,
        attempts=0,
        created_at=event.at,
        next_attempt_at=event.at,
    )
    session.add(notification)
    session.flush()
    return notification


def enqueue_reminder(session: Session, reminder_id: int, person_id: str, channel: str, sender: str, text: str,
                     at: datetime.datetime) -> Notification:
    """Add an expiry reminder to the outbox in the caller's transaction (flush only), due at once."""
    notification = Notification(
        reminder_id=reminder_id,
        person_id=person_id,
        channel=channel,
        sender=sender,
        application_status="",
        text=text,
        status=PENDING,
        attempts=0,
        created_at=at,
        next_attempt_at=at,
    )
    session.add(notification)
    session.flush()
    return notification


def notifications_for_application(session: Session, number: str) -> List[Notification]:
    """The application's notifications, oldest first."""
    query = session.query(Notification).filter(Notification.application_number == number)
    return query.order_by(Notification.id).all()


@contextmanager
def _transaction(target: Target) -> Iterator[Session]:
    with open_session(target) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _claim(target: Target, now: datetime.datetime, limit: int) -> List[OutgoingNotification]:
    """Mark due notifications as being sent; return those this caller won."""
    due = or_(
        and_(Notification.status == PENDING, Notification.next_attempt_at <= now),
        and_(Notification.status == SENDING, Notification.claimed_at < now - CLAIM_TIMEOUT),
    )
    claimed: List[OutgoingNotification] = []
    with _transaction(target) as session:
        for row in session.query(Notification).filter(due).order_by(Notification.id).limit(limit).all():
            # Compare-and-set on state and attempt count: of two concurrent deliverers only one wins a row.
            current = and_(Notification.status == row.status, Notification.attempts == row.attempts)
            won = (
                session.query(Notification)
                .filter(Notification.id == row.id, current)
                .update({"status": SENDING, "claimed_at": now, "attempts": row.attempts + 1}, synchronize_session=False)
            )
            if won:
                claimed.append(
                    OutgoingNotification(
                        id=int(row.id),
                        application_number=str(row.application_number or ""),
                        application_status=str(row.application_status),
                        channel=str(row.channel),
                        sender=str(row.sender),
                        text=str(row.text),
                        attempt=int(row.attempts) + 1,
                        reminder_id=row.reminder_id,
                    )
                )
    return claimed


def backoff(attempts: int) -> datetime.timedelta:
    """Wait before the next attempt: 30 s, 1 min, 2 min, … up to an hour."""
    return min(datetime.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _finish(target: Target, message: OutgoingNotification, error: Optional[str], now: datetime.datetime) -> str:
    """Record the outcome of an attempt; return the notification's new delivery state."""
    with _transaction(target) as session:
        row = session.get(Notification, message.id)
        if row is None:
            return FAILED
        if row.status != SENDING or row.attempts != message.attempt:
            return str(row.status)  # the claim expired and another deliverer took over
        if error is None:
            row.status, row.delivered_at, row.last_error = DELIVERED, now, None
        else:
            row.status = FAILED if row.attempts >= MAX_ATTEMPTS else PENDING
            row.next_attempt_at = now + backoff(int(row.attempts))
            row.last_error = error[:500]
        return str(row.status)


def _send(message: OutgoingNotification) -> Optional[str]:
    """Send one notification; return None on success or the error text."""
    try:
        sender_for(message.channel)(message)
    except Exception as error:  # noqa: BLE001 - any sender failure is an attempt to retry, never a crash
        logger.warning("notification %s on %s not delivered: %s", message.id, message.channel, error)
        return f"{type(error).__name__}: {error}"
    return None


def deliver_pending(target: Target, now: Optional[datetime.datetime] = None, limit: int = 100) -> DeliveryReport:
    """Deliver the due notifications (new ones, failed ones whose backoff passed, expired claims).

    Blocking (database and HTTP): from async code run it in a thread, e.g.
    ``await loop.run_in_executor(None, deliver_pending, url)``. Safe to run concurrently in
    several threads or processes: each notification is claimed by one of them.

    Args:
        target: a database URL (None: the configured one) or a session factory.
        now: the current time; now (UTC, as stored) by default.
        limit: at most this many notifications per run.

    Returns:
        How many were delivered, will be retried, or failed for good.
    """
    moment = stored(now)
    counts = {DELIVERED: 0, PENDING: 0, FAILED: 0}
    for message in _claim(target, moment, limit):
        state = _finish(target, message, _send(message), stored(now))
        counts[state] = counts.get(state, 0) + 1
    return DeliveryReport(delivered=counts[DELIVERED], retrying=counts[PENDING], failed=counts[FAILED])
