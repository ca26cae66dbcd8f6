"""Server-issued session tokens of the REST and socket.io channels (login binding, issue 12 item 8).

A REST ``sender`` or a socket.io ``session_id`` is chosen by the client, so it proves nothing.
The first message of a conversation gets a token from the server (``secrets.token_urlsafe(32)``,
256 random bits); every later message of that conversation must carry it. Only a SHA-256 of the
token is kept. A token lapses after :data:`SESSION_IDLE` without a message; whoever then starts
the conversation again gets a new token, and any login still bound to it is ended first, so a new
holder never inherits someone else's login. Functions flush, never commit: the caller owns the
transaction (:func:`govservice.db.session_scope`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy.orm import Session

from govservice.identity.models import Binding, ChannelSession

SESSION_IDLE = timedelta(hours=24)
"""As long as the widget keeps a conversation (its ``historyHours``)."""
TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 128
ISSUED, CONFIRMED, REFUSED = "issued", "confirmed", "refused"
REFUSED_TEXT = (
    "会话凭证无效或缺失：请在消息中带上上次回复给出的 session；"
    "如要开始新的对话，请换一个新的 sender。"
)


@dataclass(frozen=True)
class SessionCheck:
    """Outcome of :func:`check`: ``issued`` or ``confirmed`` with the token to use, or ``refused``."""

    status: str
    token: Optional[str] = None

    @property
    def ok(self) -> bool:
        """The message may go on."""
        return self.status != REFUSED


def token_hash(token: str) -> str:
    """What is stored of a token: 256 random bits need no key, a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean(token: object) -> Optional[str]:
    return token if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS else None


def check(
    session: Session, channel: str, sender: str, token: object, now: datetime, issue: bool = True
) -> SessionCheck:
    """Admit a message of ``sender`` on ``channel`` that carries ``token``.

    Args:
        session: database session.
        channel: ``rest`` or ``socketio``.
        sender: the conversation id the client sent.
        token: the token the client sent, if any (anything else is taken as none).
        now: current time.
        issue: whether a conversation without a live token may be started (the upload endpoint
            only checks).

    Returns:
        ``confirmed`` for the right token of a live conversation; ``issued`` with a fresh token for
        a conversation that has none (new, or idle past :data:`SESSION_IDLE`); else ``refused``.
    """
    row = session.get(ChannelSession, (channel, sender))
    given = _clean(token)
    if row is not None and now - row.last_seen <= SESSION_IDLE:
        if given is not None and hmac.compare_digest(row.token_hash, token_hash(given)):
            row.last_seen = now
            return SessionCheck(CONFIRMED, given)
        return SessionCheck(REFUSED)
    if not issue:
        return SessionCheck(REFUSED)
    fresh = secrets.token_urlsafe(TOKEN_BYTES)
    if row is None:
        row = ChannelSession(channel=channel, sender=sender, created_at=now)
        session.add(row)
    row.token_hash, row.created_at, row.last_seen = token_hash(fresh), now, now
    # A login left on this conversation belonged to the previous token's holder.
    session.query(Binding).filter_by(channel=channel, sender=sender).delete(synchronize_session=False)
    session.flush()
    return SessionCheck(ISSUED, fresh)


def purge_idle(session: Session, now: datetime) -> int:
    """Delete the tokens of conversations idle past :data:`SESSION_IDLE`; how many went."""
    idle = session.query(ChannelSession).filter(ChannelSession.last_seen < now - SESSION_IDLE)
    return int(idle.delete(synchronize_session=False))
