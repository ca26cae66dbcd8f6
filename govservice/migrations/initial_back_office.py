"""Revision 0001, frozen: applications, FAQ, human handoff, officers, notifications, audit tables.

A copy of the models as they stood when Alembic came in; never edit it (a change is a new
revision). Revision 0001 creates these tables, or adopts a database that already has them.
"""

from __future__ import annotations

import sqlalchemy as sa


def add_tables(metadata: sa.MetaData) -> None:
    """Define this part of revision 0001's tables in ``metadata``."""
    sa.Table(
        "application_counters",
        metadata,
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    sa.Table(
        "audit_log",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("actor", sa.String(60), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    sa.Table(
        "handoff_tickets",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("agent", sa.String(40)),
        sa.Column("agent_name", sa.String(60)),
        sa.Column("contact", sa.String(120)),
        sa.Column("message", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at", sa.DateTime()),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("closed_by", sa.String(60)),
    )
    sa.Table(
        "attachments",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_path", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "faq_entries",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("similar_questions", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False, index=True),
        sa.Column("department_code", sa.String(16), sa.ForeignKey("departments.code"), index=True),
        sa.Column("item_keys", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.Date()),
        sa.Column("expires_on", sa.Date()),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("updated_by", sa.String(60), nullable=False),
    )
    sa.Table(
        "officers",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(40), nullable=False, unique=True),
        sa.Column("display_name", sa.String(60), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("department_code", sa.String(16), sa.ForeignKey("departments.code")),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("token_issued_at", sa.DateTime()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "applications",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(40), nullable=False, unique=True),
        sa.Column("item_key", sa.String(60), nullable=False, index=True),
        sa.Column("item_name", sa.String(100), nullable=False),
        sa.Column("department_code", sa.String(16), sa.ForeignKey("departments.code"), nullable=False, index=True),
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False, index=True),
        sa.Column("company_code", sa.String(18), sa.ForeignKey("companies.credit_code")),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("form_data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("status_reason", sa.Text()),
        sa.Column("submission_round", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
        sa.Column("bundle_id", sa.String(40), index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "console_sessions",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("username", sa.String(40), sa.ForeignKey("officers.username"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),
    )
    sa.Table(
        "faq_versions",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "entry_id", sa.Integer(), sa.ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(60), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.UniqueConstraint("entry_id", "version", name="uq_faq_versions_entry_version"),
    )
    sa.Table(
        "handoff_agents",
        metadata,
        sa.Column("username", sa.String(40), sa.ForeignKey("officers.username"), primary_key=True),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "unanswered_questions",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, index=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("resolved_by", sa.String(60)),
        sa.Column("resolved_at", sa.DateTime()),
        sa.Column("resolved_entry_id", sa.Integer(), sa.ForeignKey("faq_entries.id", ondelete="SET NULL")),
    )
    sa.Table(
        "notifications",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "application_number", sa.String(40), sa.ForeignKey("applications.number"), nullable=False, index=True
        ),
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False, index=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("application_status", sa.String(10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("delivered_at", sa.DateTime()),
    )
    sa.Table(
        "ratings",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False, unique=True),
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "status_changes",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False, index=True),
        sa.Column("from_status", sa.String(10)),
        sa.Column("to_status", sa.String(10), nullable=False),
        sa.Column("actor_type", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "application_materials",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False, index=True),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("material_name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("submission_round", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id")),
        sa.Column("certificate_use_id", sa.Integer(), sa.ForeignKey("certificate_uses.id")),
        sa.Column("authorized_by", sa.String(18)),
        sa.Column("authorized_at", sa.DateTime()),
        sa.Column("attachment_id", sa.String(32), sa.ForeignKey("attachments.id")),
        sa.Column("commitment_text", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "follow_ups",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rating_id", sa.Integer(), sa.ForeignKey("ratings.id"), nullable=False, unique=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False, index=True),
        sa.Column("department_code", sa.String(16), sa.ForeignKey("departments.code"), nullable=False, index=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime()),
    )
