"""SQLAlchemy models of citizens and companies, and of their logins and channel bindings."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import relationship

from govservice.orm import Base


class Person(Base):
    """A natural person, keyed by the citizen ID number (公民身份号码)."""

    __tablename__ = "persons"

    id_number = Column(String(18), primary_key=True)
    name = Column(String(60), nullable=False)
    phone = Column(String(20), nullable=False)
    gender = Column(String(2))
    birth_date = Column(Date)
    address = Column(Text)


class Company(Base):
    """A legal person, keyed by the unified social credit code (统一社会信用代码)."""

    __tablename__ = "companies"

    credit_code = Column(String(18), primary_key=True)
    name = Column(String(120), nullable=False)
    legal_rep_id = Column(String(18), ForeignKey("persons.id_number"), nullable=False)
    address = Column(Text)

    legal_rep: Person = relationship("Person")


class LoginAttempt(Base):
    """A login in progress, referenced from the conversation by an opaque ``ref``.

    The conversation keeps only the ref; the ID number stays here, out of the tracker, and only
    until the login ends (:func:`govservice.identity.auth.purge_expired`). The name (or representative's
    ID) given is kept only as a keyed hash, so "重新发送" needs no retyping.
    """

    __tablename__ = "login_attempts"

    ref = Column(String(40), primary_key=True)
    subject_kind = Column(String(10), nullable=False)  # person / company
    subject_id = Column(String(18), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    sender = Column(String(128), nullable=False)
    proof_hash = Column(String(64))
    source_key = Column(String(64))  # keyed hash of the client the channel saw
    created_at = Column(DateTime, nullable=False)


class OtpCode(Base):
    """A one-time code, stored only as a keyed hash; deleted with its login attempt."""

    __tablename__ = "otp_codes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ref = Column(String(40), ForeignKey("login_attempts.ref"), nullable=False, index=True)
    subject_id = Column(String(18), nullable=False, index=True)
    code_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)


class LoginSend(Base):
    """One code request counted against a limit key (:mod:`govservice.identity.login_limits`): the send ledger."""

    __tablename__ = "login_sends"

    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(100), nullable=False, index=True)
    at = Column(DateTime, nullable=False, index=True)


class Binding(Base):
    """A channel sender bound to a logged-in person (and company, for 法人 logins)."""

    __tablename__ = "bindings"

    channel = Column(String(40), primary_key=True)
    sender = Column(String(128), primary_key=True)
    person_id = Column(String(18), ForeignKey("persons.id_number"), nullable=False)
    company_code = Column(String(18), ForeignKey("companies.credit_code"))
    created_at = Column(DateTime, nullable=False)
    last_seen = Column(DateTime, nullable=False)


class ChannelSession(Base):
    """The token hash of one conversation on a channel whose sender id the client picks."""

    __tablename__ = "channel_sessions"

    channel = Column(String(40), primary_key=True)
    sender = Column(String(128), primary_key=True)
    token_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    last_seen = Column(DateTime, nullable=False)
    # Whether the reply carrying the token reached its client (see govservice.identity.channel_sessions).
    handed_over = Column(Boolean, nullable=False, default=True, server_default=true())


class LastLogin(Base):
    """Where a citizen last logged in: reminders go there (a binding ends with the login, this stays)."""

    __tablename__ = "last_logins"

    person_id = Column(String(18), ForeignKey("persons.id_number"), primary_key=True)
    channel = Column(String(40), nullable=False)
    sender = Column(String(128), nullable=False)
    logged_in_at = Column(DateTime, nullable=False)
