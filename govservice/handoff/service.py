"""Handoff as the bot calls it: queue a conversation for a person, or leave a message.

Each call is one transaction (the actions never open a database session, issue 14 item 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from govservice.db import ensure_schema, session_scope
from govservice.handoff import queue
from govservice.handoff.hours import office_hours


@dataclass(frozen=True)
class HandoffRequest:
    """What came of asking for a person: queued (with how many wait ahead), or why not."""

    queued: bool
    in_hours: bool = True
    hours: str = ""
    ahead: int = 0
    ticket: Optional[int] = None


def request_human(channel: str, sender: str) -> HandoffRequest:
    """Queue the conversation when a person can take it (office hours, an agent on duty)."""
    ensure_schema()
    hours = office_hours()
    with session_scope() as session:
        if not hours.is_open() or not queue.agents_on_duty(session):
            return HandoffRequest(queued=False, in_hours=hours.is_open(), hours=hours.describe())
        ticket, ahead = queue.request_live(session, channel, sender)
        return HandoffRequest(queued=True, ahead=ahead, ticket=ticket.id)


def leave_message(channel: str, sender: str, message: str, contact: str) -> Tuple[int, str]:
    """Leave a message for the agents; return the ticket number and the contact as lists show it.

    Raises:
        HandoffError: an empty message, or a contact that is no phone number or e-mail address.
    """
    ensure_schema()
    with session_scope() as session:
        ticket = queue.leave_message(session, channel, sender, message, contact)
        return int(ticket.id), ticket.masked_contact
