"""The archive of long conversations' older events (govservice/conversation_archive.py).

Revision ID: 0003_conversation_archive
Revises: 0002_drop_old_locks
Create Date: 2026-12-02 18:45:00

The redacting tracker store keeps a bounded tracker per conversation and moves older turns and
sessions here, already redacted, ordered by id (bot/tracker_compaction.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_conversation_archive"
down_revision = "0002_drop_old_locks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the archive table."""
    op.create_table(
        "conversation_archive",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sender", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.Float()),
        sa.Column("data", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop the archive table (its history goes with it)."""
    op.drop_table("conversation_archive")
