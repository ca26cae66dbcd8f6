"""Widen applications.idempotency_key to 255 characters: every sender a channel accepts can submit.

Revision ID: 0004_application_idempotency
Revises: 0003_conversation_archive
Create Date: 2026-12-02 19:00:00

The key of a chat submission is ``chat:<channel>:<sender>:<form instance>``
(:func:`govservice.applications.workflow.submission_key`), plus ``#<item>`` for each application of a life
event. A sender may be 128 characters long (connectors/common.py), so the key reached 171 and
more: the 160 characters of 0001_initial refused those submissions as incomplete. The unique
constraint, which makes a retried “确认提交” return the same application, is unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_application_idempotency"
down_revision = "0003_conversation_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Widen the column (batch mode: SQLite rebuilds the table, keeping its unique constraint)."""
    with op.batch_alter_table("applications") as batch:
        batch.alter_column("idempotency_key", existing_type=sa.String(160), type_=sa.String(255),
                           existing_nullable=False)


def downgrade() -> None:
    """Back to 160 characters; fails on PostgreSQL if a longer key was stored since."""
    with op.batch_alter_table("applications") as batch:
        batch.alter_column("idempotency_key", existing_type=sa.String(255), type_=sa.String(160),
                           existing_nullable=False)
