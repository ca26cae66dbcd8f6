"""Who is talking: the channel sender and the person bound to it after login."""

from __future__ import annotations

from typing import Optional, Tuple

from rasa_sdk import Tracker

from govservice.identity import auth, service


def channel_and_sender(tracker: Tracker) -> Tuple[str, str]:
    """The (channel, sender) pair a login binds; logins stay per channel."""
    return tracker.get_latest_input_channel() or "rest", tracker.sender_id


def current_subject(tracker: Tracker) -> Optional[auth.Subject]:
    """The logged-in person for this conversation, refreshing the idle timer."""
    return service.current_subject(*channel_and_sender(tracker))


def library_of(subject: auth.Subject) -> Tuple[str, str]:
    """Whose certificate library a login sees, as ``(holder_id, holder_kind)``.

    A company login (法人) sees the company's library only; the representative's own
    certificates need the representative's own (person) login.
    """
    if subject.company_code:
        return subject.company_code, "company"
    return subject.person_id, "person"
