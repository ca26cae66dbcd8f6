"""SQLAlchemy models of human handoff: the tickets of the agents' queue and who is on duty."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text

import govservice.accounts.officers  # noqa: F401  (handoff_agents refers to the officers table)
from govservice.identity.masking import mask_phone
from govservice.orm import Base

WAITING, ACTIVE, CLOSED, MESSAGE = "waiting", "active", "closed", "message"
STATUS_LABELS = {WAITING: "排队中", ACTIVE: "人工服务中", CLOSED: "已结束", MESSAGE: "留言待处理"}
LIVE, LEFT_MESSAGE = "live", "message"
KIND_LABELS = {LIVE: "在线转人工", LEFT_MESSAGE: "留言"}


def mask_contact(contact: str) -> str:
    """A phone as ``138****8000``, an e-mail as ``z***@example.cn``."""
    if "@" in contact:
        name, _, domain = contact.partition("@")
        return f"{name[:1]}***@{domain}"
    return mask_phone(contact) if contact else ""


class HandoffTicket(Base):
    """One request for a person: a live conversation in the queue, or a message left for later."""

    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(10), nullable=False, default=LIVE)
    channel = Column(String(40), nullable=False)
    sender = Column(String(128), nullable=False, index=True)  # Rasa's conversation id
    status = Column(String(10), nullable=False, default=WAITING, index=True)
    agent = Column(String(40))  # the officer's username once taken
    agent_name = Column(String(60))
    contact = Column(String(120))  # as typed, for calling back; lists show it masked
    message = Column(Text)  # already redacted
    created_at = Column(DateTime, nullable=False)
    taken_at = Column(DateTime)
    closed_at = Column(DateTime)
    closed_by = Column(String(60))

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return STATUS_LABELS.get(str(self.status), str(self.status))

    @property
    def kind_label(self) -> str:
        """The kind in Chinese."""
        return KIND_LABELS.get(str(self.kind), str(self.kind))

    @property
    def masked_contact(self) -> str:
        """The contact as lists show it."""
        return mask_contact(self.contact or "")


class AgentDuty(Base):
    """Whether an officer is on duty as a handoff agent (set by themselves in the console)."""

    __tablename__ = "handoff_agents"

    username = Column(String(40), ForeignKey("officers.username"), primary_key=True)
    on_duty = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False)
