"""Drop login_locks and officer_login_failures, left behind in databases from before Alembic.

Revision ID: 0002_drop_old_locks
Revises: 0001_initial
Create Date: 2026-12-02 18:40:00

No model has used them since the guess limits moved to ``attempt_limits`` (govservice/limits.py);
``create_all`` never dropped tables, so older databases still hold them. Dropped only where they
exist; the downgrade leaves them gone, as nothing reads them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_drop_old_locks"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

OLD_TABLES = ("login_locks", "officer_login_failures")


def upgrade() -> None:
    """Drop the old lock tables where they exist."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name in OLD_TABLES:
        if name in existing:
            op.drop_table(name)


def downgrade() -> None:
    """Nothing to put back: no code reads these tables, and a fresh database never had them."""
