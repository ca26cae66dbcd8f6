"""The schema as the models describe it: every model module imported, one metadata.

Alembic compares this with a database to write a migration (``python -m govservice.db revision``),
and the migration tests compare it with a migrated database, so a model changed without a
migration fails them. Running the migrations needs none of it: each revision is self-contained.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from govservice.orm import Base

# Every module that declares tables. A new model module goes here, or its tables are missing from
# the comparison and a migration for them would never be written.
MODEL_MODULES = (
    "govservice.orm",
    "govservice.audit",
    "govservice.catalog.models",
    "govservice.identity.models",
    "govservice.certificates.models",
    "govservice.applications.models",
    "govservice.conversation_archive",
    "govservice.conversation_events",
    "govservice.faq.models",
    "govservice.handoff.models",
    "govservice.limits",
    "govservice.notifications.outbox",
    "govservice.notifications.reminder_models",
    "govservice.accounts.officers",
    "govservice.privacy.models",
    "staff.console.sessions",
)


def load_models() -> MetaData:
    """Import every model module and return the metadata holding all their tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
