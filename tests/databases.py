"""Throwaway databases for tests: SQLite files, or PostgreSQL schemas when ``TEST_STORES=prod``.

``TEST_STORES=prod`` runs the whole unit suite on PostgreSQL (scripts/test.sh does it as a second
pass): the run's ``DATABASE_URL`` and every database a test asks for are fresh schemas of
``TEST_POSTGRES_URL``, with a random suffix, dropped when done.
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import sqlalchemy

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/test")
ON_POSTGRES = os.environ.get("TEST_STORES", "embedded") == "prod"


def schema_url(schema: str) -> str:
    """The URL of ``schema`` in the test PostgreSQL database: its tables are found without a prefix."""
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


class Databases:
    """Creates fresh databases and drops them again."""

    def __init__(self, directory: Path, postgres: bool = ON_POSTGRES) -> None:
        self.directory = directory
        self.postgres = postgres
        self.created: List[str] = []

    def create(self, name: str) -> str:
        """A new empty database; ``name`` only makes it recognisable."""
        label = re.sub(r"[^a-z0-9_]", "_", name.lower())[:20]
        suffix = uuid.uuid4().hex[:10]
        if self.postgres:
            url = schema_url(f"test_{label}_{suffix}")
            self._execute(f"CREATE SCHEMA test_{label}_{suffix}")
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{self.directory / f'{label}-{suffix}.db'}"
        self.created.append(url)
        return url

    def drop(self, url: str) -> None:
        """Close the engine's connections to ``url`` and drop a PostgreSQL schema (files stay)."""
        from govservice.db import get_engine

        get_engine(url).dispose()
        if url.startswith("postgresql"):
            schema = url.rsplit("%3D", 1)[1]
            self._execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.created.remove(url)

    def drop_all(self) -> None:
        """Drop every database this object created and has not dropped yet."""
        for url in list(self.created):
            self.drop(url)

    @staticmethod
    def _execute(statement: str) -> None:
        admin = sqlalchemy.create_engine(POSTGRES_URL, poolclass=sqlalchemy.pool.NullPool)
        try:
            with admin.begin() as conn:
                conn.execute(sqlalchemy.text(statement))
        finally:
            admin.dispose()


@contextmanager
def seeded_database(
    databases: Databases, name: str, demo_day: Optional[datetime.date] = None, faq: bool = True
) -> Iterator[str]:
    """A fresh database with the catalog (and the FAQ unless ``faq`` is false), dropped after.

    With ``demo_day``, the start-up demo data is left out (``DEMO_DATA=0``) and the demo people and
    certificates are seeded dated from that day instead.
    """
    from govservice.db import session_scope
    from govservice.demo_data import seed_demo_data
    from govservice.seed import init_db
    from govservice.settings import reload as reload_settings

    url = databases.create(name)
    if demo_day is None:
        init_db(url, faq=faq)
    else:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DEMO_DATA", "0")
            reload_settings()
            init_db(url, faq=faq)
        with session_scope(url) as session:
            seed_demo_data(session, demo_day)
    yield url
    databases.drop(url)
