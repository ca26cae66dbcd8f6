"""Shared fixtures: a throwaway database per run and per test (SQLite, or PostgreSQL with TEST_STORES=prod)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.databases import ON_POSTGRES, Databases

# Set before anything imports the back office, so the default database is a temp file (or, with
# TEST_STORES=prod, a fresh PostgreSQL schema dropped at the end of the run).
_TMP = tempfile.mkdtemp(prefix="govservice-test-")
_RUN_DATABASES = Databases(Path(_TMP) / "databases")
if ON_POSTGRES:
    os.environ["DATABASE_URL"] = _RUN_DATABASES.create("run")
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


@pytest.fixture(autouse=True)
def _settings_follow_the_environment() -> Iterator[None]:
    """Each test starts and ends with the settings read from the environment as it then is.

    Autouse fixtures are set up first, so this one is torn down after ``monkeypatch`` has undone a
    test's variables. A test that changes a variable itself calls ``govservice.settings.reload()``.
    """
    from govservice import settings as govservice_settings  # after the variables above are set

    govservice_settings.reload()
    yield
    govservice_settings.reload()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the databases of the run (PostgreSQL schemas) that no fixture dropped."""
    _RUN_DATABASES.drop_all()


@pytest.fixture(scope="session")
def databases() -> Databases:
    """Fresh databases for module-scoped fixtures, which drop their own (``databases.drop(url)``)."""
    return _RUN_DATABASES


@pytest.fixture()
def new_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Make fresh databases for one test (SQLite, or PostgreSQL with TEST_STORES=prod): ``new_database("x")``."""
    mine = Databases(tmp_path)
    yield mine.create
    mine.drop_all()


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    """The catalog seeded from knowledge_base/ into the test database."""
    from govservice.catalog.lookup import Catalog
    from govservice.seed import init_db

    init_db()
    return Catalog.load()


@pytest.fixture()
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A fresh schema in the local PostgreSQL whatever TEST_STORES says, dropped afterwards."""
    mine = Databases(tmp_path, postgres=True)
    yield mine.create("pg")
    mine.drop_all()


@pytest.fixture(scope="session")
def zhang():  # type: ignore[no-untyped-def]
    """张三 logs in once per run over REST (one code a minute per ID number): sender, replies, code."""
    from tests.rest_client import ZHANG, ZHANG_PHONE, latest_code, login

    sender = f"zhang-{uuid.uuid4().hex[:8]}"
    replies = login(sender, ZHANG, "张三", ZHANG_PHONE)
    return sender, replies, latest_code(ZHANG_PHONE)


# Tracker and lock store backends (tests/store_backends.py): in memory, and Redis with TEST_STORES=prod.
from tests.store_backends import inner_store, redis_prefix  # noqa: E402,F401
