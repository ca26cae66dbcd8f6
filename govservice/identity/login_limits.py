"""Send and guess limits of citizens' logins: per ID number with the name given, per sender, per source.

Each limit key is a keyed hash, so no raw number is kept for rate limiting:

* ``subject``: the ID number (or credit code) *together with* the name (or representative's ID)
  typed. The owner's logins all share one key; a stranger who knows only the number uses keys of
  wrong names, so their codes and wrong guesses never lock the owner out. A key behaves the same
  whether its name matches or not, so the limits reveal nothing about the name either.
* ``sender``: the conversation (channel and sender id), across every number it tries.
* ``source``: the client as the channel saw it (a REST or socket.io client address, a WeChat
  openid), across senders; by default the channel and sender again. Looser, as many people may
  share an address.

A code request is refused while any key is locked, within a minute of the last one for the
subject or the sender, or past a key's daily count. A code guess takes a slot of every key
(:mod:`govservice.limits`) before it is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from sqlalchemy.orm import Session

from govservice import limits
from govservice.identity.models import LoginAttempt, LoginSend
from govservice.settings.secrets import keyed_hash

RESEND_INTERVAL = timedelta(minutes=1)
DAILY_WINDOW = timedelta(hours=24)
DAILY_LIMIT = 10
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)


@dataclass(frozen=True)
class Scope:
    """How much one kind of key may do."""

    name: str
    resend: bool  # at most one code a RESEND_INTERVAL
    daily: int  # codes per DAILY_WINDOW
    guesses: limits.Limit  # wrong codes before a lock of LOCK_TIME


SUBJECT = Scope("subject", True, DAILY_LIMIT, limits.Limit(MAX_FAILURES, LOCK_TIME))
SENDER = Scope("sender", True, DAILY_LIMIT, limits.Limit(MAX_FAILURES, LOCK_TIME))
SOURCE = Scope("source", False, 100, limits.Limit(30, LOCK_TIME))

TOO_SOON = "验证码发送过于频繁，请1分钟后再输入一次获取验证码。"
SUBJECT_DAILY = f"该证件号码24小时内获取验证码已达{DAILY_LIMIT}次上限，请明天再试或前往窗口办理。"
OTHER_DAILY = "24小时内获取验证码的次数已达上限，请明天再试或前往窗口办理。"


def source_key(channel: str, sender: str, source: Optional[str]) -> str:
    """The keyed hash of a login's source: what the channel reported, else the channel and sender."""
    return keyed_hash("source", source or f"{channel}:{sender}")


def proof_hash(attempt: LoginAttempt, proof: str) -> str:
    """The keyed hash of a name (or representative's ID) given for ``attempt``'s number."""
    return keyed_hash("proof", str(attempt.subject_kind), str(attempt.subject_id), proof)


def _keys(attempt: LoginAttempt) -> List[Tuple[Scope, str]]:
    """The limit keys of an attempt, in one fixed order so that row locks never deadlock."""
    sender = keyed_hash("sender", str(attempt.channel), str(attempt.sender))
    keys = [
        (SUBJECT, f"login:subject:{attempt.proof_hash or proof_hash(attempt, '')}"),
        (SENDER, f"login:sender:{sender}"),
        (SOURCE, f"login:source:{attempt.source_key or source_key(attempt.channel, attempt.sender, None)}"),
    ]
    return sorted(keys, key=lambda pair: pair[1])


def lock_message(session: Session, attempt: LoginAttempt, now: datetime) -> Optional[str]:
    """Why ``attempt`` may neither get a code nor guess one now, or None."""
    until = [limits.locked_until(session, key, scope.guesses, now) for scope, key in _keys(attempt)]
    latest = max((u for u in until if u is not None), default=None)
    if latest is None:
        return None
    minutes = max(1, int((latest - now).total_seconds() // 60) + 1)
    return f"验证码错误次数过多，登录已锁定，请{minutes}分钟后再试。"


def send_refusal(session: Session, attempt: LoginAttempt, now: datetime) -> Optional[Tuple[str, str]]:
    """``(status, message)`` when no code may be sent now (``too_soon`` or ``daily_limit``), else None."""
    for scope, key in _keys(attempt):
        recent = session.query(LoginSend).filter(LoginSend.key == key, LoginSend.at > now - DAILY_WINDOW)
        if scope.resend and recent.filter(LoginSend.at > now - RESEND_INTERVAL).count():
            return "too_soon", TOO_SOON
    for scope, key in _keys(attempt):
        recent = session.query(LoginSend).filter(LoginSend.key == key, LoginSend.at > now - DAILY_WINDOW)
        if recent.count() >= scope.daily:
            return "daily_limit", SUBJECT_DAILY if scope is SUBJECT else OTHER_DAILY
    return None


def record_send(session: Session, attempt: LoginAttempt, now: datetime) -> None:
    """Count a code request against every key, whether or not an SMS went out."""
    session.add_all(LoginSend(key=key, at=now) for _, key in _keys(attempt))


def take_guess(session: Session, attempt: LoginAttempt, now: datetime) -> Optional[int]:
    """Take a slot of every key before a code is checked.

    Returns:
        How many wrong codes may still follow this one if it is wrong (0: this one locks), or
        None when a key is locked and the code must not be checked.
    """
    left: List[int] = []
    taken: List[str] = []
    for scope, key in _keys(attempt):
        count = limits.reserve(session, key, scope.guesses, now)
        if count is None:
            for done in taken:
                limits.release(session, done)
            return None
        taken.append(key)
        left.append(scope.guesses.max_failures - count)
    return min(left)


def guess_was_right(session: Session, attempt: LoginAttempt) -> None:
    """The code was right: the owner's key starts afresh, the others get their slot back."""
    for scope, key in _keys(attempt):
        if scope is SUBJECT:
            limits.clear(session, key)
        else:
            limits.release(session, key)


def purge(session: Session, now: datetime) -> int:
    """Delete send records older than a day and limits whose window has passed; how many rows went."""
    sends: int = session.query(LoginSend).filter(LoginSend.at <= now - DAILY_WINDOW).delete(synchronize_session=False)
    return sends + limits.purge(session, now)
