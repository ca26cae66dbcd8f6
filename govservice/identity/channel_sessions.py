"""Server-issued session tokens of the REST and socket.io channels (login binding, issue 12 item 8).

A REST ``sender`` or a socket.io ``session_id`` is chosen by the client, so it proves nothing.
The first message of a conversation gets a token from the server (``secrets.token_urlsafe(32)``,
256 random bits); every later message of that conversation must carry it. Only a SHA-256 of the
token is kept. A token lapses after :data:`SESSION_IDLE` without a message; whoever then starts
the conversation again gets a new token, and any login still bound to it is ended first, so a new
holder never inherits someone else's login.

A REST token is *handed over* when the reply that carries it has been written (a socket.io token
at once: a socket refused its session simply gets a fresh one). A conversation whose
token never was (its server died during the first turn, so the citizen got nginx's busy reply and
no token) may be issued a new one by a message without a token: it holds one unanswered turn and no
login, and refusing it left the citizen locked out of their own conversation (the fault test saw
403s after a Rasa server was killed). A token that reached its client is never re-issued while live.

:func:`check` and :func:`purge_idle` flush, never commit: the caller owns the transaction
(:func:`govservice.db.session_scope`). :func:`admit` and :func:`hand_over` are the channels'
service functions: each is one transaction, blocking (run them off the event loop).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Tuple

from cachetools import TTLCache
from sqlalchemy.orm import Session

from govservice.clock import utc_now
from govservice.db import ensure_schema, session_scope
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
    session: Session,
    channel: str,
    sender: str,
    token: object,
    now: datetime,
    issue: bool = True,
    handed_over: bool = False,
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
        handed_over: a token issued now counts as handed over at once (never issued again).

    Returns:
        ``confirmed`` for the right token of a live conversation; ``issued`` with a fresh token for
        a conversation that has none (new, or idle past :data:`SESSION_IDLE`); else ``refused``.
    """
    row = session.get(ChannelSession, (channel, sender))
    given = _clean(token)
    if row is not None and now - row.last_seen <= SESSION_IDLE:
        if given is not None and hmac.compare_digest(row.token_hash, token_hash(given)):
            row.last_seen, row.handed_over = now, True  # the client had it, whatever hand_over recorded
            return SessionCheck(CONFIRMED, given)
        if given is not None or not issue or row.handed_over:
            return SessionCheck(REFUSED)
        # Never handed over (see the module's docstring): issue a new token below.
    elif not issue:
        return SessionCheck(REFUSED)
    fresh = secrets.token_urlsafe(TOKEN_BYTES)
    if row is None:
        row = ChannelSession(channel=channel, sender=sender, created_at=now)
        session.add(row)
    row.token_hash, row.created_at, row.last_seen, row.handed_over = token_hash(fresh), now, now, handed_over
    # A login left on this conversation belonged to the previous token's holder.
    session.query(Binding).filter_by(channel=channel, sender=sender).delete(synchronize_session=False)
    session.flush()
    return SessionCheck(ISSUED, fresh)


def purge_idle(session: Session, now: datetime) -> int:
    """Delete the tokens of conversations idle past :data:`SESSION_IDLE`; how many went."""
    idle = session.query(ChannelSession).filter(ChannelSession.last_seen < now - SESSION_IDLE)
    return int(idle.delete(synchronize_session=False))


CONFIRMED_CACHE_SECONDS = 60.0
"""How long a confirmed token is admitted from memory before the database is asked again.

The check was 13.7 % of a Rasa server's thread-pool time under load (bench section 13): a
transaction per turn. Skipping it for a minute is safe because a live token changes only after
:data:`SESSION_IDLE` without a message, and ``last_seen`` written a minute late moves that by a
minute in 24 hours.
"""
_confirmed: TTLCache[Tuple[str, str], str] = TTLCache(maxsize=50_000, ttl=CONFIRMED_CACHE_SECONDS)
_confirmed_lock = threading.Lock()  # TTLCache is not thread-safe; admit runs in worker threads


def admit(channel: str, sender: str, token: object, issue: bool = True, handed_over: bool = False) -> SessionCheck:
    """Check (or issue) a conversation's token: :func:`check` in its own transaction.

    Args:
        channel: ``rest`` or ``socketio``.
        sender: the conversation id the client sent.
        token: the token the client sent, if any.
        issue: whether a conversation without a live token may be started.
        handed_over: as for :func:`check`.

    Returns:
        As :func:`check`; a token confirmed in the last :data:`CONFIRMED_CACHE_SECONDS` is
        confirmed again without the database.
    """
    given = _clean(token)
    if given is not None:
        with _confirmed_lock:
            known = _confirmed.get((channel, sender))
        if known is not None and hmac.compare_digest(known, token_hash(given)):
            return SessionCheck(CONFIRMED, given)
    ensure_schema()
    with session_scope() as session:
        result = check(session, channel, sender, token, utc_now(), issue=issue, handed_over=handed_over)
    if result.status == CONFIRMED and given is not None:
        with _confirmed_lock:
            _confirmed[(channel, sender)] = token_hash(given)
    return result


def hand_over(channel: str, sender: str, token: str) -> None:
    """Record that the reply carrying a newly issued ``token`` was written to its client."""
    with session_scope() as session:
        row = session.get(ChannelSession, (channel, sender))
        if row is not None and hmac.compare_digest(row.token_hash, token_hash(token)):
            row.handed_over = True


def forget_confirmed() -> None:
    """Empty the in-memory confirmations (tests that move the clock or delete rows)."""
    with _confirmed_lock:
        _confirmed.clear()
