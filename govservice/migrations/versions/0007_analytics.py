"""The analytics dashboard's data (issue 15, items 3-4).

Revision ID: 0007_analytics
Revises: 0006_reminders
Create Date: 2026-12-02 23:00:00

Reserved in the chain so that parallel work lands in order; it changes nothing until filled.
"""

from __future__ import annotations

revision = "0007_analytics"
down_revision = "0006_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
