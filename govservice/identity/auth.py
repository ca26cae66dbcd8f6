"""Login by ID number (or credit code) with a one-time SMS code, and sender binding.

Rules: codes are 6 digits, valid 5 minutes, single use, stored as keyed hashes; send and guess
limits (one code a minute, ten a day, five wrong codes lock for 15 minutes) apply per ID number
with the name given, per sender and per source (:mod:`govservice.identity.login_limits`); a binding ends
after 30 minutes idle. Replies never reveal whether an ID number exists or whether the name
matches: the reply, the work done before it (the SMS goes out through a background gateway)
and the limits that follow are the same either way. A login keeps the number only until it
ends, the name only as a keyed hash (:func:`purge_expired`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import or_
from sqlalchemy.orm import Session

from govservice.catalog import lexicon
from govservice.identity import channel_sessions, login_limits
from govservice.identity.ids import opaque_id
from govservice.identity.models import Binding, Company, LastLogin, LoginAttempt, OtpCode, Person
from govservice.identity.sms import SmsGateway
from govservice.settings.secrets import secret_key

CODE_TTL = timedelta(minutes=5)
IDLE_TIMEOUT = timedelta(minutes=30)
ATTEMPT_TTL = timedelta(minutes=30)
"""A login not finished this long after it began has ended; its number is deleted."""
SENT = "如信息匹配，验证码已发送至登记的手机，5分钟内有效。"


@dataclass
class CodeResult:
    """Outcome of a code request: ``sent``, ``too_soon``, ``daily_limit``, ``locked`` or ``no_login``."""

    status: str
    message: str


@dataclass
class VerifyResult:
    """Outcome of a code check: ``ok``, ``wrong``, ``expired``, ``locked`` or ``no_code``."""

    status: str
    message: str


@dataclass
class Subject:
    """Who a bound sender is."""

    person_id: str
    company_code: Optional[str] = None


def _hash(ref: str, code: str) -> str:
    return hmac.new(secret_key(), f"{ref}:{code}".encode(), hashlib.sha256).hexdigest()


def begin_login(
    session: Session,
    kind: str,
    subject_id: str,
    channel: str,
    sender: str,
    now: datetime,
    source: Optional[str] = None,
) -> str:
    """Start a login for a validated ID number (``person``) or credit code (``company``).

    Args:
        session: database session.
        kind: ``person`` or ``company``.
        subject_id: the validated ID number or credit code.
        channel: the input channel.
        sender: the channel's sender id.
        now: current time.
        source: the client as the channel saw it (metadata ``source``); the channel and sender
            when the channel reports none. Limits apply per source too.

    Returns:
        An opaque reference for the conversation to keep instead of the number.
    """
    ref = opaque_id()
    session.add(
        LoginAttempt(
            ref=ref,
            subject_kind=kind,
            subject_id=subject_id,
            channel=channel,
            sender=sender,
            source_key=login_limits.source_key(channel, sender, source),
            created_at=now,
        )
    )
    return ref


def _live_attempt(session: Session, ref: str, now: datetime) -> Optional[LoginAttempt]:
    """The login ``ref`` while it lasts (:data:`ATTEMPT_TTL`), else None."""
    attempt = session.get(LoginAttempt, ref)
    return attempt if attempt is not None and attempt.created_at > now - ATTEMPT_TTL else None


def _phone_if_matching(session: Session, attempt: LoginAttempt) -> Optional[str]:
    """The phone on file when the proof given matches; the same reads and hashing either way."""
    if attempt.subject_kind == "person":
        person = session.get(Person, attempt.subject_id)
        expected = person.name if person else ""
    else:
        company = session.get(Company, attempt.subject_id)
        expected = company.legal_rep_id if company else ""
        person = session.get(Person, expected)
    matches = hmac.compare_digest(login_limits.proof_hash(attempt, expected), attempt.proof_hash or "")
    return person.phone if person is not None and expected and matches else None


def request_code(
    session: Session, ref: str, proof: Optional[str], gateway: SmsGateway, now: datetime
) -> CodeResult:
    """Send a code to the phone on file if ``proof`` matches, within the send limits.

    Args:
        session: database session.
        ref: the login reference from :func:`begin_login`.
        proof: the person's name, or for a company the representative's ID number;
            None to resend with the one given before.
        gateway: SMS gateway (the one of :func:`govservice.identity.sms.get_gateway` sends in the background).
        now: current time.
    """
    attempt = _live_attempt(session, ref, now)
    if attempt is None:
        return CodeResult("no_login", "登录信息已失效，请重新输入证件号码。")
    if proof is not None or attempt.proof_hash is None:
        attempt.proof_hash = login_limits.proof_hash(attempt, (proof or "").strip())
    locked = login_limits.lock_message(session, attempt, now)
    if locked:
        return CodeResult("locked", locked)
    refused = login_limits.send_refusal(session, attempt, now)
    if refused:
        return CodeResult(*refused)
    phone = _phone_if_matching(session, attempt)
    code = f"{secrets.randbelow(10**6):06d}"
    # A mismatch stores an unguessable hash, so it counts against the limits like a real send.
    stored = _hash(ref, code) if phone else secrets.token_hex(32)
    session.add(
        OtpCode(
            ref=ref,
            subject_id=attempt.subject_id,
            code_hash=stored,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    login_limits.record_send(session, attempt, now)
    if phone:
        # The gateway sends off the request path (sms.get_gateway), so this costs no time.
        gateway.send(phone, f"【示范市政务服务】您的登录验证码为{code}，5分钟内有效。如非本人操作，请忽略。")
    return CodeResult("sent", SENT)


_NAME = re.compile(r"^[\u4e00-\u9fff·•]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,59}$")


def normalize_name(text: str) -> Optional[str]:
    """A plausible personal name from ``text`` ("我叫张三" gives 张三), or None."""
    name = re.sub(rf"^({lexicon.alternation('name_prefixes')})[:：]?", "", text.strip()).strip(" 。.，,")
    if not _NAME.match(name) or any(lexicon.has_any(name, words) for words in ("not_a_name", "stop", "handoff")):
        return None
    return name


def _check_guess(
    session: Session, attempt: LoginAttempt, otp: OtpCode, code: str, now: datetime
) -> Optional[VerifyResult]:
    """None when ``code`` is right; a slot is taken before the check, so parallel guesses count too."""
    left = login_limits.take_guess(session, attempt, now)
    if left is None:
        return VerifyResult("locked", login_limits.lock_message(session, attempt, now) or "登录已锁定，请稍后再试。")
    if hmac.compare_digest(otp.code_hash, _hash(str(attempt.ref), code)):
        login_limits.guess_was_right(session, attempt)
        return None
    if left == 0:
        return VerifyResult("locked", "验证码错误次数过多，登录已锁定15分钟，请稍后再试。")
    return VerifyResult("wrong", f"验证码不正确，请核对短信后重新输入（还可尝试{left}次）。")


def verify_code(
    session: Session, ref: str, code: str, channel: str, sender: str, now: datetime
) -> VerifyResult:
    """Check a code; on success bind the sender to the person (and company)."""
    attempt = _live_attempt(session, ref, now)
    if attempt is None:
        return VerifyResult("no_code", "登录信息已失效，请重新开始登录。")
    locked = login_limits.lock_message(session, attempt, now)
    if locked:
        return VerifyResult("locked", locked)
    otp = session.query(OtpCode).filter(OtpCode.ref == ref).order_by(OtpCode.created_at.desc()).first()
    if otp is None:
        return VerifyResult("no_code", "尚未发送验证码，请先完成身份信息填写。")
    if otp.used_at is not None or otp.expires_at <= now:
        return VerifyResult(
            "expired", "验证码已失效（5分钟内有效且只能使用一次），请说“重新发送”获取新的验证码。"
        )
    refused = _check_guess(session, attempt, otp, code, now)
    if refused is not None:
        return refused
    otp.used_at = now
    person_id, company_code = attempt.subject_id, None
    if attempt.subject_kind == "company":
        company = session.get(Company, attempt.subject_id)
        person_id, company_code = company.legal_rep_id, company.credit_code
    binding = session.get(Binding, (channel, sender))
    if binding is None:
        binding = Binding(channel=channel, sender=sender, created_at=now)
        session.add(binding)
    binding.person_id, binding.company_code, binding.last_seen = person_id, company_code, now
    last = session.get(LastLogin, person_id) or LastLogin(person_id=person_id)
    last.channel, last.sender, last.logged_in_at = channel, sender, now
    session.add(last)
    return VerifyResult("ok", "登录成功。")


def current_subject(session: Session, channel: str, sender: str, now: datetime) -> Optional[Subject]:
    """The person bound to this sender, or None; a binding idle 30 minutes has ended."""
    binding = session.get(Binding, (channel, sender))
    if binding is None:
        return None
    if now - binding.last_seen > IDLE_TIMEOUT:
        session.delete(binding)
        session.flush()
        return None
    binding.last_seen = now
    return Subject(person_id=binding.person_id, company_code=binding.company_code)


def logout(session: Session, channel: str, sender: str) -> bool:
    """End the binding; True when there was one."""
    binding = session.get(Binding, (channel, sender))
    if binding is None:
        return False
    session.delete(binding)
    session.flush()
    return True


def purge_expired(session: Session, now: datetime) -> int:
    """Delete what a login no longer needs; how many rows went (the retention job calls this).

    Finished logins (a code was used) and logins past :data:`ATTEMPT_TTL` go with their codes,
    so no ID number outlives its login; send records older than a day and limits whose window
    has passed go too, and the REST and socket.io session tokens of conversations idle past
    :data:`govservice.identity.channel_sessions.SESSION_IDLE`. Bindings are not touched: they end on
    their own (:func:`current_subject`).
    """
    used = session.query(OtpCode.ref).filter(OtpCode.used_at.isnot(None))
    finished = session.query(LoginAttempt.ref).filter(
        or_(LoginAttempt.created_at <= now - ATTEMPT_TTL, LoginAttempt.ref.in_(used.subquery().select()))
    )
    refs = [ref for (ref,) in finished]
    deleted = 0
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        deleted += session.query(OtpCode).filter(OtpCode.ref.in_(chunk)).delete(synchronize_session=False)
        deleted += session.query(LoginAttempt).filter(LoginAttempt.ref.in_(chunk)).delete(synchronize_session=False)
    return deleted + login_limits.purge(session, now) + channel_sessions.purge_idle(session, now)
