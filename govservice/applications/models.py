"""Models of the one-window back office (一窗受理): applications, materials, ratings and follow-ups.

Applications keep a snapshot of the item (key and name) instead of a foreign key to the
catalog, because reseeding the catalog replaces items and materials; departments, persons,
companies and certificates are updated in place and are referenced by foreign keys.
"""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

import govservice.certificates.models  # noqa: F401  (applicants and used certificates are foreign keys)
from govservice.catalog.models import Department, ServiceItem
from govservice.orm import Base


class ApplicationCounter(Base):
    """Daily per-department counter behind application numbers (key: YYYYMMDD + department)."""

    __tablename__ = "application_counters"

    key = Column(String(40), primary_key=True)
    value = Column(Integer, nullable=False, default=0)


IDEMPOTENCY_KEY_CHARS = 255
"""Room for the key of a submission by the longest sender a channel accepts (128 characters), its
form instance and a life event's item suffix (revision 0004_application_idempotency widened it)."""


class Application(Base):
    """One application (办件), routed to the department that owns the item."""

    __tablename__ = "applications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(40), unique=True, nullable=False)
    item_key = Column(String(60), nullable=False, index=True)
    item_name = Column(String(100), nullable=False)
    department_code = Column(String(16), ForeignKey("departments.code"), nullable=False, index=True)
    person_id = Column(String(18), ForeignKey("persons.id_number"), nullable=False, index=True)
    company_code = Column(String(18), ForeignKey("companies.credit_code"))
    channel = Column(String(40), nullable=False)  # where to notify the citizen
    sender = Column(String(128), nullable=False)
    form_data = Column(JSON, nullable=False, default=dict)
    status = Column(String(10), nullable=False, index=True)
    status_reason = Column(Text)  # reason of the latest change (补正/不予受理 reasons)
    submission_round = Column(Integer, nullable=False, default=1)
    idempotency_key = Column(String(IDEMPOTENCY_KEY_CHARS), unique=True, nullable=False)
    bundle_id = Column(String(40), index=True)  # links the applications of one life event
    created_at = Column(DateTime, nullable=False, index=True)
    updated_at = Column(DateTime, nullable=False)

    item: Optional[ServiceItem] = relationship(
        "ServiceItem", primaryjoin="foreign(Application.item_key) == ServiceItem.key", viewonly=True
    )
    department: Department = relationship("Department")
    materials: List[ApplicationMaterial] = relationship(
        "ApplicationMaterial", back_populates="application", order_by="ApplicationMaterial.id"
    )
    changes: List[StatusChange] = relationship("StatusChange", order_by="StatusChange.id")
    rating: Optional[Rating] = relationship("Rating", uselist=False, back_populates="application")


class Attachment(Base):
    """An uploaded file, stored under ``VAR_DIR/uploads`` by its SHA-256."""

    __tablename__ = "attachments"

    id = Column(String(32), primary_key=True)  # random hex, safe to show in a chat
    sha256 = Column(String(64), nullable=False, index=True)
    filename = Column(String(200), nullable=False)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    stored_path = Column(Text, nullable=False)
    uploaded_by = Column(String(18), ForeignKey("persons.id_number"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)


class ApplicationMaterial(Base):
    """A material provided with an application, from the library, an upload or a commitment."""

    __tablename__ = "application_materials"

    id = Column(Integer, primary_key=True, autoincrement=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    material_id = Column(Integer, nullable=False)  # catalog material id at submission time
    material_name = Column(String(200), nullable=False)
    source = Column(String(12), nullable=False)  # certificate / upload / commitment
    submission_round = Column(Integer, nullable=False, default=1)
    # source "certificate": the certificate and its 用证授权 (the holder's consent + the 用证记录).
    certificate_id = Column(Integer, ForeignKey("certificates.id"))
    certificate_use_id = Column(Integer, ForeignKey("certificate_uses.id"))
    authorized_by = Column(String(18))
    authorized_at = Column(DateTime)
    # source "upload".
    attachment_id = Column(String(32), ForeignKey("attachments.id"))
    # source "commitment": the text the applicant committed to (告知承诺).
    commitment_text = Column(Text)
    created_at = Column(DateTime, nullable=False)

    application: Application = relationship("Application", back_populates="materials")
    attachment: Optional[Attachment] = relationship("Attachment")


class StatusChange(Base):
    """One step of an application's history: who moved it from which status to which, and why."""

    __tablename__ = "status_changes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    from_status = Column(String(10))  # None for the submission itself
    to_status = Column(String(10), nullable=False)
    actor_type = Column(String(10), nullable=False)  # citizen / officer / system
    actor = Column(String(120), nullable=False)
    reason = Column(Text)
    at = Column(DateTime, nullable=False)


class Rating(Base):
    """The applicant's evaluation (好差评) of one finished application; at most one each."""

    __tablename__ = "ratings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    application_id = Column(Integer, ForeignKey("applications.id"), unique=True, nullable=False)
    person_id = Column(String(18), ForeignKey("persons.id_number"), nullable=False)
    level = Column(String(10), nullable=False)
    comment = Column(Text)
    at = Column(DateTime, nullable=False)

    application: Application = relationship("Application", back_populates="rating")
    follow_up: Optional[FollowUp] = relationship("FollowUp", uselist=False, back_populates="rating")


class FollowUp(Base):
    """A 差评 to be followed up (整改/回访) by the department before the deadline."""

    __tablename__ = "follow_ups"

    id = Column(Integer, primary_key=True, autoincrement=True)
    rating_id = Column(Integer, ForeignKey("ratings.id"), unique=True, nullable=False)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    department_code = Column(String(16), ForeignKey("departments.code"), nullable=False, index=True)
    deadline = Column(Date, nullable=False)
    status = Column(String(10), nullable=False, default="open")  # open / closed
    note = Column(Text)
    created_at = Column(DateTime, nullable=False)
    closed_at = Column(DateTime)

    rating: Rating = relationship("Rating", back_populates="follow_up")
    application: Application = relationship("Application")
