"""SQLAlchemy models of the electronic certificate library (电子证照库) and its 用证记录."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from govservice.catalog.models import CertificateType
from govservice.identity.models import Person
from govservice.orm import Base


class Certificate(Base):
    """One electronic certificate (电子证照) in the certificate library."""

    __tablename__ = "certificates"

    id = Column(Integer, primary_key=True, autoincrement=True)
    type_name = Column(String(60), ForeignKey("certificate_types.name"), nullable=False)
    # A certificate belongs to a person (holder_id) or to a company (holder_company).
    holder_id = Column(String(18), ForeignKey("persons.id_number"), index=True)
    holder_company = Column(String(18), ForeignKey("companies.credit_code"), index=True)
    number = Column(String(60), nullable=False)
    issuer = Column(String(120), nullable=False)
    issue_date = Column(Date, nullable=False)
    valid_from = Column(Date, nullable=False)
    valid_until = Column(Date)  # None: 长期有效
    status = Column(String(10), nullable=False, default="有效")  # 有效/已过期/已注销/挂失
    licence_id = Column(String(120), unique=True, nullable=False)  # GB/T 36904 style
    attributes = Column(JSON, nullable=False, default=dict)

    holder: Person = relationship("Person")
    type: CertificateType = relationship("CertificateType")


class CertificateUse(Base):
    """用证记录: every read of a certificate, by whom, when and why."""

    __tablename__ = "certificate_uses"

    id = Column(Integer, primary_key=True, autoincrement=True)
    certificate_id = Column(Integer, ForeignKey("certificates.id"), nullable=False, index=True)
    actor_type = Column(String(20), nullable=False)  # citizen / application / officer
    actor = Column(String(120), nullable=False)
    purpose = Column(Text, nullable=False)
    used_at = Column(DateTime, nullable=False)

    certificate: Certificate = relationship("Certificate")
