"""Shared fixtures: a throwaway SQLite database per run, and a PostgreSQL schema on demand."""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

# Set before anything imports the back office, so the default database is a temp file.
_TMP = tempfile.mkdtemp(prefix="govservice-test-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/govservice.db")
os.environ.setdefault("VAR_DIR", _TMP)

# Property and fuzz tests (marker ``fuzz``): a few examples per test in ``make test``, the full count
# in ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz); FUZZ_EXAMPLES overrides the count of either profile.
# Slow tests (a whole conversation per example) take a fraction of it: tests/fuzzing.py.
_PROFILE_EXAMPLES = {"default": 30, "fuzz": 10_000}
for _name, _count in _PROFILE_EXAMPLES.items():
    settings.register_profile(
        _name,
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", _count)),
        deadline=None,  # the first example of a test pays for imports and warm-up
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/test")


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    """The catalog seeded from knowledge_base/ into the test database."""
    from govservice.catalog import Catalog
    from govservice.seed import init_db

    init_db()
    return Catalog.load()


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL, dropped afterwards."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def zhang():  # type: ignore[no-untyped-def]
    """张三 logs in once per run over REST (one code a minute per ID number): sender, replies, code."""
    from tests.rest_client import ZHANG, ZHANG_PHONE, latest_code, login

    sender = f"zhang-{uuid.uuid4().hex[:8]}"
    replies = login(sender, ZHANG, "张三", ZHANG_PHONE)
    return sender, replies, latest_code(ZHANG_PHONE)


# Tracker and lock store backends (tests/store_backends.py): in memory, and Redis with TEST_STORES=prod.
from tests.store_backends import inner_store, redis_prefix  # noqa: E402,F401
