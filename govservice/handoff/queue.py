"""Human handoff (转人工): the agents' queue of live conversations and citizens' messages.

This is the back-office side only. Whether the bot talks is Rasa's own state: the handoff
action returns ``ConversationPaused`` and the console appends ``resume`` through Rasa's
conversations API. A ticket records who waits, who serves and how it ended, so the console can
show a queue; the transcript is never copied here, it is read from Rasa when shown.

A live ticket goes waiting → active (an agent took it) → closed (handed back). Outside office
hours, or with no agent on duty, the citizen leaves a message and a contact instead: a ticket in
status ``message`` until an agent closes it. Functions flush, never commit: the caller owns the
transaction. Times are naive local time, as elsewhere in the back office.
"""

from __future__ import annotations

import datetime
import re
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from govservice.audit import record_audit
from govservice.clock import stored
from govservice.handoff.hours import OfficeHours, office_hours
from govservice.handoff.models import (
    ACTIVE,
    CLOSED,
    LEFT_MESSAGE,
    LIVE,
    MESSAGE,
    WAITING,
    AgentDuty,
    HandoffTicket,
)
from govservice.identity.masking import find_identifiers, fold_text, redact_text

MAX_MESSAGE_CHARS = 500
# Searched inside what was typed, after spaces and brackets are dropped (mobiles: find_identifiers).
_LANDLINE = re.compile(r"(?<![0-9])(0[0-9]{2,3})-?([0-9]{7,8})(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,120}\.[A-Za-z]{2,}")


class HandoffError(ValueError):
    """A handoff step the back office refuses; ``str(error)`` is a Chinese message for staff."""


def clean_contact(text: str) -> Optional[str]:
    """The mobile, landline (区号-号码) or e-mail address in what the citizen typed, else None."""
    compact = re.sub(r"[\s()]", "", fold_text(text or ""))  # full-width digits, brackets and dashes folded
    email = _EMAIL.search(compact)
    if email:
        return email.group(0).lower()
    mobiles = [found.value for found in find_identifiers(text or "") if found.kind == "mobile"]
    if mobiles:
        return mobiles[0]
    landline = _LANDLINE.search(compact)
    return f"{landline.group(1)}-{landline.group(2)}" if landline else None


def _now(now: Optional[datetime.datetime]) -> datetime.datetime:
    return stored(now)


def set_on_duty(
    session: Session, username: str, on_duty: bool, actor: str, now: Optional[datetime.datetime] = None
) -> AgentDuty:
    """Put an agent on or off duty; audited."""
    duty = session.get(AgentDuty, username) or AgentDuty(username=username)
    duty.on_duty, duty.updated_at = on_duty, _now(now)
    session.add(duty)
    record_audit(session, actor, "handoff_duty", "officer", username, "开始值班" if on_duty else "结束值班", _now(now))
    session.flush()
    return duty


def agents_on_duty(session: Session) -> List[str]:
    """Usernames of the agents on duty."""
    return [name for (name,) in session.query(AgentDuty.username).filter(AgentDuty.on_duty.is_(True))]


def is_on_duty(session: Session, username: str) -> bool:
    """Whether ``username`` is on duty."""
    duty = session.get(AgentDuty, username)
    return bool(duty is not None and duty.on_duty)


def agent_available(
    session: Session, now: Optional[datetime.datetime] = None, hours: Optional[OfficeHours] = None
) -> bool:
    """A person can take a conversation now: within office hours and at least one agent on duty."""
    return (hours or office_hours()).is_open(now) and bool(agents_on_duty(session))


def open_ticket(session: Session, channel: str, sender: str) -> Optional[HandoffTicket]:
    """The conversation's waiting or active live ticket, if any."""
    return (
        session.query(HandoffTicket)
        .filter_by(channel=channel, sender=sender, kind=LIVE)
        .filter(HandoffTicket.status.in_((WAITING, ACTIVE)))
        .order_by(HandoffTicket.id.desc())
        .first()
    )


def ahead_of(session: Session, ticket: HandoffTicket) -> int:
    """How many waiting conversations are before ``ticket`` (0 once an agent took it)."""
    if ticket.status != WAITING:
        return 0
    earlier = or_(
        HandoffTicket.created_at < ticket.created_at,
        and_(HandoffTicket.created_at == ticket.created_at, HandoffTicket.id < ticket.id),
    )
    return int(session.query(HandoffTicket).filter(HandoffTicket.status == WAITING, earlier).count())


def request_live(
    session: Session, channel: str, sender: str, now: Optional[datetime.datetime] = None
) -> Tuple[HandoffTicket, int]:
    """Queue the conversation for an agent (again asking keeps its place); return the ticket and how many are ahead."""
    ticket = open_ticket(session, channel, sender)
    if ticket is None:
        ticket = HandoffTicket(kind=LIVE, channel=channel, sender=sender, status=WAITING, created_at=_now(now))
        session.add(ticket)
        session.flush()
    return ticket, ahead_of(session, ticket)


def leave_message(
    session: Session, channel: str, sender: str, message: str, contact: str, now: Optional[datetime.datetime] = None
) -> HandoffTicket:
    """Record a citizen's message and contact for an agent to answer later.

    Raises:
        HandoffError: an empty message or a contact that is no phone number or e-mail address.
    """
    text = redact_text((message or "").strip())[:MAX_MESSAGE_CHARS]
    if not text:
        raise HandoffError("留言内容不能为空")
    cleaned = clean_contact(contact)
    if cleaned is None:
        raise HandoffError("联系方式须为手机号、固定电话或电子邮箱")
    ticket = HandoffTicket(
        kind=LEFT_MESSAGE, channel=channel, sender=sender, status=MESSAGE, contact=cleaned, message=text,
        created_at=_now(now),
    )
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(session: Session, ticket_id: int) -> HandoffTicket:
    """The ticket ``ticket_id``.

    Raises:
        HandoffError: no such ticket.
    """
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise HandoffError(f"工单 #{ticket_id} 不存在")
    return ticket


def list_tickets(
    session: Session, statuses: Sequence[str] = (WAITING, ACTIVE), limit: int = 200
) -> List[HandoffTicket]:
    """Tickets with one of ``statuses``, oldest first (queue order)."""
    rows = session.query(HandoffTicket).filter(HandoffTicket.status.in_(tuple(statuses)))
    return rows.order_by(HandoffTicket.created_at, HandoffTicket.id).limit(limit).all()


def take(
    session: Session, ticket_id: int, agent: str, agent_name: str, now: Optional[datetime.datetime] = None
) -> HandoffTicket:
    """An agent takes a waiting conversation; taking one's own active ticket again is harmless.

    One conditional UPDATE, so two agents clicking at once cannot both get it.

    Raises:
        HandoffError: no such ticket, a message ticket, or one already served by someone else or closed.
    """
    ticket = get_ticket(session, ticket_id)
    if ticket.kind != LIVE:
        raise HandoffError("留言工单无需接入，请按留言的联系方式回复后标记为已处理")
    if ticket.status == ACTIVE and ticket.agent == agent:
        return ticket
    moment = _now(now)
    taken = (
        session.query(HandoffTicket)
        .filter(HandoffTicket.id == ticket_id, HandoffTicket.status == WAITING)
        .update({"status": ACTIVE, "agent": agent, "agent_name": agent_name, "taken_at": moment},
                synchronize_session=False)
    )
    session.refresh(ticket)
    if not taken:
        holder = f"已由{ticket.agent_name}接待" if ticket.status == ACTIVE else f"已{ticket.status_label}"
        raise HandoffError(f"工单 #{ticket_id} {holder}")
    record_audit(session, agent_name, "handoff_take", "handoff", ticket_id, f"接入会话（{ticket.channel}）", moment)
    session.flush()
    return ticket


def close(session: Session, ticket_id: int, actor: str, now: Optional[datetime.datetime] = None) -> HandoffTicket:
    """End a ticket: a conversation is handed back to the bot, a message is marked answered.

    Raises:
        HandoffError: no such ticket, or it is already closed.
    """
    ticket = get_ticket(session, ticket_id)
    if ticket.status == CLOSED:
        raise HandoffError(f"工单 #{ticket_id} 已结束")
    moment = _now(now)
    ticket.status, ticket.closed_at, ticket.closed_by = CLOSED, moment, actor
    detail = "留言已处理" if ticket.kind == LEFT_MESSAGE else "结束人工服务，交还智能助手"
    record_audit(session, actor, "handoff_close", "handoff", ticket_id, detail, moment)
    session.flush()
    return ticket
