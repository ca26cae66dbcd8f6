"""Login by ID number (or credit code) with a one-time SMS code, and sender binding.

Rules: codes are 6 digits, valid 5 minutes, single use, stored as keyed hashes; at most
one code a minute and ten a day per ID number; five wrong codes lock that number for 15
minutes; a binding ends after 30 minutes idle. Replies never reveal whether an ID number
exists: for an unknown or mismatched one the same message is given, with a decoy phone tail
derived from the secret key, and the same limits apply.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy.orm import Session

from govservice.ids import opaque_id
from govservice.models import Binding, Company, LoginAttempt, LoginLock, OtpCode, Person
from govservice.secrets import secret_key
from govservice.sms import SmsGateway

CODE_TTL = timedelta(minutes=5)
RESEND_INTERVAL = timedelta(minutes=1)
DAILY_WINDOW = timedelta(hours=24)
DAILY_LIMIT = 10
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)


@dataclass
class CodeResult:
    """Outcome of a code request: ``sent``, ``too_soon``, ``daily_limit`` or ``locked``."""

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


def _decoy_tail(subject_id: str) -> str:
    digest = hmac.new(secret_key(), f"tail:{subject_id}".encode(), hashlib.sha256).hexdigest()
    return f"{int(digest[:8], 16) % 10000:04d}"


def begin_login(
    session: Session, kind: str, subject_id: str, channel: str, sender: str, now: datetime
) -> str:
    """Start a login for a validated ID number (``person``) or credit code (``company``).

    Returns:
        An opaque reference for the conversation to keep instead of the number.
    """
    ref = opaque_id()
    session.add(
        LoginAttempt(
            ref=ref, subject_kind=kind, subject_id=subject_id, channel=channel, sender=sender, created_at=now
        )
    )
    return ref


def _lock_message(lock: LoginLock, now: datetime) -> Optional[str]:
    if lock.locked_until and lock.locked_until > now:
        minutes = max(1, int((lock.locked_until - now).total_seconds() // 60) + 1)
        return f"验证码错误次数过多，登录已锁定，请{minutes}分钟后再试。"
    return None


def _lock(session: Session, subject_id: str) -> LoginLock:
    lock = session.get(LoginLock, subject_id)
    if lock is None:
        lock = LoginLock(subject_id=subject_id, failures=0)
        session.add(lock)
    return lock


def _matching_phone(session: Session, attempt: LoginAttempt, proof: str) -> Optional[str]:
    """The phone to send to when ``proof`` (name, or the representative's ID) matches."""
    if attempt.subject_kind == "person":
        person = session.get(Person, attempt.subject_id)
        return person.phone if person and person.name == proof else None
    company = session.get(Company, attempt.subject_id)
    if company is None or company.legal_rep_id != proof:
        return None
    return company.legal_rep.phone


def request_code(
    session: Session, ref: str, proof: Optional[str], gateway: SmsGateway, now: datetime
) -> CodeResult:
    """Send a code to the phone on file if ``proof`` matches, within the send limits.

    Args:
        session: database session.
        ref: the login reference from :func:`begin_login`.
        proof: the person's name, or for a company the representative's ID number;
            None to resend with the one given before.
        gateway: SMS gateway.
        now: current time.
    """
    attempt = session.get(LoginAttempt, ref)
    if attempt is None:
        return CodeResult("no_login", "登录信息已失效，请重新输入证件号码。")
    if proof is not None:
        attempt.proof = proof.strip()
    locked = _lock_message(_lock(session, attempt.subject_id), now)
    if locked:
        return CodeResult("locked", locked)
    recent = session.query(OtpCode).filter(
        OtpCode.subject_id == attempt.subject_id, OtpCode.created_at > now - DAILY_WINDOW
    )
    if recent.filter(OtpCode.created_at > now - RESEND_INTERVAL).count():
        return CodeResult("too_soon", "验证码发送过于频繁，请1分钟后再输入一次获取验证码。")
    if recent.count() >= DAILY_LIMIT:
        return CodeResult(
            "daily_limit", "该证件号码24小时内获取验证码已达10次上限，请明天再试或前往窗口办理。"
        )
    phone = _matching_phone(session, attempt, attempt.proof or "")
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
    if phone:
        gateway.send(phone, f"【示范市政务服务】您的登录验证码为{code}，5分钟内有效。如非本人操作，请忽略。")
    tail = phone[-4:] if phone else _decoy_tail(attempt.subject_id)
    return CodeResult("sent", f"如信息匹配，验证码已发送至尾号{tail}的手机，5分钟内有效。")


_NAME = re.compile(r"^[\u4e00-\u9fff·•]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,59}$")
_NOT_A_NAME = ("什么", "怎么", "哪", "吗", "呢", "登录", "验证", "办", "证", "我")


def normalize_name(text: str) -> Optional[str]:
    """A plausible personal name from ``text`` ("我叫张三" gives 张三), or None."""
    name = re.sub(r"^(我叫|我是|姓名是|姓名|名字是|名字叫)[:：]?", "", text.strip()).strip(" 。.，,")
    if not _NAME.match(name) or any(word in name for word in _NOT_A_NAME):
        return None
    return name


def verify_code(
    session: Session, ref: str, code: str, channel: str, sender: str, now: datetime
) -> VerifyResult:
    """Check a code; on success bind the sender to the person (and company)."""
    attempt = session.get(LoginAttempt, ref)
    if attempt is None:
        return VerifyResult("no_code", "登录信息已失效，请重新开始登录。")
    lock = _lock(session, attempt.subject_id)
    locked = _lock_message(lock, now)
    if locked:
        return VerifyResult("locked", locked)
    otp = session.query(OtpCode).filter(OtpCode.ref == ref).order_by(OtpCode.created_at.desc()).first()
    if otp is None:
        return VerifyResult("no_code", "尚未发送验证码，请先完成身份信息填写。")
    if otp.used_at is not None or otp.expires_at <= now:
        return VerifyResult(
            "expired", "验证码已失效（5分钟内有效且只能使用一次），请说“重新发送”获取新的验证码。"
        )
    if not hmac.compare_digest(otp.code_hash, _hash(ref, code)):
        lock.failures += 1
        if lock.failures >= MAX_FAILURES:
            lock.failures = 0
            lock.locked_until = now + LOCK_TIME
            return VerifyResult("locked", "验证码连续错误5次，登录已锁定15分钟，请稍后再试。")
        left = MAX_FAILURES - lock.failures
        return VerifyResult("wrong", f"验证码不正确，请核对短信后重新输入（还可尝试{left}次）。")
    otp.used_at = now
    lock.failures = 0
    person_id, company_code = attempt.subject_id, None
    if attempt.subject_kind == "company":
        company = session.get(Company, attempt.subject_id)
        person_id, company_code = company.legal_rep_id, company.credit_code
    binding = session.get(Binding, (channel, sender))
    if binding is None:
        binding = Binding(channel=channel, sender=sender, created_at=now)
        session.add(binding)
    binding.person_id, binding.company_code, binding.last_seen = person_id, company_code, now
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
