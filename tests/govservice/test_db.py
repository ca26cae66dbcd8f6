"""govservice.db: the PostgreSQL database of an installation is created when missing."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from govservice.db import ensure_database
from tests.databases import POSTGRES_URL


def _exists(name: str) -> bool:
    admin = sqlalchemy.create_engine(make_url(POSTGRES_URL).set(database="postgres"))
    try:
        with admin.connect() as conn:
            query = sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :n")
            return conn.execute(query, {"n": name}).first() is not None
    finally:
        admin.dispose()


def test_a_missing_postgresql_database_is_created_once() -> None:
    name = f"govtest_{uuid.uuid4().hex[:10]}"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        assert ensure_database(url) is True
        assert _exists(name)
        assert ensure_database(url) is False  # there already: left as it is
    finally:
        admin = sqlalchemy.create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_sqlite_needs_nothing_created(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert ensure_database(f"sqlite:///{tmp_path}/x.db") is False


def test_a_database_name_that_is_not_a_plain_word_is_refused() -> None:
    with pytest.raises(ValueError, match="数据库名"):
        ensure_database('postgresql://postgres@localhost:5432/x"; DROP DATABASE test; --')
