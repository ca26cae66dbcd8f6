"""SQLAlchemy models of expiry reminders: the citizen's consent and the reminders sent.

Where a reminder goes (the citizen's last login) is :class:`govservice.identity.models.LastLogin`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint

from govservice.orm import Base


class ReminderConsent(Base):
    """Whether a citizen wants certificate expiry reminders (opt-in: no row means no)."""

    __tablename__ = "reminder_consents"

    person_id = Column(String(18), ForeignKey("persons.id_number"), primary_key=True)
    opted_in = Column(Boolean, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class Reminder(Base):
    """One expiry reminder; the unique key makes a second (or concurrent) run insert nothing."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (UniqueConstraint("person_id", "certificate_id", "valid_until", name="uq_reminder_once"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    person_id = Column(String(18), ForeignKey("persons.id_number"), nullable=False, index=True)
    certificate_id = Column(Integer, ForeignKey("certificates.id"), nullable=False)
    valid_until = Column(Date, nullable=False)
    item_key = Column(String(60))  # the renewal item the button starts
    channel = Column(String(40), nullable=False)
    sender = Column(String(128), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)
    shown_at = Column(DateTime)  # widget channels: when the widget showed it (once)
