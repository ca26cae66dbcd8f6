"""Engine and session handling; SQLite by default, PostgreSQL via ``DATABASE_URL``."""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from govservice.config import database_url
from govservice.secrets import make_private, write_private


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
