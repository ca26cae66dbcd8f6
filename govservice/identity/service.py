"""Logins as the bot and the channels call them: each call is one transaction.

The actions and connectors never open a database session themselves (issue 14, item 5): these
functions open it, commit on success, and hand back plain values and dataclasses.
"""

from __future__ import annotations

from typing import Optional

from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity import auth
from govservice.identity.models import Company, Person
from govservice.identity.sms import get_gateway


def current_subject(channel: str, sender: str) -> Optional[auth.Subject]:
    """The person (and company) logged in on ``sender``, refreshing the idle timer; None if nobody."""
    with session_scope() as session:
        return auth.current_subject(session, channel, sender, utc_now())


def logout(channel: str, sender: str) -> bool:
    """End the login on ``sender``; True when there was one."""
    with session_scope() as session:
        return auth.logout(session, channel, sender)


def begin_login(kind: str, subject_id: str, channel: str, sender: str, source: Optional[str] = None) -> str:
    """Start a login (``person`` or ``company``) and return its opaque reference (:func:`auth.begin_login`)."""
    with session_scope() as session:
        return auth.begin_login(session, kind, subject_id, channel, sender, utc_now(), source=source)


def request_code(ref: str, proof: Optional[str]) -> auth.CodeResult:
    """Send (or resend, without ``proof``) the one-time code of login ``ref`` by the configured gateway."""
    with session_scope() as session:
        return auth.request_code(session, ref, proof, get_gateway(), utc_now())


def verify_code(ref: str, code: str, channel: str, sender: str) -> auth.VerifyResult:
    """Check the code of login ``ref``; a right one binds ``sender`` to the person."""
    with session_scope() as session:
        return auth.verify_code(session, ref, code, channel, sender, utc_now())


def person_name(person_id: str) -> Optional[str]:
    """The person's name as the register holds it, or None for an unknown ID number."""
    with session_scope() as session:
        person = session.get(Person, person_id)
        return str(person.name) if person is not None else None


def company_name(credit_code: str) -> Optional[str]:
    """The company's registered name, or None for an unknown credit code."""
    with session_scope() as session:
        company = session.get(Company, credit_code)
        return str(company.name) if company is not None else None
