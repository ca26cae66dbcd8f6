"""The window clerk's workbench (issue 15, item 5).

Revision ID: 0008_workbench
Revises: 0007_analytics
Create Date: 2026-12-02 23:00:00

Reserved in the chain so that parallel work lands in order; it changes nothing until filled.
"""

from __future__ import annotations

revision = "0008_workbench"
down_revision = "0007_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
