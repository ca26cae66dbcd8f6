"""SQLAlchemy models of the service catalog (政务服务事项目录): departments, items, materials, topics.

Certificate types are catalog data too: items output them and materials accept them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import List

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from govservice.orm import Base


class Department(Base):
    """A department that owns service items and receives applications."""

    __tablename__ = "departments"

    code = Column(String(16), primary_key=True)
    name = Column(String(100), nullable=False)
    window_address = Column(Text, nullable=False)
    office_hours = Column(Text, nullable=False)
    consult_phone = Column(String(40), nullable=False)
    online_url = Column(String(300))
    credit_code = Column(String(18), unique=True)  # 统一社会信用代码 of the organ (synthetic)

    items: List[ServiceItem] = relationship("ServiceItem", back_populates="department")


class CertificateType(Base):
    """A type of electronic certificate that a certificate library can hold."""

    __tablename__ = "certificate_types"

    name = Column(String(60), primary_key=True)
    code = Column(String(40), unique=True, nullable=False)
    issuer_department = Column(String(16), ForeignKey("departments.code"))
    validity = Column(String(100))
    aliases = Column(JSON, nullable=False, default=list)  # 驾照, 户口本, ...


class ServiceItem(Base):
    """One service item of the catalog, with everything a 办事指南 answers."""

    __tablename__ = "service_items"

    key = Column(String(60), primary_key=True)
    code = Column(String(40), unique=True, nullable=False)
    name = Column(String(100), nullable=False)
    aliases = Column(JSON, nullable=False, default=list)
    topic = Column(String(60), nullable=False, index=True)
    variant = Column(String(60))
    variant_keywords = Column(JSON, nullable=False, default=list)
    department_code = Column(String(16), ForeignKey("departments.code"), nullable=False)
    item_type = Column(String(20), nullable=False)
    applicant_types = Column(JSON, nullable=False)
    conditions = Column(JSON, nullable=False)
    legal_limit_days = Column(Integer, nullable=False)
    promised_limit_days = Column(Integer, nullable=False)
    # In fen (分): SQLite has no exact decimal type.
    fee_fen = Column(Integer, nullable=False)
    fee_note = Column(Text, nullable=False)
    handling = Column(String(10), nullable=False)
    online_url = Column(String(300))
    window_address = Column(Text)
    office_hours = Column(Text)
    consult_phone = Column(String(40))
    outputs_certificate = Column(String(60), ForeignKey("certificate_types.name"))
    process = Column(JSON, nullable=False)
    source = Column(Text, nullable=False)
    # "curated": the city's own items (knowledge_base/catalog), the deep layer; "imported": a
    # province's published guides (knowledge_base/imported), found by retrieval and answered with
    # their source and date (source_date) named.
    layer = Column(String(10), nullable=False, default="curated")
    source_date = Column(String(20))
    # Imported items only: what the published record says where the curated columns cannot hold it.
    department_name = Column(String(100))  # the implementing department (the FK is the source's row)
    service_objects = Column(JSON)  # 服务对象 as published: 自然人, 企业法人, 社会组织法人, ...
    themes = Column(JSON)  # the source's theme categories (主题分类)
    phones = Column(JSON)  # every consult phone, some with a label: ["020-32091828（奥体网球中心）"]
    legal_limit_text = Column(String(40))  # "30个工作日", "90个自然日", "办事指南未载明"
    promised_limit_text = Column(String(40))
    duplicate_of = Column(String(60))  # the curated item this record duplicates (by name); that one answers

    department: Department = relationship("Department", back_populates="items")
    materials: List[Material] = relationship(
        "Material",
        back_populates="item",
        order_by="Material.position",
        cascade="all, delete-orphan",
    )

    @property
    def fee(self) -> Decimal:
        """The fee in yuan."""
        return Decimal(self.fee_fen) / 100

    @property
    def address(self) -> str:
        """Window address, falling back to the department's."""
        return self.window_address or self.department.window_address

    @property
    def hours(self) -> str:
        """Office hours, falling back to the department's."""
        return self.office_hours or self.department.office_hours

    @property
    def phone(self) -> str:
        """Consult phone, falling back to the department's."""
        return self.consult_phone or self.department.consult_phone


class Material(Base):
    """A material an applicant provides; may be satisfied by a held certificate."""

    __tablename__ = "materials"

    id = Column(Integer, primary_key=True, autoincrement=True)
    item_key = Column(String(60), ForeignKey("service_items.key"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    name = Column(String(200), nullable=False)
    form = Column(String(20), nullable=False)
    count = Column(Integer, nullable=False, default=1)
    notes = Column(Text)
    certificate_type: str | None = Column(String(60), ForeignKey("certificate_types.name"))
    commitment_allowed = Column(Boolean, nullable=False, default=False)

    item: ServiceItem = relationship("ServiceItem", back_populates="materials")


class Topic(Base):
    """A business topic: the colloquial names citizens use and the items behind them."""

    __tablename__ = "topics"

    name = Column(String(60), primary_key=True)
    synonyms = Column(JSON, nullable=False, default=list)
    item_keys = Column(JSON, nullable=False)
