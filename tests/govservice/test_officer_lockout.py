"""Console login lockout in the database: the window, the limit, per username, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

import pytest

from govservice.db import session_scope
from govservice.officer_lockout import LOCK_MINUTES, MAX_FAILURES, OfficerLoginFailure, is_locked, record_failure
from govservice.seed import init_db

NOW = datetime.datetime(2026, 11, 28, 9, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('lockout')}/lockout.db"
    init_db(url)
    return url


def test_the_limit_locks_only_that_username_within_the_window(db_url: str) -> None:
    with session_scope(db_url) as s:
        for i in range(MAX_FAILURES - 1):
            record_failure(s, "faq_editor", NOW + datetime.timedelta(seconds=i))
        assert not is_locked(s, "faq_editor", NOW + datetime.timedelta(minutes=1))
        record_failure(s, "faq_editor", NOW + datetime.timedelta(seconds=30))
    with session_scope(db_url) as s:  # a new session, as another instance would see it
        assert is_locked(s, "faq_editor", NOW + datetime.timedelta(minutes=1))
        assert not is_locked(s, "admin", NOW + datetime.timedelta(minutes=1))
        # Unlocked once the oldest failure is LOCK_MINUTES old.
        assert not is_locked(s, "faq_editor", NOW + datetime.timedelta(minutes=LOCK_MINUTES))


def test_old_failures_are_dropped_and_long_names_are_cut(db_url: str) -> None:
    with session_scope(db_url) as s:
        record_failure(s, "x" * 300, NOW)
        record_failure(s, "admin", NOW + datetime.timedelta(minutes=LOCK_MINUTES + 1))
        rows = [(row.username, row.at) for row in s.query(OfficerLoginFailure)]
    assert rows == [("admin", NOW + datetime.timedelta(minutes=LOCK_MINUTES + 1))]
