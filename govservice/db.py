"""Engine, sessions and schema migrations; SQLite by default, PostgreSQL via ``DATABASE_URL``.

``python -m govservice.db migrate`` brings the database to the newest schema (scripts/run.sh does
it before the servers start); ``python -m govservice.db revision "<what changed>" --rev-id
<NNNN_name>`` writes a new migration from the difference between the models and the schema.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, create_engine, event, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from govservice.settings import database_url
from govservice.settings.secrets import make_private, write_private

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do, as long as nothing else in the database takes this advisory lock.
MIGRATION_LOCK_KEY = 0x60F5E1C1


@cache
def get_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine for ``url`` or the configured database."""
    url = url or database_url()
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the console read while the action server writes; FKs are off by default.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, future=True)


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file as mode 0600 before SQLite does (it would follow the umask).

    SQLite gives its -wal and -shm files the database file's mode, so they are private too.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    write_private(path, b"", replace=False)
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        make_private(companion)


@cache
def _session_factory(url: str | None) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False, future=True)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    session: Session = _session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_new(session: Session, table: Table, rows: List[Dict[str, Any]], key: Sequence[str]) -> int:
    """Insert the rows whose ``key`` is not stored yet: ``INSERT ... ON CONFLICT DO NOTHING``.

    On PostgreSQL and SQLite (the databases this project runs on) a row whose key exists, or that
    a concurrent transaction just inserted, is skipped; on any other database it is a plain insert.

    Returns:
        The driver's row count: for one row, 1 when it was inserted and 0 when it was skipped
        (several rows: drivers may report -1).
    """
    if not rows:
        return 0
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    if dialect is None:
        return int(session.execute(insert(table), rows).rowcount)  # type: ignore[attr-defined]
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return int(session.execute(statement, rows).rowcount)  # type: ignore[attr-defined]


def alembic_config() -> Config:
    """Alembic's configuration, built here instead of read from an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s")  # revision ids name the files: 0001_initial.py
    return config


def migrate(url: Optional[str] = None, revision: str = "head") -> None:
    """Upgrade the database at ``url`` (the configured one when omitted) to ``revision``.

    Safe when several processes start together: the whole upgrade is one transaction under a
    lock (a transaction-level advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the
    second process waits, then finds the database at head and does nothing.
    """
    with _locked_alembic(url) as config:
        command.upgrade(config, revision)


def downgrade(url: Optional[str], revision: str) -> None:
    """Downgrade the database at ``url`` to ``revision`` (``base``: no tables), under the same lock."""
    with _locked_alembic(url) as config:
        command.downgrade(config, revision)


@contextmanager
def _locked_alembic(url: Optional[str]) -> Iterator[Config]:
    """Alembic's configuration bound to one connection that holds the schema lock until commit."""
    engine = _migration_engine(url or database_url())
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config = alembic_config()
            config.attributes["connection"] = connection
            yield config
    finally:
        engine.dispose()


@cache
def ensure_schema(url: Optional[str] = None) -> None:
    """Migrate once per process and URL: for servers that may start before ``make run``'s migration."""
    migrate(url)


def _migration_engine(url: str) -> Engine:
    """An engine of one unpooled connection whose transactions also hold the schema lock."""
    if not url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool, future=True)
    _private_sqlite_file(url)
    engine = create_engine(url, poolclass=NullPool, future=True, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # pysqlite would commit around DDL on its own; here SQLAlchemy's BEGIN IMMEDIATE decides.
        # Foreign keys stay off (SQLite's default), as batch migrations copy and drop tables.
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _write_lock(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the writer lock, taken before the version is read

    return engine


def write_revision(message: str, rev_id: str, url: Optional[str] = None) -> None:
    """Write a migration for what the models have and the database at ``url`` (at head) has not.

    Without ``url`` the comparison runs against a temporary SQLite database migrated to head.
    Read and tidy the written file: autogenerate misses renames and server-side defaults.
    """
    from govservice.schema import load_models  # imports every model: only for writing revisions

    with tempfile.TemporaryDirectory() as scratch:
        url = url or f"sqlite:///{scratch}/head.db"
        migrate(url)
        with _locked_alembic(url) as config:
            config.attributes["target_metadata"] = load_models()
            command.revision(config, message=message, autogenerate=True, rev_id=rev_id)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``migrate``, ``downgrade`` or ``revision``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m govservice.db", description="数据库结构迁移")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("migrate", help="把数据库升级到最新版本")
    up.add_argument("--url", default=None, help="数据库地址（默认 DATABASE_URL）")
    down = commands.add_parser("downgrade", help="把数据库降级到指定版本（base：删除全部表）")
    down.add_argument("revision")
    down.add_argument("--url", default=None, help="数据库地址（默认 DATABASE_URL）")
    new = commands.add_parser("revision", help="按模型与数据库的差异生成新的迁移脚本")
    new.add_argument("message")
    new.add_argument("--rev-id", required=True, help="如 0006_short_name")
    new.add_argument("--url", default=None, help="对比的数据库（默认临时 SQLite）")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # alembic names each step it runs
    if args.command == "migrate":
        migrate(args.url)
    elif args.command == "downgrade":
        downgrade(args.url, args.revision)
    else:
        write_revision(args.message, args.rev_id, args.url)
    return 0


def ensure_database(url: str | None = None) -> bool:
    """Create the PostgreSQL database ``url`` names when it is missing; True when it was created.

    Other databases (SQLite creates its file itself) are left alone. Connects to the server's
    ``postgres`` database, as ``createdb`` does.
    """
    target = make_url(url or database_url())
    if not target.drivername.startswith("postgresql") or not target.database:
        return False
    if not target.database.replace("_", "").isalnum():  # it goes into CREATE DATABASE unquoted by a driver
        raise ValueError(f"数据库名只能由字母、数字和下划线组成：{target.database!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        return exists is None
    finally:
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
