"""Revision 0001, frozen: the catalog, citizens, companies, certificates and citizen login tables.

A copy of the models as they stood when Alembic came in; never edit it (a change is a new
revision). Revision 0001 creates these tables, or adopts a database that already has them.
"""

from __future__ import annotations

import sqlalchemy as sa


def add_tables(metadata: sa.MetaData) -> None:
    """Define this part of revision 0001's tables in ``metadata``."""
    sa.Table(
        "attempt_limits",
        metadata,
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "channel_sessions",
        metadata,
        sa.Column("channel", sa.String(40), primary_key=True),
        sa.Column("sender", sa.String(128), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "conversation_erasures",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime()),
    )
    sa.Table(
        "departments",
        metadata,
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("window_address", sa.Text(), nullable=False),
        sa.Column("office_hours", sa.Text(), nullable=False),
        sa.Column("consult_phone", sa.String(40), nullable=False),
        sa.Column("online_url", sa.String(300)),
        sa.Column("credit_code", sa.String(18), unique=True),
    )
    sa.Table(
        "export_links",
        metadata,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(18), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime()),
    )
    sa.Table(
        "login_attempts",
        metadata,
        sa.Column("ref", sa.String(40), primary_key=True),
        sa.Column("subject_kind", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.String(18), nullable=False, index=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("proof_hash", sa.String(64)),
        sa.Column("source_key", sa.String(64)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "login_sends",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(100), nullable=False, index=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
    )
    sa.Table(
        "meta",
        metadata,
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    sa.Table(
        "persons",
        metadata,
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("gender", sa.String(2)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("address", sa.Text()),
    )
    sa.Table(
        "topics",
        metadata,
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("item_keys", sa.JSON(), nullable=False),
    )
    sa.Table(
        "certificate_types",
        metadata,
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("issuer_department", sa.String(16), sa.ForeignKey("departments.code")),
        sa.Column("validity", sa.String(100)),
        sa.Column("aliases", sa.JSON(), nullable=False),
    )
    sa.Table(
        "companies",
        metadata,
        sa.Column("credit_code", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("legal_rep_id", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False),
        sa.Column("address", sa.Text()),
    )
    sa.Table(
        "otp_codes",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(40), sa.ForeignKey("login_attempts.ref"), nullable=False, index=True),
        sa.Column("subject_id", sa.String(18), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime()),
    )
    sa.Table(
        "bindings",
        metadata,
        sa.Column("channel", sa.String(40), primary_key=True),
        sa.Column("sender", sa.String(128), primary_key=True),
        sa.Column("person_id", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False),
        sa.Column("company_code", sa.String(18), sa.ForeignKey("companies.credit_code")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "certificates",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("type_name", sa.String(60), sa.ForeignKey("certificate_types.name"), nullable=False),
        sa.Column("holder_id", sa.String(18), sa.ForeignKey("persons.id_number"), index=True),
        sa.Column("holder_company", sa.String(18), sa.ForeignKey("companies.credit_code"), index=True),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("issuer", sa.String(120), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("licence_id", sa.String(120), nullable=False, unique=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
    )
    sa.Table(
        "service_items",
        metadata,
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("topic", sa.String(60), nullable=False, index=True),
        sa.Column("variant", sa.String(60)),
        sa.Column("variant_keywords", sa.JSON(), nullable=False),
        sa.Column("department_code", sa.String(16), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("item_type", sa.String(20), nullable=False),
        sa.Column("applicant_types", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("legal_limit_days", sa.Integer(), nullable=False),
        sa.Column("promised_limit_days", sa.Integer(), nullable=False),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("fee_note", sa.Text(), nullable=False),
        sa.Column("handling", sa.String(10), nullable=False),
        sa.Column("online_url", sa.String(300)),
        sa.Column("window_address", sa.Text()),
        sa.Column("office_hours", sa.Text()),
        sa.Column("consult_phone", sa.String(40)),
        sa.Column("outputs_certificate", sa.String(60), sa.ForeignKey("certificate_types.name")),
        sa.Column("process", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("layer", sa.String(10), nullable=False),
        sa.Column("source_date", sa.String(20)),
        sa.Column("department_name", sa.String(100)),
        sa.Column("service_objects", sa.JSON()),
        sa.Column("themes", sa.JSON()),
        sa.Column("phones", sa.JSON()),
        sa.Column("legal_limit_text", sa.String(40)),
        sa.Column("promised_limit_text", sa.String(40)),
        sa.Column("duplicate_of", sa.String(60)),
    )
    sa.Table(
        "certificate_uses",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id"), nullable=False, index=True),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "materials",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_key", sa.String(60), sa.ForeignKey("service_items.key"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("form", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("certificate_type", sa.String(60), sa.ForeignKey("certificate_types.name")),
        sa.Column("commitment_allowed", sa.Boolean(), nullable=False),
    )
