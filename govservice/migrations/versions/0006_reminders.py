"""Reminders and recommendations (issue 15, items 1-2).

Revision ID: 0006_reminders
Revises: 0005_conversation_events
Create Date: 2026-12-02 23:00:00

Reserved in the chain so that parallel work lands in order; it changes nothing until filled.
"""

from __future__ import annotations

revision = "0006_reminders"
down_revision = "0005_conversation_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
