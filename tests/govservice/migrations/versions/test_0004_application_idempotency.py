"""Revision 0004_application_idempotency on a table of 0001's shape, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

revision = importlib.import_module("govservice.migrations.versions.0004_application_idempotency")
LONG_KEY = "chat:wechat:" + "o" * 128 + ":" + "k" * 32  # 173 characters


def _old_table(engine: sa.engine.Engine) -> None:
    """The unique columns of 0001_initial's applications table, declared as it declares them."""
    sa.Table(
        "applications", sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(40), nullable=True, unique=True),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
    ).create(engine)


def _run(engine: sa.engine.Engine, step: str) -> None:
    with engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn)):
            getattr(revision, step)()


def _key_length(engine: sa.engine.Engine) -> int:
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("applications")}
    return int(columns["idempotency_key"]["type"].length)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    url = f"sqlite:///{tmp_path}/m.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = sa.create_engine(url)
    _old_table(built)
    yield built
    built.dispose()


def test_upgrade_widens_the_key_and_keeps_it_unique(engine: sa.engine.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO applications (id, idempotency_key) VALUES (1, 'kept')"))
    _run(engine, "upgrade")
    assert _key_length(engine) == 255
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO applications (id, idempotency_key) VALUES (2, :k)"), {"k": LONG_KEY})
        assert conn.execute(sa.text("SELECT idempotency_key FROM applications ORDER BY id")).scalars().all() == [
            "kept", LONG_KEY]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO applications (id, idempotency_key) VALUES (3, :k)"), {"k": LONG_KEY})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the other unique column too
        conn.execute(sa.text("INSERT INTO applications (id, number, idempotency_key) "
                             "VALUES (4, 'n', 'a'), (5, 'n', 'b')"))


def test_downgrade_restores_160_and_the_constraint(engine: sa.engine.Engine) -> None:
    _run(engine, "upgrade")
    _run(engine, "downgrade")
    assert _key_length(engine) == 160
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO applications (id, idempotency_key) VALUES (1, 'k'), (2, 'k')"))
