"""channel_sessions.handed_over: whether the reply carrying a session token reached its client.

Revision ID: 0006_session_handover
Revises: 0005_conversation_events
Create Date: 2026-12-03 02:00:00

A REST token is issued before the turn runs and handed over with its reply; when the server dies in
between, a message without a token may be issued a new one (govservice/identity/channel_sessions.py).
Rows from before this revision are taken as handed over, the side that never re-issues.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_session_handover"
down_revision = "0005_conversation_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column, true for the tokens already issued."""
    with op.batch_alter_table("channel_sessions") as batch:
        batch.add_column(sa.Column("handed_over", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("channel_sessions") as batch:
        batch.drop_column("handed_over")
