"""What an agent does with a handoff ticket, shared by the console pages and its JSON API.

Each step changes the ticket in the back office and tells Rasa, in the order that keeps the two
consistent when Rasa is down: taking claims the ticket first (so two agents cannot both get it),
then pauses the bot and greets the citizen; handing back resumes the bot first and closes the
ticket only when Rasa accepted it, so no conversation stays paused behind a closed ticket.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, Optional

from sanic.request import Request
from sqlalchemy.orm import Session

from govservice.accounts.officers import ADMIN
from govservice.clock import office_iso
from govservice.handoff import queue as handoff
from govservice.handoff.hours import office_hours
from govservice.handoff.models import ACTIVE, LEFT_MESSAGE, LIVE, MESSAGE, WAITING, HandoffTicket
from govservice.handoff.queue import HandoffError
from staff.auth import StaffUser
from staff.console import rasa_client
from staff.web import in_transaction

MAX_REPLY_CHARS = 1000
QUEUE_STATUSES = (WAITING, ACTIVE, MESSAGE)


def ticket_json(ticket: HandoffTicket, ahead: Optional[int] = None, *, full_contact: bool = False) -> Dict[str, Any]:
    """A ticket for the API and the pages; the contact is masked unless ``full_contact``."""
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "kind_label": ticket.kind_label,
        "status": ticket.status,
        "status_label": ticket.status_label,
        "channel": ticket.channel,
        "sender": ticket.sender,
        "ahead": ahead,
        "position": ahead + 1 if ahead is not None else None,
        "agent": ticket.agent,
        "agent_name": ticket.agent_name,
        "contact": ticket.contact if full_contact else ticket.masked_contact,
        "message": ticket.message,
        "created_at": office_iso(ticket.created_at),
        "taken_at": office_iso(ticket.taken_at),
        "closed_at": office_iso(ticket.closed_at),
    }


def _overview(session: Session, username: str) -> Dict[str, Any]:
    tickets = handoff.list_tickets(session, QUEUE_STATUSES)
    waiting = [t for t in tickets if t.status == WAITING]
    hours = office_hours()
    return {
        "office_hours": hours.describe(),
        "in_office_hours": hours.is_open(),
        "agents_on_duty": len(handoff.agents_on_duty(session)),
        "on_duty": handoff.is_on_duty(session, username),
        "tickets": [ticket_json(t, waiting.index(t) if t in waiting else None) for t in tickets],
    }


async def overview(request: Request, user: StaffUser) -> Dict[str, Any]:
    """The queue: waiting and active conversations (queue order) and open messages, plus duty state."""
    return await in_transaction(request, partial(_overview, username=user.username))


def _detail(session: Session, ticket_id: int) -> Dict[str, Any]:
    ticket = handoff.get_ticket(session, ticket_id)
    return ticket_json(ticket, handoff.ahead_of(session, ticket), full_contact=True)


async def detail(request: Request, ticket_id: int) -> Dict[str, Any]:
    """One ticket with its full contact and, for a live conversation, the transcript from Rasa.

    ``transcript_error`` says why the transcript is missing (Rasa unreachable); the ticket still shows.

    Raises:
        HandoffError: no such ticket.
    """
    data = await in_transaction(request, partial(_detail, ticket_id=ticket_id))
    data["transcript"], data["transcript_error"] = [], ""
    if data["kind"] == LIVE:
        try:
            data["transcript"] = await rasa_client.transcript(data["sender"])
        except rasa_client.RasaUnavailable as error:
            data["transcript_error"] = str(error)
    return data


async def take(request: Request, user: StaffUser, ticket_id: int) -> Dict[str, Any]:
    """Claim a waiting conversation, pause the bot and greet the citizen.

    Raises:
        HandoffError: the ticket cannot be taken (already served, closed, a message).
        RasaUnavailable: claimed, but Rasa could not be told; taking again retries.
    """
    ticket = await in_transaction(request, lambda s: handoff.take(s, ticket_id, user.username, user.actor))
    await rasa_client.take_over(str(ticket.sender), str(ticket.channel), user.actor)
    return ticket_json(ticket, 0)


def _own_active(session: Session, ticket_id: int, user: StaffUser) -> HandoffTicket:
    ticket = handoff.get_ticket(session, ticket_id)
    if ticket.status != ACTIVE:
        raise HandoffError(f"工单 #{ticket_id} 当前{ticket.status_label}，不能回复")
    if ticket.agent != user.username:
        raise HandoffError(f"工单 #{ticket_id} 由{ticket.agent_name}接待，请勿代为回复")
    return ticket


async def reply(request: Request, user: StaffUser, ticket_id: int, text: str) -> None:
    """Send the agent's words to the citizen's channel.

    Raises:
        HandoffError: empty or too long text, or not the agent's active conversation.
        RasaUnavailable: Rasa could not deliver it.
    """
    text = (text or "").strip()
    if not text:
        raise HandoffError("回复内容不能为空")
    if len(text) > MAX_REPLY_CHARS:
        raise HandoffError(f"回复不能超过{MAX_REPLY_CHARS}字")
    ticket = await in_transaction(request, lambda s: _own_active(s, ticket_id, user))
    await rasa_client.append(str(ticket.sender), str(ticket.channel), [rasa_client.agent_message(text, user.actor)])


def _closable(session: Session, ticket_id: int, user: StaffUser) -> HandoffTicket:
    ticket = handoff.get_ticket(session, ticket_id)
    if ticket.status == ACTIVE and ticket.agent != user.username and user.role != ADMIN:
        raise HandoffError(f"工单 #{ticket_id} 由{ticket.agent_name}接待，只有该客服或管理员可以结束")
    return ticket


async def close(request: Request, user: StaffUser, ticket_id: int) -> Dict[str, Any]:
    """Hand a conversation back to the bot (or mark a message answered) and close the ticket.

    Raises:
        HandoffError: no such ticket, already closed, or another agent's conversation.
        RasaUnavailable: Rasa did not resume the bot; the ticket stays open.
    """
    ticket = await in_transaction(request, lambda s: _closable(s, ticket_id, user))
    if ticket.kind != LEFT_MESSAGE and ticket.status != handoff.CLOSED:
        await rasa_client.hand_back(str(ticket.sender), str(ticket.channel))
    closed = await in_transaction(request, lambda s: handoff.close(s, ticket_id, user.actor))
    return ticket_json(closed)


async def set_duty(request: Request, user: StaffUser, on_duty: bool) -> bool:
    """Put the agent on or off duty; return the new state."""
    await in_transaction(request, lambda s: handoff.set_on_duty(s, user.username, on_duty, user.actor))
    return on_duty

