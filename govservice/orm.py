"""The declarative base that every area's models share, and the database's own key/value facts.

Each business area declares its tables in its own package on this one base, so one metadata
holds them all (:func:`govservice.schema.load_models`).
"""

from __future__ import annotations

from sqlalchemy import Column, String, Text
from sqlalchemy.orm import DeclarativeMeta, registry

_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """Declarative base written out (SQLAlchemy 1.4 docs) so mypy can type the models."""

    __abstract__ = True
    registry = _registry
    metadata = _registry.metadata
    __init__ = _registry.constructor


class Meta(Base):
    """Small key/value facts about the database, such as the seeded catalog's fingerprint."""

    __tablename__ = "meta"

    key = Column(String(60), primary_key=True)
    value = Column(Text, nullable=False)
