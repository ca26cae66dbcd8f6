"""Every table of the models before Alembic; adopts a database that create_all made earlier.

Revision ID: 0001_initial
Revises:
Create Date: 2026-12-02 18:27:22

Written by autogenerate against an empty database, then frozen as plain tables in
``initial_people`` and ``initial_back_office``. A database from before Alembic (tables made by
``create_all``, no ``alembic_version``) is adopted here instead of created: missing tables are
created, and columns the models gained later are added as nullable columns, as the hand-written
``ALTER TABLE`` of ``govservice/seed.py`` used to do at every start.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from govservice.migrations import initial_tables

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)


def upgrade() -> None:
    """Create the tables, or bring a pre-Alembic database to them."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for table in initial_tables().sorted_tables:
        if table.name not in existing:
            table.create(bind)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                # Rows already there have no value for it: nullable, whatever the model says.
                op.add_column(table.name, sa.Column(column.name, column.type, nullable=True))
                logger.warning("adopted %s: added column %s", table.name, column.name)


def downgrade() -> None:
    """Drop every table of this revision."""
    for table in reversed(initial_tables().sorted_tables):
        op.drop_table(table.name)
