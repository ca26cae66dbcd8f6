"""Retention: conversations and the records around them are kept only as long as they serve.

* Conversations in Rasa's tracker store: deleted :data:`DEFAULT_DAYS` days (``RETENTION_DAYS``)
  after their last event, or :data:`DEFAULT_LOGGED_IN_DAYS` (``RETENTION_LOGGED_IN_DAYS``) when the
  citizen logged in during it (personal data was shown there). The tracker-store side lives in
  :mod:`bot.conversation_retention` (it needs Rasa); this module decides the cut-off times.
* Conversation text in the back office: unanswered-question clusters not seen for
  ``RETENTION_DAYS`` are deleted; handoff tickets older than that lose their contact and message.
* Login records, once their purpose has ended (:func:`purge_login_records`): one-time codes after
  the 24-hour send-rate window, login attempts (ID number and typed name) with them, bindings idle
  past the login timeout, and export links once expired.

Run by ``scripts/run.sh`` at start (``python -m govservice.privacy.retention``) and every
``RETENTION_INTERVAL_SECONDS`` inside the Rasa server (:mod:`connectors.retention`), which also
deletes the conversations citizens asked to delete. Functions flush, never commit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import yaml
from sqlalchemy.orm import Session

import govservice.conversation_archive  # noqa: F401  (registers the archive of long conversations)
import govservice.privacy.models  # noqa: F401  (registers the export and erasure tables)
from govservice import settings
from govservice.clock import utc_now
from govservice.db import ensure_schema, session_scope
from govservice.faq.models import UnansweredQuestion
from govservice.handoff.models import HandoffTicket
from govservice.identity import auth
from govservice.identity.models import Binding
from govservice.privacy.models import ConversationErasure, ExportLink

DEFAULT_DAYS = settings.Settings.retention_days
DEFAULT_LOGGED_IN_DAYS = settings.Settings.retention_logged_in_days
ERASURE_LOG_DAYS = 7
"""Done erasure requests (a sender id each) are kept this long, to show they were carried out."""


@dataclass(frozen=True)
class Policy:
    """How long conversations are kept, in days."""

    days: int = DEFAULT_DAYS
    logged_in_days: int = DEFAULT_LOGGED_IN_DAYS

    @classmethod
    def configured(cls) -> Policy:
        """``RETENTION_DAYS`` and ``RETENTION_LOGGED_IN_DAYS`` as :mod:`govservice.settings` read them."""
        configured = settings.current()
        return cls(configured.retention_days, configured.retention_logged_in_days)

    def cutoff(self, now: datetime.datetime, logged_in: bool) -> datetime.datetime:
        """Conversations whose last event is older than this are deleted."""
        return now - datetime.timedelta(days=self.logged_in_days if logged_in else self.days)

    def is_expired(self, last_event: datetime.datetime, logged_in: bool, now: datetime.datetime) -> bool:
        """True when a conversation last active at ``last_event`` has outlived its retention."""
        return last_event < self.cutoff(now, logged_in)


def interval_seconds() -> float:
    """``RETENTION_INTERVAL_SECONDS``: how often the Rasa server's retention task runs."""
    return settings.current().retention_interval_seconds


def purge_login_records(session: Session, now: datetime.datetime) -> Dict[str, int]:
    """Delete login records whose purpose has ended; counts per kind.

    Logins, their codes and spent limits go by :func:`govservice.identity.auth.purge_expired` (the rules
    live with the login); bindings idle past :data:`govservice.identity.auth.IDLE_TIMEOUT` have already
    ended (``auth.current_subject``), and export links once they expired.
    """
    logins = auth.purge_expired(session, now)
    bindings = (
        session.query(Binding)
        .filter(Binding.last_seen < now - auth.IDLE_TIMEOUT)
        .delete(synchronize_session=False)
    )
    links = session.query(ExportLink).filter(ExportLink.expires_at < now).delete(synchronize_session=False)
    session.flush()
    return {"login_records": logins, "bindings": bindings, "export_links": links}


def purge_back_office(session: Session, policy: Policy, now: datetime.datetime) -> Dict[str, int]:
    """Age out conversation text kept in the back office, then the login records; counts per kind."""
    cutoff = policy.cutoff(now, logged_in=False)
    unanswered = (
        session.query(UnansweredQuestion)
        .filter(UnansweredQuestion.last_seen < cutoff)
        .delete(synchronize_session=False)
    )
    tickets = (
        session.query(HandoffTicket)
        .filter(HandoffTicket.created_at < cutoff)
        .filter(HandoffTicket.contact.isnot(None) | HandoffTicket.message.isnot(None))
        .update({HandoffTicket.contact: None, HandoffTicket.message: None}, synchronize_session=False)
    )
    erasures = (
        session.query(ConversationErasure)
        .filter(ConversationErasure.done_at < now - datetime.timedelta(days=ERASURE_LOG_DAYS))
        .delete(synchronize_session=False)
    )
    counts = {"unanswered_questions": unanswered, "handoff_tickets_anonymised": tickets, "erasure_log": erasures}
    counts.update(purge_login_records(session, now))
    return counts


def pending_erasures(session: Session) -> List[Tuple[int, str]]:
    """The (id, sender) of conversation deletions asked for and not carried out yet."""
    rows = session.query(ConversationErasure.id, ConversationErasure.sender)
    rows = rows.filter(ConversationErasure.done_at.is_(None))
    return [(row_id, sender) for row_id, sender in rows.order_by(ConversationErasure.id)]


def mark_erased(session: Session, ids: List[int], now: datetime.datetime) -> None:
    """Record that these deletions were carried out."""
    if ids:
        session.query(ConversationErasure).filter(ConversationErasure.id.in_(ids)).update(
            {ConversationErasure.done_at: now}, synchronize_session=False
        )


def run_back_office(policy: Policy, now: Optional[datetime.datetime] = None) -> Dict[str, int]:
    """One pass over the back-office tables, committed."""
    ensure_schema()
    with session_scope() as session:
        return purge_back_office(session, policy, now or utc_now())


def in_memory_store(endpoints_path: str) -> bool:
    """True when the endpoints file keeps conversations in memory (Rasa's default, and ours).

    Such conversations live inside the Rasa server, out of reach of this process; the CLI then
    skips loading Rasa (seconds of start-up) and leaves them to the server's own task.
    """
    with open(endpoints_path, encoding="utf-8") as file:
        config = (yaml.safe_load(file) or {}).get("tracker_store")
    # Our redacting wrapper keeps the real store under "inner", in memory when there is none.
    while isinstance(config, dict) and str(config.get("type", "")).endswith("RedactingTrackerStore"):
        config = config.get("inner")
    return not isinstance(config, dict) or config.get("type") in (None, "in_memory")


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m govservice.privacy.retention``: one pass over the back office and the tracker store."""
    try:
        policy, endpoints = Policy.configured(), settings.current().endpoints
    except settings.SettingsError as error:
        print(f"设置有误：{error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description="按保存期限删除过期的会话、登录记录和留言联系方式。")
    parser.add_argument("--endpoints", default=endpoints)
    args = parser.parse_args(argv)
    now = utc_now()
    counts = run_back_office(policy, now)
    if not in_memory_store(args.endpoints):
        # The composition root: the tracker-store side needs Rasa, which the back office does not import.
        from bot import conversation_retention

        report = asyncio.run(conversation_retention.run_configured(args.endpoints, policy, now))
        counts.update(asdict(report))
    print(
        f"保存期限：会话 {policy.days} 天，登录过的会话 {policy.logged_in_days} 天。",
        "；".join(f"{key}={value}" for key, value in counts.items()),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
