"""Expiry reminders: consent, last login channel, the reminders, and outbox rows for reminders.

Revision ID: 0007_reminders
Revises: 0006_session_handover
Create Date: 2026-12-03 04:00:00

A reminder is unique by (person, certificate, valid_until), so a job that runs twice, or two jobs
at once, insert it once (govservice/notifications/reminders.py). A WeChat reminder goes through the
notification outbox, whose rows so far all belonged to an application: application_number becomes
optional and reminder_id names the reminder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reminders"
down_revision = "0006_session_handover"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables and let the outbox carry reminders."""
    op.create_table(
        "reminder_consents",
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), primary_key=True),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "last_logins",
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), primary_key=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("logged_in_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "certificate_reminders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("item_key", sa.String(60)),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("shown_at", sa.DateTime()),
        sa.UniqueConstraint("person_id", "certificate_id", "valid_until", name="uq_reminder_once"),
    )
    op.create_index("ix_certificate_reminders_person_id", "certificate_reminders", ["person_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("application_number", existing_type=sa.String(40), nullable=True)
        batch.add_column(sa.Column("reminder_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_notifications_reminder_id", "certificate_reminders", ["reminder_id"], ["id"])


def downgrade() -> None:
    """Drop the reminders (and their outbox rows) and the tables."""
    op.execute("DELETE FROM notifications WHERE reminder_id IS NOT NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint("fk_notifications_reminder_id", type_="foreignkey")
        batch.drop_column("reminder_id")
        batch.alter_column("application_number", existing_type=sa.String(40), nullable=False)
    op.drop_index("ix_certificate_reminders_person_id", "certificate_reminders")
    op.drop_table("certificate_reminders")
    op.drop_table("last_logins")
    op.drop_table("reminder_consents")
