"""Models of the staff-maintained FAQ (常见问题) and of the unanswered-question queue.

Entries refer to catalog items by key (a JSON list) rather than by foreign key, because reseeding
the catalog replaces items; departments are updated in place, so ``department_code`` is a real
foreign key. Every saved state of an entry is kept in :class:`FaqVersion`; every change by a person
is in :class:`govservice.audit.AuditLog`. Timestamps are naive local time, as elsewhere in the back office.
"""

from __future__ import annotations

import datetime
from typing import Dict, List

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

import govservice.catalog.models  # noqa: F401  (department_code refers to the departments table)
from govservice.clock import utc_now
from govservice.orm import Base

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
ENTRY_STATUSES = (DRAFT, PUBLISHED, RETIRED)
STATUS_LABELS: Dict[str, str] = {DRAFT: "草稿", PUBLISHED: "已发布", RETIRED: "已下线"}
"""How each entry status is shown to staff."""

OPEN, RESOLVED, DISMISSED = "open", "resolved", "dismissed"
QUEUE_STATUSES = (OPEN, RESOLVED, DISMISSED)
QUEUE_STATUS_LABELS: Dict[str, str] = {OPEN: "待处理", RESOLVED: "已转为问答", DISMISSED: "已忽略"}
"""How each unanswered-question status is shown to staff."""


def _now() -> datetime.datetime:
    return utc_now()


class FaqEntry(Base):
    """One FAQ entry: a standard question, its similar questions and the answer staff wrote."""

    __tablename__ = "faq_entries"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # Stable key from the seed files (or generated); seeding inserts only keys that are missing.
    key = Column(String(80), unique=True, nullable=False)
    question = Column(Text, nullable=False)
    similar_questions = Column(JSON, nullable=False, default=list)
    answer = Column(Text, nullable=False)
    category = Column(String(40), nullable=False, index=True)
    department_code = Column(String(16), ForeignKey("departments.code"), index=True)
    item_keys = Column(JSON, nullable=False, default=list)
    effective_from = Column(Date)  # None: effective as soon as published
    expires_on = Column(Date)  # None: never expires; the last day on which it is still shown
    status = Column(String(10), nullable=False, default=DRAFT, index=True)
    version = Column(Integer, nullable=False, default=1)
    created_at = Column(DateTime, nullable=False, default=_now)
    # onupdate: even an edit that bypasses govservice.faq.workflow moves the search index's change stamp.
    updated_at = Column(DateTime, nullable=False, default=_now, onupdate=_now, index=True)
    updated_by = Column(String(60), nullable=False)

    versions: List[FaqVersion] = relationship(
        "FaqVersion", back_populates="entry", order_by="FaqVersion.version", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        """The status in Chinese (草稿/已发布/已下线)."""
        return STATUS_LABELS.get(self.status, self.status)

    def is_effective(self, day: datetime.date) -> bool:
        """True when the entry is published and ``day`` lies within its effective dates."""
        if self.status != PUBLISHED:
            return False
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.expires_on is None or day <= self.expires_on


class FaqVersion(Base):
    """One saved state of an entry: the full snapshot, who saved it, when and what changed."""

    __tablename__ = "faq_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_faq_versions_entry_version"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    entry_id = Column(Integer, ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    action = Column(String(20), nullable=False)  # create / edit / publish / retire / import / add_similar
    snapshot = Column(JSON, nullable=False)
    changes = Column(JSON, nullable=False, default=list)  # names of the fields that changed
    changed_by = Column(String(60), nullable=False)
    changed_at = Column(DateTime, nullable=False, default=_now)
    note = Column(Text)

    entry: FaqEntry = relationship("FaqEntry", back_populates="versions")


class UnansweredQuestion(Base):
    """A cluster of near-duplicate questions the assistant could not answer, PII already redacted."""

    __tablename__ = "unanswered_questions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    text = Column(Text, nullable=False)  # the representative: the first redacted wording seen
    normalized = Column(Text, nullable=False)  # what clustering compares
    variants = Column(JSON, nullable=False, default=list)  # other redacted wordings, capped
    count = Column(Integer, nullable=False, default=1, index=True)
    first_seen = Column(DateTime, nullable=False, default=_now)
    last_seen = Column(DateTime, nullable=False, default=_now)
    status = Column(String(10), nullable=False, default=OPEN, index=True)
    source = Column(String(20), nullable=False, default="fallback")  # fallback / low_confidence
    resolved_by = Column(String(60))
    resolved_at = Column(DateTime)
    resolved_entry_id = Column(Integer, ForeignKey("faq_entries.id", ondelete="SET NULL"))

    resolved_entry: FaqEntry | None = relationship("FaqEntry")

    @property
    def status_label(self) -> str:
        """The status in Chinese (待处理/已转为问答/已忽略)."""
        return QUEUE_STATUS_LABELS.get(self.status, self.status)
