"""Console login sessions: a signed cookie naming a server-side session, and its CSRF token.

The cookie holds a random session token and its HMAC under the console secret, so a forged or
altered cookie is rejected before the database is asked. The database keeps only the token's
SHA-256, the officer and the expiry: logging out deletes the row, so a copied cookie stops
working at once. The CSRF token of a session is an HMAC of the session token, so it needs no
storage and differs per session.

The secret is ``STAFF_SECRET`` or, when unset, a random key written to ``var/staff_secret.key``
(mode 0600) on first start; it never goes into git.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from functools import cache
from typing import Optional, Tuple

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Session

from govservice.accounts.officers import Officer
from govservice.clock import stored
from govservice.orm import Base
from govservice.settings.secrets import STAFF_SECRET, stored_secret

COOKIE_NAME = "staff_session"
SESSION_HOURS = 8


class ConsoleSession(Base):
    """A logged-in console session; deleted at logout."""

    __tablename__ = "console_sessions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    token_hash = Column(String(64), unique=True, nullable=False)
    username = Column(String(40), ForeignKey("officers.username"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)


@cache
def console_secret() -> bytes:
    """``STAFF_SECRET``, else the random key in ``var/staff_secret.key`` (created on first use)."""
    return stored_secret(STAFF_SECRET).encode("utf-8")


def _mac(purpose: str, value: str) -> str:
    return hmac.new(console_secret(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign(token: str) -> str:
    """The cookie value for a session token."""
    return f"{token}.{_mac('session', token)}"


def unsign(cookie: Optional[str]) -> Optional[str]:
    """The session token of a well-signed cookie value, else None."""
    token, _, mac = (cookie or "").rpartition(".")
    if not token or len(cookie or "") > 200 or not hmac.compare_digest(mac, _mac("session", token)):
        return None
    return token


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session, for its forms and ``X-CSRF-Token`` headers."""
    return _mac("csrf", session_token)


def csrf_matches(session_token: str, submitted: Optional[str]) -> bool:
    """Whether ``submitted`` is the session's CSRF token (constant-time)."""
    return bool(submitted) and hmac.compare_digest(str(submitted), csrf_token(session_token))


def start_session(session: Session, username: str, now: Optional[datetime.datetime] = None) -> str:
    """Open a session for ``username`` and return its token (expired sessions are purged on the way)."""
    moment = stored(now)
    session.query(ConsoleSession).filter(ConsoleSession.expires_at < moment).delete(synchronize_session=False)
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_hash(token), username=username, created_at=moment,
            expires_at=moment + datetime.timedelta(hours=SESSION_HOURS),
        )
    )
    session.flush()
    return token


def session_officer(
    session: Session, token: str, now: Optional[datetime.datetime] = None
) -> Optional[Tuple[Officer, ConsoleSession]]:
    """The active officer of an unexpired session, else None."""
    row = session.query(ConsoleSession).filter_by(token_hash=_hash(token)).one_or_none()
    if row is None or row.expires_at < stored(now):
        return None
    officer = session.query(Officer).filter_by(username=row.username).one_or_none()
    return (officer, row) if officer is not None and officer.active else None


def end_session(session: Session, token: str) -> None:
    """Delete the session: its cookie no longer works anywhere."""
    session.query(ConsoleSession).filter_by(token_hash=_hash(token)).delete(synchronize_session=False)
