"""Alembic migrations on SQLite and PostgreSQL: from empty, from the previous revision, down and
back, the schema equal to the models, processes migrating together, and adopting a database that
the code before Alembic made with ``create_all``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List, Set

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from govservice.db import alembic_config, downgrade, migrate
from govservice.migrations import initial_tables
from govservice.schema import load_models

ROOT = Path(__file__).resolve().parents[2]
OLD_LOCK_TABLES = {"login_locks", "officer_login_failures"}
# The two unused tables as the code before Alembic created them (2026-11, govservice/models.py and
# govservice/accounts/lockout.py); create_all never dropped them.
OLD_LOCK_DDL = [
    "CREATE TABLE login_locks (subject_id VARCHAR(18) NOT NULL PRIMARY KEY, failures INTEGER NOT NULL, "
    "locked_until TIMESTAMP)",
    "CREATE TABLE officer_login_failures (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(40) NOT NULL, "
    "at TIMESTAMP NOT NULL)",
]
# departments as it stood before credit_code came in: the hand-written ALTER TABLE added it.
OLD_DEPARTMENTS_DDL = (
    "CREATE TABLE departments (code VARCHAR(16) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, "
    "window_address TEXT NOT NULL, office_hours TEXT NOT NULL, consult_phone VARCHAR(40) NOT NULL, "
    "online_url VARCHAR(300))"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind (the PostgreSQL one whatever TEST_STORES says)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/migrations.db"


def _engine(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _tables(url: str) -> Set[str]:
    engine = _engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _version(url: str) -> List[Any]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def _differences(url: str) -> List[Any]:
    """What alembic's autogenerate would still write: empty when the schema equals the models."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, load_models()))
    finally:
        engine.dispose()


def _execute(url: str, statements: List[str], params: Any = None) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement), params or {})
    finally:
        engine.dispose()


def _scalar(url: str, statement: str) -> Any:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(statement)).scalar()
    finally:
        engine.dispose()


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
PREVIOUS = ScriptDirectory.from_config(alembic_config()).get_revision(HEAD).down_revision


def test_the_chain_is_linear_and_starts_at_0001() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    chain = [revision.revision for revision in script.walk_revisions()]
    assert script.get_heads() == [HEAD] and chain[-1] == "0001_initial"
    assert chain[-2:] == ["0002_drop_old_locks", "0001_initial"]


def test_upgrade_from_empty_gives_exactly_the_models(empty_url: str) -> None:
    migrate(empty_url)
    assert _version(empty_url) == [HEAD]
    assert _tables(empty_url) == set(load_models().tables) | {"alembic_version"}
    assert _differences(empty_url) == []  # a model changed without a migration fails here
    migrate(empty_url)  # at head: nothing to do
    assert _version(empty_url) == [HEAD]


def test_upgrade_from_the_previous_revision_keeps_the_data(empty_url: str) -> None:
    migrate(empty_url, PREVIOUS)
    _execute(
        empty_url,
        [
            "INSERT INTO departments (code, name, window_address, office_hours, consult_phone) "
            "VALUES ('KEEP', '保留局', '示范市一路1号', '工作日', '12345')",
            "INSERT INTO meta (key, value) VALUES ('kept', '是')",
        ],
    )
    migrate(empty_url)
    assert _version(empty_url) == [HEAD]
    assert _scalar(empty_url, "SELECT name FROM departments WHERE code = 'KEEP'") == "保留局"
    assert _scalar(empty_url, "SELECT value FROM meta WHERE key = 'kept'") == "是"
    assert _differences(empty_url) == []


def test_downgrade_to_0001_and_to_base_then_up_again(empty_url: str) -> None:
    migrate(empty_url)
    downgrade(empty_url, "0001_initial")
    assert _version(empty_url) == ["0001_initial"]
    assert _tables(empty_url) == set(initial_tables().tables) | {"alembic_version"}
    downgrade(empty_url, "base")
    assert _tables(empty_url) == {"alembic_version"} and _version(empty_url) == []
    migrate(empty_url)
    assert _differences(empty_url) == []


def _create_all_ddl(url: str) -> List[str]:
    """The SQL that ``create_all`` of the models before Alembic (revision 0001's tables) runs."""
    statements: List[str] = []
    dialect = sa.create_engine(url).dialect

    def record(sql: Any, *_: Any, **__: Any) -> None:
        statements.append(str(sql.compile(dialect=dialect)))

    mock = sa.create_mock_engine(sa.engine.make_url(url), record)
    initial_tables().create_all(mock, checkfirst=False)
    return statements


def test_a_database_made_by_create_all_before_alembic_is_adopted(empty_url: str) -> None:
    old = [OLD_DEPARTMENTS_DDL if "CREATE TABLE departments " in sql else sql for sql in _create_all_ddl(empty_url)]
    old = [sql for sql in old if "handoff_" not in sql]  # made on first use of a handoff, so maybe never
    _execute(empty_url, old + OLD_LOCK_DDL)
    _execute(
        empty_url,
        [
            "INSERT INTO departments (code, name, window_address, office_hours, consult_phone) "
            "VALUES ('OLD', '旧部门', '示范市一路1号', '工作日', '12345')",
            "INSERT INTO login_locks (subject_id, failures) VALUES ('x', 1)",
        ],
    )
    assert "alembic_version" not in _tables(empty_url)
    migrate(empty_url)
    assert _version(empty_url) == [HEAD]
    tables = _tables(empty_url)
    assert {"handoff_tickets", "handoff_agents"} <= tables and not tables & OLD_LOCK_TABLES
    assert _scalar(empty_url, "SELECT name FROM departments WHERE code = 'OLD'") == "旧部门"
    engine = _engine(empty_url)
    try:
        columns = {column["name"]: column for column in sa.inspect(engine).get_columns("departments")}
    finally:
        engine.dispose()
    assert columns["credit_code"]["nullable"] is True  # added for the rows already there
    _execute(empty_url, ["UPDATE departments SET credit_code = '11350100MB0000000X' WHERE code = 'OLD'"])


def test_processes_migrating_together_create_each_table_once(empty_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "govservice.db", "migrate", "--url", empty_url]
    processes = [subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE) for _ in range(3)]
    logs = [process.communicate(timeout=300)[1].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], logs
    # Exactly one of them ran 0001 (alembic logs each step); the others waited and found head.
    assert sum("-> 0001_initial" in log for log in logs) == 1, logs
    assert _version(empty_url) == [HEAD]
    assert _differences(empty_url) == []
