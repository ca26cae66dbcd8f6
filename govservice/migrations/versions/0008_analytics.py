"""conversation_events.item_key and the covering index the dashboard's queries use.

Revision ID: 0008_analytics
Revises: 0007_reminders
Create Date: 2026-12-03 04:00:00

The dashboard (govservice/analytics) counts the service items asked about: the catalog key of the
``service_item`` slot, which only actions set (govservice/conversation_events.py). Its queries
select one event type within a date range and read a few columns: the index on (event_type,
occurred_at) holds those columns too, so they never read the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_analytics"
down_revision = "0007_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and the index."""
    with op.batch_alter_table("conversation_events") as batch:
        batch.add_column(sa.Column("item_key", sa.String(length=60), nullable=True))
    op.create_index("ix_conversation_events_type_time", "conversation_events",
                    ["event_type", "occurred_at", "sender_hash", "name", "channel", "item_key"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_conversation_events_type_time", table_name="conversation_events")
    with op.batch_alter_table("conversation_events") as batch:
        batch.drop_column("item_key")
