"""The conversation_events table: analytics events consumed from Rasa's event broker.

Revision ID: 0005_conversation_events
Revises: 0004_application_idempotency
Create Date: 2026-12-02 18:45:00

One row per published event, without content (govservice/conversation_events.py): the event
type, the intent or action name, the channel, the time, and the conversation as a keyed hash.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_conversation_events"
down_revision = "0004_application_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table and its indexes."""
    op.create_table(
        "conversation_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_conversation_events_sender_hash", "conversation_events", ["sender_hash"])
    op.create_index("ix_conversation_events_event_type", "conversation_events", ["event_type"])
    op.create_index("ix_conversation_events_occurred_at", "conversation_events", ["occurred_at"])


def downgrade() -> None:
    """Drop the table (its indexes go with it)."""
    op.drop_table("conversation_events")
